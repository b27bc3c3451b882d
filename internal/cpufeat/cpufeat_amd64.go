//go:build amd64 && !purego

package cpufeat

// AVX2FMA tells whether the CPU and the operating system support AVX2 and FMA.
// AVX512 tells whether they also support AVX-512 Foundation (512-bit registers).
var AVX2FMA, AVX512 = detect()

// cpuid returns the registers CPUID leaves for leaf and sub-leaf sub.
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// xgetbv returns the low half of XCR0, the register states the operating system saves.
func xgetbv() uint32

// detect reads the CPUID bits of FMA, AVX, OSXSAVE, AVX2 and AVX512F and the register
// states enabled in XCR0: XMM and YMM for AVX2, also the opmask and ZMM states for
// AVX-512.
func detect() (avx2fma, avx512 bool) {
	const (
		fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28 // CPUID 1, ECX
		avx2, avx512f     = 1 << 5, 1 << 16           // CPUID 7, EBX
		ymmState          = 0x6                       // XCR0: XMM, YMM
		zmmState          = 0xe0                      // XCR0: opmask, ZMM_Hi256, Hi16_ZMM
	)
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < 7 {
		return false, false
	}
	_, _, c1, _ := cpuid(1, 0)
	if c1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false, false
	}
	xcr0 := xgetbv()
	_, b7, _, _ := cpuid(7, 0)
	avx2fma = xcr0&ymmState == ymmState && b7&avx2 != 0
	avx512 = avx2fma && xcr0&zmmState == zmmState && b7&avx512f != 0
	return avx2fma, avx512
}
