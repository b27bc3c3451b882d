package h5

// #include "h5shim.h"
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unsafe"

	"gonum.org/v1/hdf5"
)

// convMode selects how a read turns the on-disk dtype into float32 or float64.
type convMode int

const (
	// convNativeC reads into a reused buffer of the native dtype (HDF5 only swaps
	// bytes when the file is big-endian) and converts with a C loop. Measured the
	// fastest; see doc.go.
	convNativeC convMode = iota
	// convHDF5 lets H5Dread convert directly into the float buffer.
	convHDF5
	// convNativeGo is convNativeC with the conversion loop in Go.
	convNativeGo
)

// pieceBytes is the amount of native data read and converted at a time.
var pieceBytes = 1 << 20

// Chunk cache bounds for Open; see chunkCache.
const (
	minChunkCache = 1 << 20   // HDF5's default
	maxChunkCache = 256 << 20 // per open dataset
)

// Reader reads the frames of one 3-D or 4-D dataset of an HDF5 file, in scan
// order, as float32 or float64. It holds the file open until Close.
//
// A Reader's methods may be called from any goroutine; every HDF5 call of the
// package is serialized by one lock (see doc.go), so concurrent reads do not run
// in parallel.
type Reader struct {
	file, dset string
	info       dsInfo

	f     *hdf5.File
	d     *hdf5.Dataset
	space hid // file dataspace whose selection each read sets

	nav, sig []int
	axes     []int // on-disk axes of nav
	n, dpix  int   // frames, pixels per frame
	fpc      int

	conv convMode
	buf  []uint64 // native-dtype read buffer, reused; uint64 for alignment
}

// Open opens dataset dset of the HDF5 file named file for reading.
//
// dset is an absolute or root-relative path such as "/experiment/data". When dset
// is "", Open picks the one dataset of the file that has 3 or 4 axes longer than
// 1 and a numeric dtype; with none or several such datasets it returns an error
// that lists them with their shapes.
//
// The dataset must be (frames, detY, detX), (scanY, scanX, detY, detX), or either
// with extra leading axes of length 1, with a non-zero length on every axis and an
// integer or float dtype of 1, 2, 4 or 8 bytes in either byte order. Open returns
// an error naming file and dataset otherwise, and for missing files, files that
// are not HDF5, truncated files, unknown paths and filters the library cannot
// decode. Nothing is printed on stderr.
func Open(file, dset string) (*Reader, error) {
	if err := checkReadable(file); err != nil {
		return nil, err
	}
	leave := enter()
	defer leave()

	f, err := openFile(file)
	if err != nil {
		return nil, openErr(file, err)
	}
	r := &Reader{file: file, f: f}
	if err := r.open(dset); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// SplitSpec splits an input spec "file.h5:/path/to/data" into the file name and
// the dataset path. A spec without ":/", or one that names an existing file as a
// whole, has no dataset path (dset is ""); the split is at the last ":/", so a
// directory name may contain ":/" when a dataset path follows.
func SplitSpec(spec string) (file, dset string) {
	if _, err := os.Stat(spec); err == nil {
		return spec, ""
	}
	i := strings.LastIndex(spec, ":/")
	if i < 0 {
		return spec, ""
	}
	return spec[:i], spec[i+1:]
}

// checkReadable gives a plain error for a file that cannot be opened at all.
func checkReadable(file string) error {
	fi, err := os.Stat(file)
	if err == nil && fi.IsDir() {
		return fmt.Errorf("h5: could not open %q: is a directory", file)
	}
	if err == nil {
		var fh *os.File
		if fh, err = os.Open(file); err == nil {
			fh.Close()
			return nil
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("h5: could not open %q: %w", file, err)
}

// openErr wraps the HDF5 error of a failed H5Fopen, naming the common causes.
func openErr(file string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "signature not found"):
		return fmt.Errorf("h5: could not open %q: not an HDF5 file (%w)", file, err)
	case strings.Contains(msg, "truncated file"):
		return fmt.Errorf("h5: could not open %q: the file is truncated (%w)", file, err)
	case strings.Contains(msg, "lock"):
		return fmt.Errorf("h5: could not open %q: %w (on file systems without locking, "+
			"set HDF5_USE_FILE_LOCKING=FALSE)", file, err)
	}
	return fmt.Errorf("h5: could not open %q: %w", file, err)
}

func (r *Reader) open(dset string) error {
	fid := id(r.f)
	if dset == "" {
		p, err := pickDataset(r.file, fid)
		if err != nil {
			return err
		}
		dset = p
	}
	path := "/" + strings.Trim(dset, "/")
	r.dset = path

	kind, err := objectKind(fid, path)
	if err != nil {
		return fmt.Errorf("h5: could not open dataset %q in %q: %w", path, r.file, err)
	}
	switch kind {
	case "dataset":
	case "":
		return fmt.Errorf("h5: no dataset %q in %q%s", path, r.file, listForError(r.file, fid))
	default:
		return fmt.Errorf("h5: %q in %q is a %s, not a dataset%s", path, r.file, kind, listForError(r.file, fid))
	}

	info, err := inspect(fid, path)
	if err != nil {
		return fmt.Errorf("h5: could not open dataset %q in %q: %w", path, r.file, err)
	}
	if err := layoutErr(r.file, info); err != nil {
		return err
	}
	r.info = info
	r.axes = navAxes(info.dims)
	for _, a := range r.axes {
		r.nav = append(r.nav, info.dims[a])
	}
	r.sig = append([]int(nil), info.dims[len(info.dims)-2:]...)
	r.n = prod(r.nav)
	r.dpix = prod(r.sig)
	r.fpc = framesPerChunk(info.chunks, r.axes, r.nav)

	dapl, err := hdf5.NewPropList(hdf5.P_DATASET_ACCESS)
	if err != nil {
		return fmt.Errorf("h5: could not open dataset %q in %q: %w", path, r.file, stackErr())
	}
	defer dapl.Close()
	if info.chunks != nil {
		nslots, nbytes := chunkCache(info, r.axes, r.nav, r.fpc)
		if err := dapl.SetChunkCache(nslots, nbytes, 1.0); err != nil {
			return fmt.Errorf("h5: could not set the chunk cache of %q in %q: %w", path, r.file, stackErr())
		}
	}
	d, err := r.f.OpenDatasetWith(path, dapl)
	if err != nil {
		return fmt.Errorf("h5: could not open dataset %q in %q: %w", path, r.file, stackErr())
	}
	r.d = d
	r.space = C.H5Dget_space(id(d))
	if r.space < 0 {
		r.space = 0
		return fmt.Errorf("h5: could not open dataset %q in %q: %w", path, r.file, stackErr())
	}
	return nil
}

// framesPerChunk returns the run of consecutive frames, in scan order, such that
// reads aligned to multiples of it cover whole chunks (up to the dataset's edge).
func framesPerChunk(chunks, axes, nav []int) int {
	if chunks == nil {
		return 1
	}
	n := prod(nav)
	var fpc int
	if len(axes) == 1 {
		fpc = chunks[axes[0]]
	} else {
		cy, cx, sx := chunks[axes[0]], chunks[axes[1]], nav[1]
		switch {
		case cx >= sx:
			fpc = cy * sx
		case cy == 1 && sx%cx == 0:
			fpc = cx
		default:
			fpc = cy * sx
		}
	}
	return max(1, min(fpc, n))
}

// chunkCache returns chunk cache settings that hold every chunk touched by one
// aligned run of fpc frames, within [minChunkCache, maxChunkCache] bytes, so that
// reads smaller than a run do not decompress a chunk twice.
func chunkCache(info dsInfo, axes, nav []int, fpc int) (nslots, nbytes int) {
	chunkBytes := prod(info.chunks) * info.typ.code.size()
	touched := 1 // chunks one run touches along the scan
	if len(axes) == 2 && fpc != info.chunks[axes[1]] {
		touched = ceilDiv(nav[1], info.chunks[axes[1]])
	}
	r := len(info.dims)
	for a := r - 2; a < r; a++ {
		touched *= ceilDiv(info.dims[a], info.chunks[a])
	}
	need := touched * chunkBytes
	nbytes = min(max(need, minChunkCache), maxChunkCache)
	nslots = nextPrime(max(521, 100*(nbytes/chunkBytes+1)))
	return nslots, nbytes
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func nextPrime(n int) int {
	for ; ; n++ {
		prime := n > 1
		for d := 2; d*d <= n; d++ {
			if n%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			return n
		}
	}
}

func prod(d []int) int {
	p := 1
	for _, v := range d {
		p *= v
	}
	return p
}

// pickDataset returns the one candidate dataset of the file.
func pickDataset(file string, fid hid) (string, error) {
	names, err := listDatasets(fid)
	if err != nil {
		return "", fmt.Errorf("h5: could not list the datasets of %q: %w", file, err)
	}
	var cands, all []dsInfo
	for _, n := range names {
		info, err := inspect(fid, n)
		if err != nil {
			continue // unreadable objects are no candidates
		}
		all = append(all, info)
		if candidate(file, info) {
			cands = append(cands, info)
		}
	}
	switch len(cands) {
	case 1:
		return cands[0].path, nil
	case 0:
		if len(all) == 0 {
			return "", fmt.Errorf("h5: %q has no datasets", file)
		}
		return "", fmt.Errorf("h5: %q has no dataset of 3 or 4 dimensions with a numeric dtype; it has %s",
			file, describeList(all, 10))
	}
	return "", fmt.Errorf("h5: %q has %d candidate datasets, choose one with %s:/path: %s",
		file, len(cands), file, describeList(cands, 20))
}

// listForError lists the datasets of the file for an error message, after "; ".
func listForError(file string, fid hid) string {
	names, err := listDatasets(fid)
	if err != nil || len(names) == 0 {
		return ""
	}
	var all []dsInfo
	for _, n := range names {
		if info, err := inspect(fid, n); err == nil {
			all = append(all, info)
		}
	}
	return "; it has " + describeList(all, 10)
}

// describeList formats "/a (64, 64, 32, 32), /b (10, 32, 32)", at most max entries.
func describeList(infos []dsInfo, max int) string {
	var parts []string
	for i, in := range infos {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(infos)-max))
			break
		}
		s := in.path + " " + shapeString(in.dims)
		if !in.typ.ok {
			s += " " + in.typ.desc
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// Nav returns the scan shape: (N) for a 3-D dataset, (scanY, scanX) for a 4-D one.
// The caller must not modify it.
func (r *Reader) Nav() []int { return r.nav }

// Sig returns the detector shape (detY, detX). The caller must not modify it.
func (r *Reader) Sig() []int { return r.sig }

// N returns the number of frames, the product of Nav.
func (r *Reader) N() int { return r.n }

// D returns the number of pixels per frame, the product of Sig.
func (r *Reader) D() int { return r.dpix }

// Dtype returns the element type on disk as a numpy-like name, e.g. "uint16".
func (r *Reader) Dtype() string { return r.info.typ.code.String() }

// ByteOrder returns the byte order on disk, "little" or "big".
func (r *Reader) ByteOrder() string { return byteOrderName(r.info.typ.big) }

// Dims returns the dimensions on disk, including axes of length 1. The caller
// must not modify it.
func (r *Reader) Dims() []int { return r.info.dims }

// Chunks returns the chunk dimensions, or nil when the dataset is not chunked.
// The caller must not modify it.
func (r *Reader) Chunks() []int { return r.info.chunks }

// Compression describes the filter pipeline, e.g. "gzip level 4" or
// "shuffle, gzip level 4"; unknown filters are named by id ("filter 32008
// (bitshuffle)"). It is "" when there is none.
func (r *Reader) Compression() string { return r.info.compression }

// FramesPerChunk returns the number of consecutive frames, in scan order, that
// reads should be aligned to so that each covers whole chunks: the chunk length
// along the frame axis for a 3-D dataset; for a 4-D one, the chunk width when a
// chunk is one scan row high and divides the row, else whole rows of chunks
// (chunk height x scan width). It is 1 for a dataset that is not chunked.
func (r *Reader) FramesPerChunk() int { return r.fpc }

// File returns the file name as given to Open.
func (r *Reader) File() string { return r.file }

// Dataset returns the absolute path of the dataset read, e.g. "/experiment/data".
func (r *Reader) Dataset() string { return r.dset }

// ReadFloat32 reads frames [beg, end), in row-major scan order, into dst,
// converting each element to float32 (integers above 2^24 round to the nearest
// float32). len(dst) must be (end-beg)*D(); ReadFloat32 panics otherwise. It
// returns an error for an invalid range, a closed Reader or a failed read. It
// allocates only when a read is larger than any before it.
func (r *Reader) ReadFloat32(dst []float32, beg, end int) error {
	if err := r.check(len(dst), beg, end); err != nil || beg == end {
		return err
	}
	leave := enter()
	defer leave()
	return r.read(unsafe.Pointer(&dst[0]), f32, beg, end)
}

// ReadFloat64 is ReadFloat32 for float64; integers above 2^53 round.
func (r *Reader) ReadFloat64(dst []float64, beg, end int) error {
	if err := r.check(len(dst), beg, end); err != nil || beg == end {
		return err
	}
	leave := enter()
	defer leave()
	return r.read(unsafe.Pointer(&dst[0]), f64, beg, end)
}

func (r *Reader) check(ndst, beg, end int) error {
	if r.d == nil {
		return fmt.Errorf("h5: could not read frames [%d, %d) of %q in %q: reader is closed", beg, end, r.dset, r.file)
	}
	if beg < 0 || beg > end || end > r.n {
		return fmt.Errorf("h5: invalid frame range [%d, %d) for %d frames", beg, end, r.n)
	}
	if want := (end - beg) * r.dpix; ndst != want {
		panic(fmt.Sprintf("h5: len(dst) is %d, want %d for frames [%d, %d) of %d pixels", ndst, want, beg, end, r.dpix))
	}
	return nil
}

// read reads frames [beg, end) (non-empty) as want into dst. The lock is held.
func (r *Reader) read(dst unsafe.Pointer, want code, beg, end int) error {
	disk := r.info.typ.code
	if disk == want || r.conv == convHDF5 {
		if err := r.readInto(dst, want, beg, end); err != nil {
			return r.readErr(beg, end, err)
		}
		return nil
	}
	// Read and convert in pieces of about pieceBytes of native data, so that the
	// native buffer stays small and in cache between the read and the conversion.
	// Pieces end at multiples of step in the scan; for a chunked dataset step is
	// a multiple of FramesPerChunk, so a read aligned to it decodes every chunk
	// once, however small the chunk cache.
	step := max(1, pieceBytes/(r.dpix*disk.size()))
	if r.info.chunks != nil {
		step = ceilDiv(step, r.fpc) * r.fpc
	}
	if need := (min(step, end-beg)*r.dpix*disk.size() + 7) / 8; len(r.buf) < need {
		r.buf = make([]uint64, need)
	}
	src := unsafe.Pointer(&r.buf[0])
	for b, e := beg, 0; b < end; b = e {
		e = min(end, (b/step+1)*step)
		if err := r.readInto(src, disk, b, e); err != nil {
			return r.readErr(beg, end, err)
		}
		n := (e - b) * r.dpix
		off := uintptr((b - beg) * r.dpix * want.size())
		out := unsafe.Add(dst, off)
		switch {
		case r.conv == convNativeGo && want == f32:
			convertGo(unsafe.Slice((*float32)(out), n), disk, src)
		case r.conv == convNativeGo:
			convertGo(unsafe.Slice((*float64)(out), n), disk, src)
		case want == f32:
			C.sr_to_f32(C.int(disk), src, (*C.float)(out), C.size_t(n))
		default:
			C.sr_to_f64(C.int(disk), src, (*C.double)(out), C.size_t(n))
		}
	}
	return nil
}

// readInto reads frames [beg, end) as memory type c into dst. The lock is held.
//
// A 3-D dataset needs one hyperslab. For a 4-D one, the range is cut into up to
// three rectangles of the scan, read one after the other: the rest of the first
// scan row, the whole rows, and the start of the last row. Each is read with a
// memory space of the rectangle's own shape: with a 1-D memory space HDF5 maps
// chunked datasets element by element, about 70 times slower.
func (r *Reader) readInto(dst unsafe.Pointer, c code, beg, end int) error {
	for _, rc := range rects(beg, end, r.nav) {
		off := uintptr((rc.first - beg) * r.dpix * c.size())
		if err := r.readRect(unsafe.Add(dst, off), c, rc); err != nil {
			return err
		}
	}
	return nil
}

// rect is a rectangle of the scan: rows [y, y+ny) and columns [x, x+nx) for a
// 2-D scan (y and ny are the frame range for a 1-D one); first is its first frame.
type rect struct{ first, y, ny, x, nx int }

// rects cuts frames [beg, end) (non-empty) into at most three rectangles in scan order.
func rects(beg, end int, nav []int) []rect {
	if len(nav) == 1 {
		return []rect{{first: beg, y: beg, ny: end - beg}}
	}
	sx := nav[1]
	r0, c0 := beg/sx, beg%sx
	r1, c1 := end/sx, end%sx
	if r0 == r1 {
		return []rect{{beg, r0, 1, c0, c1 - c0}}
	}
	var out []rect
	if c0 > 0 {
		out = append(out, rect{beg, r0, 1, c0, sx - c0})
		r0++
	}
	if r1 > r0 {
		out = append(out, rect{r0 * sx, r0, r1 - r0, 0, sx})
	}
	if c1 > 0 {
		out = append(out, rect{r1 * sx, r1, 1, 0, c1})
	}
	return out
}

// readRect reads one rectangle of frames into dst. The lock is held.
func (r *Reader) readRect(dst unsafe.Pointer, c code, rc rect) error {
	rank := len(r.info.dims)
	start := make([]C.hsize_t, rank)
	count := make([]C.hsize_t, rank)
	for a := range count {
		count[a] = 1
	}
	count[rank-2] = C.hsize_t(r.sig[0])
	count[rank-1] = C.hsize_t(r.sig[1])
	start[r.axes[0]], count[r.axes[0]] = C.hsize_t(rc.y), C.hsize_t(rc.ny)
	if len(r.axes) == 2 {
		start[r.axes[1]], count[r.axes[1]] = C.hsize_t(rc.x), C.hsize_t(rc.nx)
	}
	if C.H5Sselect_hyperslab(r.space, C.H5S_SELECT_SET, &start[0], nil, &count[0], nil) < 0 {
		return stackErr()
	}
	mem := C.H5Screate_simple(C.int(rank), &count[0], nil)
	if mem < 0 {
		return stackErr()
	}
	defer C.H5Sclose(mem)
	if C.H5Dread(id(r.d), c.native(), mem, r.space, pDefault, dst) < 0 {
		return stackErr()
	}
	return nil
}

func (r *Reader) readErr(beg, end int, err error) error {
	return fmt.Errorf("h5: could not read frames [%d, %d) of %q in %q: %w", beg, end, r.dset, r.file, err)
}

// Close releases the dataset and the file. It may be called more than once;
// calls after the first return nil.
func (r *Reader) Close() error {
	leave := enter()
	defer leave()
	return r.close()
}

func (r *Reader) close() error {
	var errs []error
	if r.space > 0 {
		if C.H5Sclose(r.space) < 0 {
			errs = append(errs, stackErr())
		}
		r.space = 0
	}
	if r.d != nil {
		if r.d.Close() != nil {
			errs = append(errs, stackErr())
		}
		r.d = nil
	}
	if r.f != nil {
		if r.f.Close() != nil {
			errs = append(errs, stackErr())
		}
		r.f = nil
	}
	r.buf = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("h5: could not close %q in %q: %w", r.dset, r.file, err)
	}
	return nil
}
