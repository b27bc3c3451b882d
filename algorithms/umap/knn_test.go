package umap_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/stemreduce/stemreduce/algorithms/umap"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// withDuplicates returns clustered points where rows 5..9 copy row 0, every third row
// of the last 20 copies the row before it, and a group of k+2 identical rows exists, so
// that ties at distance 0 occur with fewer and with more duplicates than neighbours.
func withDuplicates(n, dim, k int, seed uint64) []float32 {
	x, _ := clusters(n, dim, 3, 4, seed)
	for i := 5; i < 10; i++ {
		copy(x[i*dim:(i+1)*dim], x[:dim])
	}
	for i := n - 20; i < n; i += 3 {
		copy(x[i*dim:(i+1)*dim], x[(i-1)*dim:i*dim])
	}
	for i := 20; i < 20+k+2; i++ {
		copy(x[i*dim:(i+1)*dim], x[19*dim:20*dim])
	}
	return x
}

// withOffset returns random rows with a large common offset (as detector counts), where
// float32 screening distances lose most of their digits unless the rows are shifted.
func withOffset(n, dim int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = float32(1e4 + math.Floor(r.Float64()*30))
	}
	return x
}

// withZeros returns random rows where rows 3 and 11 are zero, for the cosine and
// correlation conventions (two zero rows are at distance 0, a zero row at distance 1).
func withZeros(n, dim int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for _, i := range []int{3, 11} {
		clear(x[i*dim : (i+1)*dim])
	}
	// A constant row has zero variance: correlation treats it as a zero row.
	for d := range dim {
		x[7*dim+d] = 2.5
	}
	return x
}

func TestNearestNeighbors(t *testing.T) {
	tests := []struct {
		name        string
		n, dim, k   int
		block       int // frames per block; 0 means spmd.BlockSize
		metric      umap.Metric
		x           []float32
		wantDupRows bool
	}{
		{name: "clusters", n: 300, dim: 12, k: 15, block: 8, metric: umap.Euclidean, x: first(clusters(300, 12, 4, 3, 1))},
		{name: "duplicates", n: 120, dim: 5, k: 6, block: 4, metric: umap.Euclidean, x: withDuplicates(120, 5, 6, 2)},
		{name: "offset", n: 150, dim: 40, k: 10, block: 4, metric: umap.Euclidean, x: withOffset(150, 40, 3)},
		{name: "tiny", n: 9, dim: 3, k: 8, block: 4, metric: umap.Euclidean, x: first(clusters(9, 3, 2, 1, 4))},
		{name: "cosine", n: 200, dim: 20, k: 12, block: 4, metric: umap.Cosine, x: withZeros(200, 20, 5)},
		{name: "correlation", n: 200, dim: 20, k: 12, block: 4, metric: umap.Correlation, x: withZeros(200, 20, 6)},
		{name: "cosine duplicates", n: 100, dim: 6, k: 5, block: 4, metric: umap.Cosine, x: withDuplicates(100, 6, 5, 7)},
		{name: "one block", n: 50, dim: 7, k: 2, metric: umap.Euclidean, x: first(clusters(50, 7, 2, 2, 8))},
	}
	for _, tc := range tests {
		wantIdx, wantDist := bruteKNN(tc.x, tc.n, tc.dim, tc.k, tc.metric)
		for _, p := range ranks {
			t.Run(fmt.Sprintf("%s/P=%d", tc.name, p), func(t *testing.T) {
				got, err := onRanks(p, tc.n, tc.block, func(c collective.Comm, plan spmd.Plan) (*umap.Neighbors, error) {
					return umap.NearestNeighbors(context.Background(), c, plan, tc.x[plan.Beg*tc.dim:plan.End*tc.dim], tc.dim, tc.k, tc.metric)
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, nb := range got {
					for i := range nb.NLocal() {
						gi := nb.Beg + i
						for j := range tc.k {
							gIdx, gDist := nb.Indices[i*tc.k+j], nb.Dists[i*tc.k+j]
							wIdx, wDist := wantIdx[gi*tc.k+j], wantDist[gi*tc.k+j]
							// The same float64 formula in the same order: the distances
							// agree to rounding, and with no near-ties the order is exact.
							if gIdx != wIdx || !scalar.EqualWithinAbsOrRel(gDist, wDist, 1e-13, 1e-13) {
								t.Fatalf("row %d neighbour %d: got (%d, %v), want (%d, %v)", gi, j, gIdx, gDist, wIdx, wDist)
							}
						}
						if nb.Indices[i*tc.k] != gi || nb.Dists[i*tc.k] != 0 {
							t.Fatalf("row %d: first neighbour (%d, %v), want itself at 0", gi, nb.Indices[i*tc.k], nb.Dists[i*tc.k])
						}
					}
				}
			})
		}
	}
}

func first[A, B any](a A, _ B) A { return a }

// TestNearestNeighborsRepeatable checks that a second call on the same ranks gives the
// same bits (no state is kept between calls).
func TestNearestNeighborsRepeatable(t *testing.T) {
	const n, dim, k = 80, 6, 7
	x := withDuplicates(n, dim, k, 9)
	_, err := onRanks(3, n, 4, func(c collective.Comm, plan spmd.Plan) (bool, error) {
		local := x[plan.Beg*dim : plan.End*dim]
		a, err := umap.NearestNeighbors(context.Background(), c, plan, local, dim, k, umap.Euclidean)
		if err != nil {
			return false, err
		}
		b, err := umap.NearestNeighbors(context.Background(), c, plan, local, dim, k, umap.Euclidean)
		if err != nil {
			return false, err
		}
		for i := range a.Indices {
			if a.Indices[i] != b.Indices[i] || a.Dists[i] != b.Dists[i] {
				return false, fmt.Errorf("entry %d differs between calls", i)
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
