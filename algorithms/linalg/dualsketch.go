package linalg

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// DualSketch is the summary of a set of rows x_i of a data matrix with D columns that one
// read of them can give a single-pass low-rank approximation: the CoMoment of the rows for
// a test matrix Ω (Moments and P = Yᵀ·Xc, Y = Xc·Ω, m×D) and their CoRange sketch for a
// test matrix Ψ (W = Ψ·Xc, s×D, and G = Ψ·1). P serves B = Qᵀ·Xc = R⁻ᵀ·P when the sketch
// Y = Q·R is well conditioned; W serves Tropp et al.'s B = (Ψ·Q)⁺·W when it is not.
type DualSketch struct {
	CoMoment
	W *mat.Dense // s×D; nil when N is 0
	G []float64  // s
}

// DualSketchFrames returns the DualSketch of the n×d float32 rows of data (row-major,
// n ≥ 1) for Ωᵀ = omegaT (m×d) and the test-matrix columns ψ_i given as the rows of psiT
// (n×s), and the index of the first row holding a NaN or an infinity, or −1 (then the
// DualSketch is nil). y (n×m) receives the range sketch (x − 1·meanᵀ)·Ω of the rows about
// their own mean.
//
// Per chunk of RowChunk rows it does exactly what CoMomentFrames and CoRangeFrames do, in
// the same order, with one conversion of the chunk: its Y, P and the mean and M2 have the
// bits CoMomentFrames gives them, and W and G the bits of CoRangeFrames. 2·n·d·(2m + s)
// floating-point operations, single-threaded with gonum's BLAS; scratch as for
// CoMomentFrames (nil allocates it). It allocates P, W, G, the mean and M2. It panics on
// mismatched dimensions.
func DualSketchFrames(data []float32, n, d int, omegaT, psiT, y *mat.Dense, scratch []float64) (*DualSketch, int) {
	if len(data) != n*d || n < 1 {
		panic(fmt.Sprintf("linalg: DualSketchFrames: %d values for %d×%d frames", len(data), n, d))
	}
	m, od := omegaT.Dims()
	if od != d {
		panic(fmt.Sprintf("linalg: DualSketchFrames: Ωᵀ has %d columns for %d columns of data", od, d))
	}
	pn, s := psiT.Dims()
	if pn != n {
		panic(fmt.Sprintf("linalg: DualSketchFrames: %d test-matrix columns for %d rows", pn, n))
	}
	if yr, yc := y.Dims(); yr != n || yc != m {
		panic(fmt.Sprintf("linalg: DualSketchFrames: sketch rows are %d×%d, want %d×%d", yr, yc, n, m))
	}
	p := &DualSketch{}
	if bad := p.setMean(data, n, d); bad >= 0 {
		return nil, bad
	}
	p.P = mat.NewDense(m, d, nil)
	p.W = mat.NewDense(s, d, nil)
	p.G = make([]float64, s)
	or, ps := omegaT.RawMatrix(), psiT.RawMatrix()
	pr, wr := p.P.RawMatrix(), p.W.RawMatrix()
	for i := range n {
		row := ps.Data[i*ps.Stride : i*ps.Stride+s]
		g := p.G[:len(row)]
		for j, v := range row {
			g[j] += v
		}
	}
	scratch = chunkScratch(scratch, n, d)
	wp, ws := pPanel(m), pPanel(s)
	for r0 := 0; r0 < n; r0 += RowChunk {
		r1 := min(r0+RowChunk, n)
		xc := blas64.General{Rows: r1 - r0, Cols: d, Stride: d, Data: scratch[:(r1-r0)*d]}
		centerTo(xc.Data, data[r0*d:r1*d], r1-r0, d, p.Mean, p.M2)
		yc := rawRows(y.RawMatrix(), r0, r1)
		beta := 0.0
		for c := 0; c < d; c += yChunk {
			e := min(c+yChunk, d)
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, cols(xc, c, e), cols(or, c, e), beta, yc)
			beta = 1
		}
		for c := 0; c < d; c += wp {
			e := min(c+wp, d)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, yc, cols(xc, c, e), 1, cols(pr, c, e))
		}
		pc := rawRows(ps, r0, r1)
		for c := 0; c < d; c += ws {
			e := min(c+ws, d)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, pc, cols(xc, c, e), 1, cols(wr, c, e))
		}
	}
	return p, -1
}

// DualSketchMerger merges DualSketch partials along the block tree: the moments once, P
// with the update of CoMomentMerger and W, G with that of CoRangeMerger, so the merged P
// has the bits a CoMomentMerger gives the same CoMoment partials, and W those of a
// CoRangeMerger. OmegaT must be the Ωᵀ (m×D) the partials were computed with. It
// implements collective.Merger.
type DualSketchMerger struct {
	OmegaT *mat.Dense
}

// Merge implements collective.Merger. It modifies and returns a; it does not retain b.
// It panics if the partials do not match.
func (mg DualSketchMerger) Merge(a, b *DualSketch) *DualSketch {
	if b.N == 0 {
		return a
	}
	if a.N == 0 {
		a.Moments.merge(&b.Moments)
		a.P = mat.DenseCopyOf(b.P)
		a.W = mat.DenseCopyOf(b.W)
		a.G = append(a.G[:0], b.G...)
		return a
	}
	ar, ac := a.P.Dims()
	br, bc := b.P.Dims()
	as, aw := a.W.Dims()
	bs, bw := b.W.Dims()
	if ar != br || ac != bc || as != bs || aw != bw || len(a.G) != as || len(b.G) != bs {
		panic(fmt.Sprintf("linalg: merging dual sketches of %d×%d + %d×%d and %d×%d + %d×%d", ar, ac, as, aw, br, bc, bs, bw))
	}
	na, nb := float64(a.N), float64(b.N)
	delta, w := a.Moments.merge(&b.Moments)
	mergeProduct(a.P, b.P, mg.OmegaT, delta, w)
	mergeCoRange(a.W, b.W, a.G, b.G, na, nb, delta)
	return a
}

// Encode implements collective.Merger: the moments, P, W, then G (its length and values).
func (DualSketchMerger) Encode(dst []byte, p *DualSketch) []byte {
	dst = appendDense(appendDense(p.Moments.appendTo(dst), p.P), p.W)
	return appendFloats(appendInt(dst, int64(len(p.G))), p.G)
}

// Decode implements collective.Merger.
func (DualSketchMerger) Decode(b []byte) (*DualSketch, error) {
	r := &reader{b: b}
	p := &DualSketch{}
	p.Moments.read(r)
	p.P = r.dense()
	p.W = r.dense()
	p.G = r.floats(r.dim(int64(len(r.b)) / 8))
	if err := r.done(); err != nil {
		return nil, err
	}
	if p.N > 0 && (p.P == nil || p.W == nil || p.P.RawMatrix().Cols != p.D() || p.W.RawMatrix().Cols != p.D() || p.W.RawMatrix().Rows != len(p.G)) {
		return nil, fmt.Errorf("linalg: partial of %d columns with a dual sketch of the wrong size", p.D())
	}
	return p, nil
}
