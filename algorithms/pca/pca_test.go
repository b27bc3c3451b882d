package pca_test

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/pca"
)

// checkAcrossRanks runs the fit at every rank count and checks that every rank and every
// rank count give the same bits, scores included. It returns the one-rank result and
// scores.
func checkAcrossRanks(t *testing.T, data []float32, n, d, block int, s pca.Settings) (*pca.Result, *mat.Dense) {
	t.Helper()
	var first *pca.Result
	var firstScores *mat.Dense
	for _, p := range rankCounts {
		res, scores := run(t, p, data, n, d, block, s)
		for r := range res {
			if !sameBits(res[r], res[0]) {
				t.Fatalf("P=%d: rank %d differs from rank 0", p, r)
			}
		}
		if p == 1 {
			first, firstScores = res[0], scores
			continue
		}
		if !sameBits(res[0], first) {
			t.Fatalf("P=%d differs from P=1", p)
		}
		if !denseBits(scores, firstScores) {
			t.Fatalf("P=%d: scores differ from P=1", p)
		}
	}
	return first, firstScores
}

// checkScores compares the scores with the reference U·S, signs fixed by the components.
func checkScores(t *testing.T, res *pca.Result, scores *mat.Dense, ref reference, tol float64) {
	t.Helper()
	n, k := scores.Dims()
	for j := range k {
		// The reference's sign: align its j-th right singular vector with component j.
		var dot float64
		for i := range res.D {
			dot += ref.v.At(i, j) * res.Components.At(j, i)
		}
		sign := math.Copysign(1, dot)
		var diff float64
		for i := range n {
			diff = math.Max(diff, math.Abs(scores.At(i, j)-sign*ref.u.At(i, j)*ref.s[j]))
		}
		if diff > tol*ref.s[0] {
			t.Errorf("scores column %d: max error %.3g of ‖Xc‖ = %.4g", j, diff/ref.s[0], ref.s[0])
		}
	}
}

func TestExactSolvers(t *testing.T) {
	tests := []struct {
		name       string
		n, d, k, b int
		rank       int
		noise      float64
		noCenter   bool
	}{
		// Tall, default block size (150 blocks of 4 frames).
		{name: "tall", n: 600, d: 40, k: 5, b: 0, rank: 8, noise: 0.5},
		// Wide: fewer frames than pixels, blocks shorter than D.
		{name: "wide", n: 90, d: 200, k: 6, b: 7, rank: 10, noise: 0.5},
		// Three blocks: more ranks than blocks at P = 4 and 7.
		{name: "few-blocks", n: 10, d: 12, k: 3, b: 4, rank: 4, noise: 0.5},
		// All components: K = min(N, D), no noise variance left.
		{name: "full", n: 64, d: 16, k: 16, b: 5, rank: 16, noise: 0.5},
		// Without centring (truncated SVD of X).
		{name: "no-center", n: 300, d: 30, k: 4, b: 9, rank: 6, noise: 0.5, noCenter: true},
		// D and min(N, D) above linalg.TopDenseMax: the block Krylov solvers, not the dense.
		{name: "krylov", n: 900, d: 720, k: 6, b: 0, rank: 10, noise: 0.5},
	}
	for _, tc := range tests {
		data := lowRank(tc.n, tc.d, tc.rank, 0.7, tc.noise, uint64(tc.n))
		ref := newReference(t, data, tc.n, tc.d, !tc.noCenter)
		for _, solver := range []pca.Solver{pca.Gram, pca.TSQR} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, solver), func(t *testing.T) {
				s := pca.Settings{K: tc.k, Solver: solver, NoCenter: tc.noCenter}
				res, scores := checkAcrossRanks(t, data, tc.n, tc.d, tc.b, s)
				if res.Passes != 2 || res.Solver != solver {
					t.Errorf("solver %v in %d passes, want %v in 2", res.Solver, res.Passes, solver)
				}
				// 1e-9 relative: both are backward-stable float64 computations on the same
				// data; the Gram solver squares the condition number, which for these
				// spectra (σ_K/σ_1 ≥ 0.1) costs at most two digits of the sixteen.
				if e := relErr(res.SingularValues, ref.s[:tc.k]); e > 1e-9 {
					t.Errorf("singular values: relative error %.3g", e)
				}
				evr := make([]float64, tc.k)
				for i := range evr {
					evr[i] = ref.s[i] * ref.s[i] / float64(tc.n-1) / ref.total
				}
				if e := relErr(res.ExplainedVarianceRatio, evr); e > 1e-9 {
					t.Errorf("explained variance ratio: relative error %.3g", e)
				}
				if e := math.Abs(res.TotalVariance-ref.total) / ref.total; e > 1e-12 {
					t.Errorf("total variance: relative error %.3g", e)
				}
				// Subspace: rounding perturbs the invariant subspace by ε·σ_1²/gap; the
				// gaps here are at least 1e-2·σ_1², so 1e-8 rad is a wide margin.
				angle := maxAngle(t, res.Components, ref)
				if angle > 1e-8 {
					t.Errorf("largest principal angle %.3g rad", angle)
				}
				checkScores(t, res, scores, ref, 1e-9)
				checkSigns(t, res.Components)
				wantNoise := 0.0
				if r := min(tc.n, tc.d) - tc.k; r > 0 {
					var rest float64
					for _, s := range ref.s[tc.k:] {
						rest += s * s
					}
					wantNoise = rest / float64(tc.n-1) / float64(r)
				}
				// Noise variance is a difference of sums: absolute tolerance relative to
				// the total variance.
				if e := math.Abs(res.NoiseVariance - wantNoise); e > 1e-10*ref.total {
					t.Errorf("noise variance %.10g, want %.10g", res.NoiseVariance, wantNoise)
				}
				t.Logf("σ rel %.2g, angle %.2g rad", relErr(res.SingularValues, ref.s[:tc.k]), angle)
			})
		}
	}
}

// checkSigns checks scikit-learn's svd_flip convention: the largest |entry| of every
// component is positive.
func checkSigns(t *testing.T, comp *mat.Dense) {
	t.Helper()
	k, d := comp.Dims()
	for i := range k {
		best, arg := -1.0, 0
		for j := range d {
			if a := math.Abs(comp.At(i, j)); a > best {
				best, arg = a, j
			}
		}
		if comp.At(i, arg) < 0 {
			t.Errorf("component %d: largest entry %g is negative", i, comp.At(i, arg))
		}
	}
}
