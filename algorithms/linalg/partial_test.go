package linalg_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

// memSource is an in-memory stack of frames.
type memSource struct {
	data []float32
	d    int
}

func (m memSource) ReadFloat32(dst []float32, beg, end int) error {
	copy(dst, m.data[beg*m.d:end*m.d])
	return nil
}

// offsetFrames returns n frames of d pixels: counts around a large per-pixel offset, the
// case in which a one-pass Σx² − n·mean² would lose most digits.
func offsetFrames(n, d int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	off := make([]float64, d)
	for j := range off {
		off[j] = 1e4 * (1 + r.Float64())
	}
	data := make([]float32, n*d)
	for i := range n {
		for j := range d {
			data[i*d+j] = float32(math.Floor(off[j] + 30*r.NormFloat64()))
		}
	}
	return data
}

// centred returns the frames as float64 minus their column means (two passes).
func centred(data []float32, n, d int) *mat.Dense {
	x := mat.NewDense(n, d, nil)
	for j := range d {
		var m float64
		for i := range n {
			m += float64(data[i*d+j])
		}
		m /= float64(n)
		for i := range n {
			x.Set(i, j, float64(data[i*d+j])-m)
		}
	}
	return x
}

// reduceFrames runs one block-tree reduction of the frames on p ranks and returns rank 0's
// result after checking that every rank holds the same encoding.
func reduceFrames[T any](t *testing.T, p int, data []float32, n, d, b int, m collective.Merger[T], fn func(spmd.Block) (T, error)) T {
	t.Helper()
	out := make([]T, p)
	errs := inproc.Run(p, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, b, c.Size(), c.Rank())
		env := &spmd.Env{TileBytes: int64(4 * d * 3 * max(b, 1)), Workers: 2}
		v, err := spmd.Reduce(context.Background(), c, env, "test", plan, d, memSource{data, d}, m, fn)
		out[c.Rank()] = v
		return err
	})
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	for r := range out {
		if string(m.Encode(nil, out[r])) != string(m.Encode(nil, out[0])) {
			t.Fatalf("rank %d differs from rank 0", r)
		}
	}
	return out[0]
}

func TestCoMoment(t *testing.T) {
	tests := []struct {
		n, d, m, b int
	}{
		{n: 1, d: 5, m: 2, b: 4},
		{n: 37, d: 9, m: 3, b: 4},
		{n: 300, d: 70, m: 6, b: 0},    // default block size
		{n: 200, d: 3000, m: 4, b: 90}, // blocks of more than RowChunk rows, Y over two pixel chunks
		{n: 10, d: 6, m: 0, b: 3},      // m = 0: the D×D co-moment (Gram solver)
		{n: 150, d: 40, m: 0, b: 70},
	}
	for _, tc := range tests {
		data := offsetFrames(tc.n, tc.d, uint64(tc.n))
		xc := centred(data, tc.n, tc.d)
		var omegaT *mat.Dense
		var want mat.Dense
		want.Mul(xc.T(), xc) // Xcᵀ·Xc
		if tc.m > 0 {
			omegaT = gaussian(tc.m, tc.d, rand.New(rand.NewPCG(2, 2)))
			var p mat.Dense
			p.Mul(omegaT, &want)
			want = p
		}
		scale := mat.Norm(&want, math.Inf(1))
		var first []byte
		for _, p := range rankCounts {
			t.Run(fmt.Sprintf("n=%d,d=%d,m=%d,B=%d/P=%d", tc.n, tc.d, tc.m, tc.b, p), func(t *testing.T) {
				mg := linalg.CoMomentMerger{OmegaT: omegaT}
				got := reduceFrames(t, p, data, tc.n, tc.d, tc.b, mg, func(b spmd.Block) (*linalg.CoMoment, error) {
					c, bad := linalg.CoMomentFrames(b.Data, b.Frames.Len(), b.D, omegaT, nil, nil)
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
				// The pairwise update is exact algebra; the rounding of sums of ~n·d terms of
				// the centred scale gives ~1e-14 of ‖P‖, 1e-12 leaves a margin.
				for i := range got.P.RawMatrix().Rows {
					for j := range tc.d {
						if tc.m == 0 && j < i {
							continue // upper triangle only
						}
						if e := math.Abs(got.P.At(i, j) - want.At(i, j)); e > 1e-12*scale {
							t.Fatalf("P[%d,%d] = %.17g, want %.17g", i, j, got.P.At(i, j), want.At(i, j))
						}
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

func want2(xc *mat.Dense, j int) float64 {
	n, _ := xc.Dims()
	var s float64
	for i := range n {
		s += xc.At(i, j) * xc.At(i, j)
	}
	return s
}

func TestCoMomentSketchRows(t *testing.T) {
	// The rows CoMomentFrames returns are (x − mean_block)·Ω, chunk after chunk.
	n, d, m := 150, 30, 4
	data := offsetFrames(n, d, 3)
	omegaT := gaussian(m, d, rand.New(rand.NewPCG(3, 3)))
	y := mat.NewDense(n, m, nil)
	c, bad := linalg.CoMomentFrames(data, n, d, omegaT, y, nil)
	if bad >= 0 {
		t.Fatal("bad row")
	}
	var want mat.Dense
	want.Mul(centred(data, n, d), omegaT.T())
	// Scale: |y| ~ 30·√d; rounding of d-term dot products.
	if !mat.EqualApprox(y, &want, 1e-10) {
		t.Errorf("sketch rows differ")
	}
	// The product agrees with Yᵀ·Xc.
	var p mat.Dense
	p.Mul(y.T(), centred(data, n, d))
	if !mat.EqualApprox(c.P, &p, 1e-8*mat.Norm(&p, math.Inf(1))) {
		t.Errorf("P ≠ Yᵀ·Xc")
	}
}

func TestCenteredR(t *testing.T) {
	tests := []struct {
		n, d, b int
	}{
		{n: 1, d: 4, b: 4},
		{n: 3, d: 8, b: 1},    // fewer rows than columns, blocks of one row
		{n: 200, d: 12, b: 5}, // blocks shorter than d
		{n: 500, d: 20, b: 0},
	}
	for _, tc := range tests {
		data := offsetFrames(tc.n, tc.d, uint64(tc.d))
		xc := centred(data, tc.n, tc.d)
		var gram mat.Dense
		gram.Mul(xc.T(), xc)
		wantS, err := linalg.SingularValues(xc)
		if err != nil {
			t.Fatal(err)
		}
		var first []byte
		for _, p := range rankCounts {
			t.Run(fmt.Sprintf("n=%d,d=%d,B=%d/P=%d", tc.n, tc.d, tc.b, p), func(t *testing.T) {
				mg := linalg.CenteredRMerger{}
				got := reduceFrames(t, p, data, tc.n, tc.d, tc.b, mg, func(b spmd.Block) (*linalg.CenteredR, error) {
					c, _ := linalg.CenteredRFrames(b.Data, b.Frames.Len(), b.D)
					return c, nil
				})
				enc := mg.Encode(nil, got)
				if p == 1 {
					first = enc
				} else if string(enc) != string(first) {
					t.Fatalf("P=%d differs from P=1", p)
				}
				k, _ := got.R.Dims()
				if k < min(tc.n, tc.d) || k > tc.d {
					t.Fatalf("R has %d rows, want min(N, D) = %d to D = %d", k, min(tc.n, tc.d), tc.d)
				}
				var rtr mat.Dense
				rtr.Mul(got.R.T(), got.R)
				// RᵀR = Xcᵀ·Xc up to rounding of the QR (backward stable): 1e-12 of the norm.
				if !mat.EqualApprox(&rtr, &gram, 1e-12*mat.Norm(&gram, math.Inf(1))+1e-300) {
					t.Errorf("RᵀR ≠ XcᵀXc")
				}
				s, err := linalg.SingularValues(got.R)
				if err != nil {
					t.Fatal(err)
				}
				for i := range wantS {
					if i < len(s) && math.Abs(s[i]-wantS[i]) > 1e-12*wantS[0] {
						t.Errorf("σ_%d = %.17g, want %.17g", i, s[i], wantS[i])
					}
				}
				for i := range k {
					if got.R.At(i, i) < 0 {
						t.Errorf("R[%d,%d] < 0", i, i)
					}
				}
			})
		}
	}
}

func TestNonFiniteRows(t *testing.T) {
	data := offsetFrames(100, 7, 1)
	data[37*7+3] = float32(math.NaN())
	data[60*7] = float32(math.Inf(1))
	if _, bad := linalg.CoMomentFrames(data, 100, 7, nil, nil, nil); bad != 37 {
		t.Errorf("CoMomentFrames: bad row %d, want 37", bad)
	}
	if _, bad := linalg.CenteredRFrames(data[40*7:], 60, 7); bad != 20 {
		t.Errorf("CenteredRFrames: bad row %d, want 20", bad)
	}
	dst := make([]float64, 100*7)
	if bad := linalg.FramesTo(dst, data, 100, 7, nil); bad != 37 {
		t.Errorf("FramesTo: bad row %d, want 37", bad)
	}
}

func TestDecodeMalformed(t *testing.T) {
	p, _ := linalg.CoMomentFrames(offsetFrames(5, 3, 1), 5, 3, nil, nil, nil)
	good := linalg.CoMomentMerger{}.Encode(nil, p)
	r, _ := linalg.CenteredRFrames(offsetFrames(5, 3, 1), 5, 3)
	goodR := linalg.CenteredRMerger{}.Encode(nil, r)
	for _, b := range [][]byte{nil, {1, 2, 3}, good[:len(good)-1], append(append([]byte(nil), good...), 0)} {
		if _, err := (linalg.CoMomentMerger{}).Decode(b); err == nil {
			t.Errorf("CoMoment: decoded %d malformed bytes", len(b))
		}
	}
	for _, b := range [][]byte{nil, goodR[:len(goodR)-8], goodR[:20]} {
		if _, err := (linalg.CenteredRMerger{}).Decode(b); err == nil {
			t.Errorf("CenteredR: decoded %d malformed bytes", len(b))
		}
	}
	if q, err := (linalg.CoMomentMerger{}).Decode(good); err != nil || q.N != 5 || q.P.At(0, 2) != p.P.At(0, 2) {
		t.Errorf("round trip: %v", err)
	}
}
