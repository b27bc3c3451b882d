package brightest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/examples/brightest"
	"github.com/stemreduce/stemreduce/io/synth"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/udf"
)

func TestAgainstDirect(t *testing.T) {
	p, _ := synth.Parse("scan=6x7,det=10x12,phases=2,seed=3")
	src := synth.New(p)
	n, d := 42, 120
	data := make([]float32, n*d)
	if err := src.ReadFloat32(data, 0, n); err != nil {
		t.Fatal(err)
	}
	u, err := brightest.New([]int{10, 12}, map[string]string{"threshold": "3"})
	if err != nil {
		t.Fatal(err)
	}
	wantHits := make([]int64, d)
	for f := range n {
		best, at := data[f*d], 0
		for i, v := range data[f*d : (f+1)*d] {
			if v > best {
				best, at = v, i
			}
		}
		if best >= 3 {
			wantHits[at]++
		}
	}
	for _, np := range []int{1, 2, 3, 5} {
		errs := inproc.Run(np, func(c collective.Comm) error {
			in := udf.Input{Nav: []int{6, 7}, Sig: []int{10, 12}, Source: src, Block: 4}
			res, plan, err := udf.Run(context.Background(), c, &spmd.Env{}, in, u)
			if err != nil {
				return err
			}
			r, err := udf.Gather(c, plan, res[0])
			if err != nil {
				return err
			}
			if fmt.Sprint(r.Int64("hits")) != fmt.Sprint(wantHits) {
				return fmt.Errorf("hits %v, want %v", r.Int64("hits"), wantHits)
			}
			for f := range n {
				y, x := r.Int64("position")[2*f], r.Int64("position")[2*f+1]
				if data[f*d+int(y)*12+int(x)] != r.Float32("value")[f] {
					return fmt.Errorf("frame %d: value %v not at (%d, %d)", f, r.Float32("value")[f], y, x)
				}
			}
			return nil
		})
		for r, err := range errs {
			if err != nil {
				t.Fatalf("P=%d rank %d: %v", np, r, err)
			}
		}
	}
}

func TestBadParams(t *testing.T) {
	if _, err := brightest.New([]int{4, 4}, map[string]string{"treshold": "1"}); err == nil {
		t.Error("a misspelt parameter was accepted")
	}
	if _, err := brightest.New([]int{4, 4}, map[string]string{"threshold": "high"}); err == nil {
		t.Error("a non-number threshold was accepted")
	}
}
