package linalg

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// TopSettings are the options of TopEigen and TopSVD. The zero value is the default.
type TopSettings struct {
	// Block is the width b of the Krylov block. Zero means max(k + 10, 2k), at most n/4.
	Block int
	// MaxBasis is the largest number of basis vectors before a thick restart. Zero means
	// max(8b, 256), at most n/2 (TopSVD: twice that, with n = min(r, c)).
	MaxBasis int
	// MaxProducts is the budget of operator products (counted in vectors) before the
	// dense route takes over. Zero means max(n, 64b) (TopSVD: twice that); a negative
	// value means the dense route after the first block step (for tests of the fallback).
	MaxProducts int
	// DenseMax is the largest n solved by the dense route directly. Zero means
	// TopDenseMax; a negative value means none.
	DenseMax int
}

// TopDenseMax is the default TopSettings.DenseMax: measured with OpenBLAS on one thread
// on a covariance-like matrix (BenchmarkEigen, k = 16), the dense route takes 56 ms at
// n = 512 and 203 ms at n = 768, the Krylov solver 190 ms and 160 ms.
const TopDenseMax = 700

// TopStatus says how a top-k result was computed.
type TopStatus int

const (
	// TopKrylov: the block Krylov iteration met its a-posteriori tolerances.
	TopKrylov TopStatus = iota
	// TopDense: the dense route, because n ≤ DenseMax or the block is too wide for n.
	TopDense
	// TopFallback: the dense route, because the Krylov iteration spent its budget
	// without meeting the tolerances (clustered eigenvalues at k).
	TopFallback
)

func (s TopStatus) String() string {
	switch s {
	case TopKrylov:
		return "krylov"
	case TopDense:
		return "dense"
	case TopFallback:
		return "fallback"
	}
	return "TopStatus(?)"
}

// TopResult is the outcome of TopEigen and TopSVD.
type TopResult struct {
	// Values are the k largest eigenvalues (TopEigen) or singular values (TopSVD), in
	// decreasing order.
	Values []float64
	// Vectors is n×k: the matching orthonormal eigenvectors (TopEigen) or right singular
	// vectors (TopSVD) as columns.
	Vectors *mat.Dense
	Status  TopStatus
	// Iter is the number of block steps and Products the number of vectors multiplied by
	// the operator (A, or Mᵀ·M counted once) in the Krylov iteration.
	Iter, Products int
}

// Tolerances of the a-posteriori test of the Krylov iteration. With r_i the residual
// norm ‖A·y_i − θ_i·y_i‖ of the Ritz pair (θ_i, y_i), R = [r_1 … r_k] and δ the gap
// between θ_k and the rest of the spectrum, the Davis–Kahan sin Θ theorem bounds the
// angle of the top-k subspace by ‖R‖_F/δ and the eigenvalue errors by min(‖R‖, ‖R‖²/δ).
const (
	// topAngle is the angle asked of the subspace and of each vector whose eigenvalue
	// is separated from its neighbours: 100 times below the 1e-8 rad that PCA promises.
	topAngle = 1e-10
	// topValue is the relative eigenvalue error asked of θ_k (and so of the larger ones).
	topValue = 1e-12
	// topFloor, times ε·√n·‖A‖, is the residual below which no test asks to go: the
	// rounding error of computing A·y itself, and the backward error of the dense route.
	topFloor = 4
)

// topOp is a symmetric operator of dimension dim: mul stores A·x in dst (dim×c), start
// fills the start block (zero on entry) with fixed pseudo-random values, and accept
// returns the k largest eigenvalues (or singular values) and vectors from the Ritz
// pairs of A if they pass the a-posteriori test.
type topOp interface {
	dim() int
	mul(dst, x blas64.General)
	start(z blas64.General)
	accept(rz ritz, k int) ([]float64, *mat.Dense, bool)
}

// krylov is a block Lanczos iteration with full reorthogonalisation, explicit
// Rayleigh–Ritz and thick restarts. Q holds the orthonormal basis, W = A·Q and
// H = Qᵀ·W the projected matrix, all kept explicitly (not by the three-term
// recurrence), so the Ritz pairs and their residuals are exact up to rounding whatever
// the loss of orthogonality a recurrence would suffer.
type krylov struct {
	op          topOp
	n, k, b, mx int
	q, w, h     *mat.Dense // n×mx, n×mx, mx×mx
	m           int        // basis vectors in use
	products    int
	iter        int
}

// ritz is the Rayleigh–Ritz result of one step: all Ritz values (decreasing), the first
// p Ritz vectors y (n×p) and their residual norms ‖A·y_j − θ_j·y_j‖.
type ritz struct {
	theta []float64
	y     *mat.Dense
	r     []float64
}

// run iterates until the top k Ritz pairs pass the a-posteriori test of the operator,
// and returns its values and vectors, or false when the budget of products is spent.
func (kr *krylov) run(budget int) ([]float64, *mat.Dense, bool) {
	z := mat.NewDense(kr.n, kr.b, nil)
	kr.op.start(z.RawMatrix())
	kr.orthonormalize(z.RawMatrix())
	keep := max(kr.k+1, kr.mx/2)
	for {
		kr.append(z.RawMatrix())
		kr.iter++
		rz := kr.rayleighRitz(kr.k + 1)
		if rz.r != nil {
			if vals, vecs, ok := kr.op.accept(rz, kr.k); ok {
				return vals, vecs, true
			}
		}
		if kr.products >= budget {
			return nil, nil, false
		}
		// The next block: A times the newest one, orthogonal to the basis.
		z = mat.DenseCopyOf(kr.w.Slice(0, kr.n, kr.m-kr.b, kr.m))
		kr.orthonormalize(z.RawMatrix())
		if kr.m+kr.b > kr.mx && !kr.restart(keep) {
			return nil, nil, false
		}
	}
}

// append adds the orthonormal block z to the basis: W gets A·z, H its new rows and
// columns.
func (kr *krylov) append(z blas64.General) {
	m, c := kr.m, z.Cols
	qz := cols(kr.q.RawMatrix(), m, m+c)
	for i := range kr.n {
		copy(qz.Data[i*qz.Stride:i*qz.Stride+c], z.Data[i*z.Stride:i*z.Stride+c])
	}
	wz := cols(kr.w.RawMatrix(), m, m+c)
	kr.op.mul(wz, qz)
	kr.products += c
	hr := kr.h.RawMatrix()
	hc := blas64.General{Rows: m + c, Cols: c, Stride: hr.Stride, Data: hr.Data[m:]}
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, cols(kr.q.RawMatrix(), 0, m+c), wz, 0, hc)
	for i := range m + c {
		for j := m; j < m+c; j++ {
			if i >= m && i > j {
				continue
			}
			v := hr.Data[i*hr.Stride+j]
			if i >= m {
				v = (v + hr.Data[j*hr.Stride+i]) / 2
				hr.Data[i*hr.Stride+j] = v
			}
			hr.Data[j*hr.Stride+i] = v
		}
	}
	kr.m += c
}

// rayleighRitz returns the Ritz values of the basis and the first p Ritz vectors with
// their images and residual norms; r is nil if the eigensolver of H fails.
func (kr *krylov) rayleighRitz(p int) ritz {
	theta, s, err := TopEigenSym(kr.projected(), p)
	if err != nil {
		return ritz{theta: theta}
	}
	m := kr.m
	rz := ritz{theta: theta, y: mat.NewDense(kr.n, p, nil), r: make([]float64, p)}
	var ayd mat.Dense
	rz.y.Mul(kr.q.Slice(0, kr.n, 0, m), s)
	ayd.Mul(kr.w.Slice(0, kr.n, 0, m), s)
	y, ay := rz.y.RawMatrix(), ayd.RawMatrix()
	for i := range kr.n {
		yr, ar := y.Data[i*y.Stride:i*y.Stride+p], ay.Data[i*ay.Stride:i*ay.Stride+p]
		for j, t := range theta[:p] {
			d := ar[j] - t*yr[j]
			rz.r[j] += d * d
		}
	}
	for j, v := range rz.r {
		rz.r[j] = math.Sqrt(v)
	}
	return rz
}

// projected returns a copy of H = Qᵀ·A·Q (m×m).
func (kr *krylov) projected() *mat.SymDense {
	m := kr.m
	h := mat.NewSymDense(m, nil)
	hr, sr := kr.h.RawMatrix(), h.RawSymmetric()
	for i := range m {
		copy(sr.Data[i*sr.Stride+i:i*sr.Stride+m], hr.Data[i*hr.Stride+i:i*hr.Stride+m])
	}
	return h
}

// topFloorOf is the residual floor of topTest for dimension n.
func topFloorOf(n int) float64 { return topFloor * eps * math.Sqrt(float64(n)) }

// topTest reports whether the top k Ritz values theta (all of them, decreasing) with the
// residual norms r (at least k+1) meet the tolerances: the residuals
// bound the subspace angle by topAngle, each separated vector's angle by topAngle and
// the eigenvalue error by topValue·θ_k, or reach floor·‖A‖.
func topTest(theta, r []float64, k int, floor float64) bool {
	nrm := max(math.Abs(theta[0]), math.Abs(theta[len(theta)-1]))
	fl := floor * nrm
	gap := func(i, j int) float64 { // θ_i − θ_j less the uncertainty of θ_j, i < j
		return theta[i] - theta[j] - r[j]
	}
	var rf float64
	for i := range k {
		rf += r[i] * r[i]
		d := gap(i, i+1)
		if i > 0 {
			d = min(d, theta[i-1]-theta[i]-r[i-1])
		}
		if r[i] > max(topAngle*d, fl) {
			return false
		}
	}
	rf = math.Sqrt(rf)
	d := gap(k-1, k)
	if rf > max(topAngle*d, math.Sqrt(float64(k))*fl) {
		return false
	}
	e := rf
	if d > 0 {
		e = min(e, rf*rf/d)
	}
	return e <= max(topValue*math.Abs(theta[k-1]), fl)
}

// restart keeps the first p Ritz vectors as the basis: Q = Q·S, W = W·S, H = diag(θ).
// It reports false if the eigensolver of H fails.
func (kr *krylov) restart(p int) bool {
	theta, s, err := TopEigenSym(kr.projected(), p)
	if err != nil {
		return false
	}
	var t mat.Dense
	for _, a := range []*mat.Dense{kr.q, kr.w} {
		t.Mul(a.Slice(0, kr.n, 0, kr.m), s)
		a.Slice(0, kr.n, 0, p).(*mat.Dense).Copy(&t)
		t.Reset()
	}
	hr := kr.h.RawMatrix()
	for i := range kr.mx {
		clear(hr.Data[i*hr.Stride : i*hr.Stride+kr.mx])
	}
	for i := range p {
		hr.Data[i*hr.Stride+i] = theta[i]
	}
	kr.m = p
	return true
}

// orthonormalize overwrites z with an orthonormal basis of its columns orthogonal to the
// basis Q: twice (project out Q, then Householder QR), so that directions z lacks
// (rank deficiency, an invariant subspace found) are filled by vectors orthogonal to Q
// as well.
func (kr *krylov) orthonormalize(z blas64.General) {
	zd := &mat.Dense{}
	zd.SetRawMatrix(z)
	for range 2 {
		if kr.m > 0 {
			q := cols(kr.q.RawMatrix(), 0, kr.m)
			c := mat.NewDense(kr.m, z.Cols, nil)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, q, z, 0, c.RawMatrix())
			blas64.Gemm(blas.NoTrans, blas.NoTrans, -1, q, c.RawMatrix(), 1, z)
		}
		var qz mat.Dense
		ThinQR(&qz, nil, zd)
		zd.Copy(&qz)
	}
}

// eps is the unit round-off of float64.
var eps = math.Nextafter(1, 2) - 1

// fixedRandom fills v with pseudo-random values in [−1/2, 3/2) from a fixed 64-bit
// linear congruential generator seeded with seed: start vectors that depend on nothing
// but the seed (and so are the same on every rank).
func fixedRandom(v []float64, seed uint64) {
	state := seed*0x9E3779B97F4A7C15 + 1
	for i := range v {
		state = state*6364136223846793005 + 1442695040888963407
		v[i] = float64(int64(state>>11))/float64(1<<52) - 0.5
	}
}

// resolve returns the block width, the basis size and the budget of products for the k
// largest eigenpairs of an n×n operator, and whether the dense route should run at once
// (n ≤ DenseMax, or a block of k+1 vectors or more does not fit four times in n).
func (s TopSettings) resolve(n, k int) (b, mx, budget int, dense bool) {
	denseMax := s.DenseMax
	if denseMax == 0 {
		denseMax = TopDenseMax
	}
	b = s.Block
	if b == 0 {
		b = min(max(k+10, 2*k), n/4)
	}
	mx = s.MaxBasis
	if mx == 0 {
		mx = min(max(8*b, 256), n/2)
	}
	budget = s.MaxProducts
	if budget == 0 {
		budget = max(n, 64*b)
	}
	dense = n <= denseMax || b < k+1 || mx < 2*b+k+1
	return b, mx, budget, dense
}

// topKrylov runs the block Krylov iteration on op for its k largest eigenpairs. It
// returns the result and whether it passed the a-posteriori test within the budget.
func topKrylov(op topOp, k, b, mx, budget int) (TopResult, bool) {
	n := op.dim()
	kr := &krylov{op: op, n: n, k: k, b: b, mx: mx, q: mat.NewDense(n, mx, nil), w: mat.NewDense(n, mx, nil), h: mat.NewDense(mx, mx, nil)}
	vals, vecs, ok := kr.run(budget)
	return TopResult{Values: vals, Vectors: vecs, Status: TopKrylov, Iter: kr.iter, Products: kr.products}, ok
}
