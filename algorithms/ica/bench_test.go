package ica_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/ica"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
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
	y := make([]float64, ica.ScratchLen(k))
	pk := ica.NewParKernel(k, w)
	b.SetBytes(int64(8 * rows * k))
	b.ReportAllocs()
	for b.Loop() {
		clear(dst)
		ica.ParallelBlock(dst, z, rows, pk, y, fun, 1)
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

var sinkResult *ica.Result

// benchFit times whole parallel FastICA iterations on one in-process rank with one
// worker (what `mpirun -n 1` gives a rank bound to one core): n frames in blocks of
// spmd.BlockSize(n), k components, scores of Laplace sources mixed by a fixed rotation,
// MaxIter iterations (the tolerance is unreachable, so every run makes all of them).
// It reports the time per iteration and per frame and iteration; whitening and the
// outputs are included but are small next to the iterations.
func benchFit(b *testing.B, n, k, maxIter int, fun ica.Fun) {
	r := rand.New(rand.NewPCG(3, 1))
	scores := mat.NewDense(n, k, nil)
	for i := range n {
		for j := range k {
			u := r.Float64() - 0.5 // Laplace: super-Gaussian, as diffraction sources are
			v := -1.0
			if u < 0 {
				u, v = -u, 1
			}
			scores.Set(i, j, v*float64(j+1)*math.Log(1-2*u))
		}
	}
	variance := make([]float64, k)
	for j := range k {
		var s float64
		for i := range n {
			s += scores.At(i, j) * scores.At(i, j)
		}
		variance[j] = s / float64(n-1)
	}
	set := ica.Settings{K: k, Fun: fun, MaxIter: maxIter, Tol: 1e-300}
	b.ReportAllocs()
	iters := 0
	for b.Loop() {
		errs := inproc.Run(1, func(c collective.Comm) error {
			plan := spmd.NewPlan(n, 0, 1, 0)
			res, err := ica.FitScores(context.Background(), c, &spmd.Env{Workers: 1}, plan, scores, variance, nil, set)
			if err == nil {
				sinkResult = res
				iters += res.NIter
			}
			return err
		})
		if errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
	perIter := b.Elapsed().Seconds() / float64(iters)
	b.ReportMetric(perIter*1e6, "µs/iter")
	b.ReportMetric(perIter/float64(n)*1e9, "ns/frame-iter")
}

func BenchmarkFitLogCosh16384k4(b *testing.B)  { benchFit(b, 16384, 4, 20, ica.LogCosh) }
func BenchmarkFitLogCosh16384k10(b *testing.B) { benchFit(b, 16384, 10, 20, ica.LogCosh) }
func BenchmarkFitLogCosh16384k20(b *testing.B) { benchFit(b, 16384, 20, 20, ica.LogCosh) }
func BenchmarkFitExp16384k10(b *testing.B)     { benchFit(b, 16384, 10, 20, ica.Exp) }
func BenchmarkFitCube16384k10(b *testing.B)    { benchFit(b, 16384, 10, 20, ica.Cube) }

// BenchmarkTanhSlice times the tanh of the logcosh contrast on 640 values (a chunk of 64
// frames with K = 10) of the spread of α·wᵀz.
func BenchmarkTanhSlice(b *testing.B) {
	x := tanhInputs(640, 3)
	y := make([]float64, len(x))
	b.SetBytes(int64(8 * len(x)))
	for b.Loop() {
		copy(y, x)
		ica.TanhSlice(y, 1)
	}
	sinkPartial = y
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/float64(len(x)), "ns/value")
}

// BenchmarkExpSlice times the exponential of the exp contrast, exp(−u²/2), on 640 values
// (a chunk of 64 frames with K = 10) of the spread of wᵀz.
func BenchmarkExpSlice(b *testing.B) {
	x := tanhInputs(640, 3)
	e := make([]float64, len(x))
	b.SetBytes(int64(8 * len(x)))
	for b.Loop() {
		ica.ExpNegHalfSqSlice(e, x)
	}
	sinkPartial = e
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/float64(len(x)), "ns/value")
}
