package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/stemreduce/stemreduce/algorithms/moments"
	"github.com/stemreduce/stemreduce/algorithms/virtual"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/udf"
)

const udfUsage = "udf INPUT --run NAME[,NAME...] [--param NAME.KEY=VALUE ...] [--mask ...] [--com-mask ...] -o OUT.h5"

// builtinUDFs are the UDFs of stemreduce itself that --run accepts besides the registered
// ones.
var builtinUDFs = []string{"stats", "virtual", "com"}

func runUDFCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o PassOptions
	var d DetectorOptions
	var run, params listFlag
	f := flag.NewFlagSet("udf", flag.ContinueOnError)
	g.AddFlags(f)
	o.AddFlags(f)
	d.AddFlags(f)
	f.Var(&run, "run", "UDFs to run in one pass, `NAME[,NAME...]`, repeatable: "+strings.Join(udfNames(), ", "))
	f.Var(&params, "param", "parameter `NAME.KEY=VALUE` of UDF NAME, repeatable")
	pos, err := parse(env, f, args, 1, 1, udfUsage)
	if err != nil {
		return err
	}
	if err := checkAll(g.check(), o.check("udf")); err != nil {
		return err
	}
	names := strings.Split(strings.Join(run, ","), ",")
	if len(run) == 0 {
		return spmd.Usagef("udf: give the UDFs to run, e.g. --run stats,com (known: %s)", strings.Join(udfNames(), ", "))
	}
	byUDF, err := splitParams(params, names)
	if err != nil {
		return err
	}
	sig, err := sigShape(env, pos[0])
	if err != nil {
		return err
	}
	udfs, post, err := buildUDFs(names, byUDF, sig, &d)
	if err = spmd.Agree(env.Comm, err); err != nil {
		return err
	}
	return runUDFs(ctx, env, g, o, pos[0], "udf", post, udfs...)
}

func udfNames() []string {
	reg, _ := udf.Registered()
	return append(append([]string(nil), builtinUDFs...), reg...)
}

// splitParams sorts NAME.KEY=VALUE parameters by UDF.
func splitParams(params, names []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, p := range params {
		kv, val, ok := strings.Cut(p, "=")
		name, key, ok2 := strings.Cut(kv, ".")
		if !ok || !ok2 || name == "" || key == "" {
			return nil, spmd.Usagef("--param=%q: want NAME.KEY=VALUE, e.g. --param brightest.threshold=10", p)
		}
		found := false
		for _, n := range names {
			found = found || n == name
		}
		if !found {
			return nil, spmd.Usagef("--param=%q: UDF %q is not among --run %v", p, name, names)
		}
		if out[name] == nil {
			out[name] = map[string]string{}
		}
		out[name][key] = val
	}
	return out, nil
}

// buildUDFs makes the UDFs called names for a detector of shape sig.
func buildUDFs(names []string, params map[string]map[string]string, sig []int, d *DetectorOptions) ([]udf.UDF, postFunc, error) {
	var udfs []udf.UDF
	var post postFunc
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			return nil, nil, spmd.Usagef("--run: %q given twice", name)
		}
		seen[name] = true
		var u udf.UDF
		var err error
		switch name {
		case "stats":
			u = moments.UDF{}
		case "virtual":
			u, err = d.virtualUDF(sig)
		case "com":
			var c *virtual.COM
			if c, err = d.comUDF(sig); err == nil {
				u, post = c, writeDPC(c, len(udfs))
			}
		default:
			make, ok := udf.Lookup(name)
			if !ok {
				return nil, nil, spmd.Usagef("--run: unknown UDF %q (known: %s)", name, strings.Join(udfNames(), ", "))
			}
			if u, err = make(sig, params[name]); err != nil {
				err = spmd.WithCode(spmd.ExitUsage, fmt.Errorf("--run %s: %w", name, err))
			}
		}
		if err != nil {
			return nil, nil, err
		}
		if (name == "stats" || name == "virtual" || name == "com") && len(params[name]) > 0 {
			return nil, nil, spmd.Usagef("--param: the built-in UDF %q takes its settings from flags, not --param", name)
		}
		udfs = append(udfs, u)
	}
	return udfs, post, nil
}
