package linalg

import (
	"math"
	"slices"
	"sync"
)

// Sparse products. Detector frames of electron counts are mostly zeros: at 20000
// electrons on 128×128 pixels three values in four are. A row chunk whose share of
// non-zero values is at most sparseDensity is multiplied in its sparse form (csc:
// compressed columns) instead of by a dense GEMM: its sketch rows Y = X·Ω add up the rows
// of Ω of the chunk's non-zero values (gather), and Pᵀ = Xᵀ·Y adds up, for every pixel
// with values, those values times their sketch rows (scatter). The work is then
// proportional to the non-zero values, and Ω and Pᵀ are read in order. Centring stays
// implicit: the chunk is multiplied as it is and corrected by rank-one terms about a
// shift, as Omega32.ProductFrames does.
//
// The choice depends only on the chunk's values (chunks are sparseRows frames of a block),
// so it is the same on every rank and every CPU, and so are the bits. A SparseBlock keeps
// the sparse forms of a block from one pass to the next, which then skip listing the
// non-zero values again; that changes the time, never the bits.

// sparseDensity is the largest share of non-zero values of a row chunk that the sparse
// kernels multiply. Above it the dense GEMM is faster (BenchmarkSparseProducts).
const sparseDensity = 0.5

// sparseRows is the number of rows of a sparse chunk (the dense kernels take RowChunk at
// a time): the kernels stream Ω and Pᵀ once per chunk, so larger chunks read them less
// often; a row index of a chunk fits a byte.
const sparseRows = 256

// rowPatterns lists the non-zero values of the rows of a chunk: row r's are at the
// indices idx[off[r]:off[r+1]].
type rowPatterns struct {
	idx []int32
	off [sparseRows + 1]int
}

// row returns the indices of the non-zero values of row r.
func (p *rowPatterns) row(r int) []int32 { return p.idx[p.off[r]:p.off[r+1]] }

// pack lists the non-zero values of the rows of data (rows×d) and reports whether they
// are at most sparseDensity of all; it stops listing as soon as they are not.
func (p *rowPatterns) pack(data []float32, rows, d int) bool {
	limit := int(sparseDensity * float64(rows*d))
	n := 0
	for r := range rows {
		p.off[r] = n
		n += pack(data[r*d:(r+1)*d], p.idx[n:n+d])
		if n > limit {
			return false
		}
	}
	p.off[rows] = n
	return true
}

// panelWidth returns m rounded up to a whole number of panels of width p.
func panelWidth(m, p int) int { return (m + p - 1) / p * p }

// build stores the chunk (data, rows×d, patterns pat) in a: the entries of every column
// in row order. It reuses a's memory. The entries are placed a tile of buildTile columns
// at a time, so that the column cursors and the entries being written stay in cache.
func (a *csc) build(data []float32, pat *rowPatterns, rows, d int) {
	nnz := pat.off[rows]
	a.rows = rows
	a.ptr = slices.Grow(a.ptr[:0], d+1)[:d+1]
	a.row = slices.Grow(a.row[:0], nnz)[:nnz]
	a.val = slices.Grow(a.val[:0], nnz)[:nnz]
	clear(a.ptr)
	for _, j := range pat.idx[:nnz] {
		a.ptr[j+1]++
	}
	for j := range d {
		a.ptr[j+1] += a.ptr[j]
	}
	next := a.ptr[:d] // the next free entry of each column; shifted back below
	var cur [sparseRows]int
	copy(cur[:], pat.off[:rows])
	for end := buildTile; end < d+buildTile; end += buildTile {
		for r := range rows {
			x, idx := data[r*d:(r+1)*d], pat.idx[cur[r]:pat.off[r+1]]
			t := 0
			for ; t < len(idx) && int(idx[t]) < end; t++ {
				j := idx[t]
				e := next[j]
				a.row[e], a.val[e] = uint8(r), x[j]
				next[j]++
			}
			cur[r] += t
		}
	}
	// next[j] now holds the end of column j, the start of j+1.
	copy(a.ptr[1:], a.ptr[:d])
	a.ptr[0] = 0
}

// buildTile is the number of columns csc.build places at a time.
const buildTile = 1024

// addSums adds the chunk's column sums to sum, each in row order.
func (a *csc) addSums(sum []float64) {
	for j := range sum {
		s := sum[j]
		for _, v := range a.val[a.ptr[j]:a.ptr[j+1]] {
			s += float64(v)
		}
		sum[j] = s
	}
}

// addM2 adds the squared deviations of the chunk's values from mom.Mean to mom.M2,
// column by column: those of the non-zero values, then (rows − their number)·mean² for
// the zeros.
func (a *csc) addM2(mom *Moments) {
	for j, mu := range mom.Mean {
		var s float64
		for _, v := range a.val[a.ptr[j]:a.ptr[j+1]] {
			c := float64(v) - mu
			s += c * c
		}
		zeros := float64(a.rows - int(a.ptr[j+1]-a.ptr[j]))
		mom.M2[j] += s + zeros*mu*mu
	}
}

// bytes returns the memory of a.
func (a *csc) bytes() int64 { return int64(cap(a.ptr))*4 + int64(cap(a.row)) + int64(cap(a.val))*4 }

// SparseBlock keeps the sparse forms of a block's row chunks between the passes of a fit
// whose frames do not change from one pass to the next. The first pass with it lists the
// non-zero values of the block and keeps them; the later ones read them instead. A nil
// *SparseBlock keeps nothing. The zero value is ready to use.
type SparseBlock struct {
	chunks []*csc // per row chunk; nil for a dense one
	done   bool
}

// Bytes returns the memory b holds (0 for a nil b).
func (b *SparseBlock) Bytes() int64 {
	if b == nil {
		return 0
	}
	var n int64
	for _, a := range b.chunks {
		if a != nil {
			n += a.bytes()
		}
	}
	return n
}

// fill lists the sparse forms of every row chunk of the block (data, n×d) in b, unless b
// holds them already.
func (b *SparseBlock) fill(data []float32, n, d int) {
	walkChunks(b, data, n, d, func(int, *csc) int { return -1 }, func(int, int) int { return -1 })
}

// walkChunks runs the row chunks of a block (data, n×d) in order: sparse(r0, a) for a
// chunk of sparseRows frames from r0 whose sparse form is a, and dense(q0, q1) for the
// pieces of at most RowChunk frames of the other chunks. The sparse forms come from sb
// when it holds the block, else they are listed (and kept in sb if it is not nil, which
// then holds the block if the walk got through). It returns the first bad frame a
// function reports (its index from 0), or −1.
func walkChunks(sb *SparseBlock, data []float32, n, d int, sparse func(r0 int, a *csc) int, dense func(q0, q1 int) int) int {
	ch := getChunker(sb, d)
	bad := -1
	defer func() { ch.release(bad < 0) }()
	for r0 := 0; r0 < n; r0 += sparseRows {
		r1 := min(r0+sparseRows, n)
		if a := ch.chunk(r0/sparseRows, data[r0*d:r1*d], r1-r0, d); a != nil {
			if b := sparse(r0, a); b >= 0 {
				bad = r0 + b
				return bad
			}
			continue
		}
		for q0 := r0; q0 < r1; q0 += RowChunk {
			if b := dense(q0, min(q0+RowChunk, r1)); b >= 0 {
				bad = q0 + b
				return bad
			}
		}
	}
	return -1
}

// chunker walks the row chunks of a block for a kernel: chunk returns the sparse form of
// chunk k (data, rows×d), or nil if the chunk is dense, from b when it holds the block and
// otherwise by listing the values (into b's memory when b keeps them, else into scratch).
type chunker struct {
	b       *SparseBlock
	pat     *rowPatterns
	scratch csc
}

var chunkerPool sync.Pool // *chunker

func getChunker(b *SparseBlock, d int) *chunker {
	c, ok := chunkerPool.Get().(*chunker)
	if !ok {
		c = &chunker{}
	}
	if c.pat == nil || len(c.pat.idx) < sparseRows*d {
		c.pat = &rowPatterns{idx: make([]int32, sparseRows*d)}
	}
	c.b = b
	return c
}

// release marks b complete if the walk got through every chunk, and returns c to the pool.
func (c *chunker) release(complete bool) {
	if c.b != nil && complete {
		c.b.done = true
	}
	c.b = nil
	chunkerPool.Put(c)
}

func (c *chunker) chunk(k int, data []float32, rows, d int) *csc {
	if c.b != nil && c.b.done {
		return c.b.chunks[k]
	}
	var a *csc
	if c.pat.pack(data, rows, d) {
		a = &c.scratch
		if c.b != nil {
			a = &csc{}
		}
		a.build(data, c.pat, rows, d)
	}
	if c.b != nil {
		c.b.chunks = append(c.b.chunks[:k], a)
	}
	return a
}

// sparseState is the state of the sparse chunks of one block: Pᵀ (D×w) summed over their
// rows and the sketch rows of a chunk (sparseRows×w).
type sparseState[T float32 | float64] struct {
	pt []T
	y  []T
}

var sparsePools [2]sync.Pool // *sparseState[float32], *sparseState[float64]

// getSparse returns a state for d pixels and w columns from pool, pt zero: a state goes
// back to the pool only after assemble has cleared it.
func getSparse[T float32 | float64](pool *sync.Pool, d, w int) *sparseState[T] {
	s, ok := pool.Get().(*sparseState[T])
	if !ok || len(s.pt) != d*w {
		s = &sparseState[T]{pt: make([]T, d*w), y: make([]T, sparseRows*w)}
	}
	return s
}

// rows multiplies a sparse chunk a by the panels of Ω (om, D×w) and adds the products to
// s.pt: first the sketch rows y_r, then finish(y_r, r) for every row, which corrects the
// row (its columns beyond m must be left zero) and returns false if it is not finite,
// then Pᵀ += Xᵀ·Y. It returns the first row that finish rejected, or −1.
func (s *sparseState[T]) rows(om []T, w int, a *csc,
	gather, scatter func(y, m []T, a *csc, w int), finish func(y []T, r int) bool) int {
	y := s.y[:a.rows*w]
	clear(y)
	gather(y, om, a, w)
	for r := range a.rows {
		if !finish(y[r*w:(r+1)*w], r) {
			return r
		}
	}
	scatter(y, s.pt, a, w)
	return -1
}

// sparse32Rows runs a sparse chunk in float32: each sketch row Y = X·Ω − cᵀ is rounded to
// float32 and added to sum (Yᵀ·1).
func sparse32Rows(s *sparseState[float32], o Omega32, a *csc, c, sum []float64) int {
	m := len(c)
	return s.rows(o.panel, o.w, a, gather32, scatter32, func(y []float32, _ int) bool {
		return correctRows(y[:m], 1, c, sum) < 0
	})
}

// sparse64Rows runs a sparse chunk in float64: each sketch row Y = X·Ω − cᵀ is added to
// sum and stored in yc (rows×m, stride).
func sparse64Rows(s *sparseState[float64], sh Shifted, a *csc, sum, yc []float64, stride int) int {
	c := sh.c
	return s.rows(sh.panel, sh.w, a, gather64, scatter64, func(y []float64, r int) bool {
		out := yc[r*stride : r*stride+len(c)]
		for k, v := range y[:len(c)] {
			t := v - c[k]
			if math.IsNaN(t) || math.IsInf(t, 0) {
				return false
			}
			y[k], out[k] = t, t
			sum[k] += t
		}
		return true
	})
}

// transposePanel returns Ωᵀ (m×d, row-major with the given stride) as a d×w matrix with
// w = panelWidth(m, p), the columns beyond m zero.
func transposePanel[T float32 | float64](omegaT []float64, stride, m, d, p int) ([]T, int) {
	w := panelWidth(m, p)
	out := make([]T, d*w)
	for i := range m {
		row := omegaT[i*stride : i*stride+d]
		for j, v := range row {
			out[j*w+i] = T(v)
		}
	}
	return out, w
}

// assemble finishes a block's product P (m×d in p, row-major with stride): with base the
// dense chunks' products (ps, m×d float32, if ps is not nil; else p itself if accumulate;
// else zero), P = (base − sum·shiftᵀ) + Ptᵀ, with pt (d×w, nil: zero) the sparse chunks'
// Pᵀ, which assemble clears for the next block. It runs in tiles of assembleTile pixels,
// so that the rows of pt being transposed stay in cache while every row of P takes its
// column from them.
func assemble[T float32 | float64](p []float64, stride int, ps []float32, accumulate bool, pt []T, w int, sum, shift []float64) {
	d := len(shift)
	for j0 := 0; j0 < d; j0 += assembleTile {
		j1 := min(j0+assembleTile, d)
		sh := shift[j0:j1]
		for i, t := range sum {
			row := p[i*stride+j0 : i*stride+j1]
			row = row[:len(sh)]
			switch {
			case ps != nil:
				base := ps[i*d+j0 : i*d+j1]
				base = base[:len(sh)]
				for j, v := range base {
					row[j] = float64(v) - t*sh[j]
				}
			case accumulate:
				for j, v := range row {
					row[j] = v - t*sh[j]
				}
			case pt != nil:
				col := pt[j0*w+i:]
				for j := range row {
					row[j] = (0 - t*sh[j]) + float64(col[j*w])
				}
				continue
			default:
				for j := range row {
					row[j] = 0 - t*sh[j]
				}
			}
			if pt != nil {
				col := pt[j0*w+i:]
				for j := range row {
					row[j] += float64(col[j*w])
				}
			}
		}
		if pt != nil {
			clear(pt[j0*w : j1*w])
		}
	}
}

// assembleTile is the number of pixels assemble takes at a time: 64 rows of pt, 8 KiB in
// float32.
const assembleTile = 64
