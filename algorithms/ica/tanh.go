package ica

import "math"

// The tanh of the logcosh contrast. FastICA spends most of its logcosh time in tanh (K
// evaluations per frame and iteration), so it is computed four values at a time with AVX2
// and FMA where the CPU has them (tanh_amd64.s), and otherwise by tanhScalar, which
// performs the same IEEE operations in the same order (every fused multiply-add through
// math.FMA, which rounds once whether or not the CPU has FMA): the two give the same bits
// (TestTanhSliceBits), so the bits of a fit do not depend on the CPU's vector units.
//
// Method: for |x| ≤ 20, tanh|x| = (1 − e)/(1 + e) with e = exp(−2|x|) ∈ [e⁻⁴⁰, 1]; e is
// 2ⁿ·p(r), n = round(−2|x|/ln 2) ∈ [−58, 0], r = −2|x| − n·ln 2 (ln 2 in two parts, by
// FMA) with |r| ≤ ln 2/2, and p the Taylor polynomial of exp of degree 13 (truncation
// below 5e-18 relative), by Horner with FMA. For |x| > 20, tanh|x| rounds to 1 (1 − tanh 20
// ≈ 8e-18 is below half an ulp of 1). The sign of x is copied onto the result. NaN gives
// NaN and ±Inf ±1. The absolute error against math.Tanh is below 5e-16 (TestTanh, TestTanhSliceAccuracy): the
// iteration uses tanh in sums over frames, where absolute errors count. For |x| ≪ 1 the
// relative error grows like ε/|x|, as with any form based on exp(−2|x|).

// Constants of tanhScalar; tanh_amd64.s holds the same values (as bits).
const (
	tanhBig   = 20                         // |x| above which tanh x is ±1
	invLn2    = 1.44269504088896338700e+00 // 1/ln 2
	ln2Hi     = 6.93147180369123816490e-01 // ln 2 = ln2Hi + ln2Lo, as in package math
	ln2Lo     = 1.90821492927058770002e-10
	roundBias = 0x1.8p52 // adding it puts an integer-valued float64 in the low mantissa bits
)

// expCoef are the Taylor coefficients 1/k! of exp, k = 13 down to 2 (those of k = 1 and 0
// are 1).
var expCoef = [...]float64{
	1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880,
	1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2,
}

// tanhScalar is tanh(x) by the method above, operation for operation as tanh_amd64.s.
func tanhScalar(x float64) float64 {
	ax := math.Abs(x)
	if ax > tanhBig {
		return math.Copysign(1, x)
	}
	x2 := -2 * ax
	n := math.RoundToEven(x2 * invLn2)
	r := math.FMA(-n, ln2Hi, x2)
	r = math.FMA(-n, ln2Lo, r)
	p := expCoef[0]
	for _, c := range expCoef[1:] {
		p = math.FMA(r, p, c)
	}
	p = math.FMA(r, p, 1)
	p = math.FMA(r, p, 1)
	scale := math.Float64frombits((math.Float64bits(n+roundBias) + 1023) << 52) // 2ⁿ
	// The conversion rounds e: no fusion into 1 ± p·scale, as in the assembly.
	e := float64(p * scale)
	return math.Copysign((1-e)/(1+e), x)
}

// tanhSlice replaces every y_i by tanh(a·y_i), with the bits of tanhScalar(a*y_i).
func tanhSlice(y []float64, a float64) {
	n := tanhVector(y, a)
	for i := n; i < len(y); i++ {
		y[i] = tanhScalar(a * y[i])
	}
}
