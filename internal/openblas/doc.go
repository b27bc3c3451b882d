//go:build !openblas

// Package openblas, imported for its side effect under the openblas build tag, sends
// gonum's BLAS calls to OpenBLAS; without the tag it is empty (gonum's pure-Go BLAS).
package openblas
