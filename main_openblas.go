//go:build openblas

package main

// With the openblas tag (set by make), gonum's BLAS calls go to OpenBLAS.
import _ "github.com/stemreduce/stemreduce/internal/openblas"
