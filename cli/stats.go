package cli

import (
	"context"
	"flag"

	"github.com/stemreduce/stemreduce/algorithms/moments"
)

const statsUsage = "stats INPUT -o OUT.h5 [--roi y0:y1,x0:x1 | --roi-mask FILE]"

func runStatsCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o PassOptions
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
	if err := o.check("stats"); err != nil {
		return err
	}
	return runUDFs(ctx, env, g, o, pos[0], "stats", nil, moments.UDF{})
}
