package npy_test

import (
	"path/filepath"
	"testing"

	"github.com/stemreduce/stemreduce/io/npy"
)

var sink32 []float32

// benchmarkReadFloat32 reads 64 frames of 128×128 of dtype per iteration from a file in the
// page cache.
func benchmarkReadFloat32(b *testing.B, dtype string, big bool) {
	const n, d = 64, 128 * 128
	path := filepath.Join(b.TempDir(), "b.npy")
	data := make([]float64, n*d)
	for i := range data {
		data[i] = float64(i % 200)
	}
	if err := npy.Write(path, dtype, big, []int{8, 8, 128, 128}, data); err != nil {
		b.Fatal(err)
	}
	r, err := npy.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	dst := make([]float32, n*d)
	b.SetBytes(int64(n * d * 4)) // float32 delivered
	b.ReportAllocs()
	for b.Loop() {
		if err := r.ReadFloat32(dst, 0, n); err != nil {
			b.Fatal(err)
		}
	}
	sink32 = dst
}

func BenchmarkReadFloat32Uint8(b *testing.B)      { benchmarkReadFloat32(b, "uint8", false) }
func BenchmarkReadFloat32Uint16(b *testing.B)     { benchmarkReadFloat32(b, "uint16", false) }
func BenchmarkReadFloat32Uint16Big(b *testing.B)  { benchmarkReadFloat32(b, "uint16", true) }
func BenchmarkReadFloat32Uint32(b *testing.B)     { benchmarkReadFloat32(b, "uint32", false) }
func BenchmarkReadFloat32Float32(b *testing.B)    { benchmarkReadFloat32(b, "float32", false) }
func BenchmarkReadFloat32Float32Big(b *testing.B) { benchmarkReadFloat32(b, "float32", true) }
