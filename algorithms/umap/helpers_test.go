package umap_test

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/stemreduce/stemreduce/algorithms/umap"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

// ranks are the numbers of ranks every distributed test runs with.
var ranks = []int{1, 2, 3, 4, 7}

// clusters returns n points in dim dimensions around k centres drawn from N(0, sep²),
// each point the centre of cluster i%k plus N(0, 1) noise, and the labels.
func clusters(n, dim, k int, sep float64, seed uint64) ([]float32, []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, k*dim)
	for i := range centres {
		centres[i] = sep * r.NormFloat64()
	}
	x := make([]float32, n*dim)
	labels := make([]int, n)
	for i := range n {
		labels[i] = i % k
		for d := range dim {
			x[i*dim+d] = float32(centres[labels[i]*dim+d] + r.NormFloat64())
		}
	}
	return x, labels
}

// onRanks runs fn on p inproc ranks with the plan of n rows in blocks of b (0: default)
// and returns the value of every rank; it fails on the first error.
func onRanks[T any](p, n, b int, fn func(c collective.Comm, plan spmd.Plan) (T, error)) ([]T, error) {
	out := make([]T, p)
	var mu sync.Mutex
	err := inproc.RunErr(p, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, b, c.Size(), c.Rank())
		v, err := fn(c, plan)
		mu.Lock()
		out[c.Rank()] = v
		mu.Unlock()
		return err
	})
	return out, err
}

// refDistance is the distance of the metric between rows x and y, in float64, written
// from the definitions of umap-learn's numba distances.
func refDistance(x, y []float32, m umap.Metric) float64 {
	if m == umap.Euclidean {
		s := 0.0
		for i := range x {
			d := float64(x[i]) - float64(y[i])
			s += d * d
		}
		return math.Sqrt(s)
	}
	var mx, my float64
	if m == umap.Correlation {
		for i := range x {
			mx += float64(x[i])
			my += float64(y[i])
		}
		mx /= float64(len(x))
		my /= float64(len(y))
	}
	var dot, nx, ny float64
	for i := range x {
		a, b := float64(x[i])-mx, float64(y[i])-my
		dot += a * b
	}
	for i := range x {
		a := float64(x[i]) - mx
		nx += a * a
	}
	for i := range y {
		b := float64(y[i]) - my
		ny += b * b
	}
	switch {
	case nx == 0 && ny == 0:
		return 0
	case nx == 0 || ny == 0:
		return 1
	}
	return math.Max(0, 1-dot/math.Sqrt(nx*ny))
}

// bruteKNN returns the k nearest neighbours of every row by sorting all distances: by
// distance, the row itself first among equal distances, then by index.
func bruteKNN(x []float32, n, dim, k int, m umap.Metric) ([]int, []float64) {
	idx, dist := make([]int, n*k), make([]float64, n*k)
	type cand struct {
		d float64
		j int
	}
	all := make([]cand, n)
	for i := range n {
		for j := range n {
			d := 0.0
			if j != i {
				d = refDistance(x[i*dim:(i+1)*dim], x[j*dim:(j+1)*dim], m)
			}
			all[j] = cand{d, j}
		}
		slices.SortFunc(all, func(a, b cand) int {
			if c := cmp.Compare(a.d, b.d); c != 0 {
				return c
			}
			if (a.j == i) != (b.j == i) {
				if a.j == i {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.j, b.j)
		})
		for t := range k {
			idx[i*k+t], dist[i*k+t] = all[t].j, all[t].d
		}
	}
	return idx, dist
}

// trustworthiness is scikit-learn's sklearn.manifold.trustworthiness with the Euclidean
// metric: 1 − 2/(n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ N_k^emb(i)} max(0, r(i, j) − k), where
// r(i, j) is the rank of j among the input-space neighbours of i (1 for the nearest).
func trustworthiness(x []float32, dim int, emb []float32, edim, k int) float64 {
	n := len(x) / dim
	rank := make([]int, n)
	order := make([]int, n)
	dist := make([]float64, n)
	t := 0.0
	for i := range n {
		for j := range n {
			dist[j] = refDistance(x[i*dim:(i+1)*dim], x[j*dim:(j+1)*dim], umap.Euclidean)
			order[j] = j
		}
		dist[i] = math.Inf(1)
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dist[a], dist[b]) })
		for r, j := range order {
			rank[j] = r + 1
		}
		for j := range n {
			dist[j] = refDistance(emb[i*edim:(i+1)*edim], emb[j*edim:(j+1)*edim], umap.Euclidean)
			order[j] = j
		}
		dist[i] = math.Inf(1)
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dist[a], dist[b]) })
		for _, j := range order[:k] {
			t += math.Max(0, float64(rank[j]-k))
		}
	}
	fn, fk := float64(n), float64(k)
	return 1 - t*2/(fn*fk*(2*fn-3*fk-1))
}

// knnAccuracy is the leave-one-out accuracy of the k-nearest-neighbour majority vote in
// the embedding (ties go to the smallest label, as numpy's argmax of bincount).
func knnAccuracy(emb []float32, edim int, labels []int, k int) float64 {
	n := len(labels)
	order := make([]int, n)
	dist := make([]float64, n)
	nl := slices.Max(labels) + 1
	votes := make([]int, nl)
	correct := 0
	for i := range n {
		for j := range n {
			dist[j] = refDistance(emb[i*edim:(i+1)*edim], emb[j*edim:(j+1)*edim], umap.Euclidean)
			order[j] = j
		}
		dist[i] = math.Inf(1)
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dist[a], dist[b]) })
		clear(votes)
		for _, j := range order[:k] {
			votes[labels[j]]++
		}
		best := 0
		for l, v := range votes {
			if v > votes[best] {
				best = l
			}
		}
		if best == labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(n)
}
