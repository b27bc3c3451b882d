package input_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/io/input"
	"github.com/stemreduce/stemreduce/io/npy"
)

// TestEveryFormatGivesTheSameFrames writes the same 4-D array as HDF5 and .npy and opens
// both, and the synthetic source, through Open.
func TestEveryFormatGivesTheSameFrames(t *testing.T) {
	dir := t.TempDir()
	dims := []int{3, 4, 2, 5}
	data := make([]float64, 3*4*2*5)
	for i := range data {
		data[i] = float64(i % 17)
	}
	npyPath := filepath.Join(dir, "a.npy")
	if err := npy.Write(npyPath, "uint16", false, dims, data); err != nil {
		t.Fatal(err)
	}
	h5Path := filepath.Join(dir, "a.h5")
	w, err := h5.Create(h5Path)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := w.CreateDataset("/scan/data", "uint16", dims, h5.DatasetOptions{Chunks: []int{1, 2, 2, 5}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteRows(0, 3, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{npyPath, h5Path, h5Path + ":/scan/data"} {
		d, err := input.Open(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		sh := d.Shape()
		if sh.N() != 12 || sh.D() != 10 || len(sh.Nav) != 2 {
			t.Fatalf("%s: shape %v", spec, sh)
		}
		got := make([]float32, 5*10)
		if err := d.ReadFloat32(got, 3, 8); err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if float64(v) != data[30+i] {
				t.Fatalf("%s: element %d = %v, want %v", spec, i, v, data[30+i])
			}
		}
		if info := d.Info(); info.Dtype != "uint16" || !strings.HasPrefix(info.Path, strings.SplitN(spec, ":", 2)[0]) {
			t.Errorf("%s: info %+v", spec, info)
		}
		d.Close()
	}
	d, err := input.Open("synth:scan=4x3,det=5x6")
	if err != nil {
		t.Fatal(err)
	}
	if sh := d.Shape(); sh.N() != 12 || sh.D() != 30 || d.Info().Format != "synth" {
		t.Fatalf("synth: %v %+v", sh, d.Info())
	}
}

func TestSpecErrorsAreSpecErrors(t *testing.T) {
	for _, spec := range []string{"", "synth:scan=4", "synth:colour=red"} {
		_, err := input.Open(spec)
		var se *input.SpecError
		if !errors.As(err, &se) {
			t.Errorf("%q: %v is not a SpecError", spec, err)
		}
	}
	_, err := input.Open(filepath.Join(t.TempDir(), "missing.h5"))
	var se *input.SpecError
	if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), "missing.h5") {
		t.Errorf("missing file: %v", err)
	}
}
