package linalg

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// CenteredR is the summary of a set of rows x_i of a data matrix with D columns for a TSQR
// of the centred data: their Moments and an upper-trapezoidal factor R (k×D) with a
// non-negative diagonal and RᵀR = Σ_i (x_i − mean)(x_i − mean)ᵀ, the co-moment matrix, so
// that the singular values and right singular vectors of R are those of the centred rows.
// A block of n rows gives k = min(n, D); every merge stacks one more row (the centring
// row), so k = min(N + merges, D) ≥ min(N, D).
type CenteredR struct {
	Moments
	R *mat.Dense // k×D, k ≤ D; nil when N is 0
}

// CenteredRFrames returns the CenteredR of the n×d float32 rows of data (n ≥ 1) and the
// index of the first row holding a NaN or an infinity, or −1 (then the CenteredR is nil).
// The rows are centred about their mean into a float64 copy, which is factorized in place
// by Householder QR: about 2·n·d·min(n, d) operations. It allocates the copy, R, the mean
// and M2.
func CenteredRFrames(data []float32, n, d int) (*CenteredR, int) {
	if len(data) != n*d || n < 1 {
		panic(fmt.Sprintf("linalg: CenteredRFrames: %d values for %d×%d frames", len(data), n, d))
	}
	p := &CenteredR{}
	if bad := p.setMean(data, n, d); bad >= 0 {
		return nil, bad
	}
	x := blas64.General{Rows: n, Cols: d, Stride: d, Data: make([]float64, n*d)}
	centerTo(x.Data, data, n, d, p.Mean, p.M2)
	tau := householder(x)
	p.R = upperR(x, make([]float64, len(tau)))
	return p, -1
}

// CenteredRMerger merges CenteredR partials along the block tree. The R of the union of
// two sets of rows is the R factor of the stacked matrix
//
//	[ R_a ; R_b ; √w·δᵀ ],  δ = mean_b − mean_a,  w = n_a·n_b/n,
//
// because its Gram matrix is the co-moment update of Chan, Golub & LeVeque (1979); this is
// the TSQR reduction step of Demmel, Grigori, Hoemmen & Langou (2012) with a centring row.
// It implements collective.Merger.
type CenteredRMerger struct{}

// Merge implements collective.Merger. It returns a with a new R; it does not retain b.
func (CenteredRMerger) Merge(a, b *CenteredR) *CenteredR {
	if b.N == 0 {
		return a
	}
	if a.N == 0 {
		a.Moments.merge(&b.Moments)
		a.R = mat.DenseCopyOf(b.R)
		return a
	}
	ra, d := a.R.Dims()
	rb, db := b.R.Dims()
	if d != db {
		panic(fmt.Sprintf("linalg: merging R factors of %d and %d columns", d, db))
	}
	delta, w := a.Moments.merge(&b.Moments)
	rows := ra + rb + 1
	st := mat.NewDense(rows, d, nil)
	st.Slice(0, ra, 0, d).(*mat.Dense).Copy(a.R)
	st.Slice(ra, ra+rb, 0, d).(*mat.Dense).Copy(b.R)
	sw := math.Sqrt(w)
	last := st.RawRowView(rows - 1)
	for j, v := range delta {
		last[j] = sw * v
	}
	sr := st.RawMatrix()
	tau := householder(sr)
	a.R = upperR(sr, make([]float64, len(tau)))
	return a
}

// Encode implements collective.Merger.
func (CenteredRMerger) Encode(dst []byte, p *CenteredR) []byte {
	return appendDense(p.Moments.appendTo(dst), p.R)
}

// Decode implements collective.Merger.
func (CenteredRMerger) Decode(b []byte) (*CenteredR, error) {
	r := &reader{b: b}
	p := &CenteredR{}
	p.Moments.read(r)
	p.R = r.dense()
	if err := r.done(); err != nil {
		return nil, err
	}
	if p.N > 0 && (p.R == nil || p.R.RawMatrix().Cols != p.D()) {
		return nil, fmt.Errorf("linalg: partial of %d columns with an R of the wrong size", p.D())
	}
	return p, nil
}

// SumMerger adds equally shaped matrices along the block tree, for products such as
// Qᵀ·X summed over blocks of rows. It implements collective.Merger.
type SumMerger struct{}

// Merge implements collective.Merger: a += b, element by element. It panics if the
// shapes differ.
func (SumMerger) Merge(a, b *mat.Dense) *mat.Dense {
	ar, ac := a.Dims()
	if br, bc := b.Dims(); ar != br || ac != bc {
		panic(fmt.Sprintf("linalg: adding a %d×%d to a %d×%d matrix", br, bc, ar, ac))
	}
	ra, rb := a.RawMatrix(), b.RawMatrix()
	for i := range ar {
		x := ra.Data[i*ra.Stride : i*ra.Stride+ac]
		y := rb.Data[i*rb.Stride : i*rb.Stride+ac]
		floats.Add(x, y) // x + 1·y: the bits of x + y, with SIMD
	}
	return a
}

// Encode implements collective.Merger.
func (SumMerger) Encode(dst []byte, a *mat.Dense) []byte { return appendDense(dst, a) }

// Decode implements collective.Merger.
func (SumMerger) Decode(b []byte) (*mat.Dense, error) {
	r := &reader{b: b}
	a := r.dense()
	if err := r.done(); err != nil {
		return nil, err
	}
	if a == nil {
		return nil, errShort
	}
	return a, nil
}
