package linalg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// The byte layout of every partial is little-endian: int64 counts and dimensions, then
// float64 values in row-major order. The Decode methods check lengths and never panic on
// malformed input.

var errShort = errors.New("linalg: short or malformed partial")

func appendInt(dst []byte, v int64) []byte {
	return binary.LittleEndian.AppendUint64(dst, uint64(v))
}

func appendFloats(dst []byte, s []float64) []byte {
	dst = grow(dst, 8*len(s))
	for _, v := range s {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
	}
	return dst
}

// grow returns dst with room for n more bytes, so that appending them does not copy.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	return append(dst[:len(dst):len(dst)], make([]byte, n)...)[:len(dst)]
}

// appendDense appends the dimensions and the elements of a, or two zeros for an empty or
// nil matrix.
func appendDense(dst []byte, a *mat.Dense) []byte {
	if a == nil || a.IsEmpty() {
		return appendInt(appendInt(dst, 0), 0)
	}
	r, c := a.Dims()
	dst = grow(dst, 16+8*r*c)
	dst = appendInt(appendInt(dst, int64(r)), int64(c))
	raw := a.RawMatrix()
	for i := range r {
		dst = appendFloats(dst, raw.Data[i*raw.Stride:i*raw.Stride+c])
	}
	return dst
}

// reader consumes the encoded form.
type reader struct {
	b   []byte
	err error
}

func (r *reader) int() int64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errShort
		return 0
	}
	v := int64(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// dim reads a non-negative dimension of at most max.
func (r *reader) dim(max int64) int {
	v := r.int()
	if r.err == nil && (v < 0 || v > max) {
		r.err = fmt.Errorf("linalg: bad dimension %d in partial", v)
	}
	if r.err != nil {
		return 0
	}
	return int(v)
}

func (r *reader) floats(n int) []float64 {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < 8*n {
		r.err = errShort
		return nil
	}
	s := make([]float64, n)
	for i := range s {
		s[i] = math.Float64frombits(binary.LittleEndian.Uint64(r.b[8*i:]))
	}
	r.b = r.b[8*n:]
	return s
}

// dense reads a matrix written by appendDense; an empty one comes back as nil.
func (r *reader) dense() *mat.Dense {
	rows := r.dim(int64(len(r.b)) / 8)
	cols := r.dim(int64(len(r.b)) / 8)
	if r.err != nil || rows == 0 || cols == 0 {
		return nil
	}
	if rows*cols > len(r.b)/8 {
		r.err = errShort
		return nil
	}
	return mat.NewDense(rows, cols, r.floats(rows*cols))
}

// done reports the first error, or an error if bytes are left over.
func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("linalg: %d trailing bytes in partial", len(r.b))
	}
	return r.err
}
