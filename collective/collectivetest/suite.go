package collectivetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/stemreduce/stemreduce/collective"
)

// Case is one conformance check. Fn runs on every rank and returns nil when the rank saw
// the expected results.
type Case struct {
	Name string
	Fn   func(c collective.Comm) error
}

// Cases returns the suite.
func Cases() []Case {
	return []Case{
		{"RankSize", rankSize},
		{"Barrier", barrier},
		{"Bcast", bcast},
		{"AllreduceFloat64", allreduceFloat64},
		{"AllreduceFloat32", allreduceFloat32},
		{"AllreduceInt64", allreduceInt64},
		{"Allgatherv", allgatherv},
		{"SendRecvRing", sendRecvRing},
		{"SendRecvOrder", sendRecvOrder},
		{"BytesHelpers", bytesHelpers},
		{"Counters", counters},
		{"BlockTree", blockTree},
	}
}

func rankSize(c collective.Comm) error {
	if c.Size() < 1 || c.Rank() < 0 || c.Rank() >= c.Size() {
		return fmt.Errorf("rank %d of size %d", c.Rank(), c.Size())
	}
	// Every rank must report a distinct rank: the sum of ranks is size(size-1)/2.
	buf := []int64{int64(c.Rank())}
	if err := c.AllreduceInt64(buf, collective.Sum); err != nil {
		return err
	}
	if want := int64(c.Size() * (c.Size() - 1) / 2); buf[0] != want {
		return fmt.Errorf("sum of ranks %d, want %d", buf[0], want)
	}
	return nil
}

func barrier(c collective.Comm) error {
	for range 3 {
		if err := c.Barrier(); err != nil {
			return err
		}
	}
	return nil
}

func bcast(c collective.Comm) error {
	for _, n := range []int{0, 1, 7, 1 << 16} {
		for root := range c.Size() {
			buf := make([]byte, n)
			if c.Rank() == root {
				for i := range buf {
					buf[i] = byte(i*31 + root)
				}
			}
			if err := c.Bcast(buf, root); err != nil {
				return err
			}
			for i, b := range buf {
				if b != byte(i*31+root) {
					return fmt.Errorf("Bcast(%d, root %d): byte %d is %d", n, root, i, b)
				}
			}
		}
	}
	f := []float64{0, 0}
	if c.Rank() == c.Size()-1 {
		f = []float64{math.Pi, math.Inf(-1)}
	}
	if err := collective.BcastOf(c, f, c.Size()-1); err != nil {
		return err
	}
	if f[0] != math.Pi || !math.IsInf(f[1], -1) {
		return fmt.Errorf("BcastOf float64: got %v", f)
	}
	return nil
}

// rankValue is the value rank r contributes at index i of an allreduce test.
func rankValue(r, i int) float64 { return float64((r+1)*(i+3)%11) - 4.5 }

func wantReduce(size, i int, op collective.Op) float64 {
	v := rankValue(0, i)
	for r := 1; r < size; r++ {
		switch op {
		case collective.Sum:
			v += rankValue(r, i)
		case collective.Max:
			v = max(v, rankValue(r, i))
		case collective.Min:
			v = min(v, rankValue(r, i))
		}
	}
	return v
}

func allreduceFloat64(c collective.Comm) error {
	return checkAllreduce(c, "Float64", c.AllreduceFloat64)
}

func allreduceFloat32(c collective.Comm) error {
	return checkAllreduce(c, "Float32", c.AllreduceFloat32)
}

func allreduceInt64(c collective.Comm) error {
	return checkAllreduce(c, "Int64", func(buf []int64, op collective.Op) error {
		return c.AllreduceInt64(buf, op)
	})
}

// checkAllreduce uses values that are exact in every type (multiples of 0.5 for floats;
// the int64 variant doubles them) so the expected results are exact.
func checkAllreduce[T float64 | float32 | int64](c collective.Comm, typ string, fn func([]T, collective.Op) error) error {
	for _, n := range []int{0, 1, 5, 4099} {
		for _, op := range []collective.Op{collective.Sum, collective.Max, collective.Min} {
			buf := make([]T, n)
			for i := range buf {
				buf[i] = T(2 * rankValue(c.Rank(), i))
			}
			if err := fn(buf, op); err != nil {
				return err
			}
			for i, v := range buf {
				if want := T(2 * wantReduce(c.Size(), i, op)); v != want {
					return fmt.Errorf("Allreduce%s(%d, %v)[%d] = %v, want %v", typ, n, op, i, v, want)
				}
			}
		}
	}
	return nil
}

func allgatherv(c collective.Comm) error {
	// Rank r contributes (r*3)%4 bytes: some ranks contribute none.
	counts := make([]int, c.Size())
	total := 0
	for r := range counts {
		counts[r] = (r * 3) % 4
		total += counts[r]
	}
	src := make([]byte, counts[c.Rank()])
	for i := range src {
		src[i] = byte(10*c.Rank() + i)
	}
	dst := make([]byte, total)
	if err := c.Allgatherv(dst, src, counts); err != nil {
		return err
	}
	off := 0
	for r, n := range counts {
		for i := range n {
			if dst[off+i] != byte(10*r+i) {
				return fmt.Errorf("Allgatherv: byte %d of rank %d is %d", i, r, dst[off+i])
			}
		}
		off += n
	}
	got, err := collective.AllgatherCounts(c, c.Rank()*c.Rank())
	if err != nil {
		return err
	}
	for r, v := range got {
		if v != r*r {
			return fmt.Errorf("AllgatherCounts[%d] = %d", r, v)
		}
	}
	// All ranks contributing nothing is valid too.
	return c.Allgatherv(nil, nil, make([]int, c.Size()))
}

func sendRecvRing(c collective.Comm) error {
	next, prev := (c.Rank()+1)%c.Size(), (c.Rank()+c.Size()-1)%c.Size()
	for _, n := range []int{0, 3, 1 << 17} {
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(c.Rank()*1000 + i)
		}
		if err := collective.SendOf(c, out, next, 5); err != nil {
			return err
		}
		in := make([]float64, n)
		if err := collective.RecvOf(c, in, prev, 5); err != nil {
			return err
		}
		for i, v := range in {
			if v != float64(prev*1000+i) {
				return fmt.Errorf("ring of %d: element %d from rank %d is %v", n, i, prev, v)
			}
		}
		if err := c.Barrier(); err != nil {
			return err
		}
	}
	return nil
}

// sendRecvOrder sends several messages on two tags and receives them in the other tag
// order: messages must match by tag, in order within a tag.
func sendRecvOrder(c collective.Comm) error {
	if c.Size() < 2 {
		return nil
	}
	switch c.Rank() {
	case 0:
		for i := range 3 {
			if err := collective.SendOf(c, []int64{int64(i)}, 1, 1); err != nil {
				return err
			}
			if err := collective.SendOf(c, []int64{int64(100 + i)}, 1, 2); err != nil {
				return err
			}
		}
	case 1:
		for _, tag := range []int{2, 1} {
			for i := range 3 {
				v := []int64{-1}
				if err := collective.RecvOf(c, v, 0, tag); err != nil {
					return err
				}
				want := int64(i)
				if tag == 2 {
					want += 100
				}
				if v[0] != want {
					return fmt.Errorf("tag %d message %d is %d, want %d", tag, i, v[0], want)
				}
			}
		}
	}
	return c.Barrier()
}

func bytesHelpers(c collective.Comm) error {
	var msg []byte
	if c.Rank() == 0 {
		msg = []byte("stemreduce " + strconv.Itoa(c.Size()))
	}
	got, err := collective.BcastBytes(c, msg, 0)
	if err != nil {
		return err
	}
	if want := "stemreduce " + strconv.Itoa(c.Size()); string(got) != want {
		return fmt.Errorf("BcastBytes: %q, want %q", got, want)
	}
	if c.Size() == 1 {
		return nil
	}
	if c.Rank() == 1 {
		return collective.SendBytes(c, bytes.Repeat([]byte{7}, 1000), 0, 9)
	}
	if c.Rank() == 0 {
		b, err := collective.RecvBytes(c, 1, 9)
		if err != nil {
			return err
		}
		if len(b) != 1000 || b[999] != 7 {
			return errors.New("RecvBytes: wrong message")
		}
	}
	return nil
}

func counters(c collective.Comm) error {
	before := c.Counters()
	buf := make([]float64, 10)
	if err := c.AllreduceFloat64(buf, collective.Sum); err != nil {
		return err
	}
	d := c.Counters().Sub(before)
	if d.Collective != 1 || d.Messages < 1 || d.BytesSent < 80 {
		return fmt.Errorf("counters after one Allreduce of 80 bytes: %+v", d)
	}
	return nil
}
