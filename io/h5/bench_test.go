package h5

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// writeBenchFile writes a (sy, sx, dy, dx) uint16 dataset "/data", contiguous or
// with one-scan-row chunks, gzip level gz (0 for none).
func writeBenchFile(tb testing.TB, path string, sy, sx, dy, dx int, chunked bool, gz int) {
	tb.Helper()
	w, err := Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Abort()
	var opts DatasetOptions
	if chunked {
		opts.Chunks = []int{1, sx, dy, dx}
		opts.Gzip = gz
	}
	d, err := w.CreateDataset("/data", "uint16", []int{sy, sx, dy, dx}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	row := make([]uint16, sx*dy*dx)
	for y := 0; y < sy; y++ {
		for i := range row {
			row[i] = uint16((i*7 + y*13) % 4099)
		}
		if err := d.WriteRows(y, y+1, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		tb.Fatal(err)
	}
}

var sink32 float32

// benchRead reads the whole dataset as float32, tile frames at a time.
func benchRead(b *testing.B, path string, mode convMode, tile int) {
	r, err := Open(path, "/data")
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	r.conv = mode
	n, d := r.N(), r.D()
	dst := make([]float32, tile*d)
	b.SetBytes(int64(n * d * 2)) // uint16 bytes on disk
	b.ReportAllocs()
	raw := make([]uint16, len(dst))
	for b.Loop() {
		for beg := 0; beg < n; beg += tile {
			end := min(beg+tile, n)
			var err error
			if mode < 0 {
				// Reference: the uint16 read alone, without conversion.
				leave := enter()
				err = r.read(unsafe.Pointer(&raw[0]), u16, beg, end)
				leave()
			} else {
				err = r.ReadFloat32(dst[:(end-beg)*d], beg, end)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	sink32 = dst[len(dst)-1]
}

// convModes are the conversion paths compared; "raw" reads the uint16 data
// without converting it, as the reference.
var convModes = []struct {
	name string
	mode convMode
}{{"C", convNativeC}, {"hdf5", convHDF5}, {"Go", convNativeGo}, {"raw", -1}}

// BenchmarkReadFloat32 reads a 64 MiB uint16 dataset (16, 16, 256, 512), one
// scan row (16 frames, 4 MiB) at a time, from the page cache.
func BenchmarkReadFloat32(b *testing.B) {
	dir := b.TempDir()
	for _, layout := range []struct {
		name    string
		chunked bool
		gz      int
	}{{"contiguous", false, 0}, {"chunked", true, 0}, {"gzip1", true, 1}} {
		path := filepath.Join(dir, layout.name+".h5")
		writeBenchFile(b, path, 16, 16, 256, 512, layout.chunked, layout.gz)
		for _, m := range convModes {
			b.Run(layout.name+"/"+m.name, func(b *testing.B) { benchRead(b, path, m.mode, 16) })
		}
	}
}

// BenchmarkRead512MiB reads a 512 MiB uint16 dataset (64, 64, 256, 256) as
// float32 with several tile sizes. It writes the file first (about 1 s), so it
// runs only when STEMREDUCE_H5_BENCH512 is set.
func BenchmarkRead512MiB(b *testing.B) {
	if os.Getenv("STEMREDUCE_H5_BENCH512") == "" {
		b.Skip("set STEMREDUCE_H5_BENCH512=1 to run")
	}
	path := filepath.Join(b.TempDir(), "big.h5")
	writeBenchFile(b, path, 64, 64, 256, 256, false, 0)
	for _, tile := range []int{8, 64, 512, 4096} {
		for _, m := range convModes {
			b.Run(fmt.Sprintf("tile%d/%s", tile, m.name), func(b *testing.B) { benchRead(b, path, m.mode, tile) })
		}
	}
}
