package pca_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/io/synth"
)

// synthFrames returns the frames of a synthetic 4D-STEM dataset.
func synthFrames(t *testing.T, spec string) (data []float32, n, d int) {
	t.Helper()
	p, err := synth.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	src := synth.New(p)
	defer src.Close()
	sh := src.Shape()
	n, d = sh.N(), sh.D()
	data = make([]float32, n*d)
	if err := src.ReadFloat32(data, 0, n); err != nil {
		t.Fatal(err)
	}
	return data, n, d
}

func TestRandomized(t *testing.T) {
	synthData, synthN, synthD := synthFrames(t, "scan=32x32,det=24x24,phases=4,seed=1")
	tests := []struct {
		name       string
		data       []float32
		n, d, b    int
		s          pca.Settings
		wantPasses int
		wantExtra  bool
		tolEV      float64 // relative error of the explained variances
		tolAngle   float64 // largest principal angle, rad
	}{
		// Low rank plus noise, default q = 7 (K < 0.1·min(N, D)): q + 1 passes. The error of
		// the range finder decays like (σ_{l+1}/σ_K)^(2q+1) ≈ (0.3)^15 here (Halko et al.
		// 2011, Cor. 10.10), far below the 1e-4 and 1e-3 asked of the randomized solver.
		{name: "low-rank", n: 2000, d: 300, b: 0, s: pca.Settings{K: 5, Seed: 7},
			wantPasses: 8, tolEV: 1e-4, tolAngle: 1e-3},
		// Default q = 4 (K ≥ 0.1·min(N, D)).
		{name: "low-rank-q4", n: 400, d: 60, b: 9, s: pca.Settings{K: 6, Seed: 1},
			wantPasses: 5, tolEV: 1e-4, tolAngle: 1e-3},
		// The synthetic 4D-STEM source: four phases, Poisson noise; the first three
		// components carry the phase contrast.
		{name: "synth", data: synthData, n: synthN, d: synthD, b: 0, s: pca.Settings{K: 3, Seed: 3},
			wantPasses: 8, tolEV: 1e-4, tolAngle: 1e-3},
		// Noise-free rank 3 with l = 13 columns: only the float32 rounding of the data fills
		// the other directions, cond(Y) ≈ 4e6, still below MaxFusedCond. The spectrum
		// beyond K is rounding, so the range finder is exact to working precision.
		{name: "exact-low-rank", n: 500, d: 50, b: 6, s: pca.Settings{K: 3, PowerIters: 2},
			wantPasses: 3, tolEV: 1e-9, tolAngle: 1e-8},
		// q = 0: a single pass (the sketch rows are centred after it). With noise 1e-3
		// against components of 10, the range finder's error (σ_{l+1}/σ_K)·√… is ~1e-4 on
		// the angle and its square on the variances.
		{name: "single-pass", n: 800, d: 80, b: 0, s: pca.Settings{K: 4, PowerIters: -1, Seed: 2},
			wantPasses: 1, tolEV: 1e-4, tolAngle: 1e-3},
		// q = 0 without centring: the sketch rows are moved to the zero shift in the pass.
		{name: "single-pass-no-center", n: 800, d: 80, b: 0, s: pca.Settings{K: 4, PowerIters: -1, NoCenter: true, Seed: 2},
			wantPasses: 1, tolEV: 1e-4, tolAngle: 1e-3},
		// Without centring; q = 7 since K < 0.1·min(N, D).
		{name: "no-center", n: 600, d: 50, b: 5, s: pca.Settings{K: 4, NoCenter: true, Seed: 5},
			wantPasses: 8, tolEV: 1e-4, tolAngle: 1e-3},
		// Fewer blocks than ranks, and a sketch as wide as the data (l = min(N, D) = N):
		// the centred sketch has rank N − 1, so B takes a pass, and the result is exact.
		{name: "tiny", n: 10, d: 12, b: 4, s: pca.Settings{K: 3, Oversample: 20},
			wantPasses: 6, wantExtra: true, tolEV: 1e-9, tolAngle: 1e-8},
	}
	for _, tc := range tests {
		data, n, d := tc.data, tc.n, tc.d
		if data == nil {
			noise := 0.5
			switch tc.name {
			case "exact-low-rank":
				noise = 0
			case "single-pass", "single-pass-no-center":
				noise = 1e-3
			}
			rank := 10
			if tc.name == "exact-low-rank" {
				rank = 3
			}
			data = lowRank(n, d, rank, 0.7, noise, uint64(n+d))
		}
		ref := newReference(t, data, n, d, !tc.s.NoCenter)
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			s.Solver = pca.Randomized
			res, scores := checkAcrossRanks(t, data, n, d, tc.b, s)
			if res.Passes != tc.wantPasses || res.ExtraPass != tc.wantExtra {
				t.Errorf("%d passes (extra %v, cond %.3g), want %d (extra %v)", res.Passes, res.ExtraPass, res.SketchCond, tc.wantPasses, tc.wantExtra)
			}
			ev := make([]float64, s.K)
			for i := range ev {
				ev[i] = ref.s[i] * ref.s[i] / float64(n-1)
			}
			evErr := relErr(res.ExplainedVariance, ev)
			if evErr > tc.tolEV {
				t.Errorf("explained variance: relative error %.3g", evErr)
			}
			angle := maxAngle(t, res.Components, ref)
			if angle > tc.tolAngle {
				t.Errorf("largest principal angle %.3g rad", angle)
			}
			checkSigns(t, res.Components)
			// Scores are U·S of the sketch's SVD: as accurate as the subspace.
			checkScores(t, res, scores, ref, math.Max(tc.tolAngle, 1e-9))
			t.Logf("q=%d l=%d passes=%d cond(Y)=%.3g: EV rel %.2g, angle %.2g rad", res.Iter, res.Sketch, res.Passes, res.SketchCond, evErr, angle)
		})
	}
}

// TestFusedMatchesExtraPass compares B = R⁻ᵀ·Wᵀ (no pass) with B = Qᵀ·Xc (one more pass)
// on the same sketch, for sketches of growing condition number. This is the measurement
// behind MaxFusedCond.
func TestFusedMatchesExtraPass(t *testing.T) {
	n, d := 600, 60
	// Rank 8 with σ_j ∝ 0.5^j plus noise: cond(Y) = 9 … 2.5e6 (float32 rounding of values
	// near 100 puts a floor of ~1e-5 under the noise). The forms differ in second order,
	// (ε·cond(Y))² ≤ 1e-18, and in first order by rounding of ~1e-15: 1e-12 is generous.
	for _, noise := range []float64{1, 1e-2, 1e-4, 1e-6, 0} {
		t.Run(fmt.Sprint("noise=", noise), func(t *testing.T) {
			data := lowRank(n, d, 8, 0.5, noise, 11)
			s := pca.Settings{K: 4, Solver: pca.Randomized, PowerIters: 3}
			fused, _ := run(t, 2, data, n, d, 0, s)
			restore := pca.SetFusedCond(0)
			extra, _ := run(t, 2, data, n, d, 0, s)
			restore()
			if fused[0].ExtraPass || !extra[0].ExtraPass || extra[0].Passes != fused[0].Passes+1 {
				t.Fatalf("passes: fused %d (extra %v, cond %.3g), forced %d (extra %v)", fused[0].Passes, fused[0].ExtraPass, fused[0].SketchCond, extra[0].Passes, extra[0].ExtraPass)
			}
			evDiff, angle := compare(t, fused[0], extra[0])
			if evDiff > 1e-12 || angle > 1e-12 {
				t.Errorf("cond(Y) %.3g: EV differ by %.3g, components by %.3g rad", fused[0].SketchCond, evDiff, angle)
			}
			t.Logf("cond(Y) %.3g: EV differ by %.2g, components by %.2g rad", fused[0].SketchCond, evDiff, angle)
		})
	}
	// Exactly rank-deficient data, which float32 represents exactly: every frame is one of
	// four integer patterns, so the centred data have rank 3 < l = 13 and cond(Y) is
	// rounding over rounding. The extra pass is taken and exact; the fused form would not be.
	t.Run("singular", func(t *testing.T) {
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
		ref := newReference(t, data, n, d, true)
		s := pca.Settings{K: 3, Solver: pca.Randomized, PowerIters: 3}
		res, _ := run(t, 3, data, n, d, 0, s)
		ev := make([]float64, s.K)
		for i := range ev {
			ev[i] = ref.s[i] * ref.s[i] / float64(n-1)
		}
		evErr, angle := relErr(res[0].ExplainedVariance, ev), maxAngle(t, res[0].Components, ref)
		if !res[0].ExtraPass || evErr > 1e-12 || angle > 1e-12 {
			t.Errorf("cond(Y) %.3g, extra pass %v: EV error %.3g, angle %.3g", res[0].SketchCond, res[0].ExtraPass, evErr, angle)
		}
		restore := pca.SetFusedCond(math.Inf(1))
		forced, _ := run(t, 1, data, n, d, 0, s)
		restore()
		t.Logf("cond(Y) %.3g: extra pass EV error %.2g angle %.2g; forced fused EV error %.2g angle %.2g", res[0].SketchCond, evErr, angle,
			relErr(forced[0].ExplainedVariance, ev), maxAngle(t, forced[0].Components, ref))
	})
}

// compare returns the largest relative difference of the explained variances and the
// largest principal angle between the components of two results.
func compare(t *testing.T, a, b *pca.Result) (evDiff, angle float64) {
	t.Helper()
	angles, err := linalg.PrincipalAngles(a.Components.T(), b.Components.T())
	if err != nil {
		t.Fatal(err)
	}
	return relErr(a.ExplainedVariance, b.ExplainedVariance), angles[len(angles)-1]
}

// TestSparseKept checks that keeping the sparse forms of the frames between passes
// (Settings.SparseBytes: none, all, or room for a few blocks, whose others are listed
// again every pass) changes no bit, on synthetic counts of which about 20 % are non-zero
// (so every row chunk goes through the sparse kernels) and on dense data (none does).
func TestSparseKept(t *testing.T) {
	sparse, n, d := synthFrames(t, "scan=32x32,det=24x24,phases=4,seed=1,dose=300")
	dense := lowRank(n, d, 10, 0.7, 0.5, 4)
	for name, data := range map[string][]float32{"sparse": sparse, "dense": dense} {
		for _, p := range []int{1, 3} {
			s := pca.Settings{K: 4, Seed: 9, Solver: pca.Randomized}
			want, wantScores := run(t, p, data, n, d, 100, s)
			for _, budget := range []int64{1 << 30, 150_000} {
				s.SparseBytes = budget
				got, scores := run(t, p, data, n, d, 100, s)
				kept := 0
				for r := range got {
					if !sameBits(got[r], want[r]) || !denseBits(scores, wantScores) {
						t.Fatalf("%s, P=%d, SparseBytes %d: rank %d's result differs from the fit that keeps nothing", name, p, budget, r)
					}
					if got[r].SparseKept > budget {
						t.Errorf("rank %d kept %d bytes, more than %d", r, got[r].SparseKept, budget)
					}
					kept += got[r].SparseBlocks
				}
				// 11 blocks of 100 frames; the small budget holds two or three per rank.
				if wantKept := map[bool]int{true: 11, false: 0}[name == "sparse"]; budget > 1e6 && kept != wantKept || budget < 1e6 && name == "sparse" && (kept == 0 || kept >= 11) {
					t.Errorf("%s, P=%d, SparseBytes %d: %d blocks kept", name, p, budget, kept)
				}
			}
		}
	}
}
