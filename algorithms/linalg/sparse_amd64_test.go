//go:build amd64 && !purego

package linalg

import "testing"

// kernelSets runs fn with every set of kernels this CPU has: AVX-512, AVX2, none (the
// twins).
func kernelSets(t *testing.T, fn func(t *testing.T)) {
	defer func(a, b bool) { useAVX512, useAVX2 = a, b }(useAVX512, useAVX2)
	avx512, avx2 := useAVX512, useAVX2
	for _, set := range []struct {
		name         string
		avx512, avx2 bool
	}{{"avx512", true, true}, {"avx2", false, true}, {"go", false, false}} {
		if set.avx512 && !avx512 || set.avx2 && !avx2 {
			continue
		}
		useAVX512, useAVX2 = set.avx512, set.avx2
		t.Run(set.name, fn)
	}
}
