package preprocess

import (
	"fmt"
	"sync"

	"github.com/stemreduce/stemreduce/spmd"
)

// Cache keeps the frames of one rank's partition in memory once they have been read, so
// that later passes take them from RAM instead of reading and preprocessing the input
// again. It implements spmd.Source and spmd.FrameViewer: a pass (spmd.Stream) works on
// the cached frames in place, without copying them.
//
// The first pass fills it: reads that continue where the filled part ends are passed to
// the source below (straight into the cache's memory by ViewFloat32, or copied in by
// ReadFloat32); reads inside the filled part are served from memory; any other read (out
// of order, or outside the partition) goes to the source below and is not kept. A pass
// reads its partition in order, so after one complete pass the cache holds it all.
type Cache struct {
	src  spmd.Source
	beg  int // first frame of the partition
	n    int // frames of the partition
	d    int
	mu   sync.Mutex // guards data and filled
	data []float32
	fill int // frames [beg, beg+fill) are cached
	hits int64
}

// NewCache returns a cache of the frames [plan.Beg, plan.End) of src, d values each. It
// allocates nothing until the first read; the cache then takes Bytes() of memory.
func NewCache(src spmd.Source, plan spmd.Plan, d int) *Cache {
	return &Cache{src: src, beg: plan.Beg, n: plan.NLocal(), d: d}
}

// Bytes returns the memory the cache takes when full: 4 bytes per value.
func (c *Cache) Bytes() int64 { return int64(c.n) * int64(c.d) * 4 }

// Complete reports whether every frame of the partition is cached.
func (c *Cache) Complete() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fill == c.n
}

// Hits returns the number of frames served from memory so far.
func (c *Cache) Hits() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// ReadFloat32 reads frames [beg, end) into dst, from memory when they are cached. It
// returns the errors of the source below. It panics if len(dst) is not (end−beg)·d.
func (c *Cache) ReadFloat32(dst []float32, beg, end int) error {
	if len(dst) != (end-beg)*c.d {
		panic(fmt.Sprintf("preprocess: cache read of frames [%d, %d) into %d values, want %d", beg, end, len(dst), (end-beg)*c.d))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	lo, hi := beg-c.beg, end-c.beg // in partition frames
	switch {
	case lo >= 0 && hi <= c.fill:
		copy(dst, c.data[lo*c.d:hi*c.d])
		c.hits += int64(hi - lo)
		return nil
	case lo == c.fill && hi <= c.n:
		if err := c.src.ReadFloat32(dst, beg, end); err != nil {
			return err
		}
		if c.data == nil {
			c.data = make([]float32, c.n*c.d)
		}
		copy(c.data[lo*c.d:hi*c.d], dst)
		c.fill = hi
		return nil
	}
	return c.src.ReadFloat32(dst, beg, end)
}

// ViewFloat32 implements spmd.FrameViewer: it returns frames [beg, end) in the cache's
// memory, first reading them from the source below into it when they continue the filled
// part. ok is false for any other range (out of order, or outside the partition). The
// frames must not be modified through the slice; they change only by Apply.
func (c *Cache) ViewFloat32(beg, end int) (data []float32, ok bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lo, hi := beg-c.beg, end-c.beg // in partition frames
	switch {
	case lo < 0 || lo > hi || hi > c.n:
		return nil, false, nil
	case hi <= c.fill:
		c.hits += int64(hi - lo)
		return c.data[lo*c.d : hi*c.d : hi*c.d], true, nil
	case lo == c.fill:
		if c.data == nil {
			c.data = make([]float32, c.n*c.d)
		}
		if err := c.src.ReadFloat32(c.data[lo*c.d:hi*c.d], beg, end); err != nil {
			return nil, false, err
		}
		c.fill = hi
		return c.data[lo*c.d : hi*c.d : hi*c.d], true, nil
	}
	return nil, false, nil
}

// Apply calls fn on the cached frames in place, in pieces: fn(data, beg, end) with data
// the frames [beg, end), d values each. Pieces of whole frames run on up to workers
// goroutines (zero means GOMAXPROCS); fn must treat every frame on its own. It panics
// unless the cache is complete.
func (c *Cache) Apply(workers int, fn func(data []float32, beg, end int)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fill != c.n {
		panic("preprocess: Apply on an incomplete cache")
	}
	const piece = 64 // frames
	pieces := (c.n + piece - 1) / piece
	spmd.Parallel(workers, pieces, func(i int) error {
		lo, hi := i*piece, min((i+1)*piece, c.n)
		fn(c.data[lo*c.d:hi*c.d], c.beg+lo, c.beg+hi)
		return nil
	})
}
