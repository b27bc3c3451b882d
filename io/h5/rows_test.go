package h5

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rowsFile writes the datasets of the row-read tests to a new file: /s (3, 5, 4) float64,
// scores-like, in every layout of rowLayouts; /q (2, 3, 5, 2) float64 chunked across
// every axis; /u (15, 4) uint16; /g a group holding /g/x. Element i of a dataset holds i
// (times 0.5 for the floats), so a read shows which elements it got.
func rowsFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rows.h5")
	w, err := Create(path)
	mustOK(t, err)
	defer w.Abort()
	write := func(name, dtype string, dims []int, opts DatasetOptions) {
		n := prod(dims)
		d, err := w.CreateDataset(name, dtype, dims, opts)
		mustOK(t, err)
		var data any
		switch dtype {
		case "uint16":
			v := make([]uint16, n)
			for i := range v {
				v[i] = uint16(i)
			}
			data = v
		default:
			v := make([]float64, n)
			for i := range v {
				v[i] = 0.5 * float64(i)
			}
			data = v
		}
		mustOK(t, d.WriteRows(0, dims[0], data))
	}
	for _, l := range rowLayouts {
		write("/s/"+l.name, "float64", []int{3, 5, 4}, l.opts)
	}
	write("/q", "float64", []int{2, 3, 5, 2}, DatasetOptions{Chunks: []int{1, 2, 2, 1}})
	write("/u", "uint16", []int{15, 4}, DatasetOptions{Chunks: []int{4, 3}})
	write("/g/x", "float64", []int{2, 2}, DatasetOptions{})
	mustOK(t, w.Commit())
	return path
}

// rowLayouts for the (3, 5, 4) dataset: contiguous, chunks that split scan rows, scan
// columns and the score axis, and compressed chunks.
var rowLayouts = []struct {
	name string
	opts DatasetOptions
}{
	{"contiguous", DatasetOptions{}},
	{"chunked", DatasetOptions{Chunks: []int{2, 3, 4}}},
	{"chunked-split", DatasetOptions{Chunks: []int{1, 2, 3}}},
	{"gzip", DatasetOptions{Chunks: []int{2, 2, 2}, Gzip: 4, Shuffle: true}},
}

// wantRows returns elements [beg·rowLen, end·rowLen) of a dataset written by rowsFile.
func wantRows(beg, end, rowLen int, scale float64) []float64 {
	out := make([]float64, 0, (end-beg)*rowLen)
	for i := beg * rowLen; i < end*rowLen; i++ {
		out = append(out, scale*float64(i))
	}
	return out
}

// TestReadRows reads every range [beg, end) of rows, 0 ≤ beg ≤ end ≤ rows, empty ranges
// and the last rows included, with every possible number of nav axes, from contiguous,
// chunked and compressed datasets, and checks the values and the number of boxes
// (at most 2·nav − 1).
func TestReadRows(t *testing.T) {
	path := rowsFile(t)
	f, err := OpenFile(path)
	mustOK(t, err)
	defer f.Close()
	type dsCase struct {
		name  string
		dims  []int
		scale float64
	}
	cases := []dsCase{{"/q", []int{2, 3, 5, 2}, 0.5}, {"/u", []int{15, 4}, 1}}
	for _, l := range rowLayouts {
		cases = append(cases, dsCase{"/s/" + l.name, []int{3, 5, 4}, 0.5})
	}
	for _, tc := range cases {
		dims, err := f.Dims(tc.name)
		mustOK(t, err)
		if !slices.Equal(dims, tc.dims) {
			t.Fatalf("%s: Dims = %v, want %v", tc.name, dims, tc.dims)
		}
		for nav := 1; nav <= len(tc.dims); nav++ {
			rows, rowLen := prod(tc.dims[:nav]), prod(tc.dims[nav:])
			for beg := 0; beg <= rows; beg++ {
				for end := beg; end <= rows; end++ {
					if beg < end {
						if nb := len(rowBoxes(tc.dims, nav, beg, end)); nb > 2*nav-1 {
							t.Errorf("%s, nav %d, rows [%d, %d): %d boxes", tc.name, nav, beg, end, nb)
						}
					}
					got, err := f.ReadRowsFloat64(nil, tc.name, nav, beg, end)
					if err != nil {
						t.Fatalf("%s, nav %d: %v", tc.name, nav, err)
					}
					if want := wantRows(beg, end, rowLen, tc.scale); !slices.Equal(got, want) {
						t.Fatalf("%s, nav %d, rows [%d, %d): got %v, want %v", tc.name, nav, beg, end, got, want)
					}
				}
			}
		}
	}
	// A given dst is filled in place.
	dst := make([]float64, 3*4)
	got, err := f.ReadRowsFloat64(dst, "s/chunked", 2, 12, 15)
	mustOK(t, err)
	if &got[0] != &dst[0] || !slices.Equal(dst, wantRows(12, 15, 4, 0.5)) {
		t.Errorf("dst not filled in place: %v", dst)
	}
}

// TestReadRowsErrors checks the errors, which name the file, the dataset and the range,
// and the panic on a dst of the wrong length.
func TestReadRowsErrors(t *testing.T) {
	path := rowsFile(t)
	f, err := OpenFile(path)
	mustOK(t, err)
	for _, tc := range []struct {
		name          string
		nav, beg, end int
		want          string
	}{
		{"/s/contiguous", 2, -1, 3, "invalid row range [-1, 3) for 15 rows"},
		{"/s/contiguous", 2, 4, 3, "invalid row range [4, 3) for 15 rows"},
		{"/s/contiguous", 2, 0, 16, "invalid row range [0, 16) for 15 rows"},
		{"/s/contiguous", 1, 0, 4, "invalid row range [0, 4) for 3 rows"},
		{"/s/contiguous", 0, 0, 1, "0 nav axes for dimensions [3 5 4]"},
		{"/s/contiguous", 4, 0, 1, "4 nav axes for dimensions [3 5 4]"},
		{"/missing", 1, 0, 1, "no such dataset"},
		{"/g", 1, 0, 1, "it is a group"},
	} {
		_, err := f.ReadRowsFloat64(nil, tc.name, tc.nav, tc.beg, tc.end)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s nav %d [%d, %d): error %v, want one with %q and the file name", tc.name, tc.nav, tc.beg, tc.end, err, tc.want)
		}
	}
	if _, err := f.Dims("/missing"); err == nil || !strings.Contains(err.Error(), "no such dataset") {
		t.Errorf("Dims(/missing): %v", err)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.HasPrefix(r.(string), "h5: ") {
				t.Errorf("wrong dst length: recover() = %v, want an h5 panic", r)
			}
		}()
		f.ReadRowsFloat64(make([]float64, 5), "/s/contiguous", 2, 0, 2)
	}()
	mustOK(t, f.Close())
	if _, err := f.ReadRowsFloat64(nil, "/s/contiguous", 2, 0, 1); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("read after Close: %v", err)
	}
}

// TestReadSlab reads boxes of the (3, 5, 4) dataset in every layout: the first column
// (what a reader of ROI scores needs), a corner box, the whole dataset, a single element
// at the end and an empty box; and checks the errors.
func TestReadSlab(t *testing.T) {
	path := rowsFile(t)
	f, err := OpenFile(path)
	mustOK(t, err)
	defer f.Close()
	dims := []int{3, 5, 4}
	// want returns the elements of the box in C order; element (i, j, k) holds
	// 0.5·((i·5 + j)·4 + k).
	want := func(start, count []int) []float64 {
		var out []float64
		for i := start[0]; i < start[0]+count[0]; i++ {
			for j := start[1]; j < start[1]+count[1]; j++ {
				for k := start[2]; k < start[2]+count[2]; k++ {
					out = append(out, 0.5*float64((i*dims[1]+j)*dims[2]+k))
				}
			}
		}
		return out
	}
	for _, l := range rowLayouts {
		for _, b := range [][2][]int{
			{{0, 0, 0}, {3, 5, 1}},
			{{1, 2, 1}, {2, 3, 2}},
			{{0, 0, 0}, {3, 5, 4}},
			{{2, 4, 3}, {1, 1, 1}},
			{{1, 1, 1}, {2, 0, 3}},
		} {
			got, err := f.ReadSlabFloat64(nil, "/s/"+l.name, b[0], b[1])
			mustOK(t, err)
			if w := want(b[0], b[1]); !slices.Equal(got, w) && !(len(got) == 0 && len(w) == 0) {
				t.Errorf("%s, box at %v of size %v: got %v, want %v", l.name, b[0], b[1], got, w)
			}
		}
	}
	for _, tc := range []struct {
		start, count []int
		want         string
	}{
		{[]int{0, 0}, []int{1, 1}, "want 3 start and count values"},
		{[]int{0, 0, 2}, []int{1, 1, 3}, "axis 2: [2, 5) is not within [0, 4)"},
		{[]int{-1, 0, 0}, []int{1, 1, 1}, "axis 0: [-1, 0) is not within [0, 3)"},
	} {
		if _, err := f.ReadSlabFloat64(nil, "/s/contiguous", tc.start, tc.count); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("box at %v of size %v: error %v, want one with %q", tc.start, tc.count, err, tc.want)
		}
	}
}
