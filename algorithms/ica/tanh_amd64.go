//go:build amd64 && !purego

package ica

import "github.com/stemreduce/stemreduce/internal/cpufeat"

// Must be kept in sync with tanh_generic.go.

// hasAVX2FMA tells whether the CPU and the operating system support AVX2 and FMA.
var hasAVX2FMA = cpufeat.AVX2FMA

// tanhAVX2 replaces y_i by tanh(a·y_i) for i < len(y) &^ 3, four at a time, with the bits
// of tanhScalar.
//
//go:noescape
func tanhAVX2(y []float64, a float64)

// tanhVector computes the leading values of tanhSlice with vector instructions and
// returns how many it did.
func tanhVector(y []float64, a float64) int {
	if !hasAVX2FMA {
		return 0
	}
	n := len(y) &^ 3
	if n > 0 {
		tanhAVX2(y[:n], a)
	}
	return n
}

// expAVX2 stores exp(−y_i²/2) in e_i for i < len(e) &^ 3, four at a time, with the bits
// of expNegHalfSqScalar; len(y) ≥ len(e).
//
//go:noescape
func expAVX2(e, y []float64)

// expVector computes the leading values of expNegHalfSqSlice with vector instructions
// and returns how many it did.
func expVector(e, y []float64) int {
	if !hasAVX2FMA {
		return 0
	}
	n := len(e) &^ 3
	if n > 0 {
		_ = y[n-1] // bounds, before the assembly
		expAVX2(e[:n], y[:n])
	}
	return n
}
