package linalg

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// TopEigen returns the k largest eigenvalues of the symmetric n×n matrix a, in
// decreasing order, and their orthonormal eigenvectors (n×k). It reads the upper triangle
// of a and leaves a unchanged; it allocates an n×n copy of a and, for the Krylov route,
// two n×MaxBasis bases. It panics unless 0 < k ≤ n.
//
// For n ≤ s.DenseMax it is TopEigenSym. Above, a block Lanczos iteration with full
// reorthogonalisation and thick restarts (see krylov) runs on the explicit matrix, its
// products being matrix–matrix products (dgemm), until the residuals of the Ritz pairs
// bound the errors: the angle of the top-k subspace and of every vector whose eigenvalue
// is separated by less than 1e-10 rad, and the eigenvalues within 1e-12·λ_k, unless the
// residual reached the rounding level 4·ε·√n·‖a‖ of the dense route. Its cost is a few
// dozen products of a with an n×b block against the O(n³) memory-bound reduction of
// the dense route: seconds rather than minutes at n = 8192. If the test is not met
// within s.MaxProducts (eigenvalues clustered at k converge slowly), TopEigenSym runs
// after all (Status TopFallback), so the result is never less accurate than the dense
// route's. The start block is fixed and every step is a function of the input bits
// alone, so equal inputs give equal bits. It returns ErrNoConvergence if the dense route
// fails.
func TopEigen(a mat.Symmetric, k int, s TopSettings) (TopResult, error) {
	n := a.SymmetricDim()
	if k < 1 || k > n {
		panic(fmt.Sprintf("linalg: TopEigen: %d eigenvectors of a %d×%d matrix", k, n, n))
	}
	b, mx, budget, dense := s.resolve(n, k)
	res := TopResult{Status: TopDense}
	if !dense {
		st, ok := topKrylov(symOp{fullSym(a)}, k, b, mx, budget)
		if ok {
			return st, nil
		}
		res = st
		res.Status = TopFallback
	}
	vals, vecs, err := TopEigenSym(a, k)
	if err != nil {
		return TopResult{}, err
	}
	res.Values, res.Vectors = vals[:k], vecs
	return res, nil
}

// symOp is the operator of a full symmetric matrix.
type symOp struct{ a blas64.General }

func (o symOp) dim() int { return o.a.Rows }

func (o symOp) mul(dst, x blas64.General) {
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, o.a, x, 0, dst)
}

func (o symOp) start(z blas64.General) { fixedRandom(z.Data, 1) }

func (o symOp) accept(rz ritz, k int) ([]float64, *mat.Dense, bool) {
	if !topTest(rz.theta, rz.r, k, topFloorOf(o.a.Rows)) {
		return nil, nil, false
	}
	return rz.theta[:k:k], mat.DenseCopyOf(rz.y.Slice(0, o.a.Rows, 0, k)), true
}

// fullSym returns both triangles of a from its upper triangle, transposed by tiles
// of 64×64 so that the lower triangle is written in cache-sized pieces.
func fullSym(a mat.Symmetric) blas64.General {
	n := a.SymmetricDim()
	f := blas64.General{Rows: n, Cols: n, Stride: n, Data: make([]float64, n*n)}
	if raw, ok := a.(mat.RawSymmetricer); ok && raw.RawSymmetric().Uplo == blas.Upper {
		r := raw.RawSymmetric()
		for i := range n {
			copy(f.Data[i*n+i:(i+1)*n], r.Data[i*r.Stride+i:i*r.Stride+n])
		}
	} else {
		for i := range n {
			for j := i; j < n; j++ {
				f.Data[i*n+j] = a.At(i, j)
			}
		}
	}
	const tile = 64
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := 0; j0 <= i0; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				for j := j0; j < min(j0+tile, i); j++ {
					f.Data[i*n+j] = f.Data[j*n+i]
				}
			}
		}
	}
	return f
}

// TopEigenSym returns every eigenvalue of the symmetric n×n matrix a in decreasing order
// and the orthonormal eigenvectors of the k largest as the columns of vecs (n×k). It
// reads the upper triangle of a and leaves a unchanged.
//
// It is the route of LAPACK's dsyevx for a few eigenvectors: a = Q·T·Qᵀ with T
// tridiagonal (Dsytrd), all eigenvalues of T by the root-free QR iteration (Dsterf),
// the k eigenvectors of T by inverse iteration with the vectors of close eigenvalues
// (within 1e-3·‖T‖, as dstein) reorthogonalised, and back to a's basis by the reflectors
// of Q. Next to EigenSym it skips the O(n³) accumulation of all n eigenvectors, the
// larger part of EigenSym's time above n ≈ 1000. The result is deterministic: the start
// vectors of the inverse iteration are fixed. It returns ErrNoConvergence if Dsterf fails.
func TopEigenSym(a mat.Symmetric, k int) (vals []float64, vecs *mat.Dense, err error) {
	n := a.SymmetricDim()
	if k < 0 || k > n {
		panic(fmt.Sprintf("linalg: TopEigenSym: %d eigenvectors of a %d×%d matrix", k, n, n))
	}
	if n == 0 {
		return nil, &mat.Dense{}, nil
	}
	impl := gonum.Implementation{}
	// The lower triangle of a, row-major: Dsytrd(Lower) keeps its reflectors there.
	low := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			low[i*n+j] = a.At(i, j)
		}
	}
	d, e, tau := make([]float64, n), make([]float64, max(n-1, 1)), make([]float64, max(n-1, 1))
	work := []float64{0}
	impl.Dsytrd(blas.Lower, n, low, n, d, e, tau, work, -1)
	work = make([]float64, int(work[0]))
	impl.Dsytrd(blas.Lower, n, low, n, d, e, tau, work, len(work))

	asc := slices.Clone(d)
	if !impl.Dsterf(n, asc, slices.Clone(e)) {
		return nil, nil, ErrNoConvergence
	}
	vals = make([]float64, n)
	for i, v := range asc {
		vals[n-1-i] = v
	}
	t := tridiag{d: d, e: e[:n-1]}
	vecs = mat.NewDense(n, k, nil)
	t.inverseIteration(vals[:k], vecs)
	applyReflectors(low, tau, n, vecs)
	return vals, vecs, nil
}

// tridiag is a symmetric tridiagonal matrix: diagonal d, off-diagonal e.
type tridiag struct{ d, e []float64 }

// norm returns the largest absolute row sum of t.
func (t tridiag) norm() float64 {
	n := len(t.d)
	var m float64
	for i := range n {
		s := math.Abs(t.d[i])
		if i > 0 {
			s += math.Abs(t.e[i-1])
		}
		if i < n-1 {
			s += math.Abs(t.e[i])
		}
		m = max(m, s)
	}
	return m
}

// inverseIteration stores in the columns of x the unit eigenvectors of t for the
// eigenvalues lambda, in their order: three steps of inverse iteration each from a fixed
// start vector, each step's vector reorthogonalised against those of the eigenvalues
// before it within 1e-3·‖t‖ of its own.
func (t tridiag) inverseIteration(lambda []float64, x *mat.Dense) {
	n := len(t.d)
	norm := t.norm()
	if norm == 0 {
		norm = 1
	}
	eps := math.Nextafter(1, 2) - 1
	v := make([]float64, n)
	lu := newTriLU(n)
	for j, l := range lambda {
		// A shift a few ulp of ‖t‖ off the eigenvalue keeps the factors finite.
		lu.factor(t, l+2*eps*norm)
		fixedRandom(v, uint64(j))
		for range 3 {
			lu.solve(v)
			for c := j - 1; c >= 0 && math.Abs(lambda[c]-l) <= 1e-3*norm; c-- {
				col := mat.Col(nil, c, x)
				dot := 0.0
				for i := range v {
					dot += v[i] * col[i]
				}
				for i := range v {
					v[i] -= dot * col[i]
				}
			}
			scale := 0.0
			for _, vi := range v {
				scale += vi * vi
			}
			scale = 1 / math.Sqrt(scale)
			for i := range v {
				v[i] *= scale
			}
		}
		x.SetCol(j, v)
	}
}

// triLU is the LU factorization with partial pivoting of a tridiagonal matrix minus a
// shift, as LAPACK's dgttrf: L unit lower bidiagonal with row swaps, U with two
// superdiagonals.
type triLU struct {
	dl, dd, du, du2 []float64
	swap            []bool
}

func newTriLU(n int) *triLU {
	return &triLU{dl: make([]float64, n), dd: make([]float64, n), du: make([]float64, n), du2: make([]float64, n), swap: make([]bool, n)}
}

// factor factorizes t − mu·I; a zero pivot is replaced by the smallest normal number
// times ‖t‖ (the shifted matrix is singular to working precision there, which inverse
// iteration wants).
func (f *triLU) factor(t tridiag, mu float64) {
	n := len(t.d)
	tiny := math.SmallestNonzeroFloat64 * (1 << 52) * max(t.norm(), 1)
	for i := range n {
		f.dd[i] = t.d[i] - mu
		f.du2[i], f.swap[i] = 0, false
		if i < n-1 {
			f.dl[i], f.du[i] = t.e[i], t.e[i]
		}
	}
	for i := 0; i < n-1; i++ {
		if math.Abs(f.dd[i]) >= math.Abs(f.dl[i]) {
			if f.dd[i] == 0 {
				f.dd[i] = tiny
			}
			fact := f.dl[i] / f.dd[i]
			f.dl[i] = fact
			f.dd[i+1] -= fact * f.du[i]
			continue
		}
		fact := f.dd[i] / f.dl[i]
		f.dd[i] = f.dl[i]
		f.dl[i] = fact
		tmp := f.du[i]
		f.du[i] = f.dd[i+1]
		f.dd[i+1] = tmp - fact*f.dd[i+1]
		if i < n-2 {
			f.du2[i] = f.du[i+1]
			f.du[i+1] = -fact * f.du[i+1]
		}
		f.swap[i] = true
	}
	if f.dd[n-1] == 0 {
		f.dd[n-1] = tiny
	}
}

// solve overwrites b with the solution of the factorized system.
func (f *triLU) solve(b []float64) {
	n := len(b)
	for i := 0; i < n-1; i++ {
		if f.swap[i] {
			b[i], b[i+1] = b[i+1], b[i]-f.dl[i]*b[i+1]
		} else {
			b[i+1] -= f.dl[i] * b[i]
		}
	}
	b[n-1] /= f.dd[n-1]
	if n > 1 {
		b[n-2] = (b[n-2] - f.du[n-2]*b[n-1]) / f.dd[n-2]
	}
	for i := n - 3; i >= 0; i-- {
		b[i] = (b[i] - f.du[i]*b[i+1] - f.du2[i]*b[i+2]) / f.dd[i]
	}
}

// applyReflectors overwrites x (n×k) with Q·x, Q = H_0·H_1·…·H_{n−2} of Dsytrd(Lower)
// on the row-major n×n matrix low: H_i = I − tau_i·v·vᵀ with v[i+1] = 1 and v[i+2:] in
// column i of low below the subdiagonal.
func applyReflectors(low, tau []float64, n int, x *mat.Dense) {
	_, k := x.Dims()
	raw := x.RawMatrix()
	w := make([]float64, k)
	v := make([]float64, n)
	for i := n - 2; i >= 0; i-- {
		if tau[i] == 0 {
			continue
		}
		v[i+1] = 1
		for r := i + 2; r < n; r++ {
			v[r] = low[r*n+i]
		}
		clear(w)
		for r := i + 1; r < n; r++ {
			row := raw.Data[r*raw.Stride : r*raw.Stride+k]
			for c, xv := range row {
				w[c] += v[r] * xv
			}
		}
		for r := i + 1; r < n; r++ {
			row := raw.Data[r*raw.Stride : r*raw.Stride+k]
			s := tau[i] * v[r]
			for c := range row {
				row[c] -= s * w[c]
			}
		}
	}
}
