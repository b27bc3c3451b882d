package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/io/input"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/udf"
)

// PassOptions are the flags of every command that runs UDFs over an input.
type PassOptions struct {
	Output  string
	ROI     string // y0:y1,x0:x1
	ROIMask string // file.npy or file.h5:/path
}

// AddFlags registers the pass flags on f.
func (o *PassOptions) AddFlags(f *flag.FlagSet) {
	f.StringVar(&o.Output, "o", "", "output HDF5 `file` (written atomically)")
	f.StringVar(&o.ROI, "roi", "", "process only the scan rectangle `y0:y1,x0:x1` (half-open)")
	f.StringVar(&o.ROIMask, "roi-mask", "", "process only the scan positions where the mask `file` (.npy or .h5:/path, scan-shaped) is non-zero")
}

func (o *PassOptions) check(cmd string) error {
	switch {
	case o.Output == "":
		return spmd.Usagef("%s: -o is required, e.g. -o %s.h5", cmd, cmd)
	case o.ROI != "" && o.ROIMask != "":
		return spmd.Usagef("--roi and --roi-mask: give one of them")
	}
	return nil
}

// roi builds the frame selection of the options for a scan of shape nav; nil means every
// frame. Every rank reads the mask file itself.
func (o *PassOptions) roi(nav []int) ([]bool, error) {
	switch {
	case o.ROI != "":
		return parseROI(o.ROI, nav)
	case o.ROIMask != "":
		return readROIMask(o.ROIMask, nav)
	}
	return nil, nil
}

func parseROI(s string, nav []int) ([]bool, error) {
	bad := spmd.Usagef("--roi=%q: want y0:y1,x0:x1 inside the scan %v, e.g. --roi=0:32,16:48", s, nav)
	ys, xs, ok := strings.Cut(s, ",")
	if !ok || len(nav) != 2 {
		return nil, bad
	}
	y0, y1, ok1 := parseRange(ys)
	x0, x1, ok2 := parseRange(xs)
	if !ok1 || !ok2 || y0 < 0 || x0 < 0 || y1 > nav[0] || x1 > nav[1] || y0 >= y1 || x0 >= x1 {
		return nil, bad
	}
	roi := make([]bool, nav[0]*nav[1])
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			roi[y*nav[1]+x] = true
		}
	}
	return roi, nil
}

func parseRange(s string) (lo, hi int, ok bool) {
	a, b, found := strings.Cut(s, ":")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	return lo, hi, found && err1 == nil && err2 == nil
}

func readROIMask(spec string, nav []int) ([]bool, error) {
	data, dims, err := readArray(spec)
	if err != nil {
		return nil, spmd.WithCode(spmd.ExitInput, fmt.Errorf("--roi-mask: %w", err))
	}
	if prod(dims) != prod(nav) {
		return nil, spmd.Inputf("--roi-mask=%q: shape %v does not match the scan %v", spec, dims, nav)
	}
	roi := make([]bool, len(data))
	any := false
	for i, v := range data {
		roi[i] = v != 0
		any = any || roi[i]
	}
	if !any {
		return nil, spmd.Inputf("--roi-mask=%q selects no scan position", spec)
	}
	return roi, nil
}

// readArray reads a whole small array from a .npy file or an HDF5 dataset file.h5:/path.
func readArray(spec string) ([]float64, []int, error) {
	if strings.HasSuffix(strings.ToLower(spec), ".npy") {
		return input.ReadNPY(spec)
	}
	file, path, ok := strings.Cut(spec, ":/")
	if !ok {
		return nil, nil, fmt.Errorf("%q: want file.npy or file.h5:/path/to/dataset", spec)
	}
	return h5.ReadFloat64Dataset(file, "/"+path)
}

func prod(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}

// postFunc writes what a command derives from the gathered results of its UDFs.
type postFunc func(w *h5.Writer, shape dataset.Shape, res []*udf.Results) error

// runUDFs opens the input, runs the UDFs in one pass, gathers their nav buffers and writes
// every buffer to /<udf name>/<buffer> with provenance, then post if not nil.
// Collective.
func runUDFs(ctx context.Context, env Env, g GlobalOptions, o PassOptions, spec, cmd string, post postFunc, udfs ...udf.UDF) error {
	start := time.Now()
	c := env.Comm
	ds, stop, err := startRun(env, g, spec)
	if err != nil {
		return err
	}
	defer stop()
	roi, err := o.roi(ds.Shape().Nav)
	if err = spmd.Agree(c, err); err != nil {
		return err
	}
	out, err := createResult(env, g, o.Output)
	if err != nil {
		return err
	}
	defer out.abort()

	penv := g.passEnv(env)
	pass, err := runPass(ctx, env, penv, g.Block, ds, ds, roi, spec, cmd, post, udfs)
	if err != nil {
		return err
	}
	err = out.commit(func(w *h5.Writer) error {
		wstart := time.Now()
		if err := pass.write(w); err != nil {
			return err
		}
		if roi != nil {
			if err := w.SetAttr("/", "roi", o.ROI+o.ROIMask); err != nil {
				return err
			}
		}
		penv.Times.Add("write", time.Since(wstart))
		return provenance(w, env, ds, pass.plan, penv.Times, start)
	})
	if err != nil {
		return err
	}
	report(c, penv, start)
	if c.Rank() == 0 {
		fmt.Fprintf(env.Stdout, "%s: wrote %s of %d frames to %s in %.2f s\n", cmd, pass.groups(), ds.Shape().N(), o.Output, time.Since(start).Seconds())
	}
	return nil
}

// udfPass is the gathered outcome of one pass of UDFs, ready to write on rank 0.
type udfPass struct {
	udfs  []udf.UDF
	res   []*udf.Results
	post  postFunc
	shape dataset.Shape
	plan  spmd.Plan
}

// runPass runs the UDFs in one pass over the frames of ds in roi (nil: all), read from
// src (ds itself, or a job's frameCache of it), and gathers their results on rank 0.
// block is --block; spec and cmd name the input and the command in the log.
// Collective.
func runPass(ctx context.Context, env Env, penv *spmd.Env, block int, ds dataset.Dataset, src spmd.Source, roi []bool, spec, cmd string, post postFunc, udfs []udf.UDF) (*udfPass, error) {
	c := env.Comm
	shape := ds.Shape()
	in := udf.Input{Nav: shape.Nav, Sig: shape.Sig, Source: src, ROI: roi, Block: block, Name: cmd}
	plan := spmd.NewPlan(shape.N(), block, c.Size(), c.Rank())
	penv.Log.Infof("%s: %s, %s, %d frames in %d blocks of %d on %d ranks", cmd, spec, shape, shape.N(), plan.NBlocks, plan.B, c.Size())
	res, plan, err := udf.Run(ctx, c, penv, in, udfs...)
	if err != nil {
		return nil, err
	}
	gstart := time.Now()
	for i := range res {
		if res[i], err = udf.Gather(c, plan, res[i]); err != nil {
			return nil, err
		}
	}
	penv.Times.Add("gather", time.Since(gstart))
	return &udfPass{udfs: udfs, res: res, post: post, shape: shape, plan: plan}, nil
}

// write writes every buffer of every UDF to /<udf name>/<buffer>, then post's datasets.
func (p *udfPass) write(w *h5.Writer) error {
	for i, u := range p.udfs {
		if err := writeResults(w, "/"+u.Name(), p.res[i], p.shape); err != nil {
			return err
		}
	}
	if p.post != nil {
		return p.post(w, p.shape, p.res)
	}
	return nil
}

// groups lists the groups the pass writes, for the summary line.
func (p *udfPass) groups() string {
	var groups []string
	for _, u := range p.udfs {
		groups = append(groups, "/"+u.Name())
	}
	return strings.Join(groups, ", ")
}

// writeResults writes every buffer of r under group: nav buffers as (nav..., extra...),
// sig buffers as (extra..., sig...), single buffers as (extra...) or (1).
func writeResults(w *h5.Writer, group string, r *udf.Results, shape dataset.Shape) error {
	for _, b := range r.Buffers() {
		var dims []int
		switch b.Kind {
		case udf.Nav:
			dims = append(append(dims, shape.Nav...), b.Extra...)
		case udf.Sig:
			dims = append(append(dims, b.Extra...), shape.Sig...)
		default:
			dims = append(dims, b.Extra...)
			if len(dims) == 0 {
				dims = []int{1}
			}
		}
		name := group + "/" + b.Name
		var err error
		switch b.Dtype {
		case udf.Float64:
			err = w.WriteFloat64(name, b.F64, dims...)
		case udf.Float32:
			err = w.WriteFloat32(name, b.F32, dims...)
		case udf.Int64:
			err = w.WriteInt64(name, b.I64, dims...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
