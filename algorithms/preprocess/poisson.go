package preprocess

import (
	"context"
	"fmt"
	"math"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// PoissonScale is the Poisson noise normalisation of Keenan & Kotula, "Accounting for
// Poisson noise in the multivariate analysis of ToF-SIMS spectrum images", Surf. Interface
// Anal. 36 (2004), as HyperSpy's decomposition(normalize_poissonian_noise=True) applies
// it: with a_f the total of frame f and b_j the total of pixel j over the frames,
//
//	x_fj ← x_fj / (√a_f · √b_j),   and 0 where a_f = 0 or b_j = 0.
//
// It holds the totals; PoissonTotals computes them in one pass.
type PoissonScale struct {
	// PixelTotals are b_j = Σ_f x_fj over every frame of the dataset, D values; the same
	// bits on every rank and for any number of ranks.
	PixelTotals []float64
	// FrameTotals are a_f = Σ_j x_fj of this rank's frames [plan.Beg, plan.End).
	FrameTotals []float64

	beg     int       // plan.Beg
	colInv  []float64 // 1/√b_j, or 0 where b_j = 0
	colSqrt []float64 // √b_j
}

// PoissonTotals makes one pass over this rank's frames of src, the frames of the
// pipeline p (D values each; src may be p.Source, or a Cache over it, or the input itself
// when p is the identity), and returns the totals. The pixel totals are summed per block
// and combined along the canonical block tree. index maps frame i of src to its input
// frame index[i] (nil: the identity), to name frames in errors.
//
// It returns, on every rank: a *FrameError (exit code 3) for the first frame that holds
// a NaN or an infinity or has a negative total; a *PixelError (exit code 3) for the first
// pixel whose total is negative; read errors and cancellation, agreed with spmd.Agree.
// HyperSpy refuses negative totals in the same way.
// Collective: every rank of c must call it with the same plan layout and pipeline.
func (p *Pipeline) PoissonTotals(ctx context.Context, c collective.Comm, env *spmd.Env, plan spmd.Plan, src spmd.Source, index []int) (*PoissonScale, error) {
	d := p.D()
	ps := &PoissonScale{FrameTotals: make([]float64, plan.NLocal()), beg: plan.Beg}
	input := func(i int) int {
		if index == nil {
			return i
		}
		return index[i]
	}
	sums, err := spmd.Reduce(ctx, c, env, "poisson totals", plan, d, src, collective.SumFloat64{N: d}, func(b spmd.Block) ([]float64, error) {
		col := make([]float64, d)
		for i := range b.Frames.Len() {
			f := b.Frame(i)
			var a float64
			for j, v := range f {
				x := float64(v)
				a += x
				col[j] += x
			}
			fe := &FrameError{Frame: input(b.Frames.Beg + i), Nav: p.nav, Value: a}
			switch {
			case math.IsNaN(a) || math.IsInf(a, 0):
				fe.Reason = reasonNonFinite
				return nil, spmd.WithCode(spmd.ExitInput, fe)
			case a < 0:
				fe.Reason = fmt.Sprintf(reasonNegative, a)
				return nil, spmd.WithCode(spmd.ExitInput, fe)
			}
			ps.FrameTotals[b.Frames.Beg+i-plan.Beg] = a
		}
		return col, nil
	})
	if err != nil {
		return nil, err
	}
	ps.PixelTotals = sums
	ps.colInv, ps.colSqrt = make([]float64, d), make([]float64, d)
	for j, b := range sums {
		switch {
		case b < 0:
			return nil, spmd.WithCode(spmd.ExitInput, &PixelError{Pixel: []int{j / p.ox, j % p.ox}, Total: b})
		case b > 0:
			ps.colSqrt[j] = math.Sqrt(b)
			ps.colInv[j] = 1 / ps.colSqrt[j]
		}
	}
	return ps, nil
}

// PixelError reports a pixel whose total over the frames is negative, which Poisson
// normalisation cannot take the square root of.
type PixelError struct {
	Pixel []int   // (y, x) in the preprocessed frame
	Total float64 // its total
}

func (e *PixelError) Error() string {
	return fmt.Sprintf("pixel (%d, %d) of the preprocessed frames has a negative total (%g) over the frames, so Poisson normalisation cannot take its square root", e.Pixel[0], e.Pixel[1], e.Total)
}

// Scale normalises the frames [beg, end) of this rank, held in data (D values each), in
// place: x_fj ← x_fj·(1/√a_f)·(1/√b_j), computed in float64 and rounded to float32 once,
// and 0 where a_f or b_j is 0. Each frame is scaled on its own, so the bits do not depend
// on how the frames are grouped. It panics if a frame is not one of this rank's.
func (ps *PoissonScale) Scale(data []float32, beg, end int) {
	d := len(ps.colInv)
	if beg < ps.beg || end-ps.beg > len(ps.FrameTotals) || len(data) != (end-beg)*d {
		panic(fmt.Sprintf("preprocess: Poisson scale of frames [%d, %d) (%d values) outside this rank's %d frames from %d", beg, end, len(data), len(ps.FrameTotals), ps.beg))
	}
	for f := beg; f < end; f++ {
		row := data[(f-beg)*d : (f-beg+1)*d]
		a := ps.FrameTotals[f-ps.beg]
		if a == 0 {
			clear(row)
			continue
		}
		ra := 1 / math.Sqrt(a)
		ci := ps.colInv[:len(row)]
		for j, v := range row {
			row[j] = float32(float64(v) * ra * ci[j])
		}
	}
}

// Unscale undoes Scale on one frame f of this rank in float64, in place:
// x_fj ← x_fj·√a_f·√b_j, as HyperSpy undoes its Poisson normalisation on the loadings
// and factors. A pixel or frame whose total is 0 stays 0. It panics if f is not one of
// this rank's frames.
func (ps *PoissonScale) Unscale(row []float64, f int) {
	if f < ps.beg || f-ps.beg >= len(ps.FrameTotals) || len(row) != len(ps.colInv) {
		panic(fmt.Sprintf("preprocess: Poisson unscale of frame %d (%d values) outside this rank's %d frames from %d", f, len(row), len(ps.FrameTotals), ps.beg))
	}
	sa := math.Sqrt(ps.FrameTotals[f-ps.beg])
	for j, sb := range ps.colSqrt[:len(row)] {
		row[j] *= sa * sb // 0 where b_j = 0
	}
}

// Source returns src with every frame scaled by Scale as it is read. src must deliver
// this rank's frames only.
func (ps *PoissonScale) Source(src spmd.Source) spmd.Source { return poissonSource{ps, src} }

type poissonSource struct {
	ps  *PoissonScale
	src spmd.Source
}

func (s poissonSource) ReadFloat32(dst []float32, beg, end int) error {
	if err := s.src.ReadFloat32(dst, beg, end); err != nil {
		return err
	}
	s.ps.Scale(dst, beg, end)
	return nil
}
