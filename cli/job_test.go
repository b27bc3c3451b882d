package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/spmd"
)

const testSynth = "synth:scan=20x20,det=12x12,phases=3,dose=2000,seed=3"

// testJob is a job of every stage on a small synthetic scan.
const testJob = `# every stage
input = "` + testSynth + `"
roi = "0:20,2:18"

[stats]

[udf]
run = ["com"]

[pca]
k = 5
seed = 2
transform = "sqrt"

[ica]
k = 3
fun = "exp"

[umap]
pca-k = 4
n-neighbors = 8
n-epochs = 30
`

// writeJob writes a job file into dir and returns its path.
func writeJob(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// datasets reads every numeric dataset of a result file as float64 bits.
func datasets(t *testing.T, file string) map[string][]uint64 {
	t.Helper()
	f, err := h5.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	infos, err := f.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]uint64{}
	for _, info := range infos {
		v, _, err := f.ReadFloat64(info.Path)
		if err != nil {
			t.Fatalf("%s: %v", info.Path, err)
		}
		bits := make([]uint64, len(v))
		for i, x := range v {
			bits[i] = math.Float64bits(x)
		}
		out[info.Path] = bits
	}
	return out
}

// sameBits fails unless every dataset of want is in got with the same bits; prefix
// selects the groups compared ("" for all).
func sameBits(t *testing.T, got, want map[string][]uint64, prefix, what string) {
	t.Helper()
	n := 0
	for name, w := range want {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		n++
		if g, ok := got[name]; !ok || !slices.Equal(g, w) {
			t.Errorf("%s: %s differs (present %v)", what, name, ok)
		}
	}
	if n == 0 {
		t.Fatalf("%s: no dataset under %q", what, prefix)
	}
}

func TestJobBitwiseAcrossRanks(t *testing.T) {
	dir := t.TempDir()
	job := writeJob(t, dir, "job.toml", testJob)
	var ref map[string][]uint64
	for _, p := range []int{1, 2, 3, 4, 7} {
		out := filepath.Join(dir, "job.h5")
		stdout, err := runRanks(t, p, "run", job, "-o", out)
		if err != nil {
			t.Fatalf("P=%d: %v", p, err)
		}
		if !strings.Contains(stdout, "/stats, /com, /pca, /ica") {
			t.Errorf("P=%d: summary %q", p, stdout)
		}
		got := datasets(t, out)
		for _, name := range []string{"/stats/mean", "/com/y", "/pca/scores", "/ica/sources", "/umap/embedding"} {
			if _, ok := got[name]; !ok {
				t.Fatalf("P=%d: no %s", p, name)
			}
		}
		// The PCA takes its frames from the pass of the UDFs, but for those at the ends
		// of a rank's range, where the two stages' blocks differ (blocks of 4 and 5 here).
		if reads := jobReads(t, out); reads < 1 || reads > 1+float64(2*5*p)/320 {
			t.Errorf("P=%d: input read %v times, want 1 plus at most two blocks per rank", p, reads)
		}
		if ref == nil {
			ref = got
			continue
		}
		sameBits(t, got, ref, "", fmt.Sprintf("P=%d", p))
	}
}

// TestJobMatchesCommands checks that a job gives the bits of its stages run as separate
// commands, and that --from-output re-runs it exactly.
func TestJobMatchesCommands(t *testing.T) {
	dir := t.TempDir()
	job := writeJob(t, dir, "job.toml", testJob)
	out := filepath.Join(dir, "job.h5")
	if _, err := runRanks(t, 2, "run", job, "-o", out); err != nil {
		t.Fatal(err)
	}
	got := datasets(t, out)

	roi := []string{"--roi", "0:20,2:18"}
	cmds := []struct {
		group string
		args  []string
	}{
		{"/stats/", []string{"stats", testSynth}},
		{"/com/", []string{"com", testSynth}},
		{"/pca/", []string{"pca", testSynth, "-k", "5", "--seed", "2", "--transform", "sqrt"}},
		{"/ica/", []string{"ica", testSynth, "-k", "3", "--fun", "exp", "--from", filepath.Join(dir, "pca.h5")}},
		{"/umap/", []string{"umap", testSynth, "--pca-k", "4", "--n-neighbors", "8", "--n-epochs", "30", "--from", filepath.Join(dir, "pca.h5")}},
	}
	for _, c := range cmds {
		name := strings.Trim(c.group, "/")
		file := filepath.Join(dir, name+".h5")
		args := append(append([]string(nil), c.args...), "-o", file)
		if name != "ica" && name != "umap" {
			args = append(args, roi...)
		}
		if _, err := runRanks(t, 3, args...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameBits(t, got, datasets(t, file), c.group, "job vs "+name)
	}

	again := filepath.Join(dir, "again.h5")
	if _, err := runRanks(t, 4, "run", "--from-output", out, "-o", again); err != nil {
		t.Fatal(err)
	}
	sameBits(t, datasets(t, again), got, "", "--from-output")
	f, err := h5.OpenFile(again)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	text, err := f.Attr("/", "job")
	if err != nil || text != testJob {
		t.Errorf("stored job %q (%v), want the file verbatim", text, err)
	}
	if name, _ := f.Attr("/", "job_file"); name != job {
		t.Errorf("job_file %q, want %q", name, job)
	}
}

// jobReads returns the input_reads attribute of a job's output.
func jobReads(t *testing.T, file string) float64 {
	t.Helper()
	f, err := h5.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := f.Attr("/", "input_reads")
	if err != nil {
		t.Fatal(err)
	}
	return v.(float64)
}

// TestJobReads checks how many times a job reads its input: once for a pass of UDFs and
// a PCA that keeps its frames, once per pass of the PCA with --cache off.
func TestJobReads(t *testing.T) {
	dir := t.TempDir()
	input := `input = "` + testSynth + `"` + "\n"
	// 400 frames on 2 ranks: the pass of the UDFs in blocks of 4, the PCA in blocks of 7,
	// so the PCA reads again the frames between their two boundaries (3).
	for _, c := range []struct {
		name, text string
		want       float64
	}{
		{"stats", input + "[stats]\n", 1},
		{"pca", input + "[pca]\nk = 3\n", 1},
		{"stats pca", input + "[stats]\n[pca]\nk = 3\n", 403.0 / 400},
		{"stats pca single pass", input + "[stats]\n[pca]\nk = 3\npasses = \"1\"\n", 403.0 / 400},
		{"pca single pass", input + "[pca]\nk = 3\npasses = 1\n", 1},
		{"stats pca no cache", input + "[stats]\n[pca]\nk = 3\nsolver = \"gram\"\ncache = \"off\"\n", 3},
	} {
		job := writeJob(t, dir, "job.toml", c.text)
		out := filepath.Join(dir, "out.h5")
		if _, err := runRanks(t, 2, "run", job, "-o", out); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := jobReads(t, out); got != c.want {
			t.Errorf("%s: input read %v times, want %v", c.name, got, c.want)
		}
	}
}

func TestJobErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.h5")
	input := `input = "` + testSynth + `"` + "\n"
	cases := []struct {
		name, text string
		args       []string // after the job file
		code       int
		want       string
	}{
		{"bad toml", "input = \n", nil, 2, "not a valid job file"},
		{"no input", "[stats]\n", nil, 2, "no input"},
		{"no stage", input, nil, 2, "no stage"},
		{"unknown key", input + "seeds = 1\n[stats]\n", nil, 2, `unknown key "seeds"`},
		{"unknown table", input + "[pcaa]\nk = 2\n", nil, 2, "unknown table [pcaa]"},
		{"ica without pca", input + "[ica]\nk = 2\n", nil, 2, "add a [pca] table"},
		{"stats keys", input + "[stats]\nk = 2\n", nil, 2, "[stats] takes no keys"},
		{"unknown stage key", input + "[pca]\nk = 2\npower_iters = 3\n", nil, 2, `[pca] unknown key "power_iters"`},
		{"excluded key", input + "[pca]\nk = 2\ndenoise = \"d.h5\"\n", nil, 2, `[pca] unknown key "denoise"`},
		{"bad value", input + "[pca]\nk = 4\n[ica]\nk = 2\nfun = \"tanh\"\n", nil, 2, `[ica] --fun="tanh"`},
		{"ica k above pca k", input + "[pca]\nk = 3\n[ica]\nk = 4\n", nil, 2, "more than the 3 components"},
		{"nested table", input + "[pca]\nk = 3\n[pca.x]\ny = 1\n", nil, 2, "[pca] x: want a string"},
		{"block", input + "block = -1\n[stats]\n", nil, 2, "block = -1"},
		{"no output", input + "[stats]\n", []string{}, 2, "no output"},
		{"k above frames", input + "[pca]\nk = 500\n", nil, 2, "-k=500"},
		{"missing input file", `input = "` + filepath.Join(dir, "none.h5") + `"` + "\n[stats]\n", nil, 3, "none.h5"},
		{"roi outside", input + "roi = \"0:30,0:5\"\n[stats]\n", nil, 2, "--roi=\"0:30,0:5\""},
		{"bad mask", input + "[udf]\nrun = [\"virtual\"]\nmask = [\"bf=disk:1,2\"]\n", nil, 2, "[udf]"},
		{"cli block", input + "[stats]\n", []string{"-o", out, "--block", "4"}, 2, "--block: set block in the job file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job := writeJob(t, dir, "job.toml", c.text)
			args := c.args
			if args == nil {
				args = []string{"-o", out}
			}
			_, err := runRanks(t, 2, append([]string{"run", job}, args...)...)
			if err == nil || spmd.Code(err) != c.code || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v (code %d), want code %d and %q", err, spmd.Code(err), c.code, c.want)
			}
			if c.code == 2 && !strings.Contains(err.Error(), "job.toml") && !strings.Contains(err.Error(), "--block") {
				t.Errorf("%v: does not name the job file", err)
			}
			left, _ := filepath.Glob(filepath.Join(dir, "*.h5*"))
			if len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--from-output", out}, "-o is required"},
		{[]string{"run", "--from-output", out, "-o", out}, "must differ"},
		{[]string{"run", "--from-output", filepath.Join(dir, "none.h5"), "-o", out}, "none.h5"},
		{[]string{"run"}, "give a job file"},
	} {
		if _, err := runRanks(t, 2, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
	// A result file of another command holds no job.
	stats := filepath.Join(dir, "stats.h5")
	if _, err := runRanks(t, 1, "stats", testSynth, "-o", stats); err != nil {
		t.Fatal(err)
	}
	if _, err := runRanks(t, 2, "run", "--from-output", stats, "-o", out); err == nil || spmd.Code(err) != 3 || !strings.Contains(err.Error(), "no job file") {
		t.Errorf("--from-output of a stats file: got %v", err)
	}
}
