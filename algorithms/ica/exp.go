package ica

import "math"

// The exponential of the exp contrast, g(u) = u·exp(−u²/2), g′(u) = (1 − u²)·exp(−u²/2).
// FastICA with exp spends most of its time there (K evaluations per frame and iteration),
// so it is computed four values at a time with AVX2 and FMA where the CPU has them
// (expAVX2, tanh_amd64.s, beside the tanh of the logcosh contrast and with its constants
// of the same form), and otherwise by expNegHalfSqScalar, the same IEEE operations in the
// same order (every fused multiply-add through math.FMA, which rounds once on any CPU):
// the two give the same bits (TestExpSliceBits), so the bits of an exp fit do not depend
// on the CPU's vector units.
//
// Method: that of Go's math.Exp on amd64 (src/math/exp_amd64.s, after N. Shibata,
// "Efficient evaluation methods of elementary functions suitable for SIMD computation",
// ISC 2010), in its FMA form: for x = −u²/2, n = round(x/ln 2), r = (x − n·ln 2)/16 (ln 2
// in two parts, by FMA), y = r·p(r) ≈ eʳ − 1 with p the Taylor polynomial of degree 7 of
// (eʳ − 1)/r by Horner with FMA, four squarings y ← y·(y + 2) (the last fused with the
// + 1), and e = (y + 1)·2ⁿ. Following the operations of math.Exp rather than those of
// the tanh (which has a shorter reduction and one more Taylor term) costs nothing in
// speed and gives exactly the bits of math.Exp on a CPU with FMA, which the exp contrast
// used before (TestExpAccuracy): results of --fun exp do not change there, and on a CPU
// without FMA, where math.Exp took another path, they are now the same as everywhere.
//
// For x < expMin (|u| > 37.6) the result is 0, where math.Exp gives a number below
// 3.3e-308 (a subnormal from −708.4 on); NaN gives NaN and ±Inf 0.

// Constants of expNegHalfSqScalar, those of math.Exp (exp_amd64.s); tanh_amd64.s holds
// the same values (as bits).
const (
	expMin   = -708                                                  // smallest x computed; below, exp x is taken as 0 (n ≥ −1021 above it)
	expLog2e = 1.4426950408889634073599246810018920                  // 1/ln 2
	expLn2U  = 0.69314718055966295651160180568695068359375           // ln 2 = expLn2U + expLn2L
	expLn2L  = 0.28235290563031577122588448175013436025525412068e-12 //
)

// expTaylor are the Taylor coefficients 1/k! of (eʳ − 1)/r, k = 8 down to 2 (that of
// k = 1 is 1), as in math.Exp.
var expTaylor = [...]float64{
	2.4801587301587301587e-5, 1.9841269841269841270e-4, 1.3888888888888888889e-3,
	8.3333333333333333333e-3, 4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5,
}

// expNegHalfSqScalar is exp(−v²/2) by the method above, operation for operation as
// expAVX2.
func expNegHalfSqScalar(v float64) float64 {
	x := (v * v) * -0.5
	if x < expMin {
		return 0
	}
	n := math.RoundToEven(float64(x * expLog2e))
	r := math.FMA(-n, expLn2U, x)
	r = math.FMA(-n, expLn2L, r)
	r *= 0.0625
	p := expTaylor[0]
	for _, c := range expTaylor[1:] {
		p = math.FMA(p, r, c)
	}
	p = math.FMA(p, r, 1)
	y := r * p
	for range 3 {
		y = float64(y * (y + 2))
	}
	y = math.FMA(y+2, y, 1)
	scale := math.Float64frombits((math.Float64bits(n+roundBias) + 1023) << 52) // 2ⁿ
	return y * scale
}

// expNegHalfSqSlice stores exp(−y_i²/2) in e_i for i < len(e) ≤ len(y), with the bits
// of expNegHalfSqScalar.
func expNegHalfSqSlice(e, y []float64) {
	y = y[:len(e)]
	n := expVector(e, y)
	for i := n; i < len(e); i++ {
		e[i] = expNegHalfSqScalar(y[i])
	}
}

// expChunk is the number of values whose exponential applyExp holds at once (on the
// stack).
const expChunk = 256

// applyExp is contrast.apply for Exp: y (rows of stride values, k of them used) is
// replaced by g and the g′ of column i is added to gp[i], summed over the rows in order.
// The exponentials are computed expChunk values at a time (whole rows where a row fits,
// otherwise parts of one row), then g and g′ column by column from them; every sum still
// runs over the rows in order, so the bits are those of a row-by-row loop.
func applyExp(y []float64, stride, k int, gp []float64) {
	var buf [expChunk]float64
	rows := len(y) / stride
	if stride <= expChunk {
		per := expChunk / stride
		for f0 := 0; f0 < rows; f0 += per {
			seg := y[f0*stride : min(f0+per, rows)*stride]
			expColumns(seg, buf[:len(seg)], stride, gp[:k])
		}
		return
	}
	for f := range rows {
		for c0 := 0; c0 < k; c0 += expChunk {
			c1 := min(c0+expChunk, k)
			seg := y[f*stride+c0 : f*stride+c1]
			expColumns(seg, buf[:len(seg)], len(seg), gp[c0:c1])
		}
	}
}

// expColumns applies g of the exp contrast to the first len(gp) values of every row of
// seg (rows of stride values) and adds g′ to gp, column by column over the rows in order;
// e is scratch of len(seg) values.
func expColumns(seg, e []float64, stride int, gp []float64) {
	expNegHalfSqSlice(e, seg)
	for i := range gp {
		s := gp[i]
		for f := i; f < len(seg); f += stride {
			v, ev := seg[f], e[f]
			seg[f] = v * ev
			// The conversion forbids fusing the product into the sum, on any architecture.
			s += float64((1 - v*v) * ev)
		}
		gp[i] = s
	}
}
