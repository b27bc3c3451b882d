package pca_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

var rankCounts = []int{1, 2, 3, 4, 7}

// memSource is an in-memory stack of frames.
type memSource struct {
	data []float32
	d    int
}

func (m memSource) ReadFloat32(dst []float32, beg, end int) error {
	copy(dst, m.data[beg*m.d:end*m.d])
	return nil
}

// lowRank returns n frames of d pixels: a positive offset (50 to 150 counts), plus `rank`
// components with standard deviations 10·decay^i along random orthonormal pixel
// directions, plus independent Gaussian noise of standard deviation noise, rounded to
// float32. The offset makes centring matter.
func lowRank(n, d, rank int, decay, noise float64, seed uint64) []float32 {
	rnd := rand.New(rand.NewPCG(seed, 1))
	dirs := mat.NewDense(d, rank, nil)
	for i := range d {
		for j := range rank {
			dirs.Set(i, j, rnd.NormFloat64())
		}
	}
	var v mat.Dense
	linalg.ThinQR(&v, nil, dirs)
	offset := make([]float64, d)
	for i := range offset {
		offset[i] = 50 + 100*rnd.Float64()
	}
	data := make([]float32, n*d)
	coef := make([]float64, rank)
	for f := range n {
		for j := range coef {
			coef[j] = 10 * math.Pow(decay, float64(j)) * rnd.NormFloat64()
		}
		for i := range d {
			x := offset[i] + noise*rnd.NormFloat64()
			for j, c := range coef {
				x += c * v.At(i, j)
			}
			data[f*d+i] = float32(x)
		}
	}
	return data
}

// reference is the PCA of the data by a dense float64 SVD of the centred (or not) matrix.
type reference struct {
	s     []float64  // all singular values
	v     *mat.Dense // D×min(N, D) right singular vectors
	u     *mat.Dense // N×min(N, D) left singular vectors
	total float64    // total variance, Σ s²/(N−1)
}

func newReference(t *testing.T, data []float32, n, d int, center bool) reference {
	t.Helper()
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			x.Set(i, j, float64(data[i*d+j]))
		}
	}
	if center {
		for j := range d {
			var m float64
			for i := range n {
				m += x.At(i, j)
			}
			m /= float64(n)
			for i := range n {
				x.Set(i, j, x.At(i, j)-m)
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDThin) {
		t.Fatal("reference SVD failed")
	}
	ref := reference{s: svd.Values(nil), v: &mat.Dense{}, u: &mat.Dense{}}
	svd.VTo(ref.v)
	svd.UTo(ref.u)
	for _, s := range ref.s {
		ref.total += s * s
	}
	ref.total /= float64(n - 1)
	return ref
}

// run fits on p ranks and returns every rank's result and the scores of all ranks
// assembled in frame order.
func run(t *testing.T, p int, data []float32, n, d, block int, s pca.Settings) ([]*pca.Result, *mat.Dense) {
	t.Helper()
	res, errs := runErr(p, data, n, d, block, s)
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	scores := mat.NewDense(n, s.K, nil)
	for r, rr := range res {
		plan := spmd.NewPlan(n, block, p, r)
		if plan.NLocal() == 0 {
			if !rr.Scores.IsEmpty() {
				t.Fatalf("rank %d owns no frames but has scores", r)
			}
			continue
		}
		scores.Slice(plan.Beg, plan.End, 0, s.K).(*mat.Dense).Copy(rr.Scores)
	}
	return res, scores
}

func runErr(p int, data []float32, n, d, block int, s pca.Settings) ([]*pca.Result, []error) {
	return runSource(p, memSource{data, d}, n, d, block, s)
}

func runErrSource(p int, src spmd.Source, n, d, block int, s pca.Settings) []error {
	_, errs := runSource(p, src, n, d, block, s)
	return errs
}

func runSource(p int, src spmd.Source, n, d, block int, s pca.Settings) ([]*pca.Result, []error) {
	return runWorkers(p, 2, src, n, d, block, s)
}

func runWorkers(p, workers int, src spmd.Source, n, d, block int, s pca.Settings) ([]*pca.Result, []error) {
	res := make([]*pca.Result, p)
	errs := inproc.Run(p, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, block, c.Size(), c.Rank())
		// A small tile budget makes every rank stream several tiles.
		env := &spmd.Env{TileBytes: int64(4 * d * 40), Workers: workers}
		r, err := pca.Fit(context.Background(), c, env, plan, d, src, s)
		res[c.Rank()] = r
		return err
	})
	return res, errs
}

// sameBits reports whether two results have the same bits in every replicated field.
func sameBits(a, b *pca.Result) bool {
	if a.Solver != b.Solver || a.N != b.N || a.D != b.D || a.K != b.K || a.Passes != b.Passes ||
		a.Iter != b.Iter || a.Sketch != b.Sketch || a.ExtraPass != b.ExtraPass || a.CoSketch != b.CoSketch || a.CoRangeSolve != b.CoRangeSolve ||
		!floatBits(a.TotalVariance, b.TotalVariance) || !floatBits(a.NoiseVariance, b.NoiseVariance) ||
		!floatBits(a.SketchCond, b.SketchCond) || !denseBits(a.Components, b.Components) {
		return false
	}
	for i, x := range [][]float64{a.SingularValues, a.ExplainedVariance, a.ExplainedVarianceRatio, a.Mean} {
		y := [][]float64{b.SingularValues, b.ExplainedVariance, b.ExplainedVarianceRatio, b.Mean}[i]
		if len(x) != len(y) {
			return false
		}
		for j := range x {
			if !floatBits(x[j], y[j]) {
				return false
			}
		}
	}
	return true
}

func floatBits(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }

func denseBits(a, b *mat.Dense) bool {
	if a.IsEmpty() || b.IsEmpty() {
		return a.IsEmpty() == b.IsEmpty()
	}
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != br || ac != bc {
		return false
	}
	for i := range ar {
		for j := range ac {
			if !floatBits(a.At(i, j), b.At(i, j)) {
				return false
			}
		}
	}
	return true
}

// maxAngle returns the largest principal angle between the row space of the K×D
// components and the first K reference right singular vectors.
func maxAngle(t *testing.T, comp *mat.Dense, ref reference) float64 {
	t.Helper()
	k, d := comp.Dims()
	angles, err := linalg.PrincipalAngles(comp.T(), ref.v.Slice(0, d, 0, k))
	if err != nil {
		t.Fatal(err)
	}
	return angles[len(angles)-1]
}

// relErr returns max_i |got_i − want_i| / |want_i|.
func relErr(got, want []float64) float64 {
	var e float64
	for i := range got {
		e = math.Max(e, math.Abs(got[i]-want[i])/math.Abs(want[i]))
	}
	return e
}
