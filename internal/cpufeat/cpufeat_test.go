package cpufeat_test

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/internal/cpufeat"
)

// TestAgainstProcCPUInfo compares the flags with what Linux reports for the first CPU.
func TestAgainstProcCPUInfo(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil || runtime.GOARCH != "amd64" {
		t.Skip("no /proc/cpuinfo of an amd64 CPU")
	}
	var flags map[string]bool
	for line := range strings.Lines(string(info)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = map[string]bool{}
			for _, f := range strings.Fields(value) {
				flags[f] = true
			}
			break
		}
	}
	if flags == nil {
		t.Skip("no flags line in /proc/cpuinfo")
	}
	wantAVX2 := flags["avx2"] && flags["fma"]
	wantAVX512 := wantAVX2 && flags["avx512f"]
	if cpufeat.AVX2FMA && !wantAVX2 || cpufeat.AVX512 && !wantAVX512 {
		t.Errorf("AVX2FMA %v, AVX512 %v on a CPU with flags avx2 %v fma %v avx512f %v",
			cpufeat.AVX2FMA, cpufeat.AVX512, flags["avx2"], flags["fma"], flags["avx512f"])
	}
	purego := !cpufeat.AVX2FMA && wantAVX2
	if !purego && (cpufeat.AVX2FMA != wantAVX2 || cpufeat.AVX512 != wantAVX512) {
		t.Errorf("AVX2FMA %v, AVX512 %v; /proc/cpuinfo says %v, %v", cpufeat.AVX2FMA, cpufeat.AVX512, wantAVX2, wantAVX512)
	}
}
