package cli

import (
	"slices"
	"testing"

	"github.com/stemreduce/stemreduce/spmd/spmdtest"
)

func TestFrameCache(t *testing.T) {
	const n, d = 20, 3
	data := make([]float32, n*d)
	for i := range data {
		data[i] = float32(i)
	}
	src := spmdtest.MemSource{Data: data, D: d}
	c := newFrameCache(src, d, []int{4, 5, 6, 9, 10, 11, 12})
	read := func(beg, end int) {
		t.Helper()
		dst := make([]float32, (end-beg)*d)
		if err := c.ReadFloat32(dst, beg, end); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(dst, data[beg*d:end*d]) {
			t.Fatalf("frames [%d, %d): %v", beg, end, dst)
		}
	}
	// Recording: everything from the input, the slots kept (9 and 10 are not read).
	read(2, 9)
	read(11, 14)
	if got := c.frames(); got != 10 {
		t.Fatalf("%d frames read while recording, want 10", got)
	}
	c.serve()
	// Serving: held slots from memory; 7, 8, 13 (no slot) and 9, 10 (not held) from the
	// input.
	read(4, 14)
	if got := c.frames(); got != 15 {
		t.Fatalf("%d frames read in all, want 15", got)
	}
	c.drop()
	read(4, 7)
	if got := c.frames(); got != 18 {
		t.Fatalf("%d frames read after drop, want 18", got)
	}
}
