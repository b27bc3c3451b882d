//go:build mpi

package mpi

import (
	"fmt"
	"unsafe"

	"github.com/stemreduce/stemreduce/collective"
)

// scratchBytes bounds the scratch buffer of Allreduce; longer buffers are reduced in
// pieces of this size.
const scratchBytes = 8 << 20

// comm implements collective.Comm on a communicator of a World.
type comm struct {
	w          *World
	lib        lib
	h          handle
	rank, size int
	maxCount   int // largest count passed to one MPI call; maxCount in production

	scratch        []uint64 // Allreduce source copy; uint64 words align every element type
	counts, displs []cint   // Allgatherv arguments, one per rank
	counters       collective.Counters
}

var _ collective.Comm = (*comm)(nil)

// newComm returns the world communicator of w, splitting every operation into MPI calls
// of at most maxCount elements.
func newComm(w *World, h handle, maxCount int) *comm {
	if maxCount < 1 {
		panic("mpi: maxCount must be positive")
	}
	rank, size, err := w.lib.rankSize(h)
	if err != nil {
		panic(fmt.Sprintf("mpi: could not read the rank and size of MPI_COMM_WORLD: %v", err))
	}
	c := &comm{w: w, lib: w.lib, h: h, rank: rank, size: size, maxCount: maxCount}
	c.counts = make([]cint, c.size)
	c.displs = make([]cint, c.size)
	return c
}

func (c *comm) Rank() int                     { return c.rank }
func (c *comm) Size() int                     { return c.size }
func (c *comm) Counters() collective.Counters { return c.counters }

// checkThread panics unless MPI is running and the caller is on the thread that called
// Start. Under MPI_THREAD_FUNNELED another thread must not call MPI at all;
// MPI_Is_thread_main is the exception, safe from any thread.
func (c *comm) checkThread(op string) {
	if c.w.stopped {
		panic(fmt.Sprintf("mpi: %s after Stop", op))
	}
	if !isThreadMain() {
		panic(fmt.Sprintf("mpi: %s called from a thread other than the one that called Start; make every MPI call from the goroutine that called Start", op))
	}
}

// enter starts every operation: it checks the thread and completes what it can of the
// sends in flight, so their copies do not pile up.
func (c *comm) enter(op string) error {
	c.checkThread(op)
	if err := c.w.sends.reap(); err != nil {
		return fmt.Errorf("mpi: could not complete earlier sends: %w", err)
	}
	return nil
}

// collective counts one collective call in which this rank contributes n bytes.
func (c *comm) collective(n int) {
	c.counters.Collective++
	c.counters.Messages++
	c.counters.BytesSent += int64(n)
}

// pieces calls fn on consecutive ranges [lo, hi) of [0, n) of at most step elements; it
// makes no call for n == 0.
func pieces(n, step int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += step {
		if err := fn(lo, min(lo+step, n)); err != nil {
			return err
		}
	}
	return nil
}

// Barrier is MPI_Barrier.
func (c *comm) Barrier() error {
	if err := c.enter("Barrier"); err != nil {
		return err
	}
	if err := c.lib.barrier(c.h); err != nil {
		return fmt.Errorf("mpi: could not wait at a barrier: %w", err)
	}
	c.collective(0)
	return nil
}

// Bcast is MPI_Bcast of MPI_BYTE through the shim; gompi's BcastBytes sends len(buf)
// MPI_INT32 elements, four times the buffer. A zero-length Bcast makes no MPI call.
func (c *comm) Bcast(buf []byte, root int) error {
	c.checkRank(root, "Bcast root")
	if err := c.enter("Bcast"); err != nil {
		return err
	}
	err := pieces(len(buf), c.maxCount, func(lo, hi int) error {
		return bcast(c.h, buf[lo:hi], root)
	})
	if err != nil {
		return fmt.Errorf("mpi: could not broadcast %d bytes from rank %d: %w", len(buf), root, err)
	}
	if c.rank == root {
		c.collective(len(buf))
	} else {
		c.collective(0)
	}
	return nil
}

func (c *comm) AllreduceFloat64(buf []float64, op collective.Op) error {
	return allreduce(c, buf, op, "AllreduceFloat64")
}

func (c *comm) AllreduceFloat32(buf []float32, op collective.Op) error {
	return allreduce(c, buf, op, "AllreduceFloat32")
}

func (c *comm) AllreduceInt64(buf []int64, op collective.Op) error {
	return allreduce(c, buf, op, "AllreduceInt64")
}

// allreduce runs MPI_Allreduce on buf in place. gompi wants distinct send and receive
// buffers (it has no MPI_IN_PLACE), so each piece of buf is first copied into the scratch
// buffer, which is the send buffer. A zero-length buf makes no MPI call.
func allreduce[T float64 | float32 | int64](c *comm, buf []T, op collective.Op, name string) error {
	if op != collective.Sum && op != collective.Max && op != collective.Min {
		panic(fmt.Sprintf("mpi: unknown op %v", op))
	}
	if err := c.enter(name); err != nil {
		return err
	}
	var zero T
	sz := int(unsafe.Sizeof(zero))
	step := min(c.maxCount, scratchBytes/sz)
	if len(buf) > 0 && len(c.scratch)*8 < min(len(buf), step)*sz {
		c.scratch = make([]uint64, (min(len(buf), step)*sz+7)/8)
	}
	err := pieces(len(buf), step, func(lo, hi int) error {
		src := unsafe.Slice((*T)(unsafe.Pointer(&c.scratch[0])), hi-lo)
		copy(src, buf[lo:hi])
		return allreduceLib(c.lib, c.h, buf[lo:hi], src, op)
	})
	if err != nil {
		return fmt.Errorf("mpi: could not allreduce %d values (%s, %v): %w", len(buf), name, op, err)
	}
	c.collective(len(buf) * sz)
	return nil
}

// Allgatherv is MPI_Allgatherv of MPI_BYTE through the shim (gompi has no gather). Its
// counts and displacements are C ints, so a total above maxCount bytes is instead moved
// by one broadcast per contributing rank, each in pieces. A zero total makes no MPI call.
func (c *comm) Allgatherv(dst, src []byte, counts []int) error {
	if len(counts) != c.size {
		panic(fmt.Sprintf("mpi: Allgatherv with %d counts for %d ranks", len(counts), c.size))
	}
	total := 0
	for r, n := range counts {
		if n < 0 {
			panic(fmt.Sprintf("mpi: Allgatherv count %d of rank %d is negative", n, r))
		}
		total += n
	}
	if counts[c.rank] != len(src) {
		panic(fmt.Sprintf("mpi: rank %d Allgatherv src length %d, counts say %d", c.rank, len(src), counts[c.rank]))
	}
	if len(dst) != total {
		panic(fmt.Sprintf("mpi: Allgatherv dst length %d, counts sum to %d", len(dst), total))
	}
	if overlap(dst, src) {
		panic("mpi: Allgatherv dst and src overlap")
	}
	if err := c.enter("Allgatherv"); err != nil {
		return err
	}
	var err error
	switch {
	case total == 0:
	case total <= c.maxCount:
		off := 0
		for r, n := range counts {
			c.counts[r], c.displs[r] = cint(n), cint(off)
			off += n
		}
		err = allgatherv(c.h, dst, src, c.counts, c.displs)
	default:
		err = c.allgathervLarge(dst, src, counts)
	}
	if err != nil {
		return fmt.Errorf("mpi: could not allgather %d bytes from %d ranks: %w", total, c.size, err)
	}
	c.collective(len(src))
	return nil
}

// allgathervLarge broadcasts each rank's part of dst from that rank.
func (c *comm) allgathervLarge(dst, src []byte, counts []int) error {
	off := 0
	for r, n := range counts {
		part := dst[off : off+n]
		off += n
		if r == c.rank {
			copy(part, src)
		}
		err := pieces(n, c.maxCount, func(lo, hi int) error {
			return bcast(c.h, part[lo:hi], r)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// overlap reports whether a and b share memory.
func overlap(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return a0 < b0+uintptr(len(b)) && b0 < a0+uintptr(len(a))
}

// Send starts MPI_Isend of a C copy of buf and returns; the send completes in the
// background (every later call of the world makes progress on it, Stop waits for it).
// gompi's SendBytes is the blocking MPI_Send, which may wait for the matching receive:
// a ring of sends, or a send to self, then deadlocks. A buffer longer than maxCount goes
// as several messages, which Recv of the same length receives in turn. A zero-length
// buffer is a real zero-length message, so Recv of zero bytes still waits for it.
func (c *comm) Send(buf []byte, dst, tag int) error {
	c.checkRank(dst, "Send destination")
	checkTag(tag)
	if err := c.enter("Send"); err != nil {
		return err
	}
	send := func(lo, hi int) error {
		req, mem, err := isend(c.h, buf[lo:hi], dst, tag)
		if err != nil {
			return err
		}
		c.w.sends.add(req, mem, dst)
		return nil
	}
	var err error
	if len(buf) == 0 {
		err = send(0, 0)
	} else {
		err = pieces(len(buf), c.maxCount, send)
	}
	if err != nil {
		return fmt.Errorf("mpi: could not send %d bytes to rank %d with tag %d: %w", len(buf), dst, tag, err)
	}
	c.counters.Messages++
	c.counters.BytesSent += int64(len(buf))
	return nil
}

// Recv receives with MPI_Recv (gompi's RecvPreallocBytes in the OpenMPI build), piece by piece as Send
// sent it, and checks that each message had the expected length. A longer message is an
// MPI truncation error, which aborts the job under MPI_ERRORS_ARE_FATAL. A zero-length
// Recv goes through the shim, as gompi takes &buf[0].
func (c *comm) Recv(buf []byte, src, tag int) error {
	c.checkRank(src, "Recv source")
	checkTag(tag)
	if err := c.enter("Recv"); err != nil {
		return err
	}
	if len(buf) == 0 {
		got, err := recv(c.h, nil, src, tag)
		if err != nil {
			return fmt.Errorf("mpi: could not receive 0 bytes from rank %d with tag %d: %w", src, tag, err)
		}
		if got != 0 {
			return fmt.Errorf("mpi: could not receive 0 bytes from rank %d with tag %d: the message has %d", src, tag, got)
		}
		return nil
	}
	return pieces(len(buf), c.maxCount, func(lo, hi int) error {
		got, err := c.lib.recvPiece(c.h, buf[lo:hi], src, tag)
		if err != nil {
			return fmt.Errorf("mpi: could not receive %d bytes from rank %d with tag %d: %w", len(buf), src, tag, err)
		}
		if got != hi-lo {
			return fmt.Errorf("mpi: could not receive %d bytes from rank %d with tag %d: the message has %d", len(buf), src, tag, lo+got)
		}
		return nil
	})
}

func (c *comm) checkRank(r int, what string) {
	if r < 0 || r >= c.size {
		panic(fmt.Sprintf("mpi: %s %d out of range [0, %d)", what, r, c.size))
	}
}

func checkTag(tag int) {
	if tag < 0 || tag > collective.MaxTag {
		panic(fmt.Sprintf("mpi: tag %d out of range [0, %d]", tag, collective.MaxTag))
	}
}
