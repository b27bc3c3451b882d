package rng

import (
	"math"
	"testing"
)

func TestStreamsAreKeyed(t *testing.T) {
	a, b := New(1, SynthFrame, 7), New(1, SynthFrame, 7)
	for i := range 100 {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("draw %d: equal keys gave %x and %x", i, x, y)
		}
	}
	// Changing any part of the key changes the stream.
	ref := New(1, SynthFrame, 7).Uint64()
	for _, s := range []*Stream{New(2, SynthFrame, 7), New(1, SynthMap, 7), New(1, SynthFrame, 8)} {
		if s.Uint64() == ref {
			t.Errorf("a different key gave the same first value")
		}
	}
}

func TestMoments(t *testing.T) {
	// Sample moments of 2e5 draws; tolerances are about 5 standard errors.
	const n = 200000
	tests := []struct {
		name     string
		draw     func(s *Stream) float64
		mean, sd float64
	}{
		{"uniform", (*Stream).Float64, 0.5, math.Sqrt(1.0 / 12)},
		{"normal", (*Stream).Normal, 0, 1},
		{"poisson 0.3", func(s *Stream) float64 { return float64(s.Poisson(0.3)) }, 0.3, math.Sqrt(0.3)},
		{"poisson 12", func(s *Stream) float64 { return float64(s.Poisson(12)) }, 12, math.Sqrt(12)},
		{"poisson 400", func(s *Stream) float64 { return float64(s.Poisson(400)) }, 400, 20},
	}
	for _, tc := range tests {
		s := New(3, Init, 0)
		var sum, sum2 float64
		for range n {
			x := tc.draw(s)
			sum += x
			sum2 += x * x
		}
		mean := sum / n
		sd := math.Sqrt(sum2/n - mean*mean)
		if se := tc.sd / math.Sqrt(n); math.Abs(mean-tc.mean) > 5*se {
			t.Errorf("%s: mean %.5f, want %.5f ± %.5f", tc.name, mean, tc.mean, 5*se)
		}
		if math.Abs(sd-tc.sd) > 0.01*tc.sd+5*tc.sd/math.Sqrt(2*n) {
			t.Errorf("%s: sd %.5f, want %.5f", tc.name, sd, tc.sd)
		}
	}
}

// TestFixedValues pins the first values of one stream: a change here changes every
// synthetic dataset and every seeded result. The values were printed by this package when
// the generator was fixed; change them only for a deliberate change of the generator.
func TestFixedValues(t *testing.T) {
	s := New(1, SynthFrame, 0)
	if a, b := s.Uint64(), s.Uint64(); a != 0x2e69520530d24749 || b != 0x85434e7d5a275e0d {
		t.Fatalf("first draws %#x %#x", a, b)
	}
	s.Reset(1, SynthFrame, 0)
	if x, k, m := s.Normal(), s.Poisson(12), s.Poisson(400); x != -0.627235004214478 || k != 4 || m != 370 {
		t.Fatalf("Normal, Poisson(12), Poisson(400) = %v, %d, %d", x, k, m)
	}
	// The co-range test matrix Ψ of the single-pass PCA: column (frame) 0 of seed 1.
	s.Reset(1, CoRangeMatrix, 0)
	if a := s.Uint64(); a != 0x81036034399d2ae6 {
		t.Fatalf("CoRangeMatrix: first draw %#x", a)
	}
	s.Reset(1, CoRangeMatrix, 0)
	if x, y := s.Normal(), s.Normal(); x != -0.8363552272153126 || y != 0.8382710333802684 {
		t.Fatalf("CoRangeMatrix: first normals %v, %v", x, y)
	}
}
