package linalg

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// TopSVD returns the k largest singular values of the r×c matrix a, in decreasing
// order, and the matching right singular vectors as the columns of a c×k matrix. It
// leaves a unchanged (a *mat.Dense is read in place, another matrix is copied). It
// panics unless 0 < k ≤ min(r, c).
//
// For min(r, c) ≤ s.DenseMax it is SVD. Above, the block Krylov iteration of TopEigen
// runs on the operator [[0, a], [aᵀ, 0]] from a start block [0; V], which is the block
// Golub–Kahan bidiagonalisation of a (see augOp): products with a and aᵀ, never aᵀa,
// whose rounding would cost the small singular values and their vectors the factor
// σ_1/σ_k in accuracy. From the converged Ritz vectors, the SVD of a·V = U·Σ·Wᵀ (r×k)
// gives the singular values with the absolute accuracy ε·σ_1 of a dense SVD, and the
// residuals ‖aᵀ·u_i − σ_i·v_i‖ of v = V·W, computed by one more product, must pass the
// tolerances of TopEigen (σ in place of λ); if they do not, the iteration goes on. When
// it spends its budget, SVD runs after all (Status TopFallback). The result is deterministic as TopEigen's. It returns
// ErrNoConvergence if a dense SVD fails.
func TopSVD(a mat.Matrix, k int, s TopSettings) (TopResult, error) {
	r, c := a.Dims()
	if k < 1 || k > min(r, c) {
		panic(fmt.Sprintf("linalg: TopSVD: %d singular vectors of a %d×%d matrix", k, r, c))
	}
	b, mx, budget, dense := s.resolve(min(r, c), k)
	if s.MaxBasis == 0 {
		mx *= 2 // a step of Mᵀ·M is two of augOp
	}
	if s.MaxProducts == 0 {
		budget *= 2
	}
	res := TopResult{Status: TopDense}
	if !dense {
		var raw blas64.General
		if d, ok := a.(*mat.Dense); ok {
			raw = d.RawMatrix()
		} else {
			raw = mat.DenseCopyOf(a).RawMatrix()
		}
		st, ok := topKrylov(augOp{m: raw}, k, b, mx, budget)
		if ok {
			return st, nil
		}
		res = st
		res.Status = TopFallback
	}
	_, sv, vt, err := SVD(a)
	if err != nil {
		return TopResult{}, err
	}
	res.Values, res.Vectors = sv[:k], mat.DenseCopyOf(vt.Slice(0, k, 0, c).T())
	return res, nil
}

// augOp is the symmetric operator [[0, M], [Mᵀ, 0]] of dimension r + c for the r×c
// matrix M: its eigenvalues are ±σ_i (and zeros), the eigenvectors of σ_i are
// [u_i; v_i]/√2. A Krylov space of it from a start block [0; V] alternates between the
// two halves, which is the Golub–Kahan bidiagonalisation: products with M and Mᵀ, never
// with MᵀM, so rounding perturbs the singular vectors by ε·σ_1/gap like a dense SVD, not
// by ε·σ_1²/gap(σ²) like the Gram operator would.
type augOp struct{ m blas64.General }

func (o augOp) dim() int { return o.m.Rows + o.m.Cols }

// half returns rows [0, r) (top) or [r, r+c) of x.
func (o augOp) half(x blas64.General, top bool) blas64.General {
	if top {
		return rawRows(x, 0, o.m.Rows)
	}
	return rawRows(x, o.m.Rows, o.m.Rows+o.m.Cols)
}

func (o augOp) mul(dst, x blas64.General) {
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, o.m, o.half(x, false), 0, o.half(dst, true))
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, o.m, o.half(x, true), 0, o.half(dst, false))
}

func (o augOp) start(z blas64.General) {
	fixedRandom(o.half(z, false).Data, 1)
}

// accept returns the k largest singular values of M and their right singular vectors
// once the Ritz pairs pass topTest: V = the orthonormalised lower halves of the Ritz
// vectors, the SVD of M·V = U·Σ·Wᵀ, V·W; if the residuals Mᵀ·U − V·W·Σ pass topTest too,
// with the gap to σ_{k+1} estimated from the Ritz value θ_{k+1} and its residual.
func (o augOp) accept(rz ritz, k int) ([]float64, *mat.Dense, bool) {
	r, c := o.m.Rows, o.m.Cols
	if !topTest(rz.theta, rz.r, k, topFloorOf(r+c)) {
		return nil, nil, false
	}
	var y mat.Dense
	ThinQR(&y, nil, rz.y.Slice(r, r+c, 0, k))
	my := mat.NewDense(r, k, nil)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, o.m, y.RawMatrix(), 0, my.RawMatrix())
	u, sv, wt, err := SVD(my)
	if err != nil {
		return nil, nil, false
	}
	var v mat.Dense
	v.Mul(&y, wt.T())
	res := mat.NewDense(c, k, nil)
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, o.m, u.RawMatrix(), 0, res.RawMatrix())
	theta := append(sv[:k:k], rz.theta[k])
	nr := make([]float64, k+1)
	for j := range k {
		var ss float64
		for i := range c {
			d := res.At(i, j) - sv[j]*v.At(i, j)
			ss += d * d
		}
		nr[j] = math.Sqrt(ss)
	}
	nr[k] = rz.r[k]
	if !topTest(theta, nr, k, topFloorOf(r+c)) {
		return nil, nil, false
	}
	return sv[:k:k], &v, true
}
