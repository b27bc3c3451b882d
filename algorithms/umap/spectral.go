package umap

import (
	"math"

	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/rng"
	"github.com/stemreduce/stemreduce/spmd"
)

// Parameters of the spectral initialisation.
const (
	lanczosMaxIter = 300  // Krylov dimension at most (and at most N−1)
	lanczosCheck   = 5    // iterations between convergence checks
	lanczosTol     = 1e-3 // residual ‖My − θy‖ of the wanted Ritz pairs
)

// spectral returns the local rows of the two eigenvectors of the smallest non-trivial
// eigenvalues of the normalised Laplacian L = I − D^−½ W D^−½ of the pruned graph, as
// umap-learn's spectral_layout. They are the largest eigenvalues of M = D^−½ W D^−½ on the
// complement of its trivial eigenvector D^½·1, found by Lanczos with full
// reorthogonalisation (classical Gram–Schmidt applied twice) against that vector and the
// Krylov basis. Each iteration allgathers one vector for the product by M and reduces its
// inner products along the canonical block tree, so every rank computes the same bits for
// any number of ranks. ok is false if the wanted pairs did not converge within
// lanczosMaxIter iterations.
// Collective.
func spectral(c collective.Comm, plan spmd.Plan, eg *edges, seed uint64) (vecs [2][]float64, iters int, ok bool, err error) {
	nLocal, n := plan.NLocal(), plan.N
	size := c.Size()
	counts := make([]int, size)
	for r := range size {
		counts[r] = spmd.NewPlan(n, plan.B, size, r).NLocal()
	}
	dis := make([]float64, nLocal) // D^−½
	for i, d := range eg.degree {
		if d > 0 {
			dis[i] = 1 / math.Sqrt(d)
		}
	}
	disAll, err := collective.AllgathervOf(c, nil, dis, counts)
	if err != nil {
		return vecs, 0, false, err
	}
	// M in CSR by local row; the edges are sorted by head.
	indptr := make([]int, nLocal+1)
	mw := make([]float64, len(eg.head))
	for e, h := range eg.head {
		i := int(h) - plan.Beg
		indptr[i+1]++
		mw[e] = dis[i] * eg.weight[e] * disAll[eg.tail[e]]
	}
	for i := range nLocal {
		indptr[i+1] += indptr[i]
	}
	sum, err := blockSum(c, plan, 1, func(beg, end int, acc []float64) {
		for _, d := range eg.degree[beg:end] {
			acc[0] += d
		}
	})
	if err != nil {
		return vecs, 0, false, err
	}
	if !(sum[0] > 0) {
		return vecs, 0, false, nil
	}
	u0 := make([]float64, nLocal)
	inv := 1 / math.Sqrt(sum[0])
	for i, d := range eg.degree {
		u0[i] = math.Sqrt(d) * inv
	}

	// dots returns the inner products of w with every vector of basis, through the tree.
	dots := func(basis [][]float64, w []float64) ([]float64, error) {
		return blockSum(c, plan, len(basis), func(beg, end int, acc []float64) {
			for t, q := range basis {
				s := 0.0
				for r := beg; r < end; r++ {
					s += q[r] * w[r]
				}
				acc[t] = s
			}
		})
	}
	// orth makes w orthogonal to basis by classical Gram–Schmidt twice and returns the
	// coefficients removed and the norm of the result.
	orth := func(basis [][]float64, w []float64) ([]float64, float64, error) {
		var h []float64
		for pass := range 2 {
			hp, err := dots(basis, w)
			if err != nil {
				return nil, 0, err
			}
			for t, q := range basis {
				for r := range w {
					w[r] -= hp[t] * q[r]
				}
			}
			if pass == 0 {
				h = hp
			} else {
				for t := range h {
					h[t] += hp[t]
				}
			}
		}
		nn, err := dots([][]float64{w}, w)
		if err != nil {
			return nil, 0, err
		}
		return h, math.Sqrt(nn[0]), nil
	}

	w := make([]float64, nLocal)
	for i := range w {
		w[i] = rng.New(seed, rng.LanczosStart, uint64(plan.Beg+i)).Normal()
	}
	basis := [][]float64{u0}
	_, beta, err := orth(basis, w)
	if err != nil {
		return vecs, 0, false, err
	}
	if !(beta > 0) {
		return vecs, 0, false, nil
	}
	maxIter := min(n-1, lanczosMaxIter)
	var alpha, betas []float64 // T: diagonal, off-diagonal
	xAll := make([]float64, n)
	var z []float64 // eigenvectors of T, column-major by Dsteqr's row-major convention
	var m int
	for j := 0; ; j++ {
		q := make([]float64, nLocal)
		for r := range q {
			q[r] = w[r] / beta
		}
		basis = append(basis, q)
		if _, err := collective.AllgathervOf(c, xAll, q, counts); err != nil {
			return vecs, j, false, err
		}
		for i := range nLocal {
			s := 0.0
			for e := indptr[i]; e < indptr[i+1]; e++ {
				s += mw[e] * xAll[eg.tail[e]]
			}
			w[i] = s
		}
		h, nb, err := orth(basis, w)
		if err != nil {
			return vecs, j + 1, false, err
		}
		alpha = append(alpha, h[j+1])
		beta = nb
		m = j + 1
		done := beta <= 1e-10 || m >= maxIter
		if m >= 2 && (m%lanczosCheck == 0 || done) {
			d := append([]float64(nil), alpha...)
			e := append([]float64(nil), betas...)
			z = make([]float64, m*m)
			if !(gonum.Implementation{}).Dsteqr(lapack.EVTridiag, m, d, e, z, m, make([]float64, max(1, 2*m-2))) {
				return vecs, m, false, nil
			}
			// Residual of Ritz pair i: β·|last component of its eigenvector|.
			conv := true
			for _, col := range []int{m - 1, m - 2} {
				if beta*math.Abs(z[(m-1)*m+col]) > lanczosTol {
					conv = false
				}
			}
			if conv {
				break
			}
		}
		if done {
			return vecs, m, false, nil
		}
		betas = append(betas, beta)
	}
	for v, col := range []int{m - 1, m - 2} {
		y := make([]float64, nLocal)
		for t := range m {
			s := z[t*m+col]
			for r, x := range basis[t+1] {
				y[r] += s * x
			}
		}
		vecs[v] = y
	}
	return vecs, m, true, nil
}
