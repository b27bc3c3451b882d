package umap_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/stemreduce/stemreduce/algorithms/umap"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// refFuzzySet computes umap-learn's fuzzy_simplicial_set on one process from the
// brute-force neighbours, following umap_.py (0.5.3) smooth_knn_dist,
// compute_membership_strengths and the set operations on a dense matrix.
func refFuzzySet(idx []int, dist []float64, n, k int, mix float64) (rho, sigma []float64, w [][]float64) {
	rho, sigma = make([]float64, n), make([]float64, n)
	meanAll := 0.0
	for _, d := range dist {
		meanAll += d
	}
	meanAll /= float64(len(dist))
	target := math.Log2(float64(k))
	for i := range n {
		row := dist[i*k : (i+1)*k]
		for _, d := range row {
			if d > 0 {
				rho[i] = d
				break
			}
		}
		lo, hi, mid := 0.0, math.Inf(1), 1.0
		for it := 0; it < 64; it++ {
			psum := 0.0
			for j := 1; j < k; j++ {
				if d := row[j] - rho[i]; d > 0 {
					psum += math.Exp(-(d / mid))
				} else {
					psum += 1.0
				}
			}
			if math.Abs(psum-target) < 1e-5 {
				break
			}
			if psum > target {
				hi = mid
				mid = (lo + hi) / 2.0
			} else {
				lo = mid
				if hi == math.Inf(1) {
					mid *= 2
				} else {
					mid = (lo + hi) / 2.0
				}
			}
		}
		sigma[i] = mid
		mean := 0.0
		for _, d := range row {
			mean += d
		}
		mean /= float64(k)
		if rho[i] > 0 {
			sigma[i] = math.Max(sigma[i], 1e-3*mean)
		} else {
			sigma[i] = math.Max(sigma[i], 1e-3*meanAll)
		}
	}
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n)
	}
	for i := range n {
		for j := range k {
			col, d := idx[i*k+j], dist[i*k+j]
			var v float64
			switch {
			case col == i:
				v = 0
			case d-rho[i] <= 0 || sigma[i] == 0:
				v = 1
			default:
				v = math.Exp(-((d - rho[i]) / sigma[i]))
			}
			a[i][col] = v
		}
	}
	w = make([][]float64, n)
	for i := range n {
		w[i] = make([]float64, n)
		for j := range n {
			p := a[i][j] * a[j][i]
			w[i][j] = mix*(a[i][j]+a[j][i]-p) + (1-mix)*p
		}
	}
	return rho, sigma, w
}

func TestFuzzySimplicialSet(t *testing.T) {
	tests := []struct {
		name      string
		n, dim, k int
		x         []float32
		mix       float64 // the setting; a negative value means 0
	}{
		{name: "clusters union", n: 150, dim: 8, k: 10, x: first(clusters(150, 8, 3, 3, 11)), mix: 1},
		{name: "clusters mixed", n: 150, dim: 8, k: 10, x: first(clusters(150, 8, 3, 3, 12)), mix: 0.3},
		{name: "duplicates intersection", n: 90, dim: 4, k: 6, x: withDuplicates(90, 4, 6, 13), mix: -1},
		{name: "duplicates union", n: 90, dim: 4, k: 6, x: withDuplicates(90, 4, 6, 14), mix: 1},
	}
	for _, tc := range tests {
		idx, dist := bruteKNN(tc.x, tc.n, tc.dim, tc.k, umap.Euclidean)
		mix := math.Max(tc.mix, 0)
		rho, sigma, w := refFuzzySet(idx, dist, tc.n, tc.k, mix)
		wantEdges, wantMax := 0, 0.0
		for i := range tc.n {
			for j := range tc.n {
				if w[i][j] != 0 {
					wantEdges++
					wantMax = math.Max(wantMax, w[i][j])
				}
			}
		}
		for _, p := range ranks {
			t.Run(fmt.Sprintf("%s/P=%d", tc.name, p), func(t *testing.T) {
				got, err := onRanks(p, tc.n, 4, func(c collective.Comm, plan spmd.Plan) (*umap.Graph, error) {
					nb, err := umap.NearestNeighbors(context.Background(), c, plan, tc.x[plan.Beg*tc.dim:plan.End*tc.dim], tc.dim, tc.k, umap.Euclidean)
					if err != nil {
						return nil, err
					}
					return umap.FuzzySimplicialSet(c, plan, nb, mix)
				})
				if err != nil {
					t.Fatal(err)
				}
				// rho is a neighbour distance, compared exactly; sigma comes from the same
				// bisection and differs only if a psum lands within rounding of the
				// tolerance; weights are a few exp and products in float64.
				const tol = 1e-12
				for _, g := range got {
					if g.Edges != int64(wantEdges) || g.MaxWeight != wantMax {
						t.Fatalf("graph has %d edges, max weight %v; want %d, %v", g.Edges, g.MaxWeight, wantEdges, wantMax)
					}
					for i := range g.NLocal() {
						gi := g.Beg + i
						if g.Rho[i] != rho[gi] || !scalar.EqualWithinAbsOrRel(g.Sigma[i], sigma[gi], tol, tol) {
							t.Fatalf("row %d: rho, sigma = %v, %v; want %v, %v", gi, g.Rho[i], g.Sigma[i], rho[gi], sigma[gi])
						}
						nz := 0
						for j := range tc.n {
							if w[gi][j] != 0 {
								nz++
							}
						}
						if got := g.Indptr[i+1] - g.Indptr[i]; got != nz {
							t.Fatalf("row %d: %d entries, want %d", gi, got, nz)
						}
						for e := g.Indptr[i]; e < g.Indptr[i+1]; e++ {
							j := g.Tails[e]
							if e > g.Indptr[i] && j <= g.Tails[e-1] {
								t.Fatalf("row %d: columns not increasing", gi)
							}
							if !scalar.EqualWithinAbsOrRel(g.Weights[e], w[gi][j], tol, tol) {
								t.Fatalf("w(%d, %d) = %v, want %v", gi, j, g.Weights[e], w[gi][j])
							}
						}
					}
				}
			})
		}
	}
}

func TestSmoothKNNDistTarget(t *testing.T) {
	// Property: at the returned sigma, Σ_{j≥1} exp(−max(0, d_j − rho)/sigma) = log2 k to the
	// bisection tolerance (1e-5), unless the floor applies.
	tests := []struct {
		name  string
		dists []float64
	}{
		{"spread", []float64{0, 0.5, 0.7, 0.9, 1.2, 1.3, 2, 2.5}},
		{"duplicate first", []float64{0, 0, 0.4, 0.41, 0.8, 1.1}},
		{"wide", []float64{0, 0.1, 1, 2, 3, 4, 5, 6, 7, 8}},
	}
	for _, tc := range tests {
		rho, sigma := umap.SmoothKNNDist(tc.dists, 1)
		sum := 0.0
		for _, d := range tc.dists[1:] {
			sum += math.Exp(-math.Max(0, d-rho) / sigma)
		}
		if want := math.Log2(float64(len(tc.dists))); math.Abs(sum-want) > 1e-5 {
			t.Errorf("%s: Σ exp = %v at sigma %v, want %v", tc.name, sum, sigma, want)
		}
	}
	// All neighbours at rho: every term is 1 > log2 k / (k−1), so sigma falls to its floor,
	// 1e-3 times the mean distance of the row.
	if _, sigma := umap.SmoothKNNDist([]float64{0, 1, 1, 1, 1}, 7); !scalar.EqualWithinRel(sigma, 1e-3*0.8, 1e-15) {
		t.Errorf("equal: sigma = %v, want the floor %v", sigma, 1e-3*0.8)
	}
	// All neighbours at distance 0: rho is 0 and sigma is floored at 1e-3·meanAll.
	if rho, sigma := umap.SmoothKNNDist([]float64{0, 0, 0, 0}, 2); rho != 0 || sigma < 2e-3 {
		t.Errorf("all zero: rho, sigma = %v, %v, want 0 and at least 2e-3", rho, sigma)
	}
}
