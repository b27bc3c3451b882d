package pca_test

import (
	"context"
	"errors"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

func TestAutoSolver(t *testing.T) {
	tests := []struct {
		n, d, k int
		want    pca.Solver
	}{
		{n: 100000, d: 1000, k: 20, want: pca.Gram},       // tall, few pixels (covariance_eigh)
		{n: 9999, d: 1000, k: 20, want: pca.Randomized},   // not tall enough
		{n: 400, d: 500, k: 20, want: pca.Gram},           // small (full)
		{n: 65536, d: 16384, k: 16, want: pca.Randomized}, // the common 4D-STEM case
		{n: 2000, d: 600, k: 480, want: pca.Gram},         // K ≥ 0.8·min(N, D)
		{n: 2000, d: 600, k: 479, want: pca.Randomized},
		{n: 100, d: 65536, k: 90, want: pca.TSQR}, // wide, K ≥ 0.8·N: R is N×D, not D×D
		{n: 100, d: 1000, k: 90, want: pca.Gram},  // wide but a small covariance
	}
	for _, tc := range tests {
		if got := pca.AutoSolver(tc.n, tc.d, tc.k); got != tc.want {
			t.Errorf("N=%d D=%d K=%d: %v, want %v", tc.n, tc.d, tc.k, got, tc.want)
		}
	}
}

func TestSketchSize(t *testing.T) {
	tests := []struct {
		s       pca.Settings
		n, d    int
		l, q    int
		comment string
	}{
		{pca.Settings{K: 16}, 65536, 16384, 26, 7, "defaults: p = 10, q = 7 since 16 < 0.1·16384"},
		{pca.Settings{K: 20}, 1000, 150, 30, 4, "q = 4 since 20 ≥ 0.1·150"},
		{pca.Settings{K: 3, Oversample: -1, PowerIters: -1}, 100, 100, 3, 0, "negative means none"},
		{pca.Settings{K: 3, Oversample: 50, PowerIters: 2}, 20, 100, 20, 2, "l ≤ min(N, D)"},
	}
	for _, tc := range tests {
		if l, q := pca.SketchSize(tc.s, tc.n, tc.d); l != tc.l || q != tc.q {
			t.Errorf("%s: l=%d q=%d, want l=%d q=%d", tc.comment, l, q, tc.l, tc.q)
		}
	}
}

func TestPsi(t *testing.T) {
	// Rows depend on (seed, frame) only: a range inside another gives the same rows, a
	// wider sketch keeps the first columns, and another seed changes everything.
	a, b, c := pca.Psi(3, 10, 20, 5), pca.Psi(3, 0, 40, 9), pca.Psi(4, 10, 20, 5)
	if !mat.Equal(a, b.Slice(10, 20, 0, 5)) {
		t.Error("Ψ depends on the range or its width")
	}
	if mat.Equal(a, c) {
		t.Error("Ψ does not depend on the seed")
	}
	if mat.Equal(a, pca.Omega(3, 20, 5).Slice(10, 20, 0, 5)) {
		t.Error("Ψ is Ω")
	}
}

func TestOmega(t *testing.T) {
	// Entries depend on (seed, row) only: a wider sketch keeps the first columns, a taller
	// one the first rows, and another seed changes everything.
	a, b, c := pca.Omega(3, 50, 4), pca.Omega(3, 60, 9), pca.Omega(4, 50, 4)
	if !mat.Equal(a, b.Slice(0, 50, 0, 4)) {
		t.Error("Ω depends on its shape")
	}
	if mat.Equal(a, c) {
		t.Error("Ω does not depend on the seed")
	}
	// Standard normal entries: mean 0 and variance 1 within 5 standard errors (n = 540).
	var sum, sq float64
	raw := b.RawMatrix().Data
	for _, v := range raw {
		sum += v
		sq += v * v
	}
	n := float64(len(raw))
	if m, v := sum/n, sq/n-(sum/n)*(sum/n); m*m > 25/n || (v-1)*(v-1) > 25*2/n {
		t.Errorf("Ω entries: mean %g, variance %g", m, v)
	}
}

func TestParseSolver(t *testing.T) {
	for _, s := range []pca.Solver{pca.Auto, pca.Randomized, pca.Gram, pca.TSQR} {
		if got, err := pca.ParseSolver(s.String()); err != nil || got != s {
			t.Errorf("ParseSolver(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := pca.ParseSolver("svd"); err == nil {
		t.Error("ParseSolver accepted svd")
	}
}

func TestCancel(t *testing.T) {
	// A cancelled context stops the first pass on every rank together, with exit code 130.
	const n, d = 100, 8
	data := lowRank(n, d, 3, 0.7, 0.5, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := inproc.Run(3, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, 4, c.Size(), c.Rank())
		_, err := pca.Fit(ctx, c, nil, plan, d, memSource{data, d}, pca.Settings{K: 2, Solver: pca.Randomized})
		return err
	})
	for r, err := range errs {
		if spmd.Code(err) != spmd.ExitCanceled {
			t.Errorf("rank %d: %v (code %d)", r, err, spmd.Code(err))
		}
	}
	if !errors.Is(errs[0], context.Canceled) {
		t.Errorf("rank 0: %v, want context.Canceled", errs[0])
	}
}

func TestWorkersDoNotChangeBits(t *testing.T) {
	// One goroutine or five per rank compute the blocks of a tile: the same bits, scores
	// included.
	const n, d = 300, 24
	data := lowRank(n, d, 5, 0.7, 0.5, 4)
	for _, s := range []pca.Settings{
		{K: 3, Solver: pca.Randomized},
		{K: 3, Solver: pca.Gram},
		{K: 3, Solver: pca.TSQR},
		{K: 3, Solver: pca.Randomized, Passes: 1},
	} {
		a, errA := runWorkers(2, 1, memSource{data, d}, n, d, 7, s)
		b, errB := runWorkers(2, 5, memSource{data, d}, n, d, 7, s)
		if errA[0] != nil || errB[0] != nil {
			t.Fatal(errA[0], errB[0])
		}
		for r := range a {
			if !sameBits(a[r], b[r]) || !denseBits(a[r].Scores, b[r].Scores) {
				t.Errorf("%v (passes %d): rank %d differs between 1 and 5 workers", s.Solver, s.Passes, r)
			}
		}
	}
}
