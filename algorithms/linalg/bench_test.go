package linalg_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
)

var (
	sinkMoment *linalg.CoMoment
	sinkR      *linalg.CenteredR
	sinkDense  mat.Dense
)

// frames returns n frames of d pixels of small counts.
func frames(n, d int) []float32 {
	r := rand.New(rand.NewPCG(1, 1))
	data := make([]float32, n*d)
	for i := range data {
		data[i] = float32(r.IntN(8))
	}
	return data
}

// benchGram times the block kernel of the Gram solver: mean, centring and the upper
// triangle of the D×D co-moment by symmetric rank updates (n·d² flops).
func benchGram(b *testing.B, n, d int) {
	data := frames(n, d)
	scratch := make([]float64, linalg.RowChunk*d)
	b.SetBytes(int64(4 * n * d))
	b.ReportAllocs()
	for b.Loop() {
		sinkMoment, _ = linalg.CoMomentFrames(data, n, d, nil, nil, scratch)
	}
	b.ReportMetric(float64(n*d*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGramBlock64x1024(b *testing.B) { benchGram(b, 64, 1024) }
func BenchmarkGramBlock16x256(b *testing.B)  { benchGram(b, 16, 256) }

// benchCenteredR times the block kernel of the TSQR solver: centring and a Householder QR
// of the block (about 2·n²·d − (2/3)·n³ flops for n ≤ d).
func benchCenteredR(b *testing.B, n, d int) {
	data := frames(n, d)
	b.SetBytes(int64(4 * n * d))
	b.ReportAllocs()
	for b.Loop() {
		sinkR, _ = linalg.CenteredRFrames(data, n, d)
	}
}

func BenchmarkCenteredRBlock64x256(b *testing.B) { benchCenteredR(b, 64, 256) }

// benchMergeR times one merge of two d×d centred R factors (QR of 2d+1 stacked rows).
func benchMergeR(b *testing.B, d int) {
	l, _ := linalg.CenteredRFrames(frames(2*d, d), 2*d, d)
	r, _ := linalg.CenteredRFrames(frames(2*d, d)[d:], 2*d-1, d)
	b.ReportAllocs()
	for b.Loop() {
		a := *l
		a.Mean = append([]float64(nil), l.Mean...)
		a.M2 = append([]float64(nil), l.M2...)
		sinkR = linalg.CenteredRMerger{}.Merge(&a, r)
	}
}

func BenchmarkCenteredRMerge256(b *testing.B) { benchMergeR(b, 256) }

// benchThinQR times the orthonormalisation of a power iteration (d×l, on every rank).
func benchThinQR(b *testing.B, d, l int) {
	rnd := rand.New(rand.NewPCG(1, 1))
	a := gaussian(d, l, rnd)
	b.ReportAllocs()
	for b.Loop() {
		sinkDense.Reset()
		linalg.ThinQR(&sinkDense, nil, a)
	}
}

func BenchmarkThinQR16384x26(b *testing.B) { benchThinQR(b, 16384, 26) }

// benchTSQR times a one-rank TSQR with explicit Q of an n×m matrix in blocks of b rows.
func benchTSQR(b *testing.B, n, m, blk int) {
	y := conditioned(n, m, 1e3, m, 1)
	b.SetBytes(int64(8 * n * m))
	b.ReportAllocs()
	for b.Loop() {
		runTSQR(b, 1, y, blk)
	}
}

func BenchmarkTSQR16384x26b16(b *testing.B) { benchTSQR(b, 16384, 26, 16) }

// countsAt returns n frames of d pixels whose values are non-zero counts with
// probability density.
func countsAt(n, d int, density float64) []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, n*d)
	for i := range data {
		if r.Float64() < density {
			data[i] = float32(1 + r.IntN(4))
		}
	}
	return data
}

// BenchmarkSparseProducts times an intermediate pass's kernel (Omega32.ProductFrames, 26
// sketch columns) on a block of 256 frames of 128×128 pixels at several densities: up to
// 0.5 through the sparse kernels, listing the values every pass ("list") or reading them
// kept from an earlier pass ("kept"), above through sgemm. Run it with -tags openblas to
// compare with OpenBLAS's sgemm, as the binary uses it.
func BenchmarkSparseProducts(b *testing.B) {
	const n, d, m = 256, 16384, 26
	o := linalg.NewOmega32(gaussian(m, d, rand.New(rand.NewPCG(3, 3))))
	so := o.Shift(make([]float64, d))
	scratch := make([]float32, linalg.Scratch32(m, d))
	for _, density := range []float64{0.001, 0.1, 0.25, 0.4, 0.5, 0.6, 1} {
		data := countsAt(n, d, density)
		kinds := []string{"list", "kept"}
		if density > 0.5 {
			kinds = []string{"dense"}
		}
		for _, kind := range kinds {
			b.Run(fmt.Sprintf("density=%v/%s", density, kind), func(b *testing.B) {
				var sb *linalg.SparseBlock
				if kind == "kept" {
					sb = &linalg.SparseBlock{}
				}
				var p mat.Dense
				for b.Loop() {
					so.ProductFramesTo(&p, data, n, d, scratch, sb)
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*n)*1e6, "µs/frame")
			})
		}
	}
}
