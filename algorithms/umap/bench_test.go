package umap

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

func benchRows(n, dim int) []float32 {
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// knnBench measures the kNN block kernel: the k = 15 neighbours of n own rows among n
// travelling rows (float32 screening products plus the float64 recomputation).
func knnBench(b *testing.B, n, dim int, metric Metric) {
	x := benchRows(2*n, dim)
	kn := newKernel(dim, 15, metric)
	kn.shift = x[:dim]
	own := kn.prepare(&rowSet{}, x[:n*dim], 0, n)
	cand := kn.prepare(&rowSet{}, x[n*dim:], n, n)
	b.SetBytes(int64(n) * int64(n) * int64(dim) * 4) // screened pairs × row bytes
	b.ReportAllocs()
	for b.Loop() {
		kn.search(newTopK(n, 15, 0), own, cand, 0, n)
	}
}

func BenchmarkKNNBlock1024x64(b *testing.B)         { knnBench(b, 1024, 64, Euclidean) }
func BenchmarkKNNBlock1024x1024(b *testing.B)       { knnBench(b, 1024, 1024, Euclidean) }
func BenchmarkKNNBlockCosine1024x1024(b *testing.B) { knnBench(b, 1024, 1024, Cosine) }

// epochBench measures one SGD epoch on one rank for n points in 10 clusters of 10-D.
func epochBench(b *testing.B, n, subBatches int) {
	const dim = 10
	r := rand.New(rand.NewPCG(2, 2))
	x := make([]float32, n*dim)
	for i := range n {
		for d := range dim {
			x[i*dim+d] = float32(5*float64((i%10)*(d+1)%7) + r.NormFloat64())
		}
	}
	c := inproc.Single()
	plan := spmd.NewPlan(n, 0, 1, 0)
	o, err := Settings{SubBatches: subBatches, Init: Random}.setup(n)
	if err != nil {
		b.Fatal(err)
	}
	nb, err := NearestNeighbors(context.Background(), c, plan, x, dim, o.k, o.metric)
	if err != nil {
		b.Fatal(err)
	}
	g, err := FuzzySimplicialSet(c, plan, nb, o.mix)
	if err != nil {
		b.Fatal(err)
	}
	eg, err := prune(c, plan, g, o)
	if err != nil {
		b.Fatal(err)
	}
	emb, err := initialise(context.Background(), c, plan, x, dim, eg, o, &Result{})
	if err != nil {
		b.Fatal(err)
	}
	a, bb := FindAB(o.spread, o.minDist)
	opt := newOptimizer(c, plan, eg, o, a, bb, emb)
	b.ReportAllocs()
	epoch := 0
	for b.Loop() {
		// Cycle through the schedule so that every epoch samples as in a real run.
		if err := opt.epoch(context.Background(), epoch%o.nEpochs); err != nil {
			b.Fatal(err)
		}
		epoch++
	}
	b.ReportMetric(float64(eg.total), "edges")
}

func BenchmarkEpoch2000(b *testing.B)   { epochBench(b, 2000, DefaultSubBatches) }
func BenchmarkEpoch2000S1(b *testing.B) { epochBench(b, 2000, 1) }
func BenchmarkEpoch20000(b *testing.B)  { epochBench(b, 20000, DefaultSubBatches) }
