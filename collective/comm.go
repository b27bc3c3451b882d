package collective

import "fmt"

// Op is a reduction operator for Allreduce.
type Op int

// The reduction operators.
const (
	Sum Op = iota
	Max
	Min
)

func (o Op) String() string {
	switch o {
	case Sum:
		return "sum"
	case Max:
		return "max"
	case Min:
		return "min"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Comm is a communicator over a fixed group of ranks.
//
// Every method except Rank, Size and Counters is collective or point-to-point as stated.
// Buffers may have length zero. Unless stated otherwise a method does not allocate and
// does not retain its buffers after it returns.
type Comm interface {
	// Rank returns the rank of the caller, in [0, Size()).
	Rank() int
	// Size returns the number of ranks.
	Size() int

	// Barrier returns once every rank has entered it.
	// Collective.
	Barrier() error

	// Bcast copies buf on root into buf on every other rank.
	// Collective: every rank must call it with equal len(buf) and root.
	Bcast(buf []byte, root int) error

	// AllreduceFloat64 combines buf element-wise across all ranks with op and leaves the
	// result in buf on every rank. The order of a Sum is implementation defined, so sums
	// over frames go through the block tree instead.
	// Collective: every rank must call it with equal len(buf) and op.
	AllreduceFloat64(buf []float64, op Op) error
	// AllreduceFloat32 is AllreduceFloat64 for float32.
	AllreduceFloat32(buf []float32, op Op) error
	// AllreduceInt64 is AllreduceFloat64 for int64; its Sum is exact.
	AllreduceInt64(buf []int64, op Op) error

	// Allgatherv concatenates the src of every rank, in rank order, into dst on every rank.
	// counts[r] is the length of rank r's src; len(counts) must be Size(), the counts must
	// be equal on every rank, and len(dst) must be their sum. dst and src must not overlap.
	// Collective.
	Allgatherv(dst, src []byte, counts []int) error

	// Send sends buf to rank dst with tag. It may return before the message is received.
	// Tags must be in [0, MaxTag].
	Send(buf []byte, dst, tag int) error
	// Recv receives the message with tag from rank src into buf. The message length must
	// equal len(buf). Messages between a pair of ranks with the same tag arrive in order.
	Recv(buf []byte, src, tag int) error

	// Counters returns what this rank has moved so far.
	Counters() Counters
}

// MaxTag is the largest tag Send and Recv accept: the smallest upper bound MPI guarantees.
const MaxTag = 32767

// Counters counts the traffic of one rank.
type Counters struct {
	Messages   int64 // point-to-point messages sent, plus one per collective call
	BytesSent  int64 // bytes this rank contributed: sent messages, its part of collectives
	Collective int64 // collective calls made
}

// Add returns the element-wise sum of c and d.
func (c Counters) Add(d Counters) Counters {
	return Counters{c.Messages + d.Messages, c.BytesSent + d.BytesSent, c.Collective + d.Collective}
}

// Sub returns the element-wise difference c - d.
func (c Counters) Sub(d Counters) Counters {
	return Counters{c.Messages - d.Messages, c.BytesSent - d.BytesSent, c.Collective - d.Collective}
}
