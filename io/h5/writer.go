package h5

// #include <stdlib.h>
// #include "h5shim.h"
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unsafe"

	"gonum.org/v1/hdf5"
)

// Writer writes one result file atomically: everything goes to path+".tmp",
// which Commit renames to path and Abort removes. A reader of path therefore sees
// either no file or a complete one.
//
// Like Reader, a Writer may be used from any goroutine, and its HDF5 calls are
// serialized with every other HDF5 call of the process.
type Writer struct {
	path, tmp string
	f         *hdf5.File
	open      map[*WDataset]struct{} // streaming datasets not yet closed
	state     writerState
}

type writerState int

const (
	writing   writerState = iota
	closed                // file closed by a Commit that failed later; .tmp may remain
	committed             // renamed to path
	aborted               // .tmp removed
)

// Create starts a result file that Commit will place at path. It creates
// path+".tmp" (truncating an old one) and returns an error naming path when the
// directory does not exist or is not writable, or path is a directory.
func Create(path string) (*Writer, error) {
	tmp := path + ".tmp"
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("h5: could not create output %q: it is a directory", path)
	}
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, createErr(path, err)
	}
	fh.Close()

	leave := enter()
	defer leave()
	f, err := hdf5.CreateFile(tmp, hdf5.F_ACC_TRUNC)
	if err != nil {
		err = stackErr()
		os.Remove(tmp)
		return nil, fmt.Errorf("h5: could not create output %q: %w", path, err)
	}
	return &Writer{path: path, tmp: tmp, f: f, open: map[*WDataset]struct{}{}}, nil
}

// createErr explains a failed creation of the temporary file.
func createErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("h5: could not create output %q: directory %q does not exist (%w)", path, dir, err)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("h5: could not create output %q: %q is not a directory (%w)", path, dir, err)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("h5: could not create output %q: directory %q is not writable (%w)", path, dir, err)
	}
	return fmt.Errorf("h5: could not create output %q: %w", path, err)
}

// Path returns the final path of the file.
func (w *Writer) Path() string { return w.path }

func (w *Writer) usable() error {
	if w.state != writing {
		return fmt.Errorf("h5: output %q is already committed or aborted", w.path)
	}
	return nil
}

// WriteFloat64 writes data as a new float64 dataset name (e.g. "/stats/mean"),
// creating missing groups. dims default to (len(data)); WriteFloat64 panics when
// their product is not len(data). An empty dataset (a zero in dims) is allowed.
func (w *Writer) WriteFloat64(name string, data []float64, dims ...int) error {
	return w.writeArray(name, f64, unsafe.Pointer(unsafe.SliceData(data)), len(data), dims)
}

// WriteFloat32 is WriteFloat64 for float32.
func (w *Writer) WriteFloat32(name string, data []float32, dims ...int) error {
	return w.writeArray(name, f32, unsafe.Pointer(unsafe.SliceData(data)), len(data), dims)
}

// WriteInt64 is WriteFloat64 for int64.
func (w *Writer) WriteInt64(name string, data []int64, dims ...int) error {
	return w.writeArray(name, i64, unsafe.Pointer(unsafe.SliceData(data)), len(data), dims)
}

func (w *Writer) writeArray(name string, c code, data unsafe.Pointer, n int, dims []int) error {
	if dims == nil {
		dims = []int{n}
	}
	for _, d := range dims {
		if d < 0 {
			panic(fmt.Sprintf("h5: negative dimension in %v for %q", dims, name))
		}
	}
	if prod(dims) != n {
		panic(fmt.Sprintf("h5: %d values for %q of shape %v", n, name, dims))
	}
	if err := w.usable(); err != nil {
		return err
	}
	leave := enter()
	defer leave()
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not write dataset %q to %q: %w", name, w.path, err)
	}
	d, err := w.createDataset(name, c.fileType(false), dims, pDefault)
	if err != nil {
		return wrap(err)
	}
	if n > 0 && C.H5Dwrite(d, c.native(), sAll, sAll, pDefault, data) < 0 {
		err = stackErr()
		C.H5Dclose(d)
		return wrap(err)
	}
	if C.H5Dclose(d) < 0 {
		return wrap(stackErr())
	}
	return nil
}

// WriteStrings writes v as a new dataset name of variable-length UTF-8 strings
// (h5py's str), creating missing groups. dims default to (len(v)); WriteStrings
// panics when their product is not len(v).
func (w *Writer) WriteStrings(name string, v []string, dims ...int) error {
	if dims == nil {
		dims = []int{len(v)}
	}
	if prod(dims) != len(v) {
		panic(fmt.Sprintf("h5: %d strings for %q of shape %v", len(v), name, dims))
	}
	if err := w.usable(); err != nil {
		return err
	}
	leave := enter()
	defer leave()
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not write dataset %q to %q: %w", name, w.path, err)
	}
	t := C.sr_vlstr()
	if t < 0 {
		return wrap(stackErr())
	}
	defer C.H5Tclose(t)
	d, err := w.createDataset(name, t, dims, pDefault)
	if err != nil {
		return wrap(err)
	}
	if len(v) > 0 {
		arr, free := cStringArray(v)
		rc := C.H5Dwrite(d, t, sAll, sAll, pDefault, unsafe.Pointer(arr))
		free()
		if rc < 0 {
			err = stackErr()
			C.H5Dclose(d)
			return wrap(err)
		}
	}
	if C.H5Dclose(d) < 0 {
		return wrap(stackErr())
	}
	return nil
}

// cStringArray copies v to a C array of C strings; free releases both. The array
// lives in C memory because cgo forbids passing Go memory that holds pointers.
func cStringArray(v []string) (arr **C.char, free func()) {
	arr = (**C.char)(C.malloc(C.size_t(len(v)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	ptrs := unsafe.Slice(arr, len(v))
	for i, s := range v {
		ptrs[i] = cstr(s)
	}
	return arr, func() {
		for _, p := range ptrs {
			cfree(p)
		}
		C.free(unsafe.Pointer(arr))
	}
}

// createDataset creates dataset name of the given file type and dims, creating
// missing groups. The lock is held.
func (w *Writer) createDataset(name string, ftype hid, dims []int, dcpl hid) (hid, error) {
	h := hsizes(dims)
	var space hid
	if len(dims) == 0 {
		space = C.H5Screate(C.H5S_SCALAR)
	} else {
		space = C.H5Screate_simple(C.int(len(dims)), &h[0], nil)
	}
	if space < 0 {
		return 0, stackErr()
	}
	defer C.H5Sclose(space)
	lcpl := C.sr_lcpl()
	if lcpl < 0 {
		return 0, stackErr()
	}
	defer C.H5Pclose(lcpl)
	cn := cstr(name)
	defer cfree(cn)
	d := C.H5Dcreate2(id(w.f), cn, ftype, space, lcpl, dcpl, pDefault)
	if d < 0 {
		return 0, stackErr()
	}
	return d, nil
}

// SetAttr sets attribute name of object obj ("/" for the root group, or the path
// of a group or dataset) to value, replacing an attribute of that name. A missing
// obj is created as a group. value may be a string, int, int64, float64, []int,
// []int64, []float64 or []string; integers are stored as int64, strings as
// variable-length UTF-8 (as h5py does). Other types return an error.
func (w *Writer) SetAttr(obj, name string, value any) error {
	if err := w.usable(); err != nil {
		return err
	}
	leave := enter()
	defer leave()
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not set attribute %q of %q in %q: %w", name, obj, w.path, err)
	}
	o, err := w.openOrCreateObject(obj)
	if err != nil {
		return wrap(err)
	}
	defer C.H5Oclose(o)
	cn := cstr(name)
	defer cfree(cn)
	if ex := C.H5Aexists(o, cn); ex < 0 {
		return wrap(stackErr())
	} else if ex > 0 && C.H5Adelete(o, cn) < 0 {
		return wrap(stackErr())
	}

	switch v := value.(type) {
	case string:
		err = writeStringAttr(o, cn, []string{v}, true)
	case []string:
		err = writeStringAttr(o, cn, v, false)
	case int:
		x := int64(v)
		err = writeNumAttr(o, cn, i64, unsafe.Pointer(&x), 1, true)
	case int64:
		err = writeNumAttr(o, cn, i64, unsafe.Pointer(&v), 1, true)
	case float64:
		err = writeNumAttr(o, cn, f64, unsafe.Pointer(&v), 1, true)
	case []int:
		x := make([]int64, len(v))
		for i, e := range v {
			x[i] = int64(e)
		}
		err = writeNumAttr(o, cn, i64, unsafe.Pointer(unsafe.SliceData(x)), len(x), false)
	case []int64:
		err = writeNumAttr(o, cn, i64, unsafe.Pointer(unsafe.SliceData(v)), len(v), false)
	case []float64:
		err = writeNumAttr(o, cn, f64, unsafe.Pointer(unsafe.SliceData(v)), len(v), false)
	default:
		return wrap(fmt.Errorf("unsupported value type %T", value))
	}
	if err != nil {
		return wrap(err)
	}
	return nil
}

// openOrCreateObject opens obj, creating it (and its parents) as a group when it
// does not exist. The lock is held.
func (w *Writer) openOrCreateObject(obj string) (hid, error) {
	path := "/" + strings.Trim(obj, "/")
	kind, err := objectKind(id(w.f), path)
	if err != nil {
		return 0, err
	}
	cp := cstr(path)
	defer cfree(cp)
	if kind == "" {
		lcpl := C.sr_lcpl()
		if lcpl < 0 {
			return 0, stackErr()
		}
		g := C.H5Gcreate2(id(w.f), cp, lcpl, pDefault, pDefault)
		C.H5Pclose(lcpl)
		if g < 0 {
			return 0, stackErr()
		}
		C.H5Gclose(g)
	}
	o := C.H5Oopen(id(w.f), cp, pDefault)
	if o < 0 {
		return 0, stackErr()
	}
	return o, nil
}

func attrSpace(n int, scalar bool) hid {
	if scalar {
		return C.H5Screate(C.H5S_SCALAR)
	}
	h := []C.hsize_t{C.hsize_t(n)}
	return C.H5Screate_simple(1, &h[0], nil)
}

func writeNumAttr(o hid, name *C.char, c code, data unsafe.Pointer, n int, scalar bool) error {
	space := attrSpace(n, scalar)
	if space < 0 {
		return stackErr()
	}
	defer C.H5Sclose(space)
	a := C.H5Acreate2(o, name, c.fileType(false), space, pDefault, pDefault)
	if a < 0 {
		return stackErr()
	}
	if n > 0 && C.H5Awrite(a, c.native(), data) < 0 {
		err := stackErr()
		C.H5Aclose(a)
		return err
	}
	if C.H5Aclose(a) < 0 {
		return stackErr()
	}
	return nil
}

func writeStringAttr(o hid, name *C.char, v []string, scalar bool) error {
	t := C.sr_vlstr()
	if t < 0 {
		return stackErr()
	}
	defer C.H5Tclose(t)
	space := attrSpace(len(v), scalar)
	if space < 0 {
		return stackErr()
	}
	defer C.H5Sclose(space)
	a := C.H5Acreate2(o, name, t, space, pDefault, pDefault)
	if a < 0 {
		return stackErr()
	}
	if len(v) > 0 {
		arr, free := cStringArray(v)
		rc := C.H5Awrite(a, t, unsafe.Pointer(arr))
		free()
		if rc < 0 {
			err := stackErr()
			C.H5Aclose(a)
			return err
		}
	}
	if C.H5Aclose(a) < 0 {
		return stackErr()
	}
	return nil
}

// DatasetOptions sets the storage of a dataset made by CreateDataset.
type DatasetOptions struct {
	// Chunks are the chunk dimensions, one per dataset dimension, each in
	// [1, dim]. Nil means contiguous storage, or, when Gzip or Shuffle is set,
	// chunks of about 1 MiB made of whole trailing axes.
	Chunks []int
	// Gzip is the deflate level, 1 to 9; zero means no compression.
	Gzip int
	// Shuffle adds the byte-shuffle filter before deflate (better ratios for
	// multi-byte integers). It needs chunks.
	Shuffle bool
	// BigEndian stores the elements big-endian; false means little-endian.
	BigEndian bool
}

// WDataset is a dataset being written row by row; rows run along the first
// axis (for a 4-D dataset, one row is one scan row of frames).
type WDataset struct {
	w      *Writer
	name   string
	d      hid
	dims   []int
	rowLen int // elements per row
}

// CreateDataset creates dataset name (creating missing groups) of dtype (one of
// uint8, uint16, uint32, uint64, int8, int16, int32, int64, float32, float64) and
// dims, for writing with WriteRows. The dataset is closed by its Close, or at the
// latest by Commit or Abort. It returns an error for an unknown dtype, chunks of
// the wrong rank or size, a gzip level outside 0..9, or a failed creation.
func (w *Writer) CreateDataset(name string, dtype string, dims []int, opts DatasetOptions) (*WDataset, error) {
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not create dataset %q in %q: %w", name, w.path, err)
	}
	c, ok := parseDtype(dtype)
	if !ok {
		return nil, wrap(fmt.Errorf("unknown dtype %q, want one of %s", dtype, dtypeNames()))
	}
	if len(dims) == 0 {
		return nil, wrap(errors.New("no dimensions"))
	}
	for _, d := range dims {
		if d < 0 {
			return nil, wrap(fmt.Errorf("negative dimension in %v", dims))
		}
	}
	if opts.Gzip < 0 || opts.Gzip > 9 {
		return nil, wrap(fmt.Errorf("gzip level %d, want 0 (none) to 9", opts.Gzip))
	}
	chunks := opts.Chunks
	if chunks == nil && (opts.Gzip > 0 || opts.Shuffle) {
		chunks = defaultChunks(dims, c.size(), 1<<20)
	}
	if chunks != nil {
		if len(chunks) != len(dims) {
			return nil, wrap(fmt.Errorf("chunks %v do not match the rank of %v", chunks, dims))
		}
		for i, ch := range chunks {
			if ch < 1 || (dims[i] > 0 && ch > dims[i]) {
				return nil, wrap(fmt.Errorf("chunks %v do not fit in %v", chunks, dims))
			}
		}
	}
	if err := w.usable(); err != nil {
		return nil, err
	}

	leave := enter()
	defer leave()
	dcpl, err := hdf5.NewPropList(hdf5.P_DATASET_CREATE)
	if err != nil {
		return nil, wrap(stackErr())
	}
	defer dcpl.Close()
	if chunks != nil {
		if dcpl.SetChunk(uints(chunks)) != nil {
			return nil, wrap(stackErr())
		}
		if opts.Shuffle && C.H5Pset_shuffle(id(dcpl)) < 0 {
			return nil, wrap(stackErr())
		}
		if opts.Gzip > 0 && dcpl.SetDeflate(opts.Gzip) != nil {
			return nil, wrap(stackErr())
		}
	}
	d, err := w.createDataset(name, c.fileType(opts.BigEndian), dims, id(dcpl))
	if err != nil {
		return nil, wrap(err)
	}
	wd := &WDataset{w: w, name: name, d: d, dims: slices.Clone(dims), rowLen: prod(dims[1:])}
	w.open[wd] = struct{}{}
	return wd, nil
}

// defaultChunks returns chunks of at most about limit bytes: whole trailing axes,
// and as many leading indices as fit.
func defaultChunks(dims []int, size, limit int) []int {
	ch := make([]int, len(dims))
	inner := size
	for i := len(dims) - 1; i >= 0; i-- {
		d := max(dims[i], 1)
		if inner*d <= limit {
			ch[i] = d
			inner *= d
			continue
		}
		ch[i] = max(1, limit/inner)
		for j := i - 1; j >= 0; j-- {
			ch[j] = 1
		}
		break
	}
	return ch
}

// Dims returns the dataset's dimensions.
func (d *WDataset) Dims() []int { return d.dims }

// WriteRows writes rows [beg, end) along the first axis from data, a []uint8,
// []uint16, []uint32, []uint64, []int8, []int16, []int32, []int64, []float32 or
// []float64 of (end-beg) times the row length elements. HDF5 converts data to the
// dataset's dtype; float values written to an integer dtype are truncated toward
// zero and clamped to the type's range (NaN gives an unspecified value). WriteRows panics on a
// wrong length or an unsupported type and returns an error for an invalid range
// or a failed write.
func (d *WDataset) WriteRows(beg, end int, data any) error {
	var mt code
	var ptr unsafe.Pointer
	var n int
	switch v := data.(type) {
	case []uint8:
		mt, ptr, n = u8, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []uint16:
		mt, ptr, n = u16, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []uint32:
		mt, ptr, n = u32, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []uint64:
		mt, ptr, n = u64, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int8:
		mt, ptr, n = i8, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int16:
		mt, ptr, n = i16, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int32:
		mt, ptr, n = i32, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int64:
		mt, ptr, n = i64, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []float32:
		mt, ptr, n = f32, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []float64:
		mt, ptr, n = f64, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	default:
		panic(fmt.Sprintf("h5: WriteRows of %q: unsupported data type %T", d.name, data))
	}
	if beg < 0 || beg > end || end > d.dims[0] {
		return fmt.Errorf("h5: invalid row range [%d, %d) for %d rows", beg, end, d.dims[0])
	}
	if want := (end - beg) * d.rowLen; n != want {
		panic(fmt.Sprintf("h5: WriteRows of %q: len(data) is %d, want %d for rows [%d, %d)", d.name, n, want, beg, end))
	}
	if d.d == 0 {
		return fmt.Errorf("h5: could not write rows [%d, %d) of %q to %q: dataset is closed", beg, end, d.name, d.w.path)
	}
	if n == 0 {
		return nil
	}
	leave := enter()
	defer leave()
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not write rows [%d, %d) of %q to %q: %w", beg, end, d.name, d.w.path, err)
	}
	space := C.H5Dget_space(d.d)
	if space < 0 {
		return wrap(stackErr())
	}
	defer C.H5Sclose(space)
	start := make([]C.hsize_t, len(d.dims))
	count := hsizes(d.dims)
	start[0], count[0] = C.hsize_t(beg), C.hsize_t(end-beg)
	if C.H5Sselect_hyperslab(space, C.H5S_SELECT_SET, &start[0], nil, &count[0], nil) < 0 {
		return wrap(stackErr())
	}
	mdims := []C.hsize_t{C.hsize_t(n)}
	mem := C.H5Screate_simple(1, &mdims[0], nil)
	if mem < 0 {
		return wrap(stackErr())
	}
	defer C.H5Sclose(mem)
	if C.H5Dwrite(d.d, mt.native(), mem, space, pDefault, ptr) < 0 {
		return wrap(stackErr())
	}
	return nil
}

// Close closes the dataset. It may be called more than once.
func (d *WDataset) Close() error {
	leave := enter()
	defer leave()
	return d.close()
}

func (d *WDataset) close() error {
	if d.d == 0 {
		return nil
	}
	delete(d.w.open, d)
	rc := C.H5Dclose(d.d)
	d.d = 0
	if rc < 0 {
		return fmt.Errorf("h5: could not close dataset %q of %q: %w", d.name, d.w.path, stackErr())
	}
	return nil
}

// closeFile closes open datasets and the file. The lock is held.
func (w *Writer) closeFile() error {
	var errs []error
	for d := range w.open {
		if err := d.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if w.f != nil {
		if w.f.Close() != nil {
			errs = append(errs, fmt.Errorf("h5: could not close %q: %w", w.tmp, stackErr()))
		}
		w.f = nil
	}
	return errors.Join(errs...)
}

// Commit closes the file, flushes it to disk and renames it from path+".tmp" to
// path. After a successful Commit, Commit and Abort do nothing. When Commit
// fails, the temporary file may remain; call Abort to remove it.
func (w *Writer) Commit() error {
	switch w.state {
	case committed:
		return nil
	case aborted:
		return fmt.Errorf("h5: could not commit %q: it was aborted", w.path)
	}
	leave := enter()
	err := w.closeFile()
	leave()
	w.state = closed
	if err != nil {
		return err
	}
	if err := syncFile(w.tmp); err != nil {
		return fmt.Errorf("h5: could not commit %q: %w", w.path, err)
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		return fmt.Errorf("h5: could not commit %q: %w", w.path, err)
	}
	w.state = committed
	syncFile(filepath.Dir(w.path)) // best effort: make the rename durable
	return nil
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Abort closes the file and removes path+".tmp". It does nothing after Commit or
// a previous Abort.
func (w *Writer) Abort() error {
	if w.state == committed || w.state == aborted {
		return nil
	}
	leave := enter()
	err := w.closeFile()
	leave()
	w.state = aborted
	if rerr := os.Remove(w.tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, fmt.Errorf("h5: could not remove %q: %w", w.tmp, rerr))
	}
	return err
}
