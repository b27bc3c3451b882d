package ica_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/stemreduce/stemreduce/algorithms/ica"
	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

func Example() {
	// 2000 frames of 3 pixels: a Laplace and a uniform source mixed, on an offset.
	const n, d = 2000, 3
	r := rand.New(rand.NewPCG(1, 1))
	lap, uni := make([]float64, n), make([]float64, n)
	frames := make([]float32, n*d)
	for f := range n {
		lap[f] = r.ExpFloat64() * float64(2*r.IntN(2)-1)
		uni[f] = 2*r.Float64() - 1
		frames[f*d+0] = float32(10 + 1.0*lap[f] + 2.0*uni[f])
		frames[f*d+1] = float32(20 + 0.5*lap[f] - 1.0*uni[f])
		frames[f*d+2] = float32(30 - 0.3*lap[f] + 0.4*uni[f])
	}
	src := memSource{frames, d}

	// One in-process rank; under MPI every rank runs the same code on its own frames.
	errs := inproc.Run(1, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, 0, c.Size(), c.Rank())
		p, err := pca.Fit(context.Background(), c, nil, plan, d, src, pca.Settings{K: 2, Solver: pca.Gram})
		if err != nil {
			return err
		}
		res, err := ica.Fit(context.Background(), c, nil, plan, p, ica.Settings{Seed: 1})
		if err != nil {
			return err
		}
		fmt.Printf("%v FastICA (%v): %v after %d iterations\n", res.Algorithm, res.Fun, res.Status, res.NIter)
		for i := range res.K {
			col := mat.Col(nil, i, res.Sources)
			fmt.Printf("source %d: variance %.4f of the data, factor %.4f, |corr| with laplace %.4f, uniform %.4f\n",
				i, res.ExplainedVariance[i], res.Factors.RawRowView(i),
				math.Abs(stat.Correlation(col, lap, nil)), math.Abs(stat.Correlation(col, uni, nil)))
		}
		return nil
	})
	if errs[0] != nil {
		log.Fatal(errs[0])
	}

	// The factors are the mixing columns times the sources' standard deviations:
	// (1, 0.5, −0.3)·√2 = (1.414, 0.707, −0.424) and (2, −1, 0.4)/√3 = (1.155, −0.577, 0.231).

	// Output:
	// parallel FastICA (logcosh): converged after 4 iterations
	// source 0: variance 2.7198 of the data, factor [1.4373 0.6915 -0.4176], |corr| with laplace 0.9998, uniform 0.0237
	// source 1: variance 1.7446 of the data, factor [1.1759 -0.5588 0.2206], |corr| with laplace 0.0206, uniform 0.9997
}
