//go:build mpi

package mpi

// Benchmarks measure MPI itself. Run them with a fixed iteration count, so that every
// rank runs the same b.N and the same number of rounds:
//
//	mpirun -n 2 /tmp/mpi.test -test.run '^$' -test.bench . -test.benchtime 200x
//
// With more than one rank and a time-based -test.benchtime they skip, as ranks would pick
// different b.N and wait for each other forever.

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/collective"
)

// runBench runs body(b.N) on the main goroutine on every rank after checking that the
// ranks agree on b.N, then agrees on the outcome so that all ranks fail together.
func runBench(b *testing.B, body func(c collective.Comm, n int) error) {
	c := testWorld.Comm()
	if f := flag.Lookup("test.benchtime"); c.Size() > 1 && (f == nil || !strings.HasSuffix(f.Value.String(), "x")) {
		b.Skip("under MPI, run with -test.benchtime <N>x so every rank runs the same b.N")
	}
	var err error
	onMain(func() {
		n := []int64{int64(b.N), -int64(b.N)}
		if err = c.AllreduceInt64(n, collective.Max); err != nil {
			return
		}
		if n[0] != int64(b.N) || -n[1] != int64(b.N) {
			err = fmt.Errorf("ranks run b.N from %d to %d", -n[1], n[0])
			return
		}
		b.ResetTimer()
		err = body(c, b.N)
		b.StopTimer()
	})
	var failed []int
	var aerr error
	onMain(func() { failed, aerr = agreeOn(c, err != nil) })
	switch {
	case err != nil:
		b.Fatalf("rank %d: %v", c.Rank(), err)
	case aerr != nil:
		b.Fatalf("rank %d: could not agree on the outcome: %v", c.Rank(), aerr)
	case len(failed) > 0:
		b.Fatalf("rank %d: ranks %v failed", c.Rank(), failed)
	}
}

func benchAllreduce(b *testing.B, n int) {
	buf := make([]float64, n)
	b.SetBytes(int64(8 * n))
	b.ReportAllocs()
	runBench(b, func(c collective.Comm, iters int) error {
		for range iters {
			if err := c.AllreduceFloat64(buf, collective.Sum); err != nil {
				return err
			}
		}
		return nil
	})
}

func BenchmarkAllreduce1(b *testing.B)     { benchAllreduce(b, 1) }
func BenchmarkAllreduce1Ki(b *testing.B)   { benchAllreduce(b, 1<<10) }
func BenchmarkAllreduce128Ki(b *testing.B) { benchAllreduce(b, 1<<17) } // 1 MiB

// vecSum merges float64 vectors by element-wise sum.
type vecSum struct{}

func (vecSum) Merge(l, r []float64) []float64 {
	for i, v := range r {
		l[i] += v
	}
	return l
}

func (vecSum) Encode(dst []byte, v []float64) []byte {
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

func (vecSum) Decode(b []byte) ([]float64, error) {
	if len(b)%8 != 0 {
		return nil, errors.New("vecSum: length not a multiple of 8")
	}
	v := make([]float64, len(b)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, nil
}

// BenchmarkReduceAll1MiB reduces one 1 MiB partial per rank (one block each) along the
// canonical block tree and broadcasts the root: log2(P) messages deep, then a Bcast.
func BenchmarkReduceAll1MiB(b *testing.B) {
	const n = 1 << 17
	b.SetBytes(8 * n)
	b.ReportAllocs()
	runBench(b, func(c collective.Comm, iters int) error {
		part := make([]float64, n)
		for range iters {
			for i := range part {
				part[i] = float64(c.Rank() + i)
			}
			acc := collective.NewAccumulator[[]float64](vecSum{}, c.Size(), c.Size(), c.Rank())
			b0, _ := acc.Blocks()
			acc.Push(b0, part)
			root, err := collective.ReduceAll(c, acc, 11)
			if err != nil {
				return err
			}
			if want := float64(c.Size()*(c.Size()-1)/2 + c.Size()*7); root[7] != want {
				return fmt.Errorf("root[7] = %v, want %v", root[7], want)
			}
		}
		return nil
	})
}
