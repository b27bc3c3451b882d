package pca_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/spmd"
)

// failingSource fails to read the tile holding frame bad.
type failingSource struct {
	memSource
	bad int
}

func (f failingSource) ReadFloat32(dst []float32, beg, end int) error {
	if beg <= f.bad && f.bad < end {
		return fmt.Errorf("could not read frame %d", f.bad)
	}
	return f.memSource.ReadFloat32(dst, beg, end)
}

func TestErrors(t *testing.T) {
	const n, d, p = 200, 16, 3
	good := lowRank(n, d, 4, 0.7, 0.5, 1)
	withBad := func(vals map[int]float32) []float32 {
		data := append([]float32(nil), good...)
		for f, v := range vals {
			data[f*d+f%d] = v
		}
		return data
	}
	constant := make([]float32, n*d)
	for i := range constant {
		constant[i] = float32(i % d) // every frame the same
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	tests := []struct {
		name     string
		data     []float32
		k        int
		solver   pca.Solver
		is       error // errors.Is target, or nil
		frame    int   // *NonFiniteError frame, or −1
		code     int   // spmd.Code
		contains string
	}{
		{name: "K=0", data: good, k: 0, is: pca.ErrComponents, frame: -1, code: spmd.ExitUsage, contains: "K = 0"},
		{name: "K>min", data: good, k: d + 1, is: pca.ErrComponents, frame: -1, code: spmd.ExitUsage, contains: "min(200, 16)"},
		{name: "solver", data: good, k: 2, solver: pca.Solver(9), is: pca.ErrSolver, frame: -1, code: spmd.ExitUsage},
		// Bad frames on ranks 1 and 2 (frames [68, 136) and [136, 200) with B = 4): every
		// rank reports the first one.
		{name: "NaN", data: withBad(map[int]float32{123: nan, 190: nan}), k: 2, frame: 123, code: spmd.ExitInput, contains: "frame 123"},
		{name: "Inf", data: withBad(map[int]float32{71: inf, 70: nan, 5: 1}), k: 2, frame: 70, code: spmd.ExitInput, contains: "frame 70"},
		{name: "constant", data: constant, k: 2, is: pca.ErrConstant, frame: -1, code: spmd.ExitInput},
	}
	for _, tc := range tests {
		type variant struct {
			name string
			s    pca.Settings
		}
		var variants []variant
		if tc.solver != 0 {
			variants = []variant{{tc.solver.String(), pca.Settings{K: tc.k, Solver: tc.solver}}}
		} else {
			for _, solver := range []pca.Solver{pca.Randomized, pca.Gram, pca.TSQR} {
				variants = append(variants, variant{solver.String(), pca.Settings{K: tc.k, Solver: solver}})
			}
			variants = append(variants, variant{"single-pass", pca.Settings{K: tc.k, Passes: 1}})
		}
		for _, v := range variants {
			t.Run(fmt.Sprintf("%s/%v", tc.name, v.name), func(t *testing.T) {
				res, errs := runErr(p, tc.data, n, d, 4, v.s)
				for r, err := range errs {
					if err == nil {
						t.Fatalf("rank %d: no error, result %+v", r, res[r])
					}
					if tc.is != nil && !errors.Is(err, tc.is) {
						t.Errorf("rank %d: %v, want %v", r, err, tc.is)
					}
					var nf *pca.NonFiniteError
					if tc.frame >= 0 && (!errors.As(err, &nf) || nf.Frame != tc.frame) {
						t.Errorf("rank %d: %v, want a NonFiniteError for frame %d", r, err, tc.frame)
					}
					if got := spmd.Code(err); got != tc.code {
						t.Errorf("rank %d: exit code %d, want %d (%v)", r, got, tc.code, err)
					}
					if !strings.Contains(err.Error(), tc.contains) || err.Error() != errs[0].Error() {
						t.Errorf("rank %d: %q, want the message of rank 0 containing %q", r, err, tc.contains)
					}
				}
			})
		}
	}
	t.Run("read", func(t *testing.T) {
		// A read error on rank 2 only: agreed, every rank returns it.
		errs := runErrSource(p, failingSource{memSource{good, d}, 150}, n, d, 4, pca.Settings{K: 2})
		for r, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "could not read frame 150") || spmd.Code(err) != spmd.ExitFailure {
				t.Errorf("rank %d: %v", r, err)
			}
		}
	})
}
