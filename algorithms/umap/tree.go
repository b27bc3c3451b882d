package umap

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// sumMerger adds float64 vectors element-wise along the block tree.
type sumMerger struct{}

func (sumMerger) Merge(a, b []float64) []float64 {
	for i, v := range b {
		a[i] += v
	}
	return a
}

func (sumMerger) Encode(dst []byte, v []float64) []byte {
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

func (sumMerger) Decode(b []byte) ([]float64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("umap: block-tree sum of %d bytes", len(b))
	}
	v := make([]float64, len(b)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, nil
}

// blockSum returns, on every rank, the sum over all blocks of the width-long partials that
// fill computes for the local rows [beg, end) of one block (beg, end are local row
// indices; acc is zero on entry). The partials are combined along the canonical block
// tree, so the result has the same bits for every number of ranks.
// Collective: every rank must call it with equal width.
func blockSum(c collective.Comm, plan spmd.Plan, width int, fill func(beg, end int, acc []float64)) ([]float64, error) {
	acc := collective.NewAccumulator[[]float64](sumMerger{}, plan.NBlocks, plan.Size, plan.Rank)
	for b := plan.B0; b < plan.B1; b++ {
		r := plan.BlockRange(b)
		v := make([]float64, width)
		fill(r.Beg-plan.Beg, r.End-plan.Beg, v)
		acc.Push(b, v)
	}
	sum, err := collective.ReduceAll(c, acc, tagTree)
	if err != nil {
		return nil, err
	}
	if len(sum) != width {
		return nil, fmt.Errorf("umap: block-tree sum of %d values, want %d", len(sum), width)
	}
	return sum, nil
}
