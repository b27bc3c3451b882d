package pca_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/spmd"
)

// dataMatrix returns the frames as an N×D float64 matrix, centred at the column means if
// center: the matrix A the PCA decomposes.
func dataMatrix(data []float32, n, d int, center bool) *mat.Dense {
	a := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			a.Set(i, j, float64(data[i*d+j]))
		}
	}
	if center {
		for j := range d {
			var m float64
			for i := range n {
				m += a.At(i, j)
			}
			m /= float64(n)
			for i := range n {
				a.Set(i, j, a.At(i, j)-m)
			}
		}
	}
	return a
}

// residual returns A − scores·components.
func residual(a, scores, comp *mat.Dense) *mat.Dense {
	var e mat.Dense
	e.Mul(scores, comp)
	e.Sub(a, &e)
	return &e
}

func norm2(t *testing.T, a mat.Matrix) float64 {
	t.Helper()
	s, err := linalg.SingularValues(a)
	if err != nil {
		t.Fatal(err)
	}
	return s[0]
}

// TestSinglePass checks the single-pass solver (Settings.Passes = 1) on both of its paths:
// one pass, the same bits for every number of ranks, the path taken (B from the fused
// product when cond(Y) ≤ MaxFusedCond, bit for bit the result of PowerIters < 0; Tropp et
// al.'s co-range solve otherwise, also forced with SetFusedCond(0) on every case), and
// accuracy within deterministic a-posteriori bounds.
//
// With Â = Q·X̂ the rank-l approximation the sketch gives (the whole of it is the result of
// a fit with K = l, which this test runs too) and E = A − Â, the K singular values are
// those of Â, so Weyl's inequality bounds their errors by ‖E‖₂, and Wedin's sin θ theorem
// bounds the largest principal angle between the components and the exact top-K right
// singular subspace by ‖E‖₂ / (S_K − σ_{K+1}(A)). The scores are Q·U·S = Â·Componentsᵀ,
// so they differ from A·Componentsᵀ by E·Componentsᵀ, at most ‖E‖₂ in norm.
func TestSinglePass(t *testing.T) {
	synthData, synthN, synthD := synthFrames(t, "scan=32x32,det=24x24,phases=4,seed=1")
	tests := []struct {
		name    string
		data    []float32
		n, d, b int
		rank    int     // of the low-rank part (lowRank data)
		noise   float64 // of the low-rank data
		s       pca.Settings
		exact   bool // the sketch spans the centred data: the result is exact to rounding
		tropp   bool // the sketch is numerically rank-deficient: Tropp's solve is taken
	}{
		// Low rank 10 plus noise; l = 15, s = 31.
		{name: "low-rank", n: 2000, d: 300, rank: 10, noise: 0.5, s: pca.Settings{K: 5, Seed: 7}},
		// The synthetic 4D-STEM source: four phases, Poisson noise; l = 13.
		{name: "synth", data: synthData, n: synthN, d: synthD, s: pca.Settings{K: 3, Seed: 3}},
		// Small noise: the single-pass error is proportional to the tail.
		{name: "small-noise", n: 800, d: 80, b: 7, rank: 10, noise: 1e-3, s: pca.Settings{K: 4, Seed: 2}},
		// Without centring: W and Y move to the zero shift after the pass.
		{name: "no-center", n: 600, d: 50, b: 5, rank: 10, noise: 0.5, s: pca.Settings{K: 4, NoCenter: true, Seed: 5}},
		// Auto with Passes = 1 is the single-pass sketch, whatever the shape would pick.
		{name: "auto", n: 600, d: 20, b: 9, rank: 6, noise: 0.5, s: pca.Settings{K: 2, Solver: pca.Auto, PowerIters: -1, Seed: 9}},
		// Noise-free rank 3 with l = 13: only the float32 rounding of the data lies outside
		// the range of the sketch (cond(Y) ≈ 4e6), and the error is of that order.
		{name: "exact-low-rank", n: 500, d: 50, b: 6, rank: 3, s: pca.Settings{K: 3}},
		// Fewer blocks than ranks and l = N: Q spans everything, so that
		// X̂ = (ΨQ)⁺·Ψ·Q·QᵀA = QᵀA and the result is exact. Centred, Y has rank N − 1:
		// cond(Y) is rounding over rounding and Tropp's solve is taken.
		{name: "tiny", n: 10, d: 12, b: 4, rank: 10, noise: 0.5, s: pca.Settings{K: 3, Oversample: 20}, exact: true, tropp: true},
		{name: "tiny-no-center", n: 10, d: 12, b: 4, rank: 10, noise: 0.5, s: pca.Settings{K: 3, Oversample: 20, NoCenter: true}, exact: true},
		// Exactly rank-deficient data, which float32 represents exactly (every frame one of
		// four integer patterns: the centred data have rank 3 < l = 13): R⁻ᵀ·P would be
		// meaningless, Tropp's solve is taken and exact, since Q spans the data.
		{name: "singular", data: patterns(600, 60), n: 600, d: 60, b: 0, s: pca.Settings{K: 3, Seed: 4}, exact: true, tropp: true},
	}
	for _, tc := range tests {
		data, n, d := tc.data, tc.n, tc.d
		if data == nil {
			data = lowRank(n, d, tc.rank, 0.7, tc.noise, uint64(n+d))
		}
		ref := newReference(t, data, n, d, !tc.s.NoCenter)
		a := dataMatrix(data, n, d, !tc.s.NoCenter)
		s := tc.s
		s.Passes = 1
		if s.Solver == pca.Auto && tc.name != "auto" {
			s.Solver = pca.Randomized
		}
		t.Run(tc.name, func(t *testing.T) {
			res, scores := checkAcrossRanks(t, data, n, d, tc.b, s)
			if res.CoRangeSolve != tc.tropp {
				t.Fatalf("cond(Y) = %.3g: Tropp's solve %v, want %v", res.SketchCond, res.CoRangeSolve, tc.tropp)
			}
			if !tc.tropp {
				// The fused path is the randomized solver with q = 0, bit for bit.
				q0 := s
				q0.Passes, q0.PowerIters, q0.Solver = 0, -1, pca.Randomized
				qres, qscores := run(t, 3, data, n, d, tc.b, q0)
				if qres[0].Passes != 1 || qres[0].ExtraPass || !denseBits(qres[0].Components, res.Components) ||
					!denseBits(qscores, scores) || relErr(qres[0].SingularValues, res.SingularValues) != 0 || !floatBits(qres[0].SketchCond, res.SketchCond) {
					t.Errorf("fused single pass differs from PowerIters < 0")
				}
			}
			checkSinglePass(t, data, n, d, tc.b, s, res, scores, ref, a, tc.exact)
		})
		if tc.tropp {
			continue
		}
		t.Run(tc.name+"/tropp", func(t *testing.T) {
			defer pca.SetFusedCond(0)()
			res, scores := checkAcrossRanks(t, data, n, d, tc.b, s)
			if !res.CoRangeSolve {
				t.Fatalf("cond(Y) = %.3g above MaxFusedCond = 0: Tropp's solve not taken", res.SketchCond)
			}
			checkSinglePass(t, data, n, d, tc.b, s, res, scores, ref, a, tc.exact)
		})
	}
}

// patterns returns n frames of d pixels, each one of four random integer patterns: data of
// rank 4 (3 centred) that float32 represents exactly.
func patterns(n, d int) []float32 {
	rnd := rand.New(rand.NewPCG(1, 2))
	pats := make([][]float32, 4)
	for k := range pats {
		pats[k] = make([]float32, d)
		for j := range pats[k] {
			pats[k][j] = float32(math.Floor(100 * rnd.Float64()))
		}
	}
	data := make([]float32, n*d)
	for f := range n {
		copy(data[f*d:(f+1)*d], pats[(f*7)%4])
	}
	return data
}

// checkSinglePass checks a single-pass result res (scores assembled in frame order) against
// the reference: Weyl's and Wedin's bounds, the residual of the whole rank-l
// approximation, the scores, the signs, and exactness when the sketch spans the data.
func checkSinglePass(t *testing.T, data []float32, n, d, block int, s pca.Settings, res *pca.Result, scores *mat.Dense, ref reference, a *mat.Dense, exact bool) {
	t.Helper()
	l := res.Sketch
	if res.Passes != 1 || res.Iter != 0 || res.ExtraPass || res.Solver != pca.Randomized || res.CoSketch != 2*l+1 {
		t.Fatalf("%v solver: %d passes, %d iterations, extra %v, l = %d, s = %d; want randomized, 1 pass, s = 2l+1", res.Solver, res.Passes, res.Iter, res.ExtraPass, l, res.CoSketch)
	}
	// The whole rank-l approximation: K = l, no oversampling, the same Ω and Ψ.
	full := s
	full.K, full.Oversample = l, -1
	fres, fscores := run(t, 3, data, n, d, block, full)
	if fres[0].CoRangeSolve != res.CoRangeSolve {
		t.Fatalf("K = l took Tropp's solve %v, K = %d %v", fres[0].CoRangeSolve, s.K, res.CoRangeSolve)
	}
	if fres[0].Sketch != l || !denseBits(fres[0].Components.Slice(0, s.K, 0, d).(*mat.Dense), res.Components) {
		t.Fatalf("K = %d is not the truncation of K = l = %d", s.K, l)
	}
	e := residual(a, fscores, fres[0].Components)
	e2 := norm2(t, e)
	ef := mat.Norm(e, 2)
	if tail := math.Sqrt(sumSq(ref.s[l:])); ef < tail*(1-1e-12) {
		t.Fatalf("‖A − Â‖_F = %.6g below the optimum τ_{l+1} = %.6g: the residual is wrong", ef, tail)
	}
	// Rounding of the float64 computation adds ~1e-13·σ₁ to the bounds.
	slack := 1e-12 * ref.s[0]
	for i, sv := range res.SingularValues {
		if math.Abs(sv-ref.s[i]) > e2+slack {
			t.Errorf("σ_%d = %.10g, exact %.10g: beyond Weyl's bound ‖E‖₂ = %.3g", i, sv, ref.s[i], e2)
		}
	}
	angle := maxAngle(t, res.Components, ref)
	if gap := res.SingularValues[s.K-1] - ref.s[s.K]; gap > 0 {
		if bound := (e2 + slack) / gap; math.Sin(angle) > bound {
			t.Errorf("largest principal angle %.3g rad: sin beyond Wedin's bound %.3g", angle, bound)
		}
	}
	var proj mat.Dense
	proj.Mul(a, res.Components.T())
	proj.Sub(scores, &proj)
	if dn := norm2(t, &proj); dn > e2+slack {
		t.Errorf("‖scores − A·Cᵀ‖₂ = %.3g > ‖E‖₂ = %.3g", dn, e2)
	}
	checkSigns(t, res.Components)
	ev := make([]float64, s.K)
	for i := range ev {
		ev[i] = ref.s[i] * ref.s[i] / float64(n-1)
	}
	evErr := relErr(res.ExplainedVariance, ev)
	if exact {
		// Exact up to rounding: the bounds above are themselves ~1e-9 here.
		if evErr > 1e-9 || angle > 1e-8 {
			t.Errorf("exact case: EV relative error %.3g, angle %.3g rad", evErr, angle)
		}
		checkScores(t, res, scores, ref, 1e-9)
	}
	t.Logf("l=%d s=%d cond(Y)=%.3g, Tropp's solve %v: ‖E‖₂/σ₁ = %.2g, ‖E‖_F/σ₁ = %.2g, τ_{l+1}/σ₁ = %.2g; EV rel %.2g, angle %.2g rad",
		l, res.CoSketch, res.SketchCond, res.CoRangeSolve, e2/ref.s[0], ef/ref.s[0], math.Sqrt(sumSq(ref.s[l:]))/ref.s[0], evErr, angle)
}

func sumSq(s []float64) float64 {
	var t float64
	for _, v := range s {
		t += v * v
	}
	return t
}

// TestSinglePassExpectedError checks the a-priori error of the single-pass sketch against
// Tropp, Yurtsever, Udell & Cevher (2017), averaged over seeds on data whose singular
// values are known (a dense SVD of the same frames):
//
//   - Theorem 4.3 (real field): E‖A − Â‖²_F ≤ (s−1)/(s−l−1) · min_{ϱ<l−1} (l−1)/(l−ϱ−1) ·
//     τ²_{ϱ+1}(A), with τ²_j = Σ_{i≥j} σ_i²;
//   - Theorem 5.1: E‖A − ⟦Â⟧_K‖_F ≤ τ_{K+1}(A) + 2·√(the bound above), for the rank-K
//     truncation the fit returns;
//   - the least-squares step alone (the proof of Theorem 4.3): given Q, the excess
//     ‖A − Â‖²_F − ‖(I − QQᵀ)A‖²_F = ‖QᵀA − X̂‖²_F has expectation l/(s−l−1) ·
//     ‖(I − QQᵀ)A‖²_F, that is exactly 1 times it for s = 2l + 1. The mean of the ratio over
//     the seeds must lie within 5 standard errors of 1.
//
// These are the bounds of Tropp's path, which SetFusedCond(0) forces. The fused path
// computes QᵀA exactly (no least-squares excess), so its error is the projection error
// ‖(I − QQᵀ)A‖²_F, whose expectation is bounded by the second factor of Theorem 4.3's
// bound alone (Halko, Martinsson & Tropp 2011, Theorem 10.5); that is checked too.
func TestSinglePassExpectedError(t *testing.T) {
	for _, center := range []bool{true, false} {
		t.Run(fmt.Sprint("center=", center), func(t *testing.T) {
			defer pca.SetFusedCond(0)()
			testExpectedError(t, center, true)
		})
		t.Run(fmt.Sprint("fused/center=", center), func(t *testing.T) { testExpectedError(t, center, false) })
	}
}

func testExpectedError(t *testing.T, center, tropp bool) {
	const n, d, k, l, seeds = 400, 60, 4, 10, 24
	data := lowRank(n, d, 8, 0.7, 0.5, 3)
	ref := newReference(t, data, n, d, center)
	a := dataMatrix(data, n, d, center)
	tau2 := func(j int) float64 { return sumSq(ref.s[j:]) } // τ²_{j+1} with 0-based j
	best := math.Inf(1)
	for rho := 0; rho < l-1; rho++ {
		best = math.Min(best, float64(l-1)/float64(l-rho-1)*tau2(rho))
	}
	s := 2*l + 1
	bound := float64(s-1) / float64(s-l-1) * best
	if !tropp {
		bound = best
	}
	boundK := math.Sqrt(tau2(k)) + 2*math.Sqrt(bound)
	var errL, errK float64
	ratios := make([]float64, seeds)
	for seed := range seeds {
		set := pca.Settings{K: l, Oversample: -1, Solver: pca.Randomized, Passes: 1, Seed: uint64(seed), NoCenter: !center}
		res, scores := run(t, 2, data, n, d, 0, set)
		if res[0].CoSketch != s || res[0].CoRangeSolve != tropp {
			t.Fatalf("s = %d, want %d; Tropp's solve %v, want %v", res[0].CoSketch, s, res[0].CoRangeSolve, tropp)
		}
		e := mat.Norm(residual(a, scores, res[0].Components), 2)
		errL += e * e / seeds
		sk := scores.Slice(0, n, 0, k).(*mat.Dense)
		errK += mat.Norm(residual(a, sk, res[0].Components.Slice(0, k, 0, d).(*mat.Dense)), 2) / seeds
		// ‖(I − QQᵀ)A‖_F with Q an orthonormal basis of the scores (= range of Y).
		var q, qta, pa mat.Dense
		linalg.ThinQR(&q, nil, scores)
		qta.Mul(q.T(), a)
		pa.Mul(&q, &qta)
		pa.Sub(a, &pa)
		p := mat.Norm(&pa, 2)
		ratios[seed] = (e*e - p*p) / (p * p)
	}
	if errL > bound {
		t.Errorf("mean ‖A − Â‖²_F = %.5g over %d seeds > Theorem 4.3's %.5g", errL, seeds, bound)
	}
	if errK > boundK {
		t.Errorf("mean ‖A − ⟦Â⟧_K‖_F = %.5g > Theorem 5.1's %.5g", errK, boundK)
	}
	var mean, sd float64
	for _, r := range ratios {
		mean += r / seeds
	}
	for _, r := range ratios {
		sd += (r - mean) * (r - mean) / (seeds - 1)
	}
	se := math.Sqrt(sd / seeds)
	want := float64(l) / float64(s-l-1)
	if !tropp {
		// B = QᵀA up to rounding: the excess is rounding, relative ~1e-15.
		want, se = 0, 1e-10/5
	}
	if math.Abs(mean-want) > 5*se {
		t.Errorf("least-squares excess / projection error: mean %.3f ± %.3f over %d seeds, want %.3f", mean, se, seeds, want)
	}
	t.Logf("E‖A − Â‖²_F ≈ %.5g (%.2f of the bound, %.2f of the optimum τ²_{l+1}); E‖A − ⟦Â⟧_K‖_F ≈ %.5g (%.2f of Theorem 5.1's bound, %.3f of τ_{K+1}); excess ratio %.3g ± %.3g (expected %g)",
		errL, errL/bound, errL/tau2(l), errK, errK/boundK, errK/math.Sqrt(tau2(k)), mean, se, want)
}

// countingSource counts the reads of every frame.
type countingSource struct {
	memSource
	reads []atomic.Int32
}

func (c *countingSource) ReadFloat32(dst []float32, beg, end int) error {
	for f := beg; f < end; f++ {
		c.reads[f].Add(1)
	}
	return c.memSource.ReadFloat32(dst, beg, end)
}

func TestSinglePassReadsOnce(t *testing.T) {
	const n, d = 300, 24
	data := lowRank(n, d, 5, 0.7, 0.5, 4)
	for _, tc := range []struct {
		data  []float32
		s     pca.Settings
		reads int32
		tropp bool // the path of the single pass
	}{
		{data: data, s: pca.Settings{K: 3, Solver: pca.Randomized, Passes: 1}, reads: 1},
		// Exactly rank-deficient data: Tropp's solve, still one read.
		{data: patterns(n, d), s: pca.Settings{K: 3, Solver: pca.Randomized, Passes: 1}, reads: 1, tropp: true},
		// The multi-pass solver reads every frame q + 1 = 5 times: the counter counts.
		{data: data, s: pca.Settings{K: 3, Solver: pca.Randomized, PowerIters: 4}, reads: 5},
		// And q + 2 = 2 times when B takes its own pass.
		{data: patterns(n, d), s: pca.Settings{K: 3, Solver: pca.Randomized, PowerIters: -1}, reads: 2},
	} {
		for _, p := range rankCounts {
			src := &countingSource{memSource: memSource{tc.data, d}, reads: make([]atomic.Int32, n)}
			res, errs := runSource(p, src, n, d, 7, tc.s)
			if errs[0] != nil {
				t.Fatal(errs[0])
			}
			if res[0].Passes != int(tc.reads) || res[0].CoRangeSolve != tc.tropp {
				t.Errorf("P=%d: %d passes, Tropp's solve %v; want %d, %v", p, res[0].Passes, res[0].CoRangeSolve, tc.reads, tc.tropp)
			}
			for f := range src.reads {
				if got := src.reads[f].Load(); got != tc.reads {
					t.Fatalf("P=%d, passes %d: frame %d read %d times, want %d", p, tc.s.Passes, f, got, tc.reads)
				}
			}
		}
	}
}

func TestSinglePassErrors(t *testing.T) {
	const n, d, p = 200, 16, 3
	data := lowRank(n, d, 4, 0.7, 0.5, 1)
	tests := []struct {
		s        pca.Settings
		contains string
	}{
		{pca.Settings{K: 2, Passes: 2}, "2, want 1"},
		{pca.Settings{K: 2, Passes: -1}, "-1, want 1"},
		{pca.Settings{K: 2, Passes: 1, Solver: pca.Gram}, "not gram"},
		{pca.Settings{K: 2, Passes: 1, Solver: pca.TSQR}, "not tsqr"},
		{pca.Settings{K: 2, Passes: 1, PowerIters: 3}, "3 power iterations"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v", tc.s), func(t *testing.T) {
			src := &countingSource{memSource: memSource{data, d}, reads: make([]atomic.Int32, n)}
			_, errs := runSource(p, src, n, d, 4, tc.s)
			for r, err := range errs {
				if !errors.Is(err, pca.ErrPasses) || spmd.Code(err) != spmd.ExitUsage ||
					!strings.Contains(err.Error(), tc.contains) || err.Error() != errs[0].Error() {
					t.Errorf("rank %d: %v (code %d), want ErrPasses with %q", r, err, spmd.Code(err), tc.contains)
				}
			}
			for f := range src.reads {
				if src.reads[f].Load() != 0 {
					t.Fatalf("frame %d read before the settings were rejected", f)
				}
			}
		})
	}
}
