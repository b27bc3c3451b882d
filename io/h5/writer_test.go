package h5

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestAtomicWriter checks which files exist before and after Commit and Abort.
func TestAtomicWriter(t *testing.T) {
	tests := []struct {
		name  string
		steps []string // "commit", "abort"
		want  []string // directory contents at the end
		errs  []bool   // whether each step fails
	}{
		{"commit", []string{"commit"}, []string{"out.h5"}, []bool{false}},
		{"commit twice", []string{"commit", "commit"}, []string{"out.h5"}, []bool{false, false}},
		{"abort after commit", []string{"commit", "abort"}, []string{"out.h5"}, []bool{false, false}},
		{"abort", []string{"abort"}, nil, []bool{false}},
		{"abort twice", []string{"abort", "abort"}, nil, []bool{false, false}},
		{"commit after abort", []string{"abort", "commit"}, nil, []bool{false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.h5")
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := dirEntries(t, dir); !slices.Equal(got, []string{"out.h5.tmp"}) {
				t.Fatalf("after Create: %v, want [out.h5.tmp]", got)
			}
			mustOK(t, w.WriteFloat64("/stats/mean", []float64{1, 2, 3}))
			// A streaming dataset left open: Commit and Abort must close it.
			d, err := w.CreateDataset("/data", "uint16", []int{2, 3}, DatasetOptions{Gzip: 1})
			mustOK(t, err)
			mustOK(t, d.WriteRows(0, 2, []uint16{1, 2, 3, 4, 5, 6}))
			for i, s := range tc.steps {
				var err error
				if s == "commit" {
					err = w.Commit()
				} else {
					err = w.Abort()
				}
				if (err != nil) != tc.errs[i] {
					t.Fatalf("step %d %s: error %v, want error %v", i, s, err, tc.errs[i])
				}
			}
			if got := dirEntries(t, dir); !slices.Equal(got, tc.want) {
				t.Fatalf("files %v, want %v", got, tc.want)
			}
			if err := w.WriteFloat64("/late", []float64{1}); err == nil || !strings.Contains(err.Error(), "already committed or aborted") {
				t.Errorf("write after close: %v", err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("closing a dataset closed by %v: %v", tc.steps, err)
			}
			if len(tc.want) == 0 {
				return
			}
			got, dims, err := ReadFloat64Dataset(path, "/data")
			if err != nil || !slices.Equal(got, []float64{1, 2, 3, 4, 5, 6}) || !slices.Equal(dims, []int{2, 3}) {
				t.Errorf("read back %v %v %v", got, dims, err)
			}
		})
	}
}

// TestWriteReadBack writes whole datasets of every kind and reads them back.
func TestWriteReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "res.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	f64 := []float64{0.5, -1, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(-1), 3}
	f32 := []float32{0.5, -1, math.MaxFloat32, 7, 8, 9}
	i64 := []int64{math.MinInt64, math.MaxInt64, 0, 1, -1, 2}
	mustOK(t, w.WriteFloat64("/pca/explained_variance_", f64))
	mustOK(t, w.WriteFloat32("/pca/components_", f32, 1, 2, 3))
	mustOK(t, w.WriteInt64("/kmeans/labels", i64, 3, 2))
	mustOK(t, w.WriteFloat64("/empty", nil, 0, 3))
	mustOK(t, w.WriteStrings("/names", []string{"α", "", "long name"}))
	mustOK(t, w.Commit())

	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, dims, err := f.ReadFloat64("/pca/explained_variance_"); err != nil || !slices.Equal(got, f64) || !slices.Equal(dims, []int{6}) {
		t.Errorf("float64: %v %v %v", got, dims, err)
	}
	if got, dims, err := f.ReadFloat32("pca/components_"); err != nil || !slices.Equal(got, f32) || !slices.Equal(dims, []int{1, 2, 3}) {
		t.Errorf("float32: %v %v %v", got, dims, err)
	}
	if got, dims, err := f.ReadInt64("/kmeans/labels"); err != nil || !slices.Equal(got, i64) || !slices.Equal(dims, []int{3, 2}) {
		t.Errorf("int64: %v %v %v", got, dims, err)
	}
	if got, dims, err := f.ReadFloat64("/kmeans/labels"); err != nil || got[2] != 0 || got[3] != 1 || !slices.Equal(dims, []int{3, 2}) {
		t.Errorf("int64 as float64: %v %v %v", got, dims, err)
	}
	if got, dims, err := f.ReadFloat64("/empty"); err != nil || len(got) != 0 || !slices.Equal(dims, []int{0, 3}) {
		t.Errorf("empty: %v %v %v", got, dims, err)
	}
	if got, dims, err := f.ReadStrings("/names"); err != nil || !slices.Equal(got, []string{"α", "", "long name"}) || !slices.Equal(dims, []int{3}) {
		t.Errorf("strings: %q %v %v", got, dims, err)
	}
	if _, _, err := f.ReadFloat64("/names"); err == nil || !strings.Contains(err.Error(), "not numeric") {
		t.Errorf("strings as float64: %v", err)
	}
	if _, _, err := f.ReadFloat64("/pca"); err == nil || !strings.Contains(err.Error(), "it is a group") {
		t.Errorf("group as dataset: %v", err)
	}
	if _, _, err := f.ReadFloat64("/nope"); err == nil || !strings.Contains(err.Error(), `could not read dataset "/nope" of "`+path+`": no such dataset`) {
		t.Errorf("missing dataset: %v", err)
	}
	ds, err := f.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, d := range ds {
		paths = append(paths, d.Path)
	}
	want := []string{"/empty", "/kmeans/labels", "/names", "/pca/components_", "/pca/explained_variance_"}
	if !slices.Equal(paths, want) {
		t.Errorf("Datasets: %v, want %v", paths, want)
	}
}

// TestAttrs round-trips every attribute type on the root, a group, a dataset
// and a group SetAttr creates.
func TestAttrs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attrs.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	mustOK(t, w.WriteFloat64("/pca/singular_values_", []float64{3, 2}))
	tests := []struct {
		obj, name string
		value     any
		want      any // as read back
	}{
		{"/", "command", "stemreduce pca scan.h5 -k 20", "stemreduce pca scan.h5 -k 20"},
		{"/", "unicode", "Å → β", "Å → β"},
		{"/", "empty string", "", ""},
		{"/", "ranks", 64, int64(64)},
		{"/", "seed", int64(-1) << 62, int64(-1) << 62},
		{"/", "tol", 1e-7, 1e-7},
		{"/", "input shape", []int{256, 256, 128, 128}, []int64{256, 256, 128, 128}},
		{"/", "int64s", []int64{math.MinInt64, 0}, []int64{math.MinInt64, 0}},
		{"/", "timings", []float64{0.25, 1.5}, []float64{0.25, 1.5}},
		{"/", "phases", []string{"read", "", "reduce"}, []string{"read", "", "reduce"}},
		{"/", "no ints", []int{}, []int64{}},
		{"/", "no strings", []string{}, []string{}},
		{"/pca", "k", 20, int64(20)},
		{"pca/singular_values_", "unit", "counts", "counts"},
		{"/new/group", "created", "yes", "yes"},
		{"/", "ranks", 32, int64(32)}, // replaces the attribute set above
	}
	for _, tc := range tests {
		mustOK(t, w.SetAttr(tc.obj, tc.name, tc.value))
	}
	mustOK(t, w.Commit())

	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range tests[:len(tests)-1] {
		want := tc.want
		if tc.name == "ranks" {
			want = int64(32)
		}
		got, err := f.Attr(tc.obj, tc.name)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s %q: got %#v (%v), want %#v", tc.obj, tc.name, got, err, want)
		}
	}
	if got, err := ReadAttr(path, "/", "tol"); err != nil || got != 1e-7 {
		t.Errorf("ReadAttr: %v %v", got, err)
	}
	if _, err := f.Attr("/", "nope"); err == nil || !strings.Contains(err.Error(), "no such attribute") {
		t.Errorf("missing attribute: %v", err)
	}
	if _, err := f.Attr("/nope", "x"); err == nil || !strings.Contains(err.Error(), "no such object") {
		t.Errorf("missing object: %v", err)
	}
	names, err := f.AttrNames("/")
	want := []string{"command", "empty string", "input shape", "int64s", "no ints", "no strings", "phases", "ranks", "seed", "timings", "tol", "unicode"}
	if err != nil || !slices.Equal(names, want) {
		t.Errorf("AttrNames: %v %v, want %v", names, err, want)
	}
}

// TestWriteRowsConversion checks HDF5's conversion of float data to integer
// dtypes: truncation toward zero and clamping to the range.
func TestWriteRowsConversion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conv.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	in := []float64{-1, 70000, 3.7, -3.7, math.Inf(1), 2}
	tests := []struct {
		dtype string
		data  any
		want  []float64
	}{
		{"uint16", in, []float64{0, 65535, 3, 0, 65535, 2}},
		{"int16", in, []float64{-1, 32767, 3, -3, 32767, 2}},
		{"uint8", []float32{-1, 300, 3.7, -3.7, float32(math.Inf(1)), 2}, []float64{0, 255, 3, 0, 255, 2}},
		{"float32", []uint16{0, 65535, 3, 1, 2, 7}, []float64{0, 65535, 3, 1, 2, 7}},
		{"int64", []int8{-128, 127, 0, 1, -1, 5}, []float64{-128, 127, 0, 1, -1, 5}},
	}
	for _, tc := range tests {
		d, err := w.CreateDataset("/"+tc.dtype, tc.dtype, []int{3, 2}, DatasetOptions{})
		mustOK(t, err)
		mustOK(t, d.WriteRows(0, 3, tc.data))
		mustOK(t, d.Close())
		mustOK(t, d.Close()) // twice
	}
	mustOK(t, w.Commit())
	for _, tc := range tests {
		got, _, err := ReadFloat64Dataset(path, "/"+tc.dtype)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s from %T: got %v (%v), want %v", tc.dtype, tc.data, got, err, tc.want)
		}
	}
}

// TestWritePanics checks the programmer errors that panic.
func TestWritePanics(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "p.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	d, err := w.CreateDataset("/d", "uint8", []int{2, 3}, DatasetOptions{})
	mustOK(t, err)
	tests := []struct {
		name string
		fn   func()
	}{
		{"dims do not match", func() { w.WriteFloat64("/x", make([]float64, 5), 2, 3) }},
		{"rows length", func() { d.WriteRows(0, 1, make([]uint8, 4)) }},
		{"rows type", func() { d.WriteRows(0, 1, []int{1, 2, 3}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Error("no panic")
				} else if s, ok := r.(string); !ok || !strings.HasPrefix(s, "h5: ") {
					t.Errorf("panic value %v does not start with h5: ", r)
				}
			}()
			tc.fn()
		})
	}
}

// TestDefaultChunks checks the chunks chosen when gzip is asked without them.
func TestDefaultChunks(t *testing.T) {
	tests := []struct {
		dims []int
		size int
		want []int
	}{
		{[]int{64, 64, 256, 256}, 2, []int{1, 8, 256, 256}}, // 8 frames of 128 KiB
		{[]int{64, 64, 32, 32}, 2, []int{8, 64, 32, 32}},
		{[]int{4, 4, 1024, 1024}, 2, []int{1, 1, 512, 1024}},
		{[]int{1000}, 8, []int{1000}},
		{[]int{10, 0, 4}, 4, []int{10, 1, 4}},
	}
	for _, tc := range tests {
		if got := defaultChunks(tc.dims, tc.size, 1<<20); !slices.Equal(got, tc.want) {
			t.Errorf("defaultChunks(%v, %d) = %v, want %v", tc.dims, tc.size, got, tc.want)
		}
	}
}
