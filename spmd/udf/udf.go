package udf

import (
	"fmt"
	"math"
	"slices"

	"github.com/stemreduce/stemreduce/collective"
)

// Kind says how a result buffer is laid out and combined.
type Kind int

// The buffer kinds.
const (
	Nav    Kind = iota + 1 // one entry per frame; kept per rank, gathered at the end
	Sig                    // one entry per detector pixel; merged along the block tree
	Single                 // one entry; merged along the block tree
)

func (k Kind) String() string {
	switch k {
	case Nav:
		return "nav"
	case Sig:
		return "sig"
	case Single:
		return "single"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Dtype is the element type of a buffer.
type Dtype int

// The supported element types.
const (
	Float64 Dtype = iota + 1
	Float32
	Int64
)

func (d Dtype) String() string {
	switch d {
	case Float64:
		return "float64"
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	}
	return fmt.Sprintf("Dtype(%d)", int(d))
}

func (d Dtype) size() int {
	if d == Float32 {
		return 4
	}
	return 8
}

// Spec declares one result buffer of a UDF.
type Spec struct {
	Name  string // unique within the UDF; the output dataset name
	Kind  Kind
	Extra []int // shape of one entry: nil or empty for a scalar per entry
	Dtype Dtype
}

// entry returns the number of elements of one entry (one frame, one pixel, or the single).
func (s Spec) entry() int {
	n := 1
	for _, v := range s.Extra {
		n *= v
	}
	return n
}

// check reports what is wrong with a declaration.
func (s Spec) check() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("buffer with no name")
	case s.Kind != Nav && s.Kind != Sig && s.Kind != Single:
		return fmt.Errorf("buffer %q: unknown kind %v (want Nav, Sig or Single)", s.Name, s.Kind)
	case s.Dtype != Float64 && s.Dtype != Float32 && s.Dtype != Int64:
		return fmt.Errorf("buffer %q: unsupported dtype %v (want Float64, Float32 or Int64)", s.Name, s.Dtype)
	}
	for _, v := range s.Extra {
		if v < 0 {
			return fmt.Errorf("buffer %q: negative extra shape %v", s.Name, s.Extra)
		}
	}
	return nil
}

// Buffer is the storage of one result buffer. Exactly one of F64, F32 and I64 is used,
// by Dtype.
type Buffer struct {
	Spec
	F64 []float64
	F32 []float32
	I64 []int64
}

func newBuffer(s Spec, n int) *Buffer {
	b := &Buffer{Spec: s}
	switch s.Dtype {
	case Float64:
		b.F64 = make([]float64, n)
	case Float32:
		b.F32 = make([]float32, n)
	case Int64:
		b.I64 = make([]int64, n)
	}
	return b
}

// Len returns the number of elements.
func (b *Buffer) Len() int { return len(b.F64) + len(b.F32) + len(b.I64) }

// fillMissing sets every element to the value that marks "no frame": NaN for floats, 0
// for integers.
func (b *Buffer) fillMissing() {
	for i := range b.F64 {
		b.F64[i] = math.NaN()
	}
	for i := range b.F32 {
		b.F32[i] = float32(math.NaN())
	}
	clear(b.I64)
}

// bytes returns the memory of the buffer.
func (b *Buffer) bytes() []byte {
	switch b.Dtype {
	case Float64:
		return collective.AsBytes(b.F64)
	case Float32:
		return collective.AsBytes(b.F32)
	}
	return collective.AsBytes(b.I64)
}

// Results holds the buffers of one UDF. During a Process call the nav buffers are views of
// the frames being processed; sig and single buffers are the partial of the current block.
type Results struct {
	bufs []*Buffer
}

func newResults(specs []Spec, size func(Spec) int) *Results {
	r := &Results{}
	for _, s := range specs {
		r.bufs = append(r.bufs, newBuffer(s, size(s)))
	}
	return r
}

// Buffer returns the buffer called name. It panics if there is none.
func (r *Results) Buffer(name string) *Buffer {
	for _, b := range r.bufs {
		if b.Name == name {
			return b
		}
	}
	panic(fmt.Sprintf("udf: no buffer %q", name))
}

// Buffers returns the buffers in declaration order.
func (r *Results) Buffers() []*Buffer { return r.bufs }

// Float64 returns the elements of float64 buffer name. It panics if the buffer does not
// exist or has another dtype.
func (r *Results) Float64(name string) []float64 {
	b := r.Buffer(name)
	if b.Dtype != Float64 {
		panic(fmt.Sprintf("udf: buffer %q is %v, not float64", name, b.Dtype))
	}
	return b.F64
}

// Float32 is Float64 for float32 buffers.
func (r *Results) Float32(name string) []float32 {
	b := r.Buffer(name)
	if b.Dtype != Float32 {
		panic(fmt.Sprintf("udf: buffer %q is %v, not float32", name, b.Dtype))
	}
	return b.F32
}

// Int64 is Float64 for int64 buffers.
func (r *Results) Int64(name string) []int64 {
	b := r.Buffer(name)
	if b.Dtype != Int64 {
		panic(fmt.Sprintf("udf: buffer %q is %v, not int64", name, b.Dtype))
	}
	return b.I64
}

// Frame is one frame handed to ProcessFrame.
type Frame struct {
	Index int       // global frame index, row-major over the scan
	Y, X  int       // scan coordinates; for a stack of frames Y is 0 and X the index
	Data  []float32 // the D pixels, row-major; nil in a pass without data
}

// Tile is a stack of frames handed to ProcessTile or ProcessPartition. With an ROI it holds
// only the selected frames, in order.
type Tile struct {
	Index []int     // global frame index of each frame
	D     int       // pixels per frame (0 in a pass without data)
	Data  []float32 // len(Index) frames of D pixels, row-major; nil without data
	navX  int       // scan width, for Coords
}

// Len returns the number of frames.
func (t *Tile) Len() int { return len(t.Index) }

// Frame returns the pixels of frame i of the tile.
func (t *Tile) Frame(i int) []float32 {
	if t.Data == nil {
		return nil
	}
	return t.Data[i*t.D : (i+1)*t.D]
}

// Coords returns the scan coordinates of frame i of the tile.
func (t *Tile) Coords(i int) (y, x int) { return t.Index[i] / t.navX, t.Index[i] % t.navX }

// UDF is a user-defined function: it declares its buffers and merges partial results.
// A UDF must also implement exactly one of FrameProcessor, TileProcessor and
// PartitionProcessor. The engine calls its methods from several goroutines at once, each
// with its own Results, so a UDF must not change its own fields while a pass runs.
type UDF interface {
	// Name names the UDF; it is the output group, e.g. "virtual".
	Name() string
	// Buffers declares the result buffers.
	Buffers() []Spec
	// Merge combines src into dst, for sig and single buffers (nav buffers are not
	// passed). dst holds the lower frame indices. Merge must be associative; the engine
	// fixes the order (the canonical block tree), so the bits do not depend on the ranks.
	Merge(dst, src *Results)
}

// FrameProcessor processes one frame at a time.
type FrameProcessor interface {
	ProcessFrame(f *Frame, r *Results) error
}

// TileProcessor processes a stack of frames (one block) at a time.
type TileProcessor interface {
	ProcessTile(t *Tile, r *Results) error
}

// PartitionProcessor processes every frame of a rank at once. The whole partition is held
// in memory. Its sig and single results are one partial per rank: they are bitwise
// reproducible for a fixed number of ranks, and for any number only when Merge is exact
// (integer sums, minima, maxima).
type PartitionProcessor interface {
	ProcessPartition(t *Tile, r *Results) error
}

// Initializer sets the starting values of a fresh partial's sig and single buffers (for
// example +Inf for a minimum). Without it they start at zero.
type Initializer interface {
	Init(r *Results)
}

// Finalizer runs once on every rank after the merge, on the merged sig and single buffers
// and the rank's nav buffers, for example to turn sums into a variance.
type Finalizer interface {
	Finalize(r *Results) error
}

// validate checks the declarations of u.
func validate(u UDF) error {
	n := 0
	for _, ok := range []bool{isFrame(u), isTile(u), isPartition(u)} {
		if ok {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("udf %q: implements %d of ProcessFrame, ProcessTile and ProcessPartition, want exactly one", u.Name(), n)
	}
	var names []string
	for _, s := range u.Buffers() {
		if err := s.check(); err != nil {
			return fmt.Errorf("udf %q: %w", u.Name(), err)
		}
		if slices.Contains(names, s.Name) {
			return fmt.Errorf("udf %q: buffer %q declared twice", u.Name(), s.Name)
		}
		names = append(names, s.Name)
	}
	return nil
}

func isFrame(u UDF) bool     { _, ok := u.(FrameProcessor); return ok }
func isTile(u UDF) bool      { _, ok := u.(TileProcessor); return ok }
func isPartition(u UDF) bool { _, ok := u.(PartitionProcessor); return ok }
