package pca

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Solver selects the algorithm.
type Solver int

// The solvers. The zero value is Auto.
const (
	Auto       Solver = iota // Gram for tall data with few pixels, Randomized otherwise (see Settings.Solver)
	Randomized               // randomized range finder with power iterations (Halko, Martinsson & Tropp 2011)
	Gram                     // exact: eigendecomposition of the D×D covariance matrix
	TSQR                     // exact: SVD of the R factor of a TSQR of the centred data
)

func (s Solver) String() string {
	switch s {
	case Auto:
		return "auto"
	case Randomized:
		return "randomized"
	case Gram:
		return "gram"
	case TSQR:
		return "tsqr"
	}
	return fmt.Sprintf("Solver(%d)", int(s))
}

// ParseSolver returns the solver named s: auto, randomized, gram or tsqr.
func ParseSolver(s string) (Solver, error) {
	for _, v := range []Solver{Auto, Randomized, Gram, TSQR} {
		if v.String() == s {
			return v, nil
		}
	}
	return Auto, fmt.Errorf("pca: unknown solver %q: want auto, randomized, gram or tsqr", s)
}

// Settings are the options of Fit. The zero value of every field except K is a documented
// default.
type Settings struct {
	// K is the number of components, 1 ≤ K ≤ min(N, D). It has no default.
	K int
	// Oversample is the number of extra columns of the randomized sketch, p: the sketch has
	// l = min(K + p, N, D) columns. Zero means 10 (scikit-learn's n_oversamples); a
	// negative value means none.
	Oversample int
	// PowerIters is the number of power iterations q of the randomized solver. Zero means
	// scikit-learn's choice for n_iter='auto': 7 if K < 0.1·min(N, D), else 4; a negative
	// value means none (q = 0: one pass over the data in all).
	PowerIters int
	// Seed keys the Gaussian test matrix Ω: entry (j, c) is the c-th normal value of the
	// rng stream (Seed, rng.TestMatrix, j). Zero is a seed like any other.
	Seed uint64
	// NoCenter skips the centring: the decomposition is of X itself instead of X − 1·μᵀ
	// (a truncated SVD). False, the default, centres the data at the per-pixel mean like
	// PCA does.
	NoCenter bool
	// Solver is the algorithm. Zero (Auto) picks, after scikit-learn's policy (1.5):
	// Gram if D ≤ 1000 and N ≥ 10·D; else, if max(N, D) ≤ 500 or K ≥ 0.8·min(N, D), TSQR
	// when N < D and D > 1000 (its R is N×D where Gram's covariance is D×D), Gram
	// otherwise; else Randomized.
	Solver Solver
	// Passes is the number of passes over the data the fit may make. Zero means the
	// solver's own schedule (see the package documentation). 1 reads every frame exactly
	// once: the pass keeps both the fused product of PowerIters < 0 and the co-range
	// sketch of Tropp, Yurtsever, Udell & Cevher (2017), and B is formed like PowerIters < 0
	// forms it (the same bits) unless the sketch is numerically rank-deficient, when Tropp
	// et al.'s solve replaces the extra pass that PowerIters < 0 would take
	// (Result.CoRangeSolve; see the package documentation). It needs Solver Auto
	// (which then means Randomized) or Randomized, and PowerIters zero or negative; other
	// values, and other combinations, make Fit return ErrPasses.
	Passes int
	// SparseBytes is the memory the randomized solver may take to keep the sparse form of
	// its blocks (linalg.SparseBlock) from the first pass to the later ones, which then
	// skip listing the non-zero values of the frames again. Zero keeps none. Set it only
	// when the source hands out the same frames on every pass (a cache in RAM); the
	// results do not depend on it.
	SparseBytes int64
}

// MaxFusedCond is the largest condition number of the sketch Y = Xc·Ω_q for which the
// randomized solver forms B = Qᵀ·Xc from the fused product W = Xcᵀ·Y of its last pass, as
// B = R⁻ᵀ·Wᵀ, instead of reading the data once more. R⁻ᵀ amplifies the rounding errors of
// W by up to cond(Y), but only along the directions of Y's small singular values, which
// reach the leading singular triplets of B in second order: measured against the extra
// pass (TestFusedMatchesExtraPass), the two agree to 1e-14 up to cond(Y) = 2.5e6, the
// largest that float32 data reach unless they are exactly rank-deficient; an exactly
// rank-deficient sketch (noise-free data of rank < l, cond(Y) ≥ 1e15) makes R⁻ᵀ·Wᵀ
// meaningless. 1e8 lies between; above it B costs one more pass.
const MaxFusedCond = 1e8

// Result is the outcome of Fit. Every field has the same bits on every rank and for any
// number of ranks, except Scores, which holds this rank's rows of the N×K score matrix
// (whose rows also have the same bits whatever the number of ranks).
type Result struct {
	Solver Solver // the solver that ran: Auto resolved
	N, D   int    // frames and pixels
	K      int    // components

	// Components is K×D: the principal axes in pixel space, orthonormal rows, in
	// decreasing order of singular value, each with its largest-magnitude entry positive
	// (scikit-learn's svd_flip with u_based_decision=False).
	Components *mat.Dense
	// Scores is nLocal×K: the projections (x_f − Mean)·Componentsᵀ of this rank's frames
	// [plan.Beg, plan.End) (equal to U·S of the SVD). It is empty on a rank without frames.
	Scores *mat.Dense
	// SparseKept is, on this rank, the bytes of the sparse forms of its blocks kept from
	// the first pass for the later ones (Settings.SparseBytes), and SparseBlocks how many
	// of its blocks had them.
	SparseKept   int64
	SparseBlocks int

	SingularValues         []float64 // K singular values of the centred data, decreasing
	ExplainedVariance      []float64 // K: SingularValues²/(N − 1)
	ExplainedVarianceRatio []float64 // K: ExplainedVariance / TotalVariance
	// TotalVariance is Σ_j Var(x_j) with denominator N − 1, computed exactly from the
	// per-pixel moments of the first pass (with NoCenter: Σ_j Σ_f x_fj² / (N − 1)).
	TotalVariance float64
	// NoiseVariance is scikit-learn's noise_variance_: (TotalVariance − Σ ExplainedVariance)
	// / (min(N, D) − K), the mean of the remaining eigenvalues of the covariance; zero when
	// K = min(N, D). It is clamped at zero against rounding.
	NoiseVariance float64
	// Mean is the per-pixel mean subtracted from the frames (D values); all zero with
	// NoCenter.
	Mean []float64

	Passes int // passes over the data
	Iter   int // power iterations (Randomized); zero otherwise

	// Randomized only.
	Sketch     int     // columns of the sketch, l = min(K + p, N, D)
	SketchCond float64 // condition number of the sketch Y = Xc·Ω_q (its R factor)
	ExtraPass  bool    // B = Qᵀ·Xc took its own pass because SketchCond > MaxFusedCond
	// CoSketch is the number of rows s = 2l + 1 of the co-range sketch W = Ψ·Xc of the
	// single-pass solver (Settings.Passes = 1); zero otherwise.
	CoSketch int
	// CoRangeSolve reports that the single-pass solver formed B by Tropp et al.'s
	// least-squares solve B = (Ψ·Q)⁺·W, because SketchCond > MaxFusedCond. False, the normal
	// case, means B = R⁻ᵀ·(Xcᵀ·Y)ᵀ from the fused product, as with PowerIters < 0. Always
	// false for the other solvers.
	CoRangeSolve bool
}

// Errors returned by Fit. They carry stemreduce exit codes (spmd.Code): ErrComponents,
// ErrSolver and ErrPasses 2, ErrConstant and *NonFiniteError 3.
var (
	ErrComponents = errors.New("pca: number of components out of range")
	ErrConstant   = errors.New("pca: the data are constant (total variance 0)")
	ErrSolver     = errors.New("pca: unknown solver")
	ErrPasses     = errors.New("pca: unsupported number of passes")
)

// Fit computes the first s.K principal components of the N = plan.N frames of d pixels of
// src, of which this rank reads the frames of plan. It returns an error, on every rank,
// if K is out of [1, min(N, D)] (ErrComponents), if the solver or the passes are not
// supported (ErrSolver, ErrPasses; these three are checked before any communication), if
// a frame holds a NaN or an infinity (*NonFiniteError, naming the first such frame), if
// the data are constant (ErrConstant), if a read fails or ctx is cancelled (agreed with
// spmd.Agree), or if a dense factorization fails to converge (linalg.ErrNoConvergence).
// env may be nil.
// Collective: every rank of c must call it with the same plan layout, d and settings.
func Fit(ctx context.Context, c collective.Comm, env *spmd.Env, plan spmd.Plan, d int, src spmd.Source, s Settings) (*Result, error) {
	n := plan.N
	if s.K < 1 || s.K > min(n, d) {
		return nil, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: K = %d, want 1 <= K <= min(N, D) = min(%d, %d)", ErrComponents, s.K, n, d))
	}
	solver := s.Solver
	switch solver {
	case Auto:
		solver = autoSolver(n, d, s.K)
	case Randomized, Gram, TSQR:
	default:
		return nil, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: %v", ErrSolver, solver))
	}
	switch {
	case s.Passes == 0:
	case s.Passes != 1:
		return nil, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: %d, want 1 (the single-pass sketch) or 0 (the solver's schedule)", ErrPasses, s.Passes))
	case s.Solver != Auto && s.Solver != Randomized:
		return nil, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: 1 pass needs the randomized solver, not %v (it reads the data twice)", ErrPasses, s.Solver))
	case s.PowerIters > 0:
		return nil, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: 1 pass leaves no pass for %d power iterations", ErrPasses, s.PowerIters))
	default:
		solver = Randomized
	}
	f := &fitter{ctx: ctx, c: c, env: env, plan: plan, d: d, src: src}
	res := &Result{Solver: solver, N: n, D: d, K: s.K}
	var err error
	switch {
	case s.Passes == 1:
		err = f.singlePass(res, s)
	case solver == Randomized:
		err = f.randomized(res, s)
	case solver == Gram:
		err = f.gram(res, s)
	case solver == TSQR:
		err = f.tsqr(res, s)
	}
	res.Passes = f.passes
	res.SparseKept, res.SparseBlocks = f.sparseKept()
	if err != nil {
		return nil, err
	}
	return res, nil
}

// autoSolver is the policy of Auto, after scikit-learn 1.5's svd_solver='auto' with the
// exact solvers in place of covariance_eigh and full.
func autoSolver(n, d, k int) Solver {
	switch {
	case d <= 1000 && n >= 10*d:
		return Gram
	case max(n, d) <= 500 || float64(k) >= 0.8*float64(min(n, d)):
		if d > 1000 && n < d {
			// Wide data (few frames, many pixels, as in a small ROI): the R factor of TSQR
			// is at most N×D where the covariance is D×D (32 GiB for a 256×256 detector).
			return TSQR
		}
		return Gram
	}
	return Randomized
}

// moments fills the mean and the total variance from the moments of the first pass and
// returns the shift subtracted from the frames: the mean, or zero with NoCenter. It
// returns ErrConstant when the total variance is zero (or N < 2).
func (res *Result) moments(m *linalg.Moments, noCenter bool) ([]float64, error) {
	res.Mean = make([]float64, res.D)
	var ss float64
	for j, v := range m.M2 {
		if noCenter {
			v += float64(m.N) * m.Mean[j] * m.Mean[j] // Σ_f x_fj² = M2_j + N·μ_j²
		}
		ss += v
	}
	if m.N < 2 || ss == 0 {
		return nil, spmd.WithCode(spmd.ExitInput, ErrConstant)
	}
	res.TotalVariance = ss / float64(m.N-1)
	if !noCenter {
		copy(res.Mean, m.Mean)
	}
	return res.Mean, nil
}

// finish sets the variances from the first K singular values.
func (res *Result) finish(sv []float64) {
	k := res.K
	res.SingularValues = append([]float64(nil), sv[:k]...)
	res.ExplainedVariance = make([]float64, k)
	res.ExplainedVarianceRatio = make([]float64, k)
	var sum float64
	for i, s := range res.SingularValues {
		ev := s * s / float64(res.N-1)
		res.ExplainedVariance[i] = ev
		res.ExplainedVarianceRatio[i] = ev / res.TotalVariance
		sum += ev
	}
	if r := min(res.N, res.D) - k; r > 0 {
		res.NoiseVariance = math.Max(0, (res.TotalVariance-sum)/float64(r))
	}
}
