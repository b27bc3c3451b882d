package moments

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Partial is the summary of a set of frames of D pixels.
type Partial struct {
	N    int64     // number of frames
	Sum  []float64 // per-pixel sum
	Mean []float64 // per-pixel mean
	M2   []float64 // per-pixel sum of squared deviations from Mean
	Min  []float64 // per-pixel minimum; +Inf when N is 0
	Max  []float64 // per-pixel maximum; -Inf when N is 0
}

// NewPartial returns the empty summary of frames of d pixels.
func NewPartial(d int) *Partial {
	p := &Partial{Sum: make([]float64, d), Mean: make([]float64, d), M2: make([]float64, d), Min: make([]float64, d), Max: make([]float64, d)}
	for i := range d {
		p.Min[i], p.Max[i] = math.Inf(1), math.Inf(-1)
	}
	return p
}

// D returns the number of pixels per frame.
func (p *Partial) D() int { return len(p.Sum) }

// Block returns the summary of n frames of d pixels stored row-major in data.
// It panics if len(data) != n*d.
func Block(data []float32, n, d int) *Partial {
	return BlockTo(nil, data, n, d)
}

// BlockTo is Block that also stores the total of every frame in frameSums (length n)
// unless frameSums is nil. It reads data once: the sums and squared deviations are taken
// about the block's first frame (the shifted-data algorithm), which keeps cancellation
// small because the shift is a sample of the same distribution. Pixels are visited in
// chunks that keep the accumulators in the L1 cache while the frames of the block pass.
func BlockTo(frameSums []float64, data []float32, n, d int) *Partial {
	if len(data) != n*d || (frameSums != nil && len(frameSums) != n) {
		panic("moments: data length does not match frames × pixels")
	}
	p := NewPartial(d)
	if n == 0 {
		return p
	}
	p.N = int64(n)
	var totals []float64
	if frameSums != nil {
		totals = frameSums
		clear(totals)
	}
	const chunk = 1024
	var lo, hi [chunk]float32
	for c0 := 0; c0 < d; c0 += chunk {
		c1 := min(c0+chunk, d)
		shift := data[c0:c1]
		s1, s2 := p.Mean[c0:c1], p.M2[c0:c1] // shifted sums, turned into mean and M2 below
		lo, hi := lo[:len(shift)], hi[:len(shift)]
		copy(lo, shift)
		copy(hi, shift)
		for f := 1; f < n; f++ {
			row := data[f*d+c0 : f*d+c1]
			row, s1, s2, lo, hi := row[:len(shift)], s1[:len(shift)], s2[:len(shift)], lo[:len(shift)], hi[:len(shift)]
			total := 0.0
			for i, v := range row {
				x := float64(v)
				total += x
				dev := x - float64(shift[i])
				s1[i] += dev
				s2[i] += dev * dev
				lo[i] = min(lo[i], v)
				hi[i] = max(hi[i], v)
			}
			if totals != nil {
				totals[f] += total
			}
		}
		if totals != nil {
			for _, v := range shift {
				totals[0] += float64(v)
			}
		}
		inv := 1 / float64(n)
		for i, v := range shift {
			a := s1[i] // p.Mean[i]: read before it is overwritten
			m := a * inv
			p.M2[c0+i] = max(0, s2[i]-a*m)
			p.Mean[c0+i] = float64(v) + m
			p.Sum[c0+i] = float64(n)*float64(v) + a
			p.Min[c0+i], p.Max[c0+i] = float64(lo[i]), float64(hi[i])
		}
	}
	return p
}

// Merge combines the summaries of two disjoint sets of frames into a, which it returns.
// It panics if the pixel counts differ.
func Merge(a, b *Partial) *Partial {
	if a.D() != b.D() {
		panic("moments: merging partials of different frame sizes")
	}
	switch {
	case b.N == 0:
		return a
	case a.N == 0:
		a.N = b.N
		for i, src := range [][]float64{b.Sum, b.Mean, b.M2, b.Min, b.Max} {
			copy([][]float64{a.Sum, a.Mean, a.M2, a.Min, a.Max}[i], src)
		}
		return a
	}
	n := a.N + b.N
	wb := float64(b.N) / float64(n)
	wab := float64(a.N) * float64(b.N) / float64(n)
	for i := range a.Mean {
		delta := b.Mean[i] - a.Mean[i]
		a.Sum[i] += b.Sum[i]
		a.Mean[i] += delta * wb
		a.M2[i] += b.M2[i] + delta*delta*wab
		a.Min[i] = min(a.Min[i], b.Min[i])
		a.Max[i] = max(a.Max[i], b.Max[i])
	}
	a.N = n
	return a
}

// Merger adapts Partial to collective.Merger for the block tree.
type Merger struct{}

// Merge implements collective.Merger.
func (Merger) Merge(a, b *Partial) *Partial { return Merge(a, b) }

// Encode implements collective.Merger: N, then the five arrays, little-endian.
func (Merger) Encode(dst []byte, p *Partial) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(p.N))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(p.D()))
	for _, a := range [][]float64{p.Sum, p.Mean, p.M2, p.Min, p.Max} {
		for _, v := range a {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
		}
	}
	return dst
}

// Decode implements collective.Merger.
func (Merger) Decode(b []byte) (*Partial, error) {
	if len(b) < 16 {
		return nil, errors.New("moments: short partial")
	}
	n := int64(binary.LittleEndian.Uint64(b))
	d := int(binary.LittleEndian.Uint64(b[8:]))
	if d < 0 || len(b) != 16+5*8*d {
		return nil, fmt.Errorf("moments: partial of %d bytes for %d pixels", len(b), d)
	}
	p := NewPartial(d)
	p.N = n
	off := 16
	for _, a := range [][]float64{p.Sum, p.Mean, p.M2, p.Min, p.Max} {
		for i := range a {
			a[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[off:]))
			off += 8
		}
	}
	return p, nil
}

// Result is the finished statistics of a stack of frames.
type Result struct {
	N         int64
	Sum       []float64
	Mean      []float64
	Var       []float64 // population variance, M2/N
	VarSample []float64 // sample variance, M2/(N-1); NaN when N < 2
	Std       []float64 // population standard deviation, √Var
	Min, Max  []float64
}

// Finish turns a summary into statistics. It allocates the variance arrays.
func (p *Partial) Finish() Result {
	r := Result{N: p.N, Sum: p.Sum, Mean: p.Mean, Min: p.Min, Max: p.Max,
		Var: make([]float64, p.D()), VarSample: make([]float64, p.D()), Std: make([]float64, p.D())}
	for i, m2 := range p.M2 {
		r.Var[i] = m2 / float64(p.N)
		r.Std[i] = math.Sqrt(r.Var[i])
		r.VarSample[i] = math.NaN()
		if p.N > 1 {
			r.VarSample[i] = m2 / float64(p.N-1)
		}
	}
	return r
}
