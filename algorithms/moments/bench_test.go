package moments_test

import (
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/moments"
)

var sink *moments.Partial

func benchBlock(b *testing.B, n, d int) {
	data := randomFrames(n, d, 1)
	b.SetBytes(int64(4 * n * d))
	b.ReportAllocs()
	for b.Loop() {
		sink = moments.Block(data, n, d)
	}
}

func BenchmarkBlock16x16384(b *testing.B) { benchBlock(b, 16, 16384) }
func BenchmarkBlock4x4096(b *testing.B)   { benchBlock(b, 4, 4096) }
