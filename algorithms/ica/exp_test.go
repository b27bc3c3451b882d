package ica_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/ica"
)

// expInputs returns n values u for the tests of exp(−u²/2): the tanh inputs (normal with
// scale 3, near zero, uniform in ±25, special values) and, every 13th, uniform in ±40,
// around the cut at |u| = √1416 ≈ 37.6 where the result becomes 0.
func expInputs(n int, seed uint64) []float64 {
	x := tanhInputs(n, seed)
	r := rand.New(rand.NewPCG(seed, 13))
	cut := math.Sqrt(1416)
	special := []float64{cut, -cut, math.Nextafter(cut, 0), math.Nextafter(cut, 40), 38, 40, 1e154, 1e-160}
	for i := range x {
		switch {
		case i < len(special):
			x[i] = special[i]
		case i%13 == 0:
			x[i] = 80 * (r.Float64() - 0.5)
		}
	}
	return x
}

func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// TestExpSliceBits checks that the slice form of exp(−u²/2) (AVX2 four at a time where
// the CPU has it, the scalar code for the tail) gives exactly the bits of the scalar code,
// for every length up to 67 (all tail lengths, every start alignment) and on 100000
// values, so that the bits of an exp fit do not depend on the CPU.
func TestExpSliceBits(t *testing.T) {
	t.Logf("vector instructions: %v", ica.TanhVectorized())
	x := expInputs(100000, 1)
	for n := 0; n <= 67; n++ {
		for off := 0; off < 4; off++ {
			e := make([]float64, n)
			ica.ExpNegHalfSqSlice(e, x[off:off+n+off]) // y longer than e
			for i, v := range e {
				if want := ica.ExpNegHalfSqScalar(x[off+i]); !sameBits(v, want) {
					t.Fatalf("length %d, offset %d: exp(−u²/2) at u = %g: %x, scalar %x", n, off, x[off+i], math.Float64bits(v), math.Float64bits(want))
				}
			}
		}
	}
	e := make([]float64, len(x))
	ica.ExpNegHalfSqSlice(e, x)
	for i, v := range e {
		if want := ica.ExpNegHalfSqScalar(x[i]); !sameBits(v, want) {
			t.Fatalf("exp(−u²/2) at u = %g: %x, scalar %x", x[i], math.Float64bits(v), math.Float64bits(want))
		}
	}
}

// TestExpAccuracy checks exp(−u²/2) against math.Exp(−u²/2): where −u²/2 ≥ −708, the
// same bits when the CPU has AVX2 and FMA (then math.Exp takes its FMA path, whose
// operations expNegHalfSqScalar repeats) and otherwise a relative error below 1e-15 (math.Exp
// without FMA rounds differently, by about an ulp); beyond, 0 in place of a number below
// exp(−708) ≈ 3.3076e-308; NaN for NaN and 0 for ±Inf.
func TestExpAccuracy(t *testing.T) {
	x := expInputs(400000, 2)
	e := make([]float64, len(x))
	ica.ExpNegHalfSqSlice(e, x)
	sameAsMath := ica.TanhVectorized() // AVX2 and FMA: math.Exp's FMA path
	var rel float64
	differ := 0
	for i, v := range e {
		u := x[i]
		want := math.Exp(-(u * u) / 2)
		switch {
		case math.IsNaN(u):
			if !math.IsNaN(v) {
				t.Errorf("exp(−u²/2) at NaN = %g", v)
			}
		case -(u*u)/2 < -708:
			if v != 0 || want > 3.31e-308 {
				t.Errorf("exp(−u²/2) at u = %g: %g, math.Exp %g", u, v, want)
			}
		default:
			rel = math.Max(rel, math.Abs(v-want)/want)
			if v != want {
				differ++
				if sameAsMath && differ <= 5 {
					t.Errorf("exp(−u²/2) at u = %g: %x, math.Exp %x", u, math.Float64bits(v), math.Float64bits(want))
				}
			}
		}
	}
	if rel > 1e-15 {
		t.Errorf("max relative |exp − math.Exp| = %.3g", rel)
	}
	t.Logf("max relative |exp − math.Exp| = %.3g; %d of %d values differ from math.Exp (AVX2 and FMA: %v)", rel, differ, len(x), sameAsMath)
}

// TestApplyExpBits checks the exp contrast as the kernels apply it (exponentials by
// pieces of whole rows, or of one row when a row is longer than the piece) against a
// row-by-row loop over the scalar exponential: the same bits for g and g′, for row strides
// from 1 to 300 with padding lanes, which must stay untouched.
func TestApplyExpBits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 1))
	for _, c := range []struct{ k, stride, rows int }{
		{1, 1, 64}, {1, 1, 37}, {3, 4, 64}, {10, 12, 64}, {10, 12, 5}, {20, 20, 64}, {70, 72, 9}, {255, 256, 3}, {257, 260, 4}, {300, 300, 3}, {520, 520, 2},
	} {
		y := make([]float64, c.rows*c.stride)
		for f := range c.rows {
			for i := range c.k {
				y[f*c.stride+i] = 2 * r.NormFloat64()
			}
		}
		want := append([]float64(nil), y...)
		gp := make([]float64, c.k)
		wantGp := make([]float64, c.k)
		for i := range gp {
			gp[i] = r.NormFloat64() // accumulated onto
			wantGp[i] = gp[i]
		}
		for f := range c.rows {
			for i := range c.k {
				v := want[f*c.stride+i]
				e := ica.ExpNegHalfSqScalar(v)
				want[f*c.stride+i] = v * e
				wantGp[i] += float64((1 - v*v) * e)
			}
		}
		ica.ApplyContrast(y, c.stride, c.k, gp, ica.Exp, 1)
		for i := range y {
			if !sameBits(y[i], want[i]) {
				t.Fatalf("k = %d, stride %d: g[%d] = %g, want %g", c.k, c.stride, i, y[i], want[i])
			}
		}
		for i := range gp {
			if !sameBits(gp[i], wantGp[i]) {
				t.Fatalf("k = %d, stride %d: g′ sum %d = %g, want %g", c.k, c.stride, i, gp[i], wantGp[i])
			}
		}
	}
}
