package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/stemreduce/stemreduce/algorithms/moments"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/spmd"
)

// StatsOptions are the flags of the stats command.
type StatsOptions struct {
	Output string
}

// AddFlags registers the stats flags on f.
func (o *StatsOptions) AddFlags(f *flag.FlagSet) {
	f.StringVar(&o.Output, "o", "", "output HDF5 `file` (written atomically)")
}

func (o *StatsOptions) check() error {
	if o.Output == "" {
		return spmd.Usagef("stats: -o is required, e.g. -o stats.h5")
	}
	return nil
}

const statsUsage = "stats INPUT -o OUT.h5"

func runStatsCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o StatsOptions
	f := flag.NewFlagSet("stats", flag.ContinueOnError)
	g.AddFlags(f)
	o.AddFlags(f)
	pos, err := parse(env, f, args, 1, 1, statsUsage)
	if err != nil {
		return err
	}
	if err := g.check(); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	return runStats(ctx, env, g, o, pos[0])
}

// runStats computes per-pixel statistics and per-frame totals in one pass and writes /stats.
// Collective.
func runStats(ctx context.Context, env Env, g GlobalOptions, o StatsOptions, input string) error {
	start := time.Now()
	c := env.Comm
	ds, err := openInput(c, input)
	if err != nil {
		return err
	}
	defer ds.Close()
	out, err := createOutput(c, o.Output)
	if err != nil {
		return err
	}
	defer out.abort()

	shape := ds.Shape()
	plan := spmd.NewPlan(shape.N(), g.Block, c.Size(), c.Rank())
	penv := g.passEnv(env)
	penv.Log.Infof("stats: %s, %s, %d frames in %d blocks of %d on %d ranks", input, shape, shape.N(), plan.NBlocks, plan.B, c.Size())

	frameSum := make([]float64, plan.NLocal())
	part, err := spmd.Reduce(ctx, c, penv, "stats", plan, shape.D(), ds, moments.Merger{},
		func(b spmd.Block) (*moments.Partial, error) {
			off := b.Frames.Beg - plan.Beg
			return moments.BlockTo(frameSum[off:off+b.Frames.Len()], b.Data, b.Frames.Len(), b.D), nil
		})
	if err != nil {
		return err
	}
	allSums, err := gatherNav(c, plan, frameSum)
	if err != nil {
		return err
	}
	res := part.Finish()
	err = out.commit(func(w *h5.Writer) error {
		wstart := time.Now()
		if err := writeStats(w, res, allSums, shape.Nav, shape.Sig); err != nil {
			return err
		}
		penv.Times.Add("write", time.Since(wstart))
		return provenance(w, env, ds, plan, penv.Times, start)
	})
	if err != nil {
		return err
	}
	if c.Rank() == 0 {
		fmt.Fprintf(env.Stdout, "stats: wrote /stats of %d frames to %s in %.2f s\n", shape.N(), o.Output, time.Since(start).Seconds())
	}
	return nil
}

func writeStats(w *h5.Writer, r moments.Result, frameSum []float64, nav, sig []int) error {
	sets := []struct {
		name string
		data []float64
	}{
		{"sum", r.Sum}, {"mean", r.Mean}, {"var", r.Var}, {"var_sample", r.VarSample},
		{"std", r.Std}, {"min", r.Min}, {"max", r.Max},
	}
	for _, s := range sets {
		if err := w.WriteFloat64("/stats/"+s.name, s.data, sig...); err != nil {
			return err
		}
	}
	if err := w.WriteFloat64("/stats/frame_sum", frameSum, nav...); err != nil {
		return err
	}
	return w.SetAttr("/stats", "n_frames", r.N)
}

// gatherNav concatenates every rank's nav-shaped values in frame order on every rank.
// Collective.
func gatherNav(c collective.Comm, plan spmd.Plan, local []float64) ([]float64, error) {
	counts := make([]int, c.Size())
	for r := range counts {
		counts[r] = spmd.NewPlan(plan.N, plan.B, plan.Size, r).NLocal()
	}
	return collective.AllgathervOf(c, nil, local, counts)
}
