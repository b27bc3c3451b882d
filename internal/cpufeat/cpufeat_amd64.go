//go:build amd64 && !purego

package cpufeat

// AVX2FMA tells whether the CPU and the operating system support AVX2 and FMA.
var AVX2FMA = hasAVX2FMA()

// AVX512 tells whether they also support AVX-512 Foundation (512-bit registers).
var AVX512 = AVX2FMA && hasAVX512()

// hasAVX2FMA reports the CPUID bits of AVX, AVX2, FMA and OSXSAVE and the YMM state
// enabled in XCR0.
func hasAVX2FMA() bool

// hasAVX512 reports the CPUID bit of AVX512F and the opmask and ZMM state enabled in XCR0.
func hasAVX512() bool
