package linalg

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// CoMoment is the centred second-moment summary of a set of rows x_i of a data matrix with
// D columns: their Moments and the centred product
//
//	P = Ωᵀ · Σ_i (x_i − mean)(x_i − mean)ᵀ     (m×D)
//
// with a fixed D×m matrix Ω, given as Ωᵀ (m×D): P is (Xcᵀ·Xc·Ω)ᵀ = Yᵀ·Xc with Y = Xc·Ω, the
// sketch product of the rows summarised. When Ω is nil, P is the D×D co-moment matrix
// Σ_i (x_i − mean)(x_i − mean)ᵀ itself, of which only the upper triangle is kept.
type CoMoment struct {
	Moments
	P *mat.Dense // m×D, or D×D (upper triangle) without Ω; nil when N is 0
}

// RowChunk is the number of rows a block kernel converts to float64 and processes at a
// time: the scratch of a kernel is RowChunk·D float64 values (8 MiB for D = 16384)
// whatever the block size, and a chunk stays in cache between the products that read it.
// It is a constant, so the bits depend on nothing else.
const RowChunk = 64

// yChunk is the pixel chunk over which Y = Xc·Ω is accumulated, so that a chunk of Ωᵀ stays
// in cache for all the rows of a row chunk.
const yChunk = 2048

// pPanel returns the pixel panel width for P += Yᵀ·Xc with m rows: small enough that
// gonum's Dgemm stays on one goroutine (it goes parallel from 4 output tiles of 64×64),
// which keeps the work of a block single-threaded.
func pPanel(m int) int {
	if m <= 64 {
		return 192
	}
	return 64
}

// CoMomentFrames returns the CoMoment of the n×d float32 rows of data (row-major, n ≥ 1)
// for Ωᵀ = omegaT (m×d), or for Ω = nil, and the index of the first row holding a NaN or
// an infinity, or −1 (then the CoMoment is nil). If y is not nil it must be n×m and
// receives the centred sketch (x − 1·meanᵀ)·Ω, whose rows depend on the block mean: add
// Ωᵀ·(mean − shift) to centre them about another shift.
//
// The mean is the column sum in row order divided by n; the rows are then converted,
// centred and used RowChunk at a time through scratch (length ≥ min(n, RowChunk)·d; nil
// allocates it): with Ω, Y = Xc·Ω and P += Yᵀ·Xc while the chunk is in cache, 4·n·d·m
// floating-point operations; without, P += Xcᵀ·Xc by a symmetric rank update of the upper
// triangle, n·d² operations. The work is single-threaded with gonum's BLAS. It allocates
// P, the mean and M2 (and Y rows of a chunk when y is nil). It panics on mismatched
// dimensions.
func CoMomentFrames(data []float32, n, d int, omegaT, y *mat.Dense, scratch []float64) (*CoMoment, int) {
	if len(data) != n*d || n < 1 {
		panic(fmt.Sprintf("linalg: CoMomentFrames: %d values for %d×%d frames", len(data), n, d))
	}
	p := &CoMoment{}
	if bad := p.setMean(data, n, d); bad >= 0 {
		return nil, bad
	}
	var m int
	var or, yr blas64.General
	if omegaT == nil {
		if y != nil {
			panic("linalg: CoMomentFrames: sketch rows requested without Ω")
		}
		p.P = mat.NewDense(d, d, nil)
	} else {
		var od int
		m, od = omegaT.Dims()
		if od != d {
			panic(fmt.Sprintf("linalg: CoMomentFrames: Ωᵀ has %d columns for %d columns of data", od, d))
		}
		if y == nil {
			yr = mat.NewDense(min(n, RowChunk), m, nil).RawMatrix()
		} else if yrr, yc := y.Dims(); yrr != n || yc != m {
			panic(fmt.Sprintf("linalg: CoMomentFrames: sketch rows are %d×%d, want %d×%d", yrr, yc, n, m))
		}
		or = omegaT.RawMatrix()
		p.P = mat.NewDense(m, d, nil)
	}
	pr := p.P.RawMatrix()
	scratch = chunkScratch(scratch, n, d)
	for r0 := 0; r0 < n; r0 += RowChunk {
		r1 := min(r0+RowChunk, n)
		xc := blas64.General{Rows: r1 - r0, Cols: d, Stride: d, Data: scratch[:(r1-r0)*d]}
		centerTo(xc.Data, data[r0*d:r1*d], r1-r0, d, p.Mean, p.M2)
		if omegaT == nil {
			blas64.Syrk(blas.Trans, 1, xc, 1, blas64.Symmetric{Uplo: blas.Upper, N: d, Data: pr.Data, Stride: pr.Stride})
			continue
		}
		var yc blas64.General
		if y != nil {
			yc = rawRows(y.RawMatrix(), r0, r1)
		} else {
			yc = rawRows(yr, 0, r1-r0)
		}
		beta := 0.0
		for c := 0; c < d; c += yChunk {
			e := min(c+yChunk, d)
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, cols(xc, c, e), cols(or, c, e), beta, yc)
			beta = 1
		}
		w := pPanel(m)
		for c := 0; c < d; c += w {
			e := min(c+w, d)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, yc, cols(xc, c, e), 1, cols(pr, c, e))
		}
	}
	return p, -1
}

// ShiftedFrames returns P = Yᵀ·Xs (m×d) with Xs = X − 1·shiftᵀ for the n×d float32 rows
// of data (n ≥ 1) and Y = Xs·Ω for Ωᵀ = omegaT (m×d), and the index of the first row
// holding a NaN or an infinity, or −1 (then P is nil). If y is not nil (n×m) it receives
// Y. It is CoMomentFrames for a shift known in advance: no moments, and partials about the
// same shift add up (merge them with SumMerger). The rows are converted and shifted
// RowChunk at a time through scratch (length ≥ min(n, RowChunk)·d; nil allocates it) in
// float64, 4·n·d·m floating-point operations, single-threaded with gonum's BLAS. It
// allocates P (and Y rows of a chunk when y is nil). It panics on mismatched dimensions.
func ShiftedFrames(data []float32, n, d int, shift []float64, omegaT, y *mat.Dense, scratch []float64) (*mat.Dense, int) {
	return ShiftedFramesTo(nil, data, n, d, shift, omegaT, y, scratch)
}

// ShiftedFramesTo is ShiftedFrames with P stored in dst (m×d; nil or zero-value:
// allocated; its previous values are overwritten) and returned. It panics if dst is not
// empty and not m×d. It is NewShifted(omegaT, shift).FramesTo(…); a pass over many blocks
// should call NewShifted once.
func ShiftedFramesTo(dst *mat.Dense, data []float32, n, d int, shift []float64, omegaT, y *mat.Dense, scratch []float64) (*mat.Dense, int) {
	return NewShifted(omegaT, shift).FramesTo(dst, data, n, d, y, scratch, nil)
}

// Shifted is a test matrix Ωᵀ (m×D) with a shift, c = Ωᵀ·shift and the layout of Ω the
// sparse kernels read, prepared once for the ShiftedFrames of every block of a pass.
type Shifted struct {
	omegaT *mat.Dense
	shift  []float64
	c      []float64
	panel  []float64 // Ω, D×w
	w      int
}

// NewShifted prepares omegaT (m×D, not copied) and shift (D values, not copied). It
// panics if shift does not have D values.
func NewShifted(omegaT *mat.Dense, shift []float64) Shifted {
	m, d := omegaT.Dims()
	if len(shift) != d {
		panic(fmt.Sprintf("linalg: NewShifted: %d shifts for Ωᵀ of %d columns", len(shift), d))
	}
	s := Shifted{omegaT: omegaT, shift: shift, c: make([]float64, m)}
	or := omegaT.RawMatrix()
	blas64.Gemv(blas.NoTrans, 1, or, blas64.Vector{N: d, Data: shift, Inc: 1}, 0, blas64.Vector{N: m, Data: s.c, Inc: 1})
	s.panel, s.w = transposePanel[float64](or.Data, or.Stride, m, d, panel64)
	return s
}

// FramesTo is ShiftedFramesTo for the prepared Ωᵀ and shift. A row chunk sparse enough
// (sparse.go) is multiplied as it is by the sparse kernels, its rows corrected by −cᵀ and
// its product by −(Yᵀ·1)·shiftᵀ; a dense one is shifted in float64 and multiplied with
// dgemm. sb (nil: none) keeps the sparse forms of the block or holds them from an
// earlier pass over the same frames.
func (s Shifted) FramesTo(dst *mat.Dense, data []float32, n, d int, y *mat.Dense, scratch []float64, sb *SparseBlock) (*mat.Dense, int) {
	shift, omegaT := s.shift, s.omegaT
	if len(data) != n*d || n < 1 || len(shift) != d {
		panic(fmt.Sprintf("linalg: ShiftedFrames: %d values and %d shifts for %d×%d frames", len(data), len(shift), n, d))
	}
	m, od := omegaT.Dims()
	if od != d {
		panic(fmt.Sprintf("linalg: ShiftedFrames: Ωᵀ has %d columns for %d columns of data", od, d))
	}
	var yr blas64.General
	if y == nil {
		yr = mat.NewDense(min(n, sparseRows), m, nil).RawMatrix()
	} else if yrr, yc := y.Dims(); yrr != n || yc != m {
		panic(fmt.Sprintf("linalg: ShiftedFrames: sketch rows are %d×%d, want %d×%d", yrr, yc, n, m))
	}
	// rowsOf returns the sketch rows of frames [r0, r1): in y, or at the start of yr.
	rowsOf := func(r0, r1 int) blas64.General {
		if y != nil {
			return rawRows(y.RawMatrix(), r0, r1)
		}
		return rawRows(yr, 0, r1-r0)
	}
	or := omegaT.RawMatrix()
	p := denseTo(dst, m, d, "ShiftedFramesTo")
	p.Zero()
	pr := p.RawMatrix()
	scratch = chunkScratch(scratch, n, d)
	var sp *sparseState[float64]
	sum := make([]float64, m) // Yᵀ·1 of the sparse chunks
	w := pPanel(m)
	// denseRows shifts the rows [r0, r1) (at most RowChunk) and multiplies them with dgemm.
	denseRows := func(r0, r1 int) int {
		xs := blas64.General{Rows: r1 - r0, Cols: d, Stride: d, Data: scratch[:(r1-r0)*d]}
		if bad := FramesTo(xs.Data, data[r0*d:r1*d], r1-r0, d, shift); bad >= 0 {
			return bad
		}
		yc := rowsOf(r0, r1)
		beta := 0.0
		for c := 0; c < d; c += yChunk {
			e := min(c+yChunk, d)
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, cols(xs, c, e), cols(or, c, e), beta, yc)
			beta = 1
		}
		for c := 0; c < d; c += w {
			e := min(c+w, d)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, yc, cols(xs, c, e), 1, cols(pr, c, e))
		}
		return -1
	}
	sparse := func(r0 int, a *csc) int {
		if sp == nil {
			sp = getSparse[float64](&sparsePools[1], d, s.w)
		}
		yc := rowsOf(r0, r0+a.rows)
		return sparse64Rows(sp, s, a, sum, yc.Data, yc.Stride)
	}
	if bad := walkChunks(sb, data, n, d, sparse, denseRows); bad >= 0 {
		return nil, bad
	}
	if sp != nil {
		// P += Ptᵀ − (Yᵀ·1)·shiftᵀ over the sparse chunks.
		assemble(pr.Data, pr.Stride, nil, true, sp.pt, s.w, sum, shift)
		sparsePools[1].Put(sp)
	}
	return p, -1
}

// chunkScratch returns scratch if it holds a row chunk of d values, or a new buffer.
func chunkScratch(scratch []float64, n, d int) []float64 {
	if need := min(n, RowChunk) * d; len(scratch) < need {
		return make([]float64, need)
	}
	return scratch
}

// rawRows is a view of rows [i, j) of a.
func rawRows(a blas64.General, i, j int) blas64.General {
	return blas64.General{Rows: j - i, Cols: a.Cols, Stride: a.Stride, Data: a.Data[i*a.Stride : i*a.Stride+max(0, (j-i-1)*a.Stride+a.Cols)]}
}

// cols is a view of columns [c, e) of a (a.Rows ≥ 1).
func cols(a blas64.General, c, e int) blas64.General {
	return blas64.General{Rows: a.Rows, Cols: e - c, Stride: a.Stride, Data: a.Data[c : (a.Rows-1)*a.Stride+e]}
}

// CoMomentMerger merges CoMoment partials along the block tree. OmegaT must be the Ωᵀ (m×D)
// the partials were computed with, nil for the D×D co-moment. With δ = mean_b − mean_a and
// w = n_a·n_b/n, the update is exact algebra (Chan, Golub & LeVeque 1979, for a matrix):
//
//	P = P_a + P_b + w·(Ωᵀδ)·δᵀ
//
// It implements collective.Merger.
type CoMomentMerger struct {
	OmegaT *mat.Dense
}

// Merge implements collective.Merger. It modifies and returns a; it does not retain b.
// It panics if the partials do not match.
func (mg CoMomentMerger) Merge(a, b *CoMoment) *CoMoment {
	if b.N == 0 {
		return a
	}
	if a.N == 0 {
		a.Moments.merge(&b.Moments)
		a.P = mat.DenseCopyOf(b.P)
		return a
	}
	ar, ac := a.P.Dims()
	br, bc := b.P.Dims()
	if ar != br || ac != bc {
		panic(fmt.Sprintf("linalg: merging %d×%d and %d×%d products", ar, ac, br, bc))
	}
	delta, w := a.Moments.merge(&b.Moments)
	pa, pb := a.P.RawMatrix(), b.P.RawMatrix()
	if mg.OmegaT == nil {
		// Upper triangle: P_a += P_b + w·δδᵀ.
		for i := range ar {
			ra := pa.Data[i*pa.Stride+i : i*pa.Stride+ac]
			rb := pb.Data[i*pb.Stride+i : i*pb.Stride+ac]
			wd := w * delta[i]
			dl := delta[i:]
			ra, dl = ra[:len(rb)], dl[:len(rb)]
			for j, v := range rb {
				ra[j] += v + wd*dl[j]
			}
		}
		return a
	}
	mergeProduct(a.P, b.P, mg.OmegaT, delta, w)
	return a
}

// mergeProduct adds the partial product pb (m×D) and the co-moment correction
// w·(Ωᵀδ)·δᵀ to pa: the update of CoMomentMerger with Ω.
func mergeProduct(a, b, omegaT *mat.Dense, delta []float64, w float64) {
	pa, pb := a.RawMatrix(), b.RawMatrix()
	ar, ac := pa.Rows, pa.Cols
	t := make([]float64, ar)
	blas64.Gemv(blas.NoTrans, 1, omegaT.RawMatrix(), blas64.Vector{N: len(delta), Data: delta, Inc: 1}, 0, blas64.Vector{N: ar, Data: t, Inc: 1})
	for i, ti := range t {
		ra := pa.Data[i*pa.Stride : i*pa.Stride+ac]
		rb := pb.Data[i*pb.Stride : i*pb.Stride+ac]
		wt := w * ti
		dl := delta[:len(ra)]
		rb = rb[:len(ra)]
		for j := range ra {
			ra[j] += rb[j] + wt*dl[j]
		}
	}
}

// Encode implements collective.Merger: the moments, then P. Without Ω only the upper
// triangle of P is sent.
func (mg CoMomentMerger) Encode(dst []byte, p *CoMoment) []byte {
	dst = p.Moments.appendTo(dst)
	if mg.OmegaT != nil || p.P == nil {
		return appendDense(dst, p.P)
	}
	d, _ := p.P.Dims()
	dst = appendInt(appendInt(dst, int64(d)), int64(d))
	raw := p.P.RawMatrix()
	for i := range d {
		dst = appendFloats(dst, raw.Data[i*raw.Stride+i:i*raw.Stride+d])
	}
	return dst
}

// Decode implements collective.Merger.
func (mg CoMomentMerger) Decode(b []byte) (*CoMoment, error) {
	r := &reader{b: b}
	p := &CoMoment{}
	p.Moments.read(r)
	if mg.OmegaT != nil {
		p.P = r.dense()
	} else {
		d := r.dim(int64(len(r.b)))
		if c := r.dim(int64(len(r.b))); r.err == nil && c != d {
			r.err = fmt.Errorf("linalg: %d×%d co-moment matrix in partial", d, c)
		}
		if r.err == nil && d > 0 {
			p.P = mat.NewDense(d, d, nil)
			raw := p.P.RawMatrix()
			for i := range d {
				copy(raw.Data[i*raw.Stride+i:i*raw.Stride+d], r.floats(d-i))
			}
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	if p.N > 0 && (p.P == nil || p.P.RawMatrix().Cols != p.D()) {
		return nil, fmt.Errorf("linalg: partial of %d columns with a product of the wrong size", p.D())
	}
	return p, nil
}
