package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stemreduce/stemreduce/algorithms/ica"
	"github.com/stemreduce/stemreduce/algorithms/umap"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/udf"
)

const runUsage = "run JOB.toml [-o OUT.h5] | run --from-output OUT.h5 -o NEW.h5"

func runRunCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var output, from string
	f := flag.NewFlagSet("run", flag.ContinueOnError)
	g.AddFlags(f)
	f.StringVar(&output, "o", "", "output HDF5 `file` (default: the job file's output)")
	f.StringVar(&from, "from-output", "", "re-run the job stored in the provenance of the result `file` (needs -o)")
	pos, err := parse(env, f, args, 0, 1, runUsage)
	if err != nil {
		return err
	}
	if err := g.check(); err != nil {
		return err
	}
	var job *jobFile
	switch {
	case flagGiven(f, "block"):
		return spmd.Usagef("--block: set block in the job file (it is part of the results' bits)")
	case from != "" && len(pos) > 0:
		return spmd.Usagef("run: give a job file or --from-output, not both (usage: %s)", runUsage)
	case from != "" && output == "":
		return spmd.Usagef("run --from-output: -o is required: give the new result file, e.g. -o rerun.h5")
	case from != "" && output == from:
		return spmd.Usagef("-o=%q: must differ from --from-output", output)
	case from != "":
		job, err = readStoredJob(from)
	case len(pos) == 1:
		job, err = readJobFile(pos[0])
	default:
		return spmd.Usagef("run: give a job file, e.g. stemreduce run job.toml (usage: %s)", runUsage)
	}
	if err = spmd.Agree(env.Comm, err); err != nil {
		return err
	}
	if output == "" {
		output = job.output
	}
	if output == "" {
		return job.usagef(`no output: give output = "out.h5" in the file, or -o`)
	}
	st, err := job.stages()
	if err != nil {
		return err
	}
	g.Block = job.block
	return runJob(ctx, env, g, job, st, output)
}

// jobStageOptions are the checked options of the stages of a job.
type jobStageOptions struct {
	udfs   []string                     // UDFs of the first pass; none: no pass
	params map[string]map[string]string // their parameters
	det    DetectorOptions

	pca    *PCAOptions // nil: no PCA stage
	pcaCfg pcaConfig

	ica  *ICAOptions // nil: no ICA stage
	icaS ica.Settings

	umap  *UMAPOptions // nil: no UMAP stage
	umapS umap.Settings
	pcaK  int // the PCA scores UMAP embeds; 0: all
}

// stages parses and checks the options of every stage of the job, before any data are
// opened.
func (j *jobFile) stages() (*jobStageOptions, error) {
	st := &jobStageOptions{}
	if err := j.passStage(st); err != nil {
		return nil, err
	}
	if j.has("pca") {
		o := &PCAOptions{}
		f := flag.NewFlagSet("pca", flag.ContinueOnError)
		o.AddFlags(f)
		set, err := j.parseTable("pca", f, "denoise", "denoise-space")
		if err != nil {
			return nil, err
		}
		o.set = set
		if st.pcaCfg, err = o.check(); err != nil {
			return nil, j.stageErr("pca", err)
		}
		st.pca = o
	}
	if err := j.icaStage(st); err != nil {
		return nil, err
	}
	return st, j.umapStage(st)
}

// passStage parses [stats] and [udf].
func (j *jobFile) passStage(st *jobStageOptions) error {
	if j.has("stats") {
		st.udfs = append(st.udfs, "stats")
	}
	if !j.has("udf") {
		return nil
	}
	var run, params listFlag
	f := flag.NewFlagSet("udf", flag.ContinueOnError)
	st.det.AddFlags(f)
	f.Var(&run, "run", "UDFs")
	f.Var(&params, "param", "parameters")
	if _, err := j.parseTable("udf", f); err != nil {
		return err
	}
	if len(run) == 0 {
		return j.usagef(`[udf] give the UDFs to run, e.g. run = ["com", "virtual"] (known: %s)`, strings.Join(udfNames(), ", "))
	}
	st.udfs = append(st.udfs, strings.Split(strings.Join(run, ","), ",")...)
	var err error
	if st.params, err = splitParams(params, st.udfs); err != nil {
		return j.stageErr("udf", err)
	}
	return nil
}

// icaStage parses [ica].
func (j *jobFile) icaStage(st *jobStageOptions) error {
	if !j.has("ica") {
		return nil
	}
	o := &ICAOptions{}
	var k int
	f := flag.NewFlagSet("ica", flag.ContinueOnError)
	o.AddFlags(f)
	f.IntVar(&k, "k", 0, "components")
	set, err := j.parseTable("ica", f, "from")
	if err != nil {
		return err
	}
	switch {
	case !set["k"]:
		return j.usagef("[ica] k is required: give the number of independent components, e.g. k = 4")
	case k < 2:
		return j.usagef("[ica] k = %d: want at least 2 independent components", k)
	case k > st.pca.K:
		return j.usagef("[ica] k = %d: more than the %d components of [pca]; want 2 <= k <= %d", k, st.pca.K, st.pca.K)
	case st.pca.NoCenter:
		return j.usagef("[ica] needs a centred PCA: remove no-center from [pca]")
	}
	if st.icaS, err = o.check(k); err != nil {
		return j.stageErr("ica", err)
	}
	st.ica = o
	return nil
}

// umapStage parses [umap].
func (j *jobFile) umapStage(st *jobStageOptions) error {
	if !j.has("umap") {
		return nil
	}
	o := &UMAPOptions{}
	f := flag.NewFlagSet("umap", flag.ContinueOnError)
	o.AddFlags(f)
	f.IntVar(&st.pcaK, "pca-k", 0, "scores")
	set, err := j.parseTable("umap", f, "from")
	if err != nil {
		return err
	}
	if set["pca-k"] && (st.pcaK < 2 || st.pcaK > st.pca.K) {
		return j.usagef("[umap] pca-k = %d: want 2 <= pca-k <= %d (the components of [pca]), or leave it out for all", st.pcaK, st.pca.K)
	}
	if st.umapS, err = o.check(); err != nil {
		return j.stageErr("umap", err)
	}
	if st.umapS.Init == umap.PCA && st.pca.K < 2 {
		return j.usagef("[umap] init = \"pca\": needs two PCA scores; set k >= 2 in [pca]")
	}
	st.umap = o
	return nil
}

// parseTable parses the flags of a stage's table with f, which must not take the keys
// in exclude, and returns the keys given.
func (j *jobFile) parseTable(stage string, f *flag.FlagSet, exclude ...string) (map[string]bool, error) {
	args := j.tables[stage]
	for _, a := range args {
		key, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if f.Lookup(key) == nil || slices.Contains(exclude, key) {
			var known []string
			f.VisitAll(func(fl *flag.Flag) {
				if !slices.Contains(exclude, fl.Name) {
					known = append(known, fl.Name)
				}
			})
			return nil, j.usagef("[%s] unknown key %q; want one of %s", stage, key, strings.Join(known, ", "))
		}
	}
	f.SetOutput(io.Discard)
	if err := f.Parse(args); err != nil {
		return nil, j.usagef("[%s] %v", stage, err)
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set, nil
}

// stageErr names the job file and the table of stage ("": none) in the error of a
// stage's check, keeping its exit code.
func (j *jobFile) stageErr(stage string, err error) error {
	if stage != "" {
		stage = "[" + stage + "] "
	}
	return spmd.WithCode(spmd.Code(err), fmt.Errorf("%s: %s%w", j.name, stage, err))
}

// runJob runs the stages of a job on the input and writes their results to one output.
// Collective.
func runJob(ctx context.Context, env Env, g GlobalOptions, job *jobFile, st *jobStageOptions, output string) error {
	start := time.Now()
	c := env.Comm
	ds, stop, err := startRun(env, g, job.input)
	if err != nil {
		return err
	}
	defer stop()
	po := PassOptions{Output: output, ROI: job.roi, ROIMask: job.mask}
	if po.ROI != "" && po.ROIMask != "" {
		return job.usagef("roi and roi-mask: give one of them")
	}
	jr := &jobRun{env: env, g: g, job: job, st: st, ds: ds, po: po, penv: g.passEnv(env)}
	if err := jr.prepare(); err != nil {
		return err
	}
	out, err := createResult(env, g, output)
	if err != nil {
		return err
	}
	defer out.abort()

	for _, stage := range []func(context.Context) error{jr.pass, jr.pca, jr.ica, jr.umap} {
		if err := stage(ctx); err != nil {
			return err
		}
	}
	if jr.reads, err = jr.logReads(); err != nil {
		return err
	}
	err = out.commit(func(w *h5.Writer) error {
		wstart := time.Now()
		for _, write := range jr.writes {
			if err := write(w); err != nil {
				return err
			}
		}
		if err := jr.jobAttrs(w); err != nil {
			return err
		}
		jr.penv.Times.Add("write", time.Since(wstart))
		return provenance(w, env, ds, jr.plan, jr.penv.Times, start)
	})
	if err != nil {
		return err
	}
	report(c, jr.penv, start)
	if c.Rank() == 0 {
		fmt.Fprintf(env.Stdout, "run: wrote %s of %s to %s in %.2f s\n", strings.Join(jr.groups, ", "), job.input, output, time.Since(start).Seconds())
	}
	if jr.icaRes != nil {
		return icaStrict(jr.icaRes, st.ica.Strict, output)
	}
	return nil
}

// jobRun is the state of a job on one rank.
type jobRun struct {
	env  Env
	g    GlobalOptions
	job  *jobFile
	st   *jobStageOptions
	ds   dataset.Dataset
	po   PassOptions
	penv *spmd.Env

	roi    []bool // the pass's frames; nil: all
	udfs   []udf.UDF
	post   postFunc
	r      *pcaRun
	fitted *storedPCA // the PCA of the job, once fitted
	icaRes *ica.Result

	reads  float64 // frame reads of the input over the frames of the job
	frames *frameCache
	plan   spmd.Plan                  // the plan of the last stage, for provenance
	writes []func(w *h5.Writer) error // what each stage writes, in order, on rank 0
	groups []string                   // the groups written, for the summary line
}

// prepare checks what needs the input's metadata, before any data are read: the ROI, the
// UDFs against the detector, and the PCA's shape checks.
// Collective.
func (jr *jobRun) prepare() error {
	c, st := jr.env.Comm, jr.st
	shape := jr.ds.Shape()
	var err error
	if jr.roi, err = jr.po.roi(shape.Nav); err != nil {
		err = jr.job.stageErr("", err)
	}
	if err == nil && len(st.udfs) > 0 {
		if jr.udfs, jr.post, err = buildUDFs(st.udfs, st.params, shape.Sig, &st.det); err != nil {
			err = jr.job.stageErr("udf", err)
		}
	}
	if err = spmd.Agree(c, err); err != nil {
		return err
	}
	jr.frames = newFrameCache(jr.ds, shape.D(), nil)
	if st.pca == nil {
		return nil
	}
	if jr.r, err = newPCARun(jr.env, jr.g, jr.po, *st.pca, st.pcaCfg, jr.ds); err != nil {
		return jr.job.stageErr("pca", err)
	}
	jr.r.penv = jr.penv
	jr.frames = newFrameCache(jr.ds, shape.D(), jr.pcaFrames())
	if st.umap != nil {
		return checkNeighbors(st.umapS, jr.r.n)
	}
	return nil
}

// pcaFrames returns the input frames of this rank's part of the PCA, for the pass of the
// UDFs to keep for the PCA's first pass, when there is such a pass and they fit in RAM
// beside the PCA's own cache; else none.
func (jr *jobRun) pcaFrames() []int {
	r := jr.r
	work := r.workBytes(jr.g)
	held := int64(r.plan.NLocal()) * int64(r.shape.D()) * 4
	if r.keepsFrames(work) {
		held += r.cacheBytes()
	}
	if len(jr.udfs) == 0 || !r.fits(work, held) {
		return nil
	}
	slots := make([]int, 0, r.plan.NLocal())
	for i := r.plan.Beg; i < r.plan.End; i++ {
		f := i
		if r.index != nil {
			f = r.index[i]
		}
		slots = append(slots, f)
	}
	return slots
}

// logReads logs and returns how many times the job read the input: the frames read by
// every rank over the frames of the job.
// Collective.
func (jr *jobRun) logReads() (float64, error) {
	n := []int64{jr.frames.frames()}
	if err := jr.env.Comm.AllreduceInt64(n, collective.Sum); err != nil {
		return 0, err
	}
	frames := jr.ds.Shape().N()
	if jr.roi != nil {
		frames = 0
		for _, in := range jr.roi {
			if in {
				frames++
			}
		}
	}
	reads := float64(n[0]) / float64(frames)
	jr.penv.Log.Infof("run: the input was read %.3g times in all (%d frame reads of %d frames); ica and umap read no frame", reads, n[0], frames)
	return reads, nil
}

// pass runs the UDFs of [stats] and [udf] in one pass.
// Collective.
func (jr *jobRun) pass(ctx context.Context) error {
	if len(jr.udfs) == 0 {
		return nil
	}
	p, err := runPass(ctx, jr.env, jr.penv, jr.g.Block, jr.ds, jr.frames, jr.roi, jr.job.input, "run", jr.post, jr.udfs)
	if err != nil {
		return err
	}
	jr.frames.serve()
	jr.plan = p.plan
	jr.writes = append(jr.writes, p.write)
	jr.groups = append(jr.groups, p.groups())
	return nil
}

// pca fits the PCA of [pca] and keeps it for the stages after it.
// Collective.
func (jr *jobRun) pca(ctx context.Context) error {
	r := jr.r
	if r == nil {
		return nil
	}
	r.raw = jr.frames
	fit, err := r.fit(ctx, jr.g, jr.job.input)
	jr.frames.drop()
	if err != nil {
		return err
	}
	gstart := time.Now()
	scores, totals, err := r.gatherFit(fit)
	if err != nil {
		return err
	}
	jr.penv.Times.Add("gather", time.Since(gstart))
	jr.fitted = fittedPCA(r, fit)
	jr.plan = r.plan
	jr.writes = append(jr.writes, func(w *h5.Writer) error {
		if err := r.writePCA(w, fit.res, scores, totals, fit.ps); err != nil {
			return err
		}
		return r.pcaAttrs(w, "/pca", fit.res, fit.passes, fit.reads, jr.job.input, jr.po)
	})
	jr.groups = append(jr.groups, "/pca")
	return nil
}

// ica runs FastICA on the job's PCA.
// Collective.
func (jr *jobRun) ica(ctx context.Context) error {
	if jr.st.ica == nil {
		return nil
	}
	p, c, s := jr.fitted, jr.env.Comm, jr.st.icaS
	res, err := ica.FitScores(ctx, c, jr.penv, p.plan, p.localScores(), p.variance, p.componentMatrix(), s)
	if err != nil {
		return err
	}
	gstart := time.Now()
	sources, err := finishICA(c, jr.penv, p.plan, res)
	if err != nil {
		return err
	}
	jr.penv.Times.Add("gather", time.Since(gstart))
	jr.icaRes = res
	nav := jr.ds.Shape().Nav
	jr.writes = append(jr.writes, func(w *h5.Writer) error {
		if err := writeICA(w, res, s.Seed, spreadRows(sources, p.index, prod(nav), res.K), nav, p.sig); err != nil {
			return err
		}
		return w.SetAttr("/ica", "pca", "/pca")
	})
	jr.groups = append(jr.groups, fmt.Sprintf("/ica (%s)", icaSummary(res)))
	return nil
}

// umap embeds the job's PCA scores.
// Collective.
func (jr *jobRun) umap(ctx context.Context) error {
	if jr.st.umap == nil {
		return nil
	}
	p, s := jr.fitted, jr.st.umapS
	dim, err := umapDim(p, jr.st.pcaK, s, "[pca]")
	if err != nil {
		return err // checked before: the same outcome on every rank
	}
	x, pcaScores := pickPoints(p.scores, p.m, p.plan.NLocal(), dim, s.Init == umap.PCA)
	s.PCAScores = pcaScores
	source := fmt.Sprintf("the first %d PCA scores of the job's [pca]", dim)
	u, err := embedPoints(ctx, jr.env.Comm, jr.penv, p.plan, p.index, x, dim, s, source)
	if err != nil {
		return err
	}
	nav := jr.ds.Shape().Nav
	o := *jr.st.umap
	jr.writes = append(jr.writes, func(w *h5.Writer) error { return u.write(w, nav, o) })
	jr.groups = append(jr.groups, "/umap")
	return nil
}

// jobAttrs writes the job file verbatim and the ROI to the root group.
func (jr *jobRun) jobAttrs(w *h5.Writer) error {
	attrs := []struct {
		name  string
		value any
	}{
		{"job", jr.job.text},
		{"job_file", jr.job.file},
		{"input_reads", jr.reads},
	}
	if jr.roi != nil {
		attrs = append(attrs, struct {
			name  string
			value any
		}{"roi", jr.po.ROI + jr.po.ROIMask})
	}
	for _, a := range attrs {
		if err := w.SetAttr("/", a.name, a.value); err != nil {
			return err
		}
	}
	return nil
}
