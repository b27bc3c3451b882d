//go:build openblas

package linalg_test

// With -tags openblas (and the flags of scripts/cgoenv) the tests and benchmarks run on
// OpenBLAS, as the stemreduce binary does.
import _ "github.com/stemreduce/stemreduce/internal/openblas"
