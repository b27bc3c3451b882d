package h5

// This file and h5shim.c hold the HDF5 C calls that gonum.org/v1/hdf5 lacks or
// gets wrong for this package: reads and writes with an explicit memory type (the
// wrapper reads with the file type, so big-endian data would come back
// unswapped), type byte order and sign, the dataset creation plist (layout,
// chunks, filters), object visiting, attributes of any shape, the thread's error
// stack as text, and the conversion loops used after a native read.
//
// Include and library paths come from the environment (CGO_CFLAGS, CGO_LDFLAGS);
// see doc.go. No path is written here. The -O3 below only makes sure the
// conversion loops are vectorized when CGO_CFLAGS replaces cgo's default -O2.

/*
#cgo CFLAGS: -O3
#include <stdlib.h>
#include "h5shim.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"gonum.org/v1/hdf5"
)

// mu serializes every HDF5 call of the process: HDF5 builds are not necessarily
// thread-safe, and even a thread-safe build keeps its error stack per OS thread.
var mu sync.Mutex

// enter takes the package lock, pins the goroutine to its OS thread (so that the
// error stack read after a failure is the one the failing call wrote) and silences
// HDF5's error printing on that thread. The returned function undoes both.
//
// Exported functions call enter once; unexported helpers assume it is held.
func enter() (leave func()) {
	mu.Lock()
	runtime.LockOSThread()
	C.sr_quiet()
	return func() {
		runtime.UnlockOSThread()
		mu.Unlock()
	}
}

// stackErr returns the calling thread's HDF5 error stack as a one-line error and
// clears the stack. It must be called right after the failing call, before any
// other HDF5 call.
func stackErr() error {
	var buf [1100]C.char
	C.sr_errmsg(&buf[0], C.size_t(len(buf)))
	msg := strings.Join(strings.Fields(C.GoString(&buf[0])), " ")
	if msg == "" {
		msg = "HDF5 call failed"
	}
	return errors.New(msg)
}

type hid = C.hid_t

var (
	pDefault = C.sr_P_DEFAULT()
	sAll     = C.sr_S_ALL()
)

// id returns the raw HDF5 identifier of a gonum object.
func id(o interface{ ID() int64 }) hid { return hid(o.ID()) }

func hsizes(v []int) []C.hsize_t {
	h := make([]C.hsize_t, len(v))
	for i, x := range v {
		h[i] = C.hsize_t(x)
	}
	return h
}

func uints(v []int) []uint {
	u := make([]uint, len(v))
	for i, x := range v {
		u[i] = uint(x)
	}
	return u
}

// spaceDims returns the dimensions of a dataspace; a scalar space has none, a null
// space returns ok false.
func spaceDims(space hid) (dims []int, ok bool, err error) {
	switch C.H5Sget_simple_extent_type(space) {
	case C.H5S_NULL:
		return nil, false, nil
	case C.H5S_SCALAR:
		return []int{}, true, nil
	}
	rank := C.H5Sget_simple_extent_ndims(space)
	if rank < 0 {
		return nil, false, stackErr()
	}
	h := make([]C.hsize_t, int(rank))
	if rank > 0 && C.H5Sget_simple_extent_dims(space, &h[0], nil) < 0 {
		return nil, false, stackErr()
	}
	dims = make([]int, rank)
	for i, x := range h {
		dims[i] = int(x)
	}
	return dims, true, nil
}

// listDatasets returns the absolute paths of every dataset in the file, each
// object once, in name order.
func listDatasets(file hid) ([]string, error) {
	var buf *C.char
	var n C.size_t
	rc := C.sr_list_datasets(file, &buf, &n)
	if rc < 0 {
		err := stackErr()
		C.free(unsafe.Pointer(buf))
		return nil, err
	}
	defer C.free(unsafe.Pointer(buf))
	if n == 0 {
		return nil, nil
	}
	raw := C.GoBytes(unsafe.Pointer(buf), C.int(n))
	var names []string
	for _, s := range strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00") {
		names = append(names, "/"+s)
	}
	return names, nil
}

// openFile opens an HDF5 file read-only through the gonum wrapper.
func openFile(name string) (*hdf5.File, error) {
	f, err := hdf5.OpenFile(name, hdf5.F_ACC_RDONLY)
	if err != nil {
		return nil, stackErr()
	}
	return f, nil
}

func cstr(s string) *C.char { return C.CString(s) }

func cfree(p *C.char) { C.free(unsafe.Pointer(p)) }
