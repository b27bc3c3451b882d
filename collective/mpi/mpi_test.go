//go:build mpi

package mpi

// These tests run under an MPI launcher, one test binary per rank:
//
//	. scripts/cgoenv
//	go test -c -tags mpi -o /tmp/mpi.test ./collective/mpi
//	mpirun -n 4 /tmp/mpi.test -test.timeout 200s
//
// (scripts/test-mpi does this for 1 to 4 ranks.) Every rank runs the same tests in the
// same order. A test's MPI work runs on TestMain's goroutine (onMain), the one that called
// Start, because the testing package runs each test on a goroutine of its own. After each
// piece of MPI work the ranks agree on who failed (agreeOn), so every rank fails the same
// tests, prints its own error, and exits with the same code. A rank that fails in the
// middle of a conformance case may still leave the others in a mismatched collective; the
// -test.timeout and the script's timeout turn that into a failure instead of a hang.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/collectivetest"
	"github.com/stemreduce/stemreduce/collective/inproc"
)

var (
	testWorld *World
	mainCalls = make(chan func())
)

func TestMain(m *testing.M) {
	w, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testWorld = w
	done := make(chan int)
	go func() { done <- m.Run() }()
	var code int
serve:
	for {
		select {
		case fn := <-mainCalls:
			fn()
		case code = <-done:
			break serve
		}
	}
	rank := w.Comm().Rank()
	if err := w.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: %v\n", rank, err)
		code = 1
	} else if err := w.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: second Stop: %v\n", rank, err)
		code = 1
	}
	os.Exit(code)
}

// onMain runs fn on TestMain's goroutine, which called Start, and waits for it. A panic in
// fn is re-raised in the caller. fn must not call t.Fatal or t.FailNow (runtime.Goexit
// would end TestMain's goroutine): return values and report after onMain returns.
func onMain(fn func()) {
	var (
		val      any
		panicked bool
	)
	done := make(chan struct{})
	mainCalls <- func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				val, panicked = v, true
			}
		}()
		fn()
	}
	<-done
	if panicked {
		panic(val)
	}
}

// agreeOn returns, on every rank, the ranks of c whose failed is true.
// Collective; call it on the main goroutine.
func agreeOn(c collective.Comm, failed bool) ([]int, error) {
	flags := make([]int64, c.Size())
	if failed {
		flags[c.Rank()] = 1
	}
	if err := c.AllreduceInt64(flags, collective.Sum); err != nil {
		return nil, err
	}
	var ranks []int
	for r, f := range flags {
		if f != 0 {
			ranks = append(ranks, r)
		}
	}
	return ranks, nil
}

// runAgreed runs fn on every rank of c on the main goroutine, then agrees on the outcome
// over the world communicator: every rank reports its own error, and fails when any rank
// failed.
func runAgreed(t *testing.T, c collective.Comm, fn func(c collective.Comm) error) {
	t.Helper()
	var (
		err, aerr error
		failed    []int
	)
	onMain(func() {
		err = fn(c)
		failed, aerr = agreeOn(testWorld.Comm(), err != nil)
	})
	if err != nil {
		t.Errorf("rank %d of %d: %v", c.Rank(), c.Size(), err)
	}
	if aerr != nil {
		t.Fatalf("rank %d of %d: could not agree on the outcome: %v", c.Rank(), c.Size(), aerr)
	}
	if len(failed) > 0 && err == nil {
		t.Errorf("rank %d of %d: ranks %v failed", c.Rank(), c.Size(), failed)
	}
}

// smallComm returns a world communicator that splits every MPI call at maxCount elements.
func smallComm(maxCount int) collective.Comm {
	var c *comm
	onMain(func() { c = newComm(testWorld, testWorld.comm.h, maxCount) })
	return c
}

func TestConformance(t *testing.T) {
	for _, tc := range collectivetest.Cases() {
		t.Run(tc.Name, func(t *testing.T) { runAgreed(t, testWorld.Comm(), tc.Fn) })
	}
}

// TestConformanceInPieces runs the suite with MPI calls limited to 1000 elements, the
// path a buffer above 2^31-1 elements takes: Bcast of 64 KiB, Allreduce of 4099 values
// and the 1 MiB ring all go in several calls.
func TestConformanceInPieces(t *testing.T) {
	c := smallComm(1000)
	for _, tc := range collectivetest.Cases() {
		t.Run(tc.Name, func(t *testing.T) { runAgreed(t, c, tc.Fn) })
	}
}

// TestAllgathervLarge checks both Allgatherv paths: one MPI_Allgatherv when the total
// fits maxCount, one broadcast per rank in pieces when it does not.
func TestAllgathervLarge(t *testing.T) {
	patterns := []struct {
		name  string
		count func(r, size int) int
	}{
		{"all", func(r, _ int) int { return r + 4 }},
		{"some empty", func(r, _ int) int { return (r * 3) % 4 }},
		{"last only", func(r, size int) int {
			if r == size-1 {
				return 7
			}
			return 0
		}},
	}
	for _, maxCount := range []int{3, 5, 1 << 20} {
		c := smallComm(maxCount)
		for _, p := range patterns {
			t.Run(fmt.Sprintf("%s/maxCount=%d", p.name, maxCount), func(t *testing.T) {
				runAgreed(t, c, func(c collective.Comm) error {
					counts := make([]int, c.Size())
					total := 0
					for r := range counts {
						counts[r] = p.count(r, c.Size())
						total += counts[r]
					}
					src := make([]byte, counts[c.Rank()])
					for i := range src {
						src[i] = byte(50*c.Rank() + i)
					}
					dst := make([]byte, total)
					if err := c.Allgatherv(dst, src, counts); err != nil {
						return err
					}
					want := make([]byte, 0, total)
					for r, n := range counts {
						for i := range n {
							want = append(want, byte(50*r+i))
						}
					}
					if !bytes.Equal(dst, want) {
						return fmt.Errorf("Allgatherv(%v) = %v, want %v", counts, dst, want)
					}
					return nil
				})
			})
		}
	}
}

// TestSendRecvEdges checks zero-length messages (real messages that keep their place in
// the order) and a message shorter than the receive, which is an error, not a hang.
func TestSendRecvEdges(t *testing.T) {
	runAgreed(t, testWorld.Comm(), func(c collective.Comm) error {
		if c.Size() < 2 {
			return nil
		}
		switch c.Rank() {
		case 1:
			for _, b := range [][]byte{nil, {1, 2, 3, 4}, {}, {5, 6, 7}} {
				if err := c.Send(b, 0, 3); err != nil {
					return err
				}
			}
		case 0:
			for _, want := range [][]byte{{}, {1, 2, 3, 4}, {}} {
				got := make([]byte, len(want))
				if err := c.Recv(got, 1, 3); err != nil {
					return err
				}
				if !bytes.Equal(got, want) {
					return fmt.Errorf("received %v, want %v", got, want)
				}
			}
			err := c.Recv(make([]byte, 5), 1, 3)
			if err == nil || !strings.Contains(err.Error(), "the message has 3") {
				return fmt.Errorf("Recv of 5 bytes from a 3-byte message: error %v", err)
			}
		}
		return c.Barrier()
	})
}

// TestCountersMatchInproc runs the same calls on MPI and on inproc with as many ranks
// and compares the counters of every rank.
func TestCountersMatchInproc(t *testing.T) {
	script := func(c collective.Comm) (collective.Counters, error) {
		before := c.Counters()
		next, prev := (c.Rank()+1)%c.Size(), (c.Rank()+c.Size()-1)%c.Size()
		counts := make([]int, c.Size())
		for r := range counts {
			counts[r] = r + 1
		}
		total := c.Size() * (c.Size() + 1) / 2
		steps := []func() error{
			c.Barrier,
			func() error { return c.Bcast(make([]byte, 10), 0) },
			func() error { return c.Bcast(nil, c.Size()-1) },
			func() error { return c.AllreduceFloat64(make([]float64, 7), collective.Sum) },
			func() error { return c.AllreduceFloat32(make([]float32, 3), collective.Max) },
			func() error { return c.AllreduceInt64(nil, collective.Min) },
			func() error { return c.Allgatherv(make([]byte, total), make([]byte, c.Rank()+1), counts) },
			func() error { return c.Send(make([]byte, 5), next, 1) },
			func() error { return c.Recv(make([]byte, 5), prev, 1) },
			func() error { return c.Send(nil, next, 2) },
			func() error { return c.Recv(nil, prev, 2) },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return collective.Counters{}, fmt.Errorf("step %d: %w", i, err)
			}
		}
		return c.Counters().Sub(before), nil
	}
	var got collective.Counters
	runAgreed(t, testWorld.Comm(), func(c collective.Comm) (err error) {
		got, err = script(c)
		return err
	})
	c := testWorld.Comm()
	want := make([]collective.Counters, c.Size())
	errs := inproc.Run(c.Size(), func(c collective.Comm) (err error) {
		want[c.Rank()], err = script(c)
		return err
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("inproc: %v", err)
	}
	if got != want[c.Rank()] {
		t.Errorf("rank %d: counters %+v, inproc %+v", c.Rank(), got, want[c.Rank()])
	}
}

// mustPanic returns the message fn panicked with, or "" if it did not.
func mustPanic(fn func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	fn()
	return ""
}

// TestMisusePanics checks that misuse panics on the calling rank before any MPI call, so
// the other ranks are not left waiting. Every rank makes the same bad calls.
func TestMisusePanics(t *testing.T) {
	c := testWorld.Comm()
	size, rank := c.Size(), c.Rank()
	counts := make([]int, size)
	counts[rank] = 2
	buf := make([]byte, 4)
	tests := []struct {
		name string
		fn   func()
		want string
	}{
		{"counts length", func() { c.Allgatherv(nil, nil, make([]int, size+1)) }, "counts for"},
		{"negative count", func() { c.Allgatherv(nil, nil, append(make([]int, size-1), -1)) }, "negative"},
		{"src length", func() { c.Allgatherv(make([]byte, 2), make([]byte, 1), counts) }, "src length 1, counts say 2"},
		{"dst length", func() { c.Allgatherv(make([]byte, 3), make([]byte, 2), counts) }, "dst length 3, counts sum to 2"},
		{"overlap", func() { c.Allgatherv(buf[:2], buf[1:3], counts) }, "overlap"},
		{"Bcast root", func() { c.Bcast(buf, size) }, "Bcast root"},
		{"Send tag", func() { c.Send(buf, 0, collective.MaxTag+1) }, "tag 32768 out of range"},
		{"Send negative tag", func() { c.Send(buf, 0, -1) }, "tag -1 out of range"},
		{"Send rank", func() { c.Send(buf, size, 0) }, "Send destination"},
		{"Recv rank", func() { c.Recv(buf, -1, 0) }, "Recv source"},
		{"unknown op", func() { c.AllreduceFloat64(make([]float64, 1), collective.Op(9)) }, "unknown op"},
		{"after Stop", func() { (&comm{w: &World{stopped: true}}).Barrier() }, "Barrier after Stop"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var msg string
			onMain(func() { msg = mustPanic(tc.fn) })
			if !strings.HasPrefix(msg, "mpi: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("rank %d: panic %q, want an \"mpi: \" message with %q", rank, msg, tc.want)
			}
		})
	}
	// Not on the main goroutine: the test's own goroutine runs on another thread, since
	// the main thread is locked to TestMain's goroutine.
	if msg := mustPanic(func() { c.Barrier() }); !strings.Contains(msg, "thread other than the one that called Start") {
		t.Errorf("rank %d: Barrier off the main goroutine: panic %q", rank, msg)
	}
	runAgreed(t, c, func(c collective.Comm) error { return c.Barrier() })
}

func TestStartTwice(t *testing.T) {
	var err error
	onMain(func() { _, err = Start() })
	if err == nil || !strings.Contains(err.Error(), "already initialised") {
		t.Errorf("second Start: %v", err)
	}
}

// TestGoPanicsAfterStart checks that MPI's signal handlers leave Go's own alone: a nil
// dereference is still a recoverable runtime panic.
func TestGoPanicsAfterStart(t *testing.T) {
	var msg string
	onMain(func() {
		msg = mustPanic(func() {
			var p *World
			_ = p.stopped
		})
	})
	if !strings.Contains(msg, "nil pointer dereference") {
		t.Errorf("nil dereference: panic %q", msg)
	}
}

func TestLaunched(t *testing.T) {
	if os.Getenv("OMPI_COMM_WORLD_SIZE") != "" && !Launched() {
		t.Error("Launched() = false under Open MPI's mpirun")
	}
	vars := []string{"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_STEP_ID", "SLURM_STEPID"}
	for _, k := range vars {
		if v, ok := os.LookupEnv(k); ok {
			t.Cleanup(func() { os.Setenv(k, v) })
			os.Unsetenv(k)
		}
	}
	tests := []struct {
		env  []string
		want bool
	}{
		{nil, false},
		{[]string{"OMPI_COMM_WORLD_SIZE"}, true},
		{[]string{"PMIX_RANK"}, true},
		{[]string{"PMI_SIZE"}, true},
		{[]string{"SLURM_PROCID", "SLURM_NTASKS"}, false}, // a batch script, not an srun task
		{[]string{"SLURM_PROCID", "SLURM_NTASKS", "SLURM_STEP_ID"}, true},
	}
	for _, tc := range tests {
		for _, k := range tc.env {
			os.Setenv(k, "0")
		}
		if got := Launched(); got != tc.want {
			t.Errorf("Launched() with %v set = %t, want %t", tc.env, got, tc.want)
		}
		for _, k := range tc.env {
			os.Unsetenv(k)
		}
	}
}

func TestCheckNamesTheError(t *testing.T) {
	var ok, bad error
	onMain(func() { ok, bad = check(0), check(cint(errCount)) })
	if ok != nil {
		t.Errorf("check(MPI_SUCCESS) = %v", ok)
	}
	// Open MPI says "MPI_ERR_COUNT: invalid count argument", MPICH "Invalid count".
	if bad == nil || !strings.Contains(strings.ToLower(bad.Error()), "count") {
		t.Errorf("check(MPI_ERR_COUNT) = %v", bad)
	}
	t.Logf("check(MPI_ERR_COUNT) = %v", bad)
}

// TestPieces checks the splitting every large operation relies on.
func TestPieces(t *testing.T) {
	for _, tc := range []struct {
		n, step int
		want    [][2]int
	}{
		{0, 3, nil},
		{3, 3, [][2]int{{0, 3}}},
		{7, 3, [][2]int{{0, 3}, {3, 6}, {6, 7}}},
	} {
		var got [][2]int
		pieces(tc.n, tc.step, func(lo, hi int) error {
			got = append(got, [2]int{lo, hi})
			return nil
		})
		if !slices.Equal(got, tc.want) {
			t.Errorf("pieces(%d, %d) = %v, want %v", tc.n, tc.step, got, tc.want)
		}
	}
}
