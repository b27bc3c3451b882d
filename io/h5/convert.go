package h5

import "unsafe"

// convertGo converts n = len(dst) elements of dtype c at src to dst. It is the
// pure-Go alternative to the C loops in h5shim.c, kept for the benchmark that
// chose between them (BenchmarkConvert).
func convertGo[D float32 | float64](dst []D, c code, src unsafe.Pointer) {
	n := len(dst)
	switch c {
	case u8:
		convLoop(dst, unsafe.Slice((*uint8)(src), n))
	case u16:
		convLoop(dst, unsafe.Slice((*uint16)(src), n))
	case u32:
		convLoop(dst, unsafe.Slice((*uint32)(src), n))
	case u64:
		convLoop(dst, unsafe.Slice((*uint64)(src), n))
	case i8:
		convLoop(dst, unsafe.Slice((*int8)(src), n))
	case i16:
		convLoop(dst, unsafe.Slice((*int16)(src), n))
	case i32:
		convLoop(dst, unsafe.Slice((*int32)(src), n))
	case i64:
		convLoop(dst, unsafe.Slice((*int64)(src), n))
	case f32:
		convLoop(dst, unsafe.Slice((*float32)(src), n))
	case f64:
		convLoop(dst, unsafe.Slice((*float64)(src), n))
	}
}

type number interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64 | ~int8 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

func convLoop[D float32 | float64, S number](dst []D, src []S) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = D(v)
	}
}
