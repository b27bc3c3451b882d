//go:build !amd64 || purego

package ica

// Must be kept in sync with tanh_amd64.go.

// tanhVector computes none of tanhSlice: every value goes through tanhScalar.
func tanhVector(y []float64, a float64) int { return 0 }

// expVector computes none of expNegHalfSqSlice: every value goes through
// expNegHalfSqScalar.
func expVector(e, y []float64) int { return 0 }
