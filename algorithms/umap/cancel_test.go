package umap_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stemreduce/stemreduce/algorithms/umap"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

// countdownCtx is a context that reports itself cancelled from its (after+1)-th call of
// Err on: it stands for a SIGTERM that one rank sees at a chosen point of the run.
type countdownCtx struct {
	context.Context
	left atomic.Int64
}

func newCountdown(after int) *countdownCtx {
	c := &countdownCtx{Context: context.Background()}
	c.left.Store(int64(after))
	return c
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestEmbedCancelOneRank cancels the context of one rank only, at a chosen cancellation
// point: every rank must return, at the same point, an error that carries the context
// error (exit code 130) and names where the run stopped.
func TestEmbedCancelOneRank(t *testing.T) {
	const n, dim = 300, 6
	x, _ := clusters(n, dim, 3, 3, 51)
	tests := []struct {
		name  string
		init  umap.Init
		after func(p int) int // Err calls the cancelled rank answers before it is cancelled
		want  string
	}{
		// No Err call answered: the first point, after the first part of the first step
		// of the kNN ring.
		{"kNN first step", umap.Random, func(int) int { return 0 }, "kNN ring step 1 of"},
		// 8 points per ring step: cancelled in the middle of the last step.
		{"kNN last step", umap.Random, func(p int) int { return 8*p - 5 }, "kNN ring step %[1]d of %[1]d"},
		// Random initialisation: 8 calls per ring step, then one per epoch.
		{"SGD", umap.Random, func(p int) int { return 8*p + 7 }, "SGD epoch 7 of 100000"},
		// Spectral initialisation: 8 calls per ring step, then one every 5 Lanczos
		// iterations.
		{"Lanczos", umap.Spectral, func(p int) int { return 8*p + 1 }, "Lanczos iteration 10"},
	}
	for _, tc := range tests {
		for _, p := range []int{2, 3} {
			for _, victim := range []int{0, p - 1} {
				t.Run(fmt.Sprintf("%s/P=%d/rank %d", tc.name, p, victim), func(t *testing.T) {
					s := umap.Settings{NNeighbors: 8, NEpochs: 100000, Init: tc.init, Seed: 2}
					errs := inproc.Run(p, func(c collective.Comm) error {
						plan := spmd.NewPlan(n, 16, c.Size(), c.Rank())
						var ctx context.Context = context.Background()
						if c.Rank() == victim {
							ctx = newCountdown(tc.after(p))
						}
						_, err := umap.Embed(ctx, c, plan, x[plan.Beg*dim:plan.End*dim], dim, s)
						return err
					})
					for r, err := range errs {
						if err == nil {
							t.Fatalf("rank %d: no error", r)
						}
						if code := spmd.Code(err); code != spmd.ExitCanceled {
							t.Errorf("rank %d: exit code %d, want %d (%v)", r, code, spmd.ExitCanceled, err)
						}
						want := tc.want
						if strings.Contains(want, "%[1]d") {
							want = fmt.Sprintf(want, p)
						}
						if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, "context canceled") {
							t.Errorf("rank %d: %q, want the cancellation in %q", r, msg, want)
						}
						if r == victim && !errors.Is(err, context.Canceled) {
							t.Errorf("rank %d: %v does not wrap context.Canceled", r, err)
						}
					}
				})
			}
		}
	}
}

// TestEmbedCancelDuringEpochs cancels one context shared by all ranks while they run
// epochs that would take minutes: every rank must return the context error, soon.
func TestEmbedCancelDuringEpochs(t *testing.T) {
	const n, dim = 400, 6
	x, _ := clusters(n, dim, 3, 3, 52)
	for _, p := range []int{2, 3} {
		t.Run(fmt.Sprintf("P=%d", p), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// 10⁶ epochs of about 7000 edges: far longer than the test's timeout.
			s := umap.Settings{NNeighbors: 8, NEpochs: 1000000, Init: umap.Random, Seed: 3}
			timer := time.AfterFunc(200*time.Millisecond, cancel)
			defer timer.Stop()
			start := time.Now()
			errs := inproc.Run(p, func(c collective.Comm) error {
				plan := spmd.NewPlan(n, 16, c.Size(), c.Rank())
				_, err := umap.Embed(ctx, c, plan, x[plan.Beg*dim:plan.End*dim], dim, s)
				return err
			})
			elapsed := time.Since(start)
			for r, err := range errs {
				if err == nil || spmd.Code(err) != spmd.ExitCanceled || !strings.Contains(err.Error(), "SGD epoch") {
					t.Errorf("rank %d: %v, want a cancellation in an SGD epoch", r, err)
				}
			}
			t.Logf("stopped after %v: %v", elapsed, errs[0])
			if elapsed > 20*time.Second {
				t.Errorf("took %v to stop", elapsed)
			}
		})
	}
}
