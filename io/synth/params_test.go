package synth

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	def := Default()
	with := func(f func(p *Params)) Params {
		p := Default()
		f(&p)
		return p
	}
	tests := []struct {
		spec string
		want Params
	}{
		{"", def},
		{"synth:", def},
		{"  ", def},
		{"scan=64x64,det=64x64,phases=4,dose=1000,seed=1", def},
		{"scan=8x16", with(func(p *Params) { p.Scan = [2]int{8, 16} })},
		{" det = 32x48 , phases=16 ", with(func(p *Params) { p.Det = [2]int{32, 48}; p.Phases = 16 })},
		{"synth:noise=none,seed=18446744073709551615", with(func(p *Params) { p.Noise = false; p.Seed = 1<<64 - 1 })},
		{"noise=poisson,dose=1e9,thick=0,sharp=1000,grains=64", with(func(p *Params) { p.Dose = 1e9; p.Thick = 0; p.Sharp = 1000; p.Grains = 64 })},
		{"dose=0.5,thick=0.99,sharp=0.01,grains=1,phases=1,scan=1x1,det=1x1", with(func(p *Params) {
			p.Dose, p.Thick, p.Sharp, p.Grains, p.Phases, p.Scan, p.Det = 0.5, 0.99, 0.01, 1, 1, [2]int{1, 1}, [2]int{1, 1}
		})},
	}
	for _, tc := range tests {
		got, err := Parse(tc.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q) = %v, want %v", tc.spec, got, tc.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("Parse(%q) gave invalid params: %v", tc.spec, err)
		}
		// The canonical spec parses back to the same parameters.
		again, err := Parse(got.Canonical())
		if err != nil || again != got {
			t.Errorf("Parse(%q.Canonical() = %q) = %v, %v; want %v", tc.spec, got.Canonical(), again, err, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"scan=64", `synth: scan="64": want ROWSxCOLS, e.g. scan=256x256`},
		{"scan=64x", `synth: scan="64x": want ROWSxCOLS, e.g. scan=256x256`},
		{"scan=0x64", `synth: scan="0x64": want ROWSxCOLS with each size in 1..65536, e.g. scan=256x256`},
		{"scan=65537x1", `synth: scan="65537x1": want ROWSxCOLS with each size in 1..65536, e.g. scan=256x256`},
		{"det=axb", `synth: det="axb": want ROWSxCOLS, e.g. det=128x128`},
		{"det=-4x4", `synth: det="-4x4": want ROWSxCOLS with each size in 1..65536, e.g. det=128x128`},
		{"phases=0", `synth: phases="0": want an integer in 1..16, e.g. phases=4`},
		{"phases=17", `synth: phases="17": want an integer in 1..16, e.g. phases=4`},
		{"phases=two", `synth: phases="two": want an integer in 1..16, e.g. phases=4`},
		{"dose=0", `synth: dose="0": want a positive number of electrons per frame, at most 1e9, e.g. dose=1000`},
		{"dose=-1", `synth: dose="-1": want a positive number of electrons per frame, at most 1e9, e.g. dose=1000`},
		{"dose=NaN", `synth: dose="NaN": want a positive number of electrons per frame, at most 1e9, e.g. dose=1000`},
		{"dose=inf", `synth: dose="inf": want a positive number of electrons per frame, at most 1e9, e.g. dose=1000`},
		{"dose=2e9", `synth: dose="2e9": want a positive number of electrons per frame, at most 1e9, e.g. dose=1000`},
		{"seed=-1", `synth: seed="-1": want an unsigned integer, e.g. seed=1`},
		{"seed=1.5", `synth: seed="1.5": want an unsigned integer, e.g. seed=1`},
		{"noise=gauss", `synth: noise="gauss": want poisson or none, e.g. noise=none`},
		{"thick=1", `synth: thick="1": want a number in [0, 1), e.g. thick=0.3`},
		{"thick=-0.1", `synth: thick="-0.1": want a number in [0, 1), e.g. thick=0.3`},
		{"sharp=0", `synth: sharp="0": want a number in (0, 1000], e.g. sharp=8`},
		{"grains=0", `synth: grains="0": want an integer in 1..64, e.g. grains=2`},
		{"grains=65", `synth: grains="65": want an integer in 1..64, e.g. grains=2`},
		{"size=64x64", `synth: unknown key "size" in "size=64x64": want one of scan, det, phases, dose, seed, noise, thick, sharp, grains`},
		{"scan=8x8,scan=16x16", `synth: key "scan" given twice in "scan=8x8,scan=16x16"`},
		{"scan", `synth: "scan": want KEY=VALUE, e.g. scan=256x256`},
		{"scan=8x8,,det=8x8", `synth: empty item in "scan=8x8,,det=8x8": want KEY=VALUE,KEY=VALUE, e.g. scan=64x64,phases=4`},
		{"scan=8x8,", `synth: empty item in "scan=8x8,": want KEY=VALUE,KEY=VALUE, e.g. scan=64x64,phases=4`},
	}
	for _, tc := range tests {
		_, err := Parse(tc.spec)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %s", tc.spec, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tc.spec, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *Params)
		want string // prefix of the error
	}{
		{"zero", func(p *Params) { *p = Params{} }, `synth: scan="0x0"`},
		{"det", func(p *Params) { p.Det[1] = 0 }, `synth: det="64x0"`},
		{"phases", func(p *Params) { p.Phases = 20 }, `synth: phases="20"`},
		{"dose", func(p *Params) { p.Dose = -3 }, `synth: dose="-3"`},
		{"thick", func(p *Params) { p.Thick = 1.5 }, `synth: thick="1.5"`},
		{"sharp", func(p *Params) { p.Sharp = 0 }, `synth: sharp="0"`},
		{"grains", func(p *Params) { p.Grains = 0 }, `synth: grains="0"`},
	}
	for _, tc := range tests {
		p := Default()
		tc.edit(&p)
		err := p.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error starting %s", tc.name, err, tc.want)
		}
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: New did not panic", tc.name)
				}
			}()
			New(p)
		}()
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestCanonical(t *testing.T) {
	const want = "scan=64x64,det=64x64,phases=4,dose=1000,seed=1,noise=poisson,thick=0.3,sharp=8,grains=2"
	if got := Default().Canonical(); got != want {
		t.Errorf("Default().Canonical() = %q, want %q", got, want)
	}
}
