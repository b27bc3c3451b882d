//go:build openblas

package main

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// With the openblas tag (set by make), gonum's BLAS calls go to OpenBLAS through
// gonum.org/v1/netlib. scripts/cgoenv links -lopenblas and the scripts run one OpenBLAS
// thread per rank (OPENBLAS_NUM_THREADS=1): ranks and block goroutines are the parallelism.
func init() {
	blas64.Use(netlib.Implementation{})
	blas32.Use(netlib.Implementation{})
}
