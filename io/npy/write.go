package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// dtypes maps the NumPy names Write accepts to their types.
var dtypes = map[string]dtype{
	"uint8": {'u', 1, false}, "int8": {'i', 1, false},
	"uint16": {'u', 2, false}, "int16": {'i', 2, false},
	"uint32": {'u', 4, false}, "int32": {'i', 4, false},
	"uint64": {'u', 8, false}, "int64": {'i', 8, false},
	"float32": {'f', 4, false}, "float64": {'f', 8, false},
}

// header returns the preamble and header of an array of type t and shape dims, in format
// version 1.0 (2.0 if the header needs more than 65535 bytes), padded with spaces and a
// newline so that the data starts at a multiple of 64 bytes, as NumPy writes it.
func header(t dtype, dims []int) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", t.descr(), shapeString(dims))
	// pre is the length of the magic, version and header length; n that of the header.
	pad := func(pre int) int { n := len(dict) + 1; return n + (64-(pre+n)%64)%64 }
	pre, n := 10, pad(10)
	if n > math.MaxUint16 {
		pre, n = 12, pad(12)
	}
	hdr := make([]byte, 0, pre+n)
	hdr = append(hdr, magic...)
	if pre == 10 {
		hdr = append(hdr, 1, 0)
		hdr = binary.LittleEndian.AppendUint16(hdr, uint16(n))
	} else {
		hdr = append(hdr, 2, 0)
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(n))
	}
	hdr = append(hdr, dict...)
	hdr = append(hdr, strings.Repeat(" ", n-len(dict)-1)...)
	return append(hdr, '\n')
}

// Write writes data as a C-order array of shape dims and element type dtype (a NumPy name:
// uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32 or float64) to a .npy
// file at path, big-endian if bigEndian (one-byte types have no byte order). It writes a
// temporary file in the same directory and renames it to path, so path is either absent,
// the old file, or complete.
//
// It returns an error if dtype is unknown, a dimension is negative, len(data) is not the
// product of dims, or a value does not fit dtype: integer types take only whole numbers in
// their range; float32 takes any value, rounded. It is meant for tests and small outputs: it
// holds no more than a buffer of the file in memory but converts element by element.
func Write(path string, dtype string, bigEndian bool, dims []int, data []float64) (err error) {
	t, ok := dtypes[dtype]
	if !ok {
		return fmt.Errorf("npy: could not write %q: unsupported dtype %q: want uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32 or float64", path, dtype)
	}
	t.big = bigEndian && t.size > 1
	n := 1
	for _, v := range dims {
		if v < 0 {
			return fmt.Errorf("npy: could not write %q: negative dimension in shape %s", path, shapeString(dims))
		}
		n *= v
	}
	if n != len(data) {
		return fmt.Errorf("npy: could not write %q: shape %s has %d elements, data has %d", path, shapeString(dims), n, len(data))
	}
	for i, v := range data {
		if !fits(v, t) {
			return fmt.Errorf("npy: could not write %q: value %v at index %d does not fit %s", path, v, i, dtype)
		}
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("npy: could not write %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<16)
	if _, err := w.Write(header(t, dims)); err != nil {
		return fmt.Errorf("npy: could not write %q: %w", path, err)
	}
	var el [8]byte
	for _, v := range data {
		encode(el[:t.size], v, t)
		if _, err := w.Write(el[:t.size]); err != nil {
			return fmt.Errorf("npy: could not write %q: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("npy: could not write %q: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("npy: could not write %q: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("npy: could not write %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("npy: could not write %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("npy: could not write %q: %w", path, err)
	}
	return nil
}

// fits reports whether v can be stored as type t without loss (float32: rounding allowed).
func fits(v float64, t dtype) bool {
	if t.kind == 'f' {
		return true
	}
	if v != math.Trunc(v) { // NaN too; ±Inf fail the range checks
		return false
	}
	bits := float64(8 * t.size)
	if t.kind == 'u' {
		return v >= 0 && v < math.Exp2(bits)
	}
	return v >= -math.Exp2(bits-1) && v < math.Exp2(bits-1)
}

// encode stores v as type t in b (len t.size).
func encode(b []byte, v float64, t dtype) {
	var u uint64
	switch t.kind {
	case 'u':
		u = uint64(v)
	case 'i':
		u = uint64(int64(v))
	case 'f':
		if t.size == 4 {
			u = uint64(math.Float32bits(float32(v)))
		} else {
			u = math.Float64bits(v)
		}
	}
	for i := range t.size {
		shift := 8 * i
		if t.big {
			shift = 8 * (t.size - 1 - i)
		}
		b[i] = byte(u >> shift)
	}
}
