package udf_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
	"github.com/stemreduce/stemreduce/spmd/spmdtest"
	"github.com/stemreduce/stemreduce/spmd/udf"
)

var rankCounts = []int{1, 2, 3, 5, 7}

func frames(n, d int) []float32 {
	r := rand.New(rand.NewPCG(uint64(n), uint64(d)))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(r.NormFloat64()*3 + 10)
	}
	return x
}

// sumBase declares the buffers of the test UDFs: the per-pixel sum (sig), the number of
// frames (single), and each frame's maximum and its coordinates (nav).
type sumBase struct{}

func (sumBase) Name() string { return "sum" }
func (sumBase) Buffers() []udf.Spec {
	return []udf.Spec{
		{Name: "sum", Kind: udf.Sig, Dtype: udf.Float64},
		{Name: "count", Kind: udf.Single, Dtype: udf.Int64},
		{Name: "max", Kind: udf.Nav, Dtype: udf.Float32},
		{Name: "yx", Kind: udf.Nav, Extra: []int{2}, Dtype: udf.Int64},
	}
}
func (sumBase) Merge(dst, src *udf.Results) {
	a, b := dst.Float64("sum"), src.Float64("sum")
	for i := range a {
		a[i] += b[i]
	}
	dst.Int64("count")[0] += src.Int64("count")[0]
}

func addFrame(r *udf.Results, k int, y, x int, px []float32) {
	s := r.Float64("sum")
	m := float32(math.Inf(-1))
	for i, v := range px {
		s[i] += float64(v)
		m = max(m, v)
	}
	r.Int64("count")[0]++
	r.Float32("max")[k] = m
	r.Int64("yx")[2*k], r.Int64("yx")[2*k+1] = int64(y), int64(x)
}

type sumFrames struct{ sumBase }

func (sumFrames) ProcessFrame(f *udf.Frame, r *udf.Results) error {
	addFrame(r, 0, f.Y, f.X, f.Data)
	return nil
}

type sumTiles struct{ sumBase }

func (sumTiles) ProcessTile(t *udf.Tile, r *udf.Results) error {
	for k := range t.Len() {
		y, x := t.Coords(k)
		addFrame(r, k, y, x, t.Frame(k))
	}
	return nil
}

type sumPartition struct{ sumBase }

func (sumPartition) ProcessPartition(t *udf.Tile, r *udf.Results) error {
	return sumTiles{}.ProcessTile(t, r)
}

// run runs udfs at p ranks and returns rank 0's gathered results, after checking that
// every rank holds the same sig and single bits.
func run(t *testing.T, p int, in udf.Input, udfs ...udf.UDF) []*udf.Results {
	t.Helper()
	all := make([][]*udf.Results, p)
	errs := inproc.Run(p, func(c collective.Comm) error {
		res, plan, err := udf.Run(context.Background(), c, &spmd.Env{TileBytes: 3 * 4 * int64(max(1, in.Sig[0]*in.Sig[1]))}, in, udfs...)
		if err != nil {
			return err
		}
		for i := range res {
			if res[i], err = udf.Gather(c, plan, res[i]); err != nil {
				return err
			}
		}
		all[c.Rank()] = res
		return nil
	})
	for r, err := range errs {
		if err != nil {
			t.Fatalf("P=%d rank %d: %v", p, r, err)
		}
	}
	for r := 1; r < p; r++ {
		for i := range all[0] {
			if !sameBits(all[r][i], all[0][i]) {
				t.Fatalf("P=%d: rank %d results of %s differ from rank 0", p, r, udfs[i].Name())
			}
		}
	}
	return all[0]
}

func sameBits(a, b *udf.Results) bool {
	for i, x := range a.Buffers() {
		y := b.Buffers()[i]
		if fmt.Sprint(x.I64) != fmt.Sprint(y.I64) || len(x.F64) != len(y.F64) || len(x.F32) != len(y.F32) {
			return false
		}
		for j := range x.F64 {
			if math.Float64bits(x.F64[j]) != math.Float64bits(y.F64[j]) {
				return false
			}
		}
		for j := range x.F32 {
			if math.Float32bits(x.F32[j]) != math.Float32bits(y.F32[j]) {
				return false
			}
		}
	}
	return true
}

func TestFrameTileAndRanksGiveTheSameBits(t *testing.T) {
	const sy, sx, d = 7, 9, 5
	data := frames(sy*sx, d)
	in := udf.Input{Nav: []int{sy, sx}, Sig: []int{1, d}, Source: spmdtest.MemSource{Data: data, D: d}, Block: 4}
	var ref *udf.Results
	for _, p := range rankCounts {
		for _, u := range []udf.UDF{sumFrames{}, sumTiles{}} {
			got := run(t, p, in, u)[0]
			if ref == nil {
				ref = got
				checkSum(t, got, data, nil, d)
			} else if !sameBits(got, ref) {
				t.Fatalf("P=%d %T differs from P=1 per frame", p, u)
			}
		}
	}
}

// checkSum compares the results with a direct computation over the selected frames.
func checkSum(t *testing.T, r *udf.Results, data []float32, roi []bool, d int) {
	t.Helper()
	n := len(data) / d
	want := make([]float64, d)
	count := 0
	for f := range n {
		if roi != nil && !roi[f] {
			if !math.IsNaN(float64(r.Float32("max")[f])) || r.Int64("yx")[2*f] != 0 {
				t.Fatalf("frame %d outside the ROI: max %v, yx %v", f, r.Float32("max")[f], r.Int64("yx")[2*f:2*f+2])
			}
			continue
		}
		count++
		m := float32(math.Inf(-1))
		for i := range d {
			want[i] += float64(data[f*d+i])
			m = max(m, data[f*d+i])
		}
		if r.Float32("max")[f] != m {
			t.Fatalf("max[%d] = %v, want %v", f, r.Float32("max")[f], m)
		}
		if y, x := r.Int64("yx")[2*f], r.Int64("yx")[2*f+1]; int(y) != f/9 || int(x) != f%9 {
			t.Fatalf("frame %d at (%d, %d), want (%d, %d)", f, y, x, f/9, f%9)
		}
	}
	if got := r.Int64("count")[0]; got != int64(count) {
		t.Fatalf("count %d, want %d", got, count)
	}
	for i := range want {
		// Sums of at most 63 values of order 10 in float64: 1e-12 relative.
		if math.Abs(r.Float64("sum")[i]-want[i]) > 1e-12*math.Abs(want[i]) {
			t.Fatalf("sum[%d] = %v, want %v", i, r.Float64("sum")[i], want[i])
		}
	}
}

func TestSeveralUDFsInOnePassEqualSeparatePasses(t *testing.T) {
	const sy, sx, d = 7, 9, 4
	data := frames(sy*sx, d)
	in := udf.Input{Nav: []int{sy, sx}, Sig: []int{2, 2}, Source: spmdtest.MemSource{Data: data, D: d}, Block: 5}
	for _, p := range []int{1, 3} {
		both := run(t, p, in, sumFrames{}, sumTiles{})
		a, b := run(t, p, in, sumFrames{})[0], run(t, p, in, sumTiles{})[0]
		if !sameBits(both[0], a) || !sameBits(both[1], b) {
			t.Fatalf("P=%d: one pass differs from separate passes", p)
		}
	}
}

// countingSource counts the frames read.
type countingSource struct {
	spmdtest.MemSource
	read *atomic.Int64 // shared by the ranks
}

func (c countingSource) ReadFloat32(dst []float32, beg, end int) error {
	c.read.Add(int64(end - beg))
	return c.MemSource.ReadFloat32(dst, beg, end)
}

func TestROI(t *testing.T) {
	const sy, sx, d = 7, 9, 3
	data := frames(sy*sx, d)
	roi := make([]bool, sy*sx)
	for y := 2; y < 5; y++ {
		for x := 1; x < 7; x++ {
			roi[y*sx+x] = true
		}
	}
	var read atomic.Int64
	in := udf.Input{Nav: []int{sy, sx}, Sig: []int{1, d}, Source: countingSource{spmdtest.MemSource{Data: data, D: d}, &read}, ROI: roi, Block: 4}
	got := run(t, 1, in, sumTiles{})[0]
	checkSum(t, got, data, roi, d)
	if read.Load() != 18 {
		t.Errorf("read %d frames, want the 18 of the ROI", read.Load())
	}
	for _, p := range []int{2, 5} {
		if !sameBits(run(t, p, in, sumFrames{})[0], got) {
			t.Errorf("P=%d: ROI results differ", p)
		}
	}
}

type indexUDF struct{}

func (indexUDF) Name() string { return "index" }
func (indexUDF) Buffers() []udf.Spec {
	return []udf.Spec{{Name: "i", Kind: udf.Nav, Dtype: udf.Int64}, {Name: "n", Kind: udf.Single, Dtype: udf.Int64}}
}
func (indexUDF) Merge(dst, src *udf.Results) { dst.Int64("n")[0] += src.Int64("n")[0] }
func (indexUDF) ProcessFrame(f *udf.Frame, r *udf.Results) error {
	if f.Data != nil {
		return errors.New("a pass without data gave data")
	}
	r.Int64("i")[0] = int64(f.Index * 10)
	r.Int64("n")[0]++
	return nil
}

func TestPassWithoutData(t *testing.T) {
	for _, p := range rankCounts {
		got := run(t, p, udf.Input{Nav: []int{4, 5}, Sig: []int{1, 1}}, indexUDF{})[0]
		for f, v := range got.Int64("i") {
			if v != int64(f*10) {
				t.Fatalf("P=%d: entry %d = %d", p, f, v)
			}
		}
		if got.Int64("n")[0] != 20 {
			t.Fatalf("P=%d: %d frames", p, got.Int64("n")[0])
		}
	}
}

func TestPartitionUDF(t *testing.T) {
	const sy, sx, d = 7, 9, 3
	data := frames(sy*sx, d)
	in := udf.Input{Nav: []int{sy, sx}, Sig: []int{1, d}, Source: spmdtest.MemSource{Data: data, D: d}, Block: 4}
	for _, p := range rankCounts {
		got := run(t, p, in, sumPartition{})[0]
		checkSum(t, got, data, nil, d)
	}
}

// failing fails on frame bad.
type failing struct {
	sumBase
	bad int
}

func (f failing) ProcessFrame(fr *udf.Frame, r *udf.Results) error {
	if fr.Index == f.bad {
		return fmt.Errorf("bad pixel in frame %d", fr.Index)
	}
	return nil
}

func TestErrorOnOneRankReachesAll(t *testing.T) {
	const n, d = 50, 2
	in := udf.Input{Nav: []int{n}, Sig: []int{1, d}, Source: spmdtest.MemSource{Data: frames(n, d), D: d}, Block: 4}
	for _, p := range rankCounts {
		errs := inproc.Run(p, func(c collective.Comm) error {
			_, _, err := udf.Run(context.Background(), c, &spmd.Env{}, in, failing{bad: 45})
			return err
		})
		owner := collective.Split{N: 13, Size: p}.Owner(45 / 4)
		for r, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "bad pixel in frame 45") {
				t.Fatalf("P=%d rank %d: %v", p, r, err)
			}
			if p > 1 && !strings.Contains(err.Error(), fmt.Sprintf("rank %d of %d", owner, p)) {
				t.Errorf("P=%d rank %d: %v does not name rank %d", p, r, err, owner)
			}
		}
	}
}

type declared struct {
	sumFrames
	specs []udf.Spec
}

func (d declared) Buffers() []udf.Spec { return d.specs }

type twoWays struct{ sumFrames }

func (twoWays) ProcessTile(t *udf.Tile, r *udf.Results) error { return nil }

func TestDeclarationsAreValidated(t *testing.T) {
	tests := []struct {
		name string
		u    udf.UDF
		want string
	}{
		{"unknown kind", declared{specs: []udf.Spec{{Name: "a", Kind: 9, Dtype: udf.Float64}}}, "unknown kind"},
		{"negative shape", declared{specs: []udf.Spec{{Name: "a", Kind: udf.Sig, Extra: []int{2, -1}, Dtype: udf.Float64}}}, "negative extra shape"},
		{"bad dtype", declared{specs: []udf.Spec{{Name: "a", Kind: udf.Nav}}}, "unsupported dtype"},
		{"no name", declared{specs: []udf.Spec{{Kind: udf.Nav, Dtype: udf.Int64}}}, "no name"},
		{"twice", declared{specs: []udf.Spec{{Name: "a", Kind: udf.Nav, Dtype: udf.Int64}, {Name: "a", Kind: udf.Sig, Dtype: udf.Int64}}}, "declared twice"},
		{"two process methods", twoWays{}, "want exactly one"},
	}
	in := udf.Input{Nav: []int{10}, Sig: []int{1, 2}, Source: spmdtest.MemSource{Data: frames(10, 2), D: 2}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for r, err := range inproc.Run(3, func(c collective.Comm) error {
				_, _, err := udf.Run(context.Background(), c, &spmd.Env{}, in, tc.u)
				return err
			}) {
				if err == nil || !strings.Contains(err.Error(), tc.want) || spmd.Code(err) != spmd.ExitUsage {
					t.Errorf("rank %d: %v (code %d), want %q", r, err, spmd.Code(err), tc.want)
				}
			}
		})
	}
}
