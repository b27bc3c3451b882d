package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/io/synth"
	"github.com/stemreduce/stemreduce/spmd"
)

// GenerateOptions are the flags of the generate command.
type GenerateOptions struct {
	Output string
	Dtype  string
	Chunks string
	Gzip   int
}

// AddFlags registers the generate flags on f.
func (o *GenerateOptions) AddFlags(f *flag.FlagSet) {
	f.StringVar(&o.Output, "o", "", "output HDF5 `file` (written atomically)")
	f.StringVar(&o.Dtype, "dtype", "uint16", "element type of /data: uint16 or float32")
	f.StringVar(&o.Chunks, "chunks", "none", "chunking of /data: none, auto (about 1 MiB) or SY,SX,DY,DX")
	f.IntVar(&o.Gzip, "gzip", 0, "gzip `level` 1-9 (0: none; needs chunks, auto when none given)")
}

// check validates the flags and returns the chunk shape (nil: contiguous or automatic).
func (o *GenerateOptions) check() ([]int, error) {
	switch {
	case o.Output == "":
		return nil, spmd.Usagef("generate: -o is required, e.g. -o scan.h5")
	case o.Dtype != "uint16" && o.Dtype != "float32":
		return nil, spmd.Usagef("--dtype=%q: want uint16 or float32", o.Dtype)
	case o.Gzip < 0 || o.Gzip > 9:
		return nil, spmd.Usagef("--gzip=%d: want a level from 0 (none) to 9, e.g. --gzip=4", o.Gzip)
	case o.Chunks == "none" || o.Chunks == "auto":
		return nil, nil
	}
	var chunks []int
	for _, s := range strings.Split(o.Chunks, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 1 {
			return nil, spmd.Usagef("--chunks=%q: want none, auto or four positive sizes, e.g. --chunks=1,16,64,64", o.Chunks)
		}
		chunks = append(chunks, v)
	}
	if len(chunks) != 4 {
		return nil, spmd.Usagef("--chunks=%q: want four sizes (scan y, scan x, detector y, detector x)", o.Chunks)
	}
	return chunks, nil
}

const generateUsage = "generate [synth:KEY=VALUE,...] -o OUT.h5 [--dtype uint16|float32] [--chunks ...] [--gzip N]"

func runGenerateCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o GenerateOptions
	f := flag.NewFlagSet("generate", flag.ContinueOnError)
	g.AddFlags(f)
	o.AddFlags(f)
	pos, err := parse(env, f, args, 0, 1, generateUsage)
	if err != nil {
		return err
	}
	if err := g.check(); err != nil {
		return err
	}
	chunks, err := o.check()
	if err != nil {
		return err
	}
	spec := ""
	if len(pos) == 1 {
		spec = strings.TrimPrefix(strings.TrimPrefix(pos[0], "synth"), ":")
	}
	p, err := synth.Parse(spec)
	if err != nil {
		return spmd.WithCode(spmd.ExitUsage, err)
	}
	if chunks != nil {
		dims := []int{p.Scan[0], p.Scan[1], p.Det[0], p.Det[1]}
		for i := range chunks {
			if chunks[i] > dims[i] {
				return spmd.Usagef("--chunks=%q: larger than the dataset %v", o.Chunks, dims)
			}
		}
	}
	// Rank 0 generates (in parallel goroutines) and writes; the other ranks wait.
	var genErr error
	if env.Comm.Rank() == 0 {
		genErr = generate(ctx, env, g, o, p, chunks)
	}
	return spmd.Agree(env.Comm, genErr)
}

// generate writes the synthetic dataset p with its ground truth.
func generate(ctx context.Context, env Env, g GlobalOptions, o GenerateOptions, p synth.Params, chunks []int) error {
	start := time.Now()
	w, err := h5.Create(o.Output)
	if err != nil {
		return err
	}
	defer w.Abort() // no-op after Commit
	src := synth.New(p)
	sy, sx, dy, dx := p.Scan[0], p.Scan[1], p.Det[0], p.Det[1]
	opts := h5.DatasetOptions{Chunks: chunks, Gzip: o.Gzip}
	if o.Chunks == "auto" && chunks == nil {
		opts.Chunks = []int{1, max(1, min(sx, (1<<20)/(2*dy*dx))), dy, dx}
	}
	data, err := w.CreateDataset("/data", o.Dtype, []int{sy, sx, dy, dx}, opts)
	if err != nil {
		return err
	}
	// Write whole scan rows, as many as fit in the tile budget, generated in parallel blocks.
	rows := max(1, int((int64(g.TileMB)<<20)/int64(4*sx*dy*dx)))
	buf := make([]float32, rows*sx*dy*dx)
	log := spmd.NewLogger(env.Stderr, 0, env.Comm.Size(), g.Verbose)
	lastLog := time.Now()
	for y0 := 0; y0 < sy; y0 += rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		y1 := min(y0+rows, sy)
		tile := buf[:(y1-y0)*sx*dy*dx]
		if err := generateRows(src, tile, y0*sx, y1*sx, dy*dx); err != nil {
			return err
		}
		if err := data.WriteRows(y0, y1, tile); err != nil {
			return err
		}
		if g.Progress > 0 && time.Since(lastLog) >= g.Progress {
			log.Infof("generate: %d/%d scan rows written", y1, sy)
			lastLog = time.Now()
		}
	}
	if err := data.Close(); err != nil {
		return err
	}
	truth := []struct {
		name string
		data []float64
		dims []int
	}{
		{"/truth/abundances", src.Abundances(), []int{sy, sx, p.Phases}},
		{"/truth/patterns", src.Patterns(), []int{p.Phases, dy, dx}},
		{"/truth/thickness", src.Thickness(), []int{sy, sx}},
	}
	for _, t := range truth {
		if err := w.WriteFloat64(t.name, t.data, t.dims...); err != nil {
			return err
		}
	}
	for _, a := range []struct {
		name  string
		value any
	}{
		{"program", "stemreduce"}, {"version", Version}, {"commit", commit()},
		{"command_line", strings.Join(env.Args, " ")}, {"synth", p.Canonical()},
		{"created", start.UTC().Format(time.RFC3339)},
	} {
		if err := w.SetAttr("/", a.name, a.value); err != nil {
			return err
		}
	}
	if err := w.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "generate: wrote %s:/data %v %s with /truth in %.2f s\n", o.Output, []int{sy, sx, dy, dx}, o.Dtype, time.Since(start).Seconds())
	return nil
}

// generateRows fills dst with frames [beg, end) of src, d pixels each, in parallel pieces.
// The frames do not depend on how the range is split.
func generateRows(src *synth.Source, dst []float32, beg, end, d int) error {
	const piece = 16
	n := (end - beg + piece - 1) / piece
	return spmd.Parallel(0, n, func(i int) error {
		b, e := beg+i*piece, min(beg+(i+1)*piece, end)
		return src.ReadFloat32(dst[(b-beg)*d:(e-beg)*d], b, e)
	})
}
