package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/spmd"
)

// TestDenoiseSpaceErrors checks the usage errors of --denoise-space: one error naming the
// flag, exit code 2, no file left.
func TestDenoiseSpaceErrors(t *testing.T) {
	dir := t.TempDir()
	out, den := filepath.Join(dir, "out.h5"), filepath.Join(dir, "den.h5")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--denoise-space", "data"}, "--denoise-space: applies with --denoise"},
		{[]string{"--denoise", den, "--denoise-space", "raw"}, `--denoise-space="raw"`},
		{[]string{"--denoise", den, "--denoise-space", "data", "--normalize", "total"}, "--normalize total cannot be undone"},
	} {
		args := append([]string{"pca", testSynth, "-k", "2", "-o", out}, c.args...)
		_, err := runRanks(t, 2, args...)
		if err == nil || spmd.Code(err) != spmd.ExitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want exit 2 and %q", c.args, err, c.want)
		}
		for _, f := range []string{out, den, out + ".tmp", den + ".tmp"} {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("%v: %s left behind", c.args, f)
			}
		}
	}
}
