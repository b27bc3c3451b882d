package ica_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/ica"
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

// Source distributions, each with mean zero and variance one.
type dist int

const (
	laplace dist = iota
	uniform
	exponential
	sine // sin(2πt/97 + φ) at frame t: arcsine-distributed, strongly sub-Gaussian
)

func (d dist) String() string {
	return [...]string{"laplace", "uniform", "exponential", "sine"}[d]
}

// sources returns n rows of independent sources of the given distributions, n×len(ds),
// standardised exactly (sample mean 0, mean square 1) so that the true sources are in
// the same normalisation as ICA's.
func sources(n int, ds []dist, seed uint64) *mat.Dense {
	r := rand.New(rand.NewPCG(seed, 2))
	s := mat.NewDense(n, len(ds), nil)
	for j, d := range ds {
		phase := 2 * math.Pi * r.Float64()
		for f := range n {
			var v float64
			switch d {
			case laplace:
				v = r.ExpFloat64() / math.Sqrt2
				if r.IntN(2) == 0 {
					v = -v
				}
			case uniform:
				v = math.Sqrt(3) * (2*r.Float64() - 1)
			case exponential:
				v = r.ExpFloat64() - 1
			case sine:
				v = math.Sqrt2 * math.Sin(2*math.Pi*float64(f)/97+phase)
			}
			s.Set(f, j, v)
		}
	}
	standardize(s)
	return s
}

// standardize centres every column of s and scales it to mean square one.
func standardize(s *mat.Dense) {
	n, k := s.Dims()
	for j := range k {
		var m, ss float64
		for f := range n {
			m += s.At(f, j)
		}
		m /= float64(n)
		for f := range n {
			v := s.At(f, j) - m
			ss += v * v
		}
		sd := math.Sqrt(ss / float64(n))
		for f := range n {
			s.Set(f, j, (s.At(f, j)-m)/sd)
		}
	}
}

// mixFrames returns the float32 frames offset + A·s_f (+ noise·N(0, 1) per pixel) of the
// n×k sources s with the d×k mixing matrix a.
func mixFrames(s, a *mat.Dense, offset []float64, noise float64, seed uint64) []float32 {
	n, k := s.Dims()
	d, _ := a.Dims()
	r := rand.New(rand.NewPCG(seed, 3))
	data := make([]float32, n*d)
	for f := range n {
		for i := range d {
			x := offset[i]
			for j := range k {
				x += a.At(i, j) * s.At(f, j)
			}
			if noise > 0 {
				x += noise * r.NormFloat64()
			}
			data[f*d+i] = float32(x)
		}
	}
	return data
}

// fits holds the PCA and the ICA fits of one rank count.
type fits struct {
	pca       []*pca.Result   // per rank
	scores    *mat.Dense      // N×K PCA scores in frame order
	ica       [][]*ica.Result // [setting][rank]
	sources   []*mat.Dense    // [setting] N×K sources in frame order
	counters  []collective.Counters
	icaErrors [][]error // [setting][rank], when allowed
}

// runFits runs pca.Fit and then ica.Fit with every setting on p ranks. It fails the test
// on any error.
func runFits(t *testing.T, p int, src spmd.Source, n, d, block int, ps pca.Settings, settings []ica.Settings) fits {
	t.Helper()
	out := runFitsErr(p, src, n, d, block, ps, settings)
	for i, errs := range out.icaErrors {
		for r, err := range errs {
			if err != nil {
				t.Fatalf("setting %d, rank %d: %v", i, r, err)
			}
		}
	}
	if out.scores == nil {
		t.Fatal("PCA failed")
	}
	return out
}

// runFitsErr is runFits that returns the ICA errors. A PCA error leaves scores nil.
func runFitsErr(p int, src spmd.Source, n, d, block int, ps pca.Settings, settings []ica.Settings) fits {
	out := fits{pca: make([]*pca.Result, p), ica: make([][]*ica.Result, len(settings)), icaErrors: make([][]error, len(settings)), counters: make([]collective.Counters, p)}
	for i := range settings {
		out.ica[i] = make([]*ica.Result, p)
		out.icaErrors[i] = make([]error, p)
	}
	errs := inproc.Run(p, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, block, c.Size(), c.Rank())
		env := &spmd.Env{Workers: 2}
		pr, err := pca.Fit(context.Background(), c, env, plan, d, src, ps)
		if err != nil {
			return err
		}
		out.pca[c.Rank()] = pr
		before := c.Counters()
		for i, s := range settings {
			out.ica[i][c.Rank()], out.icaErrors[i][c.Rank()] = ica.Fit(context.Background(), c, env, plan, pr, s)
		}
		out.counters[c.Rank()] = c.Counters().Sub(before)
		return nil
	})
	for _, err := range errs {
		if err != nil {
			return out
		}
	}
	out.scores = gather(n, p, block, func(r int) *mat.Dense { return out.pca[r].Scores })
	out.sources = make([]*mat.Dense, len(settings))
	for i := range settings {
		if out.ica[i][0] != nil {
			out.sources[i] = gather(n, p, block, func(r int) *mat.Dense { return out.ica[i][r].Sources })
		}
	}
	return out
}

// gather assembles the local rows of every rank in frame order.
func gather(n, p, block int, local func(rank int) *mat.Dense) *mat.Dense {
	var all *mat.Dense
	for r := range p {
		plan := spmd.NewPlan(n, block, p, r)
		m := local(r)
		if plan.NLocal() == 0 {
			if !m.IsEmpty() {
				panic("rows on a rank without frames")
			}
			continue
		}
		_, k := m.Dims()
		if all == nil {
			all = mat.NewDense(n, k, nil)
		}
		all.Slice(plan.Beg, plan.End, 0, k).(*mat.Dense).Copy(m)
	}
	return all
}

// matchCorr pairs every column of truth with a distinct column of est so that the sum of
// absolute correlations is largest (exhaustive search over the permutations, fine for
// k ≤ 8) and returns the absolute correlation of each truth column with its partner and
// the partner's index.
func matchCorr(est, truth mat.Matrix) (corr []float64, partner []int) {
	_, ke := est.Dims()
	_, kt := truth.Dims()
	if ke < kt || kt > 8 {
		panic("matchCorr: bad sizes")
	}
	c := absCorr(est, truth) // ke×kt
	best := -1.0
	perm := make([]int, kt)
	used := make([]bool, ke)
	var search func(j int, sum float64)
	search = func(j int, sum float64) {
		if j == kt {
			if sum > best {
				best = sum
				partner = append(partner[:0], perm...)
			}
			return
		}
		for i := range ke {
			if !used[i] {
				used[i] = true
				perm[j] = i
				search(j+1, sum+c.At(i, j))
				used[i] = false
			}
		}
	}
	search(0, 0)
	corr = make([]float64, kt)
	for j, i := range partner {
		corr[j] = c.At(i, j)
	}
	return corr, partner
}

// absCorr returns the matrix of absolute Pearson correlations between the columns of a
// and of b.
func absCorr(a, b mat.Matrix) *mat.Dense {
	n, ka := a.Dims()
	_, kb := b.Dims()
	col := func(m mat.Matrix, j int) []float64 {
		v := make([]float64, n)
		var mean float64
		for i := range n {
			v[i] = m.At(i, j)
			mean += v[i]
		}
		mean /= float64(n)
		var ss float64
		for i := range v {
			v[i] -= mean
			ss += v[i] * v[i]
		}
		for i := range v {
			v[i] /= math.Sqrt(ss)
		}
		return v
	}
	out := mat.NewDense(ka, kb, nil)
	for i := range ka {
		ai := col(a, i)
		for j := range kb {
			bj := col(b, j)
			var d float64
			for f := range n {
				d += ai[f] * bj[f]
			}
			out.Set(i, j, math.Abs(d))
		}
	}
	return out
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

// sameResult reports whether two results have the same bits in every replicated field.
func sameResult(a, b *ica.Result) bool {
	if a.N != b.N || a.K != b.K || a.Algorithm != b.Algorithm || a.Fun != b.Fun || a.MaxIter != b.MaxIter ||
		a.Status != b.Status || a.NIter != b.NIter || !floatBits(a.Alpha, b.Alpha) || !floatBits(a.Tol, b.Tol) ||
		!floatBits(a.Lim, b.Lim) || len(a.ComponentIter) != len(b.ComponentIter) {
		return false
	}
	for i := range a.ComponentIter {
		if a.ComponentIter[i] != b.ComponentIter[i] {
			return false
		}
	}
	for i, x := range []*mat.Dense{a.Unmixing, a.Mixing, a.Whitening, a.Factors, a.Init} {
		if !denseBits(x, []*mat.Dense{b.Unmixing, b.Mixing, b.Whitening, b.Factors, b.Init}[i]) {
			return false
		}
	}
	if len(a.ExplainedVariance) != len(b.ExplainedVariance) {
		return false
	}
	for i := range a.ExplainedVariance {
		if !floatBits(a.ExplainedVariance[i], b.ExplainedVariance[i]) {
			return false
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
