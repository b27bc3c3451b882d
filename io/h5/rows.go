package h5

// #include "h5shim.h"
import "C"

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"
)

// Dims returns the dimensions of dataset name (empty for a scalar, nil for a null
// dataspace) without reading it.
func (f *File) Dims(name string) ([]int, error) {
	leave := enter()
	defer leave()
	path := "/" + strings.Trim(name, "/")
	fid, err := f.fid()
	if err == nil {
		err = checkDataset(fid, path)
	}
	if err != nil {
		return nil, fmt.Errorf("h5: could not inspect dataset %q of %q: %w", path, f.name, err)
	}
	info, err := inspect(fid, path)
	if err != nil {
		return nil, fmt.Errorf("h5: could not inspect dataset %q of %q: %w", path, f.name, err)
	}
	return info.dims, nil
}

// ReadRowsFloat64 reads rows [beg, end) of the numeric dataset name, converted to float64,
// into dst, and returns dst. The first nav axes of the dataset index the rows, row-major,
// and a row is everything else, row-major: for scores (sy, sx, K) with nav = 2, row i is
// scan position (i / sx, i % sx) and holds K values; with nav = 1 a row is a slab of the
// first axis. A nil dst is allocated; a non-nil one must have exactly (end − beg)·rowLen
// elements, rowLen the product of the other axes, or ReadRowsFloat64 panics. An empty
// range reads nothing.
//
// Only the rows asked for are read: the range becomes at most 2·nav − 1 boxes of the nav
// axes (a partial line, whole lines, a partial line, recursively), selected together, and
// is read by one H5Dread; a chunked dataset decodes only the chunks those rows touch.
//
// It returns an error, naming the file, the dataset and the range, if the dataset is
// missing, not numeric or has a null dataspace, if nav is not in [1, rank], or if
// [beg, end) is not within [0, rows], rows the product of the nav axes.
func (f *File) ReadRowsFloat64(dst []float64, name string, nav, beg, end int) ([]float64, error) {
	leave := enter()
	defer leave()
	path := "/" + strings.Trim(name, "/")
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not read rows [%d, %d) of %q in %q: %w", beg, end, path, f.name, err)
	}
	fid, info, err := f.numeric(path)
	switch {
	case err != nil:
		return dst, wrap(err)
	case nav < 1 || nav > len(info.dims):
		return dst, wrap(fmt.Errorf("%d nav axes for dimensions %v", nav, info.dims))
	}
	rows, rowLen := prod(info.dims[:nav]), prod(info.dims[nav:])
	if beg < 0 || beg > end || end > rows {
		return dst, fmt.Errorf("h5: invalid row range [%d, %d) for %d rows of %q in %q", beg, end, rows, path, f.name)
	}
	n := (end - beg) * rowLen
	if dst == nil {
		dst = make([]float64, n)
	} else if len(dst) != n {
		panic(fmt.Sprintf("h5: destination has %d elements, want %d for rows [%d, %d) of %d values", len(dst), n, beg, end, rowLen))
	}
	if n == 0 {
		return dst, nil
	}
	if err := readBoxes(fid, path, info.dims, rowBoxes(info.dims, nav, beg, end), f64, unsafe.Pointer(unsafe.SliceData(dst)), n); err != nil {
		return dst, wrap(err)
	}
	return dst, nil
}

// numeric returns the file's handle and the description of the numeric, non-null
// dataset path, for a partial read.
func (f *File) numeric(path string) (hid, dsInfo, error) {
	fid, err := f.fid()
	if err == nil {
		err = checkDataset(fid, path)
	}
	if err != nil {
		return 0, dsInfo{}, err
	}
	info, err := inspect(fid, path)
	switch {
	case err != nil:
		return 0, dsInfo{}, err
	case !info.typ.ok:
		return 0, dsInfo{}, fmt.Errorf("dtype %s is not numeric", info.typ.desc)
	case info.null:
		return 0, dsInfo{}, errors.New("the dataspace is null")
	}
	return fid, info, nil
}

// ReadSlabFloat64 reads the box of the numeric dataset name that starts at start and
// has count elements along each axis (one entry per axis), converted to float64, into
// dst in C order, and returns dst: for scores (sy, sx, K), start (0, 0, 0) and count
// (sy, sx, 1) read the first score of every scan position. A nil dst is allocated; a
// non-nil one must have exactly the product of count elements, or ReadSlabFloat64
// panics. A box with a zero count reads nothing.
//
// It returns an error, naming the file, the dataset and the box, if the dataset is
// missing, not numeric or has a null dataspace, or if start or count has the wrong
// length or the box is not within the dataset.
func (f *File) ReadSlabFloat64(dst []float64, name string, start, count []int) ([]float64, error) {
	leave := enter()
	defer leave()
	path := "/" + strings.Trim(name, "/")
	wrap := func(err error) error {
		return fmt.Errorf("h5: could not read the box at %v of size %v of %q in %q: %w", start, count, path, f.name, err)
	}
	fid, info, err := f.numeric(path)
	switch {
	case err != nil:
		return dst, wrap(err)
	case len(start) != len(info.dims) || len(count) != len(info.dims):
		return dst, wrap(fmt.Errorf("want %d start and count values for dimensions %v", len(info.dims), info.dims))
	}
	for a, d := range info.dims {
		if start[a] < 0 || count[a] < 0 || start[a]+count[a] > d {
			return dst, wrap(fmt.Errorf("axis %d: [%d, %d) is not within [0, %d)", a, start[a], start[a]+count[a], d))
		}
	}
	n := prod(count)
	if dst == nil {
		dst = make([]float64, n)
	} else if len(dst) != n {
		panic(fmt.Sprintf("h5: destination has %d elements, want %d for a box of size %v", len(dst), n, count))
	}
	if n == 0 {
		return dst, nil
	}
	b := box{start: slices.Clone(start), count: slices.Clone(count)}
	if err := readBoxes(fid, path, info.dims, []box{b}, f64, unsafe.Pointer(unsafe.SliceData(dst)), n); err != nil {
		return dst, wrap(err)
	}
	return dst, nil
}

// checkDataset returns an error unless path names a dataset. The lock is held.
func checkDataset(fid hid, path string) error {
	switch kind, err := objectKind(fid, path); {
	case err != nil:
		return err
	case kind == "":
		return errors.New("no such dataset")
	case kind != "dataset":
		return fmt.Errorf("it is a %s", kind)
	}
	return nil
}

// box is a hyperslab: start and count per axis.
type box struct{ start, count []int }

// rowBoxes returns the boxes of rows [beg, end) (beg < end) of a dataset of dimensions
// dims whose first nav axes are the rows: the boxes of the nav axes (navBoxes), each
// extended by the whole of the other axes. Their union, in C order, is the rows in order.
func rowBoxes(dims []int, nav, beg, end int) []box {
	out := navBoxes(dims[:nav], beg, end)
	for i := range out {
		for _, d := range dims[nav:] {
			out[i].start = append(out[i].start, 0)
			out[i].count = append(out[i].count, d)
		}
	}
	return out
}

// navBoxes cuts the flat row-major range [beg, end) of a grid of dimensions dims into
// boxes, at most 2·len(dims) − 1: with s the size of a line (the product of dims[1:]),
// the tail of the first line, the whole lines, and the head of the last line, the partial
// lines cut again over dims[1:].
func navBoxes(dims []int, beg, end int) []box {
	if beg >= end {
		return nil
	}
	if len(dims) == 1 {
		return []box{{start: []int{beg}, count: []int{end - beg}}}
	}
	s := prod(dims[1:])
	line := func(r int, sub []box) []box {
		for i := range sub {
			sub[i].start = append([]int{r}, sub[i].start...)
			sub[i].count = append([]int{1}, sub[i].count...)
		}
		return sub
	}
	r0, r1 := beg/s, end/s
	o0, o1 := beg%s, end%s
	if r0 == r1 {
		return line(r0, navBoxes(dims[1:], o0, o1))
	}
	var out []box
	if o0 > 0 {
		out = append(out, line(r0, navBoxes(dims[1:], o0, s))...)
		r0++
	}
	if r1 > r0 {
		b := box{start: []int{r0}, count: []int{r1 - r0}}
		for _, d := range dims[1:] {
			b.start = append(b.start, 0)
			b.count = append(b.count, d)
		}
		out = append(out, b)
	}
	if o1 > 0 {
		out = append(out, line(r1, navBoxes(dims[1:], 0, o1))...)
	}
	return out
}

// readBoxes reads the union of boxes of dataset path (dimensions dims), n elements in
// all, in the C order of the dataset, into dst as type c: one file selection, one
// H5Dread into a 1-D memory space of n elements. The lock is held.
func readBoxes(fid hid, path string, dims []int, boxes []box, c code, dst unsafe.Pointer, n int) error {
	cp := cstr(path)
	d := C.H5Dopen2(fid, cp, pDefault)
	cfree(cp)
	if d < 0 {
		return stackErr()
	}
	defer C.H5Dclose(d)
	space := C.H5Dget_space(d)
	if space < 0 {
		return stackErr()
	}
	defer C.H5Sclose(space)
	rank := len(dims)
	start := make([]C.hsize_t, rank)
	count := make([]C.hsize_t, rank)
	for i, b := range boxes {
		for a := range rank {
			start[a], count[a] = C.hsize_t(b.start[a]), C.hsize_t(b.count[a])
		}
		op := C.H5S_SELECT_OR
		if i == 0 {
			op = C.H5S_SELECT_SET
		}
		if C.H5Sselect_hyperslab(space, C.H5S_seloper_t(op), &start[0], nil, &count[0], nil) < 0 {
			return stackErr()
		}
	}
	if got := int(C.H5Sget_select_npoints(space)); got != n {
		return fmt.Errorf("selection of %d elements, want %d", got, n)
	}
	mdims := []C.hsize_t{C.hsize_t(n)}
	mem := C.H5Screate_simple(1, &mdims[0], nil)
	if mem < 0 {
		return stackErr()
	}
	defer C.H5Sclose(mem)
	if C.H5Dread(d, c.native(), mem, space, pDefault, dst) < 0 {
		return stackErr()
	}
	return nil
}
