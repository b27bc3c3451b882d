package udf

import (
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Gather returns r with every nav buffer holding all N frames, in frame order, on every
// rank; sig and single buffers are shared with r. plan is the plan Run returned.
// Collective: every rank must call it with the results of the same Run.
func Gather(c collective.Comm, plan spmd.Plan, r *Results) (*Results, error) {
	out := &Results{}
	for _, b := range r.bufs {
		if b.Kind != Nav {
			out.bufs = append(out.bufs, b)
			continue
		}
		e, sz := b.entry(), b.Dtype.size()
		counts := make([]int, c.Size())
		for rank := range counts {
			counts[rank] = spmd.NewPlan(plan.N, plan.B, plan.Size, rank).NLocal() * e * sz
		}
		full := newBuffer(b.Spec, plan.N*e)
		if err := c.Allgatherv(full.bytes(), b.bytes(), counts); err != nil {
			return nil, err
		}
		out.bufs = append(out.bufs, full)
	}
	return out, nil
}
