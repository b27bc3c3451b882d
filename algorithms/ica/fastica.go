package ica

import (
	"context"
	"fmt"
	"math"
	"runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/rng"
	"github.com/stemreduce/stemreduce/spmd"
)

// treeTag is the message tag of the block-tree reductions.
const treeTag = 1

// smallestNormal is numpy's finfo(float64).tiny, the clip of the eigenvalues in the
// symmetric decorrelation.
const smallestNormal = 0x1p-1022

// contrast evaluates g and g′ of a contrast function.
type contrast struct {
	fun   Fun
	alpha float64
}

// apply replaces every y_fi of the rows×k matrix y (row-major) by g(y_fi) and adds
// g′(y_fi) to gp[i]. It is the only place the contrast functions are evaluated, so both
// algorithms and every rank use the same bits.
func (c contrast) apply(y []float64, k int, gp []float64) {
	gp = gp[:k]
	switch c.fun {
	case LogCosh:
		a := c.alpha
		for f := 0; f+k <= len(y); f += k {
			row := y[f : f+k]
			for i, v := range row {
				t := tanh(a * v)
				row[i] = t
				gp[i] += a * (1 - t*t)
			}
		}
	case Exp:
		for f := 0; f+k <= len(y); f += k {
			row := y[f : f+k]
			for i, v := range row {
				v2 := v * v
				e := math.Exp(-v2 / 2)
				row[i] = v * e
				gp[i] += (1 - v2) * e
			}
		}
	case Cube:
		for f := 0; f+k <= len(y); f += k {
			row := y[f : f+k]
			for i, v := range row {
				v2 := v * v
				row[i] = v2 * v
				gp[i] += 3 * v2
			}
		}
	}
}

// tanh is 1 − 2/(e^{2x} + 1): one exponential instead of math.Tanh's polynomial and
// exponential branches, about twice as fast. Its absolute error is below 3e-16 for every
// x (for |x| ≪ 1 its relative error grows like ε/|x|, which does not matter here: the
// iteration uses g in sums, where absolute errors count). e^{2x} overflows to +Inf for
// x > 355 and gives exactly 1; underflows to 0 for x < −373 and gives exactly −1.
func tanh(x float64) float64 {
	return 1 - 2/(math.Exp(2*x)+1)
}

// chunkRows is the number of frames whose contrast values a kernel holds at once. It is
// a constant, so the summation order inside a block does not depend on anything else.
// With 64 rows, gonum's Dgemm keeps the products of K ≤ 64 components on the calling
// goroutine (it goes parallel from four 64×64 output blocks on, and then still sums every
// element in a fixed order); 128 and 256 measured no faster (BenchmarkParallelBlock*).
const chunkRows = 64

// parallelBlock adds, over the rows z_f of a block (rows×k, row-major), g(W·z_f)·z_fᵀ to
// the k×k matrix dst[:k·k] (row-major) and g′(W·z_f) to dst[k·k:k·k+k]. w is W, k×k
// row-major, and y scratch of at least chunkRows·k values. Per chunk of chunkRows frames
// it forms Y = Z_c·Wᵀ, applies g in place and adds g(Y)ᵀ·Z_c, both with the BLAS (Dgemm),
// so the bits depend only on the block and the BLAS implementation.
func parallelBlock(dst, z []float64, rows, k int, w, y []float64, con contrast) {
	gz := blas64.General{Rows: k, Cols: k, Stride: k, Data: dst[:k*k]}
	gp := dst[k*k : k*k+k]
	wg := blas64.General{Rows: k, Cols: k, Stride: k, Data: w[:k*k]}
	for lo := 0; lo < rows; lo += chunkRows {
		r := min(chunkRows, rows-lo)
		zc := blas64.General{Rows: r, Cols: k, Stride: k, Data: z[lo*k : (lo+r)*k]}
		yc := blas64.General{Rows: r, Cols: k, Stride: k, Data: y[:r*k]}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, zc, wg, 0, yc)
		con.apply(yc.Data, k, gp)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, yc, zc, 1, gz)
	}
}

// deflationBlock adds, over the rows z_f of a block, g(wᵀz_f)·z_f to dst[:k] and
// g′(wᵀz_f) to dst[k], by chunks of chunkRows frames with the BLAS (Dgemv); y is scratch
// of at least chunkRows values.
func deflationBlock(dst, z []float64, rows, k int, w, y []float64, con contrast) {
	gz := blas64.Vector{N: k, Inc: 1, Data: dst[:k]}
	wv := blas64.Vector{N: k, Inc: 1, Data: w[:k]}
	for lo := 0; lo < rows; lo += chunkRows {
		r := min(chunkRows, rows-lo)
		zc := blas64.General{Rows: r, Cols: k, Stride: k, Data: z[lo*k : (lo+r)*k]}
		yc := blas64.Vector{N: r, Inc: 1, Data: y[:r]}
		blas64.Gemv(blas.NoTrans, 1, zc, wv, 0, yc)
		con.apply(yc.Data, 1, dst[k:k+1])
		blas64.Gemv(blas.Trans, 1, zc, yc, 1, gz)
	}
}

// iteration holds what every FastICA iteration of one fit needs.
type iteration struct {
	ctx     context.Context
	c       collective.Comm
	plan    spmd.Plan
	k       int
	z       []float64 // whitened local rows, nLocal×k row-major
	con     contrast
	workers int

	parts   [][]float64    // one partial per local block, reused by every iteration
	scratch chan []float64 // one chunkRows·k buffer per worker
}

// reduce computes a partial of length n for every local block with fn(dst, z, y, rows),
// dst zeroed and y scratch of chunkRows·k values, and sums the partials of all ranks
// along the canonical block tree. Every rank returns the same bits; the result is a new
// slice. Cancellation of ctx on any rank is agreed before the reduction, so every rank
// returns its error together.
// Collective.
func (it *iteration) reduce(n int, fn func(dst, z, y []float64, rows int)) ([]float64, error) {
	if err := spmd.Agree(it.c, it.ctx.Err()); err != nil {
		return nil, err
	}
	p := it.plan
	nb := p.B1 - p.B0
	if len(it.parts) != nb || (nb > 0 && len(it.parts[0]) != n) {
		it.parts = make([][]float64, nb)
		buf := make([]float64, nb*n)
		for i := range it.parts {
			it.parts[i] = buf[i*n : (i+1)*n : (i+1)*n]
		}
	}
	k := it.k
	if it.scratch == nil {
		w := it.workers
		if w <= 0 {
			w = runtime.GOMAXPROCS(0)
		}
		it.scratch = make(chan []float64, w)
		for range w {
			it.scratch <- make([]float64, chunkRows*k)
		}
	}
	_ = spmd.Parallel(it.workers, nb, func(i int) error {
		dst := it.parts[i]
		clear(dst)
		r := p.BlockRange(p.B0 + i)
		lo := r.Beg - p.Beg
		y := <-it.scratch
		fn(dst, it.z[lo*k:(lo+r.Len())*k], y, r.Len())
		it.scratch <- y
		return nil
	})
	acc := collective.NewAccumulator[[]float64](collective.SumFloat64{N: n}, p.NBlocks, p.Size, p.Rank)
	for i, part := range it.parts {
		acc.Push(p.B0+i, part)
	}
	root, err := collective.ReduceAll(it.c, acc, treeTag)
	if err != nil {
		return nil, err
	}
	return append([]float64(nil), root...), nil
}

// parallel runs symmetric FastICA from w0 and returns the unmixing matrix. It sets
// res.Status, NIter and Lim.
// Collective.
func (it *iteration) parallel(res *Result, w0 *mat.Dense, tol float64, maxIter int) (*mat.Dense, error) {
	k := it.k
	n := float64(it.plan.N)
	w, err := symDecorrelate(w0)
	if err != nil {
		return nil, err
	}
	res.Status = IterationLimit
	w1 := mat.NewDense(k, k, nil)
	for iter := 1; iter <= maxIter; iter++ {
		wr := w.RawMatrix().Data // k×k, stride k
		sums, err := it.reduce(k*k+k, func(dst, z, y []float64, rows int) {
			parallelBlock(dst, z, rows, k, wr, y, it.con)
		})
		if err != nil {
			return nil, err
		}
		if !finite(sums) {
			return nil, fmt.Errorf("%w (iteration %d)", ErrDiverged, iter)
		}
		// W1 = E[g(Wz)zᵀ] − diag(E[g′(Wz)])·W.
		gp := sums[k*k:]
		for i := range k {
			for j := range k {
				w1.Set(i, j, sums[i*k+j]/n-gp[i]/n*w.At(i, j))
			}
		}
		wNew, err := symDecorrelate(w1)
		if err != nil {
			return nil, err
		}
		// lim = max_i | |⟨w1_i, w_i⟩| − 1 |.
		var lim float64
		for i := range k {
			var d float64
			for j := range k {
				d += wNew.At(i, j) * w.At(i, j)
			}
			lim = math.Max(lim, math.Abs(math.Abs(d)-1))
		}
		w = wNew
		res.NIter, res.Lim = iter, lim
		if lim < tol {
			res.Status = Converged
			break
		}
	}
	return w, nil
}

// deflation runs deflationary FastICA from w0 and returns the unmixing matrix. It sets
// res.Status, NIter, ComponentIter and Lim.
// Collective.
func (it *iteration) deflation(res *Result, w0 *mat.Dense, tol float64, maxIter int) (*mat.Dense, error) {
	k := it.k
	n := float64(it.plan.N)
	w := mat.NewDense(k, k, nil)
	res.Status = Converged
	res.ComponentIter = make([]int, k)
	wj := make([]float64, k)
	w1 := make([]float64, k)
	for j := range k {
		mat.Row(wj, j, w0)
		norm := math.Sqrt(dot(wj, wj))
		for i := range wj {
			wj[i] /= norm
		}
		var lim float64
		iter := 0
		converged := false
		for iter < maxIter {
			iter++
			sums, err := it.reduce(k+1, func(dst, z, y []float64, rows int) {
				deflationBlock(dst, z, rows, k, wj, y, it.con)
			})
			if err != nil {
				return nil, err
			}
			if !finite(sums) {
				return nil, fmt.Errorf("%w (component %d, iteration %d)", ErrDiverged, j, iter)
			}
			// w1 = E[z·g(wᵀz)] − E[g′(wᵀz)]·w, then Gram–Schmidt against the rows found
			// (classical: all projections from w1 as it is) and normalisation.
			gp := sums[k] / n
			for i := range w1 {
				w1[i] = sums[i]/n - gp*wj[i]
			}
			proj := make([]float64, j)
			for r := range j {
				proj[r] = dot(w1, w.RawRowView(r))
			}
			for r := range j {
				row := w.RawRowView(r)
				for i := range w1 {
					w1[i] -= proj[r] * row[i]
				}
			}
			norm := math.Sqrt(dot(w1, w1))
			for i := range w1 {
				w1[i] /= norm
			}
			if !finite(w1) {
				return nil, fmt.Errorf("%w (component %d, iteration %d)", ErrDiverged, j, iter)
			}
			lim = math.Abs(math.Abs(dot(w1, wj)) - 1)
			copy(wj, w1)
			if lim < tol {
				converged = true
				break
			}
		}
		w.SetRow(j, wj)
		res.ComponentIter[j] = iter
		res.NIter = max(res.NIter, iter)
		res.Lim = math.Max(res.Lim, lim)
		if !converged {
			res.Status = IterationLimit
		}
	}
	return w, nil
}

// symDecorrelate returns (W·Wᵀ)^(−1/2)·W, from the eigendecomposition W·Wᵀ = U·diag(s)·Uᵀ
// with s clipped below at the smallest normal float64, as scikit-learn does.
func symDecorrelate(w mat.Matrix) (*mat.Dense, error) {
	k, _ := w.Dims()
	var wwt mat.SymDense
	wwt.SymOuterK(1, w)
	s, u, err := linalg.EigenSym(&wwt)
	if err != nil {
		return nil, err
	}
	// (U·diag(1/√s))·(Uᵀ·W)
	us := mat.DenseCopyOf(u)
	for j, v := range s {
		f := 1 / math.Sqrt(math.Max(v, smallestNormal))
		for i := range k {
			us.Set(i, j, us.At(i, j)*f)
		}
	}
	var utw, out mat.Dense
	utw.Mul(u.T(), w)
	out.Mul(us, &utw)
	return &out, nil
}

// initial returns the K×K initial unmixing matrix: s.Init, or row i the first k normal
// values of rng stream (Seed, rng.Init, i).
func initial(s Settings, k int) *mat.Dense {
	if s.Init != nil {
		return mat.DenseCopyOf(s.Init)
	}
	w := mat.NewDense(k, k, nil)
	var st rng.Stream
	for i := range k {
		st.Reset(s.Seed, rng.Init, uint64(i))
		row := w.RawRowView(i)
		for j := range row {
			row[j] = st.Normal()
		}
	}
	return w
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
