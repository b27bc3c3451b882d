package ica

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"

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

// apply replaces every y_fi of the rows×k matrix y (row-major, row stride stride ≥ k;
// the values of the padding lanes i ≥ k are zero and stay zero, since g(0) = 0) by
// g(y_fi) and adds g′(y_fi) to gp[i], summed over the rows in order. It is the only
// place the contrast functions are evaluated, so both algorithms and every rank use the
// same bits.
func (c contrast) apply(y []float64, stride, k int, gp []float64) {
	gp = gp[:k]
	switch c.fun {
	case LogCosh:
		a := c.alpha
		tanhSlice(y, a)
		// g′ by columns, each summed over the rows in order: the bits of a row-by-row loop,
		// with the sum held in a register.
		for i := range gp {
			s := gp[i]
			for f := i; f < len(y); f += stride {
				t := y[f]
				s += a * (1 - t*t)
			}
			gp[i] = s
		}
	case Exp:
		applyExp(y, stride, k, gp)
	case Cube:
		for f := 0; f+stride <= len(y); f += stride {
			row := y[f : f+k]
			for i, v := range row {
				v2 := v * v
				row[i] = v2 * v
				gp[i] += 3 * v2
			}
		}
	}
}

// chunkRows is the number of frames whose contrast values a kernel holds at once. It is
// a constant, so the summation order inside a block does not depend on anything else
// (for the parallel kernel the chunking does not change the order at all). With 64 rows,
// gonum's Dgemv of the deflation kernel stays on the calling goroutine.
const chunkRows = 64

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
		con.apply(yc.Data, 1, 1, dst[k:k+1])
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

	parts   [][]float64 // one partial per local block, reused by every iteration
	scratch [][]float64 // one buffer of scratchLen(k) values per worker
	root    []float64   // the reduced sums, reused by every iteration
}

// reduce computes a partial of length n for every local block with fn(dst, z, y, rows),
// dst zeroed and y scratch of scratchLen(k) ≥ chunkRows values, and sums the partials of
// all ranks along the canonical block tree. Every rank returns the same bits. The result
// is valid until the next call. Cancellation of ctx on any rank is agreed before the
// reduction, so every rank returns its error together. The workers take blocks one at a
// time from a shared counter, each with its own scratch; which worker computes a block
// does not change its bits.
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
		it.scratch = make([][]float64, min(w, max(nb, 1)))
		for i := range it.scratch {
			it.scratch[i] = make([]float64, scratchLen(k))
		}
	}
	var next atomic.Int64
	_ = spmd.Parallel(len(it.scratch), len(it.scratch), func(w int) error {
		y := it.scratch[w]
		for {
			i := int(next.Add(1) - 1)
			if i >= nb {
				return nil
			}
			dst := it.parts[i]
			clear(dst)
			r := p.BlockRange(p.B0 + i)
			lo := r.Beg - p.Beg
			fn(dst, it.z[lo*k:(lo+r.Len())*k], y, r.Len())
		}
	})
	acc := collective.NewAccumulator[[]float64](collective.SumFloat64{N: n}, p.NBlocks, p.Size, p.Rank)
	for i, part := range it.parts {
		acc.Push(p.B0+i, part)
	}
	root, err := collective.ReduceAll(it.c, acc, treeTag)
	if err != nil {
		return nil, err
	}
	it.root = append(it.root[:0], root...)
	return it.root, nil
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
	pk := newParKernel(k)
	for iter := 1; iter <= maxIter; iter++ {
		pk.set(w.RawMatrix().Data) // k×k, stride k
		sums, err := it.reduce(k*k+k, func(dst, z, y []float64, rows int) {
			parallelBlock(dst, z, rows, pk, y, it.con)
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
