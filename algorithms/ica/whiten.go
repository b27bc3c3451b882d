package ica

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/spmd"
)

// WhitenScale returns the standard deviations σ_j = √(variance_j·(N−1)/N) that whiten
// the PCA scores of n frames with explained variances variance (denominator N − 1): the
// scores divided by σ have mean square one with denominator N, which is what scikit-learn's
// FastICA feeds its iteration (X1 = √N·Uᵀ for the centred data U·S·Vᵀ, so z = score·√N/s_j
// and s_j² = (N−1)·variance_j). It returns *NonFiniteError (Frame −1) if a variance is NaN
// or infinite, and ErrRank if one is not positive or below MinVarianceRatio of the first,
// or if n < 2. It does not communicate; it allocates the result.
func WhitenScale(variance []float64, n int) ([]float64, error) {
	for _, v := range variance {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, spmd.WithCode(spmd.ExitInput, &NonFiniteError{Frame: -1})
		}
	}
	if n < 2 {
		return nil, spmd.WithCode(spmd.ExitInput, fmt.Errorf("%w: %d frames", ErrRank, n))
	}
	scale := make([]float64, len(variance))
	for j, v := range variance {
		if !(v > 0) || v < MinVarianceRatio*variance[0] {
			return nil, spmd.WithCode(spmd.ExitInput, fmt.Errorf("%w: component %d has variance %g, the first %g (the data have rank < %d)", ErrRank, j, v, variance[0], j+1))
		}
		scale[j] = math.Sqrt(v * float64(n-1) / float64(n))
	}
	return scale, nil
}

// WhitenTo stores the whitened scores z_fj = scores_fj/scale_j of the len(scale) leading
// columns of scores in dst. If dst is empty it is resized to rows×len(scale); otherwise
// WhitenTo panics unless it has that shape, or if scores has fewer columns. It does not
// communicate and does not check for non-finite values.
func WhitenTo(dst *mat.Dense, scores mat.Matrix, scale []float64) {
	r, c := scores.Dims()
	k := len(scale)
	if c < k {
		panic(fmt.Sprintf("ica: whitening %d columns of a %d×%d matrix", k, r, c))
	}
	if dst.IsEmpty() {
		dst.ReuseAs(r, k)
	} else if dr, dc := dst.Dims(); dr != r || dc != k {
		panic(fmt.Sprintf("ica: destination is %d×%d, want %d×%d", dr, dc, r, k))
	}
	for i := range r {
		for j, s := range scale {
			dst.Set(i, j, scores.At(i, j)/s)
		}
	}
}

// whiten stores the whitened leading len(scale) columns of scores in z, row-major, and
// returns the first row that holds a NaN or an infinity, or −1.
func whiten(z []float64, scores mat.Matrix, scale []float64) int {
	r, _ := scores.Dims()
	k := len(scale)
	bad := -1
	for i := range r {
		row := z[i*k : (i+1)*k]
		for j, s := range scale {
			v := scores.At(i, j)
			if bad < 0 && (math.IsNaN(v) || math.IsInf(v, 0)) {
				bad = i
			}
			row[j] = v / s
		}
	}
	return bad
}
