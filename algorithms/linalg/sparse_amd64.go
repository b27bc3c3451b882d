//go:build amd64 && !purego

package linalg

import "github.com/stemreduce/stemreduce/internal/cpufeat"

// Must be kept in sync with sparse_other.go and the twins in sparse_kernel.go.

// The AVX2+FMA and AVX-512 kernels of sparse_amd64.s; their callers below check the
// bounds.

//go:noescape
func packAVX2(x []float32, idx []int32, table *[256][8]int32) int

//go:noescape
func gather64AVX512W(y, om []float64, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func scatter64AVX512W(y, pt []float64, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func gather32AVX2(y, om []float32, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func scatter32AVX2(y, pt []float32, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func gather64AVX2(y, om []float64, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func scatter64AVX2(y, pt []float64, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func gather32AVX512(y, om []float32, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func scatter32AVX512(y, pt []float32, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func gather64AVX512(y, om []float64, ptr []int32, row []uint8, val []float32, w int)

//go:noescape
func scatter64AVX512(y, pt []float64, ptr []int32, row []uint8, val []float32, w int)

// useAVX512 and useAVX2 pick the kernels; tests turn them off to run the others.
var useAVX512, useAVX2 = cpufeat.AVX512, cpufeat.AVX2FMA

// packTable[mask] lists the positions of the set bits of mask, lowest first.
var packTable = func() *[256][8]int32 {
	var t [256][8]int32
	for mask := range 256 {
		n := 0
		for b := range 8 {
			if mask&(1<<b) != 0 {
				t[mask][n] = int32(b)
				n++
			}
		}
	}
	return &t
}()

// pack is packGeneric, eight values at a time.
func pack(x []float32, idx []int32) int {
	_ = idx[len(x)-1]
	if !useAVX2 {
		return packGeneric(x, idx)
	}
	v := len(x) &^ 7
	n := 0
	if v > 0 {
		n = packAVX2(x[:v], idx, packTable)
	}
	for j := v; j < len(x); j++ {
		if x[j] != 0 || x[j] != x[j] {
			idx[n] = int32(j)
			n++
		}
	}
	return n
}

// gather32 is gather32Generic.
func gather32(y, om []float32, a *csc, w int) {
	checkPanel(len(y), len(om), a, w, panel32)
	switch {
	case useAVX512:
		gather32AVX512(y, om, a.ptr, a.row, a.val, w)
		return
	case useAVX2:
		gather32AVX2(y, om, a.ptr, a.row, a.val, w)
		return
	}
	gather32Generic(y, om, a, w)
}

// scatter32 is scatter32Generic.
func scatter32(y, pt []float32, a *csc, w int) {
	checkPanel(len(y), len(pt), a, w, panel32)
	switch {
	case useAVX512:
		scatter32AVX512(y, pt, a.ptr, a.row, a.val, w)
		return
	case useAVX2:
		scatter32AVX2(y, pt, a.ptr, a.row, a.val, w)
		return
	}
	scatter32Generic(y, pt, a, w)
}

// panel64Wide is the float64 panel of the AVX512W kernels: twice panel64.
const panel64Wide = 2 * panel64

// gather64 is gather64Generic on every panel of w columns (from the first of y and om).
func gather64(y, om []float64, a *csc, w int) {
	for p := 0; p < w; {
		switch {
		case useAVX512 && p+panel64Wide <= w:
			checkPanel(len(y)-p, len(om)-p, a, w, panel64Wide)
			gather64AVX512W(y[p:], om[p:], a.ptr, a.row, a.val, w)
			p += panel64Wide
			continue
		case useAVX512:
			checkPanel(len(y)-p, len(om)-p, a, w, panel64)
			gather64AVX512(y[p:], om[p:], a.ptr, a.row, a.val, w)
		case useAVX2:
			checkPanel(len(y)-p, len(om)-p, a, w, panel64)
			gather64AVX2(y[p:], om[p:], a.ptr, a.row, a.val, w)
		default:
			gather64Generic(y[p:], om[p:], a, w)
		}
		p += panel64
	}
}

// scatter64 is scatter64Generic on every panel of w columns (from the first of y and pt).
func scatter64(y, pt []float64, a *csc, w int) {
	for p := 0; p < w; {
		switch {
		case useAVX512 && p+panel64Wide <= w:
			checkPanel(len(y)-p, len(pt)-p, a, w, panel64Wide)
			scatter64AVX512W(y[p:], pt[p:], a.ptr, a.row, a.val, w)
			p += panel64Wide
			continue
		case useAVX512:
			checkPanel(len(y)-p, len(pt)-p, a, w, panel64)
			scatter64AVX512(y[p:], pt[p:], a.ptr, a.row, a.val, w)
		case useAVX2:
			checkPanel(len(y)-p, len(pt)-p, a, w, panel64)
			scatter64AVX2(y[p:], pt[p:], a.ptr, a.row, a.val, w)
		default:
			scatter64Generic(y[p:], pt[p:], a, w)
		}
		p += panel64
	}
}
