package pca

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/rng"
	"github.com/stemreduce/stemreduce/spmd"
)

// Omega returns the d×l Gaussian test matrix of the randomized solver: row j holds the
// first l standard normal values of the stream (seed, rng.TestMatrix, j), so an entry
// depends on the seed and its row alone, never on a rank, and the first columns do not
// change with l.
func Omega(seed uint64, d, l int) *mat.Dense {
	om := mat.NewDense(d, l, nil)
	var st rng.Stream
	for j := range d {
		st.Reset(seed, rng.TestMatrix, uint64(j))
		row := om.RawRowView(j)
		for c := range row {
			row[c] = st.Normal()
		}
	}
	return om
}

// sketchSize returns the sketch width l and the number of power iterations q.
func sketchSize(s Settings, n, d int) (l, q int) {
	p := s.Oversample
	switch {
	case p == 0:
		p = 10
	case p < 0:
		p = 0
	}
	q = s.PowerIters
	switch {
	case q == 0 && float64(s.K) < 0.1*float64(min(n, d)):
		q = 7
	case q == 0:
		q = 4
	case q < 0:
		q = 0
	}
	return min(s.K+p, n, d), q
}

// randomized is the randomized solver. With A = X − 1·shiftᵀ (shift = μ, or 0 with
// NoCenter) and l = K + p:
//
//	pass 1:        moments, W_0 = AᵀA·Ω_0                       (the mean is not known yet:
//	               every block is centred about its own mean and the partials are merged
//	               with the co-moment update, which is exact algebra)
//	pass i+1:      Ω_i = orth(W_{i−1}),  W_i = AᵀA·Ω_i          i = 1..q
//	               (the last pass also keeps the rows Y = A·Ω_q)
//	no pass:       Y = Q·R by TSQR,  B = Qᵀ·A = R⁻ᵀ·W_qᵀ  if cond(R) ≤ MaxFusedCond
//	extra pass:    B = Σ_blocks Q_bᵀ·A_b                    otherwise
//	no pass:       B = U_B·S·Vᵀ,  components = Vᵀ[:K],  scores = Q·U_B[:, :K]·S[:K]
//
// so q + 1 passes, or q + 2. W_i = Σ_blocks A_bᵀ·(A_b·Ω_i) reads each block once for both
// products. The passes before the last multiply in float32 (sketchPass32, powerPass32);
// the last one, whose products are the result, in float64 about the known shift
// (shiftedPass). For q = 0, pass 1 is the last: float64, its rows centred after the pass,
// once μ is known.
func (f *fitter) randomized(res *Result, s Settings) error {
	n, d := f.plan.N, f.d
	l, q := sketchSize(s, n, d)
	res.Sketch, res.Iter = l, q
	nLocal := f.plan.NLocal()
	newY := func() *mat.Dense {
		if nLocal == 0 {
			return nil
		}
		return mat.NewDense(nLocal, l, nil)
	}
	var shift []float64 // nil: the mean, not known before the first pass
	if s.NoCenter {
		shift = make([]float64, d)
	}
	omegaT := mat.DenseCopyOf(Omega(s.Seed, d, l).T())
	var y *mat.Dense
	var part *linalg.CoMoment
	var err error
	if q == 0 {
		y = newY()
		part, err = f.sketchPass("pca sketch 1", omegaT, y, shift)
	} else {
		// An intermediate pass: products in float32, with Ω rounded to float32.
		o := linalg.NewOmega32(omegaT)
		omegaT = o.T
		f.keepSparse(s.SparseBytes)
		part, err = f.sketchPass32("pca sketch 1", o)
	}
	if err != nil {
		return err
	}
	if shift, err = res.moments(&part.Moments, s.NoCenter); err != nil {
		return err
	}
	w := product(part, omegaT, s.NoCenter) // Wᵀ, l×D
	for i := 1; i <= q; i++ {
		var omega mat.Dense
		linalg.ThinQR(&omega, nil, w.T())
		name := fmt.Sprintf("pca sketch %d", i+1)
		if i < q {
			if w, err = f.powerPass32(name, linalg.NewOmega32(omega.T()), shift); err != nil {
				return err
			}
			continue
		}
		// The last pass, in float64: its products are the result.
		omegaT = mat.DenseCopyOf(omega.T())
		y = newY()
		if w, err = f.shiftedPass(name, omegaT, y, shift); err != nil {
			return err
		}
	}

	// Orthonormal basis of the range of Y, and B = Qᵀ·A.
	var r, qm mat.Dense
	if err := f.rangeBasis(y, &r, &qm, res); err != nil {
		return err
	}
	var b *mat.Dense
	if res.SketchCond <= fusedCond {
		// Rᵀ·B = Wᵀ.
		b = w
		rr := r.RawMatrix()
		blas64.Trsm(blas.Left, blas.Trans, 1, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: rr.Rows, Data: rr.Data, Stride: rr.Stride}, b.RawMatrix())
	} else {
		res.ExtraPass = true
		if b, err = f.projectPass(&qm, l, shift); err != nil {
			return err
		}
	}

	return f.finishSketch(res, &qm, b)
}

// finishSketch completes a sketch solver from this rank's rows of the orthonormal basis q
// (nLocal×l; empty on a rank without frames) and the small matrix b (l×D) with A ≈ q·b:
// b = U·S·Vᵀ on every rank, components = Vᵀ[:K] and the variances from S, and the scores
// Q·U[:, :K]·S[:K], block by block so that a row's bits do not depend on the rows around
// it.
func (f *fitter) finishSketch(res *Result, q, b *mat.Dense) error {
	k, d, nLocal := res.K, f.d, f.plan.NLocal()
	l, _ := b.Dims()
	u, sv, vt, err := linalg.SVD(b)
	if err != nil {
		return err
	}
	linalg.FlipSigns(u, vt, k)
	res.Components = mat.DenseCopyOf(vt.Slice(0, k, 0, d))
	res.finish(sv)
	if nLocal == 0 {
		res.Scores = &mat.Dense{}
		return nil
	}
	us := mat.DenseCopyOf(u.Slice(0, l, 0, k))
	for j := range k {
		for i := range l {
			us.Set(i, j, us.At(i, j)*sv[j])
		}
	}
	res.Scores = mat.NewDense(nLocal, k, nil)
	return spmd.Parallel(f.workers(), f.plan.B1-f.plan.B0, func(i int) error {
		rg := f.plan.BlockRange(f.plan.B0 + i)
		lo, hi := rg.Beg-f.plan.Beg, rg.End-f.plan.Beg
		qb := q.Slice(lo, hi, 0, l).(*mat.Dense)
		sb := res.Scores.Slice(lo, hi, 0, k).(*mat.Dense)
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, qb.RawMatrix(), us.RawMatrix(), 0, sb.RawMatrix())
		return nil
	})
}

// fusedCond is MaxFusedCond; tests lower it to force the extra pass.
var fusedCond = MaxFusedCond

// product returns Wᵀ = (AᵀA·Ω)ᵀ (l×D) from a pass's CoMoment: P = (Xcᵀ·Xc·Ω)ᵀ, plus
// N·(Ωᵀμ)·μᵀ without centring (XᵀX = XcᵀXc + N·μμᵀ).
func product(p *linalg.CoMoment, omegaT *mat.Dense, noCenter bool) *mat.Dense {
	if !noCenter {
		return p.P
	}
	l, _ := omegaT.Dims()
	t := make([]float64, l)
	blas64.Gemv(blas.NoTrans, 1, omegaT.RawMatrix(), vec(p.Mean), 0, vec(t))
	blas64.Ger(float64(p.N), vec(t), vec(p.Mean), p.P.RawMatrix())
	return p.P
}

// rangeBasis factorizes this rank's rows y of the sketch Y = Q·R by distributed TSQR into
// r (l×l, on every rank) and q (this rank's rows of Q), and records cond(R) as
// res.SketchCond (+Inf when R is singular).
// Collective.
func (f *fitter) rangeBasis(y, r, q *mat.Dense, res *Result) error {
	ts := linalg.TSQR{Workers: f.workers()}
	if err := ts.Factorize(f.c, f.plan, y); err != nil {
		return err
	}
	ts.RTo(r)
	if err := ts.QTo(f.c, q); err != nil {
		return err
	}
	rsv, err := linalg.SingularValues(r)
	if err != nil {
		return err
	}
	res.SketchCond = math.Inf(1)
	if last := rsv[len(rsv)-1]; last > 0 {
		res.SketchCond = rsv[0] / last
	}
	return nil
}
