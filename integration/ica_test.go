package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// icaNames are the datasets of /ica.
var icaNames = []string{"sources", "factors", "unmixing", "mixing", "whitening", "explained_variance", "init", "converged", "n_iter"}

// readICA reads every dataset of /ica of a result file.
func readICA(t *testing.T, file string) map[string][]float64 {
	t.Helper()
	got := map[string][]float64{}
	for _, n := range icaNames {
		got[n], _ = readH5(t, file, "/ica/"+n)
	}
	return got
}

// TestICABitwiseAcrossRanks runs ica (with the PCA in the same job) under mpirun with 1,
// 2 and 4 ranks and in process with 3 ranks, with a block size that does not divide the
// number of frames, and requires the same bits in every /ica dataset (and in /pca) from
// every run, for both algorithms and on an ROI (sources NaN outside it). Then ica --from
// the /pca of the first run must give the same /ica bits as the one-job run.
func TestICABitwiseAcrossRanks(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=16x14,det=12x10,phases=3,seed=5")
	configs := []struct {
		name string
		args []string
	}{
		{"parallel", []string{"-k", "3", "--seed", "2"}},
		{"deflation", []string{"-k", "3", "--algorithm", "deflation", "--fun", "exp", "--solver", "randomized", "--pca-seed", "3"}},
		{"roi", []string{"-k", "3", "--fun", "cube", "--roi", "1:15,2:12", "--transform", "sqrt"}},
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
			var refFile string
			for i, r := range runs {
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.h5", cfg.name, i))
				args := append([]string{"ica", in, "-o", out, "--block", "7"}, cfg.args...)
				mustRun(t, r.p, append(args, r.extra...)...)
				got := readICA(t, out)
				for _, n := range pcaNames {
					got["pca/"+n], _ = readH5(t, out, "/pca/"+n)
				}
				if ref == nil {
					ref, refFile = got, out
					continue
				}
				for n, want := range ref {
					if !sameBitsNaN(got[n], want) {
						t.Errorf("%s: %s differs from %s", r.label, n, runs[0].label)
					}
				}
			}
			if cfg.name == "roi" {
				src := ref["sources"]
				if nan := countNaN(src); nan != (16*14-14*10)*3 {
					t.Errorf("sources: %d NaN values, want %d (outside the ROI)", nan, (16*14-14*10)*3)
				}
			}
			// --from the PCA of the first run: no PCA options, the ICA options only.
			var icaArgs []string
			for i := 0; i < len(cfg.args); i += 2 {
				switch cfg.args[i] {
				case "-k", "--seed", "--algorithm", "--fun":
					icaArgs = append(icaArgs, cfg.args[i], cfg.args[i+1])
				}
			}
			for _, p := range []int{1, 2} {
				out := filepath.Join(dir, fmt.Sprintf("%s-from-%d.h5", cfg.name, p))
				mustRun(t, p, append([]string{"ica", in, "--from", refFile, "-o", out, "--block", "7"}, icaArgs...)...)
				got := readICA(t, out)
				for _, n := range icaNames {
					if !sameBitsNaN(got[n], ref[n]) {
						t.Errorf("--from, mpirun -n %d: %s differs from the one-job run", p, n)
					}
				}
				if v := readAttr(t, out, "/ica", "pca"); v != refFile+":/pca" {
					t.Errorf("--from: /ica pca attribute %q, want %q", v, refFile+":/pca")
				}
			}
		})
	}
}

func countNaN(x []float64) int {
	n := 0
	for _, v := range x {
		if v != v {
			n++
		}
	}
	return n
}

// TestICAStatus checks that non-convergence is recorded and logged, and that --strict
// turns it into exit code 1 with the output still written.
func TestICAStatus(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=12x12,det=8x8,phases=3,seed=1")
	out := filepath.Join(dir, "a.h5")
	r := mustRun(t, 0, "ica", in, "-k", "3", "--max-iter", "1", "--tol", "1e-12", "-o", out)
	if !strings.Contains(r.stderr, "did not converge") {
		t.Errorf("the log does not say the iteration did not converge:\n%s", r.stderr)
	}
	if v := readAttr(t, out, "/ica", "status"); !strings.Contains(fmt.Sprint(v), "iteration limit") {
		t.Errorf("/ica status %q, want the iteration limit", v)
	}
	if c, _ := readH5(t, out, "/ica/converged"); c[0] != 0 {
		t.Errorf("/ica/converged = %v, want 0", c[0])
	}
	out2 := filepath.Join(dir, "b.h5")
	r = run(t, 2, "ica", in, "-k", "3", "--max-iter", "1", "--tol", "1e-12", "--strict", "-o", out2)
	if r.code != 1 {
		t.Errorf("--strict: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(out2); err != nil {
		t.Errorf("--strict: the output is not written: %v", err)
	}
}

// TestICABadInput checks the errors: one clear line, the documented exit code, no output
// and no hang, with 2 ranks.
func TestICABadInput(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=10x10,det=8x6,phases=3,seed=2")
	pcaFile := filepath.Join(dir, "pca.h5")
	mustRun(t, 0, "pca", in, "-k", "3", "-o", pcaFile)
	genFile := strings.TrimSuffix(in, ":/data")
	tests := []badRun{
		{"k missing", []string{"ica", in}, 2, "-k is required"},
		{"k < 2", []string{"ica", in, "-k", "1"}, 2, "-k=1: want at least 2"},
		{"k > rank", []string{"ica", in, "-k", "49"}, 2, "-k=49: want at most min(N, D)"},
		{"k > from", []string{"ica", in, "-k", "4", "--from", pcaFile}, 2, "-k=4: the PCA in"},
		{"from without pca", []string{"ica", in, "-k", "3", "--from", genFile}, 3, "no PCA in the file"},
		{"from missing", []string{"ica", in, "-k", "3", "--from", filepath.Join(dir, "none.h5")}, 3, "--from"},
		{"from with pca options", []string{"ica", in, "-k", "3", "--from", pcaFile, "--bin", "2"}, 2, "--bin: PCA options do not apply with --from"},
		{"no-center", []string{"ica", in, "-k", "3", "--no-center"}, 2, "--no-center"},
		{"bad fun", []string{"ica", in, "-k", "3", "--fun", "tanh"}, 2, "--fun=\"tanh\""},
		{"bad algorithm", []string{"ica", in, "-k", "3", "--algorithm", "symmetric"}, 2, "--algorithm=\"symmetric\""},
	}
	checkBadRuns(t, dir, tests)
}
