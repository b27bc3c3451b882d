package moments_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/moments"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/spmdtest"
	"github.com/stemreduce/stemreduce/spmd/udf"
)

func randomFrames(n, d int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, n*d)
	for i := range data {
		// Counts with a large offset: the case where naive one-pass variance loses digits.
		data[i] = float32(1e4 + math.Floor(r.ExpFloat64()*50))
	}
	return data
}

// reference computes the statistics with two passes in float64 (the textbook definition).
func reference(data []float32, n, d int) moments.Result {
	r := moments.Result{N: int64(n), Sum: make([]float64, d), Mean: make([]float64, d), Var: make([]float64, d),
		VarSample: make([]float64, d), Std: make([]float64, d), Min: make([]float64, d), Max: make([]float64, d)}
	for i := range d {
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for f := range n {
			x := float64(data[f*d+i])
			sum += x
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		mean := sum / float64(n)
		m2 := 0.0
		for f := range n {
			dev := float64(data[f*d+i]) - mean
			m2 += dev * dev
		}
		r.Sum[i], r.Mean[i], r.Min[i], r.Max[i] = sum, mean, lo, hi
		r.Var[i], r.VarSample[i], r.Std[i] = m2/float64(n), m2/float64(n-1), math.Sqrt(m2/float64(n))
	}
	return r
}

func runStats(p int, data []float32, n, d, block, tileFrames int) []moments.Result {
	out := make([]moments.Result, p)
	errs := inproc.Run(p, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, block, c.Size(), c.Rank())
		env := &spmd.Env{TileBytes: int64(tileFrames * d * 4), Workers: 3}
		part, err := spmd.Reduce(context.Background(), c, env, "stats", plan, d, spmdtest.MemSource{Data: data, D: d}, moments.Merger{},
			func(b spmd.Block) (*moments.Partial, error) {
				return moments.Block(b.Data, b.Frames.Len(), b.D), nil
			})
		if err != nil {
			return err
		}
		out[c.Rank()] = part.Finish()
		return nil
	})
	for _, err := range errs {
		if err != nil {
			panic(err)
		}
	}
	return out
}

func TestStatsAgainstTwoPassReference(t *testing.T) {
	tests := []struct {
		n, d, block, tile int
	}{
		{n: 1, d: 3, block: 4, tile: 8},
		{n: 37, d: 5, block: 4, tile: 8},    // 10 blocks, last one short
		{n: 100, d: 16, block: 7, tile: 30}, // blocks do not divide n
		{n: 5, d: 2, block: 4, tile: 4},     // fewer blocks than ranks
		{n: 2000, d: 9, block: 0, tile: 64}, // default block size
	}
	for _, tc := range tests {
		data := randomFrames(tc.n, tc.d, uint64(tc.n))
		want := reference(data, tc.n, tc.d)
		var first moments.Result
		for _, p := range []int{1, 2, 3, 4, 7} {
			t.Run(fmt.Sprintf("n=%d,d=%d,B=%d/P=%d", tc.n, tc.d, tc.block, p), func(t *testing.T) {
				got := runStats(p, data, tc.n, tc.d, tc.block, tc.tile)
				for r := range got {
					// Every rank holds the same bits, and so does every rank count.
					if !bitsEqual(got[r], got[0]) {
						t.Fatalf("rank %d differs from rank 0", r)
					}
				}
				if p == 1 {
					first = got[0]
				} else if !bitsEqual(got[0], first) {
					t.Fatalf("P=%d differs from P=1", p)
				}
				// 1e-12 relative: float64 accumulation of at most 2000 values of order 1e4.
				checkClose(t, "sum", got[0].Sum, want.Sum, 1e-12)
				checkClose(t, "mean", got[0].Mean, want.Mean, 1e-12)
				checkClose(t, "var", got[0].Var, want.Var, 1e-12)
				checkClose(t, "std", got[0].Std, want.Std, 1e-12)
				checkClose(t, "min", got[0].Min, want.Min, 0)
				checkClose(t, "max", got[0].Max, want.Max, 0)
				if tc.n > 1 {
					checkClose(t, "var_sample", got[0].VarSample, want.VarSample, 1e-12)
				}
			})
		}
	}
}

func checkClose(t *testing.T, name string, got, want []float64, rel float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(got[i] - want[i]); d > rel*math.Abs(want[i]) && d > 1e-300 {
			t.Errorf("%s[%d] = %.17g, want %.17g (rel %.3g)", name, i, got[i], want[i], d/math.Abs(want[i]))
			return
		}
	}
}

func bitsEqual(a, b moments.Result) bool {
	if a.N != b.N {
		return false
	}
	for i, x := range [][]float64{a.Sum, a.Mean, a.Var, a.Std, a.Min, a.Max} {
		y := [][]float64{b.Sum, b.Mean, b.Var, b.Std, b.Min, b.Max}[i]
		for j := range x {
			if math.Float64bits(x[j]) != math.Float64bits(y[j]) {
				return false
			}
		}
	}
	return true
}

func TestMergeIsIndependentOfInput(t *testing.T) {
	// Merging into an empty partial copies, and does not alias, the other one.
	a, b := moments.NewPartial(2), moments.Block([]float32{1, 2, 3, 4}, 2, 2)
	moments.Merge(a, b)
	b.Sum[0] = 100
	if a.Sum[0] != 4 {
		t.Fatalf("merge aliased its right operand: sum %v", a.Sum)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	p := moments.Block([]float32{1, 2, 3, 5, 8, 13}, 3, 2)
	q, err := moments.Merger{}.Decode(moments.Merger{}.Encode(nil, p))
	if err != nil {
		t.Fatal(err)
	}
	if q.N != 3 || q.Sum[1] != 20 || q.Max[0] != 8 || q.Min[1] != 2 || q.M2[0] != p.M2[0] {
		t.Fatalf("round trip: %+v vs %+v", q, p)
	}
	if _, err := (moments.Merger{}).Decode([]byte{1, 2, 3}); err == nil {
		t.Fatal("short input decoded")
	}
}

// TestUDFMatchesReduce checks that the stats UDF on the engine gives the bits of the
// direct block reduction, at several rank counts, and the two-pass reference.
func TestUDFMatchesReduce(t *testing.T) {
	const n, d = 103, 6
	data := randomFrames(n, d, 9)
	want := runStats(1, data, n, d, 5, 20)[0]
	ref := reference(data, n, d)
	for _, p := range []int{1, 2, 3, 5} {
		errs := inproc.Run(p, func(c collective.Comm) error {
			in := udf.Input{Nav: []int{n}, Sig: []int{1, d}, Source: spmdtest.MemSource{Data: data, D: d}, Block: 5}
			res, plan, err := udf.Run(context.Background(), c, &spmd.Env{TileBytes: 20 * d * 4}, in, moments.UDF{})
			if err != nil {
				return err
			}
			r, err := udf.Gather(c, plan, res[0])
			if err != nil {
				return err
			}
			got := moments.Result{N: r.Int64("n")[0], Sum: r.Float64("sum"), Mean: r.Float64("mean"), Var: r.Float64("var"),
				Std: r.Float64("std"), Min: r.Float64("min"), Max: r.Float64("max")}
			if !bitsEqual(got, want) {
				return fmt.Errorf("UDF result differs from spmd.Reduce")
			}
			for f, s := range r.Float64("frame_sum") {
				direct := 0.0
				for i := range d {
					direct += float64(data[f*d+i])
				}
				if math.Abs(s-direct) > 1e-12*direct {
					return fmt.Errorf("frame_sum[%d] = %v, want %v", f, s, direct)
				}
			}
			if vs := r.Float64("var_sample")[0]; math.Abs(vs-ref.VarSample[0]) > 1e-12*ref.VarSample[0] {
				return fmt.Errorf("var_sample %v, want %v", vs, ref.VarSample[0])
			}
			return nil
		})
		for r, err := range errs {
			if err != nil {
				t.Fatalf("P=%d rank %d: %v", p, r, err)
			}
		}
	}
}
