package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/picture"
	"github.com/stemreduce/stemreduce/spmd"
)

// PlotOptions are the flags of the plot command.
type PlotOptions struct {
	Output string // directory of the pictures
	Size   int
}

// AddFlags registers the plot flags on f.
func (o *PlotOptions) AddFlags(f *flag.FlagSet) {
	f.StringVar(&o.Output, "o", "", "`directory` of the PNG pictures (created if needed)")
	f.IntVar(&o.Size, "size", 512, "`pixels` on the long side of one image")
}

func (o *PlotOptions) check(g GlobalOptions) error {
	switch {
	case o.Output == "":
		return spmd.Usagef("plot: -o is required, e.g. -o pictures/")
	case g.PNG != "":
		return spmd.Usagef("plot: --png is for commands that write a result file; give the directory with -o")
	case o.Size < 64 || o.Size > 4096:
		return spmd.Usagef("--size=%d: want 64 to 4096 pixels, e.g. --size=512", o.Size)
	}
	return nil
}

const plotUsage = "plot OUT.h5 -o DIR [--size PIXELS]"

// runPlotCmd draws the pictures of a result file: rank 0 reads it and writes the PNG
// files, every rank agrees on the outcome.
func runPlotCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o PlotOptions
	f := flag.NewFlagSet("plot", flag.ContinueOnError)
	g.AddFlags(f)
	o.AddFlags(f)
	pos, err := parse(env, f, args, 1, 1, plotUsage)
	if err != nil {
		return err
	}
	if err := g.check(); err != nil {
		return err
	}
	if err := o.check(g); err != nil {
		return err
	}
	c := env.Comm
	if c.Rank() == 0 {
		err = writePictures(ctx, env.Stdout, "plot", pos[0], o.Output, picture.Options{Size: o.Size})
	}
	return spmd.Agree(c, err)
}

// writePictures writes the pictures of the result file into dir and prints the files
// written. A file that cannot be read or is not a stemreduce result is an input error
// (exit 3); a directory that cannot be written is a run failure (exit 1). No picture is
// left behind after an error. It is local: rank 0 calls it.
func writePictures(ctx context.Context, stdout io.Writer, cmd, file, dir string, o picture.Options) error {
	hf, err := h5.OpenFile(file)
	if err != nil {
		return spmd.WithCode(spmd.ExitInput, fmt.Errorf("%s: %w", cmd, err))
	}
	defer hf.Close()
	paths, err := picture.Write(ctx, dir, h5Result{hf}, o)
	var ie *picture.InputError
	switch {
	case errors.Is(err, picture.ErrNotResult):
		return spmd.Inputf("%s: %q is %v", cmd, file, picture.ErrNotResult)
	case errors.As(err, &ie):
		return spmd.WithCode(spmd.ExitInput, fmt.Errorf("%s: %w", cmd, err))
	case err != nil:
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if len(paths) == 0 {
		fmt.Fprintf(stdout, "%s: %s has nothing to draw; no picture written\n", cmd, file)
		return nil
	}
	fmt.Fprintf(stdout, "%s: wrote %d pictures of %s:\n", cmd, len(paths), file)
	for _, p := range paths {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	return nil
}

// h5Result adapts an h5.File to picture.File.
type h5Result struct{ f *h5.File }

func (r h5Result) Datasets() ([]picture.Dataset, error) {
	infos, err := r.f.Datasets()
	if err != nil {
		return nil, err
	}
	out := make([]picture.Dataset, len(infos))
	for i, d := range infos {
		out[i] = picture.Dataset{Path: d.Path, Dims: d.Dims, Dtype: d.Dtype}
	}
	return out, nil
}

func (r h5Result) ReadFloat64(path string) ([]float64, []int, error) { return r.f.ReadFloat64(path) }
func (r h5Result) Attr(obj, name string) (any, error)                { return r.f.Attr(obj, name) }
