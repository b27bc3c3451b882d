package integration

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCancellation sends SIGTERM in the middle of a pass: every rank must stop together,
// no output file may remain, and the process exits with 130 (mpirun reports a failure).
// Under mpirun the signal goes to the ranks, as scancel and SLURM's time limit deliver it:
// Open MPI's mpirun itself passes a SIGTERM on only after odls_base_sigkill_timeout (1 s)
// and kills the ranks one timeout later (see README).
func TestCancellation(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		pre  []string
		code int // expected exit code; -1: any non-zero (mpirun's own)
	}{
		{"in process, 2 ranks", nil, 130},
		{"mpirun -n 2", mpirunArgs(2), -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".h5")
			args := append(append([]string(nil), tc.pre...), bin, "stats", "synth:scan=512x256,det=128x128", "-o", out, "--progress", "100ms")
			if tc.pre == nil {
				args = append(args, "--ranks", "2")
			}
			ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			sc := bufio.NewScanner(stderr)
			signalled := false
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
				if !signalled && strings.Contains(sc.Text(), "frames of rank 0") {
					for _, pid := range targets(cmd.Process.Pid, tc.pre != nil) {
						syscall.Kill(pid, syscall.SIGTERM)
					}
					signalled = true
				}
			}
			err = cmd.Wait()
			if ctx.Err() != nil {
				t.Fatalf("still running %v after SIGTERM:\n%s", runTimeout, log.String())
			}
			if !signalled {
				t.Fatalf("no progress line to cancel after:\n%s", log.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || (tc.code > 0 && ee.ExitCode() != tc.code) {
				t.Fatalf("exit %v, want %d:\n%s", err, tc.code, log.String())
			}
			if !strings.Contains(log.String(), "cancelled by a signal") {
				t.Errorf("no cancellation message:\n%s", log.String())
			}
			for _, f := range []string{out, out + ".tmp"} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s left behind", f)
				}
			}
		})
	}
}

// targets returns the processes to signal: the ranks (children of mpirun) or the process.
func targets(pid int, mpirun bool) []int {
	if !mpirun {
		return []int{pid}
	}
	var out []int
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
	for _, f := range strings.Fields(string(b)) {
		if c, err := strconv.Atoi(f); err == nil {
			out = append(out, c)
		}
	}
	return out
}
