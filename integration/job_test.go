package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/io/h5"
)

// TestJobFileAcrossRanks runs the example job file of docs/ under mpirun with 1, 2 and 4
// ranks and checks that every dataset has the same bits, and that --from-output re-runs
// the stored job with the same bits.
func TestJobFileAcrossRanks(t *testing.T) {
	dir := t.TempDir()
	job, err := filepath.Abs("../docs/job.toml")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(job)
	if err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(dir, "job1.h5")
	r := mustRun(t, 1, "run", job, "-o", ref, "--progress", "0")
	for _, g := range []string{"/stats", "/com", "/virtual", "/pca", "/ica", "/umap"} {
		if !strings.Contains(r.stdout, g) {
			t.Errorf("summary %q does not list %s", r.stdout, g)
		}
	}
	for _, p := range []int{2, 4} {
		out := filepath.Join(dir, "job"+string(rune('0'+p))+".h5")
		mustRun(t, p, "run", job, "-o", out, "--progress", "0")
		sameDatasets(t, out, ref)
	}
	again := filepath.Join(dir, "again.h5")
	mustRun(t, 2, "run", "--from-output", ref, "-o", again, "--progress", "0")
	sameDatasets(t, again, ref)

	f, err := h5.OpenFile(again)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, err := f.Attr("/", "job"); err != nil || v != string(text) {
		t.Errorf("/job of the re-run is not the job file verbatim (%v)", err)
	}
}

// TestJobFileErrors checks that a bad job file gets one line naming it, exit code 2, and
// leaves no output under mpirun.
func TestJobFileErrors(t *testing.T) {
	dir := t.TempDir()
	job := filepath.Join(dir, "bad.toml")
	text := "input = \"synth:scan=8x8,det=8x8\"\n[pca]\nk = 4\n[ica]\nk = 3\nfun = \"tanh\"\n"
	if err := os.WriteFile(job, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.h5")
	r := run(t, 2, "run", job, "-o", out)
	lines := ownLines(r.stderr)
	if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], "bad.toml: [ica] --fun=\"tanh\"") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "out.h5*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
