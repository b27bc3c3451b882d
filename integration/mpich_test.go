package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMPICHGivesTheSameBits runs the MPICH build (make MPI=mpich) under mpiexec.mpich with
// 1, 2 and 4 ranks and requires the bits of the Open MPI build. It needs
// STEMREDUCE_BIN_MPICH; scripts/test sets it when MPICH is installed.
func TestMPICHGivesTheSameBits(t *testing.T) {
	mpich := os.Getenv("STEMREDUCE_BIN_MPICH")
	if mpich == "" {
		t.Skip("STEMREDUCE_BIN_MPICH is not set: build with 'make MPI=mpich' and run scripts/test")
	}
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.h5")
	mustRun(t, 2, udfArgs(ref)...)
	want := readAll(t, ref)
	for _, p := range []string{"1", "2", "4"} {
		out := filepath.Join(dir, "mpich"+p+".h5")
		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		cmd := exec.CommandContext(ctx, "mpiexec.mpich", append([]string{"-n", p, mpich}, udfArgs(out)...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Fatalf("mpiexec.mpich -n %s: %v\n%s", p, err, stderr.String())
		}
		got := readAll(t, out)
		for name, w := range want {
			if !sameBitsNaN(got[name], w) {
				t.Errorf("MPICH -n %s: %s differs from Open MPI", p, name)
			}
		}
	}
}
