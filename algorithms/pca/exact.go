package pca

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/spmd"
)

// gram is the exact solver on the covariance matrix:
//
//	pass 1:   moments and C = Σ_blocks (co-moment of the block) merged along the block tree
//	no pass:  the K largest eigenpairs C·v = λ·v on every rank (linalg.TopEigen),
//	          S = √Λ, components = Vᵀ
//	pass 2:   scores = (X − 1·shiftᵀ)·V[:, :K]
func (f *fitter) gram(res *Result, s Settings) error {
	d := f.d
	part, err := reduce(f, "pca gram", linalg.CoMomentMerger{}, func(b spmd.Block) (*linalg.CoMoment, error) {
		x := f.scratch()
		defer f.release(x)
		p, bad := linalg.CoMomentFrames(b.Data, b.Frames.Len(), d, nil, nil, x)
		if bad >= 0 {
			return nil, badFrame{b.Frames.Beg + bad}
		}
		return p, nil
	})
	if err != nil {
		return err
	}
	shift, err := res.moments(&part.Moments, s.NoCenter)
	if err != nil {
		return err
	}
	cov := part.P.RawMatrix()
	sym := blas64.Symmetric{Uplo: blas.Upper, N: d, Data: cov.Data, Stride: cov.Stride}
	if s.NoCenter {
		blas64.Syr(float64(part.N), vec(part.Mean), sym)
	}
	top, err := linalg.TopEigen(mat.NewSymDense(d, cov.Data), s.K, linalg.TopSettings{})
	if err != nil {
		return err
	}
	sv := make([]float64, s.K)
	for i, v := range top.Values {
		sv[i] = math.Sqrt(math.Max(v, 0))
	}
	return f.finishExact(res, s.K, sv, mat.DenseCopyOf(top.Vectors.T()), shift)
}

// tsqr is the exact solver on the R factor of the centred data:
//
//	pass 1:   moments and R of the centred rows, merged along the block tree
//	          (stacked R factors with a centring row, see linalg.CenteredRMerger)
//	no pass:  the K largest singular triplets of R on every rank (linalg.TopSVD),
//	          components = Vᵀ
//	pass 2:   scores = (X − 1·shiftᵀ)·V[:, :K]
func (f *fitter) tsqr(res *Result, s Settings) error {
	d := f.d
	part, err := reduce(f, "pca tsqr", linalg.CenteredRMerger{}, func(b spmd.Block) (*linalg.CenteredR, error) {
		p, bad := linalg.CenteredRFrames(b.Data, b.Frames.Len(), d)
		if bad >= 0 {
			return nil, badFrame{b.Frames.Beg + bad}
		}
		return p, nil
	})
	if err != nil {
		return err
	}
	shift, err := res.moments(&part.Moments, s.NoCenter)
	if err != nil {
		return err
	}
	r := part.R
	if s.NoCenter {
		// [R; √N·μᵀ] has the Gram matrix RᵀR + N·μμᵀ = XᵀX: the same S and V as X.
		k, _ := r.Dims()
		st := mat.NewDense(k+1, d, nil)
		st.Slice(0, k, 0, d).(*mat.Dense).Copy(r)
		sn := math.Sqrt(float64(part.N))
		for j, mu := range part.Mean {
			st.Set(k, j, sn*mu)
		}
		r = st
	}
	top, err := linalg.TopSVD(r, s.K, linalg.TopSettings{})
	if err != nil {
		return err
	}
	return f.finishExact(res, s.K, top.Values, mat.DenseCopyOf(top.Vectors.T()), shift)
}

// finishExact fixes the signs of the K×D components vt, fills the variances from the
// singular values sv and computes the scores in a second pass.
// Collective.
func (f *fitter) finishExact(res *Result, k int, sv []float64, vt *mat.Dense, shift []float64) error {
	linalg.FlipSigns(nil, vt, k)
	res.Components = vt
	res.finish(sv)
	res.Scores = &mat.Dense{}
	var scores *mat.Dense
	if f.plan.NLocal() > 0 {
		scores = mat.NewDense(f.plan.NLocal(), k, nil)
	}
	if err := f.scoresPass(scores, mat.DenseCopyOf(vt.T()), shift); err != nil {
		return err
	}
	if scores != nil {
		res.Scores = scores
	}
	return nil
}
