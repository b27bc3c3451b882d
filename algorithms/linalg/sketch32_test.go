package linalg_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/spmd"
)

// TestOmega32 checks the float32 kernels against float64 products of the same Ω (rounded
// to float32) and their bits across rank counts.
//
// Tolerances: rounding the terms of a K-term float32 dot product perturbs it by about
// √K·ε₃₂ times the magnitude of the terms (Higham & Mary, SIAM J. Sci. Comput. 41(5),
// 2019: probabilistic error bounds), ε₃₂ = 6e-8. The kernels multiply numbers of magnitude
// up to max|z| where the result is made of the spread rms(Xc): the bound is
// √K·ε₃₂·(max|z| / rms(Xc))·‖P‖ with z the centred frames for CoMomentFrames and the frames
// as they are for ProductFrames, whose offset (1e4) exceeds their spread (30) by ~500.
func TestOmega32(t *testing.T) {
	tests := []struct {
		n, d, m, b int
		density    float64 // of countFrames; 0: offsetFrames
	}{
		{n: 1, d: 5, m: 2, b: 4},
		{n: 37, d: 9, m: 3, b: 4},
		{n: 300, d: 70, m: 6, b: 0},
		{n: 200, d: 3000, m: 4, b: 90}, // blocks of more than RowChunk rows, Y over two pixel chunks
		// Sparse chunks (sparse kernels), one panel and two (m > 32), and chunks of both
		// kinds in one block (rows 64–127 dense).
		{n: 1, d: 40, m: 2, b: 4, density: 0.2},
		{n: 150, d: 300, m: 26, b: 0, density: 0.25},
		{n: 200, d: 2500, m: 40, b: 90, density: 0.1}, // two tiles
		{n: 600, d: 300, m: 26, b: 0, density: 0.2},   // sparse, dense, sparse chunks in a block
	}
	const eps32 = 0x1p-24
	for _, tc := range tests {
		data := offsetFrames(tc.n, tc.d, uint64(tc.n))
		if tc.density > 0 {
			data = countFrames(tc.n, tc.d, tc.density, uint64(tc.n))
		}
		xc := centred(data, tc.n, tc.d)
		o := linalg.NewOmega32(gaussian(tc.m, tc.d, rand.New(rand.NewPCG(2, 2))))
		for i := range tc.m {
			for j := range tc.d {
				if v := o.T.At(i, j); float64(float32(v)) != v {
					t.Fatalf("Ω[%d,%d] = %v is not a float32 value", i, j, v)
				}
			}
		}
		var want, gram mat.Dense
		gram.Mul(xc.T(), xc)
		want.Mul(o.T, &gram) // (Xcᵀ·Xc·Ω)ᵀ
		scale := mat.Norm(&want, math.Inf(1))
		// ProductFrames centres about a shift other than the mean, so that its per-block
		// correction matters: Xs = X − 1·shiftᵀ.
		shift := make([]float64, tc.d)
		xs := mat.NewDense(tc.n, tc.d, nil)
		for j := range shift {
			for i := range tc.n {
				shift[j] += float64(data[i*tc.d+j])
			}
			shift[j] = shift[j]/float64(tc.n) + 40*float64(j%3-1)
			for i := range tc.n {
				xs.Set(i, j, float64(data[i*tc.d+j])-shift[j])
			}
		}
		var wantS mat.Dense
		gram.Mul(xs.T(), xs)
		wantS.Mul(o.T, &gram)
		scaleS := mat.Norm(&wantS, math.Inf(1))
		var sq, sqS, maxC, maxX float64
		for i := range tc.n {
			for j := range tc.d {
				sq += xc.At(i, j) * xc.At(i, j)
				sqS += xs.At(i, j) * xs.At(i, j)
				maxC = math.Max(maxC, math.Abs(xc.At(i, j)))
				maxX = math.Max(maxX, math.Abs(float64(data[i*tc.d+j])))
			}
		}
		rms, rmsS := math.Sqrt(sq/float64(tc.n*tc.d)), math.Sqrt(sqS/float64(tc.n*tc.d))
		k := math.Sqrt(float64(tc.d + tc.n))
		tolC, tolP := k*eps32*maxC/rms*scale, k*eps32*maxX/rmsS*scaleS
		if tc.n == 1 {
			// One frame: Xc = 0 exactly, and so is the centred kernel's P.
			tolC = 0
		}
		var firstM, firstP []byte
		for _, p := range rankCounts {
			t.Run(fmt.Sprintf("n=%d,d=%d,m=%d,B=%d,density=%v/P=%d", tc.n, tc.d, tc.m, tc.b, tc.density, p), func(t *testing.T) {
				// P > 1 keeps the sparse forms of the first pass for the second, whose bits
				// must not change.
				kept := newKeptBlocks(p > 1)
				mg := linalg.CoMomentMerger{OmegaT: o.T}
				got := reduceFrames(t, p, data, tc.n, tc.d, tc.b, mg, func(b spmd.Block) (*linalg.CoMoment, error) {
					c, bad := o.CoMomentFrames(b.Data, b.Frames.Len(), b.D, nil, kept.block(b.Index))
					if bad >= 0 {
						t.Errorf("block %d: bad row %d", b.Index, bad)
					}
					return c, nil
				})
				if enc := mg.Encode(nil, got); p == 1 {
					firstM = enc
				} else if string(enc) != string(firstM) {
					t.Fatalf("CoMomentFrames: P=%d differs from P=1", p)
				}
				if e := maxDiff(got.P, &want); e > tolC {
					t.Errorf("CoMomentFrames: P off by %.3g, bound %.3g", e, tolC)
				}
				for j := range tc.d {
					// The moments are float64 as in CoMomentFrames.
					if e := math.Abs(got.M2[j] - want2(xc, j)); e > 1e-12*want2(xc, j)+1e-300 {
						t.Fatalf("M2[%d] = %.17g, want %.17g", j, got.M2[j], want2(xc, j))
					}
				}
				sm := linalg.SumMerger{}
				prod := reduceFrames(t, p, data, tc.n, tc.d, tc.b, sm, func(b spmd.Block) (*mat.Dense, error) {
					c, bad := o.Shift(shift).ProductFramesTo(nil, b.Data, b.Frames.Len(), b.D, nil, kept.block(b.Index))
					if bad >= 0 {
						t.Errorf("block %d: bad row %d", b.Index, bad)
					}
					return c, nil
				})
				if kb := kept.bytes(); p > 1 && (kb > 0) != (tc.density > 0) {
					t.Errorf("the sparse forms kept take %d bytes", kb)
				}
				if enc := sm.Encode(nil, prod); p == 1 {
					firstP = enc
				} else if string(enc) != string(firstP) {
					t.Fatalf("ProductFrames: P=%d differs from P=1", p)
				}
				if e := maxDiff(prod, &wantS); e > tolP {
					t.Errorf("ProductFrames: P off by %.3g, bound %.3g", e, tolP)
				}
				if p == 1 && scale > 0 {
					t.Logf("errors relative to ‖P‖: CoMomentFrames %.2g (bound %.2g), ProductFrames %.2g (bound %.2g)",
						maxDiff(got.P, &want)/scale, tolC/scale, maxDiff(prod, &wantS)/scaleS, tolP/scaleS)
				}
			})
		}
	}
}

func maxDiff(a, b *mat.Dense) float64 {
	var d mat.Dense
	d.Sub(a, b)
	return mat.Norm(&d, math.Inf(1))
}

// keptBlocks hands out a linalg.SparseBlock per block index, or nil ones.
type keptBlocks struct {
	mu     sync.Mutex
	blocks map[int]*linalg.SparseBlock
}

func newKeptBlocks(keep bool) *keptBlocks {
	if !keep {
		return nil
	}
	return &keptBlocks{blocks: map[int]*linalg.SparseBlock{}}
}

func (k *keptBlocks) block(i int) *linalg.SparseBlock {
	if k == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.blocks[i] == nil {
		k.blocks[i] = &linalg.SparseBlock{}
	}
	return k.blocks[i]
}

func (k *keptBlocks) bytes() int64 {
	var n int64
	if k != nil {
		for _, b := range k.blocks {
			n += b.Bytes()
		}
	}
	return n
}

// countFrames returns n×d detector counts, a share density of them non-zero, except rows
// 256 to 511, which are dense: for n > 256, sparse row chunks (of 256 rows) and dense ones.
func countFrames(n, d int, density float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	data := make([]float32, n*d)
	for i := range n {
		for j := range d {
			if i/256 == 1 || r.Float64() < density {
				data[i*d+j] = float32(1 + r.IntN(20) + j%7)
			}
		}
	}
	return data
}

func TestOmega32NonFinite(t *testing.T) {
	for _, sparse := range []bool{false, true} {
		t.Run(fmt.Sprintf("sparse=%v", sparse), func(t *testing.T) { testOmega32NonFinite(t, sparse) })
	}
}

func testOmega32NonFinite(t *testing.T, sparse bool) {
	n, d, m := 100, 7, 3
	data := offsetFrames(n, d, 1)
	if sparse {
		d = 60
		data = countFrames(n, d, 0.1, 1) // one sparse chunk
	}
	data[37*d+3] = float32(math.NaN())
	data[60*d] = float32(math.Inf(1))
	o := linalg.NewOmega32(gaussian(m, d, rand.New(rand.NewPCG(2, 2))))
	if c, bad := o.CoMomentFrames(data, n, d, nil, nil); bad != 37 || c != nil {
		t.Errorf("CoMomentFrames: bad row %d, want 37", bad)
	}
	shift := make([]float64, d)
	if p, bad := o.ProductFrames(data, n, d, shift, nil); bad != 37 || p != nil {
		t.Errorf("ProductFrames: bad row %d, want 37", bad)
	}
	if _, bad := o.ProductFrames(data[40*d:], n-40, d, shift, nil); bad != 20 {
		t.Errorf("ProductFrames: bad row %d, want 20", bad)
	}
	if p, bad := linalg.ShiftedFrames(data, n, d, shift, o.T, nil, nil); bad != 37 || p != nil {
		t.Errorf("ShiftedFrames: bad row %d, want 37", bad)
	}
}

func TestShiftedFrames(t *testing.T) {
	// Blocks of more than RowChunk rows, Y over two pixel chunks; detector counts with
	// sparse and dense chunks, over two panels of the sparse kernels (m = 20).
	t.Run("dense", func(t *testing.T) { testShiftedFrames(t, offsetFrames(200, 3000, 9), 200, 3000, 4, 90) })
	t.Run("sparse", func(t *testing.T) { testShiftedFrames(t, countFrames(200, 3000, 0.2, 9), 200, 3000, 20, 90) })
	t.Run("mixed", func(t *testing.T) { testShiftedFrames(t, countFrames(600, 500, 0.2, 9), 600, 500, 20, 600) })
}

func testShiftedFrames(t *testing.T, data []float32, n, d, m, block int) {
	// P = (Xs·Ω)ᵀ·Xs and Y = Xs·Ω with Xs = X − 1·shiftᵀ, in float64, summed over blocks.
	omegaT := gaussian(m, d, rand.New(rand.NewPCG(8, 8)))
	shift := make([]float64, d)
	xs := mat.NewDense(n, d, nil)
	for j := range shift {
		shift[j] = 1e4 + 500*float64(j%5)
		for i := range n {
			xs.Set(i, j, float64(data[i*d+j])-shift[j])
		}
	}
	var wantY, want mat.Dense
	wantY.Mul(xs, omegaT.T())
	want.Mul(wantY.T(), xs)
	scale := mat.Norm(&want, math.Inf(1))
	var first []byte
	sh := linalg.NewShifted(omegaT, shift)
	for _, p := range rankCounts {
		// P > 1 runs the pass twice, keeping the sparse forms of the first for the second.
		kept := newKeptBlocks(p > 1)
		y := mat.NewDense(n, m, nil)
		mg := linalg.SumMerger{}
		got := reduceFrames(t, p, data, n, d, block, mg, func(b spmd.Block) (*mat.Dense, error) {
			yb := y.Slice(b.Frames.Beg, b.Frames.End, 0, m).(*mat.Dense)
			c, bad := sh.FramesTo(nil, b.Data, b.Frames.Len(), b.D, yb, nil, kept.block(b.Index))
			if bad >= 0 {
				t.Errorf("block %d: bad row %d", b.Index, bad)
			}
			if kept != nil {
				again, _ := sh.FramesTo(nil, b.Data, b.Frames.Len(), b.D, nil, nil, kept.block(b.Index))
				if !mat.Equal(again, c) {
					t.Errorf("block %d: the pass with the kept sparse forms differs", b.Index)
				}
			}
			return c, nil
		})
		if enc := mg.Encode(nil, got); p == 1 {
			first = enc
		} else if string(enc) != string(first) {
			t.Fatalf("P=%d differs from P=1", p)
		}
		// Float64 sums of ~n·d terms of the shifted scale: 1e-12 of the norms is wide.
		if e := maxDiff(got, &want); e > 1e-12*scale {
			t.Errorf("P=%d: P off by %.3g of ‖P‖", p, e/scale)
		}
		if e := maxDiff(y, &wantY); e > 1e-12*mat.Norm(&wantY, math.Inf(1)) {
			t.Errorf("P=%d: Y off by %.3g", p, e)
		}
	}
	data[77*d+5] = float32(math.Inf(-1))
	if c, bad := linalg.ShiftedFrames(data, n, d, shift, omegaT, nil, nil); bad != 77 || c != nil {
		t.Errorf("bad row %d, want 77", bad)
	}
}

func TestNonFiniteEveryColumn(t *testing.T) {
	// The check sums four columns at a time plus a remainder: a bad value in any column of
	// a frame of 7 pixels is found, by every kernel that reads the frames.
	n, d := 12, 7
	omegaT := gaussian(2, d, rand.New(rand.NewPCG(1, 2)))
	o := linalg.NewOmega32(omegaT)
	shift := make([]float64, d)
	dst := make([]float64, n*d)
	for j := range d {
		data := offsetFrames(n, d, 4)
		data[5*d+j] = float32(math.NaN())
		if _, bad := linalg.CoMomentFrames(data, n, d, omegaT, nil, nil); bad != 5 {
			t.Errorf("column %d: CoMomentFrames found row %d", j, bad)
		}
		if bad := linalg.FramesTo(dst, data, n, d, shift); bad != 5 {
			t.Errorf("column %d: FramesTo found row %d", j, bad)
		}
		if _, bad := linalg.ShiftedFrames(data, n, d, shift, omegaT, nil, nil); bad != 5 {
			t.Errorf("column %d: ShiftedFrames found row %d", j, bad)
		}
		if _, bad := o.CoMomentFrames(data, n, d, nil, nil); bad != 5 {
			t.Errorf("column %d: Omega32.CoMomentFrames found row %d", j, bad)
		}
		if _, bad := o.ProductFrames(data, n, d, shift, nil); bad != 5 {
			t.Errorf("column %d: Omega32.ProductFrames found row %d", j, bad)
		}
	}
}

// TestProductsTo checks the destination forms: a reused destination holding other values
// gets the bits of a fresh one, and a destination of the wrong shape panics.
func TestProductsTo(t *testing.T) {
	n, d, m := 150, 70, 5
	data := offsetFrames(n, d, 9)
	omegaT := gaussian(m, d, rand.New(rand.NewPCG(2, 3)))
	o := linalg.NewOmega32(omegaT)
	shift := make([]float64, d)
	for j := range shift {
		shift[j] = float64(j) - 3.5
	}
	dirty := func() *mat.Dense {
		a := mat.NewDense(m, d, nil)
		for i := range m {
			for j := range d {
				a.Set(i, j, float64(i*d+j)+0.25)
			}
		}
		return a
	}
	want, _ := o.ProductFrames(data, n, d, shift, nil)
	got, bad := o.Shift(shift).ProductFramesTo(dirty(), data, n, d, nil, nil)
	if bad >= 0 || !bitsEqual(got, want) {
		t.Errorf("Omega32: a reused destination changes the product")
	}
	want64, _ := linalg.ShiftedFrames(data, n, d, shift, omegaT, nil, nil)
	got64, bad := linalg.ShiftedFramesTo(dirty(), data, n, d, shift, omegaT, nil, nil)
	if bad >= 0 || !bitsEqual(got64, want64) {
		t.Errorf("ShiftedFramesTo: a reused destination changes the product")
	}
	for name, fn := range map[string]func(){
		"ProductFramesTo": func() { o.Shift(shift).ProductFramesTo(mat.NewDense(m, d+1, nil), data, n, d, nil, nil) },
		"ShiftedFramesTo": func() { linalg.ShiftedFramesTo(mat.NewDense(m+1, d, nil), data, n, d, shift, omegaT, nil, nil) },
		"Shift":           func() { o.Shift(shift[1:]) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic for a wrong shape", name)
				}
			}()
			fn()
		}()
	}
}
