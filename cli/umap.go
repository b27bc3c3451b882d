package cli

import (
	"context"
	"flag"
	"fmt"
	"math"
	"time"

	"github.com/stemreduce/stemreduce/algorithms/preprocess"
	"github.com/stemreduce/stemreduce/algorithms/umap"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/spmd"
)

const umapUsage = "umap INPUT [--from PCA.h5 | --pca-k K | --pca-k 0] [--n-neighbors 15] [--min-dist 0.1] [--spread 1] " +
	"[--n-epochs N] [--learning-rate 1] [--negative-sample-rate 5] [--set-op-mix-ratio 1] " +
	"[--metric euclidean|cosine|correlation] [--init spectral|pca|random] [--seed S] " +
	"[PCA options: --solver, --pca-seed, --bin, --crop, --transform, --normalize, --roi, ...] -o OUT.h5"

// UMAPOptions are the flags of the umap command besides the PCA options.
type UMAPOptions struct {
	From               string
	NNeighbors         int
	MinDist            float64
	Spread             float64
	NEpochs            int
	LearningRate       float64
	NegativeSampleRate int
	SetOpMixRatio      float64
	Metric             string
	Init               string
	Seed               uint64
	SubBatches         int
}

// AddFlags registers the umap flags on f.
func (o *UMAPOptions) AddFlags(f *flag.FlagSet) {
	f.StringVar(&o.From, "from", "", "embed the PCA scores stored in `file` (/pca of a pca or ica output) instead of fitting a PCA")
	f.IntVar(&o.NNeighbors, "n-neighbors", 15, "neighbours `k` of every point, the point itself included")
	f.Float64Var(&o.MinDist, "min-dist", 0.1, "smallest `distance` between embedded points")
	f.Float64Var(&o.Spread, "spread", 1, "`scale` of the embedded points")
	f.IntVar(&o.NEpochs, "n-epochs", 0, "optimisation `epochs` (0: 500 for N <= 10000, else 200)")
	f.Float64Var(&o.LearningRate, "learning-rate", 1, "initial SGD `step`, decaying linearly to zero")
	f.IntVar(&o.NegativeSampleRate, "negative-sample-rate", 5, "negative samples `per` positive sample")
	f.Float64Var(&o.SetOpMixRatio, "set-op-mix-ratio", 1, "fuzzy union (1) to intersection (0) `ratio`")
	f.StringVar(&o.Metric, "metric", "euclidean", "input `distance`: euclidean, cosine or correlation")
	f.StringVar(&o.Init, "init", "spectral", "`initialisation`: spectral, pca (the first two PCA scores) or random")
	f.Uint64Var(&o.Seed, "seed", 0, "seed `S` of every random choice (initialisation, negative samples)")
	f.IntVar(&o.SubBatches, "sub-batches", 0, "SGD sub-batches `per` epoch (0: 64; see docs/umap.md)")
}

// check checks the umap flags that do not need the number of points.
func (o *UMAPOptions) check() (umap.Settings, error) {
	s := umap.Settings{
		NNeighbors:         o.NNeighbors,
		MinDist:            o.MinDist,
		Spread:             o.Spread,
		NEpochs:            o.NEpochs,
		LearningRate:       o.LearningRate,
		NegativeSampleRate: o.NegativeSampleRate,
		SetOpMixRatio:      o.SetOpMixRatio,
		Seed:               o.Seed,
		SubBatches:         o.SubBatches,
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case o.NNeighbors < 2:
		return s, spmd.Usagef("--n-neighbors=%d: want at least 2, e.g. --n-neighbors 15", o.NNeighbors)
	case !(o.Spread > 0) || !finite(o.Spread):
		return s, spmd.Usagef("--spread=%v: want a positive value, e.g. --spread 1", o.Spread)
	case !(o.MinDist >= 0) || o.MinDist > o.Spread:
		return s, spmd.Usagef("--min-dist=%v: want 0 <= min-dist <= --spread (%v), e.g. --min-dist 0.1", o.MinDist, o.Spread)
	case o.NEpochs < 0:
		return s, spmd.Usagef("--n-epochs=%d: want 0 (automatic) or a positive count, e.g. --n-epochs 200", o.NEpochs)
	case !(o.LearningRate > 0) || !finite(o.LearningRate):
		return s, spmd.Usagef("--learning-rate=%v: want a positive value, e.g. --learning-rate 1", o.LearningRate)
	case o.NegativeSampleRate < 1:
		return s, spmd.Usagef("--negative-sample-rate=%d: want at least 1, e.g. --negative-sample-rate 5", o.NegativeSampleRate)
	case !(o.SetOpMixRatio >= 0 && o.SetOpMixRatio <= 1):
		return s, spmd.Usagef("--set-op-mix-ratio=%v: want a value in [0, 1], e.g. --set-op-mix-ratio 1", o.SetOpMixRatio)
	case o.SubBatches < 0:
		return s, spmd.Usagef("--sub-batches=%d: want 0 (automatic) or a positive count, e.g. --sub-batches 64", o.SubBatches)
	}
	if o.MinDist == 0 {
		s.MinDist = -1 // umap: negative means exactly 0
	}
	if o.SetOpMixRatio == 0 {
		s.SetOpMixRatio = -1
	}
	switch o.Metric {
	case "euclidean":
		s.Metric = umap.Euclidean
	case "cosine":
		s.Metric = umap.Cosine
	case "correlation":
		s.Metric = umap.Correlation
	default:
		return s, spmd.Usagef("--metric=%q: want euclidean, cosine or correlation, e.g. --metric cosine", o.Metric)
	}
	switch o.Init {
	case "spectral":
		s.Init = umap.Spectral
	case "pca":
		s.Init = umap.PCA
	case "random":
		s.Init = umap.Random
	default:
		return s, spmd.Usagef("--init=%q: want spectral, pca or random, e.g. --init spectral", o.Init)
	}
	return s, nil
}

func runUMAPCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o UMAPOptions
	var po PassOptions
	var pco PCAOptions
	f := pcaStageFlags("umap", &g, &po, &pco, "pca-k", 50, "embed the first `K` PCA scores (fitted in this job), or the preprocessed frames themselves with 0")
	o.AddFlags(f)
	pos, err := parse(env, f, args, 1, 1, umapUsage)
	if err != nil {
		return err
	}
	kSet := flagGiven(f, "pca-k")
	if err := checkAll(g.check(), po.check("umap")); err != nil {
		return err
	}
	s, err := o.check()
	if err != nil {
		return err
	}
	if pco.K < 0 {
		return spmd.Usagef("--pca-k=%d: want 0 (the frames themselves) or a number of PCA scores, e.g. --pca-k 50", pco.K)
	}
	var cfg pcaConfig
	set, given := pcaFlagsSet(f, pcaStageRename)
	if o.From != "" {
		if err := fromExcludes(o.From, given, po); err != nil {
			return err
		}
		if !kSet {
			pco.K = 0 // every stored score
		} else if pco.K < 2 {
			return spmd.Usagef("--pca-k=%d: with --from, want the number of stored scores to use (at least 2), or leave it out for all", pco.K)
		}
	} else {
		pco.set = set
		pco.set["k"] = true
		raw := pco.K == 0
		if raw {
			pco.K = 1 // only for the checks: no PCA is fitted
			if s.Init == umap.PCA {
				return spmd.Usagef("--init pca: needs PCA scores; use --pca-k 2 or more, or --from")
			}
		}
		if cfg, err = pco.check(); err != nil {
			return err
		}
		if raw {
			pco.K = 0
			if cfg.pre.Normalize == preprocess.Poisson {
				return spmd.Usagef("--normalize poisson: needs a PCA; use --pca-k 2 or more, or --normalize total")
			}
		}
	}
	if s.Init == umap.PCA && pco.K == 1 {
		return spmd.Usagef("--init pca: needs two PCA scores; use --pca-k 2 or more")
	}
	return runUMAP(ctx, env, g, po, pco, cfg, o, s, pos[0])
}

// runUMAP runs the umap command.
// Collective.
func runUMAP(ctx context.Context, env Env, g GlobalOptions, po PassOptions, pco PCAOptions, cfg pcaConfig, o UMAPOptions, s umap.Settings, spec string) error {
	start := time.Now()
	c := env.Comm
	ds, stop, err := startRun(env, g, spec)
	if err != nil {
		return err
	}
	defer stop()

	var (
		penv   *spmd.Env
		plan   spmd.Plan
		index  []int
		r      *pcaRun
		stored *storedPCA
		dim    int
		source string
	)
	if o.From != "" {
		penv = g.passEnv(env)
		stored, err = readPCAFor(c, o.From, g.Block, ds.Shape())
		if err == nil {
			dim, err = umapDim(stored, pco.K, s, o.From)
		}
		if err = spmd.Agree(c, err); err != nil {
			return err
		}
		plan, index = stored.plan, stored.index
		source = fmt.Sprintf("the first %d PCA scores of %s:/pca", dim, o.From)
	} else {
		if r, err = newPCARun(env, g, po, pco, cfg, ds); err != nil {
			return err
		}
		penv, plan, index = r.penv, r.plan, r.index
		if pco.K > 0 {
			dim = pco.K
			source = fmt.Sprintf("the first %d PCA scores, fitted in this job", dim)
		} else {
			dim = r.d
			source = fmt.Sprintf("the preprocessed frames (%dx%d pixels)", r.pipe.Sig()[0], r.pipe.Sig()[1])
		}
	}
	if err := checkNeighbors(s, plan.N); err != nil {
		return err
	}

	out, err := createResult(env, g, po.Output)
	if err != nil {
		return err
	}
	defer out.abort()

	var x, pcaScores []float32
	switch {
	case stored != nil:
		x, pcaScores = pickPoints(stored.scores, stored.m, plan.NLocal(), dim, s.Init == umap.PCA)
	case pco.K > 0:
		fit, err := r.fit(ctx, g, spec)
		if err != nil {
			return err
		}
		x, pcaScores = pickPoints(rawData(fit.res.Scores, plan.NLocal(), fit.res.K), fit.res.K, plan.NLocal(), dim, s.Init == umap.PCA)
	default:
		if x, err = r.readPoints(); err != nil {
			return err
		}
	}
	s.PCAScores = pcaScores
	u, err := embedPoints(ctx, c, penv, plan, index, x, dim, s, source)
	if err != nil {
		return err
	}

	err = out.commit(func(w *h5.Writer) error {
		if err := u.write(w, ds.Shape().Nav, o); err != nil {
			return err
		}
		if err := roiAttr(w, index, po, o.From); err != nil {
			return err
		}
		return provenance(w, env, ds, plan, penv.Times, start)
	})
	if err != nil {
		return err
	}
	res := u.res
	report(c, penv, start)
	if c.Rank() == 0 {
		fmt.Fprintf(env.Stdout, "umap: wrote /umap (%d points of %d features, %d neighbours, %d edges, %d epochs, %v) to %s in %.2f s\n",
			plan.N, dim, res.K, res.Edges, res.NEpochs, res.Status, po.Output, time.Since(start).Seconds())
	}
	return nil
}

// umapDim checks --pca-k (k; 0: every score) and --init against the PCA p of the file
// name, and returns the features per point.
func umapDim(p *storedPCA, k int, s umap.Settings, name string) (int, error) {
	switch {
	case k > p.m:
		return 0, spmd.Usagef("--pca-k=%d: the PCA in %s has %d components; want at most %d", k, name, p.m, p.m)
	case s.Init == umap.PCA && p.m < 2:
		return 0, spmd.Usagef("--init pca: the PCA in %s has %d component; want at least 2", name, p.m)
	case k == 0:
		return p.m, nil
	}
	return k, nil
}

// checkNeighbors checks --n-neighbors against the number of points.
func checkNeighbors(s umap.Settings, n int) error {
	if s.NNeighbors >= n {
		return spmd.Usagef("--n-neighbors=%d: want fewer neighbours than the %d points, e.g. --n-neighbors %d", s.NNeighbors, n, max(2, min(15, n-1)))
	}
	return nil
}

// pickPoints returns the points of the nLocal frames of rows (nLocal×width PCA scores):
// the first dim scores of every frame as float32, and with pcaInit also its first two.
func pickPoints(rows []float64, width, nLocal, dim int, pcaInit bool) (x, pcaScores []float32) {
	x = make([]float32, nLocal*dim)
	for i := range nLocal {
		for j := range dim {
			x[i*dim+j] = float32(rows[i*width+j])
		}
	}
	if pcaInit {
		pcaScores = make([]float32, 2*nLocal)
		for i := range nLocal {
			pcaScores[2*i], pcaScores[2*i+1] = float32(rows[i*width]), float32(rows[i*width+1])
		}
	}
	return x, pcaScores
}

// readPoints reads this rank's preprocessed frames of the ROI as the points (--pca-k 0).
// Collective.
func (r *pcaRun) readPoints() ([]float32, error) {
	rstart := time.Now()
	var src spmd.Source = r.ds
	if r.index != nil || !r.pipe.Identity() {
		src = r.pipe.Source(r.ds, r.index)
	}
	x := make([]float32, r.plan.NLocal()*r.d)
	var err error
	if r.plan.NLocal() > 0 {
		err = src.ReadFloat32(x, r.plan.Beg, r.plan.End)
	}
	if err := spmd.Agree(r.c, err); err != nil {
		return nil, err
	}
	r.penv.Times.Add("read", time.Since(rstart))
	return x, nil
}

// umapOutcome is an embedding of the fitted frames, with its kNN graph gathered on rank 0.
type umapOutcome struct {
	res       *umap.Result
	plan      spmd.Plan
	index     []int // scan position of every point; nil: every position
	dim       int   // features per point
	source    string
	idx, dist []float64 // rank 0: the plan.N×K neighbour positions and distances
}

// embedPoints embeds this rank's points x (nLocal×dim) and gathers the kNN graph on rank
// 0. index maps points to scan positions; source describes the points for the log and
// the output.
// Collective.
func embedPoints(ctx context.Context, c collective.Comm, penv *spmd.Env, plan spmd.Plan, index []int, x []float32, dim int, s umap.Settings, source string) (*umapOutcome, error) {
	penv.Log.Infof("umap: embedding %d points of %d features (%s), %d neighbours, %v metric, %v initialisation, on %d ranks",
		plan.N, dim, source, s.NNeighbors, s.Metric, s.Init, c.Size())
	ustart := time.Now()
	res, err := umap.Embed(ctx, c, plan, x, dim, s)
	if err != nil {
		return nil, err
	}
	penv.Times.Add("umap", time.Since(ustart))
	tm := res.Timings
	penv.Log.Infof("umap: %d edges, a=%.4f b=%.4f, %d epochs in %d sub-batches; kNN %.2f s, graph %.2f s, init %.2f s, SGD %.2f s",
		res.Edges, res.A, res.B, res.NEpochs, res.SubBatches, tm.KNN.Seconds(), tm.Graph.Seconds(), tm.Init.Seconds(), tm.Optimize.Seconds())
	if res.Status != umap.Success {
		penv.Log.Warnf("umap: the spectral initialisation did not converge; the embedding was initialised at random (status %v)", res.Status)
	}

	gstart := time.Now()
	u := &umapOutcome{res: res, plan: plan, index: index, dim: dim, source: source}
	idx := make([]float64, len(res.KNNIndices))
	for i, j := range res.KNNIndices {
		if index != nil {
			j = index[j]
		}
		idx[i] = float64(j)
	}
	if u.idx, err = gatherRows(c, plan, idx, res.K, tagKNN); err != nil {
		return nil, err
	}
	if u.dist, err = gatherRows(c, plan, res.KNNDists, res.K, tagKNNDist); err != nil {
		return nil, err
	}
	penv.Times.Add("gather", time.Since(gstart))
	return u, nil
}

// write writes /umap on rank 0 for a scan of shape nav; o gives the settings asked for.
func (u *umapOutcome) write(w *h5.Writer, nav []int, o UMAPOptions) error {
	res, plan, k := u.res, u.plan, u.res.K
	emb := make([]float64, len(res.Embedding))
	for i, v := range res.Embedding {
		emb[i] = float64(v)
	}
	if err := w.WriteFloat64("/umap/embedding", spreadRows(emb, u.index, prod(nav), 2), append(append([]int(nil), nav...), 2)...); err != nil {
		return err
	}
	ii := make([]int64, len(u.idx))
	for i, v := range u.idx {
		ii[i] = int64(v)
	}
	if err := w.WriteInt64("/umap/knn_indices", ii, plan.N, k); err != nil {
		return err
	}
	if err := w.WriteFloat64("/umap/knn_dists", u.dist, plan.N, k); err != nil {
		return err
	}
	if u.index != nil {
		fr := make([]int64, len(u.index))
		for i, v := range u.index {
			fr[i] = int64(v)
		}
		if err := w.WriteInt64("/umap/frames", fr, len(fr)); err != nil {
			return err
		}
	}
	tm := res.Timings
	attrs := []struct {
		name  string
		value any
	}{
		{"n_points", plan.N},
		{"n_features", u.dim},
		{"source", u.source},
		{"n_neighbors", k},
		{"min_dist", o.MinDist},
		{"spread", o.Spread},
		{"a", res.A},
		{"b", res.B},
		{"n_epochs", res.NEpochs},
		{"sub_batches", res.SubBatches},
		{"learning_rate", o.LearningRate},
		{"negative_sample_rate", o.NegativeSampleRate},
		{"set_op_mix_ratio", o.SetOpMixRatio},
		{"metric", o.Metric},
		{"init", res.Init.String()},
		{"init_requested", o.Init},
		{"lanczos_iter", res.LanczosIter},
		{"status", res.Status.String()},
		{"seed", int64(o.Seed)},
		{"edges", res.Edges},
		{"graph_edges", res.Graph.Edges},
		{"graph_components", res.Components},
		{"timing_phases", []string{"knn", "graph", "init", "optimize", "total"}},
		{"timing_seconds", []float64{tm.KNN.Seconds(), tm.Graph.Seconds(), tm.Init.Seconds(), tm.Optimize.Seconds(), tm.Total.Seconds()}},
	}
	for _, a := range attrs {
		if err := w.SetAttr("/umap", a.name, a.value); err != nil {
			return err
		}
	}
	return nil
}
