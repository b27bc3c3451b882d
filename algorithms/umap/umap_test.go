package umap_test

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/umap"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

func TestFindAB(t *testing.T) {
	// Reference values: umap-learn 0.5.3 umap_.find_ab_params with SciPy 1.10.1
	// (Debian bookworm). SciPy's curve_fit stops when the relative reduction of the sum of
	// squares is below 1.49e-8, which leaves the parameters accurate to about 1e-6
	// relative; our fit iterates further, hence the tolerance.
	tests := []struct {
		spread, minDist float64
		a, b            float64
	}{
		{1, 0.1, 1.5769434601962196, 0.8950608779914887},
		{1, 0, 1.9328083975546724, 0.7904949734010681},
		{1, 0.5, 0.583030020479462, 1.3341669929263487},
		{2, 0.25, 0.41627349693884963, 0.9218551322340262},
		{0.5, 0.05, 5.453765169450458, 0.895060800578879},
		{1, 0.001, 1.9290733952004866, 0.7915045329560677},
	}
	const tol = 1e-5
	for _, tc := range tests {
		a, b := umap.FindAB(tc.spread, tc.minDist)
		if !scalar.EqualWithinRel(a, tc.a, tol) || !scalar.EqualWithinRel(b, tc.b, tol) {
			t.Errorf("FindAB(%v, %v) = %v, %v; want %v, %v", tc.spread, tc.minDist, a, b, tc.a, tc.b)
		}
	}
	// The documented defaults, to the precision umap-learn's documentation quotes.
	if a, b := umap.FindAB(1, 0.1); math.Abs(a-1.577) > 1e-3 || math.Abs(b-0.895) > 1e-3 {
		t.Errorf("defaults: a, b = %v, %v; want about 1.577, 0.895", a, b)
	}
}

// pcaScores returns the first two principal scores of the rows of x, n×2 row-major.
func pcaScores(x []float32, n, dim int) []float32 {
	a := mat.NewDense(n, dim, nil)
	for j := range dim {
		mean := 0.0
		for i := range n {
			mean += float64(x[i*dim+j])
		}
		mean /= float64(n)
		for i := range n {
			a.Set(i, j, float64(x[i*dim+j])-mean)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		panic("pca: SVD failed")
	}
	var u mat.Dense
	svd.UTo(&u)
	s := svd.Values(nil)
	out := make([]float32, 2*n)
	for i := range n {
		for d := range 2 {
			out[2*i+d] = float32(u.At(i, d) * s[d])
		}
	}
	return out
}

// embedOn runs Embed on p ranks with blocks of b rows and returns the result of every rank.
func embedOn(p, n, dim, b int, x []float32, s umap.Settings, scores []float32) ([]*umap.Result, error) {
	return onRanks(p, n, b, func(c collective.Comm, plan spmd.Plan) (*umap.Result, error) {
		ls := s
		if scores != nil {
			ls.PCAScores = scores[2*plan.Beg : 2*plan.End]
		}
		return umap.Embed(context.Background(), c, plan, x[plan.Beg*dim:plan.End*dim], dim, ls)
	})
}

func TestEmbedDeterministic(t *testing.T) {
	const dim = 8
	tests := []struct {
		name string
		n    int
		s    umap.Settings
	}{
		{"spectral", 203, umap.Settings{NNeighbors: 10, NEpochs: 40, Seed: 3}},
		{"random cosine", 203, umap.Settings{NNeighbors: 8, NEpochs: 30, Init: umap.Random, Metric: umap.Cosine, Seed: 4, SubBatches: 7}},
		{"pca mixed", 203, umap.Settings{NNeighbors: 12, NEpochs: 30, Init: umap.PCA, SetOpMixRatio: 0.5, MinDist: -1, Seed: 5}},
		// 3 blocks of 4 rows: with 4 or 7 ranks some ranks own no rows.
		{"tiny spectral", 11, umap.Settings{NNeighbors: 4, NEpochs: 50, Seed: 6}},
	}
	for _, tc := range tests {
		n := tc.n
		x, _ := clusters(n, dim, 4, 3, 21)
		scores := pcaScores(x, n, dim)
		t.Run(tc.name, func(t *testing.T) {
			var want []float32
			for _, procs := range []int{1, 2} {
				old := runtime.GOMAXPROCS(procs)
				for _, p := range ranks {
					// Blocks of 4 rows, so that 7 ranks split the rows unevenly.
					res, err := embedOn(p, n, dim, 4, x, tc.s, scores)
					if err != nil {
						runtime.GOMAXPROCS(old)
						t.Fatal(err)
					}
					for r, got := range res {
						if got.Status != umap.Success {
							t.Errorf("P=%d rank %d: status %v", p, r, got.Status)
						}
						if want == nil {
							want = got.Embedding
						}
						if !slices.Equal(got.Embedding, want) {
							i := 0
							for i < len(want)-1 && got.Embedding[i] == want[i] {
								i++
							}
							t.Errorf("GOMAXPROCS=%d P=%d rank %d: embedding differs from the first run at value %d: %v vs %v",
								procs, p, r, i, got.Embedding[i], want[i])
						}
						if l := got.LocalEmbedding(); len(l) != 2*(got.End-got.Beg) {
							t.Errorf("local embedding of %d values for rows [%d, %d)", len(l), got.Beg, got.End)
						}
					}
				}
				runtime.GOMAXPROCS(old)
			}
			for _, v := range want {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("non-finite embedding value %v", v)
				}
			}
		})
	}
}

// TestEmbedClusters checks that well-separated Gaussian clusters stay apart: the
// leave-one-out 5-NN accuracy of the cluster labels in the embedding. umap-learn 0.5.3
// gives 1.0000 and a trustworthiness of about 0.955 on five such clusters (make_blobs,
// 1000 points in 10-D, std 1, centres in [-10, 10]); this implementation gives the same
// on that data set (see the package documentation).
func TestEmbedClusters(t *testing.T) {
	if testing.Short() {
		t.Skip("1000-point embedding")
	}
	const n, dim = 1000, 10
	x, labels := clusters(n, dim, 5, 4, 31)
	start := time.Now()
	res, err := embedOn(2, n, dim, 0, x, umap.Settings{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	r := res[0]
	if r.Status != umap.Success || r.Init != umap.Spectral {
		t.Errorf("status %v, init %v; want a spectral initialisation", r.Status, r.Init)
	}
	acc := knnAccuracy(r.Embedding, 2, labels, 5)
	tw := trustworthiness(x, dim, r.Embedding, 2, 15)
	t.Logf("n=%d: 5-NN accuracy %.4f, trustworthiness(15) %.4f, %d edges, %d Lanczos iterations, %v (timings %+v)",
		n, acc, tw, r.Edges, r.LanczosIter, elapsed, r.Timings)
	if acc < 0.95 {
		t.Errorf("5-NN accuracy %.4f, want above 0.95", acc)
	}
	// umap-learn reaches 0.95-0.96 on such clusters; 0.9 leaves room for another seed.
	if tw < 0.9 {
		t.Errorf("trustworthiness %.4f, want above 0.9", tw)
	}
}

func TestEmbedErrors(t *testing.T) {
	const n, dim = 30, 3
	x, _ := clusters(n, dim, 2, 2, 41)
	nan := slices.Clone(x)
	nan[17*dim+1] = float32(math.NaN())
	nan[25*dim] = float32(math.Inf(1))
	tests := []struct {
		name string
		x    []float32
		s    umap.Settings
		want string
		code int
	}{
		{"one neighbour", x, umap.Settings{NNeighbors: 1}, "NNeighbors = 1", spmd.ExitUsage},
		{"as many neighbours as points", x, umap.Settings{NNeighbors: n}, "NNeighbors = 30 for 30 points", spmd.ExitUsage},
		{"NaN", nan, umap.Settings{NNeighbors: 5}, "row 17 holds a NaN", spmd.ExitInput},
		{"mix above 1", x, umap.Settings{SetOpMixRatio: 2}, "SetOpMixRatio = 2", spmd.ExitUsage},
		{"min dist above spread", x, umap.Settings{MinDist: 2}, "MinDist = 2", spmd.ExitUsage},
		{"missing PCA scores", x, umap.Settings{NNeighbors: 5, Init: umap.PCA}, "PCA scores", spmd.ExitUsage},
	}
	for _, tc := range tests {
		for _, p := range ranks {
			t.Run(fmt.Sprintf("%s/P=%d", tc.name, p), func(t *testing.T) {
				errs := inproc.Run(p, func(c collective.Comm) error {
					plan := spmd.NewPlan(n, 4, c.Size(), c.Rank())
					_, err := umap.Embed(context.Background(), c, plan, tc.x[plan.Beg*dim:plan.End*dim], dim, tc.s)
					return err
				})
				for r, err := range errs {
					if err == nil || !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("rank %d: error %v, want one containing %q", r, err, tc.want)
					}
					if code := spmd.Code(err); code != tc.code {
						t.Errorf("rank %d: exit code %d, want %d", r, code, tc.code)
					}
					if !strings.HasPrefix(err.Error(), "umap: ") {
						t.Errorf("rank %d: error %q without the package prefix", r, err)
					}
				}
			})
		}
	}
	// A dimension that differs between ranks is an input error on every rank.
	errs := inproc.Run(2, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, 4, c.Size(), c.Rank())
		d := dim + c.Rank()
		_, err := umap.NearestNeighbors(context.Background(), c, plan, make([]float32, plan.NLocal()*d), d, 5, umap.Euclidean)
		return err
	})
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "columns") || spmd.Code(err) != spmd.ExitInput {
			t.Errorf("rank %d: error %v, want a column mismatch", r, err)
		}
	}
}

// TestEmbedDisconnected embeds clusters so far apart that the kNN graph falls into one
// connected component per cluster: the spectral initialisation lays out every component
// on its own around its centre (umap-learn's multi_component_layout), with 3 components
// (umap-learn's axes) and 6 (the spectral layout of the centroids). The result must have
// the same bits on every number of ranks, report the components, and keep every cluster
// apart: in the embedding, the distance between the centroids of two clusters exceeds
// the sum of their radii (largest distance of a point from its centroid).
// TestInitDisconnected checks the same of the initialisation itself.
func TestEmbedDisconnected(t *testing.T) {
	const dim = 5
	for _, tc := range []struct{ k, epochs int }{{3, 100}, {6, 100}} {
		k := tc.k
		n := 60 * k
		x, labels := clusters(n, dim, k, 100, uint64(60+k))
		t.Run(fmt.Sprintf("%d clusters/%d epochs", k, tc.epochs), func(t *testing.T) {
			var want []float32
			for _, p := range ranks {
				res, err := embedOn(p, n, dim, 8, x, umap.Settings{NNeighbors: 10, NEpochs: tc.epochs, Seed: 7}, nil)
				if err != nil {
					t.Fatal(err)
				}
				for r, got := range res {
					if got.Components != k || got.Init != umap.Spectral || got.Status != umap.Success {
						t.Fatalf("P=%d rank %d: %d components, init %v, status %v; want %d, spectral, success",
							p, r, got.Components, got.Init, got.Status, k)
					}
					if want == nil {
						want = got.Embedding
					}
					if !slices.Equal(got.Embedding, want) {
						t.Fatalf("P=%d rank %d: embedding differs from the one-rank run", p, r)
					}
				}
			}
			cent := make([]float64, 2*k)
			for i, l := range labels {
				cent[2*l] += float64(want[2*i]) / float64(n/k)
				cent[2*l+1] += float64(want[2*i+1]) / float64(n/k)
			}
			rad := make([]float64, k)
			for i, l := range labels {
				rad[l] = max(rad[l], math.Hypot(float64(want[2*i])-cent[2*l], float64(want[2*i+1])-cent[2*l+1]))
			}
			for a := range k {
				for b := a + 1; b < k; b++ {
					if d := math.Hypot(cent[2*a]-cent[2*b], cent[2*a+1]-cent[2*b+1]); !(d > rad[a]+rad[b]) {
						t.Errorf("clusters %d and %d overlap: centroids %.3f apart, radii %.3f and %.3f", a, b, d, rad[a], rad[b])
					}
				}
			}
			if acc := knnAccuracy(want, 2, labels, 5); acc != 1 {
				t.Errorf("5-NN accuracy %.4f, want 1", acc)
			}
		})
	}
}
