package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/stemreduce/stemreduce/algorithms/virtual"
	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/udf"
)

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// DetectorOptions are the flags that build detector masks: the virtual detectors and the
// centre-of-mass mask and reference.
type DetectorOptions struct {
	Masks   listFlag // NAME=SPEC
	COMMask string   // SPEC
	Center  string   // CY,CX
}

// AddFlags registers the detector flags on f.
func (o *DetectorOptions) AddFlags(f *flag.FlagSet) {
	f.Var(&o.Masks, "mask", "virtual detector `NAME=SPEC`, repeatable; SPEC is disk:CY,CX,R, annulus:CY,CX,RI,RO, point:Y,X, rect:Y0,X0,Y1,X1 or file:PATH (.npy or .h5:/path, detector-shaped)")
	f.StringVar(&o.COMMask, "com-mask", "", "centre of mass only within the mask `SPEC` (as for --mask; default: the whole frame)")
	f.StringVar(&o.Center, "center", "", "reference centre `CY,CX` of the centre of mass in detector pixels (default: the detector centre)")
}

// mask builds the mask SPEC for a detector of shape sig.
func mask(spec string, sig []int) ([]float32, error) {
	if path, ok := strings.CutPrefix(spec, "file:"); ok {
		data, dims, err := readArray(path)
		if err != nil {
			return nil, spmd.WithCode(spmd.ExitInput, fmt.Errorf("mask %q: %w", spec, err))
		}
		if prod(dims) != prod(sig) {
			return nil, spmd.Inputf("mask %q: shape %v does not match the detector %v", spec, dims, sig)
		}
		w := make([]float32, len(data))
		for i, v := range data {
			w[i] = float32(v)
		}
		return w, nil
	}
	w, err := virtual.ParseMask(spec, sig[0], sig[1])
	if err != nil {
		return nil, spmd.WithCode(spmd.ExitUsage, err)
	}
	return w, nil
}

// virtualUDF builds the virtual-detector UDF of the --mask flags.
func (o *DetectorOptions) virtualUDF(sig []int) (udf.UDF, error) {
	if len(o.Masks) == 0 {
		return nil, spmd.Usagef("virtual: give at least one --mask NAME=SPEC, e.g. --mask bf=disk:32,32,8")
	}
	var masks []virtual.Mask
	seen := map[string]bool{}
	for _, m := range o.Masks {
		name, spec, ok := strings.Cut(m, "=")
		if !ok || name == "" || strings.ContainsAny(name, "/ ") || seen[name] {
			return nil, spmd.Usagef("--mask=%q: want a unique NAME=SPEC, e.g. --mask bf=disk:32,32,8", m)
		}
		seen[name] = true
		w, err := mask(spec, sig)
		if err != nil {
			return nil, err
		}
		masks = append(masks, virtual.Mask{Name: name, Weights: w})
	}
	return virtual.New(masks), nil
}

// center returns the COM reference centre.
func (o *DetectorOptions) center(sig []int) (cy, cx float64, err error) {
	if o.Center == "" {
		return float64(sig[0]-1) / 2, float64(sig[1]-1) / 2, nil
	}
	a, b, ok := strings.Cut(o.Center, ",")
	cy, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	cx, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, spmd.Usagef("--center=%q: want CY,CX, e.g. --center=31.5,31.5", o.Center)
	}
	return cy, cx, nil
}

// comUDF builds the centre-of-mass UDF of the --com-mask and --center flags.
func (o *DetectorOptions) comUDF(sig []int) (*virtual.COM, error) {
	var w []float32
	if o.COMMask != "" {
		var err error
		if w, err = mask(o.COMMask, sig); err != nil {
			return nil, err
		}
	}
	cy, cx, err := o.center(sig)
	if err != nil {
		return nil, err
	}
	return virtual.NewCOM(sig[0], sig[1], w, cy, cx), nil
}

// writeDPC writes the DPC maps derived from the gathered COM maps of res[i] to /com.
func writeDPC(c *virtual.COM, i int) postFunc {
	return func(w *h5.Writer, shape dataset.Shape, res []*udf.Results) error {
		sy, sx := 1, shape.N()
		if len(shape.Nav) == 2 {
			sy, sx = shape.Nav[0], shape.Nav[1]
		}
		d := virtual.Derived(res[i].Float64("y"), res[i].Float64("x"), sy, sx, c.CY, c.CX)
		for _, m := range []struct {
			name string
			data []float64
		}{
			{"field_y", d.FieldY}, {"field_x", d.FieldX}, {"magnitude", d.Magnitude},
			{"divergence", d.Divergence}, {"curl", d.Curl},
		} {
			if err := w.WriteFloat64("/com/"+m.name, m.data, shape.Nav...); err != nil {
				return err
			}
		}
		return w.SetAttr("/com", "center", []float64{c.CY, c.CX})
	}
}

// sigShape opens the input only to learn its detector shape, which the masks need.
// Collective.
func sigShape(env Env, spec string) ([]int, error) {
	ds, err := openInput(env.Comm, spec)
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	return ds.Shape().Sig, nil
}

const virtualUsage = "virtual INPUT --mask NAME=SPEC [--mask ...] -o OUT.h5 [--roi ...]"

func runVirtualCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o PassOptions
	var d DetectorOptions
	f := flag.NewFlagSet("virtual", flag.ContinueOnError)
	g.AddFlags(f)
	o.AddFlags(f)
	d.AddFlags(f)
	pos, err := parse(env, f, args, 1, 1, virtualUsage)
	if err != nil {
		return err
	}
	if err := checkAll(g.check(), o.check("virtual")); err != nil {
		return err
	}
	sig, err := sigShape(env, pos[0])
	if err != nil {
		return err
	}
	u, err := d.virtualUDF(sig)
	if err = spmd.Agree(env.Comm, err); err != nil {
		return err
	}
	return runUDFs(ctx, env, g, o, pos[0], "virtual", nil, u)
}

const comUsage = "com INPUT [--com-mask SPEC] [--center CY,CX] -o OUT.h5 [--roi ...]"

func runCOMCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	var o PassOptions
	var d DetectorOptions
	f := flag.NewFlagSet("com", flag.ContinueOnError)
	g.AddFlags(f)
	o.AddFlags(f)
	d.AddFlags(f)
	pos, err := parse(env, f, args, 1, 1, comUsage)
	if err != nil {
		return err
	}
	if err := checkAll(g.check(), o.check("com")); err != nil {
		return err
	}
	sig, err := sigShape(env, pos[0])
	if err != nil {
		return err
	}
	u, err := d.comUDF(sig)
	if err = spmd.Agree(env.Comm, err); err != nil {
		return err
	}
	return runUDFs(ctx, env, g, o, pos[0], "com", writeDPC(u, 0), u)
}

// checkAll returns the first non-nil error.
func checkAll(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
