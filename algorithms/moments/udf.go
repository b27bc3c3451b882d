package moments

import (
	"math"

	"github.com/stemreduce/stemreduce/spmd/udf"
)

// UDF computes the statistics as a user-defined function: sig buffers sum, mean, m2, min,
// max and (after Finalize) var, var_sample, std; single buffer n; nav buffer frame_sum.
type UDF struct{}

// Name implements udf.UDF.
func (UDF) Name() string { return "stats" }

var (
	mergedSig = []string{"sum", "mean", "m2", "min", "max"}
	derivSig  = []string{"var", "var_sample", "std"}
)

// Buffers implements udf.UDF.
func (UDF) Buffers() []udf.Spec {
	var s []udf.Spec
	for _, n := range append(append([]string(nil), mergedSig...), derivSig...) {
		s = append(s, udf.Spec{Name: n, Kind: udf.Sig, Dtype: udf.Float64})
	}
	return append(s,
		udf.Spec{Name: "n", Kind: udf.Single, Dtype: udf.Int64},
		udf.Spec{Name: "frame_sum", Kind: udf.Nav, Dtype: udf.Float64})
}

// partial returns a Partial whose arrays are the buffers of r.
func partial(r *udf.Results) *Partial {
	return &Partial{N: r.Int64("n")[0], Sum: r.Float64("sum"), Mean: r.Float64("mean"), M2: r.Float64("m2"), Min: r.Float64("min"), Max: r.Float64("max")}
}

// Init implements udf.Initializer: an empty summary.
func (UDF) Init(r *udf.Results) {
	lo, hi := r.Float64("min"), r.Float64("max")
	for i := range lo {
		lo[i], hi[i] = math.Inf(1), math.Inf(-1)
	}
}

// ProcessTile implements udf.TileProcessor.
func (UDF) ProcessTile(t *udf.Tile, r *udf.Results) error {
	p := BlockTo(r.Float64("frame_sum"), t.Data, t.Len(), t.D)
	Merge(partial(r), p)
	r.Int64("n")[0] += p.N
	return nil
}

// Merge implements udf.UDF with the pairwise update of Chan et al.
func (UDF) Merge(dst, src *udf.Results) {
	Merge(partial(dst), partial(src))
	dst.Int64("n")[0] += src.Int64("n")[0]
}

// Finalize implements udf.Finalizer: var, var_sample and std from m2 and n.
func (UDF) Finalize(r *udf.Results) error {
	res := partial(r).Finish()
	copy(r.Float64("var"), res.Var)
	copy(r.Float64("var_sample"), res.VarSample)
	copy(r.Float64("std"), res.Std)
	return nil
}
