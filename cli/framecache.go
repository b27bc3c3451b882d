package cli

import (
	"sort"
	"sync/atomic"

	"github.com/stemreduce/stemreduce/spmd"
)

// frameCache is the input as a job's stages read it. It counts the frames read from the
// input, and while recording it keeps the frames of slots (the input frames a later stage
// of this rank will read) as they go by, so that stage reads them from memory. The
// pass of the UDFs and the PCA split the frames over the ranks by different blocks, so
// their ranges differ by at most a block or two at the ends: those frames are read again.
//
// ReadFloat32 may be called from several goroutines for disjoint frames.
type frameCache struct {
	src    spmd.Source
	d      int   // values per frame
	slots  []int // input frame of every slot, increasing
	buf    []float32
	have   []bool // slot is held
	record bool   // keep the frames read
	read   atomic.Int64
}

// newFrameCache returns a cache of src (frames of d values) for the input frames slots
// (increasing), recording.
func newFrameCache(src spmd.Source, d int, slots []int) *frameCache {
	return &frameCache{src: src, d: d, slots: slots, buf: make([]float32, len(slots)*d), have: make([]bool, len(slots)), record: true}
}

// slot returns the slot of input frame f, or −1.
func (c *frameCache) slot(f int) int {
	i := sort.SearchInts(c.slots, f)
	if i < len(c.slots) && c.slots[i] == f {
		return i
	}
	return -1
}

// ReadFloat32 reads frames [beg, end): from memory where held, else from the input
// (keeping them when recording).
func (c *frameCache) ReadFloat32(dst []float32, beg, end int) error {
	d := c.d
	for f := beg; f < end; {
		if s := c.slot(f); s >= 0 && c.have[s] && !c.record {
			copy(dst[(f-beg)*d:(f-beg+1)*d], c.buf[s*d:(s+1)*d])
			f++
			continue
		}
		g := f + 1 // a run of frames to read from the input
		for g < end && (c.record || !c.held(g)) {
			g++
		}
		if err := c.src.ReadFloat32(dst[(f-beg)*d:(g-beg)*d], f, g); err != nil {
			return err
		}
		c.read.Add(int64(g - f))
		if c.record {
			for h := f; h < g; h++ {
				if s := c.slot(h); s >= 0 {
					copy(c.buf[s*d:(s+1)*d], dst[(h-beg)*d:(h-beg+1)*d])
					c.have[s] = true
				}
			}
		}
		f = g
	}
	return nil
}

func (c *frameCache) held(f int) bool {
	s := c.slot(f)
	return s >= 0 && c.have[s]
}

// serve stops recording: from now on held frames come from memory.
func (c *frameCache) serve() { c.record = false }

// drop releases the held frames; every read goes to the input again.
func (c *frameCache) drop() {
	c.buf, c.have, c.slots, c.record = nil, nil, nil, false
}

// frames returns the frames read from the input so far.
func (c *frameCache) frames() int64 { return c.read.Load() }
