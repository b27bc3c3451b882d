package ica_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/ica"
)

// tanhInputs returns n values for the tanh tests: mostly normal with scale 3 (the range of
// α·wᵀz), with every 7th near zero, every 11th uniform in ±25 (around the cut at 20), and
// special values at the front.
func tanhInputs(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	special := []float64{0, math.Copysign(0, -1), 20, -20, math.Nextafter(20, 21), math.Nextafter(-20, -21),
		math.Inf(1), math.Inf(-1), math.NaN(), 1e-300, -5e-324, 1e300, -1e300, math.Ln2 / 4, -math.Ln2 / 4,
		0.5, -0.5, 19.5, -19.5}
	x := make([]float64, n)
	for i := range x {
		switch {
		case i < len(special):
			x[i] = special[i]
		case i%7 == 0:
			x[i] = r.NormFloat64() * 1e-4
		case i%11 == 0:
			x[i] = 50 * (r.Float64() - 0.5)
		default:
			x[i] = 3 * r.NormFloat64()
		}
	}
	return x
}

// TestTanhSliceBits checks that the slice form of tanh (AVX2 four at a time where the CPU
// has it, the scalar code for the tail) gives exactly the bits of the scalar code, for
// every length up to 67 (all tail lengths, every start alignment) and three values of α,
// so that the bits of a fit do not depend on the CPU.
func TestTanhSliceBits(t *testing.T) {
	t.Logf("vector instructions: %v", ica.TanhVectorized())
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	x := tanhInputs(100000, 1)
	for _, alpha := range []float64{1, 1.5, 2} {
		for n := 0; n <= 67; n++ {
			for off := 0; off < 4; off++ {
				y := append([]float64(nil), x[off:off+n]...)
				ica.TanhSlice(y, alpha)
				for i, v := range y {
					if want := ica.TanhScalar(alpha * x[off+i]); !same(v, want) {
						t.Fatalf("α = %g, length %d, offset %d: tanh(%g) = %x, scalar %x", alpha, n, off, alpha*x[off+i], math.Float64bits(v), math.Float64bits(want))
					}
				}
			}
		}
		y := append([]float64(nil), x...)
		ica.TanhSlice(y, alpha)
		for i, v := range y {
			if want := ica.TanhScalar(alpha * x[i]); !same(v, want) {
				t.Fatalf("α = %g: tanh(%g) = %x, scalar %x", alpha, alpha*x[i], math.Float64bits(v), math.Float64bits(want))
			}
		}
	}
}

// TestTanhSliceAccuracy checks the slice form against math.Tanh: absolute error below
// 5e-16 (the documented bound; a few ulps of 1), relative error below 1e-15 for |x| ≥ 0.5,
// and the exact limits ±1 beyond the cut.
func TestTanhSliceAccuracy(t *testing.T) {
	x := tanhInputs(400000, 2)
	y := append([]float64(nil), x...)
	ica.TanhSlice(y, 1)
	var abs, rel float64
	for i, v := range y {
		want := math.Tanh(x[i])
		if math.IsNaN(want) {
			if !math.IsNaN(v) {
				t.Errorf("tanh(NaN) = %g", v)
			}
			continue
		}
		abs = math.Max(abs, math.Abs(v-want))
		if math.Abs(x[i]) >= 0.5 {
			rel = math.Max(rel, math.Abs(v-want)/math.Abs(want))
		}
		if math.Abs(x[i]) > 20 && v != want {
			t.Errorf("tanh(%g) = %g, want %g", x[i], v, want)
		}
	}
	if abs > 5e-16 || rel > 1e-15 {
		t.Errorf("max |tanh − math.Tanh| = %.3g, max relative (|x| ≥ 0.5) %.3g", abs, rel)
	}
	t.Logf("max |tanh − math.Tanh| = %.3g, relative (|x| ≥ 0.5) %.3g", abs, rel)
}
