package ica_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/ica"
)

var sinkPartial []float64

// blockData returns rows×k whitened-like values and a k×k matrix with rows of unit norm.
func blockData(rows, k int) (z, w []float64) {
	r := rand.New(rand.NewPCG(1, 1))
	z = make([]float64, rows*k)
	for i := range z {
		z[i] = r.NormFloat64()
	}
	w = make([]float64, k*k)
	for i := range k {
		w[i*k+i] = 1
		w[i*k+(i+1)%k] = 0.1
	}
	return z, w
}

// benchParallel times the block kernel of one parallel iteration on a block of rows
// frames with k components: k contrast evaluations and 4k² flops per frame. It reports
// the frames per second and the flop rate of the products alone.
func benchParallel(b *testing.B, rows, k int, fun ica.Fun) {
	z, w := blockData(rows, k)
	dst := make([]float64, k*k+k)
	y := make([]float64, ica.ChunkRows*k)
	b.SetBytes(int64(8 * rows * k))
	b.ReportAllocs()
	for b.Loop() {
		clear(dst)
		ica.ParallelBlock(dst, z, rows, k, w, y, fun, 1)
	}
	sinkPartial = dst
	frames := float64(rows) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(frames/1e6, "Mframes/s")
	b.ReportMetric(4*float64(k*k)*frames/1e9, "GFLOP/s")
}

func benchDeflation(b *testing.B, rows, k int, fun ica.Fun) {
	z, w := blockData(rows, k)
	dst := make([]float64, k+1)
	y := make([]float64, ica.ChunkRows)
	b.SetBytes(int64(8 * rows * k))
	b.ReportAllocs()
	for b.Loop() {
		clear(dst)
		ica.DeflationBlock(dst, z, rows, k, w[:k], y, fun, 1)
	}
	sinkPartial = dst
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mframes/s")
}

func BenchmarkParallelBlock1024k4(b *testing.B)  { benchParallel(b, 1024, 4, ica.LogCosh) }
func BenchmarkParallelBlock1024k10(b *testing.B) { benchParallel(b, 1024, 10, ica.LogCosh) }
func BenchmarkParallelBlock1024k20(b *testing.B) { benchParallel(b, 1024, 20, ica.LogCosh) }
func BenchmarkParallelBlock256k20(b *testing.B)  { benchParallel(b, 256, 20, ica.LogCosh) }

func BenchmarkParallelBlockFun(b *testing.B) {
	for _, fun := range []ica.Fun{ica.LogCosh, ica.Cube} {
		b.Run(fmt.Sprintf("%v/1024k20", fun), func(b *testing.B) { benchParallel(b, 1024, 20, fun) })
	}
	for _, fun := range []ica.Fun{ica.LogCosh, ica.Exp, ica.Cube} {
		b.Run(fmt.Sprintf("%v/1024k10", fun), func(b *testing.B) { benchParallel(b, 1024, 10, fun) })
	}
}

func BenchmarkDeflationBlock1024k10(b *testing.B) { benchDeflation(b, 1024, 10, ica.LogCosh) }
