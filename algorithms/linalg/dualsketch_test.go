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

// TestDualSketch checks that one read of the frames gives, bit for bit, what
// CoMomentFrames (Y, P, moments, merged by CoMomentMerger) and CoRangeFrames (W, G, merged
// by CoRangeMerger) give separately, for every rank count, including an encode/decode
// round trip of the partials of the block tree.
func TestDualSketch(t *testing.T) {
	for _, tc := range []struct{ n, d, m, s, b int }{
		{n: 1, d: 5, m: 2, s: 5, b: 4},
		{n: 37, d: 9, m: 3, s: 7, b: 4},
		{n: 200, d: 3000, m: 4, s: 9, b: 90}, // blocks of more than RowChunk rows, Y over two pixel chunks
		{n: 120, d: 40, m: 33, s: 67, b: 7},  // s > 64: narrow panels for W
	} {
		data := offsetFrames(tc.n, tc.d, uint64(tc.n+tc.s))
		psiT := gaussian(tc.n, tc.s, rand.New(rand.NewPCG(5, 5)))
		omegaT := gaussian(tc.m, tc.d, rand.New(rand.NewPCG(6, 6)))
		for _, p := range rankCounts {
			t.Run(fmt.Sprintf("n=%d,d=%d,m=%d,s=%d,B=%d/P=%d", tc.n, tc.d, tc.m, tc.s, tc.b, p), func(t *testing.T) {
				y1 := mat.NewDense(tc.n, tc.m, nil)
				y2 := mat.NewDense(tc.n, tc.m, nil)
				psi := func(b spmd.Block) *mat.Dense {
					return psiT.Slice(b.Frames.Beg, b.Frames.End, 0, tc.s).(*mat.Dense)
				}
				rows := func(y *mat.Dense, b spmd.Block) *mat.Dense {
					return y.Slice(b.Frames.Beg, b.Frames.End, 0, tc.m).(*mat.Dense)
				}
				dual := reduceFrames(t, p, data, tc.n, tc.d, tc.b, linalg.DualSketchMerger{OmegaT: omegaT}, func(b spmd.Block) (*linalg.DualSketch, error) {
					c, _ := linalg.DualSketchFrames(b.Data, b.Frames.Len(), b.D, omegaT, psi(b), rows(y1, b), nil)
					return c, nil
				})
				com := reduceFrames(t, p, data, tc.n, tc.d, tc.b, linalg.CoMomentMerger{OmegaT: omegaT}, func(b spmd.Block) (*linalg.CoMoment, error) {
					c, _ := linalg.CoMomentFrames(b.Data, b.Frames.Len(), b.D, omegaT, rows(y2, b), nil)
					return c, nil
				})
				cor := reduceFrames(t, p, data, tc.n, tc.d, tc.b, linalg.CoRangeMerger{}, func(b spmd.Block) (*linalg.CoRange, error) {
					c, _ := linalg.CoRangeFrames(b.Data, b.Frames.Len(), b.D, nil, psi(b), nil, nil)
					return c, nil
				})
				if string(linalg.CoMomentMerger{OmegaT: omegaT}.Encode(nil, &dual.CoMoment)) != string(linalg.CoMomentMerger{OmegaT: omegaT}.Encode(nil, com)) {
					t.Errorf("moments or P differ from CoMomentFrames's")
				}
				if !bitsEqual(y1, y2) {
					t.Errorf("sketch rows differ from CoMomentFrames's")
				}
				if !bitsEqual(dual.W, cor.W) || !floatsBits(dual.G, cor.G) {
					t.Errorf("W or G differ from CoRangeFrames's")
				}
			})
		}
	}
}

func floatsBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func TestDualSketchBadRowAndDecode(t *testing.T) {
	n, d, m, s := 90, 12, 3, 7
	data := offsetFrames(n, d, 2)
	omegaT := gaussian(m, d, rand.New(rand.NewPCG(1, 1)))
	psiT := gaussian(n, s, rand.New(rand.NewPCG(2, 2)))
	y := mat.NewDense(n, m, nil)
	p, bad := linalg.DualSketchFrames(data, n, d, omegaT, psiT, y, nil)
	if bad >= 0 {
		t.Fatal("bad row")
	}
	mg := linalg.DualSketchMerger{OmegaT: omegaT}
	good := mg.Encode(nil, p)
	for _, b := range [][]byte{nil, {1, 2, 3}, good[:len(good)-1], good[:len(good)-8], append(append([]byte(nil), good...), 0)} {
		if _, err := mg.Decode(b); err == nil {
			t.Errorf("decoded %d malformed bytes", len(b))
		}
	}
	q, err := mg.Decode(good)
	if err != nil || q.N != int64(n) || !mat.Equal(q.P, p.P) || !mat.Equal(q.W, p.W) || q.G[3] != p.G[3] {
		t.Errorf("round trip: %v", err)
	}
	data[65*d+4] = float32(math.Inf(-1))
	if c, bad := linalg.DualSketchFrames(data, n, d, omegaT, psiT, y, nil); bad != 65 || c != nil {
		t.Errorf("bad row %d, want 65", bad)
	}
}
