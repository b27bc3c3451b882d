package collective

import (
	"fmt"
	"math"
	"unsafe"
)

// The helpers below move numeric slices through the byte-level operations of Comm without
// copying. They assume every rank has the same byte order, which holds for the homogeneous
// clusters stemreduce targets.

// Number is the element type the typed helpers accept.
type Number interface {
	~float64 | ~float32 | ~int64 | ~int32 | ~uint64 | ~uint32 | ~uint16 | ~uint8 | ~int
}

// AsBytes returns the memory of s as a byte slice. It does not copy.
func AsBytes[T Number](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

// BcastOf copies buf on root into buf on every rank.
// Collective: every rank must call it with equal len(buf) and root.
func BcastOf[T Number](c Comm, buf []T, root int) error {
	return c.Bcast(AsBytes(buf), root)
}

// SendOf sends buf to rank dst with tag.
func SendOf[T Number](c Comm, buf []T, dst, tag int) error {
	return c.Send(AsBytes(buf), dst, tag)
}

// RecvOf receives a message of exactly len(buf) elements from rank src with tag.
func RecvOf[T Number](c Comm, buf []T, src, tag int) error {
	return c.Recv(AsBytes(buf), src, tag)
}

// AllgathervOf concatenates the src of every rank, in rank order, into dst on every rank.
// counts are in elements. If dst is nil it is allocated. It returns dst.
// Collective: see Comm.Allgatherv.
func AllgathervOf[T Number](c Comm, dst, src []T, counts []int) ([]T, error) {
	total := 0
	for _, n := range counts {
		total += n
	}
	if dst == nil {
		dst = make([]T, total)
	}
	var zero T
	sz := int(unsafe.Sizeof(zero))
	bc := make([]int, len(counts))
	for i, n := range counts {
		bc[i] = n * sz
	}
	return dst, c.Allgatherv(AsBytes(dst), AsBytes(src), bc)
}

// AllgatherCounts returns n from every rank, in rank order.
// Collective.
func AllgatherCounts(c Comm, n int) ([]int, error) {
	counts := make([]int, c.Size())
	for i := range counts {
		counts[i] = 1
	}
	all, err := AllgathervOf(c, nil, []int64{int64(n)}, counts)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(all))
	for i, v := range all {
		out[i] = int(v)
	}
	return out, nil
}

// BcastBytes broadcasts a byte slice of any length from root: the length first, then the
// bytes. On root it returns b; elsewhere a new slice.
// Collective.
func BcastBytes(c Comm, b []byte, root int) ([]byte, error) {
	n := []int64{int64(len(b))}
	if err := BcastOf(c, n, root); err != nil {
		return nil, err
	}
	if c.Rank() != root {
		b = make([]byte, n[0])
	}
	if err := c.Bcast(b, root); err != nil {
		return nil, err
	}
	return b, nil
}

// SendBytes sends a byte slice of any length: its length, then the bytes, with tag.
func SendBytes(c Comm, b []byte, dst, tag int) error {
	if err := SendOf(c, []int64{int64(len(b))}, dst, tag); err != nil {
		return err
	}
	return c.Send(b, dst, tag)
}

// RecvBytes receives a byte slice sent by SendBytes.
func RecvBytes(c Comm, src, tag int) ([]byte, error) {
	n := []int64{0}
	if err := RecvOf(c, n, src, tag); err != nil {
		return nil, err
	}
	if n[0] < 0 || n[0] > math.MaxInt32*8 {
		return nil, fmt.Errorf("collective: bad message length %d from rank %d", n[0], src)
	}
	b := make([]byte, n[0])
	return b, c.Recv(b, src, tag)
}
