package cli

import (
	"context"
	"flag"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/ica"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/spmd"
)

const icaUsage = "ica INPUT -k K [--from PCA.h5] [--fun logcosh|exp|cube] [--alpha A] [--algorithm parallel|deflation] " +
	"[--max-iter N] [--tol T] [--seed S] [--strict] [PCA options: --solver, --pca-seed, --bin, --crop, --transform, " +
	"--normalize, --roi, ...] -o OUT.h5"

// ICAOptions are the flags of the ica command besides the PCA options.
type ICAOptions struct {
	From      string
	Fun       string
	Alpha     float64
	Algorithm string
	MaxIter   int
	Tol       float64
	Seed      uint64
	Strict    bool
}

// AddFlags registers the ica flags on f.
func (o *ICAOptions) AddFlags(f *flag.FlagSet) {
	f.StringVar(&o.From, "from", "", "use the PCA stored in `file` (/pca of a pca, ica or umap output) instead of fitting one")
	f.StringVar(&o.Fun, "fun", "logcosh", "contrast `function`: logcosh, exp or cube")
	f.Float64Var(&o.Alpha, "alpha", ica.DefaultAlpha, "`α` of logcosh, in [1, 2]")
	f.StringVar(&o.Algorithm, "algorithm", "parallel", "FastICA `form`: parallel (symmetric) or deflation")
	f.IntVar(&o.MaxIter, "max-iter", ica.DefaultMaxIter, "iteration limit `N` (deflation: per component)")
	f.Float64Var(&o.Tol, "tol", ica.DefaultTol, "convergence `threshold` on the change of the unmixing matrix")
	f.Uint64Var(&o.Seed, "seed", 0, "seed `S` of the initial unmixing matrix")
	f.BoolVar(&o.Strict, "strict", false, "exit with code 1 if the iteration does not converge (the output is still written)")
}

// check checks the ica flags and returns the settings for k components.
func (o *ICAOptions) check(k int) (ica.Settings, error) {
	s := ica.Settings{K: k, MaxIter: o.MaxIter, Tol: o.Tol, Alpha: o.Alpha, Seed: o.Seed}
	var err error
	if s.Fun, err = ica.ParseFun(o.Fun); err != nil {
		return s, spmd.Usagef("--fun=%q: want logcosh, exp or cube, e.g. --fun exp", o.Fun)
	}
	if s.Algorithm, err = ica.ParseAlgorithm(o.Algorithm); err != nil {
		return s, spmd.Usagef("--algorithm=%q: want parallel or deflation, e.g. --algorithm deflation", o.Algorithm)
	}
	switch {
	case o.MaxIter < 1:
		return s, spmd.Usagef("--max-iter=%d: want at least 1, e.g. --max-iter 200", o.MaxIter)
	case !(o.Tol > 0) || math.IsInf(o.Tol, 0):
		return s, spmd.Usagef("--tol=%v: want a positive threshold, e.g. --tol 1e-4", o.Tol)
	case !(o.Alpha > 0) || math.IsInf(o.Alpha, 0):
		return s, spmd.Usagef("--alpha=%v: want a positive value, e.g. --alpha 1", o.Alpha)
	}
	return s, nil
}

// addPCAFlags registers the flags of PCAOptions on f under the names of rename (an empty
// new name leaves the flag out), so that ica and umap take pca's preprocessing options.
func addPCAFlags(f *flag.FlagSet, o *PCAOptions, rename map[string]string) {
	tmp := flag.NewFlagSet("pca", flag.ContinueOnError)
	o.AddFlags(tmp)
	tmp.VisitAll(func(fl *flag.Flag) {
		name := fl.Name
		if n, ok := rename[name]; ok {
			name = n
		}
		if name != "" {
			f.Var(fl.Value, name, fl.Usage)
		}
	})
}

// pcaFlagsSet returns the pca options given on the command line, under pca's names, and
// whether any was given.
func pcaFlagsSet(f *flag.FlagSet, rename map[string]string) (map[string]bool, []string) {
	back := map[string]string{}
	for old, n := range rename {
		if n != "" {
			back[n] = old
		}
	}
	tmp := flag.NewFlagSet("pca", flag.ContinueOnError)
	var o PCAOptions
	o.AddFlags(tmp)
	set := map[string]bool{}
	var given []string
	f.Visit(func(fl *flag.Flag) {
		name := fl.Name
		if old, ok := back[name]; ok {
			name = old
		} else if _, renamed := rename[name]; renamed {
			return // a flag of the command's own under a name pca also uses
		}
		if tmp.Lookup(name) != nil {
			set[name] = true
			given = append(given, "--"+fl.Name)
		}
	})
	return set, given
}

// storedPCA is a PCA read back from a result file, with this rank's rows of its scores.
type storedPCA struct {
	file       string
	nav, sig   []int     // scan shape of the scores; detector shape of the components
	m          int       // components stored
	index      []int     // scan position of every fitted frame; nil: every position
	n          int       // fitted frames
	scores     []float64 // this rank's rows [plan.Beg, plan.End) of the n×m scores
	variance   []float64 // m explained variances
	components []float64 // m×D
	plan       spmd.Plan
}

// readPCA reads /pca of file: the explained variances and components on every rank, and
// this rank's rows of the scores by hyperslab. Frames outside the PCA's ROI are the rows
// of NaN scores: rank 0 finds them from the first score of every frame and broadcasts the
// index of the fitted frames. block is --block.
// Collective. The error is agreed.
func readPCA(c collective.Comm, file string, block int) (*storedPCA, error) {
	p := &storedPCA{file: file}
	f, err := h5.OpenFile(file)
	if err != nil {
		err = spmd.WithCode(spmd.ExitInput, fmt.Errorf("--from: %w", err))
	}
	if err = spmd.Agree(c, err); err != nil {
		return nil, err
	}
	defer f.Close()
	err = p.readMeta(f)
	if err == nil && c.Rank() == 0 {
		err = p.findFitted(f)
	}
	if err = spmd.Agree(c, err); err != nil {
		return nil, err
	}
	if err := p.shareFitted(c); err != nil {
		return nil, err
	}
	if p.n < 2 {
		return nil, p.bad("the PCA has %d fitted frames, want at least 2", p.n)
	}
	p.plan = spmd.NewPlan(p.n, pcaBlock(p.n, block), c.Size(), c.Rank())
	return p, spmd.Agree(c, p.readScores(f))
}

// readPCAFor is readPCA of a PCA that must have been fitted on an input of shape.
// Collective. The error of readPCA is agreed; that of the shape is the same on every rank.
func readPCAFor(c collective.Comm, file string, block int, shape dataset.Shape) (*storedPCA, error) {
	p, err := readPCA(c, file, block)
	if err == nil && prod(p.nav) != shape.N() {
		err = spmd.Inputf("--from=%q: the PCA's scan %v does not match the input's %v", file, p.nav, shape.Nav)
	}
	return p, err
}

// fromExcludes refuses, with --from (the PCA read from a file), the PCA options given and
// the ROI flags.
func fromExcludes(from string, given []string, po PassOptions) error {
	if len(given) > 0 {
		return spmd.Usagef("%s: PCA options do not apply with --from (the PCA is read from %s)", given[0], from)
	}
	if po.ROI != "" || po.ROIMask != "" {
		return spmd.Usagef("--roi, --roi-mask: do not apply with --from (the ROI is that of the PCA in %s)", from)
	}
	return nil
}

// bad is an input error about the file.
func (p *storedPCA) bad(format string, args ...any) error {
	return spmd.Inputf("--from=%q: "+format, append([]any{p.file}, args...)...)
}

// readMeta reads the explained variances, the components and the shapes.
func (p *storedPCA) readMeta(f *h5.File) error {
	sdims, err := f.Dims("/pca/scores")
	if err != nil {
		return p.bad("no PCA in the file (want /pca/scores, /pca/explained_variance and /pca/components, as stemreduce pca writes them): %v", err)
	}
	variance, vdims, err := f.ReadFloat64("/pca/explained_variance")
	if err != nil {
		return p.bad("could not read /pca/explained_variance: %v", err)
	}
	comps, cdims, err := f.ReadFloat64("/pca/components")
	if err != nil {
		return p.bad("could not read /pca/components: %v", err)
	}
	if len(sdims) < 2 || len(vdims) != 1 || len(cdims) < 2 || sdims[len(sdims)-1] != vdims[0] || cdims[0] != vdims[0] {
		return p.bad("inconsistent /pca: scores %v, explained_variance %v, components %v", sdims, vdims, cdims)
	}
	if v, err := f.Attr("/pca", "center"); err == nil {
		if c, ok := v.(int64); ok && c == 0 {
			return p.bad("the PCA was fitted with --no-center; ICA whitens centred scores, fit the PCA without --no-center")
		}
	}
	p.m = vdims[0]
	p.nav, p.sig = sdims[:len(sdims)-1], cdims[1:]
	p.variance, p.components = variance, comps
	return nil
}

// findFitted finds the fitted frames, the rows of scores that are not NaN, from the
// first score of every frame; p.index stays nil when every frame was fitted.
func (p *storedPCA) findFitted(f *h5.File) error {
	start := make([]int, len(p.nav)+1)
	count := append(append([]int(nil), p.nav...), 1)
	first, err := f.ReadSlabFloat64(nil, "/pca/scores", start, count)
	if err != nil {
		return p.bad("could not read /pca/scores: %v", err)
	}
	var fitted []int
	for i, v := range first {
		if !math.IsNaN(v) {
			fitted = append(fitted, i)
		}
	}
	if len(fitted) < len(first) {
		p.index = fitted
	}
	p.n = len(fitted)
	return nil
}

// shareFitted broadcasts rank 0's fitted frames.
// Collective.
func (p *storedPCA) shareFitted(c collective.Comm) error {
	head := []int64{int64(p.n), 0}
	if p.index != nil {
		head[1] = 1
	}
	if err := collective.BcastOf(c, head, 0); err != nil {
		return err
	}
	p.n = int(head[0])
	if head[1] == 0 {
		return nil
	}
	idx := make([]int64, p.n)
	if c.Rank() == 0 {
		for i, f := range p.index {
			idx[i] = int64(f)
		}
	}
	if err := collective.BcastOf(c, idx, 0); err != nil {
		return err
	}
	p.index = make([]int, p.n)
	for i, f := range idx {
		p.index[i] = int(f)
	}
	return nil
}

// readScores reads this rank's rows of the scores: those of the scan positions of the
// fitted frames [plan.Beg, plan.End), a hyperslab of the positions from the first to the
// last of them.
func (p *storedPCA) readScores(f *h5.File) error {
	if p.plan.NLocal() == 0 {
		return nil
	}
	pos := func(i int) int {
		if p.index != nil {
			return p.index[i]
		}
		return i
	}
	lo, hi := pos(p.plan.Beg), pos(p.plan.End-1)+1
	rows, err := f.ReadRowsFloat64(nil, "/pca/scores", len(p.nav), lo, hi)
	if err != nil {
		return p.bad("could not read /pca/scores: %v", err)
	}
	p.scores = make([]float64, 0, p.plan.NLocal()*p.m)
	for i := p.plan.Beg; i < p.plan.End; i++ {
		fr := pos(i)
		row := rows[(fr-lo)*p.m : (fr-lo+1)*p.m]
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return p.bad("the scores of frame %d hold a NaN or an infinite value", fr)
			}
		}
		p.scores = append(p.scores, row...)
	}
	return nil
}

// fittedPCA is the PCA fitted in this job as readPCA would read it back from the output:
// the ica and umap stages of a job file run on it.
func fittedPCA(r *pcaRun, fit *pcaFit) *storedPCA {
	res := fit.res
	comps := res.Components.RawMatrix()
	if comps.Stride != res.D {
		comps = mat.DenseCopyOf(res.Components).RawMatrix()
	}
	return &storedPCA{
		nav:        r.shape.Nav,
		sig:        r.pipe.Sig(),
		m:          res.K,
		index:      r.index,
		n:          r.n,
		scores:     rawData(res.Scores, r.plan.NLocal(), res.K),
		variance:   res.ExplainedVariance,
		components: comps.Data[:res.K*res.D],
		plan:       r.plan,
	}
}

// componentMatrix returns the components as an m×D matrix.
func (p *storedPCA) componentMatrix() *mat.Dense {
	return mat.NewDense(p.m, len(p.components)/p.m, p.components)
}

// localScores returns this rank's scores as an nLocal×m matrix (empty without frames).
func (p *storedPCA) localScores() *mat.Dense {
	if p.plan.NLocal() == 0 {
		return &mat.Dense{}
	}
	return mat.NewDense(p.plan.NLocal(), p.m, p.scores)
}

// roiAttr records the ROI of a fit over the frames index (nil: every frame) as the root
// attribute roi: the flag's value, or that of the PCA in the file from.
func roiAttr(w *h5.Writer, index []int, po PassOptions, from string) error {
	if index == nil {
		return nil
	}
	roi := po.ROI + po.ROIMask
	if roi == "" {
		roi = "that of the PCA in " + from
	}
	return w.SetAttr("/", "roi", roi)
}

// spreadRows spreads the rows of the fitted frames (n×width) over a scan of nScan
// positions: row i goes to position index[i], and positions outside the ROI get NaN.
// A nil index returns rows.
func spreadRows(rows []float64, index []int, nScan, width int) []float64 {
	if index == nil {
		return rows
	}
	out := make([]float64, nScan*width)
	for i := range out {
		out[i] = math.NaN()
	}
	for i, f := range index {
		copy(out[f*width:(f+1)*width], rows[i*width:(i+1)*width])
	}
	return out
}

// Message tags of the ica and umap commands.
const (
	tagSources = 43
	tagKNN     = 44
	tagKNNDist = 45
)

// pcaStageRename maps pca's flags to their names in commands that run a PCA first (ica,
// umap): -k is the command's own (ica's K, umap's --pca-k), --seed is the command's seed
// and the PCA's becomes --pca-seed, --denoise is not offered.
var pcaStageRename = map[string]string{"k": "", "seed": "pca-seed", "denoise": "", "denoise-space": ""}

// pcaStageFlags returns the flag set of a command that fits a PCA first (ica, umap): the
// global, pass and renamed PCA flags, and the PCA's K under the command's own name.
func pcaStageFlags(cmd string, g *GlobalOptions, po *PassOptions, pco *PCAOptions, kName string, kDefault int, kUsage string) *flag.FlagSet {
	f := flag.NewFlagSet(cmd, flag.ContinueOnError)
	g.AddFlags(f)
	po.AddFlags(f)
	addPCAFlags(f, pco, pcaStageRename) // first: it sets pco's defaults
	f.IntVar(&pco.K, kName, kDefault, kUsage)
	return f
}

// flagGiven reports whether flag name was set on the command line.
func flagGiven(f *flag.FlagSet, name string) bool {
	given := false
	f.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

func runICACmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o ICAOptions
	var po PassOptions
	var pco PCAOptions
	f := pcaStageFlags("ica", &g, &po, &pco, "k", 0, "number of independent `components` (required, at least 2; also the PCA's K when no --from)")
	o.AddFlags(f)
	pos, err := parse(env, f, args, 1, 1, icaUsage)
	if err != nil {
		return err
	}
	kSet := flagGiven(f, "k")
	if err := checkAll(g.check(), po.check("ica")); err != nil {
		return err
	}
	switch {
	case !kSet:
		return spmd.Usagef("ica: -k is required: give the number of independent components, e.g. -k 4")
	case pco.K < 2:
		return spmd.Usagef("-k=%d: want at least 2 independent components, e.g. -k 4", pco.K)
	}
	settings, err := o.check(pco.K)
	if err != nil {
		return err
	}
	var cfg pcaConfig
	set, given := pcaFlagsSet(f, pcaStageRename)
	if o.From != "" {
		if err := fromExcludes(o.From, given, po); err != nil {
			return err
		}
	} else {
		pco.set = set
		pco.set["k"] = true
		if pco.NoCenter {
			return spmd.Usagef("--no-center: ICA whitens centred PCA scores; leave it out")
		}
		if cfg, err = pco.check(); err != nil {
			return err
		}
	}
	return runICA(ctx, env, g, po, pco, cfg, o, settings, pos[0])
}

// runICA runs the ica command.
// Collective.
func runICA(ctx context.Context, env Env, g GlobalOptions, po PassOptions, pco PCAOptions, cfg pcaConfig, o ICAOptions, s ica.Settings, spec string) error {
	start := time.Now()
	c := env.Comm
	ds, stop, err := startRun(env, g, spec)
	if err != nil {
		return err
	}
	defer stop()

	var (
		r      *pcaRun    // the PCA fitted in this job, or nil with --from
		fit    *pcaFit    // its result
		stored *storedPCA // the PCA of --from
		penv   *spmd.Env
		plan   spmd.Plan
		index  []int
		sig    []int
	)
	if o.From != "" {
		penv = g.passEnv(env)
		stored, err = readPCAFor(c, o.From, g.Block, ds.Shape())
		if err == nil && s.K > stored.m {
			err = spmd.Usagef("-k=%d: the PCA in %s has %d components; want 2 <= k <= %d", s.K, o.From, stored.m, stored.m)
		}
		if err = spmd.Agree(c, err); err != nil {
			return err
		}
		plan, index, sig = stored.plan, stored.index, stored.sig
	} else {
		if r, err = newPCARun(env, g, po, pco, cfg, ds); err != nil {
			return err
		}
		penv, plan, index, sig = r.penv, r.plan, r.index, r.pipe.Sig()
	}

	out, err := createResult(env, g, po.Output)
	if err != nil {
		return err
	}
	defer out.abort()

	var res *ica.Result
	if r != nil {
		if fit, err = r.fit(ctx, g, spec); err != nil {
			return err
		}
		res, err = ica.Fit(ctx, c, penv, plan, fit.res, s)
	} else {
		penv.Log.Infof("ica: the PCA of %s: %d components of %d frames, %d blocks of %d on %d ranks", o.From, stored.m, stored.n, plan.NBlocks, plan.B, c.Size())
		res, err = ica.FitScores(ctx, c, penv, plan, stored.localScores(), stored.variance, stored.componentMatrix(), s)
	}
	if err != nil {
		return err
	}
	gstart := time.Now()
	sources, err := finishICA(c, penv, plan, res)
	if err != nil {
		return err
	}
	var scores, frameTotals []float64
	if fit != nil {
		if scores, frameTotals, err = r.gatherFit(fit); err != nil {
			return err
		}
	}
	penv.Times.Add("gather", time.Since(gstart))

	err = out.commit(func(w *h5.Writer) error {
		wstart := time.Now()
		if err := writeICA(w, res, s.Seed, spreadRows(sources, index, ds.Shape().N(), res.K), ds.Shape().Nav, sig); err != nil {
			return err
		}
		if fit != nil {
			if err := r.writePCA(w, fit.res, scores, frameTotals, fit.ps); err != nil {
				return err
			}
			if err := r.pcaAttrs(w, "/pca", fit.res, fit.passes, fit.reads, spec, po); err != nil {
				return err
			}
			if err := w.SetAttr("/ica", "pca", "/pca"); err != nil {
				return err
			}
		} else if err := w.SetAttr("/ica", "pca", o.From+":/pca"); err != nil {
			return err
		}
		if err := roiAttr(w, index, po, o.From); err != nil {
			return err
		}
		penv.Times.Add("write", time.Since(wstart))
		return provenance(w, env, ds, plan, penv.Times, start)
	})
	if err != nil {
		return err
	}
	report(c, penv, start)
	if c.Rank() == 0 {
		fmt.Fprintf(env.Stdout, "ica: wrote /ica (%s) of %d frames to %s in %.2f s\n", icaSummary(res), plan.N, po.Output, time.Since(start).Seconds())
	}
	return icaStrict(res, o.Strict, po.Output)
}

// finishICA logs how the iteration ended and gathers the sources on rank 0 (plan.N×K;
// nil elsewhere).
// Collective.
func finishICA(c collective.Comm, penv *spmd.Env, plan spmd.Plan, res *ica.Result) ([]float64, error) {
	if res.Status == ica.Converged {
		penv.Log.Infof("ica: %v FastICA (%v) converged in %d iterations (lim %.3g < tol %g)", res.Algorithm, res.Fun, res.NIter, res.Lim, res.Tol)
	} else {
		penv.Log.Warnf("ica: %v FastICA (%v) did not converge in %d iterations (lim %.3g, tol %g); the result is the last iterate", res.Algorithm, res.Fun, res.NIter, res.Lim, res.Tol)
	}
	return gatherRows(c, plan, rawData(res.Sources, plan.NLocal(), res.K), res.K, tagSources)
}

// icaSummary describes the fit for the summary line.
func icaSummary(res *ica.Result) string {
	state := "converged"
	if res.Status != ica.Converged {
		state = "not converged"
	}
	return fmt.Sprintf("K=%d, %v, %v, %s after %d iterations", res.K, res.Algorithm, res.Fun, state, res.NIter)
}

// icaStrict is the error of --strict when the iteration did not converge (the output
// file is written), else nil.
func icaStrict(res *ica.Result, strict bool, output string) error {
	if res.Status == ica.Converged || !strict {
		return nil
	}
	return spmd.WithCode(spmd.ExitFailure, fmt.Errorf("ica: --strict: the iteration did not converge in %d iterations (the output %s is written)", res.NIter, output))
}

// writeICA writes the datasets and attributes of /ica on rank 0. sources are nav×K.
func writeICA(w *h5.Writer, res *ica.Result, seed uint64, sources []float64, nav, sig []int) error {
	k := res.K
	dims := func(lead []int, tail ...int) []int { return append(append([]int(nil), lead...), tail...) }
	raw := func(m *mat.Dense) []float64 { r, c := m.Dims(); return rawData(m, r, c) }
	_, dw := res.Whitening.Dims()
	_, df := res.Factors.Dims()
	space := func(d int) []int {
		if d == prod(sig) {
			return dims([]int{k}, sig...)
		}
		return []int{k, d}
	}
	converged := 0.0
	if res.Status == ica.Converged {
		converged = 1
	}
	sets := []struct {
		name string
		data []float64
		dims []int
	}{
		{"sources", sources, dims(nav, k)},
		{"factors", raw(res.Factors), space(df)},
		{"unmixing", raw(res.Unmixing), []int{k, k}},
		{"mixing", raw(res.Mixing), []int{k, k}},
		{"whitening", raw(res.Whitening), space(dw)},
		{"explained_variance", res.ExplainedVariance, []int{k}},
		{"init", raw(res.Init), []int{k, k}},
		{"converged", []float64{converged}, []int{}},
	}
	for _, s := range sets {
		if err := w.WriteFloat64("/ica/"+s.name, s.data, s.dims...); err != nil {
			return err
		}
	}
	if err := w.WriteInt64("/ica/n_iter", []int64{int64(res.NIter)}, []int{}...); err != nil {
		return err
	}
	attrs := []struct {
		name  string
		value any
	}{
		{"k", k},
		{"n_frames", res.N},
		{"status", res.Status.String()},
		{"converged", int(converged)},
		{"n_iter", res.NIter},
		{"lim", res.Lim},
		{"fun", res.Fun.String()},
		{"alpha", res.Alpha},
		{"algorithm", res.Algorithm.String()},
		{"tol", res.Tol},
		{"max_iter", res.MaxIter},
		{"seed", int64(seed)},
		{"convention", "sources ordered by decreasing explained variance; each signed so that the largest-magnitude entry of its factor is positive"},
	}
	for _, a := range attrs {
		if err := w.SetAttr("/ica", a.name, a.value); err != nil {
			return err
		}
	}
	if res.ComponentIter != nil {
		if err := w.SetAttr("/ica", "component_iter", res.ComponentIter); err != nil {
			return err
		}
	}
	return nil
}
