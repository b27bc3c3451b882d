package umap

import "math"

// powPos returns x^y for x > 0 as 2^(y·log₂x), with a table-driven logarithm and
// exponential (128 and 64 entries, each followed by a short polynomial): its relative
// error is below 1e-10 when |y·log₂x| < 60 (see TestPowPos), far below the float32 pow
// that umap-learn's SGD uses, at a fraction of the latency of math.Exp(y·math.Log(x)).
// The tables are computed once from math.Log2 and math.Exp2, and the rest is plain
// float64 arithmetic, so every rank of a run computes the same bits. A subnormal, infinite
// or NaN x, or a result outside [2^−1000, 2^1000], goes through math.Pow instead.
func powPos(x, y float64) float64 {
	if !(x >= minNormal && x <= math.MaxFloat64) {
		return math.Pow(x, y)
	}
	t := y * log2(x)
	if !(t > -1000 && t < 1000) {
		return math.Pow(x, y)
	}
	return exp2(t)
}

// powBatch sets dst[i] = powPos(x[i], y) for every i; dst must be as long as x. Its loop
// has no call on the common path, so the iterations, which do not depend on each other,
// overlap in the processor; the bits are those of powPos.
func powBatch(dst, x []float64, y float64) {
	dst = dst[:len(x)]
	for i, v := range x {
		if !(v >= minNormal && v <= math.MaxFloat64) {
			dst[i] = math.Pow(v, y)
			continue
		}
		// log2(v), as in log2.
		bv := math.Float64bits(v)
		e := int64(bv>>52&0x7ff) - 1023
		li := bv >> (52 - logBits) & (1<<logBits - 1)
		m := math.Float64frombits(bv&(1<<52-1) | 1023<<52)
		r := m*logInv[li] - 1
		r2 := r * r
		p := r - r2*(0.5-r*(1.0/3)) - r2*r2*(0.25-r*(1.0/5))
		t := y * (float64(e) + (logLog[li] + p*math.Log2E))
		if !(t > -1000 && t < 1000) {
			dst[i] = math.Pow(v, y)
			continue
		}
		// exp2(t), as in exp2.
		k := math.Floor(t*(1<<expBits) + 0.5)
		ki := int64(k)
		s := (t - k*(1.0/(1<<expBits))) * math.Ln2
		s2 := s * s
		q := 1 + s + s2*(0.5+s*(1.0/6)) + s2*s2*(1.0/24)
		dst[i] = q * expTab[ki&(1<<expBits-1)] * math.Float64frombits(uint64(ki>>expBits+1023)<<52)
	}
}

// minNormal is the smallest positive normal float64.
const minNormal = 0x1p-1022

// Tables of log2 and exp2.
const (
	logBits = 7 // log2: 2^logBits intervals of the mantissa
	expBits = 6 // exp2: 2^expBits steps per octave
)

var (
	logInv, logLog [1 << logBits]float64 // 1/c and −log₂(1/c) for the centre c of each interval
	expTab         [1 << expBits]float64 // 2^(i/2^expBits)
)

func init() {
	for i := range logInv {
		inv := 1 / (1 + (float64(i)+0.5)/(1<<logBits))
		logInv[i], logLog[i] = inv, -math.Log2(inv)
	}
	for i := range expTab {
		expTab[i] = math.Exp2(float64(i) / (1 << expBits))
	}
}

// log2 returns log₂x for a positive normal finite x = m·2^e, m in [1, 2): with c the
// centre of m's interval of width 2^−logBits and r = m/c − 1 (|r| ≤ 2^−(logBits+1)),
// log₂x = e + log₂c + log₂(1 + r), the last by its series to r^5 (the first term left out
// is below 3e-15).
func log2(x float64) float64 {
	b := math.Float64bits(x)
	e := int64(b>>52&0x7ff) - 1023
	i := b >> (52 - logBits) & (1<<logBits - 1)
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	r := m*logInv[i] - 1
	r2 := r * r
	// ln(1 + r) = r − r²/2 + r³/3 − r⁴/4 + r⁵/5, grouped for a short dependency chain.
	p := r - r2*(0.5-r*(1.0/3)) - r2*r2*(0.25-r*(1.0/5))
	return float64(e) + (logLog[i] + p*math.Log2E)
}

// exp2 returns 2^t for |t| < 1000: t = (k + r)/2^expBits with k integer and |r| ≤ ½, and
// 2^t = 2^⌊k/2^expBits⌋ · 2^((k mod 2^expBits)/2^expBits) · e^s with s = r·ln2/2^expBits
// (|s| ≤ 0.0055), e^s by its series to s^4 (the first term left out is below 5e-14).
func exp2(t float64) float64 {
	k := math.Floor(t*(1<<expBits) + 0.5)
	ki := int64(k)
	s := (t - k*(1.0/(1<<expBits))) * math.Ln2
	s2 := s * s
	p := 1 + s + s2*(0.5+s*(1.0/6)) + s2*s2*(1.0/24)
	return p * expTab[ki&(1<<expBits-1)] * math.Float64frombits(uint64(ki>>expBits+1023)<<52)
}
