package collective

import (
	"fmt"
	"math/bits"
)

// Merger combines and serialises the partial results of a block-tree reduction.
type Merger[T any] interface {
	// Merge returns the combination of left and right, where left covers the lower block
	// indices. It may modify and return left. It must not retain right.
	Merge(left, right T) T
	// Encode appends the bytes of v to dst and returns the result.
	Encode(dst []byte, v T) []byte
	// Decode returns the value Encode wrote to b.
	Decode(b []byte) (T, error)
}

// node identifies node (level, index) of the canonical tree: blocks [index<<level,
// (index+1)<<level) clipped to the block count.
type node struct{ level, index int }

func (n node) lo() int { return n.index << n.level }
func (n node) hi(nb int) int {
	return min((n.index+1)<<n.level, nb)
}

// Accumulator builds the canonical block tree over the blocks of one rank and combines the
// trees of all ranks. Blocks are pushed in increasing order; the accumulator keeps only the
// largest complete nodes, so it holds O(log blocks) partials.
type Accumulator[T any] struct {
	m      Merger[T]
	split  Split
	rank   int
	b0, b1 int // this rank's blocks
	next   int // the next block Push expects
	top    int // level of the root
	stack  []entry[T]
}

type entry[T any] struct {
	n node
	v T
}

// NewAccumulator returns an accumulator for rank of the blocks [0, nBlocks) split over
// size ranks by Split.
func NewAccumulator[T any](m Merger[T], nBlocks, size, rank int) *Accumulator[T] {
	s := Split{N: nBlocks, Size: size}
	b0, b1 := s.Range(rank)
	return &Accumulator[T]{m: m, split: s, rank: rank, b0: b0, b1: b1, next: b0, top: bits.Len(uint(max(nBlocks-1, 0)))}
}

// Blocks returns the block range [b0, b1) of this rank.
func (a *Accumulator[T]) Blocks() (b0, b1 int) { return a.b0, a.b1 }

// inside reports whether the clipped range of n lies within this rank's blocks.
func (a *Accumulator[T]) inside(n node) bool {
	return n.lo() >= a.b0 && n.hi(a.split.N) <= a.b1
}

// Push adds the partial of block b. Blocks must arrive in order b0, b0+1, ..., b1-1;
// Push panics otherwise.
func (a *Accumulator[T]) Push(b int, v T) {
	if b != a.next || b >= a.b1 {
		panic(fmt.Sprintf("collective: block %d pushed, want %d of [%d, %d)", b, a.next, a.b0, a.b1))
	}
	a.next++
	n := node{0, b}
	for n.level < a.top {
		parent := node{n.level + 1, n.index >> 1}
		if !a.inside(parent) {
			break
		}
		if n.index&1 == 1 {
			// The left sibling is complete and on top of the stack.
			top := a.stack[len(a.stack)-1]
			a.stack = a.stack[:len(a.stack)-1]
			v = a.m.Merge(top.v, v)
		} else if (n.index+1)<<n.level < a.split.N {
			break // wait for the right sibling
		}
		// Otherwise the right sibling is empty and n is promoted unchanged.
		n = parent
	}
	a.stack = append(a.stack, entry[T]{n, v})
}

// Reduce combines the partials of every rank along the canonical tree and returns the
// root on the rank that owns block 0 (ok true there); other ranks get ok false. Every
// block of this rank must have been pushed. Messages use tag.
// Collective: every rank must call it, with the same nBlocks and tag.
func (a *Accumulator[T]) Reduce(c Comm, tag int) (root T, ok bool, err error) {
	if a.next != a.b1 {
		panic(fmt.Sprintf("collective: Reduce after %d of blocks [%d, %d)", a.next-a.b0, a.b0, a.b1))
	}
	if a.split.N == 0 || a.b0 == a.b1 {
		return root, false, nil
	}
	return a.reduce(c, node{a.top, 0}, tag)
}

// reduce returns the value of node n if this rank ends up holding it.
func (a *Accumulator[T]) reduce(c Comm, n node, tag int) (v T, ok bool, err error) {
	nb := a.split.N
	if n.hi(nb) <= a.b0 || n.lo() >= a.b1 {
		return v, false, nil
	}
	if a.inside(n) {
		return a.take(n), true, nil
	}
	left, right := node{n.level - 1, 2 * n.index}, node{n.level - 1, 2*n.index + 1}
	if right.lo() >= nb {
		return a.reduce(c, left, tag)
	}
	lv, lok, err := a.reduce(c, left, tag)
	if err != nil {
		return v, false, err
	}
	rv, rok, err := a.reduce(c, right, tag)
	if err != nil {
		return v, false, err
	}
	lOwner, rOwner := a.split.Owner(left.lo()), a.split.Owner(right.lo())
	switch {
	case lOwner == a.rank && rOwner == a.rank:
		return a.m.Merge(lv, rv), true, nil
	case lOwner == a.rank:
		b, err := RecvBytes(c, rOwner, tag)
		if err != nil {
			return v, false, err
		}
		if rv, err = a.m.Decode(b); err != nil {
			return v, false, fmt.Errorf("collective: could not decode block-tree node from rank %d: %w", rOwner, err)
		}
		return a.m.Merge(lv, rv), lok, nil
	case rOwner == a.rank && rok:
		return v, false, SendBytes(c, a.m.Encode(nil, rv), lOwner, tag)
	}
	return v, false, nil
}

// take removes node n from the local stack.
func (a *Accumulator[T]) take(n node) T {
	for i, e := range a.stack {
		if e.n == n {
			a.stack = append(a.stack[:i], a.stack[i+1:]...)
			return e.v
		}
	}
	panic(fmt.Sprintf("collective: block-tree node (%d, %d) missing on rank %d", n.level, n.index, a.rank))
}

// ReduceAll is Reduce followed by a broadcast of the root from rank 0, so every rank
// returns the same bits.
// Collective.
func ReduceAll[T any](c Comm, a *Accumulator[T], tag int) (T, error) {
	root, ok, err := a.Reduce(c, tag)
	if err != nil {
		return root, err
	}
	var b []byte
	if ok {
		if c.Rank() != 0 {
			panic("collective: block-tree root not on rank 0")
		}
		b = a.m.Encode(nil, root)
	}
	if b, err = BcastBytes(c, b, 0); err != nil {
		return root, err
	}
	if ok {
		return root, nil
	}
	return a.m.Decode(b)
}
