package integration

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// umapNames are the datasets of /umap.
var umapNames = []string{"embedding", "knn_indices", "knn_dists"}

// TestUMAPBitwiseAcrossRanks runs umap under mpirun with 1, 2 and 4 ranks and in process
// with 3 ranks and requires the same bits in every /umap dataset: on the PCA scores fitted
// in the same job, on the raw frames (--pca-k 0) of a 3-D input, and --from a PCA file
// with an ROI (embedding NaN outside it).
func TestUMAPBitwiseAcrossRanks(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=16x16,det=12x10,phases=3,seed=5")
	// A 3-D input (N, a, b): the frames of gen.h5 as a stack.
	data, dims := readH5(t, strings.TrimSuffix(in, ":/data"), "/data")
	stack := make([]float32, len(data))
	for i, v := range data {
		stack[i] = float32(v)
	}
	stackFile := filepath.Join(dir, "stack.h5")
	writeFrames(t, stackFile, stack, dims[0]*dims[1], dims[2], dims[3])
	pcaFile := filepath.Join(dir, "pca.h5")
	mustRun(t, 0, "pca", in, "-k", "6", "--roi", "2:14,0:16", "-o", pcaFile)

	configs := []struct {
		name string
		args []string
		nan  int // NaN values expected in the embedding
	}{
		{"pca-k 8", []string{in, "--pca-k", "8", "--n-epochs", "50", "--seed", "3"}, 0},
		{"raw 3-D", []string{stackFile, "--pca-k", "0", "--n-epochs", "30", "--metric", "cosine", "--init", "random", "--n-neighbors", "10"}, 0},
		{"from roi", []string{in, "--from", pcaFile, "--n-epochs", "30", "--init", "pca"}, 4 * 16 * 2},
	}
	runs := []struct {
		label string
		p     int
		extra []string
	}{
		{"mpirun -n 1", 1, nil},
		{"mpirun -n 2", 2, nil},
		{"mpirun -n 4", 4, nil},
		{"inproc 3", 0, []string{"--ranks", "3"}},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			var ref map[string][]float64
			for i, r := range runs {
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.h5", strings.ReplaceAll(cfg.name, " ", "_"), i))
				args := append([]string{"umap"}, cfg.args...)
				mustRun(t, r.p, append(append(args, "-o", out), r.extra...)...)
				got := map[string][]float64{}
				for _, n := range umapNames {
					got[n], _ = readH5(t, out, "/umap/"+n)
				}
				if ref == nil {
					ref = got
					if c := countNaN(got["embedding"]); c != cfg.nan {
						t.Errorf("embedding: %d NaN values, want %d", c, cfg.nan)
					}
					for _, v := range got["embedding"] {
						if math.IsInf(v, 0) {
							t.Fatalf("embedding holds an infinite value")
						}
					}
					continue
				}
				for n, want := range ref {
					if !sameBitsNaN(got[n], want) {
						t.Errorf("%s: %s differs from %s", r.label, n, runs[0].label)
					}
				}
			}
		})
	}
}

// TestUMAPBadInput checks the errors: one clear line, the documented exit code, no output
// and no hang, with 2 ranks.
func TestUMAPBadInput(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=8x8,det=8x6,phases=3,seed=2")
	genFile := strings.TrimSuffix(in, ":/data")
	const n, d = 40, 12
	frames := make([]float32, n*d)
	for i := range frames {
		frames[i] = float32((i*7919)%13) + float32(i%d)
	}
	frames[27*d+3] = float32(math.NaN())
	nanFile := filepath.Join(dir, "nan.h5")
	writeFrames(t, nanFile, frames, n, 3, 4)
	tests := []badRun{
		{"n-neighbors < 2", []string{"umap", in, "--pca-k", "4", "--n-neighbors", "1"}, 2, "--n-neighbors=1: want at least 2"},
		{"n-neighbors >= N", []string{"umap", in, "--pca-k", "4", "--n-neighbors", "64"}, 2, "--n-neighbors=64: want fewer neighbours than the 64 points"},
		{"NaN raw", []string{"umap", nanFile, "--pca-k", "0", "--n-neighbors", "5"}, 3, "NaN"},
		{"NaN pca", []string{"umap", nanFile, "--pca-k", "3", "--n-neighbors", "5"}, 3, "NaN"},
		{"from without pca", []string{"umap", in, "--from", genFile}, 3, "no PCA in the file"},
		{"bad metric", []string{"umap", in, "--metric", "manhattan"}, 2, "--metric=\"manhattan\""},
		{"init pca raw", []string{"umap", in, "--pca-k", "0", "--init", "pca"}, 2, "--init pca"},
	}
	checkBadRuns(t, dir, tests)
}

// TestUMAPDefaults checks the defaults that depend on the input: 50 PCA scores, 500
// epochs for N <= 10000, 15 neighbours, a and b of min_dist 0.1 and spread 1.
func TestUMAPDefaults(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=12x12,det=10x8,phases=3,seed=4")
	out := filepath.Join(dir, "u.h5")
	mustRun(t, 0, "umap", in, "-o", out)
	for _, a := range []struct {
		name string
		want any
	}{{"n_features", int64(50)}, {"n_epochs", int64(500)}, {"n_neighbors", int64(15)}, {"sub_batches", int64(64)}, {"init", "spectral"}} {
		if v := readAttr(t, out, "/umap", a.name); v != a.want {
			t.Errorf("/umap %s = %v (%T), want %v", a.name, v, v, a.want)
		}
	}
	// a ≈ 1.5769, b ≈ 0.8951: umap-learn's find_ab_params for the defaults (algorithms/umap FindAB).
	a, _ := readAttr(t, out, "/umap", "a").(float64)
	b, _ := readAttr(t, out, "/umap", "b").(float64)
	if math.Abs(a-1.5769) > 1e-3 || math.Abs(b-0.8951) > 1e-3 {
		t.Errorf("a, b = %v, %v, want about 1.5769, 0.8951", a, b)
	}
}
