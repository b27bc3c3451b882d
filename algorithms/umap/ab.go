package umap

import (
	"fmt"
	"math"
)

// FindAB returns the parameters a, b of the curve 1/(1 + a·x^(2b)) that best fits, in
// least squares over 300 equally spaced x in [0, 3·spread], the offset exponential
// decay that is 1 below minDist and exp(−(x − minDist)/spread) above, as umap-learn's
// find_ab_params. The fit is a Levenberg–Marquardt iteration from (1, 1), the start and
// method of scipy's curve_fit. For the defaults (spread 1, minDist 0.1) it gives
// a ≈ 1.5769, b ≈ 0.8951.
// It panics unless spread > 0 and 0 <= minDist <= spread.
func FindAB(spread, minDist float64) (a, b float64) {
	if !(spread > 0) || !(minDist >= 0) || minDist > spread || math.IsInf(spread, 0) {
		panic(fmt.Sprintf("umap: FindAB(spread %v, minDist %v): want 0 <= minDist <= spread", spread, minDist))
	}
	const n = 300
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range n {
		// numpy's linspace: start + i·step, with the end point exact.
		x := float64(i) * (3 * spread / (n - 1))
		if i == n-1 {
			x = 3 * spread
		}
		xs[i] = x
		if x < minDist {
			ys[i] = 1
		} else {
			ys[i] = math.Exp(-(x - minDist) / spread)
		}
	}
	// residuals and Jacobian of r_i = f(x_i; a, b) − y_i.
	eval := func(a, b float64, jac bool) (ss, jaa, jab, jbb, ga, gb float64) {
		for i, x := range xs {
			var p, lx float64
			if x > 0 {
				lx = math.Log(x)
				p = math.Exp(2 * b * lx) // x^(2b)
			}
			den := 1 + a*p
			r := 1/den - ys[i]
			ss += r * r
			if !jac {
				continue
			}
			da := -p / (den * den)
			db := -a * p * 2 * lx / (den * den)
			jaa += da * da
			jab += da * db
			jbb += db * db
			ga += da * r
			gb += db * r
		}
		return ss, jaa, jab, jbb, ga, gb
	}
	a, b = 1, 1
	lambda := 1e-3
	for range 200 {
		ss, jaa, jab, jbb, ga, gb := eval(a, b, true)
		improved := false
		for range 50 {
			// (JᵀJ + λ diag(JᵀJ)) δ = −Jᵀr, Marquardt's scaling.
			m11, m22 := jaa*(1+lambda), jbb*(1+lambda)
			det := m11*m22 - jab*jab
			if det == 0 {
				lambda *= 10
				continue
			}
			da := -(m22*ga - jab*gb) / det
			db := -(m11*gb - jab*ga) / det
			na, nb := a+da, b+db
			if nss, _, _, _, _, _ := eval(na, nb, false); na > 0 && nss < ss {
				conv := math.Abs(da) <= 1e-12*(1+math.Abs(a)) && math.Abs(db) <= 1e-12*(1+math.Abs(b))
				a, b = na, nb
				lambda = max(lambda/10, 1e-12)
				improved = true
				if conv || ss-nss <= 1e-15*ss {
					return a, b
				}
				break
			}
			lambda *= 10
		}
		if !improved {
			break
		}
	}
	return a, b
}
