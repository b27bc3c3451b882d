package h5

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// valueCase is one dtype with values that cover its range: element 0 is the
// minimum, element 1 the maximum, the rest a pattern that places every element
// differently. want32 and want64 are Go's conversions of the typed values, which
// round to nearest like C's casts used by the reader.
type valueCase struct {
	dtype  string
	data   any // typed slice for WriteRows
	want32 []float32
	want64 []float64
}

func makeCase[T number](dtype string, n int, lo, hi T, pattern func(i int) T) valueCase {
	v := make([]T, n)
	for i := range v {
		v[i] = pattern(i)
	}
	v[0], v[1] = lo, hi
	c := valueCase{dtype: dtype, data: v, want32: make([]float32, n), want64: make([]float64, n)}
	for i, x := range v {
		c.want32[i], c.want64[i] = float32(x), float64(x)
	}
	return c
}

// valueCases returns n values for every accepted dtype.
func valueCases(n int) []valueCase {
	p := func(i, m int) int { return (i*37 + 11) % m }
	return []valueCase{
		makeCase("uint8", n, 0, math.MaxUint8, func(i int) uint8 { return uint8(p(i, 250)) }),
		makeCase("uint16", n, 0, math.MaxUint16, func(i int) uint16 { return uint16(p(i, 60000)) }),
		makeCase("uint32", n, 0, math.MaxUint32, func(i int) uint32 { return uint32(p(i, 1<<20) * 4000) }),
		makeCase("uint64", n, 0, math.MaxUint64, func(i int) uint64 { return uint64(p(i, 1<<20)) << 40 }),
		makeCase("int8", n, math.MinInt8, math.MaxInt8, func(i int) int8 { return int8(p(i, 250) - 125) }),
		makeCase("int16", n, math.MinInt16, math.MaxInt16, func(i int) int16 { return int16(p(i, 60000) - 30000) }),
		makeCase("int32", n, math.MinInt32, math.MaxInt32, func(i int) int32 { return int32(p(i, 1<<20)-1<<19) * 4000 }),
		makeCase("int64", n, math.MinInt64, math.MaxInt64, func(i int) int64 { return int64(p(i, 1<<20)-1<<19) << 40 }),
		makeCase("float32", n, -math.MaxFloat32, math.MaxFloat32, func(i int) float32 { return float32(p(i, 1000)-500) * 0.125 }),
		makeCase("float64", n, -1e300, 1e-300, func(i int) float64 { return float64(p(i, 1000)-500) * 0.1 }),
	}
}

type layoutCase struct {
	name        string
	opts        DatasetOptions
	compression string
}

// layouts for a (3, 5, 4, 3) dataset: chunks that split scan rows, scan columns
// and the detector, so that reads touch partial chunks.
var layouts = []layoutCase{
	{"contiguous", DatasetOptions{}, ""},
	{"chunked", DatasetOptions{Chunks: []int{2, 3, 4, 2}}, ""},
	{"gzip", DatasetOptions{Chunks: []int{2, 3, 4, 2}, Gzip: 4}, "gzip level 4"},
	{"shuffle+gzip", DatasetOptions{Chunks: []int{1, 5, 2, 3}, Gzip: 1, Shuffle: true}, "shuffle, gzip level 1"},
}

// frameRanges for 15 frames in 3 scan rows of 5: whole, single frames, within a
// row, exactly one row, crossing one and two row boundaries, empty.
var frameRanges = [][2]int{{0, 15}, {0, 1}, {14, 15}, {1, 4}, {5, 10}, {4, 6}, {3, 12}, {2, 13}, {6, 15}, {0, 7}, {7, 7}, {0, 0}, {15, 15}}

func writeDataset(t *testing.T, path, name, dtype string, dims []int, opts DatasetOptions, data any) {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	d, err := w.CreateDataset(name, dtype, dims, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Two calls, so that WriteRows with beg > 0 is exercised.
	half := dims[0] / 2
	row := prod(dims[1:])
	if err := d.WriteRows(0, half, sliceOf(data, 0, half*row)); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteRows(half, dims[0], sliceOf(data, half*row, dims[0]*row)); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func sliceOf(data any, i, j int) any {
	switch v := data.(type) {
	case []uint8:
		return v[i:j]
	case []uint16:
		return v[i:j]
	case []uint32:
		return v[i:j]
	case []uint64:
		return v[i:j]
	case []int8:
		return v[i:j]
	case []int16:
		return v[i:j]
	case []int32:
		return v[i:j]
	case []int64:
		return v[i:j]
	case []float32:
		return v[i:j]
	case []float64:
		return v[i:j]
	}
	panic(fmt.Sprintf("sliceOf %T", data))
}

// TestReadDtypes reads every dtype in both byte orders and every layout back as
// float32 and float64 over frame ranges that cross scan rows; the values must be
// exact (they are Go's own conversions of the written values).
func TestReadDtypes(t *testing.T) {
	dir := t.TempDir()
	dims := []int{3, 5, 4, 3}
	const n, d = 15, 12
	for _, vc := range valueCases(n * d) {
		for _, big := range []bool{false, true} {
			for _, lc := range layouts {
				name := fmt.Sprintf("%s/%s/%s", vc.dtype, byteOrderName(big), lc.name)
				t.Run(name, func(t *testing.T) {
					path := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".h5")
					opts := lc.opts
					opts.BigEndian = big
					writeDataset(t, path, "/data", vc.dtype, dims, opts, vc.data)

					r, err := Open(path, "/data")
					if err != nil {
						t.Fatal(err)
					}
					defer r.Close()
					if r.Dtype() != vc.dtype || r.ByteOrder() != byteOrderName(big) || r.Compression() != lc.compression ||
						!slices.Equal(r.Chunks(), lc.opts.Chunks) || !slices.Equal(r.Nav(), []int{3, 5}) ||
						!slices.Equal(r.Sig(), []int{4, 3}) || !slices.Equal(r.Dims(), dims) {
						t.Fatalf("got dtype %s %s, chunks %v %q, nav %v sig %v dims %v",
							r.Dtype(), r.ByteOrder(), r.Chunks(), r.Compression(), r.Nav(), r.Sig(), r.Dims())
					}
					// Also with pieces of one frame (or one chunk run) per H5Dread.
					defer func(p int) { pieceBytes = p }(pieceBytes)
					for _, pb := range []int{pieceBytes, 1, 30 * vc.elemSize()} {
						pieceBytes = pb
						for _, fr := range frameRanges {
							readRange(t, r, vc, fr[0], fr[1])
						}
					}
				})
			}
		}
	}
}

func (vc valueCase) elemSize() int {
	c, _ := parseDtype(vc.dtype)
	return c.size()
}

// readRange reads frames [beg, end) of r as float32 and float64 and compares
// them with vc.
func readRange(t *testing.T, r *Reader, vc valueCase, beg, end int) {
	t.Helper()
	d := r.D()
	got32 := make([]float32, (end-beg)*d)
	if err := r.ReadFloat32(got32, beg, end); err != nil {
		t.Fatal(err)
	}
	if want := vc.want32[beg*d : end*d]; !equalBits32(got32, want) {
		t.Errorf("ReadFloat32 [%d, %d) with %d-byte pieces:\n got %v\nwant %v", beg, end, pieceBytes, got32, want)
	}
	got64 := make([]float64, (end-beg)*d)
	if err := r.ReadFloat64(got64, beg, end); err != nil {
		t.Fatal(err)
	}
	if want := vc.want64[beg*d : end*d]; !slices.Equal(got64, want) {
		t.Errorf("ReadFloat64 [%d, %d) with %d-byte pieces:\n got %v\nwant %v", beg, end, pieceBytes, got64, want)
	}
}

func equalBits32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestReadRanks checks the accepted layouts: which axes are scan axes, and that
// frames come back in scan order whatever the singleton axes.
func TestReadRanks(t *testing.T) {
	dir := t.TempDir()
	const d = 6 // detector 2 x 3
	tests := []struct {
		name string
		dims []int
		nav  []int
	}{
		{"rank3", []int{15, 2, 3}, []int{15}},
		{"rank4", []int{3, 5, 2, 3}, []int{3, 5}},
		{"rank4/line scan", []int{1, 15, 2, 3}, []int{1, 15}},
		{"rank5/leading singleton", []int{1, 3, 5, 2, 3}, []int{3, 5}},
		{"rank5/middle singleton", []int{3, 1, 5, 2, 3}, []int{3, 5}},
		{"rank5/stack", []int{1, 1, 15, 2, 3}, []int{15}},
		{"rank6/singletons", []int{1, 3, 1, 5, 2, 3}, []int{3, 5}},
		{"rank5/all singleton", []int{1, 1, 1, 2, 3}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := prod(tc.nav)
			data := make([]float32, n*d)
			for i := range data {
				data[i] = float32(i)
			}
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, "/", "_")+".h5")
			for _, chunked := range []bool{false, true} {
				var opts DatasetOptions
				if chunked {
					opts.Chunks = slices.Clone(tc.dims)
					for i := range opts.Chunks[:len(opts.Chunks)-2] {
						opts.Chunks[i] = (opts.Chunks[i] + 1) / 2
					}
				}
				writeDataset(t, path, "/x/y", "float32", tc.dims, opts, data)
				r, err := Open(path, "x/y") // root-relative path
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(r.Nav(), tc.nav) || !slices.Equal(r.Sig(), []int{2, 3}) || r.Dataset() != "/x/y" ||
					r.N() != n || r.D() != d {
					t.Fatalf("nav %v sig %v dataset %q", r.Nav(), r.Sig(), r.Dataset())
				}
				for beg := 0; beg <= n; beg++ {
					for end := beg; end <= n; end++ {
						got := make([]float64, (end-beg)*d)
						if err := r.ReadFloat64(got, beg, end); err != nil {
							t.Fatal(err)
						}
						for i, v := range got {
							if v != float64(beg*d+i) {
								t.Fatalf("chunked %v: frames [%d, %d): element %d is %v, want %d", chunked, beg, end, i, v, beg*d+i)
							}
						}
					}
				}
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestAutoDetect opens files without a dataset path.
func TestAutoDetect(t *testing.T) {
	dir := t.TempDir()
	one := filepath.Join(dir, "one.h5")
	w, err := Create(one)
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, w.WriteFloat64("/meta/calibration", []float64{1, 2}))
	mustOK(t, w.WriteFloat64("/meta/image", make([]float64, 6), 2, 3))
	mustOK(t, w.WriteFloat64("/meta/flat", make([]float64, 6), 1, 2, 3)) // 2 axes longer than 1
	mustOK(t, w.WriteStrings("/meta/names", []string{"a", "b", "c"}, 1, 1, 3))
	mustOK(t, w.WriteFloat32("/experiment/data", make([]float32, 4*3*2*2), 1, 4, 3, 2, 2))
	mustOK(t, w.Commit())
	r, err := Open(one, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Dataset() != "/experiment/data" || !slices.Equal(r.Nav(), []int{4, 3}) {
		t.Errorf("picked %q nav %v, want /experiment/data nav [4 3]", r.Dataset(), r.Nav())
	}
	r.Close()

	two := filepath.Join(dir, "two.h5")
	w, err = Create(two)
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, w.WriteFloat32("/a", make([]float32, 4*4*2*2), 4, 4, 2, 2))
	mustOK(t, w.WriteFloat32("/b", make([]float32, 10*2*2), 10, 2, 2))
	mustOK(t, w.WriteFloat32("/c", make([]float32, 4), 2, 2))
	mustOK(t, w.Commit())
	_, err = Open(two, "")
	want := fmt.Sprintf(`h5: %q has 2 candidate datasets, choose one with %s:/path: /a (4, 4, 2, 2), /b (10, 2, 2)`, two, two)
	if err == nil || err.Error() != want {
		t.Errorf("got error\n%v\nwant\n%s", err, want)
	}

	none := filepath.Join(dir, "none.h5")
	w, err = Create(none)
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, w.WriteFloat32("/c", make([]float32, 4), 2, 2))
	mustOK(t, w.Commit())
	_, err = Open(none, "")
	if err == nil || !strings.Contains(err.Error(), "has no dataset of 3 or 4 dimensions") || !strings.Contains(err.Error(), "/c (2, 2)") {
		t.Errorf("got error %v", err)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadRange checks range errors, the length panic, Close twice and use after Close.
func TestReadRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.h5")
	writeDataset(t, path, "/data", "uint16", []int{3, 5, 4, 3}, DatasetOptions{}, make([]uint16, 180))
	r, err := Open(path, "/data")
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range [][2]int{{-1, 2}, {3, 2}, {0, 16}, {16, 16}} {
		err := r.ReadFloat32(nil, fr[0], fr[1])
		want := fmt.Sprintf("h5: invalid frame range [%d, %d) for 15 frames", fr[0], fr[1])
		if err == nil || err.Error() != want {
			t.Errorf("range %v: got %v, want %s", fr, err, want)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("ReadFloat64 with a short dst did not panic")
			}
		}()
		r.ReadFloat64(make([]float64, 11), 0, 1)
	}()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := r.ReadFloat32(make([]float32, 12), 0, 1); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("read after Close: %v", err)
	}
}

// TestFramesPerChunk checks the read alignment and the chunk cache size.
func TestFramesPerChunk(t *testing.T) {
	tests := []struct {
		name   string
		dims   []int
		chunks []int
		fpc    int
		cache  int // bytes, for uint16
	}{
		{"contiguous", []int{64, 64, 32, 32}, nil, 1, 0},
		{"per frame", []int{64, 64, 32, 32}, []int{1, 1, 32, 32}, 1, minChunkCache},
		{"row chunks", []int{64, 64, 32, 32}, []int{1, 64, 32, 32}, 64, minChunkCache},
		{"row part", []int{64, 64, 32, 32}, []int{1, 16, 32, 32}, 16, minChunkCache},
		{"row part, no divisor", []int{64, 60, 32, 32}, []int{1, 16, 32, 32}, 60, minChunkCache},
		{"tiles", []int{64, 64, 32, 32}, []int{8, 8, 16, 16}, 512, 8 * 4 * 8 * 8 * 16 * 16 * 2},
		{"big tiles", []int{256, 256, 256, 256}, []int{16, 16, 256, 256}, 4096, maxChunkCache},
		{"stack", []int{1000, 32, 32}, []int{10, 32, 32}, 10, minChunkCache},
		{"stack, detector split", []int{1000, 256, 256}, []int{100, 128, 128}, 100, 4 * 100 * 128 * 128 * 2},
		{"chunk longer than scan", []int{5, 32, 32}, []int{10, 32, 32}, 5, minChunkCache},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			axes := navAxes(tc.dims)
			var nav []int
			for _, a := range axes {
				nav = append(nav, tc.dims[a])
			}
			fpc := framesPerChunk(tc.chunks, axes, nav)
			if fpc != tc.fpc {
				t.Errorf("framesPerChunk = %d, want %d", fpc, tc.fpc)
			}
			if tc.chunks == nil {
				return
			}
			info := dsInfo{dims: tc.dims, chunks: tc.chunks, typ: typeInfo{ok: true, code: u16}}
			_, nbytes := chunkCache(info, axes, nav, fpc)
			if nbytes != tc.cache {
				t.Errorf("chunk cache %d bytes, want %d", nbytes, tc.cache)
			}
		})
	}
}

// TestConcurrentReaders reads two files from several goroutines at once.
func TestConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	data := make([]uint16, 3*5*4*3)
	for i := range data {
		data[i] = uint16(i)
	}
	var paths []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("c%d.h5", i))
		writeDataset(t, p, "/data", "uint16", []int{3, 5, 4, 3}, DatasetOptions{Chunks: []int{1, 5, 4, 3}, Gzip: 1}, data)
		paths = append(paths, p)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := Open(paths[g%2], "")
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			dst := make([]float32, 12)
			for it := range 200 {
				f := (it + g) % 15
				if err := r.ReadFloat32(dst, f, f+1); err != nil {
					errs <- err
					return
				}
				if dst[0] != float32(f*12) || dst[11] != float32(f*12+11) {
					errs <- fmt.Errorf("frame %d: got %v", f, dst)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSplitSpec(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "run:/x.h5") // a file whose name contains ":/"
	mustOK(t, os.MkdirAll(filepath.Dir(odd), 0o755))
	mustOK(t, os.WriteFile(odd, nil, 0o644))
	tests := []struct{ spec, file, dset string }{
		{"scan.h5", "scan.h5", ""},
		{"scan.h5:/experiment/data", "scan.h5", "/experiment/data"},
		{"/data/a:/b/scan.h5:/d", "/data/a:/b/scan.h5", "/d"},
		{odd, odd, ""},
		{odd + ":/data", odd, "/data"},
	}
	for _, tc := range tests {
		if file, dset := SplitSpec(tc.spec); file != tc.file || dset != tc.dset {
			t.Errorf("SplitSpec(%q) = %q, %q, want %q, %q", tc.spec, file, dset, tc.file, tc.dset)
		}
	}
}
