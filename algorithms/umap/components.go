package umap

import (
	"context"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/rng"
	"github.com/stemreduce/stemreduce/spmd"
)

// components returns the connected components of the pruned graph, the same on every
// rank: labels[i] is the smallest global index of the component of point i (all N
// points), and roots the labels of the components in increasing order.
//
// The forest of labels is replicated, and every round (1) hooks, for every local edge
// (u, v) whose ends have different roots, the larger root to the smaller (the smallest
// proposal wins: one AllreduceInt64 with Min over the N labels, exact and independent of
// the order of the ranks), then (2) points every point at its root in one pass by
// increasing index (a root is always smaller than the points below it). Rounds stop when
// no root was hooked; each round removes at least one root, and in practice a handful of
// rounds suffice.
// Collective.
func components(c collective.Comm, plan spmd.Plan, eg *edges) (labels, roots []int64, err error) {
	n := plan.N
	parent := make([]int64, n)
	for i := range parent {
		parent[i] = int64(i)
	}
	hook := make([]int64, n)
	for {
		copy(hook, parent)
		for e, h := range eg.head {
			ru, rv := parent[h], parent[eg.tail[e]]
			if ru == rv {
				continue
			}
			lo, hi := min(ru, rv), max(ru, rv)
			hook[hi] = min(hook[hi], lo)
		}
		if err := c.AllreduceInt64(hook, collective.Min); err != nil {
			return nil, nil, err
		}
		changed := false
		for i, p := range parent {
			if p == int64(i) && hook[i] < p {
				parent[i] = hook[i]
				changed = true
			}
		}
		if !changed {
			break
		}
		for i, p := range parent {
			parent[i] = parent[p]
		}
	}
	for i, p := range parent {
		if p == int64(i) {
			roots = append(roots, p)
		}
	}
	return parent, roots, nil
}

// Limits of the layout of a disconnected graph: every Lanczos run costs O(nLocal) per
// iteration and rank whatever the size of its component, and the centres of more than
// maxMetaSpectral components would need O(nc³) work.
const (
	maxSpectralComponents = 16  // components with a spectral layout of their own
	maxMetaSpectral       = 256 // components whose centres come from their centroids
)

// multiComponent is umap-learn's multi_component_layout for a graph with several
// connected components (labels and roots from components). Each component gets a centre
// in the plane (metaLayout) and is laid out around it within half the distance from its
// centre to the nearest other centre (data_range): by the spectral layout of the
// component alone (lanczos restricted to its rows) scaled to that radius, or, for a
// component of fewer than 4 points, or whose Lanczos iteration does not converge, or
// beyond the maxSpectralComponents largest (a limit umap-learn does not have), by
// uniform random coordinates in the square of that half-side (the stream (seed, rng.Init,
// global row)), as umap-learn. It returns the local rows of both coordinates, with ok
// true; iters adds up the Lanczos iterations of all components.
// Collective.
func multiComponent(ctx context.Context, c collective.Comm, op *spectralOp, labels, roots []int64, seed uint64, x []float32, dim int, metric Metric) (vecs [2][]float64, iters int, ok bool, err error) {
	plan := op.plan
	nLocal, nc := plan.NLocal(), len(roots)
	sizes := make([]int, nc)
	for _, l := range labels {
		k, _ := slices.BinarySearch(roots, l)
		sizes[k]++
	}
	comp := make([]int, nLocal) // component of every local row
	for i := range comp {
		comp[i], _ = slices.BinarySearch(roots, labels[plan.Beg+i])
	}
	meta, err := metaLayout(c, plan, comp, sizes, x, dim, metric)
	if err != nil {
		return vecs, 0, false, err
	}
	// data_range: half the distance from a centre to the nearest other one (0.5 on the
	// unit grid of many components).
	dataRange := make([]float64, nc)
	for k := range nc {
		near := math.Inf(1)
		if nc > maxMetaSpectral {
			near = 1
		} else {
			for j := range nc {
				if d := math.Hypot(meta[2*k]-meta[2*j], meta[2*k+1]-meta[2*j+1]); d > 0 {
					near = min(near, d)
				}
			}
		}
		dataRange[k] = 0.5
		if !math.IsInf(near, 1) {
			dataRange[k] = near / 2
		}
	}
	// The maxSpectralComponents largest components (ties: smaller label first) of 4
	// points or more get a Lanczos run each, in label order.
	order := make([]int, nc)
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return sizes[b] - sizes[a] })
	order = order[:min(nc, maxSpectralComponents)]
	slices.Sort(order)
	laid := make([]bool, nc)
	vecs = [2][]float64{make([]float64, nLocal), make([]float64, nLocal)}
	for _, k := range order {
		if sizes[k] < 4 {
			continue
		}
		v, it, conv, err := lanczos(ctx, c, op, labels, roots[k], sizes[k], seed)
		iters += it
		if err != nil {
			return vecs, iters, false, err
		}
		if !conv {
			continue
		}
		m := []float64{0}
		for i := range nLocal {
			if comp[i] == k {
				m[0] = max(m[0], math.Abs(v[0][i]), math.Abs(v[1][i]))
			}
		}
		if err := c.AllreduceFloat64(m, collective.Max); err != nil {
			return vecs, iters, false, err
		}
		expansion := 0.0
		if m[0] > 0 {
			expansion = dataRange[k] / m[0]
		}
		for i := range nLocal {
			if comp[i] == k {
				for d := range 2 {
					vecs[d][i] = v[d][i]*expansion + meta[2*k+d]
				}
			}
		}
		laid[k] = true
	}
	// Every other component: uniform in the square of half-side data_range.
	for i := range nLocal {
		if k := comp[i]; !laid[k] {
			s := rng.New(seed, rng.Init, uint64(plan.Beg+i))
			for d := range 2 {
				vecs[d][i] = -dataRange[k] + 2*dataRange[k]*s.Float64() + meta[2*k+d]
			}
		}
	}
	return vecs, iters, true, nil
}

// metaLayout returns the centres of the components in the plane, nc×2 row-major, as
// umap-learn's multi_component_layout: for at most 4 components ±e₁, ±e₂ in the order e₁,
// e₂, −e₁, −e₂ (with 2 components: e₁, −e₁); for more, component_layout: the spectral
// embedding (scikit-learn's SpectralEmbedding with a precomputed affinity: the
// eigenvectors of the 2nd and 3rd smallest eigenvalues of the normalised Laplacian, over
// the square-rooted degrees, signed so that their largest entry is positive) of the
// affinities between the centroids of the components in the input space, divided by its
// largest entry. The affinity is exp(−(d/d̄)²) with d the distance of the metric and d̄
// the mean distance between centroids, where umap-learn 0.5.3 takes exp(−d²): unscaled,
// the affinities of components more than a few units apart (as PCA scores of counts
// usually are) underflow to zero, every component becomes isolated and the layout
// degenerates (centres on top of each other). The centroids are block-tree sums, so the
// result is the same on every rank for any number of ranks. Memory and time: nc·dim
// values per block for the centroids, nc² for the affinities, O(nc³) for the eigensolver;
// so beyond maxMetaSpectral components the centres are a unit grid in label order instead.
// Collective.
func metaLayout(c collective.Comm, plan spmd.Plan, comp, sizes []int, x []float32, dim int, metric Metric) ([]float64, error) {
	nc := len(sizes)
	meta := make([]float64, 2*nc)
	if nc > maxMetaSpectral {
		// A unit grid in label order, ⌈√nc⌉ centres a row.
		cols := int(math.Ceil(math.Sqrt(float64(nc))))
		for j := range nc {
			meta[2*j], meta[2*j+1] = float64(j%cols), float64(j/cols)
		}
		return meta, nil
	}
	if nc <= 4 {
		k := (nc + 1) / 2
		for j := range nc {
			axis, sign := j%k, 1.0
			if j >= k {
				sign = -1
			}
			meta[2*j+axis] = sign
		}
		return meta, nil
	}
	sums, err := blockSum(c, plan, nc*dim, func(beg, end int, acc []float64) {
		for i := beg; i < end; i++ {
			row, k := x[i*dim:(i+1)*dim], comp[i]
			for d, v := range row {
				acc[k*dim+d] += float64(v)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for k, sz := range sizes {
		for d := range dim {
			sums[k*dim+d] /= float64(sz)
		}
	}
	// scipy's normalised Laplacian of the affinities, with their diagonal left out.
	// Distances scaled by their mean (see the doc comment), then affinities.
	dist := make([]float64, nc*nc)
	mean := 0.0
	for i := range nc {
		for j := range nc {
			if i != j {
				dist[i*nc+j] = centroidDistance(sums[i*dim:(i+1)*dim], sums[j*dim:(j+1)*dim], metric)
				mean += dist[i*nc+j]
			}
		}
	}
	mean /= float64(nc * (nc - 1))
	if !(mean > 0) {
		mean = 1
	}
	aff := mat.NewSymDense(nc, nil)
	dd := make([]float64, nc)
	for i := range nc {
		for j := range nc {
			if i != j {
				d := dist[i*nc+j] / mean
				a := math.Exp(-d * d)
				aff.SetSym(i, j, a)
				dd[i] += a
			}
		}
	}
	isolated := make([]bool, nc)
	for i, d := range dd {
		if d > 0 {
			dd[i] = math.Sqrt(d)
		} else {
			dd[i], isolated[i] = 1, true // scipy: unit degree, zero diagonal
		}
	}
	lap := mat.NewSymDense(nc, nil)
	for i := range nc {
		if !isolated[i] {
			lap.SetSym(i, i, 1)
		}
		for j := i + 1; j < nc; j++ {
			lap.SetSym(i, j, -aff.At(i, j)/(dd[i]*dd[j]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(lap, true) {
		// Only non-finite input makes the dense eigensolver fail: then the centres go on
		// the unit circle, in component order.
		for j := range nc {
			meta[2*j], meta[2*j+1] = math.Cos(2*math.Pi*float64(j)/float64(nc)), math.Sin(2*math.Pi*float64(j)/float64(nc))
		}
		return meta, nil
	}
	var vec mat.Dense
	eig.VectorsTo(&vec) // columns by increasing eigenvalue
	big := math.Inf(-1)
	for col := 1; col <= 2; col++ {
		// scikit-learn: divide by the square-rooted degrees, then make the entry of
		// largest magnitude positive (_deterministic_vector_sign_flip).
		best, sign := 0.0, 1.0
		for i := range nc {
			v := vec.At(i, col) / dd[i]
			if math.Abs(v) > best {
				best, sign = math.Abs(v), math.Copysign(1, v)
			}
		}
		for i := range nc {
			meta[2*i+col-1] = sign * vec.At(i, col) / dd[i]
			big = max(big, meta[2*i+col-1])
		}
	}
	if big > 0 {
		for i := range meta {
			meta[i] /= big
		}
	}
	return meta, nil
}

// centroidDistance is the distance of the metric between two float64 rows, with the
// conventions of the input distances for zero rows.
func centroidDistance(x, y []float64, metric Metric) float64 {
	if metric == Euclidean {
		s := 0.0
		for d := range x {
			t := x[d] - y[d]
			s += t * t
		}
		return math.Sqrt(s)
	}
	var mx, my float64
	if metric == Correlation {
		for d := range x {
			mx += x[d]
			my += y[d]
		}
		mx /= float64(len(x))
		my /= float64(len(y))
	}
	var dot, sx, sy float64
	for d := range x {
		a, b := x[d]-mx, y[d]-my
		dot += a * b
		sx += a * a
		sy += b * b
	}
	switch {
	case sx == 0 && sy == 0:
		return 0
	case sx == 0 || sy == 0:
		return 1
	}
	return max(0, 1-dot/math.Sqrt(sx*sy))
}
