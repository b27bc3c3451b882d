//go:build !amd64 || purego

package cpufeat

// AVX2FMA and AVX512 are false: no assembly kernels on this architecture or with
// -tags purego.
const (
	AVX2FMA = false
	AVX512  = false
)
