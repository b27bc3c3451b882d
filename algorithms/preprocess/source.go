package preprocess

import (
	"fmt"
	"math"
	"sync"

	"github.com/stemreduce/stemreduce/spmd"
)

// chunkBytes bounds the input frames a Source holds at once (as float32) when the
// preprocessed frames are smaller than the input ones: binning by 4 would otherwise need
// a buffer 16 times the tile. Tests lower it.
var chunkBytes = 8 << 20

// Source reads preprocessed frames: its frame i is input frame index[i] (frame i when
// index is nil) after the per-frame steps of the pipeline. index must be increasing; it
// is how a region of interest becomes a dataset of its own frames only, so that a fit
// runs over a compact plan of them. Source implements spmd.Source.
type Source struct {
	p     *Pipeline
	raw   spmd.Source
	index []int

	mu  sync.Mutex // guards the scratch below
	buf []float32  // input frames of one chunk
	acc []float64  // one frame being preprocessed
}

// Source returns the source of the preprocessed frames of raw selected by index (nil:
// every frame). It does not copy index.
func (p *Pipeline) Source(raw spmd.Source, index []int) *Source {
	return &Source{p: p, raw: raw, index: index}
}

// Input returns the index in the input of frame i of the source.
func (s *Source) Input(i int) int {
	if s.index == nil {
		return i
	}
	return s.index[i]
}

// ReadFloat32 reads frames [beg, end) of the source into dst, D values each. Runs of
// consecutive input frames are read with one call of the input source, at most 8 MiB of
// input frames at a time. Every frame is checked: a NaN or an infinity, a value outside
// the transform's domain or a zero total (with total normalisation) returns a
// *FrameError naming the first such input frame, with exit code 3 (spmd.ExitInput). Read
// errors of the input are returned as they are. It panics if len(dst) is not
// (end−beg)·D. Reads are serialised.
func (s *Source) ReadFloat32(dst []float32, beg, end int) error {
	d, rd := s.p.D(), s.p.RawD()
	if len(dst) != (end-beg)*d {
		panic(fmt.Sprintf("preprocess: ReadFloat32 of frames [%d, %d) into %d values, want %d", beg, end, len(dst), (end-beg)*d))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	identity := s.p.Identity()
	chunk := max(1, chunkBytes/(4*rd))
	for i := beg; i < end; {
		// A run of frames whose input frames are consecutive.
		j := i + 1
		for j < end && s.Input(j) == s.Input(j-1)+1 && (identity || j-i < chunk) {
			j++
		}
		f0 := s.Input(i)
		out := dst[(i-beg)*d : (j-beg)*d]
		if identity {
			if err := s.raw.ReadFloat32(out, f0, f0+j-i); err != nil {
				return err
			}
			for k := range j - i {
				if !finite(out[k*d : (k+1)*d]) {
					return s.frameError(&FrameError{Reason: reasonNonFinite}, i+k)
				}
			}
			i = j
			continue
		}
		if n := (j - i) * rd; cap(s.buf) < n {
			s.buf = make([]float32, n)
		}
		if s.acc == nil {
			s.acc = make([]float64, d)
		}
		in := s.buf[:(j-i)*rd]
		if err := s.raw.ReadFloat32(in, f0, f0+j-i); err != nil {
			return err
		}
		for k := range j - i {
			if fe := s.p.frameTo(out[k*d:(k+1)*d], in[k*rd:(k+1)*rd], s.acc); fe != nil {
				return s.frameError(fe, i+k)
			}
		}
		i = j
	}
	return nil
}

// frameError completes fe for frame i of the source and marks it as invalid input.
func (s *Source) frameError(fe *FrameError, i int) error {
	fe.Frame, fe.Nav = s.Input(i), s.p.nav
	return spmd.WithCode(spmd.ExitInput, fe)
}

// finite reports whether every value of x is finite: the float64 sum of float32 values
// is finite exactly when they all are.
func finite(x []float32) bool {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return !math.IsNaN(s) && !math.IsInf(s, 0)
}
