package collectivetest

import (
	"fmt"
	"math/bits"

	"github.com/stemreduce/stemreduce/collective"
)

// treeString records the shape of a reduction: a leaf is its block index, a merge is
// "(left right)". Equal strings mean the same merges in the same order.
type treeString struct{}

func (treeString) Merge(l, r string) string           { return "(" + l + " " + r + ")" }
func (treeString) Encode(dst []byte, v string) []byte { return append(dst, v...) }
func (treeString) Decode(b []byte) (string, error)    { return string(b), nil }

// CanonicalTree returns the treeString of the canonical tree over nb blocks, computed
// directly from its definition: node (l, j) covers [j·2^l, (j+1)·2^l) clipped to nb.
func CanonicalTree(nb int) string {
	var rec func(l, j int) string
	rec = func(l, j int) string {
		if l == 0 {
			return fmt.Sprint(j)
		}
		left := rec(l-1, 2*j)
		if (2*j+1)<<(l-1) >= nb {
			return left
		}
		return "(" + left + " " + rec(l-1, 2*j+1) + ")"
	}
	return rec(bits.Len(uint(nb-1)), 0)
}

// blockTree checks that the reduction follows the canonical tree for block counts below,
// equal to and above the number of ranks, on every rank.
func blockTree(c collective.Comm) error {
	for _, nb := range []int{1, 2, 3, 5, 7, 8, 13, 64, 100} {
		acc := collective.NewAccumulator[string](treeString{}, nb, c.Size(), c.Rank())
		b0, b1 := acc.Blocks()
		for b := b0; b < b1; b++ {
			acc.Push(b, fmt.Sprint(b))
		}
		got, err := collective.ReduceAll(c, acc, 11)
		if err != nil {
			return err
		}
		if want := CanonicalTree(nb); got != want {
			return fmt.Errorf("block tree over %d blocks on %d ranks:\n got %s\nwant %s", nb, c.Size(), got, want)
		}
	}
	return nil
}
