package integration

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/io/h5"
)

// TestSlurmOutputs compares result files written by SLURM batch jobs with the result files
// of mpirun runs of the same commands: the same datasets with the same shapes and dtypes,
// and the same bits in every element. Attributes are not compared: the provenance (ranks,
// host, time) differs between runs by design.
//
// scripts/test-slurm runs it with STEMREDUCE_SLURM_PAIRS set to space-separated GOT=WANT
// pairs of file names; without it the test is skipped. The script builds this file alone
// (go test -c integration/slurm_test.go), so it uses no helper of the other test files.
func TestSlurmOutputs(t *testing.T) {
	pairs := strings.Fields(os.Getenv("STEMREDUCE_SLURM_PAIRS"))
	if len(pairs) == 0 {
		t.Skip("STEMREDUCE_SLURM_PAIRS is not set: scripts/test-slurm sets it")
	}
	for _, p := range pairs {
		got, want, ok := strings.Cut(p, "=")
		if !ok {
			t.Fatalf("STEMREDUCE_SLURM_PAIRS: %q is not GOT=WANT", p)
		}
		t.Run(filepath.Base(got), func(t *testing.T) {
			sameDatasets(t, got, want)
		})
	}
}

// sameDatasets fails the test unless the files got and want hold the same datasets, bit
// for bit. Integer datasets are compared as int64, floating-point ones as the bits of
// their float64 values (exact for float32), strings as strings.
func sameDatasets(t *testing.T, got, want string) {
	t.Helper()
	g, err := h5.OpenFile(got)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	w, err := h5.OpenFile(want)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	gi, err := g.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	wi, err := w.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	if len(wi) == 0 {
		t.Fatalf("%s: no datasets", want)
	}
	names := func(infos []h5.DatasetInfo) []string {
		var s []string
		for _, i := range infos {
			s = append(s, i.Path)
		}
		return s
	}
	if !slices.Equal(names(gi), names(wi)) {
		t.Fatalf("%s has datasets %v, %s has %v", got, names(gi), want, names(wi))
	}
	for k, wd := range wi {
		gd := gi[k]
		if !slices.Equal(gd.Dims, wd.Dims) || gd.Dtype != wd.Dtype || gd.ByteOrder != wd.ByteOrder {
			t.Errorf("%s: %v %s %s in %s, %v %s %s in %s", wd.Path, gd.Dims, gd.Dtype, gd.ByteOrder, got, wd.Dims, wd.Dtype, wd.ByteOrder, want)
			continue
		}
		var same bool
		switch {
		case wd.Dtype == "string":
			a, _, err1 := g.ReadStrings(wd.Path)
			b, _, err2 := w.ReadStrings(wd.Path)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v; %v", wd.Path, err1, err2)
			}
			same = slices.Equal(a, b)
		case strings.HasPrefix(wd.Dtype, "int"), strings.HasPrefix(wd.Dtype, "uint"):
			a, _, err1 := g.ReadInt64(wd.Path)
			b, _, err2 := w.ReadInt64(wd.Path)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v; %v", wd.Path, err1, err2)
			}
			same = slices.Equal(a, b)
		case strings.HasPrefix(wd.Dtype, "float"):
			a, _, err1 := g.ReadFloat64(wd.Path)
			b, _, err2 := w.ReadFloat64(wd.Path)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v; %v", wd.Path, err1, err2)
			}
			same = slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
		default:
			t.Errorf("%s: cannot compare dtype %s", wd.Path, wd.Dtype)
			continue
		}
		if !same {
			t.Errorf("%s differs between %s and %s", wd.Path, got, want)
		}
	}
	if !t.Failed() {
		t.Logf("%d datasets of %s equal to %s, bit for bit", len(wi), got, want)
	}
}
