package pca_test

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/algorithms/pca"
)

var (
	sinkMoment *linalg.CoMoment
	sinkDense  *mat.Dense
	sinkBad    int
)

// counts returns n frames of d pixels of Poisson-like counts.
func counts(n, d int) []float32 {
	r := rand.New(rand.NewPCG(1, 1))
	data := make([]float32, n*d)
	for i := range data {
		data[i] = float32(r.IntN(8))
	}
	return data
}

// benchFused times the kernel of a sketch pass (linalg.CoMomentFrames) on one block of n
// frames of d pixels with a sketch of l columns: mean, conversion and centring, Y = Xc·Ω
// and P = Yᵀ·Xc (4·n·d·l flops).
func benchFused(b *testing.B, n, d, l int) {
	data := counts(n, d)
	omegaT := mat.DenseCopyOf(pca.Omega(1, d, l).T())
	x := make([]float64, linalg.RowChunk*d)
	y := mat.NewDense(n, l, nil)
	b.SetBytes(int64(4 * n * d))
	b.ReportAllocs()
	for b.Loop() {
		sinkMoment, sinkBad = linalg.CoMomentFrames(data, n, d, omegaT, y, x)
	}
	b.ReportMetric(4*float64(n*d*l)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkFusedBlock16x16384k26(b *testing.B) { benchFused(b, 16, 16384, 26) }
func BenchmarkFusedBlock64x4096k26(b *testing.B)  { benchFused(b, 64, 4096, 26) }
func BenchmarkFusedBlock16x576k14(b *testing.B)   { benchFused(b, 16, 576, 14) }

func BenchmarkFusedBlock1024x4096k26(b *testing.B) { benchFused(b, 1024, 4096, 26) }

// benchFused32 times the float32 kernels of the intermediate passes on one block:
// Omega32.CoMomentFrames (pass 1: float64 moments, centred frames rounded to float32) if
// moments, else Omega32.ProductFrames (later passes: the frames multiplied as they are).
func benchFused32(b *testing.B, n, d, l int, moments bool) {
	data := counts(n, d)
	o := linalg.NewOmega32(pca.Omega(1, d, l).T())
	x := make([]float32, linalg.Scratch32(l, d))
	shift := make([]float64, d)
	for j := range shift {
		shift[j] = 3.5
	}
	b.SetBytes(int64(4 * n * d))
	b.ReportAllocs()
	for b.Loop() {
		if moments {
			sinkMoment, sinkBad = o.CoMomentFrames(data, n, d, x, nil)
		} else {
			sinkDense, sinkBad = o.ProductFrames(data, n, d, shift, x)
		}
	}
	b.ReportMetric(4*float64(n*d*l)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkFused32Block256x16384k26(b *testing.B)   { benchFused32(b, 256, 16384, 26, true) }
func BenchmarkProduct32Block256x16384k26(b *testing.B) { benchFused32(b, 256, 16384, 26, false) }
func BenchmarkFusedBlock256x16384k26(b *testing.B)     { benchFused(b, 256, 16384, 26) }
