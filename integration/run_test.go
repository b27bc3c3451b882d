package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runTimeout bounds every run of the binary: a rank left hanging fails the test.
const runTimeout = 120 * time.Second

// result is what one run of the binary did.
type result struct {
	code           int
	stdout, stderr string
}

func binary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("STEMREDUCE_BIN")
	if bin == "" {
		t.Skip("STEMREDUCE_BIN is not set: build with 'make build' and run scripts/test")
	}
	return bin
}

// mpirunArgs returns the mpirun command line for p ranks.
func mpirunArgs(p int) []string {
	args := []string{"mpirun", "--oversubscribe", "-n", strconv.Itoa(p)}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-run-as-root")
	}
	return args
}

// run runs the binary with args: under mpirun with p ranks when p > 0, directly otherwise.
func run(t *testing.T, p int, args ...string) result {
	t.Helper()
	cmdline := append([]string{binary(t)}, args...)
	if p > 0 {
		cmdline = append(mpirunArgs(p), cmdline...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cmdline[0], cmdline[1:]...)
	cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OPENBLAS_NUM_THREADS=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after %v (a rank hangs?)\nstderr:\n%s", strings.Join(cmdline, " "), runTimeout, errb.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmdline, " "), err)
	}
	return result{code, out.String(), errb.String()}
}

// mustRun runs and fails the test unless the run succeeded.
func mustRun(t *testing.T, p int, args ...string) result {
	t.Helper()
	r := run(t, p, args...)
	if r.code != 0 {
		t.Fatalf("stemreduce %s (P=%d): exit %d\nstderr:\n%s", strings.Join(args, " "), p, r.code, r.stderr)
	}
	return r
}

// ownLines returns the lines of stderr that stemreduce wrote (mpirun adds its own).
func ownLines(stderr string) []string {
	var ours []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "stemreduce") {
			ours = append(ours, l)
		}
	}
	return ours
}

// badRun is a run that must fail: with exit code code and a line of stemreduce's that
// says want.
type badRun struct {
	name string
	args []string
	code int
	want string
}

// checkBadRuns runs every case under mpirun with 2 ranks and "-o DIR/NAME.h5", and checks
// its exit code, that stemreduce wrote one error line ("stemreduce: ...") saying want, and
// that neither the output nor its temporary file is left.
func checkBadRuns(t *testing.T, dir string, cases []badRun) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".h5")
			r := run(t, 2, append(tc.args, "-o", out)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			var errs []string // stemreduce's error lines (not its log lines, "stemreduce[r0/2]: ...")
			for _, l := range ownLines(r.stderr) {
				if strings.HasPrefix(l, "stemreduce: ") {
					errs = append(errs, l)
				}
			}
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Errorf("want one stemreduce error line saying %q:\n%s", tc.want, r.stderr)
			}
			for _, f := range []string{out, out + ".tmp"} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s exists after a failed run", f)
				}
			}
		})
	}
}
