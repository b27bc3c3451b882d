package inproc_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/collectivetest"
	"github.com/stemreduce/stemreduce/collective/inproc"
)

var rankCounts = []int{1, 2, 3, 4, 7}

func TestConformance(t *testing.T) {
	for _, tc := range collectivetest.Cases() {
		for _, p := range rankCounts {
			t.Run(fmt.Sprintf("%s/P=%d", tc.Name, p), func(t *testing.T) {
				for r, err := range inproc.Run(p, tc.Fn) {
					if err != nil {
						t.Errorf("rank %d: %v", r, err)
					}
				}
			})
		}
	}
}

// mustPanic runs fn and returns the message it panicked with.
func mustPanic(t *testing.T, fn func()) (msg string) {
	t.Helper()
	defer func() {
		v := recover()
		if v == nil {
			t.Fatal("no panic")
		}
		msg = fmt.Sprint(v)
	}()
	fn()
	return ""
}

func TestMisuseBreaksTheWorld(t *testing.T) {
	tests := []struct {
		name string
		fn   func(c collective.Comm) error
		want []string
	}{
		{
			name: "different collectives",
			fn: func(c collective.Comm) error {
				if c.Rank() == 2 {
					return c.Bcast(make([]byte, 8), 0)
				}
				return c.AllreduceFloat64(make([]float64, 1), collective.Sum)
			},
			want: []string{"collective mismatch", "Bcast(8 bytes, root 0)", "AllreduceFloat64(1, sum)"},
		},
		{
			name: "different lengths",
			fn: func(c collective.Comm) error {
				return c.AllreduceFloat64(make([]float64, 1+c.Rank()%2), collective.Max)
			},
			want: []string{"collective mismatch", "AllreduceFloat64(1, max)", "AllreduceFloat64(2, max)"},
		},
		{
			name: "collective inside a rank branch",
			fn: func(c collective.Comm) error {
				if c.Rank() == 0 {
					return c.Barrier()
				}
				return nil
			},
			want: []string{"deadlock", "rank 0 in Barrier", "have returned"},
		},
		{
			name: "receive without a send",
			fn: func(c collective.Comm) error {
				return c.Recv(make([]byte, 4), (c.Rank()+1)%c.Size(), 3)
			},
			want: []string{"deadlock", "rank 1 in Recv(4 bytes from rank 2, tag 3)"},
		},
		{
			name: "panic in one rank",
			fn: func(c collective.Comm) error {
				if c.Rank() == 1 {
					panic("boom on rank 1")
				}
				return c.Barrier()
			},
			want: []string{"boom on rank 1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := mustPanic(t, func() { inproc.Run(3, tc.fn) })
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("panic %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestRunReturnsErrorsByRank(t *testing.T) {
	errs := inproc.Run(4, func(c collective.Comm) error {
		if c.Rank() == 3 {
			return fmt.Errorf("rank %d failed", c.Rank())
		}
		return nil
	})
	for r, err := range errs {
		if (err != nil) != (r == 3) {
			t.Errorf("rank %d: error %v", r, err)
		}
	}
}
