package linalg

import "math"

// The kernels of the sparse products (sparse.go). Each has an AVX2+FMA version in
// sparse_amd64.s, used when the CPU has them, and the pure-Go twin below, which does the
// same IEEE operations in the same order, so the bits never depend on the CPU. A kernel
// works on one panel of row-major matrices with w columns (the panel is their first
// panel32 or panel64 columns): row j of the panel starts at index j·w.

const (
	panel32 = 32 // float32 columns of a panel: four AVX2 registers
	panel64 = 16 // float64 columns of a panel: four AVX2 registers
)

// packGeneric stores in idx the indices of the values of x that are not zero (NaN
// included), in increasing order, and returns how many there are. idx must hold len(x)
// values.
func packGeneric(x []float32, idx []int32) int {
	n := 0
	for j, v := range x {
		if v != 0 || v != v {
			idx[n] = int32(j)
			n++
		}
	}
	return n
}

// csc is the sparse form of a row chunk (compressed sparse columns): the non-zero values
// of column j are val[ptr[j]:ptr[j+1]], in the rows row[ptr[j]:ptr[j+1]] (increasing, all
// below rows ≤ sparseRows).
type csc struct {
	ptr  []int32
	row  []uint8
	val  []float32
	rows int
}

// gatherGeneric adds val[e]·om[j·w+c] to y[row[e]·w+c] for c < panel, one fused
// multiply-add each (fma), for every column j in order and every entry e of it in order:
// row r of y gets the products of its values in increasing column order.
func gatherGeneric[T float32 | float64](y, om []T, a *csc, w, panel int, fma func(a, b, c T) T) {
	for j := range len(a.ptr) - 1 {
		o := om[j*w : j*w+panel]
		for e := a.ptr[j]; e < a.ptr[j+1]; e++ {
			v, yr := T(a.val[e]), y[int(a.row[e])*w:int(a.row[e])*w+panel]
			for c, oc := range o {
				yr[c] = fma(v, oc, yr[c])
			}
		}
	}
}

// scatterGeneric adds to pt[j·w+c] (c < panel), for every column j with entries, the sum
// of val[e]·y[row[e]·w+c] over its entries e, as two chains of fused multiply-adds: over
// the even entries of the column starting from pt[j·w+c], over the odd ones from zero,
// added at the end.
func scatterGeneric[T float32 | float64](y, pt []T, a *csc, w, panel int, fma func(a, b, c T) T) {
	even, odd := make([]T, panel), make([]T, panel)
	for j := range len(a.ptr) - 1 {
		b, end := a.ptr[j], a.ptr[j+1]
		if b == end {
			continue
		}
		p := pt[j*w : j*w+panel]
		copy(even, p)
		clear(odd)
		for e := b; e < end; e++ {
			acc := even
			if (e-b)%2 == 1 {
				acc = odd
			}
			v, yr := T(a.val[e]), y[int(a.row[e])*w:int(a.row[e])*w+panel]
			for c, yc := range yr {
				acc[c] = fma(v, yc, acc[c])
			}
		}
		for c := range p {
			p[c] = even[c] + odd[c]
		}
	}
}

func gather32Generic(y, om []float32, a *csc, w int) { gatherGeneric(y, om, a, w, panel32, fma32) }

func scatter32Generic(y, pt []float32, a *csc, w int) { scatterGeneric(y, pt, a, w, panel32, fma32) }

func gather64Generic(y, om []float64, a *csc, w int) { gatherGeneric(y, om, a, w, panel64, math.FMA) }

func scatter64Generic(y, pt []float64, a *csc, w int) {
	scatterGeneric(y, pt, a, w, panel64, math.FMA)
}

// eachPanel calls fn on every panel of a row of w columns of y and m.
func eachPanel[T float32 | float64](y, m []T, a *csc, w, panel int, fn func(y, m []T, a *csc, w int)) {
	for p := 0; p < w; p += panel {
		fn(y[p:], m[p:], a, w)
	}
}

// fma32 returns a·b + c rounded once to float32, as the FMA instruction does. The product
// of two float32 values is exact in float64, and so is the sum unless it needs more than
// 53 bits; then rounding the float64 sum to float32 could round twice, which matters only
// if the float64 sum lies exactly halfway between two float32 values. In that case the
// sum is moved by one float64 ulp towards the exact value (known from the rounding error
// of the sum), after which the single rounding to float32 is correct.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	bits := math.Float64bits(s)
	if bits&(1<<29-1) != 1<<28 || math.IsInf(s, 0) || math.IsNaN(s) {
		return float32(s) // not halfway between two float32 values
	}
	// The rounding error of s (TwoSum): exact = s + e.
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb)
	switch {
	case e == 0:
		return float32(s)
	case (e > 0) == (s > 0):
		bits++ // away from zero
	default:
		bits--
	}
	return float32(math.Float64frombits(bits))
}

// checkPanel panics unless a kernel on a panel of width p of the sketch rows y (rows×w)
// and of a D×w matrix (both from the panel's first column) stays inside them.
func checkPanel(ny, nm int, a *csc, w, p int) {
	d := len(a.ptr) - 1
	if w < p || ny < (a.rows-1)*w+p || nm < (d-1)*w+p || a.rows > sparseRows {
		panic("linalg: sparse kernel: panel outside the sketch rows or the matrix")
	}
}
