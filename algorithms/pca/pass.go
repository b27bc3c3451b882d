package pca

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// tagReduce is the message tag of the block-tree reductions of the data passes.
const tagReduce = 1

// NonFiniteError reports a frame holding NaN or ±Inf. Every rank returns it, with the
// same Frame: the lowest global index of a bad frame in the dataset that the pass read.
type NonFiniteError struct {
	Frame int // global frame index
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("pca: frame %d holds a NaN or infinite value", e.Frame)
}

// fitter carries what every pass of one Fit needs.
type fitter struct {
	ctx    context.Context
	c      collective.Comm
	env    *spmd.Env
	plan   spmd.Plan
	d      int
	src    spmd.Source
	passes int
	pool   sync.Pool // *[]float64 scratch of linalg.RowChunk frames
	pool32 sync.Pool // *[]float32 scratch of the float32 kernels (linalg.Scratch32)

	// The sparse forms of the local blocks kept between passes (nil: none kept), and the
	// memory left for them (Settings.SparseBytes).
	sparse     []*linalg.SparseBlock
	sparseLeft atomic.Int64
}

// keepSparse makes the first pass after it keep the sparse forms of the blocks, in up to
// limit bytes.
func (f *fitter) keepSparse(limit int64) {
	if limit <= 0 || f.plan.NLocal() == 0 {
		return
	}
	f.sparse = make([]*linalg.SparseBlock, f.plan.B1-f.plan.B0)
	for i := range f.sparse {
		f.sparse[i] = &linalg.SparseBlock{}
	}
	f.sparseLeft.Store(limit)
}

// sparseBlock returns the kept sparse forms of block b, or nil.
func (f *fitter) sparseBlock(b spmd.Block) *linalg.SparseBlock {
	if f.sparse == nil {
		return nil
	}
	return f.sparse[b.Index-f.plan.B0]
}

// charge counts the sparse forms that the first pass kept of block b against the memory
// left for them, and drops them (later passes list the values again) if they do not fit.
func (f *fitter) charge(b spmd.Block, sb *linalg.SparseBlock) {
	if sb == nil {
		return
	}
	if f.sparseLeft.Add(-sb.Bytes()) < 0 {
		f.sparse[b.Index-f.plan.B0] = nil
	}
}

// sparseKept returns the bytes of the sparse forms kept on this rank and the number of
// blocks that have them.
func (f *fitter) sparseKept() (bytes int64, blocks int) {
	for _, sb := range f.sparse {
		if n := sb.Bytes(); n > 0 {
			bytes += n
			blocks++
		}
	}
	return bytes, blocks
}

func (f *fitter) workers() int {
	if f.env == nil || f.env.Workers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return f.env.Workers
}

// scratch returns a buffer of linalg.RowChunk frames of float64 from the pool.
func (f *fitter) scratch() []float64 {
	if v, ok := f.pool.Get().(*[]float64); ok {
		return *v
	}
	return make([]float64, linalg.RowChunk*f.d)
}

func (f *fitter) release(s []float64) { f.pool.Put(&s) }

// scratch32 returns a float32 buffer of at least n values from the pool.
func (f *fitter) scratch32(n int) []float32 {
	if v, ok := f.pool32.Get().(*[]float32); ok && len(*v) >= n {
		return *v
	}
	return make([]float32, n)
}

func (f *fitter) release32(s []float32) { f.pool32.Put(&s) }

// chunks calls fn for the frames of block b linalg.RowChunk at a time, converted to
// float64 minus shift (nil: none) in x, with r0 the first frame's index in the block. It
// returns a badFrame error for a frame holding a NaN or an infinity.
func (f *fitter) chunks(b spmd.Block, shift []float64, fn func(x *mat.Dense, r0 int)) error {
	buf := f.scratch()
	defer f.release(buf)
	n := b.Frames.Len()
	for r0 := 0; r0 < n; r0 += linalg.RowChunk {
		r1 := min(r0+linalg.RowChunk, n)
		if bad := linalg.FramesTo(buf, b.Data[r0*f.d:r1*f.d], r1-r0, f.d, shift); bad >= 0 {
			return badFrame{b.Frames.Beg + r0 + bad}
		}
		fn(mat.NewDense(r1-r0, f.d, buf[:(r1-r0)*f.d]), r0)
	}
	return nil
}

// badFrame is the local error of a block function that met a non-finite frame.
type badFrame struct{ frame int }

func (e badFrame) Error() string { return fmt.Sprintf("pca: frame %d is not finite", e.frame) }

// agree turns the local outcome of a pass into the same decision on every rank: an I/O or
// cancellation error is agreed with spmd.Agree, and a non-finite frame becomes a
// *NonFiniteError with the globally first bad frame on every rank (an allreduce of the
// minimum frame index), so every rank can inspect it with errors.As.
// Collective.
func (f *fitter) agree(err error) error {
	bad := int64(f.plan.N)
	var bf badFrame
	if errors.As(err, &bf) {
		bad, err = int64(bf.frame), nil
	}
	if err = spmd.Agree(f.c, err); err != nil {
		return err
	}
	flag := []int64{bad}
	if err := f.c.AllreduceInt64(flag, collective.Min); err != nil {
		return err
	}
	if flag[0] < int64(f.plan.N) {
		return spmd.WithCode(spmd.ExitInput, &NonFiniteError{Frame: int(flag[0])})
	}
	return nil
}

// reduce runs one pass that computes a partial per block and combines the partials along
// the canonical block tree; every rank returns the same bits. It is spmd.Reduce with at
// most Workers partials in flight instead of a whole tile of them, which matters when a
// partial is a D×m or D×D matrix. The block function fn returns a badFrame error for a
// non-finite frame.
// Collective.
func reduce[T any](f *fitter, name string, m collective.Merger[T], fn func(spmd.Block) (T, error)) (T, error) {
	f.passes++
	acc := collective.NewAccumulator(m, f.plan.NBlocks, f.plan.Size, f.plan.Rank)
	w := f.workers()
	err := spmd.Stream(f.ctx, f.env, name, f.plan, f.d, f.src, func(blocks []spmd.Block) error {
		for g := 0; g < len(blocks); g += w {
			grp := blocks[g:min(g+w, len(blocks))]
			parts := make([]T, len(grp))
			if err := spmd.Parallel(w, len(grp), func(i int) (err error) {
				parts[i], err = fn(grp[i])
				return err
			}); err != nil {
				return err
			}
			for i, b := range grp {
				acc.Push(b.Index, parts[i])
			}
		}
		return nil
	})
	var zero T
	if err = f.agree(err); err != nil {
		return zero, err
	}
	return collective.ReduceAll(f.c, acc, tagReduce)
}

// stream runs one pass without a reduction: fn is called for every block, blocks of a
// tile in parallel.
// Collective (the error is agreed).
func (f *fitter) stream(name string, fn func(spmd.Block) error) error {
	f.passes++
	err := spmd.Stream(f.ctx, f.env, name, f.plan, f.d, f.src, func(blocks []spmd.Block) error {
		return spmd.Parallel(f.workers(), len(blocks), func(i int) error { return fn(blocks[i]) })
	})
	return f.agree(err)
}

// localRows returns the rows of block b in a matrix of this rank's frames.
func (f *fitter) localRows(a *mat.Dense, b spmd.Block) *mat.Dense {
	_, c := a.Dims()
	off := b.Frames.Beg - f.plan.Beg
	return a.Slice(off, off+b.Frames.Len(), 0, c).(*mat.Dense)
}

// sketchPass is one fused pass with test matrix Ω, given as omegaT = Ωᵀ (m×D): the
// CoMoment of all frames, whose P is (Xcᵀ·Xc·Ω)ᵀ, and, if y is not nil (nLocal×m; nil on a
// rank without frames), the sketch rows (X − 1·shiftᵀ)·Ω of this rank's frames. Each
// block's rows are computed about the block mean and then moved to shift by adding
// (mean_b − shift)ᵀ·Ω. A nil shift means the mean of the data, which this pass computes:
// the rows are then corrected after the reduction, from the terms mean_bᵀ·Ω kept per block.
// Collective.
func (f *fitter) sketchPass(name string, omegaT, y *mat.Dense, shift []float64) (*linalg.CoMoment, error) {
	m, _ := omegaT.Dims()
	var later [][]float64 // mean_bᵀ·Ω per local block, when shift is not yet known
	if y != nil && shift == nil {
		later = make([][]float64, f.plan.B1-f.plan.B0)
	}
	part, err := reduce(f, name, linalg.CoMomentMerger{OmegaT: omegaT}, func(b spmd.Block) (*linalg.CoMoment, error) {
		n := b.Frames.Len()
		x := f.scratch()
		defer f.release(x)
		var yb *mat.Dense
		if y != nil {
			yb = f.localRows(y, b)
		}
		p, bad := linalg.CoMomentFrames(b.Data, n, f.d, omegaT, yb, x)
		if bad >= 0 {
			return nil, badFrame{b.Frames.Beg + bad}
		}
		if y == nil {
			return p, nil
		}
		off := make([]float64, f.d)
		if shift == nil {
			copy(off, p.Mean)
		} else {
			for j := range off {
				off[j] = p.Mean[j] - shift[j]
			}
		}
		t := make([]float64, m)
		blas64.Gemv(blas.NoTrans, 1, omegaT.RawMatrix(), vec(off), 0, vec(t))
		if later != nil {
			later[b.Index-f.plan.B0] = t
			return p, nil
		}
		addRow(yb, t)
		return p, nil
	})
	if err != nil || later == nil {
		return part, err
	}
	// shift is the mean: rows += mean_bᵀΩ − meanᵀΩ.
	mu := make([]float64, m)
	blas64.Gemv(blas.NoTrans, 1, omegaT.RawMatrix(), vec(part.Mean), 0, vec(mu))
	for i, t := range later {
		for j := range t {
			t[j] -= mu[j]
		}
		r := f.plan.BlockRange(f.plan.B0 + i)
		addRow(y.Slice(r.Beg-f.plan.Beg, r.End-f.plan.Beg, 0, m).(*mat.Dense), t)
	}
	return part, nil
}

// shiftedPass is a float64 pass after the first, with the shift known: it returns
// (Aᵀ·A·Ω)ᵀ (m×D) with A = X − 1·shiftᵀ and Ωᵀ = omegaT (m×D), and stores this rank's
// rows A·Ω in y (nLocal×m; nil on a rank without frames), block by block
// (linalg.ShiftedFrames), the block products summed along the block tree.
// Collective.
func (f *fitter) shiftedPass(name string, omegaT, y *mat.Dense, shift []float64) (*mat.Dense, error) {
	so := linalg.NewShifted(omegaT, shift) // once per pass
	r := newRecycler()
	return reduce(f, name, r, func(b spmd.Block) (*mat.Dense, error) {
		x := f.scratch()
		defer f.release(x)
		var yb *mat.Dense
		if y != nil {
			yb = f.localRows(y, b)
		}
		p, bad := so.FramesTo(r.get(), b.Data, b.Frames.Len(), f.d, yb, x, f.sparseBlock(b))
		if bad >= 0 {
			return nil, badFrame{b.Frames.Beg + bad}
		}
		return p, nil
	})
}

// sketchPass32 is an intermediate first pass: the CoMoment of all frames with Ωᵀ = o.T,
// whose P is (Xcᵀ·Xc·Ω)ᵀ, each block centred about its own mean and multiplied in float32
// (linalg.Omega32), the partials merged in float64.
// Collective.
func (f *fitter) sketchPass32(name string, o linalg.Omega32) (*linalg.CoMoment, error) {
	m, _ := o.T.Dims()
	return reduce(f, name, linalg.CoMomentMerger{OmegaT: o.T}, func(b spmd.Block) (*linalg.CoMoment, error) {
		x := f.scratch32(linalg.Scratch32(m, f.d))
		defer f.release32(x)
		sb := f.sparseBlock(b)
		p, bad := o.CoMomentFrames(b.Data, b.Frames.Len(), f.d, x, sb)
		f.charge(b, sb)
		if bad >= 0 {
			return nil, badFrame{b.Frames.Beg + bad}
		}
		return p, nil
	})
}

// powerPass32 is an intermediate pass of the power iteration after the first: it returns
// (Aᵀ·A·Ω)ᵀ (m×D) with A = X − 1·shiftᵀ and Ωᵀ = o.T, the products of every block's frames
// computed in float32 and centred by rank-one corrections in float64
// (linalg.Omega32.ProductFrames), the block products summed in float64 along the block
// tree.
// Collective.
func (f *fitter) powerPass32(name string, o linalg.Omega32, shift []float64) (*mat.Dense, error) {
	m, _ := o.T.Dims()
	so := o.Shift(shift) // Ωᵀ·shift, once per pass
	r := newRecycler()
	return reduce(f, name, r, func(b spmd.Block) (*mat.Dense, error) {
		x := f.scratch32(linalg.Scratch32(m, f.d))
		defer f.release32(x)
		p, bad := so.ProductFramesTo(r.get(), b.Data, b.Frames.Len(), f.d, x, f.sparseBlock(b))
		if bad >= 0 {
			return nil, badFrame{b.Frames.Beg + bad}
		}
		return p, nil
	})
}

// recycler is the SumMerger of a pass whose block partials are equally shaped matrices:
// the right-hand partial of a merge, which the block tree does not retain
// (collective.Merger), goes to a pool from which the block functions of the pass take
// the matrices of their partials (they overwrite every value). A pass then allocates
// about as many partials as it holds at a time, not one per block.
type recycler struct {
	linalg.SumMerger
	pool *sync.Pool
}

func newRecycler() recycler { return recycler{pool: &sync.Pool{}} }

// Merge implements collective.Merger.
func (r recycler) Merge(a, b *mat.Dense) *mat.Dense {
	a = r.SumMerger.Merge(a, b)
	r.pool.Put(b)
	return a
}

// get returns a matrix from the pool, or nil.
func (r recycler) get() *mat.Dense {
	if m, ok := r.pool.Get().(*mat.Dense); ok {
		return m
	}
	return nil
}

// addRow adds t to every row of a.
func addRow(a *mat.Dense, t []float64) {
	raw := a.RawMatrix()
	for i := range raw.Rows {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		row = row[:len(t)]
		for j, v := range t {
			row[j] += v
		}
	}
}

func vec(s []float64) blas64.Vector { return blas64.Vector{N: len(s), Data: s, Inc: 1} }

// projectPass computes B = Qᵀ·(X − 1·shiftᵀ) (m×D) for this rank's rows q (nLocal×m) of
// an N×m matrix Q, summed along the block tree.
// Collective.
func (f *fitter) projectPass(q *mat.Dense, m int, shift []float64) (*mat.Dense, error) {
	return reduce(f, "pca project", linalg.SumMerger{}, func(b spmd.Block) (*mat.Dense, error) {
		out := mat.NewDense(m, f.d, nil)
		qb := f.localRows(q, b)
		err := f.chunks(b, shift, func(x *mat.Dense, r0 int) {
			r, _ := x.Dims()
			qc := qb.Slice(r0, r0+r, 0, m).(*mat.Dense)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, qc.RawMatrix(), x.RawMatrix(), 1, out.RawMatrix())
		})
		return out, err
	})
}

// scoresPass stores (X − 1·shiftᵀ)·V for this rank's frames in scores (nLocal×k), with
// v D×k, block by block.
// Collective.
func (f *fitter) scoresPass(scores, v *mat.Dense, shift []float64) error {
	return f.stream("pca scores", func(b spmd.Block) error {
		var sb *mat.Dense
		if scores != nil {
			sb = f.localRows(scores, b)
		}
		_, k := v.Dims()
		return f.chunks(b, shift, func(x *mat.Dense, r0 int) {
			r, _ := x.Dims()
			sc := sb.Slice(r0, r0+r, 0, k).(*mat.Dense)
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, x.RawMatrix(), v.RawMatrix(), 0, sc.RawMatrix())
		})
	})
}
