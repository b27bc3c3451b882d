package umap

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Message tags of this package. Each phase has its own tag so that a message can never be
// taken by another phase.
const (
	tagRing = 61 // kNN: the travelling block of rows
	tagSym  = 62 // fuzzy set: directed edges sent to the owner of their tail
	tagTree = 63 // block-tree sums
)

// Metric is the distance between input rows.
type Metric int

// The metrics. Their definitions follow umap-learn's numba distances.
const (
	// Euclidean is sqrt(Σ (x_d − y_d)²).
	Euclidean Metric = iota
	// Cosine is 1 − x·y / (|x| |y|); 0 when both rows are zero, 1 when one is.
	Cosine
	// Correlation is the cosine distance of the rows centred on their own means.
	Correlation
)

func (m Metric) String() string {
	switch m {
	case Euclidean:
		return "euclidean"
	case Cosine:
		return "cosine"
	case Correlation:
		return "correlation"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// Init is the initialisation of the embedding.
type Init int

// The initialisations.
const (
	// Spectral uses the two smallest non-trivial eigenvectors of the normalised graph
	// Laplacian, as umap-learn's default. It falls back to Random if the eigensolver does
	// not converge (Result.Status tells).
	Spectral Init = iota
	// Random draws every coordinate uniformly from [-10, 10].
	Random
	// PCA uses the first two principal scores supplied in Settings.PCAScores.
	PCA
)

func (i Init) String() string {
	switch i {
	case Spectral:
		return "spectral"
	case Random:
		return "random"
	case PCA:
		return "pca"
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// Settings are the parameters of Embed. The zero value gives umap-learn's defaults.
type Settings struct {
	// NNeighbors is the number of neighbours of every point, the point itself included
	// (umap-learn's n_neighbors). Zero means 15. It must be >= 2 and < N.
	NNeighbors int
	// MinDist is the smallest distance between embedded points (min_dist). Zero means 0.1;
	// a negative value means exactly 0.
	MinDist float64
	// Spread is the scale of the embedded points (spread). Zero means 1. MinDist must not
	// exceed it.
	Spread float64
	// NEpochs is the number of optimisation epochs (n_epochs). Zero means 500 when N <= 10000
	// and 200 otherwise, as umap-learn.
	NEpochs int
	// LearningRate is the initial SGD step (learning_rate); it decays linearly to zero.
	// Zero means 1.
	LearningRate float64
	// NegativeSampleRate is the number of negative samples per positive sample
	// (negative_sample_rate). Zero means 5.
	NegativeSampleRate int
	// SetOpMixRatio interpolates between fuzzy union (1) and fuzzy intersection (0) when
	// the local fuzzy sets are combined (set_op_mix_ratio). Zero means 1; a negative value
	// means exactly 0. It must not exceed 1.
	SetOpMixRatio float64
	// Metric is the input distance. The zero value is Euclidean.
	Metric Metric
	// Init is the initialisation. The zero value is Spectral.
	Init Init
	// PCAScores are the first two principal scores of the local rows, nLocal×2 row-major,
	// used when Init is PCA and ignored otherwise.
	PCAScores []float32
	// Seed keys every random choice (initialisation, Lanczos start, negative samples).
	// Zero is a valid seed.
	Seed uint64
	// SubBatches is the number of sub-batches of every epoch: edge g (in canonical order)
	// belongs to sub-batch g mod SubBatches, and the updates of a sub-batch are computed
	// against the embedding as it was at its start. Zero means DefaultSubBatches. More
	// sub-batches are closer to umap-learn's sequential SGD and cost one more pair of
	// collectives each.
	SubBatches int
}

// DefaultSubBatches is the number of sub-batches per epoch when Settings.SubBatches is zero.
// See the package documentation for the measurements behind it.
const DefaultSubBatches = 64

// Status tells how Embed ended.
type Status int

// The statuses.
const (
	// Success: the embedding was initialised as asked and optimised.
	Success Status = iota
	// SpectralFallback: the spectral initialisation did not converge and the embedding
	// was initialised at random instead, as umap-learn does.
	SpectralFallback
)

func (s Status) String() string {
	switch s {
	case Success:
		return "success"
	case SpectralFallback:
		return "spectral initialisation did not converge; random initialisation used"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Timings are the wall-clock times of the phases of Embed on this rank.
type Timings struct {
	KNN, Graph, Init, Optimize, Total time.Duration
}

// Result is the output of Embed.
type Result struct {
	// N is the number of points; Beg and End the global rows of this rank, [Beg, End).
	N, Beg, End int
	// Embedding is the N×2 embedding, row-major, the same on every rank.
	Embedding []float32

	// K is the number of neighbours per point. KNNIndices and KNNDists hold the neighbours
	// of the local rows, nLocal×K row-major: global indices and exact float64 distances in
	// increasing order of (distance, index), the point itself first.
	K          int
	KNNIndices []int
	KNNDists   []float64

	// Graph is the symmetrised fuzzy graph of the local rows (before pruning).
	Graph *Graph
	// Edges is the number of directed edges kept for the optimisation (after dropping the
	// weights below MaxWeight/NEpochs), over all ranks.
	Edges int64

	// A and B are the parameters of the low-dimensional similarity 1/(1 + a d^(2b)).
	A, B float64
	// NEpochs and SubBatches are the values used.
	NEpochs, SubBatches int
	// Init is the initialisation used; LanczosIter the Lanczos iterations of a spectral
	// initialisation (over all components).
	Init        Init
	LanczosIter int
	// Components is the number of connected components of the pruned graph when the
	// initialisation is spectral (each is laid out on its own, as umap-learn's
	// multi_component_layout), and 0 otherwise.
	Components int
	// Status tells whether the initialisation asked for was used.
	Status Status
	// Timings are this rank's phase times.
	Timings Timings
}

// LocalEmbedding returns the rows of this rank of the embedding, nLocal×2 row-major. It
// does not copy.
func (r *Result) LocalEmbedding() []float32 {
	return r.Embedding[2*r.Beg : 2*r.End]
}

// settings is Settings with the defaults filled in.
type settings struct {
	k               int
	minDist, spread float64
	nEpochs         int
	lr              float64
	negRate         int
	mix             float64
	metric          Metric
	init            Init
	seed            uint64
	subBatches      int
	defaultEpochs   int
	pcaScores       []float32
	pruneEpochs     int     // the n_epochs of umap-learn's pruning threshold
	gamma           float64 // repulsion strength, 1 as umap-learn's default
}

// setup validates s for n points and fills in the defaults. Its errors are the same on
// every rank.
func (s Settings) setup(n int) (settings, error) {
	o := settings{k: s.NNeighbors, minDist: s.MinDist, spread: s.Spread, nEpochs: s.NEpochs, lr: s.LearningRate,
		negRate: s.NegativeSampleRate, mix: s.SetOpMixRatio, metric: s.Metric, init: s.Init, seed: s.Seed,
		subBatches: s.SubBatches, pcaScores: s.PCAScores, gamma: 1}
	if o.k == 0 {
		o.k = 15
	}
	if o.minDist == 0 {
		o.minDist = 0.1
	} else if o.minDist < 0 {
		o.minDist = 0
	}
	if o.spread == 0 {
		o.spread = 1
	}
	o.defaultEpochs = 200
	if n <= 10000 {
		o.defaultEpochs = 500
	}
	if o.nEpochs == 0 {
		o.nEpochs = o.defaultEpochs
	}
	o.pruneEpochs = o.nEpochs
	if o.nEpochs <= 10 {
		o.pruneEpochs = o.defaultEpochs
	}
	if o.lr == 0 {
		o.lr = 1
	}
	if o.negRate == 0 {
		o.negRate = 5
	}
	if o.mix == 0 {
		o.mix = 1
	} else if o.mix < 0 {
		o.mix = 0
	}
	if o.subBatches == 0 {
		o.subBatches = DefaultSubBatches
	}
	switch {
	case o.k < 2:
		return o, spmd.Usagef("umap: NNeighbors = %d, want at least 2", o.k)
	case o.k >= n:
		return o, spmd.Usagef("umap: NNeighbors = %d for %d points, want fewer neighbours than points", o.k, n)
	case !(o.spread > 0) || math.IsInf(o.spread, 0):
		return o, spmd.Usagef("umap: Spread = %v, want a positive finite value", s.Spread)
	case o.minDist > o.spread || math.IsNaN(o.minDist):
		return o, spmd.Usagef("umap: MinDist = %v, want at most Spread = %v", s.MinDist, o.spread)
	case o.nEpochs < 0:
		return o, spmd.Usagef("umap: NEpochs = %d, want a positive value", o.nEpochs)
	case !(o.lr > 0) || math.IsInf(o.lr, 0):
		return o, spmd.Usagef("umap: LearningRate = %v, want a positive finite value", s.LearningRate)
	case o.negRate < 0:
		return o, spmd.Usagef("umap: NegativeSampleRate = %d, want a non-negative value", o.negRate)
	case o.mix > 1 || math.IsNaN(o.mix):
		return o, spmd.Usagef("umap: SetOpMixRatio = %v, want a value in [0, 1]", s.SetOpMixRatio)
	case o.metric < Euclidean || o.metric > Correlation:
		return o, spmd.Usagef("umap: unknown metric %v", o.metric)
	case o.init < Spectral || o.init > PCA:
		return o, spmd.Usagef("umap: unknown initialisation %v", o.init)
	case o.subBatches < 1:
		return o, spmd.Usagef("umap: SubBatches = %d, want a positive value", o.subBatches)
	}
	return o, nil
}

// Embed computes the UMAP embedding in two dimensions of the n points spread over the
// ranks of c by plan. x holds the local rows, plan.NLocal()×dim float32 row-major; it is
// not modified. The steps are those of umap-learn (see the package documentation): exact
// k nearest neighbours, fuzzy simplicial set, a and b from MinDist and Spread,
// initialisation, and SGD epochs. The result has the same bits for every number of ranks
// and every GOMAXPROCS.
//
// Embed returns an error, on every rank, for invalid settings, a dimension that differs
// between ranks, and a NaN or infinite input value (naming the first bad row). A spectral
// initialisation that does not converge is not an error: see Result.Status.
//
// Cancellation: ctx is looked at only at points where no message is in flight and every
// rank agrees on what was seen there: 8 times per step of the kNN ring, every 5 Lanczos
// iterations, and at the start of every SGD epoch (where the flag travels with the
// epoch's first collective). When ctx is done on some rank, every rank returns at the
// same point, with no result, the spmd.Agree error of the lowest such rank: "umap:
// cancelled in <phase>: context canceled", which wraps ctx.Err() on that rank and carries
// its exit code on the others (spmd.Code gives spmd.ExitCanceled for a cancelled context
// on every rank).
//
// It panics if plan is not the plan of c's rank or len(x) != plan.NLocal()*dim.
// Collective: every rank of c must call it with equal settings and plans of the same
// dataset. It allocates the N×2 embedding on every rank.
func Embed(ctx context.Context, c collective.Comm, plan spmd.Plan, x []float32, dim int, s Settings) (*Result, error) {
	start := time.Now()
	checkPlan(c, plan, x, dim)
	o, err := s.setup(plan.N)
	if err != nil {
		return nil, err
	}
	if o.init == PCA && len(o.pcaScores) != 2*plan.NLocal() {
		err = spmd.Usagef("umap: %d PCA scores for %d local rows, want %d", len(o.pcaScores), plan.NLocal(), 2*plan.NLocal())
	}
	if err = spmd.Agree(c, err); err != nil {
		return nil, err
	}
	res := &Result{N: plan.N, Beg: plan.Beg, End: plan.End, K: o.k, NEpochs: o.nEpochs, SubBatches: o.subBatches}

	nb, err := NearestNeighbors(ctx, c, plan, x, dim, o.k, o.metric)
	if err != nil {
		return nil, err
	}
	res.KNNIndices, res.KNNDists = nb.Indices, nb.Dists
	t := time.Now()
	res.Timings.KNN = t.Sub(start)

	g, err := FuzzySimplicialSet(c, plan, nb, o.mix)
	if err != nil {
		return nil, err
	}
	res.Graph = g
	res.A, res.B = FindAB(o.spread, o.minDist)
	eg, err := prune(c, plan, g, o)
	if err != nil {
		return nil, err
	}
	res.Edges = eg.total
	t2 := time.Now()
	res.Timings.Graph = t2.Sub(t)

	emb, err := initialise(ctx, c, plan, x, dim, eg, o, res)
	if err != nil {
		return nil, err
	}
	t3 := time.Now()
	res.Timings.Init = t3.Sub(t2)

	opt := newOptimizer(c, plan, eg, o, res.A, res.B, emb)
	for epoch := range o.nEpochs {
		if err := opt.epoch(ctx, epoch); err != nil {
			return nil, err
		}
	}
	res.Embedding = emb
	end := time.Now()
	res.Timings.Optimize = end.Sub(t3)
	res.Timings.Total = end.Sub(start)
	return res, nil
}

// agreeDone is the cancellation point of a phase: every rank learns whether ctx is done
// on some rank, and if so every rank returns an error carrying the first such rank's
// context error, prefixed with where it stopped.
// Collective.
func agreeDone(ctx context.Context, c collective.Comm, where string, args ...any) error {
	var err error
	if cerr := ctx.Err(); cerr != nil {
		err = fmt.Errorf("umap: cancelled in %s: %w", fmt.Sprintf(where, args...), cerr)
	}
	return spmd.Agree(c, err)
}

// checkPlan panics on a plan that does not belong to c or rows of the wrong length.
func checkPlan(c collective.Comm, plan spmd.Plan, x []float32, dim int) {
	if plan.Rank != c.Rank() || plan.Size != c.Size() {
		panic(fmt.Sprintf("umap: plan of rank %d/%d used on rank %d/%d", plan.Rank, plan.Size, c.Rank(), c.Size()))
	}
	if dim < 1 || len(x) != plan.NLocal()*dim {
		panic(fmt.Sprintf("umap: %d values for %d rows of %d columns", len(x), plan.NLocal(), dim))
	}
}
