//go:build amd64 && !purego

package ica

// Must be kept in sync with kernel_generic.go.

// wzAVX2 and gzAVX2 are wzGeneric and gzGeneric four lanes at a time; kp must be a
// multiple of 4.
//
//go:noescape
func wzAVX2(y, z, wt []float64, rows, k, kp int)

//go:noescape
func gzAVX2(gt, z, y []float64, rows, k, kp int)

// wz stores Y = Z·Wᵀ (see wzGeneric).
func wz(y, z, wt []float64, rows, k, kp int) {
	if rows == 0 {
		return
	}
	_, _, _ = y[rows*kp-1], z[rows*k-1], wt[k*kp-1] // bounds, before the assembly
	if hasAVX2FMA {
		wzAVX2(y, z, wt, rows, k, kp)
		return
	}
	wzGeneric(y, z, wt, rows, k, kp)
}

// gz adds Yᵀ·Z to Gᵀ (see gzGeneric).
func gz(gt, z, y []float64, rows, k, kp int) {
	if rows == 0 {
		return
	}
	_, _, _ = gt[k*kp-1], z[rows*k-1], y[rows*kp-1]
	if hasAVX2FMA {
		gzAVX2(gt, z, y, rows, k, kp)
		return
	}
	gzGeneric(gt, z, y, rows, k, kp)
}
