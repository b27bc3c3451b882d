//go:build !amd64 || purego

package ica

// Must be kept in sync with kernel_amd64.go.

// wz stores Y = Z·Wᵀ (see wzGeneric).
func wz(y, z, wt []float64, rows, k, kp int) { wzGeneric(y, z, wt, rows, k, kp) }

// gz adds Yᵀ·Z to Gᵀ (see gzGeneric).
func gz(gt, z, y []float64, rows, k, kp int) { gzGeneric(gt, z, y, rows, k, kp) }
