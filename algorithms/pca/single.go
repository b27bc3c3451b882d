package pca

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/rng"
	"github.com/stemreduce/stemreduce/spmd"
)

// Psi returns rows [beg, end) of Ψᵀ, the transpose of the s×N co-range test matrix of the
// single-pass solver, as an (end − beg)×s matrix: row i holds the first s standard normal
// values of the stream (seed, rng.CoRangeMatrix, beg + i), so the column of Ψ that belongs
// to a frame depends on the seed and the frame's global index alone, never on a rank, and
// its first entries do not change with s.
func Psi(seed uint64, beg, end, s int) *mat.Dense {
	if end <= beg || s < 1 {
		panic("pca: Psi of an empty range")
	}
	p := mat.NewDense(end-beg, s, nil)
	var st rng.Stream
	for i := beg; i < end; i++ {
		st.Reset(seed, rng.CoRangeMatrix, uint64(i))
		row := p.RawRowView(i - beg)
		for c := range row {
			row[c] = st.Normal()
		}
	}
	return p
}

// coSketchSize returns the rows s of the co-range sketch for a range sketch of l columns:
// 2l + 1, the choice Tropp, Yurtsever, Udell & Cevher (2017, §4.5) recommend for a given
// storage budget; it makes the expected error of the least-squares step equal to the error
// of the projection onto range(Y) (see the package documentation).
func coSketchSize(l int) int { return 2*l + 1 }

// singlePass is the single-pass solver (Settings.Passes = 1): one read of the data gives
// both the fused product of the randomized solver with q = 0 and the co-range sketch of
// Tropp, Yurtsever, Udell & Cevher (2017, Algorithm 4 and §5), with implicit centring.
// With A = X − 1·shiftᵀ (shift = μ, or 0 with NoCenter), l = min(K + p, N, D), s = 2l + 1,
// Ω (D×l, rows keyed by pixel) and Ψ (s×N, columns keyed by frame):
//
//	pass 1:   moments;  this rank's rows of Y = A·Ω  (each block's rows about the block
//	          mean, moved to shift once the pass has given μ);  P = (AᵀA·Ω)ᵀ = Yᵀ·A (l×D),
//	          W = Ψ·A (s×D) and Ψ·1, per block about the block mean, merged along the block
//	          tree with the exact updates of linalg.DualSketchMerger
//	no pass:  Y = Q·R (TSQR, explicit Q)
//	no pass:  B = Qᵀ·A = R⁻ᵀ·P                        if cond(R) ≤ MaxFusedCond
//	          B = (ΨQ)⁺·W by a Householder QR of ΨQ    otherwise, with ΨQ = Σ_blocks Ψ_b·Q_b
//	          (s×l) along the block tree, Ψ_b regenerated from the counter-based stream
//	no pass:  B = U·S·Vᵀ;  components = Vᵀ[:K],  scores = Q·U[:, :K]·S[:K]
//
// so A ≈ Q·B with every frame read once. The first form is the randomized solver's with
// q = 0, bit for bit (the same kernels, in the same order, and the same merges); the second
// is Tropp et al.'s, which stays meaningful when Y is numerically rank-deficient.
func (f *fitter) singlePass(res *Result, s Settings) error {
	n, d := f.plan.N, f.d
	l, _ := sketchSize(s, n, d)
	cs := coSketchSize(l)
	res.Sketch, res.CoSketch = l, cs
	nLocal := f.plan.NLocal()
	var y *mat.Dense
	if nLocal > 0 {
		y = mat.NewDense(nLocal, l, nil)
	}
	omegaT := mat.DenseCopyOf(Omega(s.Seed, d, l).T())
	means := make([][]float64, f.plan.B1-f.plan.B0) // mean_bᵀ·Ω of every local block
	part, err := reduce(f, "pca single pass", linalg.DualSketchMerger{OmegaT: omegaT}, func(b spmd.Block) (*linalg.DualSketch, error) {
		x := f.scratch()
		defer f.release(x)
		psiT := Psi(s.Seed, b.Frames.Beg, b.Frames.End, cs)
		p, bad := linalg.DualSketchFrames(b.Data, b.Frames.Len(), d, omegaT, psiT, f.localRows(y, b), x)
		if bad >= 0 {
			return nil, badFrame{b.Frames.Beg + bad}
		}
		t := make([]float64, l)
		blas64.Gemv(blas.NoTrans, 1, omegaT.RawMatrix(), vec(p.Mean), 0, vec(t))
		means[b.Index-f.plan.B0] = t
		return p, nil
	})
	if err != nil {
		return err
	}
	shift, err := res.moments(&part.Moments, s.NoCenter)
	if err != nil {
		return err
	}
	// Y: the rows of block b += (mean_b − shift)ᵀ·Ω.
	mu := make([]float64, l)
	blas64.Gemv(blas.NoTrans, 1, omegaT.RawMatrix(), vec(shift), 0, vec(mu))
	for i, t := range means {
		for j := range t {
			t[j] -= mu[j]
		}
		r := f.plan.BlockRange(f.plan.B0 + i)
		addRow(y.Slice(r.Beg-f.plan.Beg, r.End-f.plan.Beg, 0, l).(*mat.Dense), t)
	}

	// Orthonormal basis of the range of Y.
	var r, qm mat.Dense
	if err := f.rangeBasis(y, &r, &qm, res); err != nil {
		return err
	}
	if res.SketchCond <= fusedCond {
		// Rᵀ·B = P, as the randomized solver does for q = 0.
		b := product(&part.CoMoment, omegaT, s.NoCenter)
		rr := r.RawMatrix()
		blas64.Trsm(blas.Left, blas.Trans, 1, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: rr.Rows, Data: rr.Data, Stride: rr.Stride}, b.RawMatrix())
		return f.finishSketch(res, &qm, b)
	}
	res.CoRangeSolve = true
	// W = Ψ·(X − 1·shiftᵀ) = Ψ·Xc + (Ψ·1)·(μ − shift)ᵀ: a rank-one term without centring.
	w := part.W
	if s.NoCenter {
		blas64.Ger(1, vec(part.G), vec(part.Mean), w.RawMatrix())
	}

	// ΨQ = Σ_blocks Ψ_b·Q_b along the block tree: no data are read.
	parts := make([]*mat.Dense, f.plan.B1-f.plan.B0)
	if err := spmd.Parallel(f.workers(), len(parts), func(i int) error {
		rg := f.plan.BlockRange(f.plan.B0 + i)
		qb := qm.Slice(rg.Beg-f.plan.Beg, rg.End-f.plan.Beg, 0, l).(*mat.Dense)
		pq := mat.NewDense(cs, l, nil)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, Psi(s.Seed, rg.Beg, rg.End, cs).RawMatrix(), qb.RawMatrix(), 0, pq.RawMatrix())
		parts[i] = pq
		return nil
	}); err != nil {
		return err
	}
	acc := collective.NewAccumulator[*mat.Dense](linalg.SumMerger{}, f.plan.NBlocks, f.plan.Size, f.plan.Rank)
	for i, p := range parts {
		acc.Push(f.plan.B0+i, p)
	}
	psiQ, err := collective.ReduceAll(f.c, acc, tagReduce)
	if err != nil {
		return err
	}

	// X̂ = (ΨQ)⁺·W = R₂⁻¹·Q₂ᵀ·W with ΨQ = Q₂·R₂ (s ≥ l: ΨQ has full column rank with
	// probability one, Q being orthonormal and Ψ Gaussian).
	var q2, r2 mat.Dense
	linalg.ThinQR(&q2, &r2, psiQ)
	xh := mat.NewDense(l, d, nil)
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, q2.RawMatrix(), w.RawMatrix(), 0, xh.RawMatrix())
	rr := r2.RawMatrix()
	blas64.Trsm(blas.Left, blas.NoTrans, 1, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: rr.Rows, Data: rr.Data, Stride: rr.Stride}, xh.RawMatrix())
	return f.finishSketch(res, &qm, xh)
}
