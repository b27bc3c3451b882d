package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/bits"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/algorithms/preprocess"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/spmd"
)

const pcaUsage = "pca INPUT -k K [--solver auto|randomized|gram|tsqr] [--power-iters Q] [--oversample P] [--seed S] [--passes 1|auto] [--no-center] " +
	"[--bin N] [--crop y0:y1,x0:x1] [--transform none|sqrt|log1p] [--normalize none|total|poisson] " +
	"[--roi y0:y1,x0:x1 | --roi-mask FILE] [--mem-per-rank MB] [--cache auto|off] [--denoise OUT2.h5 [--denoise-space auto|data|preprocessed]] -o OUT.h5"

// PCAOptions are the flags of the pca command.
type PCAOptions struct {
	K          int
	Solver     string
	PowerIters string // "auto" or a count >= 0
	Passes     string // "auto" or 1
	Oversample int
	Seed       uint64
	NoCenter   bool
	Bin        int
	Crop       string
	Transform  string
	Normalize  string
	MemPerRank int    // MiB; 0 means a share of the machine
	Cache      string // auto or off
	Denoise    string
	// DenoiseSpace is where the reconstruction is written: auto, data or preprocessed.
	DenoiseSpace string

	set map[string]bool // flags given on the command line
}

// AddFlags registers the pca flags on f.
func (o *PCAOptions) AddFlags(f *flag.FlagSet) {
	f.IntVar(&o.K, "k", 0, "number of principal `components` (required)")
	f.StringVar(&o.Solver, "solver", "auto", "`solver`: auto (picked from the shape, logged), randomized, gram or tsqr (exact)")
	f.StringVar(&o.PowerIters, "power-iters", "auto", "power iterations `Q` of the randomized solver (auto: 7 if K < 0.1·min(N, D), else 4)")
	f.StringVar(&o.Passes, "passes", "auto", "passes over the data: `auto` (the solver's schedule) or 1 (every frame read once: the accuracy of --power-iters 0, Tropp et al. 2017's sketch when the data are nearly rank-deficient)")
	f.IntVar(&o.Oversample, "oversample", 10, "extra columns `P` of the randomized sketch")
	f.Uint64Var(&o.Seed, "seed", 0, "seed `S` of the randomized solver's test matrix")
	f.BoolVar(&o.NoCenter, "no-center", false, "do not subtract the mean frame (a truncated SVD, like HyperSpy's default)")
	f.IntVar(&o.Bin, "bin", 1, "sum `N`×N detector pixels into one (after --crop); N must divide the detector")
	f.StringVar(&o.Crop, "crop", "", "keep the detector pixels `y0:y1,x0:x1` (half-open)")
	f.StringVar(&o.Transform, "transform", "none", "intensity `transform` after binning: none, sqrt or log1p")
	f.StringVar(&o.Normalize, "normalize", "none", "`normalisation` after the transform: none, total (each frame by its total) or poisson (HyperSpy's normalize_poissonian_noise)")
	f.IntVar(&o.MemPerRank, "mem-per-rank", 0, "memory `MiB` per rank for keeping the preprocessed frames, and the compressed form of mostly-zero frames, between passes (0: 80% of the available memory shared by the ranks of a node)")
	f.StringVar(&o.Cache, "cache", "auto", "keep each rank's preprocessed frames in RAM between passes: `auto` (when they fit --mem-per-rank) or off (the compressed form of mostly-zero frames is kept either way, within --mem-per-rank)")
	f.StringVar(&o.Denoise, "denoise", "", "also write the rank-K reconstruction of the frames to `file` (HDF5, /data)")
	f.StringVar(&o.DenoiseSpace, "denoise-space", "auto", "`space` of --denoise: data (the Poisson normalisation and the transform undone), preprocessed, or auto (data unless --normalize total)")
}

// pcaConfig is the checked form of the options.
type pcaConfig struct {
	fit pca.Settings
	pre preprocess.Settings
	// denoiseData writes --denoise in data units: the Poisson normalisation and the
	// transform undone.
	denoiseData bool
}

// check checks every flag that does not need the input, and returns the settings.
func (o *PCAOptions) check() (pcaConfig, error) {
	var cfg pcaConfig
	switch {
	case !o.set["k"]:
		return cfg, spmd.Usagef("pca: -k is required: give the number of components, e.g. -k 16")
	case o.K < 1:
		return cfg, spmd.Usagef("-k=%d: want at least 1 component, e.g. -k 16", o.K)
	}
	solver, err := pca.ParseSolver(o.Solver)
	if err != nil {
		return cfg, spmd.Usagef("--solver=%q: want auto, randomized, gram or tsqr, e.g. --solver randomized", o.Solver)
	}
	q := 0 // pca: zero means auto, negative none
	if o.PowerIters != "auto" {
		n, err := strconv.Atoi(o.PowerIters)
		if err != nil || n < 0 {
			return cfg, spmd.Usagef("--power-iters=%q: want auto or a count >= 0, e.g. --power-iters 7", o.PowerIters)
		}
		q = n
		if n == 0 {
			q = -1
		}
	}
	if o.Oversample < 0 {
		return cfg, spmd.Usagef("--oversample=%d: want a count >= 0, e.g. --oversample 10", o.Oversample)
	}
	p := o.Oversample
	if p == 0 {
		p = -1
	}
	if solver == pca.Gram || solver == pca.TSQR {
		for _, name := range []string{"power-iters", "oversample", "seed"} {
			if o.set[name] {
				return cfg, spmd.Usagef("--%s: applies to --solver randomized (or auto), not --solver %s", name, solver)
			}
		}
	}
	passes := 0 // pca: zero means the solver's schedule
	switch {
	case o.Passes == "1":
		passes = 1
	case o.Passes != "auto":
		return cfg, spmd.Usagef("--passes=%q: want auto or 1 (the single-pass sketch), e.g. --passes 1", o.Passes)
	}
	if passes == 1 && (solver == pca.Gram || solver == pca.TSQR) {
		return cfg, spmd.Usagef("--passes 1: applies to --solver randomized (or auto), not --solver %s, which reads the data twice", solver)
	}
	if passes == 1 && q > 0 {
		return cfg, spmd.Usagef("--passes 1 with --power-iters %d: a single pass leaves none for power iterations; use --power-iters 0 (or auto)", q)
	}
	cfg.fit = pca.Settings{K: o.K, Oversample: p, PowerIters: q, Seed: o.Seed, NoCenter: o.NoCenter, Solver: solver, Passes: passes}

	if o.Bin < 1 {
		return cfg, spmd.Usagef("--bin=%d: want a factor >= 1 that divides the detector, e.g. --bin 2", o.Bin)
	}
	cfg.pre.Bin = o.Bin
	if o.Crop != "" {
		if cfg.pre.Crop, err = preprocess.ParseRect(o.Crop); err != nil {
			return cfg, spmd.Usagef("--crop=%q: want y0:y1,x0:x1 in detector pixels (half-open, y0 < y1, x0 < x1), e.g. --crop 16:112,16:112", o.Crop)
		}
	}
	if cfg.pre.Transform, err = preprocess.ParseTransform(o.Transform); err != nil {
		return cfg, spmd.Usagef("--transform=%q: want none, sqrt or log1p, e.g. --transform sqrt", o.Transform)
	}
	if cfg.pre.Normalize, err = preprocess.ParseNormalize(o.Normalize); err != nil {
		return cfg, spmd.Usagef("--normalize=%q: want none, total or poisson, e.g. --normalize poisson", o.Normalize)
	}
	if o.MemPerRank < 0 {
		return cfg, spmd.Usagef("--mem-per-rank=%d: want MiB >= 0 (0: automatic), e.g. --mem-per-rank 4096", o.MemPerRank)
	}
	if o.Cache != "auto" && o.Cache != "off" {
		return cfg, spmd.Usagef("--cache=%q: want auto or off, e.g. --cache off", o.Cache)
	}
	if o.set["denoise-space"] && o.Denoise == "" {
		return cfg, spmd.Usagef("--denoise-space: applies with --denoise OUT2.h5")
	}
	switch o.DenoiseSpace {
	case "auto":
		cfg.denoiseData = cfg.pre.Normalize != preprocess.Total
	case "data":
		if cfg.pre.Normalize == preprocess.Total {
			return cfg, spmd.Usagef("--denoise-space data: --normalize total cannot be undone (the frame totals are not kept); use --denoise-space preprocessed")
		}
		cfg.denoiseData = true
	case "preprocessed":
	default:
		return cfg, spmd.Usagef("--denoise-space=%q: want auto, data or preprocessed, e.g. --denoise-space data", o.DenoiseSpace)
	}
	return cfg, nil
}

func runPCACmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o PCAOptions
	var po PassOptions
	f := flag.NewFlagSet("pca", flag.ContinueOnError)
	g.AddFlags(f)
	po.AddFlags(f)
	o.AddFlags(f)
	pos, err := parse(env, f, args, 1, 1, pcaUsage)
	if err != nil {
		return err
	}
	o.set = map[string]bool{}
	f.Visit(func(fl *flag.Flag) { o.set[fl.Name] = true })
	if err := checkAll(g.check(), po.check("pca")); err != nil {
		return err
	}
	cfg, err := o.check()
	if err != nil {
		return err
	}
	if o.Denoise != "" && o.Denoise == po.Output {
		return spmd.Usagef("--denoise=%q: must differ from -o", o.Denoise)
	}
	return runPCA(ctx, env, g, po, o, cfg, pos[0])
}

// pcaRun is the state of one PCA fit on one rank (the pca command's, or the one an ica or
// umap command runs first).
type pcaRun struct {
	env    Env
	c      collective.Comm
	penv   *spmd.Env
	o      PCAOptions
	cfg    pcaConfig
	ds     dataset.Dataset
	raw    spmd.Source // where fit reads the input's frames; nil: ds
	shape  dataset.Shape
	pipe   *preprocess.Pipeline
	index  []int // input frame of every fitted frame; nil: all
	n, d   int   // fitted frames and preprocessed pixels
	plan   spmd.Plan
	budget int64  // memory budget per rank, bytes
	note   string // where the budget comes from, for the log
}

// pcaFit is the outcome of pcaRun.fit.
type pcaFit struct {
	res    *pca.Result
	ps     *preprocess.PoissonScale // nil unless --normalize poisson
	passes int                      // passes over the preprocessed frames
	reads  int                      // reads of the input (the largest of any rank)
}

// newPCARun checks the options that need the input's shape (--crop, --bin, the ROI, -k
// against min(N, D), the memory of an exact solver), agreeing on the outcome, and plans
// the fit over the frames of the ROI. It reads no frame.
// Collective.
func newPCARun(env Env, g GlobalOptions, po PassOptions, o PCAOptions, cfg pcaConfig, ds dataset.Dataset) (*pcaRun, error) {
	c := env.Comm
	r := &pcaRun{env: env, c: c, penv: g.passEnv(env), o: o, cfg: cfg, ds: ds, shape: ds.Shape()}
	r.budget, r.note = memBudget(o.MemPerRank, c.Size())
	if err := spmd.Agree(c, r.checkShape(po, r.budget, g.Block)); err != nil {
		return nil, err
	}
	r.plan = spmd.NewPlan(r.n, pcaBlock(r.n, g.Block), c.Size(), c.Rank())
	return r, nil
}

// runPCA runs the pca command.
// Collective.
func runPCA(ctx context.Context, env Env, g GlobalOptions, po PassOptions, o PCAOptions, cfg pcaConfig, spec string) error {
	start := time.Now()
	c := env.Comm
	ds, stop, err := startRun(env, g, spec)
	if err != nil {
		return err
	}
	defer stop()
	r, err := newPCARun(env, g, po, o, cfg, ds)
	if err != nil {
		return err
	}
	out, err := createResult(env, g, po.Output)
	if err != nil {
		return err
	}
	defer out.abort()
	var den *output
	if o.Denoise != "" {
		if den, err = createOutput(c, o.Denoise); err != nil {
			return err
		}
		defer den.abort()
	}

	fit, err := r.fit(ctx, g, spec)
	if err != nil {
		return err
	}
	res := fit.res
	gstart := time.Now()
	scores, frameTotals, err := r.gatherFit(fit)
	if err != nil {
		return err
	}
	r.penv.Times.Add("gather", time.Since(gstart))

	if den != nil {
		dstart := time.Now()
		if err := r.writeDenoise(ctx, den, res, fit.ps, g); err != nil {
			return err
		}
		r.penv.Times.Add("denoise", time.Since(dstart))
		err = den.commit(func(w *h5.Writer) error {
			if err := r.pcaAttrs(w, "/", res, fit.passes, fit.reads, spec, po); err != nil {
				return err
			}
			if err := w.SetAttr("/", "denoise", r.denoiseNote()); err != nil {
				return err
			}
			return provenance(w, env, ds, r.plan, r.penv.Times, start)
		})
		if err != nil {
			return err
		}
	}

	err = out.commit(func(w *h5.Writer) error {
		wstart := time.Now()
		if err := r.writePCA(w, res, scores, frameTotals, fit.ps); err != nil {
			return err
		}
		if err := r.pcaAttrs(w, "/pca", res, fit.passes, fit.reads, spec, po); err != nil {
			return err
		}
		if r.index != nil {
			if err := w.SetAttr("/", "roi", po.ROI+po.ROIMask); err != nil {
				return err
			}
		}
		r.penv.Times.Add("write", time.Since(wstart))
		return provenance(w, env, ds, r.plan, r.penv.Times, start)
	})
	if err != nil {
		return err
	}
	report(c, r.penv, start)
	if c.Rank() == 0 {
		var evr float64
		for _, v := range res.ExplainedVarianceRatio {
			evr += v
		}
		fmt.Fprintf(env.Stdout, "pca: wrote /pca (K=%d, %v solver, %d passes over X, input read %d time(s), %.4f of the variance) of %d frames to %s in %.2f s\n",
			cfg.fit.K, res.Solver, fit.passes, fit.reads, evr, r.n, po.Output, time.Since(start).Seconds())
		if den != nil {
			fmt.Fprintf(env.Stdout, "pca: wrote the rank-%d reconstruction to %s:/data\n", cfg.fit.K, o.Denoise)
		}
	}
	return nil
}

// fit runs the PCA: it builds the source of the preprocessed frames of the ROI, keeps
// them in RAM when they fit (--cache, --mem-per-rank), runs the pass of the Poisson
// totals if asked, then pca.Fit, and logs what it did. spec names the input in the log.
// Collective.
func (r *pcaRun) fit(ctx context.Context, g GlobalOptions, spec string) (*pcaFit, error) {
	c, cfg, log := r.c, r.cfg, r.penv.Log
	roiNote := ""
	if r.index != nil {
		roiNote = " of the ROI"
	}
	log.Infof("pca: %s, %s; fitting %d frames%s of %d pixels (%dx%d after %s), K=%d, solver %s, %d blocks of %d on %d ranks",
		spec, r.shape, r.n, roiNote, r.d, r.pipe.Sig()[0], r.pipe.Sig()[1], r.preNote(), cfg.fit.K, cfg.fit.Solver, r.plan.NBlocks, r.plan.B, c.Size())

	// The source of the fit: the input itself, or the preprocessed frames of the ROI.
	var src spmd.Source = r.ds
	if r.raw != nil {
		src = r.raw
	}
	if r.index != nil || !r.pipe.Identity() {
		src = r.pipe.Source(src, r.index)
	}
	work := r.workBytes(g)
	var cache *preprocess.Cache
	if r.keepsFrames(work) {
		cache = preprocess.NewCache(src, r.plan, r.d)
		src = cache
	}
	if err := r.logCache(cache, work, r.budget, r.note); err != nil {
		return nil, err
	}

	// Poisson normalisation: one pass for the totals (which fills the cache).
	fit := &pcaFit{}
	if cfg.pre.Normalize == preprocess.Poisson {
		ps, err := r.pipe.PoissonTotals(ctx, c, r.penv, r.plan, src, r.index)
		if err != nil {
			return nil, err
		}
		fit.ps, fit.passes = ps, 1
		if cache != nil && cache.Complete() {
			cache.Apply(r.penv.Workers, ps.Scale)
		} else {
			src = ps.Source(src)
		}
	}

	// What the budget leaves next to the cache (if kept) and the working memory (twice
	// each, for the collector, as in fits) keeps the sparse forms of the frames, with or
	// without the cache: they are the same on every pass, from the cache or the input.
	settings := cfg.fit
	settings.SparseBytes = r.budget/2 - work
	if cache != nil {
		settings.SparseBytes -= r.cacheBytes()
	}
	res, err := pca.Fit(ctx, c, r.penv, r.plan, r.d, src, settings)
	if err != nil {
		return nil, r.fitError(err)
	}
	fit.res = res
	fit.passes += res.Passes
	reads := fit.passes // times this rank read its frames of the input
	switch {
	case r.plan.NLocal() == 0:
		reads = 0
	case cache != nil && cache.Complete():
		reads = 1
	}
	all := []int64{int64(reads)}
	if err := c.AllreduceInt64(all, collective.Max); err != nil {
		return nil, err
	}
	fit.reads = int(all[0])
	if cfg.fit.Solver == pca.Auto {
		log.Infof("pca: --solver auto picked %v for N=%d frames, D=%d pixels, K=%d (the rules are in docs/pca.md)", res.Solver, r.n, r.d, cfg.fit.K)
	}
	extra := 0
	if fit.ps != nil {
		extra = 1
	}
	log.Infof("pca: %d passes over X (%s), the input read %d time(s)", fit.passes, passNote(res, extra), fit.reads)
	if res.SparseBlocks > 0 {
		log.Infof("pca: sparse frames: rank %d kept the compressed form of %d of its %d blocks between passes (%d MiB)",
			c.Rank(), res.SparseBlocks, r.plan.B1-r.plan.B0, res.SparseKept>>20)
	}
	return fit, nil
}

// keepsFrames reports whether this rank keeps its preprocessed frames in RAM: when the
// fit reads them more than once and they fit (--cache, --mem-per-rank) next to work bytes
// of working memory.
func (r *pcaRun) keepsFrames(work int64) bool {
	return !r.onePass() && r.fits(work, r.cacheBytes())
}

// onePass reports whether the fit reads its frames once (--passes 1 without the pass of
// the Poisson totals), so that keeping them would only cost memory.
func (r *pcaRun) onePass() bool {
	return r.cfg.fit.Passes == 1 && r.cfg.pre.Normalize != preprocess.Poisson
}

// cacheBytes is the size of this rank's preprocessed frames.
func (r *pcaRun) cacheBytes() int64 { return int64(r.plan.NLocal()) * int64(r.d) * 4 }

// fits reports whether held bytes kept in RAM fit the budget (--cache, --mem-per-rank) next
// to work bytes of working memory.
func (r *pcaRun) fits(work, held int64) bool {
	// Go's collector lets the heap grow to about twice the live data (GOGC=100).
	return r.o.Cache != "off" && r.plan.NLocal() > 0 && 2*(held+work) <= r.budget
}

// pcaBlock returns the frames per block of a fit of n frames: --block if given, else
// spmd.BlockSize(n) (about a thousand blocks) raised to min(256, ⌈n/64⌉). Every block of a
// pass yields a partial of l×D (randomized) or D×D (Gram) values that is merged along the
// block tree, so blocks of a few frames spend more time allocating and merging partials
// than computing them (16-frame blocks of 16384-pixel frames: a 3.4 MB partial per 1 MB
// of frames); at least 64 blocks keep 64 ranks busy. It depends on n alone, never on the
// number of ranks.
func pcaBlock(n, block int) int {
	if block > 0 {
		return block
	}
	return max(spmd.BlockSize(n), min(256, (n+63)/64))
}

// fitError names the input frame and its scan position in the error of a non-finite
// frame, as the preprocessing does (pca knows only the row of the fitted matrix).
func (r *pcaRun) fitError(err error) error {
	var nf *pca.NonFiniteError
	if !errors.As(err, &nf) {
		return err
	}
	f := nf.Frame
	if r.index != nil {
		f = r.index[f]
	}
	return spmd.WithCode(spmd.ExitInput, &preprocess.FrameError{Frame: f, Nav: r.shape.Nav, Reason: "holds a NaN or an infinite value"})
}

// Message tags of the pca command (the block-tree tags of the passes are 1 and 2).
const (
	tagScores  = 40
	tagTotals  = 41
	tagDenoise = 42
)

// checkShape builds the pipeline and the ROI and checks what needs the input's shape:
// --crop, --bin, the ROI, -k against min(N, D), and the memory of an exact solver. It is
// local; the caller agrees on its error.
func (r *pcaRun) checkShape(po PassOptions, budget int64, block int) error {
	sig := r.shape.Sig
	pre := r.cfg.pre
	pipe, err := preprocess.New(r.shape.Nav, sig, pre)
	switch {
	case errors.Is(err, preprocess.ErrCrop):
		return spmd.Usagef("--crop=%q: does not lie on the %dx%d detector, e.g. --crop 0:%d,0:%d", r.o.Crop, sig[0], sig[1], sig[0], sig[1])
	case errors.Is(err, preprocess.ErrBin):
		h, w := sig[0], sig[1]
		after := ""
		if !pre.Crop.IsZero() {
			h, w = pre.Crop.Y1-pre.Crop.Y0, pre.Crop.X1-pre.Crop.X0
			after = " (after --crop)"
		}
		return spmd.Usagef("--bin=%d: does not divide the %dx%d detector%s; use a common divisor of %d and %d, e.g. --bin %d", r.o.Bin, h, w, after, h, w, divisorBelow(gcd(h, w), r.o.Bin))
	case err != nil:
		return spmd.WithCode(spmd.ExitUsage, err)
	}
	r.pipe = pipe
	roi, err := po.roi(r.shape.Nav)
	if err != nil {
		return err
	}
	r.n = r.shape.N()
	if roi != nil {
		for f, in := range roi {
			if in {
				r.index = append(r.index, f)
			}
		}
		r.n = len(r.index)
	}
	r.d = pipe.D()
	if k := r.cfg.fit.K; k > min(r.n, r.d) {
		what := "frames"
		if roi != nil {
			what = "frames in the ROI"
		}
		return spmd.Usagef("-k=%d: want at most min(N, D) = min(%d, %d) (%s, pixels per preprocessed frame), e.g. -k %d", k, r.n, r.d, what, min(r.n, r.d, 16))
	}
	if s := r.cfg.fit.Solver; s == pca.Gram || s == pca.TSQR {
		plan := spmd.NewPlan(r.n, pcaBlock(r.n, block), r.c.Size(), r.c.Rank())
		if need := exactBytes(s, r.n, r.d, plan, r.workers()); need > budget {
			return spmd.Usagef("--solver=%v: needs about %s per rank for D=%d pixels, more than --mem-per-rank %s; use --solver randomized, or --bin or --crop the detector", s, mib(need), r.d, mib(budget))
		}
	}
	return nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// divisorBelow returns the largest divisor of n not above b, at least 1.
func divisorBelow(n, b int) int {
	for v := min(b, n); v > 1; v-- {
		if n%v == 0 {
			return v
		}
	}
	return 1
}

// preNote describes the preprocessing for the log.
func (r *pcaRun) preNote() string {
	crop := "none"
	if !r.cfg.pre.Crop.IsZero() {
		crop = r.cfg.pre.Crop.String()
	}
	return fmt.Sprintf("crop %s, bin %d, transform %v, normalize %v, center %v", crop, r.o.Bin, r.cfg.pre.Transform, r.cfg.pre.Normalize, !r.o.NoCenter)
}

func (r *pcaRun) workers() int {
	if r.penv.Workers > 0 {
		return r.penv.Workers
	}
	return max(1, runtime.GOMAXPROCS(0))
}

// passNote explains the passes of a fit.
func passNote(res *pca.Result, extra int) string {
	var s string
	switch {
	case res.CoSketch > 0 && res.CoRangeSolve:
		s = fmt.Sprintf("1 single pass; B by Tropp et al.'s co-range solve, the sketch being rank-deficient (cond %.3g)", res.SketchCond)
	case res.CoSketch > 0:
		s = fmt.Sprintf("1 single pass; B = R⁻ᵀ·(XᵀY)ᵀ from the fused product (cond %.3g), as with --power-iters 0", res.SketchCond)
	case res.Solver == pca.Randomized:
		s = fmt.Sprintf("%d power iterations + 1", res.Iter)
		if res.ExtraPass {
			s += " + 1 for B = QᵀX, the sketch being rank-deficient"
		}
	default:
		s = "1 for the decomposition + 1 for the scores"
	}
	if extra > 0 {
		s += " + 1 for the Poisson totals"
	}
	return s
}

// logCache says on rank 0 whether the ranks keep their preprocessed frames in RAM.
// Collective.
func (r *pcaRun) logCache(cache *preprocess.Cache, work, budget int64, note string) error {
	on := []int64{0}
	if cache != nil || (r.plan.NLocal() == 0 && r.o.Cache != "off") {
		on[0] = 1 // a rank without frames has nothing to read again
	}
	if err := r.c.AllreduceInt64(on, collective.Sum); err != nil {
		return err
	}
	size := int64(r.plan.NLocal()) * int64(r.d) * 4
	what := fmt.Sprintf("rank 0: %d frames, %s, plus about %s of working memory, twice that for the garbage collector; --mem-per-rank %s%s", r.plan.NLocal(), mib(size), mib(work), mib(budget), note)
	switch {
	case r.onePass():
		r.penv.Log.Infof("cache: not kept: --passes 1 reads every frame once")
	case on[0] == int64(r.c.Size()):
		r.penv.Log.Infof("cache: every rank keeps its preprocessed frames in RAM after the first pass (%s)", what)
	case on[0] == 0 && r.o.Cache == "off":
		r.penv.Log.Infof("cache: off (--cache off): every pass reads the input again")
	case on[0] == 0:
		r.penv.Log.Infof("cache: off, the preprocessed frames do not fit (%s): every pass reads the input again", what)
	default:
		r.penv.Log.Infof("cache: %d of %d ranks keep their preprocessed frames in RAM; the others read the input on every pass (%s)", on[0], r.c.Size(), what)
	}
	return nil
}

// mib formats bytes as MiB.
func mib(b int64) string { return fmt.Sprintf("%d MiB", (b+(1<<20)-1)>>20) }

// memBudget returns the memory budget per rank in bytes: --mem-per-rank if given, else
// 80% of the memory available to this process (MemAvailable of /proc/meminfo, capped by
// the cgroup limit) divided by the ranks on this node, and a note saying where it comes
// from.
func memBudget(memPerRank, size int) (int64, string) {
	if memPerRank > 0 {
		return int64(memPerRank) << 20, ""
	}
	avail := availableMemory()
	local := localRanks(size)
	return avail / 5 * 4 / int64(local), fmt.Sprintf(" (automatic: 80%% of %s available, shared by %d ranks on the node)", mib(avail), local)
}

// localRanks returns the number of ranks on this node from the launcher's environment,
// or size (every rank on this node, as with --ranks or a singleton).
func localRanks(size int) int {
	for _, v := range []string{"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"} {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n > 0 {
			return n
		}
	}
	return max(size, 1)
}

// availableMemory returns MemAvailable from /proc/meminfo, capped by the cgroup memory
// limit less the cgroup's usage, or 4 GiB if neither can be read.
func availableMemory() int64 {
	avail := int64(-1)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64); err == nil {
					avail = kb << 10
				}
			}
		}
		f.Close()
	}
	readInt := func(path string) int64 {
		b, err := os.ReadFile(path)
		if err != nil {
			return -1
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return -1
		}
		return v
	}
	for _, p := range [][2]string{
		{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
		{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"},
	} {
		limit, used := readInt(p[0]), readInt(p[1])
		if limit > 0 && limit < 1<<60 && used >= 0 {
			if free := limit - used; avail < 0 || free < avail {
				avail = max(free, 0)
			}
			break
		}
	}
	if avail < 0 {
		return 4 << 30
	}
	return avail
}

// workBytes estimates the memory a rank needs besides the cache: two tiles, the input
// chunk of the preprocessing, the solver's partials and sketch, and the scores (gathered
// on rank 0). For --solver auto it takes the larger of the candidates.
func (r *pcaRun) workBytes(g GlobalOptions) int64 {
	w := r.workers()
	d, n, k := int64(r.d), int64(r.n), int64(r.cfg.fit.K)
	nLocal := int64(r.plan.NLocal())
	tile := min(int64(g.TileMB)<<20, nLocal*d*4)
	b := 2*tile + nLocal*k*8
	if r.c.Rank() == 0 {
		b += 2 * n * k * 8
	}
	if !r.pipe.Identity() {
		b += 8 << 20
	}
	solver := r.cfg.fit.Solver
	var s int64
	switch solver {
	case pca.Gram, pca.TSQR:
		s = exactBytes(solver, r.n, r.d, r.plan, w)
	default:
		p := int64(r.cfg.fit.Oversample)
		if p == 0 {
			p = 10
		}
		l := min(k+max(p, 0), n, d)
		levels := int64(bits.Len(uint(r.plan.NBlocks)))
		s = 3*nLocal*l*8 + (int64(w)+levels+4)*l*d*8 + int64(w)*64*d*8
		// The sparse kernels' scratch per worker: a chunk's non-zero pattern (256·D int32)
		// and compressed form (at most half its values, 5 bytes each), and Pᵀ in float32
		// and float64 (D × l rounded up to 32).
		s += int64(w) * (256*d*4 + 128*d*5 + d*(l+31)/32*32*12)
		if r.cfg.fit.Passes == 1 {
			// Every partial holds P (l×D) and W (s×D, s = 2l + 1); Ω and B, l×D.
			s = 3*nLocal*l*8 + (int64(w)+levels+1)*(3*l+1)*d*8 + 2*l*d*8 + int64(w)*64*d*8
		}
		if solver == pca.Auto && (r.d <= 1000 || max(r.n, r.d) <= 500 || float64(k) >= 0.8*float64(min(n, d))) {
			s = max(s, exactBytes(pca.Gram, r.n, r.d, r.plan, w), exactBytes(pca.TSQR, r.n, r.d, r.plan, w))
		}
	}
	return b + s
}

// exactBytes estimates the memory per rank of the exact solvers: D×D (Gram) or at most
// min(N, D)×D (TSQR) float64 partials, one per worker and per pending tree level, and the
// dense factorisation.
func exactBytes(s pca.Solver, n, d int, plan spmd.Plan, workers int) int64 {
	levels := int64(bits.Len(uint(plan.NBlocks)))
	rows := int64(d)
	if s == pca.TSQR {
		rows = int64(min(n, d))
	}
	part := rows * int64(d) * 8
	return (int64(workers)+levels+4)*part + int64(workers)*int64(plan.B)*int64(d)*8
}

// rawData returns the nLocal×k values of a result matrix, or nil for an empty one.
func rawData(m *mat.Dense, nLocal, k int) []float64 {
	if nLocal == 0 || m == nil || m.IsEmpty() {
		return nil
	}
	raw := m.RawMatrix()
	if raw.Stride == k {
		return raw.Data[:nLocal*k]
	}
	return mat.DenseCopyOf(m).RawMatrix().Data
}

// maxMessage bounds the values of one message of gatherRows (64 MiB of float64).
const maxMessage = 1 << 23

// gatherRows returns, on rank 0, the rows of every rank in plan order (plan.N×width) and
// nil elsewhere. local holds this rank's plan.NLocal() rows. Ranks send their rows to rank
// 0 in messages of at most 64 MiB.
// Collective.
func gatherRows(c collective.Comm, plan spmd.Plan, local []float64, width, tag int) ([]float64, error) {
	if len(local) != plan.NLocal()*width {
		panic(fmt.Sprintf("cli: gatherRows of %d values for %d rows of %d", len(local), plan.NLocal(), width))
	}
	if c.Rank() != 0 {
		for lo := 0; lo < len(local); lo += maxMessage {
			if err := collective.SendOf(c, local[lo:min(lo+maxMessage, len(local))], 0, tag); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	all := make([]float64, plan.N*width)
	copy(all, local)
	for rank := 1; rank < c.Size(); rank++ {
		p := spmd.NewPlan(plan.N, plan.B, plan.Size, rank)
		part := all[p.Beg*width : p.End*width]
		for lo := 0; lo < len(part); lo += maxMessage {
			if err := collective.RecvOf(c, part[lo:min(lo+maxMessage, len(part))], rank, tag); err != nil {
				return nil, err
			}
		}
	}
	return all, nil
}

// gatherFit gathers on rank 0 the scores of the fit (plan.N×K) and, with --normalize
// poisson, the frame totals; nil elsewhere.
// Collective.
func (r *pcaRun) gatherFit(fit *pcaFit) (scores, totals []float64, err error) {
	k := fit.res.K
	if scores, err = gatherRows(r.c, r.plan, rawData(fit.res.Scores, r.plan.NLocal(), k), k, tagScores); err != nil {
		return nil, nil, err
	}
	if fit.ps != nil {
		totals, err = gatherRows(r.c, r.plan, fit.ps.FrameTotals, 1, tagTotals)
	}
	return scores, totals, err
}

// navRows spreads the rows of the fitted frames (n×width, on rank 0) over the scan: row
// i goes to input frame index[i], and frames outside the ROI get NaN.
func (r *pcaRun) navRows(rows []float64, width int) []float64 {
	if r.index == nil {
		return rows
	}
	out := make([]float64, r.shape.N()*width)
	for i := range out {
		out[i] = math.NaN()
	}
	for i, f := range r.index {
		copy(out[f*width:(f+1)*width], rows[i*width:(i+1)*width])
	}
	return out
}

// writePCA writes the datasets of /pca on rank 0.
func (r *pcaRun) writePCA(w *h5.Writer, res *pca.Result, scores, frameTotals []float64, ps *preprocess.PoissonScale) error {
	k, sig := res.K, r.pipe.Sig()
	nav := r.shape.Nav
	dims := func(lead []int, tail ...int) []int { return append(append([]int(nil), lead...), tail...) }
	type set struct {
		name string
		data []float64
		dims []int
	}
	sets := []set{
		{"components", res.Components.RawMatrix().Data, dims([]int{k}, sig...)},
		{"scores", r.navRows(scores, k), dims(nav, k)},
		{"singular_values", res.SingularValues, []int{k}},
		{"explained_variance", res.ExplainedVariance, []int{k}},
		{"explained_variance_ratio", res.ExplainedVarianceRatio, []int{k}},
		{"mean", res.Mean, sig},
		{"noise_variance", []float64{res.NoiseVariance}, []int{}},
		{"total_variance", []float64{res.TotalVariance}, []int{}},
	}
	if ps != nil {
		fs := make([]float64, len(frameTotals))
		for i, a := range frameTotals {
			fs[i] = math.Sqrt(a)
		}
		px := make([]float64, len(ps.PixelTotals))
		for j, b := range ps.PixelTotals {
			px[j] = math.Sqrt(b)
		}
		sets = append(sets, set{"poisson_frame_scale", r.navRows(fs, 1), nav}, set{"poisson_pixel_scale", px, sig})
	}
	for _, s := range sets {
		if err := w.WriteFloat64("/pca/"+s.name, s.data, s.dims...); err != nil {
			return err
		}
	}
	return nil
}

// pcaAttrs writes the attributes of the fit to obj.
func (r *pcaRun) pcaAttrs(w *h5.Writer, obj string, res *pca.Result, passes, reads int, spec string, po PassOptions) error {
	center := 1
	if r.o.NoCenter {
		center = 0
	}
	// The randomized solver's settings, zero for the exact solvers.
	iters, over, sketch, cond, bform := 0, 0, 0, 0.0, ""
	if res.Solver == pca.Randomized {
		iters, over, sketch, cond = res.Iter, r.o.Oversample, res.Sketch, res.SketchCond
		// How B = QᵀX was formed.
		switch {
		case res.CoRangeSolve:
			bform = "corange"
		case res.ExtraPass:
			bform = "pass"
		default:
			bform = "fused"
		}
	}
	attrs := []struct {
		name  string
		value any
	}{
		{"solver", res.Solver.String()},
		{"solver_requested", r.cfg.fit.Solver.String()},
		{"k", res.K},
		{"n_frames", r.n},
		{"n_pixels", r.d},
		{"passes", passes},
		{"input_reads", reads},
		{"power_iters", iters},
		{"oversample", over},
		{"sketch", sketch},
		{"sketch_cond", cond},
		{"b_form", bform},
		{"seed", int64(r.cfg.fit.Seed)},
		{"ranks", r.c.Size()},
		{"center", center},
		{"crop", r.pipe.Crop().String()},
		{"bin", max(r.cfg.pre.Bin, 1)},
		{"transform", r.cfg.pre.Transform.String()},
		{"normalize", r.cfg.pre.Normalize.String()},
		{"roi", po.ROI + po.ROIMask},
		{"sig_shape", r.pipe.Sig()},
	}
	for _, a := range attrs {
		if err := w.SetAttr(obj, a.name, a.value); err != nil {
			return err
		}
	}
	return nil
}

// writeDenoise writes the rank-K reconstruction scores·components + mean of every fitted
// frame to /data of den, shaped like the input (nav, dy', dx'), float32, NaN outside the
// ROI. Rank 0 writes tiles of whole first-axis rows (scan rows) by hyperslab; every other
// rank computes the frames of a tile it owns, block by block, and sends them to rank 0,
// so memory stays within a tile and one block per rank. The ranks agree on errors after
// every tile.
// Collective.
func (r *pcaRun) writeDenoise(ctx context.Context, den *output, res *pca.Result, ps *preprocess.PoissonScale, g GlobalOptions) error {
	c, d := r.c, r.d
	nav := r.shape.Nav
	rows := nav[0]
	rowFrames := r.shape.N() / rows
	dims := append(append([]int(nil), nav...), r.pipe.Sig()...)
	var wd *h5.WDataset
	var err error
	if c.Rank() == 0 {
		wd, err = den.w.CreateDataset("/data", "float32", dims, h5.DatasetOptions{})
	}
	if err = spmd.Agree(c, err); err != nil {
		return err
	}
	if wd != nil {
		defer wd.Close()
	}
	plans := make([]spmd.Plan, c.Size())
	for rank := range plans {
		plans[rank] = spmd.NewPlan(r.plan.N, r.plan.B, r.plan.Size, rank)
	}
	// fitted returns the first fitted frame at or after input frame f.
	fitted := func(f int) int {
		if r.index == nil {
			return f
		}
		return sort.SearchInts(r.index, f)
	}
	perTile := max(1, int((int64(g.TileMB)<<20)/(int64(rowFrames)*int64(d)*4)))
	rec := &reconstructor{res: res, plan: r.plan, d: d, block: -1}
	if r.cfg.denoiseData {
		rec.ps, rec.transform = ps, r.cfg.pre.Transform
	}
	var tile, part []float32
	var werr error
	last := time.Now()
	for y0 := 0; y0 < rows; y0 += perTile {
		y1 := min(y0+perTile, rows)
		f0, f1 := y0*rowFrames, y1*rowFrames
		lo, hi := fitted(f0), fitted(f1)
		own := func(rank int) (int, int) { return max(lo, plans[rank].Beg), min(hi, plans[rank].End) }
		a, b := own(c.Rank())
		if c.Rank() != 0 {
			if a < b {
				part = grow(part, (b-a)*d)
				rec.rowsTo(part, a, b)
				if err := collective.SendOf(c, part, 0, tagDenoise); err != nil {
					return err
				}
			}
		} else {
			tile = grow(tile, (f1-f0)*d)
			if r.index != nil {
				nan := float32(math.NaN())
				for i := range tile {
					tile[i] = nan
				}
			}
			place := func(vals []float32, a, b int) {
				for i := a; i < b; i++ {
					f := i
					if r.index != nil {
						f = r.index[i]
					}
					copy(tile[(f-f0)*d:(f-f0+1)*d], vals[(i-a)*d:(i-a+1)*d])
				}
			}
			if a < b {
				part = grow(part, (b-a)*d)
				rec.rowsTo(part, a, b)
				place(part, a, b)
			}
			for rank := 1; rank < c.Size(); rank++ {
				ra, rb := own(rank)
				if ra >= rb {
					continue
				}
				part = grow(part, (rb-ra)*d)
				if err := collective.RecvOf(c, part, rank, tagDenoise); err != nil {
					return err
				}
				place(part, ra, rb)
			}
			if werr == nil {
				werr = wd.WriteRows(y0, y1, tile)
			}
			if r.penv.Progress > 0 && time.Since(last) >= r.penv.Progress {
				r.penv.Log.Infof("denoise: %d/%d rows written", y1, rows)
				last = time.Now()
			}
		}
		lerr := ctx.Err()
		if lerr == nil {
			lerr = werr
		}
		if err := spmd.Agree(c, lerr); err != nil {
			return err
		}
	}
	return nil
}

// grow returns s with length n, reusing its memory when it is large enough.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// reconstructor computes rows of scores·components + mean for this rank's frames, one
// block of the plan at a time (one matrix product per block, so a row's bits do not
// depend on which rows are asked for together, nor on the number of ranks).
type reconstructor struct {
	res *pca.Result
	// ps undoes the Poisson normalisation and transform the transform (data space); nil
	// and NoTransform leave the preprocessed space.
	ps        *preprocess.PoissonScale
	transform preprocess.Transform
	plan      spmd.Plan
	d         int
	block     int       // block held in rows, or −1
	rows      []float32 // its reconstructed frames
	tmp       *mat.Dense
}

// rowsTo stores the reconstruction of this rank's frames [a, b) in dst.
func (rc *reconstructor) rowsTo(dst []float32, a, b int) {
	d := rc.d
	for f := a; f < b; {
		blk := f / rc.plan.B
		rg := rc.plan.BlockRange(blk)
		if blk != rc.block {
			rc.compute(blk, rg)
		}
		e := min(b, rg.End)
		copy(dst[(f-a)*d:(e-a)*d], rc.rows[(f-rg.Beg)*d:(e-rg.Beg)*d])
		f = e
	}
}

func (rc *reconstructor) compute(blk int, rg spmd.Range) {
	k, d := rc.res.K, rc.d
	m := rg.Len()
	sc := rc.res.Scores.Slice(rg.Beg-rc.plan.Beg, rg.End-rc.plan.Beg, 0, k).(*mat.Dense)
	if rc.tmp == nil {
		rc.tmp = mat.NewDense(rc.plan.B, d, nil)
	}
	out := rc.tmp.Slice(0, m, 0, d).(*mat.Dense)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, sc.RawMatrix(), rc.res.Components.RawMatrix(), 0, out.RawMatrix())
	rc.rows = grow(rc.rows, m*d)
	mean := rc.res.Mean
	for i := range m {
		row := out.RawRowView(i)
		for j, v := range row {
			row[j] = v + mean[j]
		}
		if rc.ps != nil {
			rc.ps.Unscale(row, rg.Beg+i)
		}
		rc.transform.Invert(row)
		dst := rc.rows[i*d : (i+1)*d]
		for j, v := range row {
			dst[j] = float32(v)
		}
	}
	rc.block = blk
}

// denoiseNote describes the reconstruction of --denoise for its root attribute.
func (r *pcaRun) denoiseNote() string {
	k := r.cfg.fit.K
	if !r.cfg.denoiseData {
		return fmt.Sprintf("rank-%d reconstruction scores·components + mean of the preprocessed frames (after crop, bin, transform and normalisation); NaN outside the ROI", k)
	}
	return fmt.Sprintf("rank-%d reconstruction in data units: scores·components + mean with the Poisson normalisation and the %v transform undone (after crop and bin); NaN outside the ROI", k, r.cfg.pre.Transform)
}
