package ica

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Algorithm selects the form of the FastICA iteration.
type Algorithm int

// The algorithms. The zero value is Parallel.
const (
	// Parallel (symmetric) FastICA estimates all K components at once; every iteration
	// reduces one K×K matrix and one K-vector and ends with a symmetric decorrelation.
	Parallel Algorithm = iota
	// Deflation estimates one component at a time, orthogonalised (Gram–Schmidt)
	// against the components already found; every iteration reduces a K-vector and a
	// scalar.
	Deflation
)

func (a Algorithm) String() string {
	switch a {
	case Parallel:
		return "parallel"
	case Deflation:
		return "deflation"
	}
	return fmt.Sprintf("Algorithm(%d)", int(a))
}

// ParseAlgorithm returns the algorithm named s: parallel or deflation (scikit-learn's
// names).
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range []Algorithm{Parallel, Deflation} {
		if a.String() == s {
			return a, nil
		}
	}
	return Parallel, spmd.Usagef("ica: unknown algorithm %q: want parallel or deflation", s)
}

// Fun selects the contrast function G of the negentropy approximation; the iteration uses
// its derivative g and second derivative g′, defined as in scikit-learn.
type Fun int

// The contrast functions. The zero value is LogCosh.
const (
	// LogCosh is G(u) = log cosh(αu)/α: g(u) = tanh(αu), g′(u) = α(1 − tanh²(αu)).
	// A good general-purpose contrast.
	LogCosh Fun = iota
	// Exp is G(u) = −exp(−u²/2): g(u) = u·exp(−u²/2), g′(u) = (1 − u²)·exp(−u²/2).
	// Robust for super-Gaussian sources.
	Exp
	// Cube is G(u) = u⁴/4: g(u) = u³, g′(u) = 3u² (kurtosis).
	Cube
)

func (f Fun) String() string {
	switch f {
	case LogCosh:
		return "logcosh"
	case Exp:
		return "exp"
	case Cube:
		return "cube"
	}
	return fmt.Sprintf("Fun(%d)", int(f))
}

// ParseFun returns the contrast function named s: logcosh, exp or cube (scikit-learn's
// names).
func ParseFun(s string) (Fun, error) {
	for _, f := range []Fun{LogCosh, Exp, Cube} {
		if f.String() == s {
			return f, nil
		}
	}
	return LogCosh, spmd.Usagef("ica: unknown contrast function %q: want logcosh, exp or cube", s)
}

// Status tells how the iteration ended.
type Status int

// The statuses.
const (
	// Converged: the convergence measure fell below Tol (for Deflation: for every
	// component).
	Converged Status = iota
	// IterationLimit: MaxIter iterations ran without convergence (for Deflation: for at
	// least one component). The result is the last iterate; it is not an error.
	IterationLimit
)

func (s Status) String() string {
	switch s {
	case Converged:
		return "converged"
	case IterationLimit:
		return "iteration limit reached without convergence"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Defaults of Settings, scikit-learn's.
const (
	DefaultTol     = 1e-4
	DefaultMaxIter = 200
	DefaultAlpha   = 1.0
)

// MinVarianceRatio is the smallest ratio ExplainedVariance[j]/ExplainedVariance[0] of a
// component that may be whitened. Whitening divides a score by its standard deviation; a
// component whose variance is below 1e-12 of the first (a standard deviation below 1e-6
// of it) is below the resolution of float32 data and of the PCA solvers (the Gram solver
// computes variances to an absolute error of about ε·ExplainedVariance[0]), so it is
// numerically zero: the data have rank below K and Fit returns ErrRank.
const MinVarianceRatio = 1e-12

// Settings are the options of Fit and FitScores. The zero value of every field is a
// documented default.
type Settings struct {
	// K is the number of independent components, 2 ≤ K ≤ the number of PCA components
	// given; the K leading components are whitened. Zero means all of them.
	K int
	// Algorithm is the form of the iteration. Zero means Parallel.
	Algorithm Algorithm
	// Fun is the contrast function. Zero means LogCosh.
	Fun Fun
	// Alpha is α of LogCosh (ignored by the others); it must be positive and finite, and
	// scikit-learn recommends [1, 2]. Zero means 1.
	Alpha float64
	// Tol is the convergence threshold: the iteration stops when
	// max_i | |⟨w_i⁺, w_i⟩| − 1 | < Tol, w_i the rows of the unmixing matrix before and
	// w_i⁺ after the iteration (Deflation: for the component being estimated). Zero means
	// 1e-4; it must not be negative.
	Tol float64
	// MaxIter is the maximum number of iterations (Deflation: per component). Zero means
	// 200; it must not be negative.
	MaxIter int
	// Seed keys the initial unmixing matrix W₀: its row i is the first K normal values of
	// the rng stream (Seed, rng.Init, i), the same on every rank. Zero is a seed like any
	// other.
	Seed uint64
	// Init, if not nil, is the K×K initial unmixing matrix W₀ (scikit-learn's w_init), and
	// Seed is not used. Fit panics if it is not K×K.
	Init mat.Matrix
}

// Result is the outcome of Fit. Every field has the same bits on every rank and for any
// number of ranks, except Sources, which holds this rank's rows of the N×K source matrix
// (whose rows also have the same bits whatever the number of ranks).
//
// With z the whitened scores of a frame (see Whitening) and s its sources:
//
//	s = Unmixing·z,   z = Mixing·s,   x − mean ≈ Factorsᵀ·s
//
// the last being the rank-K PCA reconstruction, exactly Scores·Components = Sources·Factors.
type Result struct {
	N, K      int       // frames and independent components
	Algorithm Algorithm // the algorithm used
	Fun       Fun       // the contrast function used
	Alpha     float64   // α used (LogCosh)
	Tol       float64   // tolerance used
	MaxIter   int       // iteration limit used

	// Unmixing is K×K: the FastICA matrix W on the whitened data, rows orthonormal,
	// permuted and signed by the output convention (see the package documentation).
	Unmixing *mat.Dense
	// Mixing is K×K: the inverse of Unmixing (for orthonormal rows, its transpose).
	Mixing *mat.Dense
	// Whitening maps a frame to its whitened scores: K×D, diag(1/σ)·Components[:K], to be
	// applied to x − mean, when Fit had PCA components; K×K, diag(1/σ), to be applied to
	// the PCA scores, otherwise. σ_j = √(λ_j·(N−1)/N), λ_j the PCA's explained variance
	// (see WhitenScale). scikit-learn's whitening_ is this matrix divided by √N.
	Whitening *mat.Dense
	// Sources is nLocal×K: the independent components (source maps) of this rank's frames
	// [plan.Beg, plan.End), each with mean zero and mean square one (scikit-learn's
	// whiten='unit-variance'). It is empty on a rank without frames.
	Sources *mat.Dense
	// Factors is K×D: the independent components in detector space, Mixingᵀ·diag(σ)·
	// Components[:K], so that Sources·Factors is the rank-K PCA reconstruction of the
	// centred data; scikit-learn's mixing_ transposed. Without PCA components (FitScores
	// with nil components) it is K×K, in the coordinates of the PCA scores.
	Factors *mat.Dense
	// ExplainedVariance is the variance (denominator N − 1) of the data that each source
	// accounts for, Σ_j Mixing_ji²·PCA ExplainedVariance_j: decreasing, and summing to the
	// PCA's explained variance of the K components.
	ExplainedVariance []float64

	// Status tells whether the iteration converged; non-convergence is not an error.
	Status Status
	// NIter is the number of iterations (Deflation: the largest over the components, as
	// scikit-learn's n_iter_).
	NIter int
	// ComponentIter holds the iterations of every component, in the order they were
	// estimated (Deflation only; nil for Parallel).
	ComponentIter []int
	// Lim is the last convergence measure (Deflation: the largest over the components).
	Lim float64
	// Init is the K×K initial unmixing matrix W₀, before any decorrelation.
	Init *mat.Dense
}

// Errors returned by Fit and FitScores. They carry stemreduce exit codes (spmd.Code):
// ErrComponents and ErrSettings 2, ErrRank and *NonFiniteError 3, ErrDiverged 1.
var (
	ErrComponents = errors.New("ica: number of components out of range")
	ErrSettings   = errors.New("ica: invalid settings")
	ErrRank       = errors.New("ica: a PCA component to whiten has numerically zero variance")
	ErrDiverged   = errors.New("ica: the fixed-point iteration produced non-finite values")
)

// NonFiniteError reports a frame whose PCA scores hold a NaN or an infinity, or (Frame
// −1) a non-finite PCA variance. Every rank returns it with the globally first such frame.
type NonFiniteError struct {
	Frame int // global frame index, or −1 for the variances
}

func (e *NonFiniteError) Error() string {
	if e.Frame < 0 {
		return "ica: a PCA variance is NaN or infinite"
	}
	return fmt.Sprintf("ica: the PCA scores of frame %d hold a NaN or infinite value", e.Frame)
}

// Fit runs FastICA on the whitened scores of the s.K leading components of the
// distributed PCA p, computed by pca.Fit on the same plan. It is FitScores with
// p.Scores, p.ExplainedVariance and p.Components. env may be nil. The PCA must be centred
// (pca.Settings.NoCenter false): the whitening assumes scores of mean zero.
// Collective: every rank of c must call it with the same plan layout, the same replicated
// fields of p and the same settings.
func Fit(ctx context.Context, c collective.Comm, env *spmd.Env, plan spmd.Plan, p *pca.Result, s Settings) (*Result, error) {
	return FitScores(ctx, c, env, plan, p.Scores, p.ExplainedVariance, p.Components, s)
}

// FitScores runs FastICA on whitened PCA scores given as plain matrices, for example read
// back from a file. scores holds this rank's rows [plan.Beg, plan.End) of the N×M score
// matrix (it may be empty on a rank without frames), variance the M explained variances
// of the PCA (denominator N − 1, scikit-learn's explained_variance_), and components the
// M×D principal axes or nil; the K ≤ M leading columns, variances and rows are used. env
// may be nil; Env.Workers goroutines (zero: GOMAXPROCS) compute the block partials.
//
// It returns, on every rank and without hanging any: ErrComponents if K < 2 or K > M;
// ErrSettings for a negative Tol or MaxIter, a bad Alpha, or an unknown Algorithm or
// Fun; ErrRank if a variance to whiten is not positive or below MinVarianceRatio of the
// first; *NonFiniteError for a non-finite variance or score; the agreed error if ctx is
// cancelled (checked at every iteration); ErrDiverged or linalg.ErrNoConvergence if the
// iteration breaks down numerically. It panics if the shapes of scores, components or
// s.Init do not match. Non-convergence within MaxIter is reported in Result.Status.
// Collective: every rank of c must call it with the same plan layout, variance,
// components and settings. It adds its time to env.Times as phase "ica".
func FitScores(ctx context.Context, c collective.Comm, env *spmd.Env, plan spmd.Plan, scores mat.Matrix, variance []float64, components mat.Matrix, s Settings) (*Result, error) {
	m := len(variance)
	k, err := s.resolve(m)
	if err != nil {
		return nil, err
	}
	nLocal := plan.NLocal()
	if nLocal > 0 {
		if r, cols := scores.Dims(); r != nLocal || cols < k {
			panic(fmt.Sprintf("ica: scores are %d×%d, want %d×(≥%d) for frames [%d, %d)", r, cols, nLocal, k, plan.Beg, plan.End))
		}
	}
	if components != nil {
		if r, _ := components.Dims(); r < k {
			panic(fmt.Sprintf("ica: %d components for K = %d", r, k))
		}
	}
	if s.Init != nil {
		if r, cols := s.Init.Dims(); r != k || cols != k {
			panic(fmt.Sprintf("ica: initial unmixing matrix is %d×%d, want %d×%d", r, cols, k, k))
		}
	}
	scale, err := WhitenScale(variance[:k], plan.N)
	if err != nil {
		return nil, err
	}

	// Whitened scores, row-major; the first non-finite frame is agreed by a minimum.
	z := make([]float64, nLocal*k)
	bad := int64(plan.N)
	if nLocal > 0 {
		if f := whiten(z, scores, scale); f >= 0 {
			bad = int64(plan.Beg + f)
		}
	}
	flag := []int64{bad}
	if err := c.AllreduceInt64(flag, collective.Min); err != nil {
		return nil, err
	}
	if flag[0] < int64(plan.N) {
		return nil, spmd.WithCode(spmd.ExitInput, &NonFiniteError{Frame: int(flag[0])})
	}

	if env != nil && env.Times != nil {
		start := time.Now()
		defer func() { env.Times.Add("ica", time.Since(start)) }()
	}
	res := &Result{N: plan.N, K: k, Algorithm: s.Algorithm, Fun: s.Fun, Alpha: s.Alpha, Tol: s.Tol, MaxIter: s.MaxIter}
	res.Init = initial(s, k)
	it := &iteration{ctx: ctx, c: c, plan: plan, k: k, z: z, con: contrast{fun: s.Fun, alpha: s.Alpha}, workers: workers(env)}
	var w *mat.Dense
	switch s.Algorithm {
	case Parallel:
		w, err = it.parallel(res, res.Init, s.Tol, s.MaxIter)
	case Deflation:
		w, err = it.deflation(res, res.Init, s.Tol, s.MaxIter)
	}
	if err != nil {
		return nil, err
	}
	if err := res.finish(w, z, nLocal, scale, variance[:k], components); err != nil {
		return nil, err
	}
	return res, nil
}

// resolve fills in the defaults of s and checks it against m available components. It
// returns K. It makes no collective call: every rank decides alike on replicated input.
func (s *Settings) resolve(m int) (int, error) {
	k := s.K
	if k == 0 {
		k = m
	}
	if k < 2 || k > m {
		return 0, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: K = %d, want 2 <= K <= %d (the PCA components available)", ErrComponents, k, m))
	}
	s.K = k
	if s.Alpha == 0 {
		s.Alpha = DefaultAlpha
	}
	if s.Tol == 0 {
		s.Tol = DefaultTol
	}
	if s.MaxIter == 0 {
		s.MaxIter = DefaultMaxIter
	}
	switch {
	case s.Algorithm != Parallel && s.Algorithm != Deflation:
		return 0, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: unknown algorithm %v", ErrSettings, s.Algorithm))
	case s.Fun != LogCosh && s.Fun != Exp && s.Fun != Cube:
		return 0, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: unknown contrast function %v", ErrSettings, s.Fun))
	case !(s.Alpha > 0) || math.IsInf(s.Alpha, 1):
		return 0, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: alpha = %g, want a positive finite value", ErrSettings, s.Alpha))
	case !(s.Tol > 0) || math.IsInf(s.Tol, 1):
		return 0, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: tol = %g, want a non-negative finite value", ErrSettings, s.Tol))
	case s.MaxIter < 0:
		return 0, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("%w: max_iter = %d, want a non-negative value", ErrSettings, s.MaxIter))
	}
	return k, nil
}

// workers is the number of goroutines that compute block partials.
func workers(env *spmd.Env) int {
	if env == nil || env.Workers <= 0 {
		return 0 // spmd.Parallel: GOMAXPROCS
	}
	return env.Workers
}
