package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// values returns n test values that fit dtype, covering its extremes.
func values(dtype string, n int) []float64 {
	var lo, hi float64
	switch dtype {
	case "uint8":
		lo, hi = 0, 255
	case "int8":
		lo, hi = -128, 127
	case "uint16":
		lo, hi = 0, 65535
	case "int16":
		lo, hi = -32768, 32767
	case "uint32":
		lo, hi = 0, 1<<32-1
	case "int32":
		lo, hi = -1<<31, 1<<31-1
	case "uint64":
		lo, hi = 0, 1<<53 // exact in float64
	case "int64":
		lo, hi = -1<<53, 1<<53
	}
	out := make([]float64, n)
	special := []float64{lo, hi, 0, 1}
	if dtype == "float32" {
		special = []float64{0, math.Copysign(0, -1), 1.5, float64(float32(-3.25e-40)), math.MaxFloat32, math.Inf(-1), 0x1p-149}
	}
	if dtype == "float64" {
		special = []float64{0, math.Copysign(0, -1), math.Pi, -1e-310, math.MaxFloat64, math.Inf(1), 5e-324}
	}
	for i := range out {
		if i < len(special) {
			out[i] = special[i]
			continue
		}
		switch dtype {
		case "float32":
			out[i] = float64(float32(math.Sin(float64(i)) * 1e3))
		case "float64":
			out[i] = math.Sin(float64(i)) * 1e6
		default:
			// A whole number spread over [lo, hi].
			out[i] = math.Floor(lo + (hi-lo)*(0.5+0.5*math.Sin(float64(i)*1.7)))
		}
	}
	return out
}

var allDtypes = []string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float32", "float64"}

func TestRoundTrip(t *testing.T) {
	shapes := []struct {
		dims     []int
		nav, sig []int
	}{
		{[]int{5, 3, 4}, []int{5}, []int{3, 4}},
		{[]int{2, 3, 4, 5}, []int{2, 3}, []int{4, 5}},
		{[]int{1, 2, 3, 4, 5}, []int{2, 3}, []int{4, 5}},
		{[]int{2, 1, 3, 1, 4, 5}, []int{2, 3}, []int{4, 5}},
		{[]int{1, 1, 7, 4, 5}, []int{1, 7}, []int{4, 5}},
		{[]int{3, 1, 1}, []int{3}, []int{1, 1}},
	}
	dir := t.TempDir()
	for _, dt := range allDtypes {
		for _, big := range []bool{false, true} {
			for _, sh := range shapes {
				name := fmt.Sprintf("%s big=%v %v", dt, big, sh.dims)
				path := filepath.Join(dir, fmt.Sprintf("%s-%v-%d.npy", dt, big, len(sh.dims)))
				data := values(dt, prod(sh.dims))
				if err := Write(path, dt, big, sh.dims, data); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				r, err := Open(path)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				order := "little"
				switch {
				case dt == "uint8" || dt == "int8":
					order = "none"
				case big:
					order = "big"
				}
				if r.Dtype() != dt || r.ByteOrder() != order || !slices.Equal(r.Dims(), sh.dims) ||
					!slices.Equal(r.Nav(), sh.nav) || !slices.Equal(r.Sig(), sh.sig) || r.File() != path {
					t.Errorf("%s: Dtype %s ByteOrder %s Dims %v Nav %v Sig %v File %s", name, r.Dtype(), r.ByteOrder(), r.Dims(), r.Nav(), r.Sig(), r.File())
				}
				if r.DataOffset()%64 != 0 {
					t.Errorf("%s: data at offset %d, want a multiple of 64", name, r.DataOffset())
				}
				n, d := prod(sh.nav), prod(sh.sig)
				got64 := make([]float64, n*d)
				got32 := make([]float32, n*d)
				// Frame by frame, backwards, then all at once.
				for f := n - 1; f >= 0; f-- {
					if err := r.ReadFloat64(got64[f*d:(f+1)*d], f, f+1); err != nil {
						t.Fatalf("%s: frame %d: %v", name, f, err)
					}
				}
				if err := r.ReadFloat32(got32, 0, n); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i, v := range data {
					if math.Float64bits(got64[i]) != math.Float64bits(v) {
						t.Fatalf("%s: ReadFloat64 element %d = %v, want %v", name, i, got64[i], v)
					}
					if math.Float32bits(got32[i]) != math.Float32bits(float32(v)) {
						t.Fatalf("%s: ReadFloat32 element %d = %v, want %v", name, i, got32[i], float32(v))
					}
				}
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestNumpyHeader parses the header NumPy 1.x writes for np.save(f, np.zeros((2, 3, 4, 5),
// '<u2')): version 1.0, header length 0x76 = 118, padded with spaces to 128 bytes in all.
// Write must produce the same bytes.
func TestNumpyHeader(t *testing.T) {
	dict := "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4, 5), }"
	hdr := "\x93NUMPY\x01\x00v\x00" + dict + strings.Repeat(" ", 128-10-len(dict)-1) + "\n"
	if len(hdr) != 128 {
		t.Fatalf("test header has %d bytes", len(hdr))
	}
	data := make([]byte, 2*120)
	for i := range 120 {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(1000*i))
	}
	path := filepath.Join(t.TempDir(), "np.npy")
	if err := os.WriteFile(path, append([]byte(hdr), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Dtype() != "uint16" || r.Descr() != "<u2" || !slices.Equal(r.Nav(), []int{2, 3}) || !slices.Equal(r.Sig(), []int{4, 5}) || r.DataOffset() != 128 {
		t.Errorf("Dtype %s Descr %s Nav %v Sig %v DataOffset %d", r.Dtype(), r.Descr(), r.Nav(), r.Sig(), r.DataOffset())
	}
	got := make([]float64, 2*20)
	if err := r.ReadFloat64(got, 4, 6); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if want := float64(uint16(1000 * (80 + i))); v != want {
			t.Fatalf("element %d of frames [4, 6) = %v, want %v", i, v, want)
		}
	}
	if got := header(dtype{'u', 2, false}, []int{2, 3, 4, 5}); string(got) != hdr {
		t.Errorf("header() =\n%q\nwant\n%q", got, hdr)
	}
}

// TestHeaderVariants parses headers NumPy or other writers may produce: versions 2.0 and
// 3.0, keys in another order, double quotes, Python 2 long integers, NumPy ≥ 1.24's extra
// spaces, no trailing comma, and an extra key.
func TestHeaderVariants(t *testing.T) {
	tests := []struct {
		name    string
		version byte
		dict    string
	}{
		{"v2", 2, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4, 5), }"},
		{"v3", 3, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4, 5), }"},
		{"order", 1, "{'shape': (2, 3, 4, 5), 'fortran_order': False, 'descr': '<u2'}"},
		{"quotes", 1, `{"descr": "<u2", "fortran_order": False, "shape": (2L, 3L, 4L, 5L)}`},
		{"growth", 1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4, 5), }                    "},
		{"extra", 1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4, 5), 'meta': {'a': [1, 2.5, None]}}"},
		{"unpadded", 1, "{'descr':'<u2','fortran_order':False,'shape':(2,3,4,5)}"},
	}
	data := make([]byte, 2*120)
	for _, tc := range tests {
		path := filepath.Join(t.TempDir(), tc.name+".npy")
		if err := os.WriteFile(path, append(rawHeader(tc.version, tc.dict), data...), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !slices.Equal(r.Dims(), []int{2, 3, 4, 5}) || r.Dtype() != "uint16" {
			t.Errorf("%s: Dims %v Dtype %s", tc.name, r.Dims(), r.Dtype())
		}
		r.Close()
	}
}

// rawHeader returns a preamble and header in format version v, with dict padded with spaces
// and a newline to a multiple of 64 bytes.
func rawHeader(v byte, dict string) []byte {
	pre := 10
	if v > 1 {
		pre = 12
	}
	n := len(dict) + 1
	n += (64 - (pre+n)%64) % 64
	b := append([]byte(magic), v, 0)
	if v > 1 {
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
	}
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", n-len(dict)-1)...)
	return append(b, '\n')
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := func(shape string) string {
		return "{'descr': '<u2', 'fortran_order': False, 'shape': " + shape + ", }"
	}
	hdr := func(dict string) []byte { return rawHeader(1, dict) }
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, `not a NumPy .npy file`},
		{"text", []byte("hello, world, this is not an array\n"), `not a NumPy .npy file`},
		{"hdf5", []byte("\x89HDF\r\n\x1a\n and more bytes"), `not a NumPy .npy file`},
		{"version", append([]byte(magic), 4, 0, 0, 0), `unsupported format version 4.0: want 1.0, 2.0 or 3.0`},
		{"short header", append([]byte(magic), 1, 0, 100, 0, '{'), `truncated: the header needs 110 bytes, the file has 11`},
		{"truncated data", append(hdr(good("(2, 3, 4, 5)")), make([]byte, 239)...), `truncated: shape (2, 3, 4, 5) of uint16 needs 240 data bytes, the file has 239 after the header`},
		{"no data", hdr(good("(2, 3, 4, 5)")), `truncated: shape (2, 3, 4, 5) of uint16 needs 240 data bytes, the file has 0 after the header`},
		{"fortran", hdr("{'descr': '<u2', 'fortran_order': True, 'shape': (2, 3, 4, 5), }"), `array is in Fortran (column-major) order, which is not supported: save numpy.ascontiguousarray(a) instead`},
		{"complex", hdr("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3, 4, 5), }"), `unsupported dtype '<c8': want one of |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f4 <f8 (or >)`},
		{"object", hdr("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3, 4), }"), `unsupported dtype '|O'`},
		{"string", hdr("{'descr': '<U10', 'fortran_order': False, 'shape': (2, 3, 4), }"), `unsupported dtype '<U10'`},
		{"half", hdr("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3, 4), }"), `unsupported dtype '<f2'`},
		{"bool", hdr("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 3, 4), }"), `unsupported dtype '|b1'`},
		{"no order", hdr("{'descr': '|u2', 'fortran_order': False, 'shape': (2, 3, 4), }"), `unsupported dtype '|u2'`},
		{"structured", hdr("{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (2, 3, 4), }"), `unsupported dtype [('a', '<i4'), ('b', '<f8')]`},
		{"2-D", hdr(good("(64, 64)")), `shape (64, 64): 2-D array: want (N, dy, dx) or (sy, sx, dy, dx)`},
		{"1-D", hdr(good("(64,)")), `shape (64,): 1-D array: want (N, dy, dx) or (sy, sx, dy, dx)`},
		{"0-D", hdr(good("()")), `shape (): 0-D array: want (N, dy, dx) or (sy, sx, dy, dx)`},
		{"5-D", hdr(good("(2, 3, 4, 5, 6)")), `shape (2, 3, 4, 5, 6): 5 axes, of which at most 4 may be longer than 1: want (N, dy, dx) or (sy, sx, dy, dx)`},
		{"empty", hdr(good("(0, 4, 4)")), `shape (0, 4, 4): empty array`},
		{"empty 4-D", hdr(good("(3, 0, 4, 4)")), `shape (3, 0, 4, 4): empty array`},
		{"negative", hdr(good("(3, -1, 4, 4)")), `shape (3, -1, 4, 4): negative dimension`},
		{"huge", hdr(good("(4294967296, 4294967296, 4, 4)")), `the data would have more than 2^63 bytes`},
		{"shape list", hdr(good("[2, 3, 4]")), `shape [2, 3, 4] is not a tuple of integers`},
		{"no shape", hdr("{'descr': '<u2', 'fortran_order': False}"), `header has no 'shape' key`},
		{"fortran not bool", hdr("{'descr': '<u2', 'fortran_order': 0, 'shape': (2, 3, 4)}"), `fortran_order is 0, not True or False`},
		{"not a dict", hdr("['descr', '<u2']"), `header is not a Python dict`},
		{"bad syntax", hdr("{'descr': '<u2' 'fortran_order': False}"), `header: want ',' or '}'`},
		{"unterminated", hdr("{'descr': '<u2"), `unterminated string`},
		{"after dict", hdr("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4)} x"), `after the dict`},
		{"duplicate", hdr("{'descr': '<u2', 'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4)}"), `header key 'descr' given twice`},
	}
	for i, tc := range tests {
		path := filepath.Join(dir, fmt.Sprintf("x%d.npy", i))
		if err := os.WriteFile(path, tc.file, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err == nil {
			r.Close()
			t.Errorf("%s: no error, want %s", tc.name, tc.want)
			continue
		}
		prefix := fmt.Sprintf("npy: %q: ", path)
		if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s...%s...", tc.name, msg, prefix, tc.want)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing.npy")); err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "could not open") {
		t.Errorf("missing file: %v", err)
	}
}

// TestBadDtypeMessage checks the exact message the documentation shows.
func TestBadDtypeMessage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	if err := os.WriteFile(path, rawHeader(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3, 4), }"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	want := fmt.Sprintf(`npy: %q: unsupported dtype '<c8': want one of |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f4 <f8 (or >)`, path)
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestReadErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	if err := Write(path, "uint16", false, []int{4, 2, 3}, values("uint16", 24)); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range [][2]int{{-1, 1}, {3, 2}, {0, 5}} {
		if err := r.ReadFloat64(make([]float64, 6*max(0, rg[1]-rg[0])), rg[0], rg[1]); err == nil {
			t.Errorf("range [%d, %d): no error", rg[0], rg[1])
		}
	}
	if err := r.ReadFloat32(make([]float32, 30), 0, 5); err == nil || err.Error() != fmt.Sprintf("npy: invalid frame range [0, 5) for 4 frames in %q", path) {
		t.Errorf("range error: %v", err)
	}
	if err := r.ReadFloat32(nil, 4, 4); err != nil {
		t.Errorf("empty range: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("a short dst did not panic")
			}
		}()
		_ = r.ReadFloat64(make([]float64, 5), 0, 1)
	}()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := r.ReadFloat64(make([]float64, 6), 0, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v, want ErrClosed", err)
	}
}

// TestTruncatedAfterOpen checks that a file cut short after Open gives a read error, not
// zeros.
func TestTruncatedAfterOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	if err := Write(path, "float32", false, []int{4, 2, 3}, values("float32", 24)); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := os.Truncate(path, r.DataOffset()+4*6*2+1); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadFloat32(make([]float32, 12), 0, 2); err != nil {
		t.Errorf("frames before the cut: %v", err)
	}
	for _, f := range []func() error{
		func() error { return r.ReadFloat32(make([]float32, 12), 2, 4) },
		func() error { return r.ReadFloat64(make([]float64, 12), 2, 4) },
	} {
		if err := f(); err == nil || !strings.Contains(err.Error(), "could not read frames [2, 4)") {
			t.Errorf("frames after the cut: %v", err)
		}
	}
}

// TestLargeRead reads within one conversion chunk and across several (chunkBytes = 1 MiB).
func TestLargeRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.npy")
	dims := []int{3, 5, 128, 256} // 491 520 elements: 0.94 MiB of int16 (one chunk), 3.75 MiB of uint64 (four)
	data := values("int16", prod(dims))
	if err := Write(path, "int16", true, dims, data); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]float64, len(data))
	if err := r.ReadFloat64(got, 0, 15); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, data) {
		t.Errorf("large read differs")
	}
	// And a type whose read spans several chunks.
	path8 := filepath.Join(t.TempDir(), "big8.npy")
	data8 := values("uint64", prod(dims))
	if err := Write(path8, "uint64", false, dims, data8); err != nil {
		t.Fatal(err)
	}
	r8, err := Open(path8)
	if err != nil {
		t.Fatal(err)
	}
	defer r8.Close()
	got32 := make([]float32, len(data8))
	if err := r8.ReadFloat32(got32, 0, 15); err != nil {
		t.Fatal(err)
	}
	for i, v := range data8 {
		if got32[i] != float32(v) {
			t.Fatalf("element %d = %v, want %v", i, got32[i], float32(v))
		}
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.npy")
	tests := []struct {
		name  string
		dtype string
		dims  []int
		data  []float64
		want  string
	}{
		{"dtype", "complex64", []int{1}, []float64{1}, `unsupported dtype "complex64"`},
		{"count", "uint8", []int{2, 2}, []float64{1, 2, 3}, `shape (2, 2) has 4 elements, data has 3`},
		{"negative", "uint8", []int{2, -2}, nil, `negative dimension in shape (2, -2)`},
		{"fraction", "uint16", []int{2}, []float64{1, 2.5}, `value 2.5 at index 1 does not fit uint16`},
		{"range", "uint8", []int{2}, []float64{255, 256}, `value 256 at index 1 does not fit uint8`},
		{"sign", "uint32", []int{1}, []float64{-1}, `value -1 at index 0 does not fit uint32`},
		{"int8", "int8", []int{1}, []float64{-129}, `value -129 at index 0 does not fit int8`},
		{"int64", "int64", []int{1}, []float64{0x1p63}, `does not fit int64`},
		{"nan", "int32", []int{1}, []float64{math.NaN()}, `value NaN at index 0 does not fit int32`},
		{"inf", "uint64", []int{1}, []float64{math.Inf(1)}, `value +Inf at index 0 does not fit uint64`},
	}
	for _, tc := range tests {
		err := Write(path, tc.dtype, false, tc.dims, tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), fmt.Sprintf("npy: could not write %q: ", path)) {
			t.Errorf("%s: %v, want ...%s", tc.name, err, tc.want)
		}
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir.npy"), "uint8", false, []int{1}, []float64{1}); err == nil {
		t.Errorf("write into a missing directory: no error")
	}
	// Nothing is left behind: no file, no temporary.
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed writes left %v", ents)
	}
}

// TestWriteAtomic checks that Write replaces an existing file whole and leaves no temporary.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npy")
	if err := Write(path, "uint8", false, []int{2, 2, 2}, make([]float64, 8)); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, "float64", true, []int{3, 2, 2}, values("float64", 12)); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "a.npy" {
		t.Errorf("directory holds %v", ents)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := append(header(dtype{'f', 8, true}, []int{3, 2, 2}), make([]byte, 96)...)
	for i, v := range values("float64", 12) {
		binary.BigEndian.PutUint64(want[len(want)-96+8*i:], math.Float64bits(v))
	}
	if !bytes.Equal(b, want) {
		t.Errorf("file bytes differ from the expected header and big-endian data")
	}
	if !strings.HasPrefix(string(b), "\x93NUMPY\x01\x00") {
		t.Errorf("not version 1.0: %q", b[:8])
	}
}

// TestLongHeader checks that a header too long for version 1.0 is written as 2.0.
func TestLongHeader(t *testing.T) {
	dims := append(slices.Repeat([]int{1}, 30000), 2, 3, 4)
	path := filepath.Join(t.TempDir(), "long.npy")
	if err := Write(path, "uint8", false, dims, make([]float64, 24)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b[6] != 2 || (12+int(binary.LittleEndian.Uint32(b[8:12])))%64 != 0 {
		t.Errorf("version %d.%d, header length %d", b[6], b[7], binary.LittleEndian.Uint32(b[8:12]))
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Length-1 axes go, leftmost first, until 4 axes are left: (1, 2, 3, 4).
	if !slices.Equal(r.Nav(), []int{1, 2}) || !slices.Equal(r.Sig(), []int{3, 4}) {
		t.Errorf("Nav %v Sig %v", r.Nav(), r.Sig())
	}
}
