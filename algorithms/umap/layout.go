package umap

import (
	"context"
	"math"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/rng"
	"github.com/stemreduce/stemreduce/spmd"
)

// initNoise is the standard deviation of the noise umap-learn adds to a spectral or PCA
// initialisation scaled to a largest coordinate of 10.
const initNoise = 1e-4

// initialise returns the initial N×2 embedding, the same on every rank, and records the
// initialisation used in res. Every random value comes from the stream (Seed, rng.Init,
// global row). As umap-learn, every initialisation is finally rescaled to [0, 10] per
// coordinate.
// Collective.
func initialise(ctx context.Context, c collective.Comm, plan spmd.Plan, x []float32, dim int, eg *edges, o settings, res *Result) ([]float32, error) {
	nLocal := plan.NLocal()
	local := make([]float32, 2*nLocal)
	res.Init = o.init
	var coords [2][]float64
	switch o.init {
	case Spectral:
		vecs, ncomp, iters, ok, err := spectral(ctx, c, plan, eg, o.seed, x, dim, o.metric)
		if err != nil {
			return nil, err
		}
		res.LanczosIter, res.Components = iters, ncomp
		if ok {
			coords = vecs
		} else {
			res.Init, res.Status = Random, SpectralFallback
		}
	case PCA:
		coords = [2][]float64{make([]float64, nLocal), make([]float64, nLocal)}
		for i := range nLocal {
			coords[0][i], coords[1][i] = float64(o.pcaScores[2*i]), float64(o.pcaScores[2*i+1])
		}
	}
	if res.Init == Random {
		for i := range nLocal {
			s := rng.New(o.seed, rng.Init, uint64(plan.Beg+i))
			local[2*i] = float32(-10 + 20*s.Float64())
			local[2*i+1] = float32(-10 + 20*s.Float64())
		}
	} else {
		// umap-learn's noisy_scale_coords: expansion = 10/max|coord|, then N(0, 1e-4) noise.
		m := []float64{0}
		for _, v := range coords {
			for _, x := range v {
				m[0] = max(m[0], math.Abs(x))
			}
		}
		if err := c.AllreduceFloat64(m, collective.Max); err != nil {
			return nil, err
		}
		expansion := 0.0
		if m[0] > 0 {
			expansion = 10 / m[0]
		}
		for i := range nLocal {
			s := rng.New(o.seed, rng.Init, uint64(plan.Beg+i))
			for d := range 2 {
				local[2*i+d] = float32(coords[d][i]*expansion) + float32(initNoise*s.Normal())
			}
		}
	}
	size := c.Size()
	counts := make([]int, size)
	for r := range size {
		counts[r] = 2 * spmd.NewPlan(plan.N, plan.B, size, r).NLocal()
	}
	emb, err := collective.AllgathervOf(c, nil, local, counts)
	if err != nil {
		return nil, err
	}
	// 10·(y − min)/(max − min) per coordinate, as simplicial_set_embedding before the SGD.
	for d := range 2 {
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for i := d; i < len(emb); i += 2 {
			lo, hi = min(lo, emb[i]), max(hi, emb[i])
		}
		if !(hi > lo) {
			continue
		}
		for i := d; i < len(emb); i += 2 {
			emb[i] = 10 * (emb[i] - lo) / (hi - lo)
		}
	}
	return emb, nil
}
