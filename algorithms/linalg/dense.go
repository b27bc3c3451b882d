package linalg

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// ErrNoConvergence is returned when a small dense factorization (SVD or symmetric
// eigendecomposition) fails to converge.
var ErrNoConvergence = errors.New("linalg: dense factorization did not converge")

// The small dense factorizations below run on one goroutine with gonum's LAPACK on top of
// the BLAS implementation in use (blas64.Use). Their output is a function of the input bits
// alone, so ranks that call them on the same replicated input get the same output bits; no
// rank-dependent state enters. They allocate their results.

// SVD returns the thin singular value decomposition a = U·diag(s)·Vᵀ of an r×c matrix:
// U is r×k, s has the k = min(r, c) singular values in decreasing order and vt is k×c.
// It returns ErrNoConvergence if the LAPACK iteration fails.
func SVD(a mat.Matrix) (u *mat.Dense, s []float64, vt *mat.Dense, err error) {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, nil, nil, ErrNoConvergence
	}
	u, v := &mat.Dense{}, &mat.Dense{}
	svd.UTo(u)
	svd.VTo(v)
	return u, svd.Values(nil), mat.DenseCopyOf(v.T()), nil
}

// SingularValues returns the singular values of a in decreasing order, or
// ErrNoConvergence.
func SingularValues(a mat.Matrix) ([]float64, error) {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDNone) {
		return nil, ErrNoConvergence
	}
	return svd.Values(nil), nil
}

// EigenSym returns the eigenvalues of the symmetric matrix a in decreasing order and the
// matching orthonormal eigenvectors as the columns of vecs. It returns ErrNoConvergence
// if the LAPACK iteration fails.
func EigenSym(a mat.Symmetric) (vals []float64, vecs *mat.Dense, err error) {
	var e mat.EigenSym
	if !e.Factorize(a, true) {
		return nil, nil, ErrNoConvergence
	}
	asc := e.Values(nil)
	v := &mat.Dense{}
	e.VectorsTo(v)
	n := len(asc)
	vals = make([]float64, n)
	vecs = mat.NewDense(n, n, nil)
	for j := range n {
		vals[j] = asc[n-1-j]
		for i := range n {
			vecs.Set(i, j, v.At(i, n-1-j))
		}
	}
	return vals, vecs, nil
}

// FlipSigns applies scikit-learn's svd_flip with u_based_decision=False, the convention
// of scikit-learn's PCA from version 1.5 on, to the first k rows of vt and the first k
// columns of u: for each row i of vt, if its entry of largest absolute value (the first
// one on ties, like numpy's argmax) is negative, row i of vt and column i of u are negated.
// u may be nil or empty. It returns the signs applied. It panics if k exceeds the rows of
// vt or the columns of a non-empty u.
func FlipSigns(u, vt *mat.Dense, k int) []float64 {
	r, c := vt.Dims()
	if k > r || (u != nil && !u.IsEmpty() && k > u.RawMatrix().Cols) {
		panic(fmt.Sprintf("linalg: FlipSigns of %d vectors of a %d×%d matrix", k, r, c))
	}
	signs := make([]float64, k)
	for i := range k {
		row := vt.RawRowView(i)
		best, arg := -1.0, 0
		for j, v := range row {
			if a := math.Abs(v); a > best {
				best, arg = a, j
			}
		}
		signs[i] = 1
		if row[arg] >= 0 {
			continue
		}
		signs[i] = -1
		for j := range row {
			row[j] = -row[j]
		}
		if u != nil && !u.IsEmpty() {
			ur, _ := u.Dims()
			for j := range ur {
				u.Set(j, i, -u.At(j, i))
			}
		}
	}
	return signs
}

// PrincipalAngles returns the principal angles, in radians and increasing order, between
// the column spaces of a and b, two D×k matrices with orthonormal columns. Small angles
// come from the sines, the singular values of b − a·(aᵀb), and large ones (above π/4) from
// the cosines, the singular values of aᵀb (Björck & Golub 1973), so both ends are accurate
// to working precision. It panics if the shapes differ and returns ErrNoConvergence if an
// SVD fails.
func PrincipalAngles(a, b mat.Matrix) ([]float64, error) {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != br || ac != bc {
		panic(fmt.Sprintf("linalg: PrincipalAngles of %d×%d and %d×%d bases", ar, ac, br, bc))
	}
	var atb, res mat.Dense
	atb.Mul(a.T(), b)
	res.Mul(a, &atb)
	res.Sub(b, &res)
	cos, err := SingularValues(&atb) // decreasing: angles increasing
	if err != nil {
		return nil, err
	}
	sin, err := SingularValues(&res) // decreasing: reverse for increasing angles
	if err != nil {
		return nil, err
	}
	slices.Reverse(sin)
	angles := make([]float64, ac)
	for i := range angles {
		if s := sin[i]; s < math.Sqrt2/2 {
			angles[i] = math.Asin(s)
		} else {
			angles[i] = math.Acos(min(cos[i], 1))
		}
	}
	return angles, nil
}
