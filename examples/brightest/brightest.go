// Package brightest is the example user-defined function of docs/udf.md: for every frame
// it finds the brightest pixel, and over the scan it counts how often each detector pixel
// was the brightest one. It registers itself as "brightest", so
//
//	stemreduce udf scan.h5:/data --run brightest --param brightest.threshold=5 -o out.h5
//
// writes /brightest/value and /brightest/position (scan-shaped) and /brightest/hits
// (detector-shaped).
package brightest

import (
	"fmt"
	"math"
	"strconv"

	"github.com/stemreduce/stemreduce/spmd/udf"
)

func init() {
	udf.Register("brightest", "the brightest pixel of every frame, and how often each pixel is it", New)
}

// UDF finds the brightest pixel of every frame.
type UDF struct {
	// Threshold: frames whose brightest pixel is below it do not count in hits.
	Threshold float32
	dx        int
}

// New makes the UDF for a detector of shape sig; params may hold "threshold".
func New(sig []int, params map[string]string) (udf.UDF, error) {
	if err := udf.CheckParams("brightest", params, "threshold"); err != nil {
		return nil, err
	}
	u := &UDF{dx: sig[len(sig)-1]}
	if s, ok := params["threshold"]; ok {
		t, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return nil, fmt.Errorf("threshold=%q: want a number", s)
		}
		u.Threshold = float32(t)
	}
	return u, nil
}

// Name is the output group.
func (*UDF) Name() string { return "brightest" }

// Buffers declares a value and a (y, x) position per frame, and a count per pixel.
func (*UDF) Buffers() []udf.Spec {
	return []udf.Spec{
		{Name: "value", Kind: udf.Nav, Dtype: udf.Float32},
		{Name: "position", Kind: udf.Nav, Extra: []int{2}, Dtype: udf.Int64},
		{Name: "hits", Kind: udf.Sig, Dtype: udf.Int64},
	}
}

// ProcessFrame handles one frame: r's nav buffers hold this frame's entry only.
func (u *UDF) ProcessFrame(f *udf.Frame, r *udf.Results) error {
	best, at := float32(math.Inf(-1)), 0
	for i, v := range f.Data {
		if v > best {
			best, at = v, i
		}
	}
	r.Float32("value")[0] = best
	pos := r.Int64("position")
	pos[0], pos[1] = int64(at/u.dx), int64(at%u.dx)
	if best >= u.Threshold {
		r.Int64("hits")[at]++
	}
	return nil
}

// Merge adds the counts of src to dst: integer sums are exact, so any order gives the
// same result.
func (*UDF) Merge(dst, src *udf.Results) {
	a, b := dst.Int64("hits"), src.Int64("hits")
	for i := range a {
		a[i] += b[i]
	}
}
