//go:build !amd64 || purego

package linalg

// Must be kept in sync with sparse_amd64.go.

func pack(x []float32, idx []int32) int { return packGeneric(x, idx) }

// The kernels on every panel of a row of w columns (see the twins in sparse_kernel.go).

func gather32(y, om []float32, a *csc, w int)  { eachPanel(y, om, a, w, panel32, gather32Generic) }
func scatter32(y, pt []float32, a *csc, w int) { eachPanel(y, pt, a, w, panel32, scatter32Generic) }
func gather64(y, om []float64, a *csc, w int)  { eachPanel(y, om, a, w, panel64, gather64Generic) }
func scatter64(y, pt []float64, a *csc, w int) { eachPanel(y, pt, a, w, panel64, scatter64Generic) }
