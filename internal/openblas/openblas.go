//go:build openblas

// Package openblas, imported for its side effect under the openblas build tag, sends
// gonum's BLAS calls (blas64, blas32) to OpenBLAS through gonum.org/v1/netlib.
// scripts/cgoenv links -lopenblas; the scripts run one OpenBLAS thread per rank
// (OPENBLAS_NUM_THREADS=1): ranks and block goroutines are the parallelism. Without the
// tag the package is empty and gonum's pure-Go BLAS runs.
package openblas

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	blas64.Use(netlib.Implementation{})
	blas32.Use(netlib.Implementation{})
}
