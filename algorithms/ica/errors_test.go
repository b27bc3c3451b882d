package ica_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/ica"
	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

// plainScores returns n×k scores of independent sources scaled by 3, 2, 1, ... and
// their variances (denominator n − 1).
func plainScores(n, k int) (*mat.Dense, []float64) {
	ds := []dist{laplace, uniform, exponential, sine}
	s := sources(n, ds[:k], 5)
	v := make([]float64, k)
	for j := range k {
		f := float64(k - j)
		for i := range n {
			s.Set(i, j, f*s.At(i, j))
		}
		v[j] = f * f * float64(n) / float64(n-1)
	}
	return s, v
}

// runScores runs FitScores on p ranks, each with its rows of scores and the contexts of
// ctxs (nil: context.Background()).
func runScores(p, n int, scores *mat.Dense, variance []float64, s ica.Settings, ctxs map[int]context.Context) ([]*ica.Result, []error) {
	res := make([]*ica.Result, p)
	_, k := scores.Dims()
	errs := inproc.Run(p, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, 0, c.Size(), c.Rank())
		local := &mat.Dense{}
		if plan.NLocal() > 0 {
			local = scores.Slice(plan.Beg, plan.End, 0, k).(*mat.Dense)
		}
		ctx := ctxs[c.Rank()]
		if ctx == nil {
			ctx = context.Background()
		}
		r, err := ica.FitScores(ctx, c, nil, plan, local, variance, nil, s)
		res[c.Rank()] = r
		return err
	})
	return res, errs
}

func TestErrors(t *testing.T) {
	const n, k, p = 400, 4, 3 // frames [0, 136), [136, 268), [268, 400) with B = 4
	good, v := plainScores(n, k)
	withNaN := mat.DenseCopyOf(good)
	withNaN.Set(300, 1, math.NaN())
	withNaN.Set(150, 3, math.Inf(1))
	withNaN.Set(290, 0, math.NaN())
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		scores   *mat.Dense
		variance []float64
		s        ica.Settings
		ctxs     map[int]context.Context
		is       error // errors.Is target, or nil
		frame    int   // *NonFiniteError frame, or −2 for none
		code     int   // spmd.Code
		contains string
	}{
		{name: "K=1", scores: good, variance: v, s: ica.Settings{K: 1}, is: ica.ErrComponents, frame: -2, code: spmd.ExitUsage, contains: "K = 1"},
		{name: "default K=1", scores: good.Slice(0, n, 0, 1).(*mat.Dense), variance: v[:1], is: ica.ErrComponents, frame: -2, code: spmd.ExitUsage, contains: "2 <= K <= 1"},
		{name: "K>PCA", scores: good, variance: v, s: ica.Settings{K: 5}, is: ica.ErrComponents, frame: -2, code: spmd.ExitUsage, contains: "K = 5"},
		{name: "tol<0", scores: good, variance: v, s: ica.Settings{Tol: -1}, is: ica.ErrSettings, frame: -2, code: spmd.ExitUsage, contains: "tol"},
		{name: "max_iter<0", scores: good, variance: v, s: ica.Settings{MaxIter: -1}, is: ica.ErrSettings, frame: -2, code: spmd.ExitUsage, contains: "max_iter"},
		{name: "alpha<0", scores: good, variance: v, s: ica.Settings{Alpha: -1}, is: ica.ErrSettings, frame: -2, code: spmd.ExitUsage, contains: "alpha"},
		{name: "alpha NaN", scores: good, variance: v, s: ica.Settings{Alpha: math.NaN()}, is: ica.ErrSettings, frame: -2, code: spmd.ExitUsage, contains: "alpha"},
		{name: "algorithm", scores: good, variance: v, s: ica.Settings{Algorithm: 7}, is: ica.ErrSettings, frame: -2, code: spmd.ExitUsage, contains: "Algorithm(7)"},
		{name: "fun", scores: good, variance: v, s: ica.Settings{Fun: 7}, is: ica.ErrSettings, frame: -2, code: spmd.ExitUsage, contains: "Fun(7)"},
		{name: "zero variance", scores: good, variance: []float64{9, 4, 0, 1}, is: ica.ErrRank, frame: -2, code: spmd.ExitInput, contains: "component 2"},
		{name: "tiny variance", scores: good, variance: []float64{9, 4, 1, 1e-12}, is: ica.ErrRank, frame: -2, code: spmd.ExitInput, contains: "rank < 4"},
		{name: "NaN variance", scores: good, variance: []float64{9, math.NaN(), 1, 1}, frame: -1, code: spmd.ExitInput, contains: "variance"},
		// Bad scores on ranks 1 and 2: every rank reports the first.
		{name: "NaN score", scores: withNaN, variance: v, frame: 150, code: spmd.ExitInput, contains: "frame 150"},
		// Cancelled on rank 1 only: every rank stops at the first iteration.
		{name: "cancelled", scores: good, variance: v, ctxs: map[int]context.Context{1: cancelled}, frame: -2, code: spmd.ExitCanceled, contains: "context canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, errs := runScores(p, n, tc.scores, tc.variance, tc.s, tc.ctxs)
			for r, err := range errs {
				if err == nil {
					t.Fatalf("rank %d: no error, result %+v", r, res[r])
				}
				if tc.is != nil && !errors.Is(err, tc.is) && r == 0 {
					t.Errorf("rank %d: %v, want %v", r, err, tc.is)
				}
				var nf *ica.NonFiniteError
				if tc.frame >= -1 && (!errors.As(err, &nf) || nf.Frame != tc.frame) {
					t.Errorf("rank %d: %v, want a NonFiniteError for frame %d", r, err, tc.frame)
				}
				if got := spmd.Code(err); got != tc.code {
					t.Errorf("rank %d: exit code %d, want %d (%v)", r, got, tc.code, err)
				}
				if !strings.Contains(err.Error(), tc.contains) {
					t.Errorf("rank %d: %q does not mention %q", r, err, tc.contains)
				}
				if r == 0 {
					t.Logf("%v", err)
				}
			}
		})
	}
}

// TestErrorsFromPCA checks the K checks against a PCA result on every rank count.
func TestErrorsFromPCA(t *testing.T) {
	mx := mixtures()[0]
	for _, p := range rankCounts {
		got := runFitsErr(p, memSource{mx.data, mx.d}, mx.n, mx.d, 0, pca.Settings{K: 3, Solver: pca.Gram},
			[]ica.Settings{{K: 1}, {K: 4}, {}})
		for i, want := range []error{ica.ErrComponents, ica.ErrComponents, nil} {
			for r, err := range got.icaErrors[i] {
				if !errors.Is(err, want) || (want == nil) != (err == nil) {
					t.Errorf("P=%d setting %d rank %d: %v, want %v", p, i, r, err, want)
				}
			}
		}
	}
}

// TestStatus checks the defaults, non-convergence as a status, the per-component counts
// of deflation, reuse of the inputs, and the traffic of an iteration.
func TestStatus(t *testing.T) {
	const n, k, p = 1200, 3, 3
	scores, v := plainScores(n, k)
	tests := []struct {
		s         ica.Settings
		status    ica.Status
		iter      int
		component []int
	}{
		// Parallel with tol = 1e-300 cannot converge: 7 iterations then the limit.
		{s: ica.Settings{Tol: 1e-300, MaxIter: 7}, status: ica.IterationLimit, iter: 7},
		// Deflation likewise, except for the last component: Gram–Schmidt against the
		// K − 1 found leaves ±one direction, so |⟨w⁺, w⟩| = 1 exactly after one or two
		// iterations (scikit-learn behaves the same).
		{s: ica.Settings{Algorithm: ica.Deflation, Tol: 1e-300, MaxIter: 5}, status: ica.IterationLimit, iter: 5, component: []int{5, 5, 0}},
		{s: ica.Settings{}, status: ica.Converged},
		{s: ica.Settings{Algorithm: ica.Deflation}, status: ica.Converged},
	}
	for _, tc := range tests {
		res, errs := runScores(p, n, scores, v, tc.s, nil)
		for r, err := range errs {
			if err != nil {
				t.Fatalf("%s rank %d: %v", name(tc.s), r, err)
			}
		}
		got := res[0]
		t.Logf("%s: %v after %d iterations %v, lim %.3g", name(tc.s), got.Status, got.NIter, got.ComponentIter, got.Lim)
		if got.Status != tc.status || (tc.iter != 0 && got.NIter != tc.iter) {
			t.Errorf("%s: %v after %d iterations, want %v after %d", name(tc.s), got.Status, got.NIter, tc.status, tc.iter)
		}
		if tc.component != nil && (!equalInts(got.ComponentIter[:k-1], tc.component[:k-1]) || got.ComponentIter[k-1] > 2) {
			t.Errorf("%s: component iterations %v, want %v", name(tc.s), got.ComponentIter, tc.component)
		}
		if (tc.s.Algorithm == ica.Deflation) != (got.ComponentIter != nil) {
			t.Errorf("%s: component iterations %v", name(tc.s), got.ComponentIter)
		}
		if got.Algorithm == ica.Deflation && got.Status == ica.Converged {
			most := 0
			for _, it := range got.ComponentIter {
				most = max(most, it)
			}
			if most != got.NIter {
				t.Errorf("%s: NIter %d, components %v", name(tc.s), got.NIter, got.ComponentIter)
			}
		}
		if tc.s == (ica.Settings{}) {
			if got.K != k || got.Alpha != 1 || got.Tol != 1e-4 || got.MaxIter != 200 || got.Fun != ica.LogCosh || got.Algorithm != ica.Parallel {
				t.Errorf("defaults: %+v", got)
			}
		}
		if got.Status == ica.IterationLimit && !(got.Lim >= tc.s.Tol) {
			t.Errorf("%s: lim %g below tol %g at the iteration limit", name(tc.s), got.Lim, tc.s.Tol)
		}
		// A second run on the same inputs gives the same bits, and the inputs are
		// unchanged.
		again, _ := runScores(p, n, scores, v, tc.s, nil)
		if !sameResult(again[0], got) {
			t.Errorf("%s: a second run differs", name(tc.s))
		}
	}
	if s2, v2 := plainScores(n, k); !mat.Equal(s2, scores) || !equalFloats(v2, v) {
		t.Error("FitScores modified its inputs")
	}
}

// TestTraffic measures the messages and bytes of the iterations: one block-tree reduction
// of K²+K (parallel) or K+1 (deflation) float64 values per iteration, plus the agreement
// on cancellation. It checks the totals against the count derived in the package
// documentation.
func TestTraffic(t *testing.T) {
	const n, k = 4000, 4
	scores, v := plainScores(n, k)
	for _, p := range []int{1, 2, 4, 7} {
		for _, alg := range []ica.Algorithm{ica.Parallel, ica.Deflation} {
			s := ica.Settings{Algorithm: alg, Tol: 1e-300, MaxIter: 10}
			counters := make([]collective.Counters, p)
			var res *ica.Result
			inproc.Run(p, func(c collective.Comm) error {
				plan := spmd.NewPlan(n, 0, c.Size(), c.Rank())
				local := scores.Slice(plan.Beg, plan.End, 0, k)
				before := c.Counters()
				r, err := ica.FitScores(context.Background(), c, nil, plan, local, v, nil, s)
				counters[c.Rank()] = c.Counters().Sub(before)
				if c.Rank() == 0 {
					res = r
				}
				return err
			})
			var total collective.Counters
			for _, c := range counters {
				total = total.Add(c)
			}
			iters := 10
			m := k*k + k
			if alg == ica.Deflation {
				iters, m = 0, k+1
				for _, it := range res.ComponentIter {
					iters += it
				}
			}
			t.Logf("P=%d %v: %d iterations, rank 0 sent %d bytes in %d messages, all ranks %d bytes in %d messages (%d collective calls)",
				p, alg, iters, counters[0].BytesSent, counters[0].Messages, total.BytesSent, total.Messages, total.Collective)
			if p == 1 {
				continue
			}
			// Per iteration: Agree, an 8-byte allreduce on every rank; t block-tree
			// messages, each an 8-byte length and an 8m-byte payload (SendBytes), t ≥ P − 1
			// (a rank whose range starts inside a tree node sends one per such node);
			// ReduceAll's broadcast of the root, a length and a payload counted on rank 0.
			// Once: the 8-byte allreduce of the non-finite check on every rank.
			sends := total.Messages - total.Collective // point-to-point: 2 per tree message
			tree := sends / 2 / int64(iters)
			want := int64(p)*8 + int64(iters)*(int64(p)*8+(tree+1)*(8+8*int64(m)))
			t.Logf("  %d tree messages per iteration; %d bytes per iteration in all", tree, (total.BytesSent-int64(p)*8)/int64(iters))
			if sends != 2*tree*int64(iters) || tree < int64(p-1) || total.BytesSent != want {
				t.Errorf("P=%d %v: %d bytes, %d sends in all, want %d bytes, %d tree messages ≥ P − 1 per iteration", p, alg, total.BytesSent, sends, want, tree)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
