package h5

// #include <stdlib.h>
// #include "h5shim.h"
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"gonum.org/v1/hdf5"
)

// File is an HDF5 file open read-only for reading whole datasets and attributes,
// such as a result file written by Writer. Use Reader to read frames.
type File struct {
	name string
	f    *hdf5.File
}

// DatasetInfo describes one dataset of a file.
type DatasetInfo struct {
	Path        string // absolute path, e.g. "/pca/components_"
	Dims        []int  // dimensions on disk; nil for a null dataspace
	Dtype       string // numpy-like name for numeric types, else the HDF5 class ("string", "compound", ...)
	ByteOrder   string // "little" or "big" for numeric types, else ""
	Chunks      []int  // nil when not chunked
	Compression string // as Reader.Compression
}

// OpenFile opens the HDF5 file name read-only. It returns the same errors as
// Open for files that are missing, not HDF5 or truncated.
func OpenFile(name string) (*File, error) {
	if err := checkReadable(name); err != nil {
		return nil, err
	}
	leave := enter()
	defer leave()
	f, err := openFile(name)
	if err != nil {
		return nil, openErr(name, err)
	}
	return &File{name: name, f: f}, nil
}

// Close closes the file. It may be called more than once.
func (f *File) Close() error {
	leave := enter()
	defer leave()
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	if err != nil {
		return fmt.Errorf("h5: could not close %q: %w", f.name, stackErr())
	}
	return nil
}

func (f *File) fid() (hid, error) {
	if f.f == nil {
		return 0, fmt.Errorf("h5: file %q is closed", f.name)
	}
	return id(f.f), nil
}

// Datasets lists every dataset of the file, each object once, in name order.
func (f *File) Datasets() ([]DatasetInfo, error) {
	leave := enter()
	defer leave()
	fid, err := f.fid()
	if err != nil {
		return nil, err
	}
	names, err := listDatasets(fid)
	if err != nil {
		return nil, fmt.Errorf("h5: could not list the datasets of %q: %w", f.name, err)
	}
	out := make([]DatasetInfo, 0, len(names))
	for _, n := range names {
		info, err := inspect(fid, n)
		if err != nil {
			return nil, fmt.Errorf("h5: could not inspect dataset %q in %q: %w", n, f.name, err)
		}
		di := DatasetInfo{Path: n, Dims: info.dims, Dtype: info.typ.desc, Chunks: info.chunks, Compression: info.compression}
		if info.typ.ok {
			di.ByteOrder = byteOrderName(info.typ.big)
		}
		out = append(out, di)
	}
	return out, nil
}

// ReadFloat64 reads the whole numeric dataset name, converted to float64, and
// returns it with its dimensions (empty for a scalar).
func (f *File) ReadFloat64(name string) ([]float64, []int, error) {
	var data []float64
	dims, err := f.readAll(name, f64, func(n int) unsafe.Pointer {
		data = make([]float64, n)
		return unsafe.Pointer(unsafe.SliceData(data))
	})
	return data, dims, err
}

// ReadFloat32 is ReadFloat64 for float32.
func (f *File) ReadFloat32(name string) ([]float32, []int, error) {
	var data []float32
	dims, err := f.readAll(name, f32, func(n int) unsafe.Pointer {
		data = make([]float32, n)
		return unsafe.Pointer(unsafe.SliceData(data))
	})
	return data, dims, err
}

// ReadInt64 is ReadFloat64 for int64; floats are truncated toward zero.
func (f *File) ReadInt64(name string) ([]int64, []int, error) {
	var data []int64
	dims, err := f.readAll(name, i64, func(n int) unsafe.Pointer {
		data = make([]int64, n)
		return unsafe.Pointer(unsafe.SliceData(data))
	})
	return data, dims, err
}

func (f *File) readAll(name string, c code, alloc func(n int) unsafe.Pointer) ([]int, error) {
	leave := enter()
	defer leave()
	path := "/" + strings.Trim(name, "/")
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not read dataset %q of %q: %w", path, f.name, err)
	}
	fid, err := f.fid()
	if err != nil {
		return nil, wrap(err)
	}
	switch kind, err := objectKind(fid, path); {
	case err != nil:
		return nil, wrap(err)
	case kind == "":
		return nil, wrap(errors.New("no such dataset"))
	case kind != "dataset":
		return nil, wrap(fmt.Errorf("it is a %s", kind))
	}
	info, err := inspect(fid, path)
	if err != nil {
		return nil, wrap(err)
	}
	if !info.typ.ok {
		return nil, wrap(fmt.Errorf("dtype %s is not numeric", info.typ.desc))
	}
	n := 0
	if !info.null {
		n = prod(info.dims)
	}
	ptr := alloc(n)
	if n == 0 {
		return info.dims, nil
	}
	cp := cstr(path)
	defer cfree(cp)
	d := C.H5Dopen2(fid, cp, pDefault)
	if d < 0 {
		return nil, wrap(stackErr())
	}
	defer C.H5Dclose(d)
	if C.H5Dread(d, c.native(), sAll, sAll, pDefault, ptr) < 0 {
		return nil, wrap(stackErr())
	}
	return info.dims, nil
}

// ReadStrings reads the whole string dataset name (fixed or variable length) and
// returns it with its dimensions.
func (f *File) ReadStrings(name string) ([]string, []int, error) {
	leave := enter()
	defer leave()
	path := "/" + strings.Trim(name, "/")
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not read dataset %q of %q: %w", path, f.name, err)
	}
	fid, err := f.fid()
	if err != nil {
		return nil, nil, wrap(err)
	}
	switch kind, err := objectKind(fid, path); {
	case err != nil:
		return nil, nil, wrap(err)
	case kind == "":
		return nil, nil, wrap(errors.New("no such dataset"))
	case kind != "dataset":
		return nil, nil, wrap(fmt.Errorf("it is a %s", kind))
	}
	cp := cstr(path)
	defer cfree(cp)
	d := C.H5Dopen2(fid, cp, pDefault)
	if d < 0 {
		return nil, nil, wrap(stackErr())
	}
	defer C.H5Dclose(d)
	space := C.H5Dget_space(d)
	if space < 0 {
		return nil, nil, wrap(stackErr())
	}
	defer C.H5Sclose(space)
	dims, ok, err := spaceDims(space)
	if err != nil {
		return nil, nil, wrap(err)
	}
	n := 0
	if ok {
		n = prod(dims)
	}
	t := C.H5Dget_type(d)
	if t < 0 {
		return nil, nil, wrap(stackErr())
	}
	defer C.H5Tclose(t)
	if cls := C.H5Tget_class(t); cls != C.H5T_STRING {
		return nil, nil, wrap(fmt.Errorf("dtype %s is not a string", className(cls)))
	}
	v, err := readStrings(t, space, n, func(buf unsafe.Pointer) C.herr_t { return C.H5Dread(d, t, sAll, sAll, pDefault, buf) })
	if err != nil {
		return nil, nil, wrap(err)
	}
	return v, dims, nil
}

// Attr returns attribute name of object obj ("/" for the root). Integer
// attributes come back as int64, floats as float64, strings as string; an
// attribute with a dataspace of one or more dimensions comes back as []int64,
// []float64 or []string (flattened).
func (f *File) Attr(obj, name string) (any, error) {
	leave := enter()
	defer leave()
	path := "/" + strings.Trim(obj, "/")
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not read attribute %q of %q in %q: %w", name, path, f.name, err)
	}
	fid, err := f.fid()
	if err != nil {
		return nil, wrap(err)
	}
	if kind, err := objectKind(fid, path); err != nil {
		return nil, wrap(err)
	} else if kind == "" {
		return nil, wrap(errors.New("no such object"))
	}
	cp, cn := cstr(path), cstr(name)
	defer cfree(cp)
	defer cfree(cn)
	if ex := C.H5Aexists_by_name(fid, cp, cn, pDefault); ex < 0 {
		return nil, wrap(stackErr())
	} else if ex == 0 {
		return nil, wrap(errors.New("no such attribute"))
	}
	a := C.H5Aopen_by_name(fid, cp, cn, pDefault, pDefault)
	if a < 0 {
		return nil, wrap(stackErr())
	}
	defer C.H5Aclose(a)
	v, err := readAttr(a)
	if err != nil {
		return nil, wrap(err)
	}
	return v, nil
}

// AttrNames returns the names of the attributes of obj, in name order.
func (f *File) AttrNames(obj string) ([]string, error) {
	leave := enter()
	defer leave()
	path := "/" + strings.Trim(obj, "/")
	fid, err := f.fid()
	if err != nil {
		return nil, err
	}
	cp := cstr(path)
	defer cfree(cp)
	o := C.H5Oopen(fid, cp, pDefault)
	if o < 0 {
		return nil, fmt.Errorf("h5: could not open %q in %q: %w", path, f.name, stackErr())
	}
	defer C.H5Oclose(o)
	dot := cstr(".")
	defer cfree(dot)
	var names []string
	for i := 0; ; i++ {
		var buf [1024]C.char
		n := C.H5Aget_name_by_idx(o, dot, C.H5_INDEX_NAME, C.H5_ITER_INC, C.hsize_t(i), &buf[0], C.size_t(len(buf)), pDefault)
		if n < 0 {
			C.H5Eclear2(C.H5E_DEFAULT)
			break
		}
		names = append(names, C.GoString(&buf[0]))
	}
	return names, nil
}

// readAttr reads an open attribute. The lock is held.
func readAttr(a hid) (any, error) {
	space := C.H5Aget_space(a)
	if space < 0 {
		return nil, stackErr()
	}
	defer C.H5Sclose(space)
	dims, ok, err := spaceDims(space)
	if err != nil {
		return nil, err
	}
	scalar := ok && len(dims) == 0
	n := 0
	if ok {
		n = prod(dims)
	}
	t := C.H5Aget_type(a)
	if t < 0 {
		return nil, stackErr()
	}
	defer C.H5Tclose(t)
	switch cls := C.H5Tget_class(t); cls {
	case C.H5T_INTEGER:
		v := make([]int64, n)
		if n > 0 && C.H5Aread(a, i64.native(), unsafe.Pointer(&v[0])) < 0 {
			return nil, stackErr()
		}
		if scalar {
			return v[0], nil
		}
		return v, nil
	case C.H5T_FLOAT:
		v := make([]float64, n)
		if n > 0 && C.H5Aread(a, f64.native(), unsafe.Pointer(&v[0])) < 0 {
			return nil, stackErr()
		}
		if scalar {
			return v[0], nil
		}
		return v, nil
	case C.H5T_STRING:
		v, err := readStrings(t, space, n, func(buf unsafe.Pointer) C.herr_t { return C.H5Aread(a, t, buf) })
		if err != nil {
			return nil, err
		}
		if scalar {
			return v[0], nil
		}
		return v, nil
	default:
		return nil, fmt.Errorf("unsupported attribute type %s", className(cls))
	}
}

// readStrings reads n strings of type t (variable or fixed length) with read.
func readStrings(t, space hid, n int, read func(buf unsafe.Pointer) C.herr_t) ([]string, error) {
	v := make([]string, n)
	if n == 0 {
		return v, nil
	}
	if C.H5Tis_variable_str(t) > 0 {
		arr := (**C.char)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		defer C.free(unsafe.Pointer(arr))
		if read(unsafe.Pointer(arr)) < 0 {
			return nil, stackErr()
		}
		for i, p := range unsafe.Slice(arr, n) {
			if p != nil {
				v[i] = C.GoString(p)
			}
		}
		C.sr_vlen_reclaim(t, space, unsafe.Pointer(arr))
		return v, nil
	}
	size := int(C.H5Tget_size(t))
	buf := make([]byte, n*size)
	if read(unsafe.Pointer(&buf[0])) < 0 {
		return nil, stackErr()
	}
	for i := range v {
		s := string(buf[i*size : (i+1)*size])
		if k := strings.IndexByte(s, 0); k >= 0 {
			s = s[:k]
		}
		if C.H5Tget_strpad(t) == C.H5T_STR_SPACEPAD {
			s = strings.TrimRight(s, " ")
		}
		v[i] = s
	}
	return v, nil
}

// ReadFloat64Dataset opens file, reads dataset name as float64 and closes the file.
func ReadFloat64Dataset(file, name string) ([]float64, []int, error) {
	f, err := OpenFile(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return f.ReadFloat64(name)
}

// ReadAttr opens file, reads attribute name of obj (see File.Attr) and closes the file.
func ReadAttr(file, obj, name string) (any, error) {
	f, err := OpenFile(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Attr(obj, name)
}
