package synth_test

import (
	"testing"

	"github.com/stemreduce/stemreduce/io/synth"
)

var sink32 []float32

// benchmarkReadFloat32 generates the 256 frames of a 16×16 scan on a det×det detector per
// iteration, with the default dose and Poisson noise. The patterns are drawn before the timer.
func benchmarkReadFloat32(b *testing.B, det int, noise bool) {
	p := synth.Default()
	p.Scan = [2]int{16, 16}
	p.Det = [2]int{det, det}
	p.Noise = noise
	s := synth.New(p)
	n, d := p.Scan[0]*p.Scan[1], det*det
	dst := make([]float32, n*d)
	if err := s.ReadFloat32(dst[:d], 0, 1); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(n * d * 4))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ReadFloat32(dst, 0, n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "frames/s")
	sink32 = dst
}

func BenchmarkReadFloat32Det64(b *testing.B)         { benchmarkReadFloat32(b, 64, true) }
func BenchmarkReadFloat32Det128(b *testing.B)        { benchmarkReadFloat32(b, 128, true) }
func BenchmarkReadFloat32Det128NoNoise(b *testing.B) { benchmarkReadFloat32(b, 128, false) }
