package linalg

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// Omega32 is a test matrix Ωᵀ (m×D) whose entries are float32 numbers, for the block
// kernels that multiply in single precision: T holds them as float64 (for the merges and
// corrections, which then use exactly the matrix the products used) and t32 as float32.
//
// The kernels of Omega32 centre the frames in float32 and compute the products with sgemm
// (blas32), the way scikit-learn's randomized PCA computes on float32 data, accumulate a
// block's products in float32 and return them in float64; block partials are then
// combined in float64 along the block tree. A product has a relative error of a few
// float32 ulps times √(terms) (about 1e-6 for D = 16384), against about 1e-15 for the
// float64 kernels; they serve the intermediate passes of a subspace iteration, whose
// outcome only fixes the next test matrix (the last pass, which fixes the result, runs in
// float64).
type Omega32 struct {
	T     *mat.Dense // m×D: the entries, float32 values held as float64
	t32   blas32.General
	panel []float32 // Ω (D×w) for the sparse kernels
	w     int
}

// NewOmega32 rounds the entries of omegaT (m×D) to float32. It allocates the two copies.
func NewOmega32(omegaT mat.Matrix) Omega32 {
	m, d := omegaT.Dims()
	o := Omega32{T: mat.NewDense(m, d, nil), t32: blas32.General{Rows: m, Cols: d, Stride: d, Data: make([]float32, m*d)}}
	for i := range m {
		row := o.T.RawRowView(i)
		for j := range d {
			v := float32(omegaT.At(i, j))
			o.t32.Data[i*d+j] = v
			row[j] = float64(v)
		}
	}
	o.panel, o.w = transposePanel[float32](o.T.RawMatrix().Data, d, m, d, panel32)
	return o
}

// Scratch32 returns the length of the float32 scratch the kernels of an m×d Omega32 need:
// a chunk of RowChunk centred frames, its sketch rows and a block's product.
func Scratch32(m, d int) int { return RowChunk*d + RowChunk*m + m*d }

// CoMomentFrames returns the CoMoment of the n×d float32 rows of data (n ≥ 1) for Ωᵀ = o.T,
// as CoMomentFrames does, and the index of the first row holding a NaN or an infinity, or
// −1 (then the CoMoment is nil). The mean and M2 are computed in float64 as there; the
// rows are centred about the block mean in float64 and rounded to float32, and
// P = (Xc·Ω)ᵀ·Xc is computed with float32 products; sparse row chunks (sparse.go) are
// multiplied as they are and corrected about the block mean. scratch must hold
// Scratch32(m, d) values or be nil (then it is allocated). sb (nil: none) keeps the
// sparse forms of the block for later passes over the same frames. Merge the result with
// CoMomentMerger{OmegaT: o.T}. It allocates P, the mean and M2.
func (o Omega32) CoMomentFrames(data []float32, n, d int, scratch []float32, sb *SparseBlock) (*CoMoment, int) {
	if len(data) != n*d || n < 1 || o.t32.Cols != d {
		panic(fmt.Sprintf("linalg: Omega32.CoMomentFrames: %d values for %d×%d frames, Ωᵀ of %d columns", len(data), n, d, o.t32.Cols))
	}
	// The sparse forms first: the mean takes the column sums of the sparse chunks from
	// them. Without sb they are kept for this block only.
	if sb == nil {
		sb = &SparseBlock{}
	}
	sb.fill(data, n, d)
	p := &CoMoment{}
	if bad := p.setMeanSparse(data, n, d, sb); bad >= 0 {
		return nil, bad
	}
	p.P, _ = o.Shift(p.Mean).product(nil, data, n, d, scratch, sb, &p.Moments)
	return p, -1
}

// ProductFrames returns P = (Xc·Ω)ᵀ·Xc (m×d) for the n×d float32 rows of data (n ≥ 1)
// centred about shift (d values), Xc = X − 1·shiftᵀ, and the index of the first row whose
// sketch row is not finite, or −1 (then P is nil). It never copies the frames: with
// c = Ωᵀ·shift,
//
//	Y = X·Ω − 1·cᵀ,   P = Yᵀ·X − (Yᵀ·1)·shiftᵀ
//
// where X·Ω and Yᵀ·X are float32 products of the frames as they are (sgemm) and the
// corrections are made in float64. The rounding errors of the float32 products are then
// relative to the magnitude of the frames rather than to their spread about shift, larger
// than those of centred products by the ratio of the two (|shift|/σ, about 1 to 10 for
// detector counts), which an intermediate pass of a subspace iteration tolerates. A NaN or
// an infinity in a frame makes its sketch row non-finite (unless the rows of Ω of those
// pixels are exactly zero). Partials about the same shift add up: merge them with
// SumMerger. scratch must hold Scratch32(m, d) values or be nil. It allocates P. It is
// o.Shift(shift).ProductFramesTo(nil, …); a pass over many blocks should call Shift once.
func (o Omega32) ProductFrames(data []float32, n, d int, shift []float64, scratch []float32) (*mat.Dense, int) {
	if len(shift) != o.t32.Cols {
		panic(fmt.Sprintf("linalg: Omega32.ProductFrames: %d shifts for Ωᵀ of %d columns", len(shift), o.t32.Cols))
	}
	return o.Shift(shift).ProductFramesTo(nil, data, n, d, scratch, nil)
}

// Shifted32 is an Omega32 with a shift and the correction c = Ωᵀ·shift computed once,
// for the ProductFrames of every block of a pass.
type Shifted32 struct {
	o     Omega32
	shift []float64
	c     []float64
}

// Shift returns o with shift (D values, not copied) and c = Ωᵀ·shift. It panics if shift
// does not have D values.
func (o Omega32) Shift(shift []float64) Shifted32 {
	m, d := o.t32.Rows, o.t32.Cols
	if len(shift) != d {
		panic(fmt.Sprintf("linalg: Omega32.Shift: %d shifts for Ωᵀ of %d columns", len(shift), d))
	}
	c := make([]float64, m)
	for i := range m {
		row := o.T.RawRowView(i)
		var t float64
		for j, v := range shift {
			t += row[j] * v
		}
		c[i] = t
	}
	return Shifted32{o: o, shift: shift, c: c}
}

// ProductFramesTo is Omega32.ProductFrames about the shift of s, with the product stored
// in dst (m×d; zero-value or nil: allocated; its previous values are overwritten) and
// returned, and the sparse forms of the block kept in or read from sb (nil: none). It
// panics if dst is not empty and not m×d.
func (s Shifted32) ProductFramesTo(dst *mat.Dense, data []float32, n, d int, scratch []float32, sb *SparseBlock) (*mat.Dense, int) {
	return s.product(dst, data, n, d, scratch, sb, nil)
}

// product runs the row chunks of a block and returns P (in dst, as ProductFramesTo) and
// the first row whose sketch row is not finite, or −1. A chunk sparse enough (sparse.go)
// is multiplied as it is by the sparse kernels; a dense one with sgemm, as it is if mom is
// nil, else centred about mom.Mean into the scratch (then its products need no
// correction). With mom, the sums of squared deviations of every chunk are added to
// mom.M2. The products of the chunks taken as they are get the rank-one
// corrections about the shift: Y = X·Ω − 1·cᵀ, P −= (Yᵀ·1)·shiftᵀ.
func (s Shifted32) product(dst *mat.Dense, data []float32, n, d int, scratch []float32, sb *SparseBlock, mom *Moments) (*mat.Dense, int) {
	o, c := s.o, s.c
	if len(data) != n*d || n < 1 || o.t32.Cols != d {
		panic(fmt.Sprintf("linalg: Omega32.ProductFrames: %d values for %d×%d frames, Ωᵀ of %d columns", len(data), n, d, o.t32.Cols))
	}
	m := o.t32.Rows
	if len(scratch) < Scratch32(m, d) {
		scratch = make([]float32, Scratch32(m, d))
	}
	xs := scratch[:RowChunk*d]
	ys := scratch[RowChunk*d : RowChunk*d+RowChunk*m]
	ps := blas32.General{Rows: m, Cols: d, Stride: d, Data: scratch[RowChunk*d+RowChunk*m : RowChunk*d+RowChunk*m+m*d]}
	sum := make([]float64, m) // Yᵀ·1 of the chunks taken as they are
	var sp *sparseState[float32]
	dense := false // whether ps holds products
	w := pPanel(m)
	// denseRows multiplies the rows [r0, r1) (at most RowChunk) with sgemm.
	denseRows := func(r0, r1 int) int {
		rows := r1 - r0
		chunk := data[r0*d : r1*d]
		x := blas32.General{Rows: rows, Cols: d, Stride: d, Data: chunk}
		if mom != nil {
			centerRows(xs, chunk, rows, mom)
			x.Data = xs[:rows*d]
		}
		yc := blas32.General{Rows: rows, Cols: m, Stride: m, Data: ys[:rows*m]}
		beta := float32(0)
		for c := 0; c < d; c += yChunk {
			e := min(c+yChunk, d)
			blas32.Gemm(blas.NoTrans, blas.Trans, 1, cols32(x, c, e), cols32(o.t32, c, e), beta, yc)
			beta = 1
		}
		if mom == nil {
			if bad := correctRows(yc.Data, rows, c, sum); bad >= 0 {
				return bad
			}
		}
		beta = 0
		if dense {
			beta = 1
		}
		for c := 0; c < d; c += w {
			e := min(c+w, d)
			blas32.Gemm(blas.Trans, blas.NoTrans, 1, yc, cols32(x, c, e), beta, cols32(ps, c, e))
		}
		dense = true
		return -1
	}
	sparse := func(_ int, a *csc) int {
		if sp == nil {
			sp = getSparse[float32](&sparsePools[0], d, o.w)
		}
		if mom != nil {
			a.addM2(mom)
		}
		return sparse32Rows(sp, o, a, c, sum)
	}
	if bad := walkChunks(sb, data, n, d, sparse, denseRows); bad >= 0 {
		return nil, bad
	}
	p := denseTo(dst, m, d, "Omega32.ProductFramesTo")
	raw := p.RawMatrix()
	var base []float32
	if dense {
		base = ps.Data
	}
	if sp == nil {
		assemble[float32](raw.Data, raw.Stride, base, false, nil, 0, sum, s.shift)
		return p, -1
	}
	assemble(raw.Data, raw.Stride, base, false, sp.pt, o.w, sum, s.shift)
	sparsePools[0].Put(sp)
	return p, -1
}

// centerRows stores the rows of src (rows×D) minus mom.Mean, rounded to float32, in dst,
// and adds their squared deviations, in float64, to mom.M2.
func centerRows(dst, src []float32, rows int, mom *Moments) {
	d := len(mom.Mean)
	for i := range rows {
		row := src[i*d : (i+1)*d]
		out := dst[i*d : (i+1)*d]
		out, mean, m2 := out[:len(row)], mom.Mean[:len(row)], mom.M2[:len(row)]
		for j, v := range row {
			c := float64(v) - mean[j]
			out[j] = float32(c)
			m2[j] += c * c
		}
	}
}

// correctRows moves the float32 sketch rows y (rows×m) by −c, rounding to float32, and
// adds them to sum. It returns the first row holding a value that is not finite, or −1.
func correctRows(y []float32, rows int, c, sum []float64) int {
	m := len(c)
	for i := range rows {
		row := y[i*m : (i+1)*m]
		for k, v := range row {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return i
			}
			t := float32(float64(v) - c[k])
			row[k] = t
			sum[k] += float64(t)
		}
	}
	return -1
}

// denseTo returns dst if it is r×c, a new r×c matrix if dst is nil or empty, and panics
// otherwise, naming fn.
func denseTo(dst *mat.Dense, r, c int, fn string) *mat.Dense {
	if dst == nil || dst.IsEmpty() {
		return mat.NewDense(r, c, nil)
	}
	if dr, dc := dst.Dims(); dr != r || dc != c {
		panic(fmt.Sprintf("linalg: %s: destination is %d×%d, want %d×%d", fn, dr, dc, r, c))
	}
	return dst
}

// cols32 is a view of columns [c, e) of a (a.Rows ≥ 1).
func cols32(a blas32.General, c, e int) blas32.General {
	return blas32.General{Rows: a.Rows, Cols: e - c, Stride: a.Stride, Data: a.Data[c : (a.Rows-1)*a.Stride+e]}
}
