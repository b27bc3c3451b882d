// Package cpufeat reports the instruction sets the assembly kernels of stemreduce need.
//
// The kernels (algorithms/ica, algorithms/linalg) use AVX2 and FMA when AVX2FMA is true,
// some of them AVX-512 when AVX512 is true, and their pure-Go twins otherwise. The twins
// do the same IEEE operations in the same order, so the results never depend on the CPU.
// Building with -tags purego makes both false.
package cpufeat
