// Package npy reads 4D-STEM frames from NumPy .npy files, and writes small .npy files.
//
// # File layout
//
// A .npy file (NumPy Enhancement Proposal 1, numpy.lib.format) is a preamble, a header and
// the raw array data:
//
//	offset  size      field
//	0       6         magic "\x93NUMPY"
//	6       1         major version: 1, 2 or 3
//	7       1         minor version: 0
//	8       2 or 4    header length H, little-endian: uint16 in 1.0, uint32 in 2.0 and 3.0
//	10/12   H         header: a Python dict literal, padded with spaces and ending in '\n'
//	10/12+H           data: the elements in C (row-major) order, no padding
//
// NumPy pads the header so that the data starts at a multiple of 64 bytes; Open does not
// require it. Version 3.0 differs from 2.0 only by allowing UTF-8 in the header. The header
// looks like
//
//	{'descr': '<u2', 'fortran_order': False, 'shape': (256, 256, 128, 128), }
//
// and must have the three keys; other keys are ignored.
//
// # What Open accepts
//
//	descr        |u1 |i1, and <u2 <i2 <u4 <i4 <u8 <i8 <f4 <f8 and the same with >
//	             (big-endian). Dtype names them uint8 ... float64. Anything else (bool,
//	             float16, complex, strings, objects, structured dtypes) is rejected.
//	fortran_order  False. Fortran-ordered arrays are rejected: save
//	             numpy.ascontiguousarray(a) instead.
//	shape        (N, dy, dx): a stack of frames, Nav (N); or (sy, sx, dy, dx): a scan,
//	             Nav (sy, sx). More axes are allowed if the extra ones have length 1: they
//	             are dropped, leftmost first, until 4 axes remain. Fewer than 3 axes, an
//	             axis of length 0, and more than 4 axes longer than 1 are errors.
//
// Open checks the file size against the header, so a truncated file fails at Open rather
// than at the first read past its end. Every error names the file:
//
//	npy: "x.npy": unsupported dtype '<c8': want one of |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f4 <f8 (or >)
//
// # Reading
//
// Frame f starts at byte DataOffset() + f·dy·dx·itemsize. ReadFloat32 and ReadFloat64 read a
// half-open frame range with os.File.ReadAt, so they keep no file position and may run from
// several goroutines at once. Elements in the machine's byte order are reinterpreted in place
// and converted; others are byte-swapped first. float32 into ReadFloat32 and float64 into
// ReadFloat64, in the machine's byte order, are read straight into the destination.
// Conversions are exact except float64 and 64-bit integers into float32 and 64-bit integers
// beyond 2^53 into float64, which round to nearest.
//
// # Writing
//
// Write writes format version 1.0 (2.0 when the header exceeds 65535 bytes) with NumPy's
// padding, in C order, to a temporary file that it renames over the destination. It is for
// tests and small outputs such as ground truth and result arrays.
package npy
