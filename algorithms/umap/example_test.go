package umap_test

import (
	"context"
	"fmt"

	"github.com/stemreduce/stemreduce/algorithms/umap"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

func ExampleFindAB() {
	a, b := umap.FindAB(1, 0.1) // spread 1, min_dist 0.1: umap-learn's defaults
	fmt.Printf("a = %.4f, b = %.4f\n", a, b)
	// Output:
	// a = 1.5769, b = 0.8951
}

func ExampleNearestNeighbors() {
	// Six points on a line, one of them twice; each point's 3 nearest neighbours, itself
	// first. Equal distances are ordered by index.
	x := []float32{0, 1, 3, 3, 6, 10}
	c := inproc.Single()
	plan := spmd.NewPlan(len(x), 0, c.Size(), c.Rank())
	nb, err := umap.NearestNeighbors(context.Background(), c, plan, x, 1, 3, umap.Euclidean)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range nb.NLocal() {
		fmt.Printf("%d: %v %.4f\n", i, nb.Indices[3*i:3*i+3], nb.Dists[3*i:3*i+3])
	}
	// Output:
	// 0: [0 1 2] [0.0000 1.0000 3.0000]
	// 1: [1 0 2] [0.0000 1.0000 2.0000]
	// 2: [2 3 1] [0.0000 0.0000 2.0000]
	// 3: [3 2 1] [0.0000 0.0000 2.0000]
	// 4: [4 2 3] [0.0000 3.0000 3.0000]
	// 5: [5 4 2] [0.0000 4.0000 7.0000]
}

func ExampleEmbed() {
	// Two well-separated groups of four points in 3-D on one rank.
	x := []float32{
		0, 0, 0, 0.1, 0, 0, 0, 0.1, 0, 0, 0, 0.1,
		9, 9, 9, 9.1, 9, 9, 9, 9.1, 9, 9, 9, 9.1,
	}
	c := inproc.Single()
	plan := spmd.NewPlan(8, 0, c.Size(), c.Rank())
	res, err := umap.Embed(context.Background(), c, plan, x, 3, umap.Settings{NNeighbors: 3, NEpochs: 100, Init: umap.Random})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := res.Embedding
	d := func(i, j int) float32 {
		dx, dy := e[2*i]-e[2*j], e[2*i+1]-e[2*j+1]
		return dx*dx + dy*dy
	}
	fmt.Println("a point is nearer its own group:", d(0, 1) < d(0, 4) && d(5, 6) < d(5, 2))
	fmt.Println("edges:", res.Edges, "status:", res.Status)
	// Output:
	// a point is nearer its own group: true
	// edges: 20 status: success
}
