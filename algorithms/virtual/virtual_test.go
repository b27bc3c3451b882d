package virtual_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/virtual"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/io/synth"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/udf"
)

// runGathered runs the UDFs at p ranks and returns rank 0's gathered results.
func runGathered(t *testing.T, p int, in udf.Input, udfs ...udf.UDF) []*udf.Results {
	t.Helper()
	out := make([]*udf.Results, len(udfs))
	errs := inproc.Run(p, func(c collective.Comm) error {
		res, plan, err := udf.Run(context.Background(), c, &spmd.Env{TileBytes: 1 << 16}, in, udfs...)
		if err != nil {
			return err
		}
		for i := range res {
			g, err := udf.Gather(c, plan, res[i])
			if err != nil {
				return err
			}
			if c.Rank() == 0 {
				out[i] = g
			}
		}
		return nil
	})
	for r, err := range errs {
		if err != nil {
			t.Fatalf("P=%d rank %d: %v", p, r, err)
		}
	}
	return out
}

func TestVirtualAndCOMAgainstDirect(t *testing.T) {
	p, err := synth.Parse("scan=9x11,det=24x20,phases=3,seed=5")
	if err != nil {
		t.Fatal(err)
	}
	src := synth.New(p)
	sy, sx, dy, dx := 9, 11, 24, 20
	n, d := sy*sx, dy*dx
	data := make([]float64, n*d)
	if err := src.ReadFloat64(data, 0, n); err != nil {
		t.Fatal(err)
	}
	bf := virtual.Disk(dy, dx, 11.5, 9.5, 4)
	adf, _ := virtual.ParseMask("annulus:11.5,9.5,6,12", dy, dx)
	pt := virtual.Point(dy, dx, 3, 4)
	masks := []virtual.Mask{{Name: "bf", Weights: bf}, {Name: "adf", Weights: adf}, {Name: "pt", Weights: pt}}
	cy, cx := 11.5, 9.5
	in := udf.Input{Nav: []int{sy, sx}, Sig: []int{dy, dx}, Source: src, Block: 4}

	var ref []*udf.Results
	for _, np := range []int{1, 2, 3, 5} {
		got := runGathered(t, np, in, virtual.New(masks), virtual.NewCOM(dy, dx, nil, cy, cx))
		if ref == nil {
			ref = got
		} else {
			for i := range got {
				for _, b := range got[i].Buffers() {
					for j, v := range b.F64 {
						if math.Float64bits(v) != math.Float64bits(ref[i].Buffer(b.Name).F64[j]) {
							t.Fatalf("P=%d: %s differs from P=1 at %d", np, b.Name, j)
						}
					}
				}
			}
		}
		for f := range n {
			frame := data[f*d : (f+1)*d]
			for _, m := range masks {
				want := 0.0
				for i, w := range m.Weights {
					want += float64(w) * frame[i]
				}
				// float32 GEMM over at most 480 pixels of counts below 2^24: 1e-5 relative.
				if g := got[0].Float64(m.Name)[f]; math.Abs(g-want) > 1e-5*math.Abs(want)+1e-6 {
					t.Fatalf("P=%d %s[%d] = %v, want %v", np, m.Name, f, g, want)
				}
			}
			var tot, my, mx float64
			for y := range dy {
				for x := range dx {
					v := frame[y*dx+x]
					tot += v
					my += float64(y) * v
					mx += float64(x) * v
				}
			}
			if g := got[1].Float64("y")[f]; math.Abs(g-my/tot) > 1e-4 {
				t.Fatalf("P=%d com y[%d] = %v, want %v", np, f, g, my/tot)
			}
			if g := got[1].Float64("x")[f]; math.Abs(g-mx/tot) > 1e-4 {
				t.Fatalf("P=%d com x[%d] = %v, want %v", np, f, g, mx/tot)
			}
		}
	}
}

func TestDerivedOnAnAnalyticField(t *testing.T) {
	// F = (Fy, Fx) = (y², x·y) about the origin: ∂Fy/∂y = 2y, ∂Fx/∂x = y, ∂Fy/∂x = 0,
	// ∂Fx/∂y = x. Central differences are exact for these quadratics away from the edges.
	const sy, sx = 6, 7
	y, x := make([]float64, sy*sx), make([]float64, sy*sx)
	for i := range sy {
		for j := range sx {
			y[i*sx+j], x[i*sx+j] = float64(i*i)+1, float64(j*i)+2
		}
	}
	d := virtual.Derived(y, x, sy, sx, 1, 2)
	for i := 1; i < sy-1; i++ {
		for j := 1; j < sx-1; j++ {
			k := i*sx + j
			if want := 3 * float64(i); math.Abs(d.Divergence[k]-want) > 1e-12 {
				t.Fatalf("divergence at (%d, %d) = %v, want %v", i, j, d.Divergence[k], want)
			}
			if want := -float64(j); math.Abs(d.Curl[k]-want) > 1e-12 {
				t.Fatalf("curl at (%d, %d) = %v, want %v", i, j, d.Curl[k], want)
			}
			if want := math.Hypot(float64(i*i), float64(i*j)); math.Abs(d.Magnitude[k]-want) > 1e-12 {
				t.Fatalf("magnitude at (%d, %d) = %v, want %v", i, j, d.Magnitude[k], want)
			}
		}
	}
}

func TestParseMask(t *testing.T) {
	tests := []struct {
		spec   string
		pixels int
		err    string
	}{
		{"disk:4,4,0", 1, ""},
		{"disk:4,4,1", 5, ""},
		{"annulus:4,4,0,1", 4, ""},
		{"point:2,3", 1, ""},
		{"rect:0,0,2,3", 6, ""},
		{"disk:4,4", 0, "want disk:CY,CX,R"},
		{"disk:4,4,-1", 0, "negative radius"},
		{"annulus:4,4,3,1", 0, "RI <= RO"},
		{"point:20,20", 0, "covers no pixel"},
		{"ring:1,2,3", 0, "unknown kind"},
	}
	for _, tc := range tests {
		w, err := virtual.ParseMask(tc.spec, 9, 9)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		n := 0
		for _, v := range w {
			if v != 0 {
				n++
			}
		}
		if n != tc.pixels {
			t.Errorf("%s: %d pixels, want %d", tc.spec, n, tc.pixels)
		}
	}
}
