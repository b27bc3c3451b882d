package linalg

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// CoRange is the summary of a set of rows x_i of a data matrix with D columns for the
// co-range sketch of a single-pass low-rank approximation (Tropp, Yurtsever, Udell &
// Cevher 2017): their Moments and, with ψ_i the column of an s×N test matrix Ψ that
// belongs to row i,
//
//	W = Σ_i ψ_i·(x_i − mean)ᵀ     (s×D), the co-range sketch Ψ·Xc of the centred rows
//	G = Σ_i ψ_i                   (s),   Ψ·1
//
// Two such summaries merge exactly (CoRangeMerger), so W ends up centred about the mean of
// all rows without that mean being known while the rows are read.
type CoRange struct {
	Moments
	W *mat.Dense // s×D; nil when N is 0
	G []float64  // s
}

// CoRangeFrames returns the CoRange of the n×d float32 rows of data (row-major, n ≥ 1) for
// the test-matrix columns ψ_i given as the rows of psiT (n×s), and the index of the first
// row holding a NaN or an infinity, or −1 (then the CoRange is nil). If omegaT (Ωᵀ, m×d)
// is not nil, y (n×m) receives the range sketch (x − 1·meanᵀ)·Ω of the rows about their
// own mean, as CoMomentFrames computes it: add Ωᵀ·(mean − shift) to centre the rows about
// another shift.
//
// The rows are converted and centred RowChunk at a time through scratch (as in
// CoMomentFrames; nil allocates it), and Y = Xc·Ω and W += Ψ_chunk·Xc computed while the
// chunk is in cache: 2·n·d·(m + s) floating-point operations, single-threaded with gonum's
// BLAS. It allocates W, G, the mean and M2. It panics on mismatched dimensions.
func CoRangeFrames(data []float32, n, d int, omegaT, psiT, y *mat.Dense, scratch []float64) (*CoRange, int) {
	if len(data) != n*d || n < 1 {
		panic(fmt.Sprintf("linalg: CoRangeFrames: %d values for %d×%d frames", len(data), n, d))
	}
	pr, s := psiT.Dims()
	if pr != n {
		panic(fmt.Sprintf("linalg: CoRangeFrames: %d test-matrix columns for %d rows", pr, n))
	}
	var or blas64.General
	if omegaT != nil {
		m, od := omegaT.Dims()
		if od != d {
			panic(fmt.Sprintf("linalg: CoRangeFrames: Ωᵀ has %d columns for %d columns of data", od, d))
		}
		if y == nil {
			panic("linalg: CoRangeFrames: Ω without sketch rows")
		}
		if yr, yc := y.Dims(); yr != n || yc != m {
			panic(fmt.Sprintf("linalg: CoRangeFrames: sketch rows are %d×%d, want %d×%d", yr, yc, n, m))
		}
		or = omegaT.RawMatrix()
	}
	p := &CoRange{}
	if bad := p.setMean(data, n, d); bad >= 0 {
		return nil, bad
	}
	p.W = mat.NewDense(s, d, nil)
	p.G = make([]float64, s)
	ps, wr := psiT.RawMatrix(), p.W.RawMatrix()
	for i := range n {
		row := ps.Data[i*ps.Stride : i*ps.Stride+s]
		g := p.G[:len(row)]
		for j, v := range row {
			g[j] += v
		}
	}
	scratch = chunkScratch(scratch, n, d)
	w := pPanel(s)
	for r0 := 0; r0 < n; r0 += RowChunk {
		r1 := min(r0+RowChunk, n)
		xc := blas64.General{Rows: r1 - r0, Cols: d, Stride: d, Data: scratch[:(r1-r0)*d]}
		centerTo(xc.Data, data[r0*d:r1*d], r1-r0, d, p.Mean, p.M2)
		if omegaT != nil {
			yc := rawRows(y.RawMatrix(), r0, r1)
			beta := 0.0
			for c := 0; c < d; c += yChunk {
				e := min(c+yChunk, d)
				blas64.Gemm(blas.NoTrans, blas.Trans, 1, cols(xc, c, e), cols(or, c, e), beta, yc)
				beta = 1
			}
		}
		pc := rawRows(ps, r0, r1)
		for c := 0; c < d; c += w {
			e := min(c+w, d)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, pc, cols(xc, c, e), 1, cols(wr, c, e))
		}
	}
	return p, -1
}

// CoRangeMerger merges CoRange partials along the block tree. With δ = mean_b − mean_a and
// n = n_a + n_b, the rows of a move by −(n_b/n)·δ to the common mean and those of b by
// (n_a/n)·δ, so
//
//	W = W_a + W_b + ((n_a/n)·G_b − (n_b/n)·G_a)·δᵀ,   G = G_a + G_b
//
// exact algebra in the manner of Chan, Golub & LeVeque (1979). It implements
// collective.Merger.
type CoRangeMerger struct{}

// Merge implements collective.Merger. It modifies and returns a; it does not retain b.
// It panics if the partials do not match.
func (CoRangeMerger) Merge(a, b *CoRange) *CoRange {
	if b.N == 0 {
		return a
	}
	if a.N == 0 {
		a.Moments.merge(&b.Moments)
		a.W = mat.DenseCopyOf(b.W)
		a.G = append(a.G[:0], b.G...)
		return a
	}
	ar, ac := a.W.Dims()
	br, bc := b.W.Dims()
	if ar != br || ac != bc || len(a.G) != ar || len(b.G) != br {
		panic(fmt.Sprintf("linalg: merging %d×%d and %d×%d co-range sketches", ar, ac, br, bc))
	}
	na, nb := float64(a.N), float64(b.N)
	delta, _ := a.Moments.merge(&b.Moments)
	mergeCoRange(a.W, b.W, a.G, b.G, na, nb, delta)
	return a
}

// mergeCoRange adds the co-range sketch wb (s×D) of n_b rows to wa (n_a rows), with the
// correction ((n_a/n)·G_b − (n_b/n)·G_a)·δᵀ, and G_b to G_a: the update of CoRangeMerger.
func mergeCoRange(a, b *mat.Dense, ga, gb []float64, na, nb float64, delta []float64) {
	n := na + nb
	wa, wb := a.RawMatrix(), b.RawMatrix()
	ac := wa.Cols
	for i := range wa.Rows {
		c := (na/n)*gb[i] - (nb/n)*ga[i]
		ra := wa.Data[i*wa.Stride : i*wa.Stride+ac]
		rb := wb.Data[i*wb.Stride : i*wb.Stride+ac]
		rb, dl := rb[:len(ra)], delta[:len(ra)]
		for j := range ra {
			ra[j] += rb[j] + c*dl[j]
		}
		ga[i] += gb[i]
	}
}

// Encode implements collective.Merger: the moments, W, then G (its length and values).
func (CoRangeMerger) Encode(dst []byte, p *CoRange) []byte {
	dst = appendDense(p.Moments.appendTo(dst), p.W)
	return appendFloats(appendInt(dst, int64(len(p.G))), p.G)
}

// Decode implements collective.Merger.
func (CoRangeMerger) Decode(b []byte) (*CoRange, error) {
	r := &reader{b: b}
	p := &CoRange{}
	p.Moments.read(r)
	p.W = r.dense()
	p.G = r.floats(r.dim(int64(len(r.b)) / 8))
	if err := r.done(); err != nil {
		return nil, err
	}
	if p.N > 0 && (p.W == nil || p.W.RawMatrix().Cols != p.D() || p.W.RawMatrix().Rows != len(p.G)) {
		return nil, fmt.Errorf("linalg: partial of %d columns with a co-range sketch of the wrong size", p.D())
	}
	return p, nil
}
