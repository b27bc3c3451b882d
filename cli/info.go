package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/spmd"
)

// InfoOptions are the flags of the info command.
type InfoOptions struct {
	Ranks int // ranks to show the partition plan for
}

// AddFlags registers the info flags on f.
func (o *InfoOptions) AddFlags(f *flag.FlagSet) {
	f.IntVar(&o.Ranks, "n", 0, "show the partition plan for `P` ranks (default: the ranks of this run)")
}

const infoUsage = "info INPUT [-n P]"

func runInfoCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o InfoOptions
	f := flag.NewFlagSet("info", flag.ContinueOnError)
	g.AddFlags(f)
	o.AddFlags(f)
	pos, err := parse(env, f, args, 1, 1, infoUsage)
	if err != nil {
		return err
	}
	if err := g.check(); err != nil {
		return err
	}
	if o.Ranks < 0 {
		return spmd.Usagef("-n=%d: want a number of ranks >= 1, e.g. -n 4", o.Ranks)
	}
	if o.Ranks == 0 {
		o.Ranks = env.Comm.Size()
	}
	ds, err := openInput(env.Comm, pos[0])
	if err != nil {
		return err
	}
	defer ds.Close()
	if env.Comm.Rank() == 0 {
		printInfo(env.Stdout, ds, g.Block, o.Ranks)
	}
	return nil
}

func printInfo(w io.Writer, ds dataset.Dataset, block, ranks int) {
	info, shape := ds.Info(), ds.Shape()
	row := func(k, format string, args ...any) {
		fmt.Fprintf(w, "%-13s "+format+"\n", append([]any{k + ":"}, args...)...)
	}
	row("input", "%s", info.Path)
	row("format", "%s", info.Format)
	row("dtype", "%s, byte order %s", info.Dtype, info.ByteOrder)
	if info.Dims != nil {
		row("dims", "%s", tuple(info.Dims))
	}
	row("nav shape", "%s, %d frames", tuple(shape.Nav), shape.N())
	row("sig shape", "%s, %d pixels", tuple(shape.Sig), shape.D())
	if info.Chunks != nil {
		row("chunks", "%s, %d frames per chunk", tuple(info.Chunks), info.FramesPerChunk)
	} else {
		row("chunks", "none (contiguous)")
	}
	comp := info.Compression
	if comp == "" {
		comp = "none"
	}
	row("compression", "%s", comp)
	row("as float32", "%.1f MiB", float64(shape.N())*float64(shape.D())*4/(1<<20))
	plan := spmd.NewPlan(shape.N(), block, ranks, 0)
	row("blocks", "%d of %d frames", plan.NBlocks, plan.B)
	fmt.Fprintf(w, "partition over %d ranks:\n", ranks)
	for r := range ranks {
		p := spmd.NewPlan(shape.N(), block, ranks, r)
		fmt.Fprintf(w, "  rank %d: blocks [%d, %d), frames [%d, %d), %d frames\n", r, p.B0, p.B1, p.Beg, p.End, p.NLocal())
	}
}

// tuple formats dims like a NumPy shape: (128, 128, 256, 256).
func tuple(d []int) string {
	s := "("
	for i, v := range d {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(v)
	}
	if len(d) == 1 {
		s += ","
	}
	return s + ")"
}
