package umap

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Constants of umap-learn's smooth_knn_dist.
const (
	smoothKIter      = 64   // bisection steps for sigma
	smoothKTolerance = 1e-5 // |Σ exp − log2 k| at which the bisection stops
	minKDistScale    = 1e-3 // sigma floor relative to the mean neighbour distance
)

// Graph is the symmetrised fuzzy simplicial set (the weighted kNN graph) restricted to
// the rows of one rank: row i of the global matrix is held by the owner of row i, in
// compressed sparse row form.
type Graph struct {
	N, Beg int // points in the dataset; global index of the first local row
	// Indptr has nLocal+1 entries; the edges of local row i are [Indptr[i], Indptr[i+1]).
	Indptr []int
	// Tails are the global column indices, increasing within each row; Weights the
	// membership strengths in (0, 1].
	Tails   []int
	Weights []float64
	// Rho and Sigma are the local connectivity and bandwidth of every local row
	// (umap-learn's rhos and sigmas).
	Rho, Sigma []float64
	// Edges is the number of stored (directed) entries over all ranks, and MaxWeight the
	// largest weight over all ranks.
	Edges     int64
	MaxWeight float64
}

// NLocal returns the number of local rows.
func (g *Graph) NLocal() int { return len(g.Indptr) - 1 }

// SmoothKNNDist returns umap-learn's rho and sigma of one point from its sorted neighbour
// distances dists (the point itself first, at distance 0) with local connectivity 1:
// rho is the smallest non-zero distance, and sigma solves
// Σ_{j≥1} exp(−max(0, d_j − rho)/sigma) = log2(len(dists)) by 64 bisection steps (tolerance
// 1e-5), floored at 1e-3 times the mean of dists, or at 1e-3 times meanAll (the mean of
// all neighbour distances of the dataset) when rho is zero.
// It does not allocate.
func SmoothKNNDist(dists []float64, meanAll float64) (rho, sigma float64) {
	k := len(dists)
	target := math.Log2(float64(k))
	for _, d := range dists {
		if d > 0 {
			rho = d
			break
		}
	}
	lo, hi, mid := 0.0, math.Inf(1), 1.0
	for range smoothKIter {
		psum := 0.0
		for _, d := range dists[1:] {
			if t := d - rho; t > 0 {
				psum += math.Exp(-t / mid)
			} else {
				psum++
			}
		}
		if math.Abs(psum-target) < smoothKTolerance {
			break
		}
		if psum > target {
			hi = mid
			mid = (lo + hi) / 2
		} else {
			lo = mid
			if math.IsInf(hi, 1) {
				mid *= 2
			} else {
				mid = (lo + hi) / 2
			}
		}
	}
	sigma = mid
	if rho > 0 {
		mean := 0.0
		for _, d := range dists {
			mean += d
		}
		mean /= float64(k)
		sigma = max(sigma, minKDistScale*mean)
	} else {
		sigma = max(sigma, minKDistScale*meanAll)
	}
	return rho, sigma
}

// membership is umap-learn's membership strength of a neighbour at distance d of a point
// with rho and sigma.
func membership(d, rho, sigma float64) float64 {
	if d-rho <= 0 || sigma == 0 {
		return 1
	}
	return math.Exp(-(d - rho) / sigma)
}

// FuzzySimplicialSet returns the fuzzy simplicial set of the neighbours nb as umap-learn's
// fuzzy_simplicial_set: directed weights w_ij = exp(−(d_ij − rho_i)/sigma_i) (1 within
// rho_i, 0 for the point itself), combined with their transpose as
// mix·(A + Aᵀ − A∘Aᵀ) + (1 − mix)·A∘Aᵀ. Every rank sends each directed edge i→j to the
// owner of j (one variable-length message to every other rank), so that entry (i, j) of
// the result is held by the owner of i. Zero entries are dropped.
// It panics if mix is outside [0, 1] or nb does not hold the rows of plan.
// Collective: every rank of c must call it with equal mix.
func FuzzySimplicialSet(c collective.Comm, plan spmd.Plan, nb *Neighbors, mix float64) (*Graph, error) {
	nLocal, k := plan.NLocal(), nb.K
	if !(mix >= 0 && mix <= 1) {
		panic(fmt.Sprintf("umap: set operation mix ratio %v outside [0, 1]", mix))
	}
	if nb.Beg != plan.Beg || len(nb.Indices) != nLocal*k || len(nb.Dists) != nLocal*k {
		panic("umap: neighbours do not match the plan")
	}
	sum, err := blockSum(c, plan, 1, func(beg, end int, acc []float64) {
		for _, d := range nb.Dists[beg*k : end*k] {
			acc[0] += d
		}
	})
	if err != nil {
		return nil, err
	}
	meanAll := sum[0] / (float64(plan.N) * float64(k))

	g := &Graph{N: plan.N, Beg: plan.Beg, Rho: make([]float64, nLocal), Sigma: make([]float64, nLocal)}
	// Directed edges, bucketed by the rank that owns their tail.
	size := c.Size()
	split := collective.Split{N: plan.NBlocks, Size: size}
	out := make([][]byte, size)
	type half struct {
		row, col int // local row (the tail of the directed edge), global column (its head)
		w        float64
	}
	var in []half
	direct := make([][]entry, nLocal) // A: the local rows' own weights (entry.dist holds the weight)
	for i := range nLocal {
		dists := nb.Dists[i*k : (i+1)*k]
		rho, sigma := SmoothKNNDist(dists, meanAll)
		g.Rho[i], g.Sigma[i] = rho, sigma
		gi := plan.Beg + i
		for j, col := range nb.Indices[i*k : (i+1)*k] {
			if col == gi {
				continue
			}
			w := membership(dists[j], rho, sigma)
			if w == 0 {
				continue
			}
			direct[i] = append(direct[i], entry{w, col})
			dst := split.Owner(col / plan.B)
			if dst == c.Rank() {
				in = append(in, half{col - plan.Beg, gi, w})
				continue
			}
			out[dst] = binary.LittleEndian.AppendUint64(out[dst], uint64(gi))
			out[dst] = binary.LittleEndian.AppendUint64(out[dst], uint64(col))
			out[dst] = binary.LittleEndian.AppendUint64(out[dst], math.Float64bits(w))
		}
	}
	// Send to every other rank (possibly nothing), then receive in rank order. Sends do not
	// wait for their receive (see NearestNeighbors), so this cannot deadlock.
	for r := range size {
		if r != c.Rank() {
			if err := collective.SendBytes(c, out[r], r, tagSym); err != nil {
				return nil, err
			}
		}
	}
	for r := range size {
		if r == c.Rank() {
			continue
		}
		b, err := collective.RecvBytes(c, r, tagSym)
		if err != nil {
			return nil, err
		}
		if len(b)%24 != 0 {
			return nil, fmt.Errorf("umap: edge message of %d bytes from rank %d", len(b), r)
		}
		for o := 0; o < len(b); o += 24 {
			head := int(binary.LittleEndian.Uint64(b[o:]))
			tail := int(binary.LittleEndian.Uint64(b[o+8:]))
			w := math.Float64frombits(binary.LittleEndian.Uint64(b[o+16:]))
			if tail < plan.Beg || tail >= plan.End {
				return nil, fmt.Errorf("umap: rank %d sent edge (%d, %d) to the owner of rows [%d, %d)", r, head, tail, plan.Beg, plan.End)
			}
			in = append(in, half{tail - plan.Beg, head, w})
		}
	}
	// Aᵀ by local row: counting sort, then each row by column.
	cnt := make([]int, nLocal+1)
	for _, h := range in {
		cnt[h.row+1]++
	}
	for i := range nLocal {
		cnt[i+1] += cnt[i]
	}
	trans := make([]entry, len(in)) // entry.dist holds the weight
	pos := slices.Clone(cnt[:nLocal])
	for _, h := range in {
		trans[pos[h.row]] = entry{h.w, h.col}
		pos[h.row]++
	}
	byIdx := func(a, b entry) int { return a.idx - b.idx }
	g.Indptr = make([]int, nLocal+1)
	for i := range nLocal {
		a, t := direct[i], trans[cnt[i]:cnt[i+1]]
		slices.SortFunc(a, byIdx)
		slices.SortFunc(t, byIdx)
		for p, q := 0, 0; p < len(a) || q < len(t); {
			var col int
			var wa, wt float64
			switch {
			case q == len(t) || (p < len(a) && a[p].idx < t[q].idx):
				col, wa = a[p].idx, a[p].dist
				p++
			case p == len(a) || t[q].idx < a[p].idx:
				col, wt = t[q].idx, t[q].dist
				q++
			default:
				col, wa, wt = a[p].idx, a[p].dist, t[q].dist
				p++
				q++
			}
			prod := wa * wt
			w := mix*(wa+wt-prod) + (1-mix)*prod
			if w != 0 {
				g.Tails = append(g.Tails, col)
				g.Weights = append(g.Weights, w)
				g.MaxWeight = max(g.MaxWeight, w)
			}
		}
		g.Indptr[i+1] = len(g.Tails)
	}
	stats := []int64{int64(len(g.Tails))}
	if err := c.AllreduceInt64(stats, collective.Sum); err != nil {
		return nil, err
	}
	mw := []float64{g.MaxWeight}
	if err := c.AllreduceFloat64(mw, collective.Max); err != nil {
		return nil, err
	}
	g.Edges, g.MaxWeight = stats[0], mw[0]
	return g, nil
}

// edges is the graph kept for the optimisation, in canonical edge order: by head (the
// local row), then by tail. Edge e of this rank has global id off+e.
type edges struct {
	head, tail []int32 // global indices
	weight     []float64
	off, total int64     // global id of the first local edge; edges over all ranks
	counts     []int     // edges per rank
	degree     []float64 // weighted degree of the local rows
	maxWeight  float64   // over all ranks; pruning keeps it
}

// prune drops the weights below MaxWeight/n_epochs as umap-learn's
// simplicial_set_embedding and numbers the remaining edges.
// Collective.
func prune(c collective.Comm, plan spmd.Plan, g *Graph, o settings) (*edges, error) {
	if plan.N > math.MaxInt32 {
		panic("umap: more than 2³¹−1 points")
	}
	thr := g.MaxWeight / float64(o.pruneEpochs)
	e := &edges{degree: make([]float64, g.NLocal()), maxWeight: g.MaxWeight}
	for i := range g.NLocal() {
		for p := g.Indptr[i]; p < g.Indptr[i+1]; p++ {
			if w := g.Weights[p]; w >= thr {
				e.head = append(e.head, int32(plan.Beg+i))
				e.tail = append(e.tail, int32(g.Tails[p]))
				e.weight = append(e.weight, w)
				e.degree[i] += w
			}
		}
	}
	counts, err := collective.AllgatherCounts(c, len(e.head))
	if err != nil {
		return nil, err
	}
	e.counts = counts
	for r, n := range counts {
		if r < c.Rank() {
			e.off += int64(n)
		}
		e.total += int64(n)
	}
	return e, nil
}
