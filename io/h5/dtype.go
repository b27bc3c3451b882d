package h5

// #include "h5shim.h"
import "C"

import (
	"fmt"
	"strings"
)

// code is a numeric element type; the values match the SR_* enum in capi.go.
type code int

const (
	u8 code = iota
	u16
	u32
	u64
	i8
	i16
	i32
	i64
	f32
	f64
)

var codeNames = [...]string{"uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float32", "float64"}
var codeSizes = [...]int{1, 2, 4, 8, 1, 2, 4, 8, 4, 8}

func (c code) String() string { return codeNames[c] }
func (c code) size() int      { return codeSizes[c] }
func (c code) native() hid    { return C.sr_native(C.int(c)) }
func (c code) isFloat() bool  { return c == f32 || c == f64 }

// fileType returns the predefined standard type for c in the given byte order.
// It must not be closed.
func (c code) fileType(big bool) hid {
	b := 0
	if big {
		b = 1
	}
	return C.sr_filetype(C.int(c), C.int(b))
}

// parseDtype returns the code for a numpy-like name.
func parseDtype(s string) (code, bool) {
	for i, n := range codeNames {
		if n == s {
			return code(i), true
		}
	}
	return 0, false
}

// dtypeNames lists the accepted dtypes for messages.
func dtypeNames() string { return strings.Join(codeNames[:], ", ") }

// typeInfo describes an HDF5 datatype: numeric (ok) with its code and byte
// order, or the name of its class.
type typeInfo struct {
	ok    bool
	code  code
	big   bool
	class string // "integer", "float", "string", "compound", ...
	desc  string // numpy-like name when ok, else a description such as "string"
}

func className(c C.H5T_class_t) string {
	switch c {
	case C.H5T_INTEGER:
		return "integer"
	case C.H5T_FLOAT:
		return "float"
	case C.H5T_TIME:
		return "time"
	case C.H5T_STRING:
		return "string"
	case C.H5T_BITFIELD:
		return "bitfield"
	case C.H5T_OPAQUE:
		return "opaque"
	case C.H5T_COMPOUND:
		return "compound"
	case C.H5T_REFERENCE:
		return "reference"
	case C.H5T_ENUM:
		return "enum"
	case C.H5T_VLEN:
		return "variable-length"
	case C.H5T_ARRAY:
		return "array"
	}
	return fmt.Sprintf("class %d", int(c))
}

// describeType inspects an open datatype.
func describeType(t hid) (typeInfo, error) {
	cls := C.H5Tget_class(t)
	if cls < 0 {
		return typeInfo{}, stackErr()
	}
	ti := typeInfo{class: className(cls)}
	size := int(C.H5Tget_size(t))
	if size == 0 {
		return typeInfo{}, stackErr()
	}
	switch cls {
	case C.H5T_INTEGER:
		sign := C.H5Tget_sign(t)
		if sign < 0 {
			return typeInfo{}, stackErr()
		}
		signed := sign == C.H5T_SGN_2
		var c code
		switch {
		case size == 1 && !signed:
			c = u8
		case size == 2 && !signed:
			c = u16
		case size == 4 && !signed:
			c = u32
		case size == 8 && !signed:
			c = u64
		case size == 1:
			c = i8
		case size == 2:
			c = i16
		case size == 4:
			c = i32
		case size == 8:
			c = i64
		default:
			s := "u"
			if signed {
				s = ""
			}
			ti.desc = fmt.Sprintf("%sint of %d bytes", s, size)
			return ti, nil
		}
		ti.ok, ti.code, ti.desc = true, c, c.String()
	case C.H5T_FLOAT:
		switch size {
		case 4:
			ti.ok, ti.code = true, f32
		case 8:
			ti.ok, ti.code = true, f64
		default:
			ti.desc = fmt.Sprintf("float%d", 8*size)
			return ti, nil
		}
		ti.desc = ti.code.String()
	default:
		ti.desc = ti.class
		return ti, nil
	}
	// A type of a non-native layout (for example an integer with padding bits, or
	// a float with a non-IEEE layout) is still converted by HDF5 on read; the
	// precision and offset checks keep such oddities out.
	if prec := int(C.H5Tget_precision(t)); prec != 8*size {
		ti.ok = false
		ti.desc = fmt.Sprintf("%s with %d-bit precision", ti.class, prec)
		return ti, nil
	}
	switch C.H5Tget_order(t) {
	case C.H5T_ORDER_BE:
		ti.big = true
	case C.H5T_ORDER_LE, C.H5T_ORDER_NONE:
	default:
		ti.ok = false
		ti.desc = fmt.Sprintf("%s with mixed byte order", ti.desc)
	}
	return ti, nil
}

func byteOrderName(big bool) string {
	if big {
		return "big"
	}
	return "little"
}

// shapeString formats dims like numpy: (64, 64, 32, 32), (10,), ().
func shapeString(dims []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range dims {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, d)
	}
	if len(dims) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}
