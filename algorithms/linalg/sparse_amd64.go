//go:build amd64 && !purego

package linalg

import "github.com/stemreduce/stemreduce/internal/cpufeat"

// Must be kept in sync with sparse_other.go and the twins in sparse_kernel.go.

//go:generate go run ./internal/gensparse -o sparse_amd64.s

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

// asmKernel is the signature of the assembly kernels: the sketch rows y and om or pt
// from the panel's first column, the compressed columns, w.
type asmKernel[T float32 | float64] func(y, m []T, ptr []int32, row []uint8, val []float32, w int)

// kernelSet is one kernel in its versions: AVX-512 (and, for float64, AVX-512 on panels
// twice as wide), AVX2, and the pure-Go twin.
type kernelSet[T float32 | float64] struct {
	avx512w, avx512, avx2 asmKernel[T]
	generic               func(y, m []T, a *csc, w int)
	panel                 int
}

// run applies the kernel to every panel of w columns (from the first of y and m), each
// with the best version the CPU has.
func (k kernelSet[T]) run(y, m []T, a *csc, w int) {
	for p := 0; p < w; {
		width, fn := k.panel, k.avx2
		switch {
		case useAVX512 && k.avx512w != nil && p+2*k.panel <= w:
			width, fn = 2*k.panel, k.avx512w
		case useAVX512:
			fn = k.avx512
		case !useAVX2:
			fn = nil
		}
		if fn == nil {
			k.generic(y[p:], m[p:], a, w)
		} else {
			checkPanel(len(y)-p, len(m)-p, a, w, width)
			fn(y[p:], m[p:], a.ptr, a.row, a.val, w)
		}
		p += width
	}
}

var (
	gather32Set  = kernelSet[float32]{nil, gather32AVX512, gather32AVX2, gather32Generic, panel32}
	scatter32Set = kernelSet[float32]{nil, scatter32AVX512, scatter32AVX2, scatter32Generic, panel32}
	gather64Set  = kernelSet[float64]{gather64AVX512W, gather64AVX512, gather64AVX2, gather64Generic, panel64}
	scatter64Set = kernelSet[float64]{scatter64AVX512W, scatter64AVX512, scatter64AVX2, scatter64Generic, panel64}
)

// The kernels on every panel of a row of w columns (see the twins in sparse_kernel.go).

func gather32(y, om []float32, a *csc, w int)  { gather32Set.run(y, om, a, w) }
func scatter32(y, pt []float32, a *csc, w int) { scatter32Set.run(y, pt, a, w) }
func gather64(y, om []float64, a *csc, w int)  { gather64Set.run(y, om, a, w) }
func scatter64(y, pt []float64, a *csc, w int) { scatter64Set.run(y, pt, a, w) }
