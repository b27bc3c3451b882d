package umap

import (
	"context"
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

// spectralOp is the operator M = D^−½ W D^−½ of the pruned graph on the local rows, in
// CSR form by local row (the edges are sorted by head).
type spectralOp struct {
	plan   spmd.Plan
	counts []int // rows of every rank
	indptr []int
	mw     []float64 // M's entries, one per edge
	tail   []int32   // their global columns
	degree []float64 // weighted degree of the local rows
}

func newSpectralOp(c collective.Comm, plan spmd.Plan, eg *edges) (*spectralOp, error) {
	nLocal, size := plan.NLocal(), c.Size()
	op := &spectralOp{plan: plan, counts: make([]int, size), indptr: make([]int, nLocal+1),
		mw: make([]float64, len(eg.head)), tail: eg.tail, degree: eg.degree}
	for r := range size {
		op.counts[r] = spmd.NewPlan(plan.N, plan.B, size, r).NLocal()
	}
	dis := make([]float64, nLocal) // D^−½
	for i, d := range eg.degree {
		if d > 0 {
			dis[i] = 1 / math.Sqrt(d)
		}
	}
	disAll, err := collective.AllgathervOf(c, nil, dis, op.counts)
	if err != nil {
		return nil, err
	}
	for e, h := range eg.head {
		i := int(h) - plan.Beg
		op.indptr[i+1]++
		op.mw[e] = dis[i] * eg.weight[e] * disAll[eg.tail[e]]
	}
	for i := range nLocal {
		op.indptr[i+1] += op.indptr[i]
	}
	return op, nil
}

// spectral returns the local rows of the two eigenvectors of the smallest non-trivial
// eigenvalues of the normalised Laplacian L = I − D^−½ W D^−½ of the pruned graph, as
// umap-learn's spectral_layout, when the graph is connected. They are the largest
// eigenvalues of M = D^−½ W D^−½ on the complement of its trivial eigenvector D^½·1,
// found by Lanczos (see lanczos). When the graph has several connected components, the
// layout is that of umap-learn's multi_component_layout instead (see multiComponent); x
// (the local rows, dim columns) and metric serve it; ncomp is the number of components.
// ok is false if the wanted pairs of a connected graph did not converge within
// lanczosMaxIter iterations (a component of a disconnected graph falls back to a random
// layout of its own instead, and ok is true). Every lanczosCheck Lanczos iterations,
// before the convergence test, the ranks agree on whether ctx is done (see Embed).
// Collective.
func spectral(ctx context.Context, c collective.Comm, plan spmd.Plan, eg *edges, seed uint64, x []float32, dim int, metric Metric) (vecs [2][]float64, ncomp, iters int, ok bool, err error) {
	op, err := newSpectralOp(c, plan, eg)
	if err != nil {
		return vecs, 0, 0, false, err
	}
	labels, roots, err := components(c, plan, eg)
	if err != nil {
		return vecs, 0, 0, false, err
	}
	if len(roots) > 1 {
		vecs, iters, ok, err = multiComponent(ctx, c, op, labels, roots, seed, x, dim, metric)
	} else {
		vecs, iters, ok, err = lanczos(ctx, c, op, nil, 0, plan.N, seed)
	}
	return vecs, len(roots), iters, ok, err
}

// lanczos returns the local rows of the eigenvectors of the two largest eigenvalues of M
// restricted to one connected component, deflated of the component's trivial vector
// D^½·1, by Lanczos with full reorthogonalisation (classical Gram–Schmidt applied twice)
// against that vector and the Krylov basis. labels and root select the component (the
// rows i with labels[i] == root); nil labels means the whole graph, connected. size is the
// number of rows of the component. Each iteration allgathers one vector for the product
// by M and reduces its inner products along the canonical block tree, so every rank
// computes the same bits for any number of ranks. The vectors are zero outside the
// component: M does not mix components. ok is false if the wanted pairs did not converge
// within min(size−1, lanczosMaxIter) iterations.
// Collective.
func lanczos(ctx context.Context, c collective.Comm, op *spectralOp, labels []int64, root int64, size int, seed uint64) (vecs [2][]float64, iters int, ok bool, err error) {
	plan := op.plan
	nLocal, n := plan.NLocal(), plan.N
	in := func(i int) bool { return labels == nil || labels[plan.Beg+i] == root }
	sum, err := blockSum(c, plan, 1, func(beg, end int, acc []float64) {
		for i := beg; i < end; i++ {
			if in(i) {
				acc[0] += op.degree[i]
			}
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
	for i, d := range op.degree {
		if in(i) {
			u0[i] = math.Sqrt(d) * inv
		}
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
		if in(i) {
			w[i] = rng.New(seed, rng.LanczosStart, uint64(plan.Beg+i)).Normal()
		}
	}
	basis := [][]float64{u0}
	_, beta, err := orth(basis, w)
	if err != nil {
		return vecs, 0, false, err
	}
	if !(beta > 0) {
		return vecs, 0, false, nil
	}
	maxIter := min(size-1, lanczosMaxIter)
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
		if _, err := collective.AllgathervOf(c, xAll, q, op.counts); err != nil {
			return vecs, j, false, err
		}
		for i := range nLocal {
			s := 0.0
			for e := op.indptr[i]; e < op.indptr[i+1]; e++ {
				s += op.mw[e] * xAll[op.tail[e]]
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
		if m%lanczosCheck == 0 {
			if err := agreeDone(ctx, c, "Lanczos iteration %d", m); err != nil {
				return vecs, m, false, err
			}
		}
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
