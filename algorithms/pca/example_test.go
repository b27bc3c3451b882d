package pca_test

import (
	"context"
	"fmt"
	"log"

	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/io/synth"
	"github.com/stemreduce/stemreduce/spmd"
)

func Example() {
	// A synthetic 4D-STEM scan of three crystalline phases with Poisson noise.
	p, err := synth.Parse("scan=32x32,det=16x16,phases=3,seed=1")
	if err != nil {
		log.Fatal(err)
	}
	src := synth.New(p)
	defer src.Close()
	sh := src.Shape()

	// One in-process rank; under MPI every rank runs the same code on its own frames.
	errs := inproc.Run(1, func(c collective.Comm) error {
		plan := spmd.NewPlan(sh.N(), 0, c.Size(), c.Rank())
		res, err := pca.Fit(context.Background(), c, nil, plan, sh.D(), src, pca.Settings{K: 3, Solver: pca.Randomized, Seed: 1})
		if err != nil {
			return err
		}
		fmt.Printf("%v solver: %d passes, %d power iterations, sketch of %d columns\n", res.Solver, res.Passes, res.Iter, res.Sketch)
		for i, r := range res.ExplainedVarianceRatio {
			fmt.Printf("component %d: %.4f of the variance, singular value %.4f\n", i, r, res.SingularValues[i])
		}
		fmt.Printf("noise variance %.4f\n", res.NoiseVariance)
		fmt.Printf("frame 0 scores %.4f\n", res.Scores.RawRowView(0))
		return nil
	})
	if errs[0] != nil {
		log.Fatal(errs[0])
	}

	// Output:
	// randomized solver: 8 passes, 7 power iterations, sketch of 13 columns
	// component 0: 0.4255 of the variance, singular value 1091.3413
	// component 1: 0.1871 of the variance, singular value 723.6513
	// component 2: 0.0856 of the variance, singular value 489.4182
	// noise variance 3.2646
	// frame 0 scores [-19.9750 29.2198 -24.1479]
}
