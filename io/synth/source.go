package synth

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/rng"
)

// ErrClosed is returned by reads from a closed Source.
var ErrClosed = errors.New("synth: read from a closed source")

// Source is a synthetic 4D-STEM dataset. It implements dataset.Dataset. Its methods may be
// called from several goroutines at once.
type Source struct {
	p      Params
	n, d   int
	maps   *maps
	once   sync.Once
	pats   []float64 // K×D unit-scaled patterns, made on first use
	closed atomic.Bool
}

var _ dataset.Dataset = (*Source)(nil)

// New returns the source with parameters p. It draws the map parameters (a few numbers per
// phase); the patterns are drawn on first use. New panics if p.Validate fails: take p from
// Default or Parse.
func New(p Params) *Source {
	if err := p.Validate(); err != nil {
		panic(err.Error())
	}
	return &Source{
		p:    p,
		n:    p.Scan[0] * p.Scan[1],
		d:    p.Det[0] * p.Det[1],
		maps: newMaps(p),
	}
}

// Params returns the parameters of s.
func (s *Source) Params() Params { return s.p }

// Shape returns Nav = (sy, sx) and Sig = (dy, dx), in newly allocated slices.
func (s *Source) Shape() dataset.Shape {
	return dataset.Shape{Nav: []int{s.p.Scan[0], s.p.Scan[1]}, Sig: []int{s.p.Det[0], s.p.Det[1]}}
}

// Info describes the source: Path "synth:" followed by the canonical spec, Format "synth",
// ByteOrder "native", Dims (sy, sx, dy, dx), FramesPerChunk 1. Dtype is "uint32" with Poisson
// noise, whose frames are whole electron counts (below 2^32 since Dose ≤ 1e9), and "float64"
// with noise=none, whose frames are real-valued expectations.
func (s *Source) Info() dataset.Info {
	dtype := "float64"
	if s.p.Noise {
		dtype = "uint32"
	}
	return dataset.Info{
		Path:           "synth:" + s.p.Canonical(),
		Format:         "synth",
		Dtype:          dtype,
		ByteOrder:      "native",
		Dims:           []int{s.p.Scan[0], s.p.Scan[1], s.p.Det[0], s.p.Det[1]},
		FramesPerChunk: 1,
	}
}

// Close marks s closed; later reads return ErrClosed. It may be called more than once and
// always returns nil.
func (s *Source) Close() error {
	s.closed.Store(true)
	return nil
}

// patterns returns the K×D unit-scaled patterns, drawing them on first use.
func (s *Source) patterns() []float64 {
	s.once.Do(func() {
		pats := make([]float64, s.p.Phases*s.d)
		for k, ph := range drawPhases(s.p) {
			patternTo(pats[k*s.d:(k+1)*s.d], s.p.Det[0], s.p.Det[1], ph)
		}
		s.pats = pats
	})
	return s.pats
}

func (s *Source) check(n, beg, end int) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if beg < 0 || beg > end || end > s.n {
		return fmt.Errorf("synth: invalid frame range [%d, %d) for %d frames", beg, end, s.n)
	}
	if n != (end-beg)*s.d {
		panic(fmt.Sprintf("synth: len(dst) = %d, want %d for frames [%d, %d) of %d pixels", n, (end-beg)*s.d, beg, end, s.d))
	}
	return nil
}

// ReadFloat64 generates frames [beg, end) into dst, frame after frame, row-major: electron
// counts with Poisson noise, expected counts with noise=none. Each frame depends only on the
// parameters and its index, so the values do not depend on how a range is split. It returns
// an error for a range outside [0, N) or after Close, and panics unless
// len(dst) == (end-beg)·dy·dx. It allocates O(K) scratch.
func (s *Source) ReadFloat64(dst []float64, beg, end int) error {
	if err := s.check(len(dst), beg, end); err != nil {
		return err
	}
	a := make([]float64, s.p.Phases)
	var st rng.Stream
	for f := beg; f < end; f++ {
		row := dst[(f-beg)*s.d : (f-beg+1)*s.d]
		s.expectedTo(row, a, f)
		if s.p.Noise {
			st.Reset(s.p.Seed, rng.SynthFrame, uint64(f))
			for i, lam := range row {
				row[i] = float64(st.Poisson(lam))
			}
		}
	}
	return nil
}

// ReadFloat32 is ReadFloat64 for float32: counts are exact, expectations (noise=none) are
// rounded to float32. It allocates one frame of float64 scratch.
func (s *Source) ReadFloat32(dst []float32, beg, end int) error {
	if err := s.check(len(dst), beg, end); err != nil {
		return err
	}
	a := make([]float64, s.p.Phases)
	lam := make([]float64, s.d)
	var st rng.Stream
	for f := beg; f < end; f++ {
		row := dst[(f-beg)*s.d : (f-beg+1)*s.d]
		row = row[:len(lam)]
		s.expectedTo(lam, a, f)
		if s.p.Noise {
			st.Reset(s.p.Seed, rng.SynthFrame, uint64(f))
			for i, l := range lam {
				row[i] = float32(st.Poisson(l))
			}
		} else {
			for i, l := range lam {
				row[i] = float32(l)
			}
		}
	}
	return nil
}

// expectedTo stores the expected frame f in dst: Dose·thickness·Σ_k a_k·pattern_k, summed
// over k in order. a is scratch of length K.
func (s *Source) expectedTo(dst, a []float64, f int) {
	pats := s.patterns()
	s.maps.abundanceTo(a, f)
	c := s.p.Dose * s.maps.thickness(f)
	d := len(dst)
	for k, ak := range a {
		w := c * ak
		pk := pats[k*d : (k+1)*d]
		pk = pk[:len(dst)]
		if k == 0 {
			for i, v := range pk {
				dst[i] = w * v
			}
			continue
		}
		for i, v := range pk {
			dst[i] += w * v
		}
	}
}

// Abundances returns the ground-truth abundance maps, nav-major: element f·K + k is the
// fraction of phase k at frame f (scan position (f/sx, f%sx)). At every frame the K values
// are ≥ 0 and sum to 1 up to rounding. It allocates N·K values.
func (s *Source) Abundances() []float64 {
	k := s.p.Phases
	out := make([]float64, s.n*k)
	for f := range s.n {
		s.maps.abundanceTo(out[f*k:(f+1)*k], f)
	}
	return out
}

// Patterns returns the ground-truth patterns, K·dy·dx values: phase k's expected diffraction
// pattern for one electron, at [k·D, (k+1)·D), summing to 1. The expected frame f is
// Dose·Thickness()[f]·Σ_k Abundances()[f·K+k]·pattern_k. It returns a new copy.
func (s *Source) Patterns() []float64 {
	return append([]float64(nil), s.patterns()...)
}

// Thickness returns the ground-truth relative thickness at every frame, N values in
// [1-Thick, 1+Thick]. It allocates N values.
func (s *Source) Thickness() []float64 {
	out := make([]float64, s.n)
	for f := range s.n {
		out[f] = s.maps.thickness(f)
	}
	return out
}
