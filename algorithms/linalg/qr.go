package linalg

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// householder computes the Householder QR factorization of a in place (LAPACK dgeqrf as
// gonum implements it) and returns the min(rows, cols) reflector scales. The workspace is
// always the optimal one, so the blocking, and with it the bits, depend on the shape alone.
func householder(a blas64.General) []float64 {
	tau := make([]float64, min(a.Rows, a.Cols))
	if len(tau) == 0 {
		return tau
	}
	work := []float64{0}
	lapack64.Geqrf(a, tau, work, -1)
	work = make([]float64, max(int(work[0]), a.Cols, 1))
	lapack64.Geqrf(a, tau, work, len(work))
	return tau
}

// upperR returns the k×cols upper-trapezoidal factor R, k = min(rows, cols), of a matrix
// factorized in place by householder, with row i multiplied by sign[i] = ±1 so that its
// diagonal entry is non-negative. sign must have length k.
func upperR(a blas64.General, sign []float64) *mat.Dense {
	k := len(sign)
	if k == 0 || a.Cols == 0 {
		panic("linalg: R factor of an empty matrix")
	}
	r := mat.NewDense(k, a.Cols, nil)
	raw := r.RawMatrix()
	for i := range k {
		s := 1.0
		if math.Signbit(a.Data[i*a.Stride+i]) {
			s = -1
		}
		sign[i] = s
		src := a.Data[i*a.Stride+i : i*a.Stride+a.Cols]
		dst := raw.Data[i*raw.Stride+i : i*raw.Stride+a.Cols]
		for j, v := range src {
			dst[j] = s * v
		}
	}
	return r
}

// applyQ overwrites c (rows×n, rows = a.Rows) with Q·c, where Q = H_0·…·H_{k−1} is the
// orthogonal factor stored in a and tau by householder.
func applyQ(a blas64.General, tau []float64, c blas64.General) {
	if len(tau) == 0 || c.Cols == 0 {
		return
	}
	work := []float64{0}
	lapack64.Ormqr(blas.Left, blas.NoTrans, a, tau, c, work, -1)
	work = make([]float64, max(int(work[0]), c.Cols, 1))
	lapack64.Ormqr(blas.Left, blas.NoTrans, a, tau, c, work, len(work))
}

// ThinQR computes the thin QR factorization a = Q·R of an m×n matrix with m ≥ n by
// Householder reflections, with the diagonal of R non-negative, which makes both factors
// unique when a has full column rank. Q (m×n) has orthonormal columns to working precision
// whatever the rank of a. If q is empty it is resized to m×n; otherwise ThinQR panics
// unless q is m×n. If r is nil it is not computed; if it is empty it is resized to n×n,
// otherwise ThinQR panics unless r is n×n.
// The result depends only on the bits of a and on the BLAS implementation, so every rank
// that calls it with the same input gets the same output. It allocates a copy of a.
func ThinQR(q, r *mat.Dense, a mat.Matrix) {
	m, n := a.Dims()
	if m < n {
		panic(fmt.Sprintf("linalg: ThinQR of a %d×%d matrix: want rows ≥ columns", m, n))
	}
	if !q.IsEmpty() {
		if qr, qc := q.Dims(); qr != m || qc != n {
			panic(fmt.Sprintf("linalg: ThinQR into a %d×%d matrix, want %d×%d", qr, qc, m, n))
		}
	}
	f := mat.DenseCopyOf(a)
	fr := f.RawMatrix()
	tau := householder(fr)
	sign := make([]float64, n)
	rr := upperR(fr, sign)
	if r != nil {
		if r.IsEmpty() {
			r.ReuseAs(n, n)
		} else if nr, nc := r.Dims(); nr != n || nc != n {
			panic(fmt.Sprintf("linalg: ThinQR into a %d×%d R, want %d×%d", nr, nc, n, n))
		}
		r.Copy(rr)
	}
	work := []float64{0}
	lapack64.Orgqr(fr, tau, work, -1)
	work = make([]float64, max(int(work[0]), n, 1))
	lapack64.Orgqr(fr, tau, work, len(work))
	for i := range m {
		row := fr.Data[i*fr.Stride : i*fr.Stride+n]
		for j, s := range sign {
			row[j] *= s
		}
	}
	if q.IsEmpty() {
		q.ReuseAs(m, n)
	}
	q.Copy(f)
}
