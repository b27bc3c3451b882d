package umap

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPowPos compares powPos with math.Pow. The bound 1e-10 on the relative error follows
// from the truncation errors stated in pow.go (below 1e-12 each) and the rounding of
// t = y·log₂x (|t| < 60 here, so below 1e-14 absolute); it is 600 times below the unit
// roundoff of float32, the precision of umap-learn's SGD.
func TestPowPos(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 1))
	worst := 0.0
	check := func(x, y float64) {
		got, want := powPos(x, y), math.Pow(x, y)
		rel := math.Abs(got-want) / want
		if want == 0 || math.IsInf(want, 0) {
			rel = 0
			if got != want {
				rel = math.Inf(1)
			}
		}
		worst = max(worst, rel)
		if !(rel <= 1e-10) {
			t.Errorf("powPos(%v, %v) = %v, math.Pow gives %v (relative error %.3g)", x, y, got, want, rel)
		}
	}
	for _, y := range []float64{0.5, 0.7904949734010681, 0.8950608779914887, 1, 1.3341669929263487, 2} {
		// Squared distances of an embedding: from the float32 underflow to far apart.
		for i := range 20000 {
			check(math.Exp2(-40+70*r.Float64()), y)
			_ = i
		}
		for _, x := range []float64{1, 2, 0.5, math.Sqrt2, math.Sqrt2 * (1 + 1e-16), 1 - 1e-16, 1e-300, 1e300, 4e-324, math.MaxFloat64} {
			check(x, y)
		}
	}
	t.Logf("largest relative error against math.Pow: %.3g", worst)
	// powBatch is powPos unrolled into a loop: the same bits, including the fallbacks.
	xs := []float64{1, 0.5, 3e-7, 2.5e5, 1e-300, 4e-324, 0, math.MaxFloat64, math.Inf(1), math.NaN()}
	for range 1000 {
		xs = append(xs, math.Exp2(-40+70*r.Float64()))
	}
	for _, y := range []float64{0.8950608779914887, 1.3341669929263487, 900} {
		got := make([]float64, len(xs))
		powBatch(got, xs, y)
		for i, x := range xs {
			if want := powPos(x, y); math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(want) && math.IsNaN(got[i])) {
				t.Errorf("powBatch(%v, %v) = %v, powPos gives %v", x, y, got[i], want)
			}
		}
	}
	if v := powPos(math.Inf(1), 0.9); !math.IsInf(v, 1) {
		t.Errorf("powPos(+Inf, 0.9) = %v, want +Inf", v)
	}
	if v := powPos(math.NaN(), 0.9); !math.IsNaN(v) {
		t.Errorf("powPos(NaN, 0.9) = %v, want NaN", v)
	}
}

var powSink float64

func BenchmarkPowPos(b *testing.B) {
	x := 0.37
	for b.Loop() {
		powSink += powPos(x, 0.8950608779914887)
		x += 1e-3
	}
}

func BenchmarkPowExpLog(b *testing.B) {
	x := 0.37
	for b.Loop() {
		powSink += math.Exp(0.8950608779914887 * math.Log(x))
		x += 1e-3
	}
}
