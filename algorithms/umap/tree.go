package umap

import (
	"fmt"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// blockSum returns, on every rank, the sum over all blocks of the width-long partials that
// fill computes for the local rows [beg, end) of one block (beg, end are local row
// indices; acc is zero on entry). The partials are combined along the canonical block
// tree, so the result has the same bits for every number of ranks.
// Collective: every rank must call it with equal width.
func blockSum(c collective.Comm, plan spmd.Plan, width int, fill func(beg, end int, acc []float64)) ([]float64, error) {
	acc := collective.NewAccumulator[[]float64](collective.SumFloat64{}, plan.NBlocks, plan.Size, plan.Rank)
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
