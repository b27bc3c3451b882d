package spmd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

var rankCounts = []int{1, 2, 3, 4, 7}

func TestPlanCoversEveryFrameOnce(t *testing.T) {
	for _, n := range []int{1, 3, 4, 5, 17, 4096, 4097, 100000} {
		for _, p := range append(rankCounts, 64) {
			for _, b := range []int{0, 1, 3, 7} {
				next := 0
				for r := range p {
					plan := spmd.NewPlan(n, b, p, r)
					if plan.Beg != next {
						t.Fatalf("n=%d P=%d B=%d: rank %d starts at %d, want %d", n, p, b, r, plan.Beg, next)
					}
					if plan.NLocal() > 0 && plan.Beg%plan.B != 0 {
						t.Fatalf("rank %d does not start on a block boundary", r)
					}
					next = plan.End
					// Balanced: block counts differ by at most one.
					if nb := plan.B1 - plan.B0; nb < plan.NBlocks/p || nb > plan.NBlocks/p+1 {
						t.Fatalf("rank %d has %d of %d blocks", r, nb, plan.NBlocks)
					}
				}
				if next != n {
					t.Fatalf("n=%d P=%d: plans end at %d", n, p, next)
				}
			}
		}
	}
}

func TestBlockSizeDependsOnNAlone(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{1, 4}, {4096, 4}, {4097, 5}, {16384, 16}, {1 << 20, 1024}} {
		if got := spmd.BlockSize(tc.n); got != tc.want {
			t.Errorf("BlockSize(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestTilesAreWholeBlocks(t *testing.T) {
	plan := spmd.NewPlan(103, 5, 2, 1)
	var got []int
	for _, tl := range plan.Tiles(12) {
		got = append(got, tl[1]-tl[0])
	}
	// Rank 1 owns 10 of 21 blocks; 12 frames hold 2 blocks of 5.
	if fmt.Sprint(got) != "[2 2 2 2 2]" {
		t.Fatalf("tiles %v", got)
	}
	if n := len(plan.Tiles(1)); n != plan.B1-plan.B0 {
		t.Fatalf("a budget below one block gives %d tiles, want one block each", n)
	}
}

func TestAgree(t *testing.T) {
	for _, p := range rankCounts {
		errs := inproc.Run(p, func(c collective.Comm) error {
			var err error
			if c.Rank() == p-1 || c.Rank() == p/2 {
				err = spmd.Inputf("bad frame %d on rank %d", 7, c.Rank())
			}
			return spmd.Agree(c, err)
		})
		for r, err := range errs {
			var re *spmd.RankError
			if !errors.As(err, &re) {
				t.Fatalf("P=%d rank %d: got %v, want a RankError", p, r, err)
			}
			// The lowest failing rank wins, with its message and exit code.
			if re.Rank != p/2 || spmd.Code(err) != spmd.ExitInput || !strings.Contains(err.Error(), fmt.Sprintf("bad frame 7 on rank %d", p/2)) {
				t.Errorf("P=%d rank %d: %v (code %d)", p, r, err, spmd.Code(err))
			}
		}
		// Agreeing on an agreed error keeps its rank, code and message, once.
		twice := inproc.Run(p, func(c collective.Comm) error {
			var err error
			if c.Rank() == p-1 {
				err = spmd.Inputf("bad frame")
			}
			return spmd.Agree(c, spmd.Agree(c, err))
		})
		for r, err := range twice {
			var re *spmd.RankError
			if !errors.As(err, &re) || re.Rank != p-1 || spmd.Code(err) != spmd.ExitInput || strings.Count(err.Error(), "(rank") > 1 {
				t.Errorf("P=%d rank %d: agreed twice: %v (code %d)", p, r, err, spmd.Code(err))
			}
		}
		for r, err := range inproc.Run(p, func(c collective.Comm) error { return spmd.Agree(c, nil) }) {
			if err != nil {
				t.Errorf("P=%d rank %d: no failure gave %v", p, r, err)
			}
		}
	}
}

func TestCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("x"), 1},
		{spmd.Usagef("--k=0: want k >= 1"), 2},
		{fmt.Errorf("wrapped: %w", spmd.Inputf("NaN")), 3},
		{fmt.Errorf("stats: %w", context.Canceled), 130},
	}
	for _, tc := range tests {
		if got := spmd.Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// failingSource fails to read frame bad.
type failingSource struct{ bad int }

func (f failingSource) ReadFloat32(dst []float32, beg, end int) error {
	if beg <= f.bad && f.bad < end {
		return fmt.Errorf("could not read frame %d", f.bad)
	}
	for i := range dst {
		dst[i] = 1
	}
	return nil
}

type countMerger struct{}

func (countMerger) Merge(a, b int) int                 { return a + b }
func (countMerger) Encode(dst []byte, v int) []byte    { return fmt.Appendf(dst, "%d", v) }
func (countMerger) Decode(b []byte) (v int, err error) { _, err = fmt.Sscan(string(b), &v); return }

func TestReduceErrorOnOneRankReachesAll(t *testing.T) {
	const n = 50
	for _, p := range rankCounts {
		errs := inproc.Run(p, func(c collective.Comm) error {
			plan := spmd.NewPlan(n, 4, c.Size(), c.Rank())
			_, err := spmd.Reduce(context.Background(), c, &spmd.Env{TileBytes: 8 * 4}, "t", plan, 1, failingSource{bad: 45}, countMerger{},
				func(b spmd.Block) (int, error) { return b.Frames.Len(), nil })
			return err
		})
		owner := collective.Split{N: 13, Size: p}.Owner(45 / 4)
		for r, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "could not read frame 45") {
				t.Fatalf("P=%d rank %d: %v", p, r, err)
			}
			if p > 1 && !strings.Contains(err.Error(), fmt.Sprintf("rank %d of %d", owner, p)) {
				t.Errorf("P=%d rank %d: %v does not name rank %d", p, r, err, owner)
			}
		}
	}
}

func TestReduceCountsEveryFrame(t *testing.T) {
	for _, p := range rankCounts {
		errs := inproc.Run(p, func(c collective.Comm) error {
			plan := spmd.NewPlan(1001, 0, c.Size(), c.Rank())
			got, err := spmd.Reduce(context.Background(), c, nil, "t", plan, 2, failingSource{bad: -1}, countMerger{},
				func(b spmd.Block) (int, error) { return b.Frames.Len(), nil })
			if err == nil && got != 1001 {
				err = fmt.Errorf("counted %d frames", got)
			}
			return err
		})
		for r, err := range errs {
			if err != nil {
				t.Errorf("P=%d rank %d: %v", p, r, err)
			}
		}
	}
}

func TestReduceCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := inproc.Run(3, func(c collective.Comm) error {
		plan := spmd.NewPlan(100, 4, c.Size(), c.Rank())
		_, err := spmd.Reduce(ctx, c, nil, "t", plan, 1, failingSource{bad: -1}, countMerger{},
			func(b spmd.Block) (int, error) { return 1, nil })
		return err
	})
	for r, err := range errs {
		if spmd.Code(err) != spmd.ExitCanceled {
			t.Errorf("rank %d: %v (code %d), want cancelled", r, err, spmd.Code(err))
		}
	}
}

// viewSource is a FrameViewer over data that views only the frames below limit and
// counts the calls of each kind.
type viewSource struct {
	data         []float32
	d, limit     int
	views, reads int
	err          error // returned by ViewFloat32 for frames at or after limit, if set
}

func (s *viewSource) ReadFloat32(dst []float32, beg, end int) error {
	s.reads++
	copy(dst, s.data[beg*s.d:end*s.d])
	return nil
}

func (s *viewSource) ViewFloat32(beg, end int) ([]float32, bool, error) {
	if end > s.limit {
		return nil, false, s.err
	}
	s.views++
	return s.data[beg*s.d : end*s.d], true, nil
}

// TestStreamViews checks that Stream hands the frames of a FrameViewer out in place, falls
// back to reading the tiles it cannot view, and stops at a view's error.
func TestStreamViews(t *testing.T) {
	const n, d = 100, 3
	data := make([]float32, n*d)
	for i := range data {
		data[i] = float32(i)
	}
	plan := spmd.NewPlan(n, 4, 1, 0)
	env := &spmd.Env{TileBytes: 4 * d * 12} // tiles of 12 frames
	src := &viewSource{data: data, d: d, limit: 60}
	seen := 0
	err := spmd.Stream(context.Background(), env, "t", plan, d, src, func(blocks []spmd.Block) error {
		for _, b := range blocks {
			inPlace := &b.Data[0] == &data[b.Frames.Beg*d]
			if viewed := b.Frames.End <= 60; inPlace != viewed {
				t.Errorf("block %d (frames %v): in place %v, want %v", b.Index, b.Frames, inPlace, viewed)
			}
			for i, v := range b.Data {
				if v != data[b.Frames.Beg*d+i] {
					t.Fatalf("block %d: value %d is %v", b.Index, i, v)
				}
			}
			seen += b.Frames.Len()
		}
		return nil
	})
	if err != nil || seen != n || src.views != 5 || src.reads != 4 {
		t.Errorf("%v: %d frames, %d views and %d reads; want 100, 5 and 4", err, seen, src.views, src.reads)
	}
	src = &viewSource{data: data, d: d, limit: 60, err: errors.New("view failed")}
	err = spmd.Stream(context.Background(), env, "t", plan, d, src, func([]spmd.Block) error { return nil })
	if err == nil || err.Error() != "view failed" || src.reads != 0 {
		t.Errorf("error %v after %d reads, want the view's error and no read", err, src.reads)
	}
}
