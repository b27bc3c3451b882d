//go:build !amd64 || purego

package linalg

// Must be kept in sync with sparse_amd64.go.

func pack(x []float32, idx []int32) int { return packGeneric(x, idx) }

func gather32(y, om []float32, a *csc, w int) { gather32Generic(y, om, a, w) }

func scatter32(y, pt []float32, a *csc, w int) { scatter32Generic(y, pt, a, w) }

func gather64(y, om []float64, a *csc, w int) {
	for p := 0; p < w; p += panel64 {
		gather64Generic(y[p:], om[p:], a, w)
	}
}

func scatter64(y, pt []float64, a *csc, w int) {
	for p := 0; p < w; p += panel64 {
		scatter64Generic(y[p:], pt[p:], a, w)
	}
}
