package preprocess_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/preprocess"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/spmdtest"
)

var rankCounts = []int{1, 2, 3, 4, 7}

// poissonRef is HyperSpy's _normalize_poissonian_noise on the float32 frames x (n×d):
// aG = x.sum(1), bH = x.sum(0), x / (sqrt(aG)[:, None] * sqrt(bH)[None, :]), then
// nan_to_num, in float64 (hyperspy/learn/mva.py, HyperSpy 1.7 and 2.x).
func poissonRef(x []float32, n, d int) []float64 {
	a, b := make([]float64, n), make([]float64, d)
	for i := range n {
		for j := range d {
			a[i] += float64(x[i*d+j])
			b[j] += float64(x[i*d+j])
		}
	}
	out := make([]float64, n*d)
	for i := range n {
		for j := range d {
			v := float64(x[i*d+j]) / (math.Sqrt(a[i]) * math.Sqrt(b[j]))
			if math.IsNaN(v) {
				v = 0
			}
			out[i*d+j] = v
		}
	}
	return out
}

// runPoisson computes the totals on p in-process ranks and reads every rank's scaled
// frames, through the Poisson source (cached false) or by scaling a full cache in place
// (cached true). It returns the scaled frames of all ranks in order, the pixel totals of
// rank 0, and every rank's error.
func runPoisson(p int, pipe *preprocess.Pipeline, raw spmd.Source, index []int, n, block int, cached bool) ([]float32, []float64, []error) {
	d := pipe.D()
	out := make([]float32, n*d)
	var totals []float64
	errs := inproc.Run(p, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, block, c.Size(), c.Rank())
		env := &spmd.Env{TileBytes: int64(4 * pipe.RawD() * 3), Workers: 2}
		var src spmd.Source = pipe.Source(raw, index)
		var cache *preprocess.Cache
		if cached {
			cache = preprocess.NewCache(src, plan, d)
			src = cache
		}
		ps, err := pipe.PoissonTotals(context.Background(), c, env, plan, src, index)
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			totals = ps.PixelTotals
		}
		mine := out[plan.Beg*d : plan.End*d]
		if cached {
			if !cache.Complete() {
				return fmt.Errorf("rank %d: cache incomplete after the totals pass", c.Rank())
			}
			cache.Apply(2, ps.Scale)
			return cache.ReadFloat32(mine, plan.Beg, plan.End)
		}
		return ps.Source(src).ReadFloat32(mine, plan.Beg, plan.End)
	})
	return out, totals, errs
}

func TestPoissonAgainstReference(t *testing.T) {
	const sy, sx, dy, dx = 7, 9, 8, 6
	n := sy * sx
	raw := counts(n, dy, dx, 5)
	// A dead pixel (total 0) and a dark frame (total 0): 0/0 gives 0, as in HyperSpy.
	for f := range n {
		raw[f*dy*dx+3] = 0
	}
	for j := range dy * dx {
		raw[11*dy*dx+j] = 0
	}
	var index []int
	for f := range n {
		if f%4 != 1 {
			index = append(index, f)
		}
	}
	for _, tc := range []struct {
		name  string
		s     preprocess.Settings
		index []int
	}{
		{"raw", preprocess.Settings{Normalize: preprocess.Poisson}, nil},
		{"roi and bin", preprocess.Settings{Normalize: preprocess.Poisson, Bin: 2}, index},
		{"sqrt", preprocess.Settings{Normalize: preprocess.Poisson, Transform: preprocess.Sqrt, Crop: preprocess.Rect{Y0: 1, Y1: 7, X0: 0, X1: 5}}, index},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pipe, err := preprocess.New([]int{sy, sx}, []int{dy, dx}, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			m := n
			if tc.index != nil {
				m = len(tc.index)
			}
			d := pipe.D()
			// The reference works on the per-frame output of the pipeline, checked against
			// its own reference in TestPipelineAgainstReference.
			pre := make([]float32, m*d)
			if err := pipe.Source(spmdtest.MemSource{Data: raw, D: dy * dx}, tc.index).ReadFloat32(pre, 0, m); err != nil {
				t.Fatal(err)
			}
			want := poissonRef(pre, m, d)
			var first []float32
			var firstTotals []float64
			for _, p := range rankCounts {
				for _, cached := range []bool{false, true} {
					got, totals, errs := runPoisson(p, pipe, spmdtest.MemSource{Data: raw, D: dy * dx}, tc.index, m, 4, cached)
					for r, err := range errs {
						if err != nil {
							t.Fatalf("P=%d cached=%v rank %d: %v", p, cached, r, err)
						}
					}
					if first == nil {
						first, firstTotals = got, totals
						for i, v := range got {
							if !closeF32(v, want[i]) {
								t.Fatalf("value %d (frame %d, pixel %d): %v, want %v", i, i/d, i%d, v, want[i])
							}
						}
						continue
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
							t.Fatalf("P=%d cached=%v: value %d differs from P=1 streamed", p, cached, i)
						}
					}
					for j := range totals {
						if math.Float64bits(totals[j]) != math.Float64bits(firstTotals[j]) {
							t.Fatalf("P=%d: pixel total %d differs from P=1", p, j)
						}
					}
				}
			}
		})
	}
}

func TestPoissonErrors(t *testing.T) {
	const sy, sx, dy, dx = 6, 10, 4, 4
	n := sy * sx
	negFrame := counts(n, dy, dx, 1)
	for j := range dy * dx {
		negFrame[41*dy*dx+j] = -1
		negFrame[50*dy*dx+j] = -1
	}
	negPixel := counts(n, dy, dx, 1)
	for f := range n {
		negPixel[f*dy*dx+6] = -float32(f % 3)
	}
	nan := counts(n, dy, dx, 1)
	nan[37*dy*dx+2] = float32(math.NaN())
	nan[55*dy*dx+2] = float32(math.NaN())
	tests := []struct {
		name string
		data []float32
		msg  string
	}{
		{"negative frame total", negFrame, "frame 41 (scan position y=4, x=1) has a negative total intensity (-16)"},
		{"negative pixel total", negPixel, "pixel (1, 2) of the preprocessed frames has a negative total (-60)"},
		{"NaN", nan, "frame 37 (scan position y=3, x=7) holds a NaN"},
	}
	pipe, err := preprocess.New([]int{sy, sx}, []int{dy, dx}, preprocess.Settings{Normalize: preprocess.Poisson})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The input itself, as the command reads it when the pipeline is the identity,
			// on three ranks: the bad frames are on ranks 1 and 2 (blocks of 4 frames).
			errs := inproc.Run(3, func(c collective.Comm) error {
				plan := spmd.NewPlan(n, 4, c.Size(), c.Rank())
				_, err := pipe.PoissonTotals(context.Background(), c, nil, plan, spmdtest.MemSource{Data: tc.data, D: dy * dx}, nil)
				return err
			})
			for r, err := range errs {
				if err == nil || !strings.Contains(err.Error(), tc.msg) || spmd.Code(err) != spmd.ExitInput {
					t.Errorf("rank %d: %v (code %d), want %q with code 3", r, err, spmd.Code(err), tc.msg)
				}
			}
			var fe *preprocess.FrameError
			var pe *preprocess.PixelError
			if !errors.As(errs[0], &fe) && !errors.As(errs[0], &pe) && !strings.Contains(errs[0].Error(), "rank") {
				t.Errorf("rank 0: %T", errs[0])
			}
		})
	}
}

// TestPoissonUnscale checks that Unscale undoes Scale on every rank's frames (up to the
// float32 rounding of the scaled values), and leaves dead pixels and dark frames at 0.
func TestPoissonUnscale(t *testing.T) {
	const n, dy, dx = 30, 4, 5
	d := dy * dx
	raw := counts(n, dy, dx, 7)
	for f := range n {
		raw[f*d+2] = 0 // a dead pixel
	}
	for j := range d {
		raw[7*d+j] = 0 // a dark frame
	}
	pipe, err := preprocess.New([]int{n}, []int{dy, dx}, preprocess.Settings{Normalize: preprocess.Poisson})
	if err != nil {
		t.Fatal(err)
	}
	src := spmdtest.MemSource{Data: raw, D: d}
	for _, p := range rankCounts {
		errs := inproc.Run(p, func(c collective.Comm) error {
			plan := spmd.NewPlan(n, 4, c.Size(), c.Rank())
			env := &spmd.Env{TileBytes: int64(4 * d * 3), Workers: 1}
			ps, err := pipe.PoissonTotals(context.Background(), c, env, plan, src, nil)
			if err != nil {
				return err
			}
			x := make([]float32, plan.NLocal()*d)
			if err := ps.Source(src).ReadFloat32(x, plan.Beg, plan.End); err != nil {
				return err
			}
			row := make([]float64, d)
			for f := plan.Beg; f < plan.End; f++ {
				for j := range d {
					row[j] = float64(x[(f-plan.Beg)*d+j])
				}
				ps.Unscale(row, f)
				for j, got := range row {
					want := float64(raw[f*d+j])
					if math.Abs(got-want) > 1e-6*math.Abs(want) {
						return fmt.Errorf("P=%d frame %d pixel %d: %v, want %v", p, f, j, got, want)
					}
				}
			}
			return nil
		})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}
