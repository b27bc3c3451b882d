package npy

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// python returns the path of a Python 3 that has NumPy (python3 on PATH, then
// /usr/bin/python3), or skips the test.
func python(t *testing.T) string {
	t.Helper()
	var cands []string
	if py, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, py)
	}
	cands = append(cands, "/usr/bin/python3")
	for _, py := range cands {
		if err := exec.Command(py, "-c", "import numpy").Run(); err == nil {
			return py
		}
	}
	t.Skip("no python3 with numpy: skipping the cross-check against NumPy")
	return ""
}

// crossValue is the value both sides put at flat index i of an array of kind 'u', 'i' or
// 'f'; pyValues is the same as a NumPy expression for n elements. Every value fits every
// type of its kind.
func crossValue(kind byte, i int) float64 {
	switch kind {
	case 'f':
		return float64(i)*0.25 - 7
	case 'i':
		return float64(i%200) - 100
	}
	return float64(i % 250)
}

func pyValues(kind byte, n int) string {
	switch kind {
	case 'f':
		return fmt.Sprintf("(np.arange(%d) * 0.25 - 7)", n)
	case 'i':
		return fmt.Sprintf("(np.arange(%d) %% 200 - 100)", n)
	}
	return fmt.Sprintf("(np.arange(%d) %% 250)", n)
}

// TestNumpyCrossCheck reads files that NumPy wrote with np.save, in every supported dtype
// and byte order, 3-D and 4-D, and has NumPy load files that Write wrote. It runs only when
// python3 with numpy is installed.
func TestNumpyCrossCheck(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	type file struct {
		t    dtype
		dims []int
	}
	var files []file
	for _, name := range allDtypes {
		for _, big := range []bool{false, true} {
			dt := dtypes[name]
			dt.big = big && dt.size > 1
			for _, dims := range [][]int{{3, 4, 5}, {2, 3, 4, 5}} {
				files = append(files, file{dt, dims})
			}
		}
	}

	// NumPy writes, Open reads.
	var script strings.Builder
	script.WriteString("import numpy as np\n")
	for i, f := range files {
		fmt.Fprintf(&script, "np.save(%q, %s.astype(%q).reshape(%s))\n",
			filepath.Join(dir, fmt.Sprintf("np%d.npy", i)), pyValues(f.t.kind, prod(f.dims)), f.t.descr(), shapeString(f.dims))
	}
	// Format versions 2.0 and 3.0, which np.save uses only for huge or non-Latin-1 headers.
	for _, v := range []int{2, 3} {
		fmt.Fprintf(&script, "with open(%q, 'wb') as f: np.lib.format.write_array(f, np.arange(24, dtype='<u2').reshape(2, 3, 4), version=(%d, 0))\n",
			filepath.Join(dir, fmt.Sprintf("v%d.npy", v)), v)
	}
	if out, err := exec.Command(py, "-c", script.String()).CombinedOutput(); err != nil {
		t.Fatalf("numpy failed: %v\n%s", err, out)
	}
	for _, v := range []int{2, 3} {
		r, err := Open(filepath.Join(dir, fmt.Sprintf("v%d.npy", v)))
		if err != nil {
			t.Fatalf("version %d.0: %v", v, err)
		}
		got := make([]float64, 24)
		if err := r.ReadFloat64(got, 0, 2); err != nil {
			t.Fatal(err)
		}
		for j, x := range got {
			if x != float64(j) {
				t.Fatalf("version %d.0: element %d = %v", v, j, x)
			}
		}
		r.Close()
	}
	for i, f := range files {
		r, err := Open(filepath.Join(dir, fmt.Sprintf("np%d.npy", i)))
		if err != nil {
			t.Fatalf("%s %v: %v", f.t.descr(), f.dims, err)
		}
		if r.Descr() != f.t.descr() {
			t.Errorf("%s: Descr %s", f.t.descr(), r.Descr())
		}
		got := make([]float64, prod(f.dims))
		if err := r.ReadFloat64(got, 0, prod(r.Nav())); err != nil {
			t.Fatal(err)
		}
		for j, v := range got {
			if want := crossValue(f.t.kind, j); v != want {
				t.Fatalf("%s %v: element %d = %v, want %v", f.t.descr(), f.dims, j, v, want)
			}
		}
		r.Close()
	}

	// Write writes, NumPy loads.
	script.Reset()
	script.WriteString("import numpy as np\nbad = []\n")
	for i, f := range files {
		n := prod(f.dims)
		data := make([]float64, n)
		for j := range data {
			data[j] = crossValue(f.t.kind, j)
		}
		path := filepath.Join(dir, fmt.Sprintf("go%d.npy", i))
		if err := Write(path, f.t.name(), f.t.big, f.dims, data); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&script, "a = np.load(%q)\nif a.dtype != np.dtype(%q) or a.shape != %s or not np.array_equal(a.ravel(), %s.astype(a.dtype)): bad.append(%q)\n",
			path, f.t.descr(), shapeString(f.dims), pyValues(f.t.kind, n), f.t.descr()+shapeString(f.dims))
	}
	script.WriteString("print('bad:', ' '.join(bad))\n")
	out, err := exec.Command(py, "-c", script.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy failed: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "bad:" {
		t.Errorf("numpy could not load these files as written: %s", got)
	}
}
