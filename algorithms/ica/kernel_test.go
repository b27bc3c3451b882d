package ica_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/ica"
)

// TestKernelBits checks the products of the parallel kernel: the vector form (AVX2 where
// the CPU has it) gives exactly the bits of the scalar form for every k from 1 to 21
// (every padding) and several frame counts; the padding lanes of Y are zero; and both
// agree with plainly summed products to 1e-14 relative to the sum of |terms| (an
// independent check of what they compute).
func TestKernelBits(t *testing.T) {
	t.Logf("vector instructions: %v", ica.TanhVectorized())
	r := rand.New(rand.NewPCG(4, 1))
	for k := 1; k <= 21; k++ {
		kp := (k + 3) &^ 3
		for _, rows := range []int{1, 2, 5, 16, 64} {
			z := make([]float64, rows*k)
			for i := range z {
				z[i] = r.NormFloat64()
			}
			wt := make([]float64, k*kp)
			for j := range k {
				for i := range k {
					wt[j*kp+i] = r.NormFloat64()
				}
			}
			y := make([]float64, rows*kp)
			yg := make([]float64, rows*kp)
			for i := range y {
				y[i], yg[i] = math.NaN(), math.NaN() // every lane must be written
			}
			ica.WZ(y, z, wt, rows, k, kp)
			ica.WZGeneric(yg, z, wt, rows, k, kp)
			if !slices.Equal(y, yg) {
				t.Fatalf("k = %d, rows = %d: Y differs between the vector and scalar forms", k, rows)
			}
			for f := range rows {
				for i := range kp {
					var want, mag float64
					if i < k {
						for j := range k {
							want += z[f*k+j] * wt[j*kp+i]
							mag += math.Abs(z[f*k+j] * wt[j*kp+i])
						}
					}
					if got := y[f*kp+i]; math.Abs(got-want) > 1e-14*mag || (i >= k && got != 0) {
						t.Fatalf("k = %d, rows = %d: y[%d][%d] = %g, want %g", k, rows, f, i, got, want)
					}
				}
			}
			for i := range y {
				y[i] = math.Tanh(y[i]) // as after g
			}
			gt := make([]float64, k*kp)
			for i := range gt {
				gt[i] = r.NormFloat64() // accumulated onto
			}
			gtg := slices.Clone(gt)
			before := slices.Clone(gt)
			ica.GZ(gt, z, y, rows, k, kp)
			ica.GZGeneric(gtg, z, y, rows, k, kp)
			if !slices.Equal(gt, gtg) {
				t.Fatalf("k = %d, rows = %d: Gᵀ differs between the vector and scalar forms", k, rows)
			}
			for j := range k {
				for i := range k {
					want, mag := before[j*kp+i], math.Abs(before[j*kp+i])
					for f := range rows {
						want += y[f*kp+i] * z[f*k+j]
						mag += math.Abs(y[f*kp+i] * z[f*k+j])
					}
					if got := gt[j*kp+i]; math.Abs(got-want) > 1e-14*mag {
						t.Fatalf("k = %d, rows = %d: Gᵀ[%d][%d] = %g, want %g", k, rows, j, i, got, want)
					}
				}
			}
		}
	}
}
