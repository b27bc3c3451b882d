// Package cpufeat reports the instruction sets the assembly kernels of stemreduce need.
//
// The kernels (algorithms/ica, algorithms/linalg) use AVX2 and FMA when AVX2FMA is true
// and their pure-Go twins otherwise; the twins do the same IEEE operations, so the
// results never depend on the CPU. Building with -tags purego makes AVX2FMA false.
package cpufeat
