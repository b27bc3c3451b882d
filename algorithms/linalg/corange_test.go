package linalg_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/spmd"
)

func TestCoRange(t *testing.T) {
	tests := []struct {
		n, d, m, s, b int
	}{
		{n: 1, d: 5, m: 2, s: 5, b: 4},
		{n: 37, d: 9, m: 3, s: 7, b: 4},
		{n: 300, d: 70, m: 6, s: 13, b: 0},    // default block size
		{n: 200, d: 3000, m: 4, s: 9, b: 90},  // blocks of more than RowChunk rows, Y over two pixel chunks
		{n: 120, d: 40, m: 0, s: 80, b: 7},    // no range sketch; s > 64: narrow panels
		{n: 50, d: 20, m: 3, s: 7, b: 50 / 7}, // a short last block
	}
	for _, tc := range tests {
		data := offsetFrames(tc.n, tc.d, uint64(tc.n+tc.s))
		xc := centred(data, tc.n, tc.d)
		psiT := gaussian(tc.n, tc.s, rand.New(rand.NewPCG(5, 5))) // row i: ψ_i
		var omegaT *mat.Dense
		if tc.m > 0 {
			omegaT = gaussian(tc.m, tc.d, rand.New(rand.NewPCG(6, 6)))
		}
		var want mat.Dense
		want.Mul(psiT.T(), xc) // Ψ·Xc
		wantG := make([]float64, tc.s)
		for i := range tc.n {
			for j := range tc.s {
				wantG[j] += psiT.At(i, j)
			}
		}
		// Rounding of sums of n terms of the centred scale (~30·√n per entry of Ψ·Xc).
		scale := mat.Norm(&want, math.Inf(1))
		var first []byte
		for _, p := range rankCounts {
			t.Run(fmt.Sprintf("n=%d,d=%d,m=%d,s=%d,B=%d/P=%d", tc.n, tc.d, tc.m, tc.s, tc.b, p), func(t *testing.T) {
				mg := linalg.CoRangeMerger{}
				y := mat.NewDense(tc.n, max(tc.m, 1), nil)
				got := reduceFrames(t, p, data, tc.n, tc.d, tc.b, mg, func(b spmd.Block) (*linalg.CoRange, error) {
					ps := psiT.Slice(b.Frames.Beg, b.Frames.End, 0, tc.s).(*mat.Dense)
					var yb *mat.Dense
					if omegaT != nil {
						yb = y.Slice(b.Frames.Beg, b.Frames.End, 0, tc.m).(*mat.Dense)
					}
					c, bad := linalg.CoRangeFrames(b.Data, b.Frames.Len(), b.D, omegaT, ps, yb, nil)
					if bad >= 0 {
						t.Errorf("block %d: bad row %d", b.Index, bad)
					}
					return c, nil
				})
				enc := mg.Encode(nil, got)
				if p == 1 {
					first = enc
				} else if string(enc) != string(first) {
					t.Fatalf("P=%d differs from P=1", p)
				}
				if got.N != int64(tc.n) {
					t.Fatalf("N = %d", got.N)
				}
				// The merge is exact algebra; 1e-12 of ‖Ψ·Xc‖ leaves a wide margin over the
				// ~1e-15 of the rounding.
				if !mat.EqualApprox(got.W, &want, 1e-12*scale) {
					t.Errorf("W ≠ Ψ·Xc")
				}
				for j := range wantG {
					if math.Abs(got.G[j]-wantG[j]) > 1e-12*float64(tc.n) {
						t.Errorf("G[%d] = %.17g, want %.17g", j, got.G[j], wantG[j])
					}
				}
				for j := range tc.d {
					if e := math.Abs(got.M2[j] - want2(xc, j)); e > 1e-12*want2(xc, j)+1e-300 {
						t.Fatalf("M2[%d] = %.17g, want %.17g", j, got.M2[j], want2(xc, j))
					}
				}
			})
		}
	}
}

func TestCoRangeSketchRows(t *testing.T) {
	// One block: the rows are (x − mean)·Ω, like CoMomentFrames's.
	n, d, m, s := 150, 30, 4, 9
	data := offsetFrames(n, d, 3)
	omegaT := gaussian(m, d, rand.New(rand.NewPCG(3, 3)))
	psiT := gaussian(n, s, rand.New(rand.NewPCG(4, 4)))
	y := mat.NewDense(n, m, nil)
	if _, bad := linalg.CoRangeFrames(data, n, d, omegaT, psiT, y, nil); bad >= 0 {
		t.Fatal("bad row")
	}
	var want mat.Dense
	want.Mul(centred(data, n, d), omegaT.T())
	// Scale: |y| ~ 30·√d; rounding of d-term dot products.
	if !mat.EqualApprox(y, &want, 1e-10) {
		t.Errorf("sketch rows differ")
	}
	data[77*d+5] = float32(math.NaN())
	if c, bad := linalg.CoRangeFrames(data, n, d, omegaT, psiT, y, nil); bad != 77 || c != nil {
		t.Errorf("bad row %d, want 77", bad)
	}
}

func TestCoRangeDecodeMalformed(t *testing.T) {
	psiT := gaussian(5, 4, rand.New(rand.NewPCG(1, 1)))
	p, _ := linalg.CoRangeFrames(offsetFrames(5, 3, 1), 5, 3, nil, psiT, nil, nil)
	mg := linalg.CoRangeMerger{}
	good := mg.Encode(nil, p)
	for _, b := range [][]byte{nil, {1, 2, 3}, good[:len(good)-1], good[:len(good)-8], append(append([]byte(nil), good...), 0)} {
		if _, err := mg.Decode(b); err == nil {
			t.Errorf("decoded %d malformed bytes", len(b))
		}
	}
	q, err := mg.Decode(good)
	if err != nil || q.N != 5 || !mat.Equal(q.W, p.W) || q.G[3] != p.G[3] {
		t.Errorf("round trip: %v", err)
	}
}
