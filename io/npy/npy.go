package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"
)

// magic starts every .npy file.
const magic = "\x93NUMPY"

// maxHeader is the largest header Open reads. NumPy's own default limit is 10 000 bytes; a
// larger header in a 3-D or 4-D array file means a damaged or hostile file.
const maxHeader = 1 << 20

// ErrClosed is returned by reads from a closed Reader.
var ErrClosed = errors.New("npy: read from a closed file")

// dtype is a supported element type.
type dtype struct {
	kind byte // 'u', 'i' or 'f'
	size int  // bytes per element: 1, 2, 4 or 8
	big  bool // big-endian
}

// name returns the NumPy name, such as "uint16".
func (t dtype) name() string {
	k := map[byte]string{'u': "uint", 'i': "int", 'f': "float"}[t.kind]
	return fmt.Sprintf("%s%d", k, 8*t.size)
}

// descr returns the NumPy descr, such as "<u2".
func (t dtype) descr() string {
	o := "<"
	switch {
	case t.size == 1:
		o = "|"
	case t.big:
		o = ">"
	}
	return fmt.Sprintf("%s%c%d", o, t.kind, t.size)
}

// parseDescr parses a descr such as '<u2'. Byte order '|' (not applicable) is accepted for
// one-byte types only, and '<' or '>' for every type.
func parseDescr(s string) (dtype, bool) {
	if len(s) != 3 {
		return dtype{}, false
	}
	t := dtype{kind: s[1], size: int(s[2] - '0')}
	switch t.kind {
	case 'u', 'i':
		if t.size != 1 && t.size != 2 && t.size != 4 && t.size != 8 {
			return dtype{}, false
		}
	case 'f':
		if t.size != 4 && t.size != 8 {
			return dtype{}, false
		}
	default:
		return dtype{}, false
	}
	switch s[0] {
	case '<':
	case '>':
		t.big = t.size > 1
	case '|':
		if t.size != 1 {
			return dtype{}, false
		}
	default:
		return dtype{}, false
	}
	return t, true
}

// nativeLittle reports whether this machine is little-endian.
var nativeLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Reader reads the frames of a .npy file holding a 3-D (N, dy, dx) or 4-D (sy, sx, dy, dx)
// array. Its methods may be called from several goroutines at once; Close must not race with
// reads.
type Reader struct {
	f      *os.File
	name   string
	t      dtype
	dims   []int // as in the file
	nav    []int
	sig    []int
	n, d   int   // frames and pixels per frame
	off    int64 // offset of the data
	closed atomic.Bool
}

// Open opens the .npy file at path and reads its header. It returns an error, naming the
// file, when the file cannot be opened or is not a NumPy file, its format version is not 1.0,
// 2.0 or 3.0, its dtype is not one of |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f4 <f8 or their
// big-endian (>) forms, it is in Fortran order, its shape is not a non-empty (N, dy, dx) or
// (sy, sx, dy, dx) (more axes are allowed when they have length 1), or the file is shorter
// than the header says. The caller must Close the Reader.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: could not open %q: %w", path, err)
	}
	r, err := open(f, path, true)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// ReadAll reads a whole array of any shape (a mask, an ROI) as float64 and returns it with
// its dims. It returns the errors of Open except those about the shape.
func ReadAll(path string) ([]float64, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("npy: could not open %q: %w", path, err)
	}
	defer f.Close()
	r, err := open(f, path, false)
	if err != nil {
		return nil, nil, err
	}
	n := prod(r.dims)
	raw := make([]byte, n*r.t.size)
	if _, err := f.ReadAt(raw, r.off); err != nil {
		return nil, nil, fmt.Errorf("npy: could not read %q: %w", path, err)
	}
	out := make([]float64, n)
	convert(out, raw, r.t)
	return out, r.dims, nil
}

// open reads the header of f; with frames it also requires a frame-stack shape.
func open(f *os.File, path string, frames bool) (*Reader, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("npy: %q: %s", path, fmt.Sprintf(format, args...))
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("npy: could not stat %q: %w", path, err)
	}
	size := st.Size()

	var pre [12]byte
	n, err := f.ReadAt(pre[:], 0)
	if n < 10 || string(pre[:6]) != magic {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("npy: could not read %q: %w", path, err)
		}
		return nil, bad("not a NumPy .npy file (no \\x93NUMPY magic)")
	}
	major, minor := pre[6], pre[7]
	var hlen, hoff int64
	switch {
	case major == 1 && minor == 0:
		hlen, hoff = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case (major == 2 || major == 3) && minor == 0:
		if n < 12 {
			return nil, bad("truncated: the file ends inside the preamble")
		}
		hlen, hoff = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return nil, bad("unsupported format version %d.%d: want 1.0, 2.0 or 3.0", major, minor)
	}
	if hlen > maxHeader {
		return nil, bad("header of %d bytes is larger than %d", hlen, maxHeader)
	}
	if hoff+hlen > size {
		return nil, bad("truncated: the header needs %d bytes, the file has %d", hoff+hlen, size)
	}
	hdr := make([]byte, hlen)
	if _, err := f.ReadAt(hdr, hoff); err != nil {
		return nil, fmt.Errorf("npy: could not read the header of %q: %w", path, err)
	}
	dict, err := parseDict(string(hdr))
	if err != nil {
		return nil, bad("%v", err)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := dict[k]; !ok {
			return nil, bad("header has no '%s' key", k)
		}
	}

	descr := dict["descr"]
	t, ok := parseDescr(descr.str)
	if descr.kind != pyStr || !ok {
		d := descr.raw
		if descr.kind == pyStr {
			d = "'" + descr.str + "'"
		}
		return nil, bad("unsupported dtype %s: want one of |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f4 <f8 (or >)", d)
	}
	if fo := dict["fortran_order"]; fo.kind != pyBool {
		return nil, bad("fortran_order is %s, not True or False", fo.raw)
	} else if fo.b {
		return nil, bad("array is in Fortran (column-major) order, which is not supported: save numpy.ascontiguousarray(a) instead")
	}
	sh := dict["shape"]
	if sh.kind != pyTuple {
		return nil, bad("shape %s is not a tuple of integers", sh.raw)
	}
	dims := sh.ints
	shape := shapeString(dims)
	var nav, sig []int
	if frames {
		if nav, sig, err = frameShape(dims); err != nil {
			return nil, bad("shape %s: %v", shape, err)
		}
	}

	// Data size, checked for overflow.
	total := uint64(t.size)
	for _, v := range dims {
		hi, lo := bits.Mul64(total, uint64(v))
		if hi != 0 || lo > math.MaxInt64 {
			return nil, bad("shape %s: the data would have more than 2^63 bytes", shape)
		}
		total = lo
	}
	off := hoff + hlen
	if have := size - off; uint64(have) < total {
		return nil, bad("truncated: shape %s of %s needs %d data bytes, the file has %d after the header", shape, t.name(), total, have)
	}
	r := &Reader{f: f, name: path, t: t, dims: dims, nav: nav, sig: sig, off: off}
	r.n, r.d = prod(nav), prod(sig)
	return r, nil
}

// frameShape splits dims into nav and sig dimensions. Arrays of more than 4 axes lose
// length-1 axes, leftmost first, until 4 are left.
func frameShape(dims []int) (nav, sig []int, err error) {
	for _, v := range dims {
		if v < 0 {
			return nil, nil, errors.New("negative dimension")
		}
	}
	d := append([]int(nil), dims...)
	for len(d) > 4 {
		i := 0
		for i < len(d) && d[i] != 1 {
			i++
		}
		if i == len(d) {
			return nil, nil, fmt.Errorf("%d axes, of which at most 4 may be longer than 1: want (N, dy, dx) or (sy, sx, dy, dx)", len(dims))
		}
		d = append(d[:i], d[i+1:]...)
	}
	if len(d) < 3 {
		return nil, nil, fmt.Errorf("%d-D array: want (N, dy, dx) or (sy, sx, dy, dx)", len(d))
	}
	if slices.Contains(d, 0) {
		return nil, nil, errors.New("empty array")
	}
	return d[:len(d)-2], d[len(d)-2:], nil
}

func shapeString(dims []int) string {
	s := make([]string, len(dims))
	for i, v := range dims {
		s[i] = fmt.Sprint(v)
	}
	if len(dims) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func prod(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}

// File returns the path the Reader was opened with.
func (r *Reader) File() string { return r.name }

// Dims returns the array's shape as in the file, singleton axes included, in a new slice.
func (r *Reader) Dims() []int { return append([]int(nil), r.dims...) }

// Nav returns the scan shape, (N) for a 3-D array or (sy, sx) for a 4-D one, in a new slice.
func (r *Reader) Nav() []int { return append([]int(nil), r.nav...) }

// Sig returns the detector shape (dy, dx), in a new slice.
func (r *Reader) Sig() []int { return append([]int(nil), r.sig...) }

// Dtype returns the NumPy name of the element type, such as "uint16".
func (r *Reader) Dtype() string { return r.t.name() }

// Descr returns the NumPy type descriptor as in the file, normalised, such as "<u2".
func (r *Reader) Descr() string { return r.t.descr() }

// ByteOrder returns "little", "big", or "none" for one-byte types.
func (r *Reader) ByteOrder() string {
	switch {
	case r.t.size == 1:
		return "none"
	case r.t.big:
		return "big"
	}
	return "little"
}

// DataOffset returns the byte offset of the first element in the file.
func (r *Reader) DataOffset() int64 { return r.off }

// Close closes the file. It may be called more than once; later calls return nil.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("npy: could not close %q: %w", r.name, err)
	}
	return nil
}

// chunkBytes bounds the buffer of one conversion step.
const chunkBytes = 1 << 20

// ReadFloat32 reads frames [beg, end) into dst, frame after frame, row-major, converting
// each element to float32 (64-bit integers and float64 are rounded). It returns an error for
// a range outside [0, N), after Close, or when the read fails, and panics unless
// len(dst) == (end-beg)·dy·dx. A little-endian float32 file on a little-endian machine is
// read straight into dst; otherwise it allocates a buffer of at most 1 MiB per call.
func (r *Reader) ReadFloat32(dst []float32, beg, end int) error {
	if err := r.check(len(dst), beg, end); err != nil {
		return err
	}
	if len(dst) == 0 {
		return nil
	}
	if r.t.kind == 'f' && r.t.size == 4 && r.t.big != nativeLittle {
		b := unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst))
		return r.readAt(b, beg, end)
	}
	return readConvert(r, dst, beg, end)
}

// ReadFloat64 is ReadFloat32 for float64; every supported type converts exactly except
// 64-bit integers beyond 2^53. A little-endian float64 file on a little-endian machine is
// read straight into dst.
func (r *Reader) ReadFloat64(dst []float64, beg, end int) error {
	if err := r.check(len(dst), beg, end); err != nil {
		return err
	}
	if len(dst) == 0 {
		return nil
	}
	if r.t.kind == 'f' && r.t.size == 8 && r.t.big != nativeLittle {
		b := unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 8*len(dst))
		return r.readAt(b, beg, end)
	}
	return readConvert(r, dst, beg, end)
}

func (r *Reader) check(n, beg, end int) error {
	if r.closed.Load() {
		return ErrClosed
	}
	if beg < 0 || beg > end || end > r.n {
		return fmt.Errorf("npy: invalid frame range [%d, %d) for %d frames in %q", beg, end, r.n, r.name)
	}
	if n != (end-beg)*r.d {
		panic(fmt.Sprintf("npy: len(dst) = %d, want %d for frames [%d, %d) of %d pixels", n, (end-beg)*r.d, beg, end, r.d))
	}
	return nil
}

// readAt reads the bytes of frames [beg, end) into b.
func (r *Reader) readAt(b []byte, beg, end int) error {
	off := r.off + int64(beg)*int64(r.d)*int64(r.t.size)
	if _, err := r.f.ReadAt(b, off); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("npy: could not read frames [%d, %d) of %q: %w", beg, end, r.name, err)
	}
	return nil
}

// readConvert reads frames [beg, end) in chunks of at most chunkBytes and converts them.
// len(dst) must not be zero.
func readConvert[T float32 | float64](r *Reader, dst []T, beg, end int) error {
	size := r.t.size
	per := max(1, chunkBytes/size) // elements per chunk
	// The buffer is made of uint64 so that convert may reinterpret it as any element type.
	nb := min(len(dst), per) * size
	buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(make([]uint64, (nb+7)/8)))), nb)
	off := r.off + int64(beg)*int64(r.d)*int64(size)
	for i := 0; i < len(dst); i += per {
		m := min(per, len(dst)-i)
		b := buf[:m*size]
		if _, err := r.f.ReadAt(b, off+int64(i)*int64(size)); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("npy: could not read frames [%d, %d) of %q: %w", beg, end, r.name, err)
		}
		convert(dst[i:i+m], b, r.t)
	}
	return nil
}

// convert decodes len(dst) elements of type t from src into dst. src must start at an
// address aligned for t (readConvert's buffer does).
func convert[T float32 | float64](dst []T, src []byte, t dtype) {
	if len(dst) == 0 {
		return
	}
	src = src[:len(dst)*t.size]
	p := unsafe.Pointer(&src[0])
	n := len(dst)
	if t.size == 1 || t.big != nativeLittle {
		// Native byte order: reinterpret the bytes and convert.
		switch int(t.kind)<<8 | t.size {
		case 'u'<<8 | 1:
			cast(dst, src)
		case 'i'<<8 | 1:
			cast(dst, unsafe.Slice((*int8)(p), n))
		case 'u'<<8 | 2:
			cast(dst, unsafe.Slice((*uint16)(p), n))
		case 'i'<<8 | 2:
			cast(dst, unsafe.Slice((*int16)(p), n))
		case 'u'<<8 | 4:
			cast(dst, unsafe.Slice((*uint32)(p), n))
		case 'i'<<8 | 4:
			cast(dst, unsafe.Slice((*int32)(p), n))
		case 'u'<<8 | 8:
			cast(dst, unsafe.Slice((*uint64)(p), n))
		case 'i'<<8 | 8:
			cast(dst, unsafe.Slice((*int64)(p), n))
		case 'f'<<8 | 4:
			cast(dst, unsafe.Slice((*float32)(p), n))
		case 'f'<<8 | 8:
			cast(dst, unsafe.Slice((*float64)(p), n))
		default:
			panic("npy: unsupported dtype " + t.descr())
		}
		return
	}
	// Swapped byte order: reinterpret, reverse the bytes, convert.
	switch int(t.kind)<<8 | t.size {
	case 'u'<<8 | 2:
		for i, v := range unsafe.Slice((*uint16)(p), n) {
			dst[i] = T(bits.ReverseBytes16(v))
		}
	case 'i'<<8 | 2:
		for i, v := range unsafe.Slice((*uint16)(p), n) {
			dst[i] = T(int16(bits.ReverseBytes16(v)))
		}
	case 'u'<<8 | 4:
		for i, v := range unsafe.Slice((*uint32)(p), n) {
			dst[i] = T(bits.ReverseBytes32(v))
		}
	case 'i'<<8 | 4:
		for i, v := range unsafe.Slice((*uint32)(p), n) {
			dst[i] = T(int32(bits.ReverseBytes32(v)))
		}
	case 'f'<<8 | 4:
		for i, v := range unsafe.Slice((*uint32)(p), n) {
			dst[i] = T(math.Float32frombits(bits.ReverseBytes32(v)))
		}
	case 'u'<<8 | 8:
		for i, v := range unsafe.Slice((*uint64)(p), n) {
			dst[i] = T(bits.ReverseBytes64(v))
		}
	case 'i'<<8 | 8:
		for i, v := range unsafe.Slice((*uint64)(p), n) {
			dst[i] = T(int64(bits.ReverseBytes64(v)))
		}
	case 'f'<<8 | 8:
		for i, v := range unsafe.Slice((*uint64)(p), n) {
			dst[i] = T(math.Float64frombits(bits.ReverseBytes64(v)))
		}
	default:
		panic("npy: unsupported dtype " + t.descr())
	}
}

// cast converts src element-wise into dst (len(dst) ≥ len(src)).
func cast[T float32 | float64, S uint8 | int8 | uint16 | int16 | uint32 | int32 | uint64 | int64 | float32 | float64](dst []T, src []S) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = T(v)
	}
}
