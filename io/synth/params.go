package synth

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits on the parameters. Sizes are per axis.
const (
	MaxSize   = 1 << 16 // largest scan or detector axis
	MaxPhases = 16      // most phases
	MaxGrains = 64      // most grains per phase
	MaxDose   = 1e9     // largest dose: counts then stay below 2^32 (see Source.Info)
	MaxSharp  = 1e3     // largest boundary sharpness
)

// Params are the parameters of a synthetic dataset. Start from Default or Parse and change
// fields; every field must be set (the zero Params is not valid).
type Params struct {
	Scan   [2]int  // scan shape (sy, sx); key scan=SYxSX, default 64x64
	Det    [2]int  // detector shape (dy, dx); key det=DYxDX, default 64x64
	Phases int     // number of phases K, 1..16; key phases, default 4
	Dose   float64 // mean electrons per frame at unit thickness, in (0, 1e9]; key dose, default 1000
	Seed   uint64  // seed of every random choice; key seed, default 1
	Noise  bool    // Poisson counting noise (noise=poisson, the default); false gives the expected frames (noise=none)
	Thick  float64 // thickness modulation amplitude a in [0, 1): thickness spans [1-a, 1+a]; key thick, default 0.3
	Sharp  float64 // grain-boundary sharpness, in (0, 1000]: larger means narrower mixed boundaries; key sharp, default 8
	Grains int     // grains per phase, 1..64; key grains, default 2
}

// Default returns the default parameters, those of the spec "" (the embedded default dataset):
// scan=64x64,det=64x64,phases=4,dose=1000,seed=1,noise=poisson,thick=0.3,sharp=8,grains=2.
func Default() Params {
	return Params{
		Scan:   [2]int{64, 64},
		Det:    [2]int{64, 64},
		Phases: 4,
		Dose:   1000,
		Seed:   1,
		Noise:  true,
		Thick:  0.3,
		Sharp:  8,
		Grains: 2,
	}
}

// keyNames lists the spec keys in canonical order.
const keyNames = "scan, det, phases, dose, seed, noise, thick, sharp, grains"

// Parse parses a spec such as "scan=64x64,det=64x64,phases=4,dose=1000,seed=1": comma-separated
// KEY=VALUE items, in any order, each key at most once; keys not given keep their Default
// value, so "" gives Default(). A leading "synth:" is ignored. The keys are those of the Params
// fields: scan, det, phases, dose, seed, noise (poisson or none), thick, sharp, grains.
//
// The error names the key and shows a valid value, for example
// `synth: scan="64": want ROWSxCOLS, e.g. scan=256x256`. Unknown and repeated keys are errors.
func Parse(spec string) (Params, error) {
	p := Default()
	spec = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(spec), "synth:"))
	if spec == "" {
		return p, nil
	}
	seen := make(map[string]bool)
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return Params{}, fmt.Errorf("synth: empty item in %q: want KEY=VALUE,KEY=VALUE, e.g. scan=64x64,phases=4", spec)
		}
		key, val, ok := strings.Cut(item, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok {
			return Params{}, fmt.Errorf("synth: %q: want KEY=VALUE, e.g. scan=256x256", item)
		}
		if seen[key] {
			return Params{}, fmt.Errorf("synth: key %q given twice in %q", key, spec)
		}
		seen[key] = true
		if err := p.set(key, val); err != nil {
			return Params{}, err
		}
	}
	return p, nil
}

// set parses one KEY=VALUE item into p.
func (p *Params) set(key, val string) error {
	bad := func(want, example string) error {
		return fmt.Errorf("synth: %s=%q: want %s, e.g. %s", key, val, want, example)
	}
	switch key {
	case "scan", "det":
		ex := "scan=256x256"
		if key == "det" {
			ex = "det=128x128"
		}
		r, c, ok := parseSize(val)
		if !ok {
			return bad("ROWSxCOLS", ex)
		}
		if r < 1 || c < 1 || r > MaxSize || c > MaxSize {
			return bad(fmt.Sprintf("ROWSxCOLS with each size in 1..%d", MaxSize), ex)
		}
		if key == "scan" {
			p.Scan = [2]int{r, c}
		} else {
			p.Det = [2]int{r, c}
		}
	case "phases":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > MaxPhases {
			return bad(fmt.Sprintf("an integer in 1..%d", MaxPhases), "phases=4")
		}
		p.Phases = n
	case "grains":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > MaxGrains {
			return bad(fmt.Sprintf("an integer in 1..%d", MaxGrains), "grains=2")
		}
		p.Grains = n
	case "dose":
		x, err := strconv.ParseFloat(val, 64)
		if err != nil || !(x > 0 && x <= MaxDose) {
			return bad("a positive number of electrons per frame, at most 1e9", "dose=1000")
		}
		p.Dose = x
	case "seed":
		s, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			return bad("an unsigned integer", "seed=1")
		}
		p.Seed = s
	case "noise":
		switch val {
		case "poisson":
			p.Noise = true
		case "none":
			p.Noise = false
		default:
			return bad("poisson or none", "noise=none")
		}
	case "thick":
		x, err := strconv.ParseFloat(val, 64)
		if err != nil || !(x >= 0 && x < 1) {
			return bad("a number in [0, 1)", "thick=0.3")
		}
		p.Thick = x
	case "sharp":
		x, err := strconv.ParseFloat(val, 64)
		if err != nil || !(x > 0 && x <= MaxSharp) {
			return bad("a number in (0, 1000]", "sharp=8")
		}
		p.Sharp = x
	default:
		return fmt.Errorf("synth: unknown key %q in %q: want one of %s", key, key+"="+val, keyNames)
	}
	return nil
}

// parseSize parses "ROWSxCOLS".
func parseSize(s string) (r, c int, ok bool) {
	a, b, found := strings.Cut(s, "x")
	if !found {
		return 0, 0, false
	}
	r, err1 := strconv.Atoi(a)
	c, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return r, c, true
}

// Validate reports whether p is within the limits Parse enforces. The error names the first
// field out of range, in the spec's terms.
func (p Params) Validate() error {
	check := func(key, val string) error { return new(Params).set(key, val) }
	for _, kv := range [][2]string{
		{"scan", fmt.Sprintf("%dx%d", p.Scan[0], p.Scan[1])},
		{"det", fmt.Sprintf("%dx%d", p.Det[0], p.Det[1])},
		{"phases", strconv.Itoa(p.Phases)},
		{"dose", formatFloat(p.Dose)},
		{"thick", formatFloat(p.Thick)},
		{"sharp", formatFloat(p.Sharp)},
		{"grains", strconv.Itoa(p.Grains)},
	} {
		if err := check(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// Canonical returns the spec of p with every key, in a fixed order, so that Parse(p.Canonical())
// gives p back and two specs of the same dataset have the same canonical form:
// "scan=64x64,det=64x64,phases=4,dose=1000,seed=1,noise=poisson,thick=0.3,sharp=8,grains=2".
func (p Params) Canonical() string {
	noise := "none"
	if p.Noise {
		noise = "poisson"
	}
	return fmt.Sprintf("scan=%dx%d,det=%dx%d,phases=%d,dose=%s,seed=%d,noise=%s,thick=%s,sharp=%s,grains=%d",
		p.Scan[0], p.Scan[1], p.Det[0], p.Det[1], p.Phases, formatFloat(p.Dose), p.Seed, noise,
		formatFloat(p.Thick), formatFloat(p.Sharp), p.Grains)
}

// String returns the canonical spec.
func (p Params) String() string { return p.Canonical() }

// formatFloat formats x as the shortest decimal that parses back to x.
func formatFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Sprint(x)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}
