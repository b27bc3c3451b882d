package preprocess_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/preprocess"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/spmdtest"
)

// counts returns n frames of dy×dx Poisson-like counts (integers 0..19, exact in float32),
// with a few fractional values so that rounding matters.
func counts(n, dy, dx int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, n*dy*dx)
	for i := range data {
		data[i] = float32(r.IntN(20))
		if i%7 == 0 {
			data[i] += float32(r.Float64())
		}
	}
	return data
}

// reference preprocesses the frames with a direct float64 computation written apart from
// the package: for every output pixel, the sum over its square of cropped input pixels
// (row-major within the square), then the transform, then the frame total. It returns
// the frames as float64 (before rounding) and the output detector shape.
func reference(raw []float32, n, dy, dx int, s preprocess.Settings) (out []float64, oy, ox int) {
	c := s.Crop
	if c.IsZero() {
		c = preprocess.Rect{Y0: 0, Y1: dy, X0: 0, X1: dx}
	}
	b := max(s.Bin, 1)
	oy, ox = (c.Y1-c.Y0)/b, (c.X1-c.X0)/b
	out = make([]float64, n*oy*ox)
	for f := range n {
		frame := out[f*oy*ox : (f+1)*oy*ox]
		for y := range oy {
			for x := range ox {
				var v float64
				for i := range b {
					for j := range b {
						v += float64(raw[f*dy*dx+(c.Y0+y*b+i)*dx+c.X0+x*b+j])
					}
				}
				switch s.Transform {
				case preprocess.Sqrt:
					v = math.Sqrt(v)
				case preprocess.Log1p:
					v = math.Log1p(v)
				}
				frame[y*ox+x] = v
			}
		}
		if s.Normalize == preprocess.Total {
			var t float64
			for _, v := range frame {
				t += v
			}
			for i := range frame {
				frame[i] /= t
			}
		}
	}
	return out, oy, ox
}

// closeF32 reports whether got is want rounded to float32, within one float32 ulp: the
// package and the reference may sum in different orders, so the float64 values differ in
// the last bits and can round to neighbouring float32 values.
func closeF32(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 0x1p-23*math.Abs(want)+1e-300
}

func TestParse(t *testing.T) {
	rects := []struct {
		in   string
		want preprocess.Rect
		ok   bool
	}{
		{"0:32,16:48", preprocess.Rect{Y0: 0, Y1: 32, X0: 16, X1: 48}, true},
		{" 1 : 2 , 3 : 4 ", preprocess.Rect{Y0: 1, Y1: 2, X0: 3, X1: 4}, true},
		{"0:32", preprocess.Rect{}, false},
		{"4:4,0:2", preprocess.Rect{}, false},
		{"-1:4,0:2", preprocess.Rect{}, false},
		{"a:b,0:2", preprocess.Rect{}, false},
	}
	for _, tc := range rects {
		got, err := preprocess.ParseRect(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRect(%q) = %v, %v", tc.in, got, err)
		}
	}
	for _, tr := range []preprocess.Transform{preprocess.NoTransform, preprocess.Sqrt, preprocess.Log1p} {
		if got, err := preprocess.ParseTransform(tr.String()); err != nil || got != tr {
			t.Errorf("ParseTransform(%q) = %v, %v", tr, got, err)
		}
	}
	for _, nm := range []preprocess.Normalize{preprocess.NoNormalize, preprocess.Total, preprocess.Poisson} {
		if got, err := preprocess.ParseNormalize(nm.String()); err != nil || got != nm {
			t.Errorf("ParseNormalize(%q) = %v, %v", nm, got, err)
		}
	}
	if _, err := preprocess.ParseTransform("log"); err == nil {
		t.Error("ParseTransform accepted log")
	}
	if _, err := preprocess.ParseNormalize("l2"); err == nil {
		t.Error("ParseNormalize accepted l2")
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		s    preprocess.Settings
		is   error
		msg  string
	}{
		{"crop off the detector", preprocess.Settings{Crop: preprocess.Rect{Y0: 0, Y1: 13, X0: 0, X1: 4}}, preprocess.ErrCrop, "0:13,0:4 on a 12x10 detector"},
		{"bin of the detector", preprocess.Settings{Bin: 4}, preprocess.ErrBin, "bin 4, detector 12x10"},
		{"bin of the crop", preprocess.Settings{Bin: 2, Crop: preprocess.Rect{Y0: 1, Y1: 4, X0: 0, X1: 4}}, preprocess.ErrBin, "detector 3x4"},
		{"negative bin", preprocess.Settings{Bin: -2}, preprocess.ErrBin, "bin -2"},
	}
	for _, tc := range tests {
		_, err := preprocess.New([]int{5, 5}, []int{12, 10}, tc.s)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %v mentioning %q", tc.name, err, tc.is, tc.msg)
		}
	}
	p, err := preprocess.New([]int{5, 5}, []int{12, 10}, preprocess.Settings{Bin: 2, Crop: preprocess.Rect{Y0: 2, Y1: 10, X0: 0, X1: 6}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Sig(); got[0] != 4 || got[1] != 3 || p.D() != 12 || p.RawD() != 120 || p.Identity() {
		t.Errorf("Sig %v, D %d, RawD %d, Identity %v", got, p.D(), p.RawD(), p.Identity())
	}
}

func TestPipelineAgainstReference(t *testing.T) {
	const sy, sx, dy, dx = 5, 7, 12, 10
	n := sy * sx
	raw := counts(n, dy, dx, 3)
	// Every third frame, in input order: the source must map its frames to these.
	var index []int
	for f := 0; f < n; f += 3 {
		index = append(index, f)
	}
	tests := []struct {
		name string
		s    preprocess.Settings
	}{
		{"identity", preprocess.Settings{}},
		{"crop", preprocess.Settings{Crop: preprocess.Rect{Y0: 1, Y1: 9, X0: 2, X1: 10}}},
		{"bin 2", preprocess.Settings{Bin: 2}},
		{"crop and bin 3", preprocess.Settings{Bin: 3, Crop: preprocess.Rect{Y0: 3, Y1: 12, X0: 1, X1: 7}}},
		{"sqrt", preprocess.Settings{Transform: preprocess.Sqrt}},
		{"log1p", preprocess.Settings{Transform: preprocess.Log1p}},
		{"total", preprocess.Settings{Normalize: preprocess.Total}},
		{"all", preprocess.Settings{Bin: 2, Crop: preprocess.Rect{Y0: 2, Y1: 12, X0: 0, X1: 8}, Transform: preprocess.Sqrt, Normalize: preprocess.Total}},
	}
	for _, tc := range tests {
		for _, roi := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/roi=%v", tc.name, roi), func(t *testing.T) {
				p, err := preprocess.New([]int{sy, sx}, []int{dy, dx}, tc.s)
				if err != nil {
					t.Fatal(err)
				}
				want, oy, ox := reference(raw, n, dy, dx, tc.s)
				d := oy * ox
				if p.D() != d {
					t.Fatalf("D = %d, want %d", p.D(), d)
				}
				idx := []int(nil)
				m := n
				if roi {
					idx, m = index, len(index)
				}
				src := p.Source(spmdtest.MemSource{Data: raw, D: dy * dx}, idx)
				// All at once, and in reads of 1, 2, 3, ... frames: the same bits.
				all := make([]float32, m*d)
				if err := src.ReadFloat32(all, 0, m); err != nil {
					t.Fatal(err)
				}
				for i := range m {
					f := src.Input(i)
					for j := range d {
						if !closeF32(all[i*d+j], want[f*d+j]) {
							t.Fatalf("frame %d (input %d) pixel %d: %v, want %v", i, f, j, all[i*d+j], want[f*d+j])
						}
					}
				}
				restore := preprocess.SetChunkBytes(4 * dy * dx * 2) // two input frames per read
				defer restore()
				for beg, w := 0, 1; beg < m; beg, w = beg+w, w+1 {
					end := min(beg+w, m)
					part := make([]float32, (end-beg)*d)
					if err := src.ReadFloat32(part, beg, end); err != nil {
						t.Fatal(err)
					}
					for j, v := range part {
						if math.Float32bits(v) != math.Float32bits(all[beg*d+j]) {
							t.Fatalf("read [%d, %d) differs from the whole read", beg, end)
						}
					}
				}
			})
		}
	}
}

// badSource holds frames with the given values at pixel 5 of the given frames.
func badSource(n, dy, dx int, bad map[int]float32) spmdtest.MemSource {
	data := counts(n, dy, dx, 1)
	for f, v := range bad {
		data[f*dy*dx+5] = v
	}
	return spmdtest.MemSource{Data: data, D: dy * dx}
}

func TestFrameErrors(t *testing.T) {
	const sy, sx, dy, dx = 4, 6, 4, 4
	n := sy * sx
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	zero := counts(n, dy, dx, 1)
	for i := range dy * dx {
		zero[9*dy*dx+i] = 0
	}
	tests := []struct {
		name  string
		src   spmdtest.MemSource
		s     preprocess.Settings
		index []int
		msg   string
	}{
		{"NaN", badSource(n, dy, dx, map[int]float32{13: nan, 20: nan}), preprocess.Settings{Bin: 2}, nil, "frame 13 (scan position y=2, x=1) holds a NaN"},
		{"Inf in the ROI", badSource(n, dy, dx, map[int]float32{3: inf, 17: inf}), preprocess.Settings{}, []int{4, 10, 17, 18}, "frame 17 (scan position y=2, x=5) holds a NaN"},
		{"NaN cropped away", badSource(n, dy, dx, map[int]float32{2: nan, 7: -1}), preprocess.Settings{Crop: preprocess.Rect{Y0: 2, Y1: 4, X0: 0, X1: 4}, Transform: preprocess.Sqrt}, nil, ""},
		{"sqrt", badSource(n, dy, dx, map[int]float32{7: -1}), preprocess.Settings{Transform: preprocess.Sqrt}, nil, "frame 7 (scan position y=1, x=1): pixel (1, 1) of the preprocessed frame is -1, and the sqrt transform needs values >= 0"},
		{"log1p", badSource(n, dy, dx, map[int]float32{8: -1}), preprocess.Settings{Transform: preprocess.Log1p}, nil, "frame 8 (scan position y=1, x=2): pixel (1, 1) of the preprocessed frame is -1, and the log1p"},
		{"zero total", spmdtest.MemSource{Data: zero, D: dy * dx}, preprocess.Settings{Normalize: preprocess.Total}, nil, "frame 9 (scan position y=1, x=3) has total intensity 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := preprocess.New([]int{sy, sx}, []int{dy, dx}, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			m := n
			if tc.index != nil {
				m = len(tc.index)
			}
			err = p.Source(tc.src, tc.index).ReadFloat32(make([]float32, m*p.D()), 0, m)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("error %v for a value outside the crop", err)
				}
				return
			}
			var fe *preprocess.FrameError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.msg) || spmd.Code(err) != spmd.ExitInput {
				t.Errorf("%v (code %d), want a FrameError containing %q with code 3", err, spmd.Code(err), tc.msg)
			}
		})
	}
}

func TestCache(t *testing.T) {
	const n, d = 40, 3
	data := counts(n, 1, d, 2)
	var reads int
	src := countingSource{spmdtest.MemSource{Data: data, D: d}, &reads}
	plan := spmd.NewPlan(n, 4, 3, 1) // frames [16, 28)
	c := preprocess.NewCache(src, plan, d)
	if c.Bytes() != int64(12*d*4) {
		t.Fatalf("Bytes = %d", c.Bytes())
	}
	read := func(beg, end int) []float32 {
		buf := make([]float32, (end-beg)*d)
		if err := c.ReadFloat32(buf, beg, end); err != nil {
			t.Fatal(err)
		}
		for i, v := range buf {
			if v != data[beg*d+i] {
				t.Fatalf("read [%d, %d): value %d is %v, want %v", beg, end, i, v, data[beg*d+i])
			}
		}
		return buf
	}
	read(20, 24) // out of order: passed through, not kept
	read(16, 20)
	read(20, 26)
	if c.Complete() {
		t.Fatal("complete after 10 of 12 frames")
	}
	read(26, 28)
	read(0, 4) // outside the partition: passed through
	if !c.Complete() || reads != 5 {
		t.Fatalf("complete %v after %d reads of the source, want true after 5", c.Complete(), reads)
	}
	read(16, 28)
	read(17, 19)
	if reads != 5 || c.Hits() != 14 {
		t.Errorf("%d reads and %d hits, want 5 and 14", reads, c.Hits())
	}
	c.Apply(2, func(x []float32, beg, end int) {
		for i := range x {
			x[i] = float32(beg*d + i)
		}
	})
	buf := make([]float32, 12*d)
	c.ReadFloat32(buf, 16, 28)
	for i, v := range buf {
		if v != float32(16*d+i) {
			t.Fatalf("after Apply, value %d is %v", i, v)
		}
	}
}

// TestCacheView checks the cache as an spmd.FrameViewer: the first pass reads through
// ViewFloat32 into the cache's memory, later views are that memory, out-of-order ranges
// are refused without a read, and Stream over the cache sees the frames.
func TestCacheView(t *testing.T) {
	const n, d = 40, 3
	data := counts(n, 1, d, 2)
	var reads int
	src := countingSource{spmdtest.MemSource{Data: data, D: d}, &reads}
	plan := spmd.NewPlan(n, 4, 3, 1) // frames [16, 28)
	c := preprocess.NewCache(src, plan, d)
	view := func(beg, end int, want bool) []float32 {
		v, ok, err := c.ViewFloat32(beg, end)
		if err != nil || ok != want {
			t.Fatalf("view [%d, %d): ok %v, %v; want ok %v", beg, end, ok, err, want)
		}
		for i, x := range v {
			if x != data[beg*d+i] {
				t.Fatalf("view [%d, %d): value %d is %v, want %v", beg, end, i, x, data[beg*d+i])
			}
		}
		return v
	}
	view(20, 24, false) // out of order
	view(0, 4, false)   // outside the partition
	if reads != 0 {
		t.Fatalf("%d reads for refused views", reads)
	}
	a := view(16, 20, true)
	view(20, 28, true)
	if !c.Complete() || reads != 2 {
		t.Fatalf("complete %v after %d reads, want true after 2", c.Complete(), reads)
	}
	b := view(16, 28, true)
	if &a[0] != &b[0] || reads != 2 || c.Hits() != 12 {
		t.Errorf("a view of cached frames is not the cache's memory (%d reads, %d hits)", reads, c.Hits())
	}
	var sum float64
	err := spmd.Stream(context.Background(), &spmd.Env{TileBytes: 4 * d * 4}, "t", plan, d, c, func(blocks []spmd.Block) error {
		for _, b := range blocks {
			for _, v := range b.Data {
				sum += float64(v)
			}
		}
		return nil
	})
	var want float64
	for _, v := range data[16*d : 28*d] {
		want += float64(v)
	}
	if err != nil || sum != want || reads != 2 {
		t.Errorf("stream over the cache: %v, sum %v (want %v), %d reads", err, sum, want, reads)
	}
}

type countingSource struct {
	spmdtest.MemSource
	reads *int
}

func (c countingSource) ReadFloat32(dst []float32, beg, end int) error {
	*c.reads++
	return c.MemSource.ReadFloat32(dst, beg, end)
}

func TestTransformInvert(t *testing.T) {
	x := []float64{0, 1e-12, 0.5, 1, 3, 1e6}
	for _, tr := range []preprocess.Transform{preprocess.NoTransform, preprocess.Sqrt, preprocess.Log1p} {
		v := make([]float64, len(x))
		for i, xi := range x {
			switch tr {
			case preprocess.Sqrt:
				v[i] = math.Sqrt(xi)
			case preprocess.Log1p:
				v[i] = math.Log1p(xi)
			default:
				v[i] = xi
			}
		}
		tr.Invert(v)
		for i := range x {
			if math.Abs(v[i]-x[i]) > 1e-14*math.Max(1, x[i]) {
				t.Errorf("%v: Invert of %v gives %v", tr, x[i], v[i])
			}
		}
	}
	v := []float64{-2}
	preprocess.Sqrt.Invert(v)
	if v[0] != 0 {
		t.Errorf("sqrt: Invert(-2) = %v, want 0", v[0])
	}
}
