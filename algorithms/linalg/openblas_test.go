//go:build openblas

package linalg_test

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// With -tags openblas (and the flags of scripts/cgoenv) the tests and benchmarks run on
// OpenBLAS, as the stemreduce binary does.
func init() {
	blas64.Use(netlib.Implementation{})
	blas32.Use(netlib.Implementation{})
}
