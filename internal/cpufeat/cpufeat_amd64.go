//go:build amd64 && !purego

package cpufeat

// AVX2FMA tells whether the CPU and the operating system support AVX2 and FMA.
var AVX2FMA = hasAVX2FMA()

// hasAVX2FMA reports the CPUID bits of AVX, AVX2, FMA and OSXSAVE and the YMM state
// enabled in XCR0.
func hasAVX2FMA() bool
