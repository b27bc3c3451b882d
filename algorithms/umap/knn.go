package umap

import (
	"context"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Neighbors are the k nearest neighbours of the local rows of a dataset.
type Neighbors struct {
	K   int // neighbours per row, the row itself included
	Beg int // global index of the first local row
	// Indices and Dists are nLocal×K row-major: the global indices of the neighbours and
	// their exact distances, ordered by (distance, index) with the row itself first.
	Indices []int
	Dists   []float64
}

// NLocal returns the number of local rows.
func (nb *Neighbors) NLocal() int {
	if nb.K == 0 {
		return 0
	}
	return len(nb.Indices) / nb.K
}

// u32 is the unit roundoff of float32.
const u32 = 0x1p-24

// NearestNeighbors returns the exact k nearest neighbours of the local rows x
// (plan.NLocal()×dim, row-major) among all n rows, by a systolic ring: the rows of every
// rank travel once around the ranks while each rank keeps a bounded sorted list per own
// row. Candidates are screened with float32 BLAS distances and a rounding-error bound that
// never rejects a true neighbour, and the survivors' distances are recomputed exactly in
// float64; the lists are ordered by (distance, index), so the result is the same for every
// number of ranks. The row itself is its first neighbour, at distance 0.
//
// It returns an error on every rank if k is not in [2, n), if dim differs between ranks,
// or if some row holds a NaN or an infinity (naming the first such row).
// It panics if plan is not the plan of c's rank or len(x) != plan.NLocal()*dim.
//
// Sends are assumed not to wait for the matching receive (collective.Comm's Send may
// return before the message is received: inproc queues it, mpi uses MPI_Isend on a copy);
// every rank sends its block to the next rank before receiving from the previous one.
// Memory: the local rows, their screening copy, and two travelling blocks with their
// screening copy, O(nLocal·dim) floats.
// Cancellation: ctx is looked at 8 times per step of the ring, after each eighth of the
// own rows; if it is done on some rank, every rank receives the block sent to it in that
// step (so that no message is left behind) and returns the agreed error (see Embed).
// Collective: every rank of c must call it with equal k and metric.
func NearestNeighbors(ctx context.Context, c collective.Comm, plan spmd.Plan, x []float32, dim, k int, metric Metric) (*Neighbors, error) {
	checkPlan(c, plan, x, dim)
	n := plan.N
	switch {
	case k < 2:
		return nil, spmd.Usagef("umap: NNeighbors = %d, want at least 2", k)
	case k >= n:
		return nil, spmd.Usagef("umap: NNeighbors = %d for %d points, want fewer neighbours than points", k, n)
	case metric < Euclidean || metric > Correlation:
		return nil, spmd.Usagef("umap: unknown metric %v", metric)
	}
	dims := []int64{int64(dim), -int64(dim)}
	if err := c.AllreduceInt64(dims, collective.Max); err != nil {
		return nil, err
	}
	if dims[0] != -dims[1] {
		return nil, spmd.Inputf("umap: rows have %d columns on some rank and %d on another", -dims[1], dims[0])
	}
	var err error
	if bad := firstNonFinite(x, dim); bad >= 0 {
		err = spmd.Inputf("umap: row %d holds a NaN or infinite value", plan.Beg+bad)
	}
	if err = spmd.Agree(c, err); err != nil {
		return nil, err
	}

	kn := newKernel(dim, k, metric)
	if metric == Euclidean {
		// Screening distances are taken between rows shifted by row 0, which keeps the
		// float32 rounding error small for data with a large common offset.
		kn.shift = make([]float32, dim)
		if plan.Beg == 0 && plan.NLocal() > 0 {
			copy(kn.shift, x[:dim])
		}
		if err := collective.BcastOf(c, kn.shift, 0); err != nil {
			return nil, err
		}
	}
	nLocal := plan.NLocal()
	own := kn.prepare(&rowSet{}, x, plan.Beg, nLocal)
	lists := newTopK(nLocal, k, plan.Beg)

	size, rank := c.Size(), c.Rank()
	plans := make([]spmd.Plan, size)
	maxRows := 0
	for r := range size {
		plans[r] = spmd.NewPlan(n, plan.B, size, r)
		maxRows = max(maxRows, plans[r].NLocal())
	}
	var bufs [2][]float32 // receive buffers, alternating; Send copies, so one could do
	if size > 1 {
		bufs = [2][]float32{make([]float32, maxRows*dim), make([]float32, maxRows*dim)}
	}
	travel := &rowSet{}
	next, prev := (rank+1)%size, (rank+size-1)%size
	cur := x
	for step := range size {
		src := plans[(rank-step+size)%size] // the rank whose rows are here now
		if step < size-1 && src.NLocal() > 0 {
			if err := collective.SendOf(c, cur, next, tagRing); err != nil {
				return nil, err
			}
		}
		set := own
		if step > 0 {
			set = kn.prepare(travel, cur, src.Beg, src.NLocal())
		}
		// The own rows in knnChunks parts (the same number on every rank), with a
		// cancellation point after each. Once agreed, a rank still receives the block
		// sent to it in this step, so that no message is left behind.
		var stop error
		for ch := range knnChunks {
			kn.search(lists, own, set, ch*nLocal/knnChunks, (ch+1)*nLocal/knnChunks)
			if stop = agreeDone(ctx, c, "kNN ring step %d of %d", step+1, size); stop != nil {
				break
			}
		}
		if step < size-1 {
			from := plans[(rank-step-1+size)%size]
			buf := bufs[step%2][:from.NLocal()*dim]
			if from.NLocal() > 0 {
				if err := collective.RecvOf(c, buf, prev, tagRing); err != nil {
					return nil, err
				}
			}
			cur = buf
		}
		if stop != nil {
			return nil, stop
		}
	}
	nb := &Neighbors{K: k, Beg: plan.Beg, Indices: make([]int, nLocal*k), Dists: make([]float64, nLocal*k)}
	for i := range nLocal {
		for j, e := range lists.row(i) {
			nb.Indices[i*k+j], nb.Dists[i*k+j] = e.idx, e.dist
		}
	}
	return nb, nil
}

// firstNonFinite returns the first row of x holding a NaN or an infinity, or -1.
func firstNonFinite(x []float32, dim int) int {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i / dim
		}
	}
	return -1
}

// rowSet is a block of consecutive rows with what the kernel needs of them.
type rowSet struct {
	beg, n int
	raw    []float32 // n×dim input rows
	screen []float32 // n×dim screening representation: shifted rows, or unit rows
	snorm  []float64 // Euclidean: the norm of the screening row
	base   []float64 // the offset of the cheap screening test: snorm² (Euclidean), or 0
	mean   []float64 // Correlation: the row mean
	sq     []float64 // Cosine, Correlation: Σ (x − mean)²
}

// kernel computes neighbour candidates between row sets.
type kernel struct {
	dim, k int
	metric Metric
	shift  []float32
	// margin: Euclidean, the relative error bound of a float32 dot product; Cosine and
	// Correlation, the absolute error bound of a screening distance.
	margin float64
}

func newKernel(dim, k int, metric Metric) *kernel {
	kn := &kernel{dim: dim, k: k, metric: metric}
	// The error of a float32 dot product of length dim is at most γ_dim = dim·u/(1 − dim·u)
	// times the product of the norms (Higham, Accuracy and Stability of Numerical
	// Algorithms, §3.1), whatever the summation order; the bounds below take twice that.
	g := float64(dim) * u32 / (1 - float64(dim)*u32)
	if metric == Euclidean {
		kn.margin = 2 * g
	} else {
		// Unit rows are rounded to float32 (error ≤ u each), then the dot product.
		kn.margin = 2*(g*(1+3*u32)+2*u32+u32*u32) + 1e-12
	}
	return kn
}

// prepare fills s with the n rows raw starting at global row beg and returns s.
func (kn *kernel) prepare(s *rowSet, raw []float32, beg, n int) *rowSet {
	dim := kn.dim
	s.beg, s.n, s.raw = beg, n, raw
	s.screen = grow(s.screen, n*dim)
	switch kn.metric {
	case Euclidean:
		s.snorm, s.base = grow(s.snorm, n), grow(s.base, n)
		for i := range n {
			row, dst := raw[i*dim:(i+1)*dim], s.screen[i*dim:(i+1)*dim]
			ss := 0.0
			for d, v := range row {
				dst[d] = v - kn.shift[d]
				ss += float64(dst[d]) * float64(dst[d])
			}
			s.snorm[i] = math.Sqrt(ss)
			s.base[i] = s.snorm[i] * s.snorm[i]
		}
	default:
		s.mean, s.sq, s.base = grow(s.mean, n), grow(s.sq, n), grow(s.base, n)
		clear(s.base)
		for i := range n {
			row, dst := raw[i*dim:(i+1)*dim], s.screen[i*dim:(i+1)*dim]
			m, ss := rowStats(row, kn.metric)
			s.mean[i], s.sq[i] = m, ss
			inv := 0.0
			if ss > 0 {
				inv = 1 / math.Sqrt(ss)
			}
			for d, v := range row {
				dst[d] = float32((float64(v) - m) * inv)
			}
		}
	}
	return s
}

// rowStats returns the mean (zero for Cosine) and Σ (x − mean)² of a row in float64.
func rowStats(row []float32, metric Metric) (mean, sq float64) {
	if metric == Correlation {
		for _, v := range row {
			mean += float64(v)
		}
		mean /= float64(len(row))
	}
	for _, v := range row {
		d := float64(v) - mean
		sq += d * d
	}
	return mean, sq
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// exact returns the float64 distance between row i of a and row j of b.
func (kn *kernel) exact(a *rowSet, i int, b *rowSet, j int) float64 {
	dim := kn.dim
	x, y := a.raw[i*dim:(i+1)*dim], b.raw[j*dim:(j+1)*dim]
	y = y[:len(x)]
	if kn.metric == Euclidean {
		ss := 0.0
		for d, v := range x {
			t := float64(v) - float64(y[d])
			ss += t * t
		}
		return math.Sqrt(ss)
	}
	sx, sy := a.sq[i], b.sq[j]
	switch {
	case sx == 0 && sy == 0:
		return 0
	case sx == 0 || sy == 0:
		return 1
	}
	mx, my := a.mean[i], b.mean[j]
	dot := 0.0
	for d, v := range x {
		dot += (float64(v) - mx) * (float64(y[d]) - my)
	}
	return max(0, 1-dot/math.Sqrt(sx*sy))
}

// Tiles of the search: query rows per task and candidate rows per product.
const (
	queryTile = 64
	candTile  = 256
)

// knnChunks is the number of parts of the own rows searched between two cancellation
// points of a ring step.
const knnChunks = 8

// search offers every row of cand to the lists of the rows [r0, r1) of own. Work is split
// over goroutines by tiles of query rows; a list is touched by one goroutine only, and its
// final content does not depend on the order in which candidates arrive.
func (kn *kernel) search(lists *topK, own, cand *rowSet, r0, r1 int) {
	if r1 <= r0 || cand.n == 0 {
		return
	}
	tiles := (r1 - r0 + queryTile - 1) / queryTile
	workers := min(runtime.GOMAXPROCS(0), tiles)
	var wg sync.WaitGroup
	next := make(chan int, tiles)
	for t := range tiles {
		next <- t
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := make([]float32, queryTile*candTile)
			for t := range next {
				i0, i1 := r0+t*queryTile, min(r0+(t+1)*queryTile, r1)
				for j0 := 0; j0 < cand.n; j0 += candTile {
					j1 := min(j0+candTile, cand.n)
					kn.tile(lists, own, i0, i1, cand, j0, j1, g)
				}
			}
		}()
	}
	wg.Wait()
}

// tile screens rows [i0, i1) of own against rows [j0, j1) of cand; g is scratch of at
// least (i1−i0)·(j1−j0) values.
//
// Each pair first meets a cheap test, base_j + c·dot > T_i (c = −2 and base_j = |ỹ_j|²
// for the Euclidean metric, c = −1 and base_j = 0 otherwise), whose threshold T_i is that
// of skip with the norms of the candidates replaced by their largest value in the tile,
// which only loosens skip's bound; so a pair it rejects is one skip rejects too. The pairs
// that pass go through skip itself and then the exact distance. The row itself is offered
// once, directly.
func (kn *kernel) tile(lists *topK, own *rowSet, i0, i1 int, cand *rowSet, j0, j1 int, g []float32) {
	dim := kn.dim
	m, n := i1-i0, j1-j0
	blas32.Gemm(blas.NoTrans, blas.Trans, 1,
		blas32.General{Rows: m, Cols: dim, Stride: dim, Data: own.screen[i0*dim : i1*dim]},
		blas32.General{Rows: n, Cols: dim, Stride: dim, Data: cand.screen[j0*dim : j1*dim]},
		0, blas32.General{Rows: m, Cols: n, Stride: n, Data: g[:m*n]})
	euclid := kn.metric == Euclidean
	coef, maxNy := -1.0, 0.0
	if euclid {
		coef = -2
		for _, v := range cand.snorm[j0:j1] {
			maxNy = max(maxNy, v)
		}
	}
	base := cand.base[j0:j1]
	for i := i0; i < i1; i++ {
		gi := g[(i-i0)*n : (i-i0+1)*n]
		gq := own.beg + i
		if self := gq - cand.beg; self >= j0 && self < j1 {
			lists.offer(i, 0, gq)
		}
		kth := lists.kth(i)
		thr := kn.threshold(own, i, kth, maxNy)
		for j, b := range base {
			if b+coef*float64(gi[j]) > thr {
				continue
			}
			gc := cand.beg + j0 + j
			if gc == gq {
				continue
			}
			if !math.IsInf(kth, 1) && kn.skip(own, i, cand, j0+j, float64(gi[j]), kth) {
				continue
			}
			lists.offer(i, kn.exact(own, i, cand, j0+j), gc)
			if k := lists.kth(i); k != kth {
				kth = k
				thr = kn.threshold(own, i, kth, maxNy)
			}
		}
	}
}

// threshold returns T_i of the cheap screening test of tile for row i of own, the k-th
// distance kth of its list and the largest norm maxNy of the candidates (Euclidean);
// +Inf (no pair rejected) while the list is not full or when the row is zero (cosine,
// correlation).
func (kn *kernel) threshold(own *rowSet, i int, kth, maxNy float64) float64 {
	if math.IsInf(kth, 1) {
		return kth
	}
	if kn.metric == Euclidean {
		// skip: |x̃|² + |ỹ|² − 2·dot > 2·margin·|x̃||ỹ| + (kth' + 2u(|x̃| + |ỹ|))², with the
		// right side largest at |ỹ| = maxNy.
		nx := own.snorm[i]
		t := kth*(1+1e-12) + 2*u32*(nx+maxNy)
		return 2*kn.margin*nx*maxNy + t*t - nx*nx
	}
	if own.sq[i] == 0 {
		return math.Inf(1)
	}
	// skip: 1 − dot − margin > kth. A zero candidate row has a zero screening row, so
	// dot = 0 exactly, and its exact distance 1 exceeds kth whenever the test rejects it.
	return kth + kn.margin - 1
}

// skip reports whether the screening value dot of rows (i, j) proves that their exact
// distance exceeds kth.
func (kn *kernel) skip(own *rowSet, i int, cand *rowSet, j int, dot, kth float64) bool {
	if kn.metric == Euclidean {
		nx, ny := own.snorm[i], cand.snorm[j]
		// |approx − |x̃−ỹ|²| ≤ 2γ·2|x̃||ỹ| for the screening rows x̃, ỹ, and the screening
		// rows differ from the shifted inputs by at most u|x̃|, u|ỹ| (one rounding).
		// Skip when √max(0, sq) − 2u(|x̃| + |ỹ|) > kth, compared in squares.
		sq := nx*nx + ny*ny - 2*dot - 2*kn.margin*nx*ny
		t := kth*(1+1e-12) + 2*u32*(nx+ny)
		return sq > t*t
	}
	if own.sq[i] == 0 || cand.sq[j] == 0 {
		return false
	}
	return 1-dot-kn.margin > kth
}

// entry is one neighbour candidate.
type entry struct {
	dist float64
	idx  int
}

// topK holds a sorted list of at most k entries per row.
type topK struct {
	k, beg int
	e      []entry
	n      []int
}

func newTopK(rows, k, beg int) *topK {
	return &topK{k: k, beg: beg, e: make([]entry, rows*k), n: make([]int, rows)}
}

func (t *topK) row(i int) []entry { return t.e[i*t.k : i*t.k+t.n[i]] }

// kth returns the largest distance in the full list of row i, or +Inf if it is not full.
func (t *topK) kth(i int) float64 {
	if t.n[i] < t.k {
		return math.Inf(1)
	}
	return t.e[i*t.k+t.k-1].dist
}

// before reports whether a precedes b in the list of global row q: by distance, the row
// itself first among equals, then by index.
func before(a, b entry, q int) bool {
	if a.dist != b.dist {
		return a.dist < b.dist
	}
	if (a.idx == q) != (b.idx == q) {
		return a.idx == q
	}
	return a.idx < b.idx
}

// offer inserts (dist, idx) in the list of row i if it belongs among the k first.
func (t *topK) offer(i int, dist float64, idx int) {
	q := t.beg + i
	e := entry{dist, idx}
	l := t.e[i*t.k : (i+1)*t.k]
	n := t.n[i]
	if n == t.k {
		if !before(e, l[n-1], q) {
			return
		}
		n--
	} else {
		t.n[i]++
	}
	p := n
	for p > 0 && before(e, l[p-1], q) {
		l[p] = l[p-1]
		p--
	}
	l[p] = e
}
