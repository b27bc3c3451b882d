package dataset

import "fmt"

// Shape is the shape of a 4D-STEM dataset.
type Shape struct {
	Nav []int // scan shape: (sy, sx), or (n) for a stack of frames
	Sig []int // detector shape: (dy, dx)
}

// N returns the number of frames.
func (s Shape) N() int { return prod(s.Nav) }

// D returns the number of pixels per frame.
func (s Shape) D() int { return prod(s.Sig) }

func (s Shape) String() string { return fmt.Sprintf("nav %v sig %v", s.Nav, s.Sig) }

func prod(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}

// Info describes where the frames come from, for `stemreduce info` and provenance.
type Info struct {
	Path           string // input spec as given, e.g. "scan.h5:/experiment/data"
	Format         string // "hdf5", "npy", "synth"
	Dtype          string // element type on disk: uint8, uint16, uint32, int16, int32, float32, float64
	ByteOrder      string // "little", "big" or "native" (generated in memory)
	Dims           []int  // dimensions on disk, including singleton axes
	Chunks         []int  // chunk dimensions on disk; nil when contiguous
	Compression    string // e.g. "gzip level 4"; "" when none
	FramesPerChunk int    // frames a chunk spans along the scan; 1 when contiguous
}

// Dataset is a source of frames.
type Dataset interface {
	// Shape returns the nav and sig shape.
	Shape() Shape
	// Info describes the source.
	Info() Info
	// ReadFloat32 reads frames [beg, end) into dst, frame after frame, row-major.
	// len(dst) must be (end-beg)*D; ReadFloat32 panics otherwise.
	ReadFloat32(dst []float32, beg, end int) error
	// ReadFloat64 is ReadFloat32 for float64.
	ReadFloat64(dst []float64, beg, end int) error
	// Close releases the source. It may be called more than once.
	Close() error
}
