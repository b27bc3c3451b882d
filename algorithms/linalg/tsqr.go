package linalg

import (
	"fmt"
	"math/bits"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Message tags of TSQR: R factors up the block tree, Q coefficients down it.
const (
	tagUp   = 21
	tagDown = 22
)

// TSQR is the QR factorization Y = Q·R of a tall matrix Y (N×m) whose rows are spread
// over the ranks in the blocks of an spmd.Plan, by the tall-skinny QR of Demmel, Grigori,
// Hoemmen & Langou (2012) over the canonical block tree.
//
// Factorize computes a Householder QR of every block, then combines the R factors pairwise
// along the block tree: the two R factors of a node's children are stacked and factorized
// again. Every rank keeps the Householder reflectors of its blocks and of the tree nodes it
// combined. QTo forms the explicit Q by applying those reflectors back down the same tree,
// starting from the identity at the root, with one message per tree edge that crosses
// ranks. Q is thus a product of matrices with orthonormal columns and is orthonormal to
// working precision whatever the condition number or rank of Y; forming Q as Y·R⁻¹ instead
// loses orthogonality in proportion to cond(Y) (see the package documentation).
//
// R is k×m with k = min(N, m); its diagonal is non-negative (every intermediate R too),
// which makes R and Q unique when Y has full column rank. R, and Q's row for a given global
// row, have the same bits for any number of ranks and workers.
//
// The zero value is ready to use; a TSQR may be reused for another factorization.
type TSQR struct {
	// Workers is the number of goroutines that factorize the local blocks and apply Q to
	// them; zero means GOMAXPROCS. It does not change the results.
	Workers int

	plan   spmd.Plan
	cols   int
	r      *mat.Dense
	leaves []*factor        // this rank's blocks, block b at b − plan.B0
	nodes  map[span]*factor // tree nodes this rank combined, by block range
}

// span is the block range [lo, hi) of a tree node.
type span struct{ lo, hi int }

// factor is the Householder QR of a block or of two stacked R factors.
type factor struct {
	a    blas64.General // reflectors below the diagonal, as householder leaves them
	tau  []float64
	sign []float64 // ±1 per row of R: the sign that made its diagonal entry non-negative
	top  int       // rows of the left child's R (tree nodes)
}

// rnode is the value of a tree node: its block range and its R factor.
type rnode struct {
	lo, hi int
	r      *mat.Dense
}

// Factorize computes the QR factorization of the matrix whose rows [plan.Beg, plan.End)
// are y on this rank. y must have plan.NLocal() rows, or be nil or empty when this rank
// owns no rows; every rank must pass the same number of columns. N = plan.N must be at
// least 1. Factorize panics on mismatched dimensions.
// Collective: every rank of c must call it, in the same order, with the same plan layout.
func (t *TSQR) Factorize(c collective.Comm, plan spmd.Plan, y *mat.Dense) error {
	if plan.N == 0 {
		panic("linalg: TSQR of a matrix with no rows")
	}
	nLocal := plan.NLocal()
	t.plan, t.cols, t.r = plan, 0, nil
	t.nodes = map[span]*factor{}
	t.leaves = make([]*factor, plan.B1-plan.B0)
	vals := make([]*rnode, len(t.leaves))
	if nLocal > 0 {
		if y == nil || y.IsEmpty() {
			panic("linalg: TSQR: no rows on a rank that owns blocks")
		}
		rows, cols := y.Dims()
		if rows != nLocal {
			panic(fmt.Sprintf("linalg: TSQR: %d local rows, want %d for %v", rows, nLocal, plan))
		}
		t.cols = cols
		err := spmd.Parallel(t.Workers, len(t.leaves), func(i int) error {
			rg := plan.BlockRange(plan.B0 + i)
			blk := mat.DenseCopyOf(y.Slice(rg.Beg-plan.Beg, rg.End-plan.Beg, 0, cols))
			f := &factor{a: blk.RawMatrix()}
			f.tau = householder(f.a)
			f.sign = make([]float64, len(f.tau))
			t.leaves[i] = f
			vals[i] = &rnode{lo: plan.B0 + i, hi: plan.B0 + i + 1, r: upperR(f.a, f.sign)}
			return nil
		})
		if err != nil {
			return err
		}
	}
	acc := collective.NewAccumulator[*rnode](rMerger{t}, plan.NBlocks, plan.Size, plan.Rank)
	for i, v := range vals {
		acc.Push(plan.B0+i, v)
	}
	root, err := collective.ReduceAll(c, acc, tagUp)
	if err != nil {
		return err
	}
	if t.cols != 0 && root.r.RawMatrix().Cols != t.cols {
		panic("linalg: TSQR: ranks disagree on the number of columns")
	}
	t.r = root.r
	t.cols = root.r.RawMatrix().Cols
	return nil
}

// RTo stores the k×m factor R in dst. If dst is empty it is resized; otherwise RTo panics
// unless dst is k×m. It panics if Factorize has not succeeded.
func (t *TSQR) RTo(dst *mat.Dense) {
	if t.r == nil {
		panic("linalg: TSQR not factorized")
	}
	k, m := t.r.Dims()
	if dst.IsEmpty() {
		dst.ReuseAs(k, m)
	} else if r, c := dst.Dims(); r != k || c != m {
		panic(fmt.Sprintf("linalg: TSQR.RTo into %d×%d, want %d×%d", r, c, k, m))
	}
	dst.Copy(t.r)
}

// QTo stores this rank's rows of the explicit N×k factor Q in dst, rows [plan.Beg,
// plan.End). If dst is empty it is resized to nLocal×k; otherwise QTo panics unless dst is
// nLocal×k. A rank that owns no rows leaves dst untouched. It panics if Factorize has not
// succeeded. It may be called more than once.
// Collective: every rank of c must call it, after the same Factorize.
func (t *TSQR) QTo(c collective.Comm, dst *mat.Dense) error {
	if t.r == nil {
		panic("linalg: TSQR not factorized")
	}
	k, _ := t.r.Dims()
	nLocal := t.plan.NLocal()
	if nLocal > 0 {
		if dst.IsEmpty() {
			dst.ReuseAs(nLocal, k)
		} else if r, cc := dst.Dims(); r != nLocal || cc != k {
			panic(fmt.Sprintf("linalg: TSQR.QTo into %d×%d, want %d×%d", r, cc, nLocal, k))
		}
	}
	leafC := make([]*mat.Dense, len(t.leaves))
	var root *mat.Dense
	if t.plan.NLocal() > 0 && t.plan.B0 == 0 {
		root = identity(k)
	}
	nb := t.plan.NBlocks
	if err := t.down(c, node{bits.Len(uint(max(nb-1, 0))), 0}, root, leafC, k); err != nil {
		return err
	}
	if nLocal == 0 {
		return nil
	}
	return spmd.Parallel(t.Workers, len(t.leaves), func(i int) error {
		rg := t.plan.BlockRange(t.plan.B0 + i)
		f := t.leaves[i]
		out := dst.Slice(rg.Beg-t.plan.Beg, rg.End-t.plan.Beg, 0, k).(*mat.Dense)
		spread(out, leafC[i], f.sign)
		applyQ(f.a, f.tau, out.RawMatrix())
		return nil
	})
}

// spread sets dst (rows×k) to [diag(sign)·c; 0].
func spread(dst, c *mat.Dense, sign []float64) {
	dst.Zero()
	raw, cr := dst.RawMatrix(), c.RawMatrix()
	for i, s := range sign {
		src := cr.Data[i*cr.Stride : i*cr.Stride+cr.Cols]
		out := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		out = out[:len(src)]
		for j, v := range src {
			out[j] = s * v
		}
	}
}

func identity(k int) *mat.Dense {
	id := mat.NewDense(k, k, nil)
	for i := range k {
		id.Set(i, i, 1)
	}
	return id
}

// node is node (level, index) of the canonical block tree of package collective: blocks
// [index·2^level, (index+1)·2^level) clipped to the block count.
type node struct{ level, index int }

func (n node) lo() int       { return n.index << n.level }
func (n node) hi(nb int) int { return min((n.index+1)<<n.level, nb) }
func (n node) children() (node, node) {
	return node{n.level - 1, 2 * n.index}, node{n.level - 1, 2*n.index + 1}
}

// rowsOf returns the number of rows of the R factor of node n: min(rows covered, cols).
func (t *TSQR) rowsOf(n node) int {
	frames := t.plan.BlockRange(n.hi(t.plan.NBlocks)).Beg - t.plan.BlockRange(n.lo()).Beg
	return min(frames, t.cols)
}

// down applies the tree below node n to its coefficient matrix cn (rowsOf(n)×k), which
// this rank holds if and only if it owns the first block of n (nil otherwise), and stores
// the coefficients of this rank's leaves in leafC. The traversal is depth-first, left
// before right, on every rank, so the messages (always from the owner of a node's first
// block to the owner of its right child's first block, a higher rank) are matched in the
// same order on both sides.
func (t *TSQR) down(c collective.Comm, n node, cn *mat.Dense, leafC []*mat.Dense, k int) error {
	p := t.plan
	nb := p.NBlocks
	if n.hi(nb) <= p.B0 || n.lo() >= p.B1 {
		return nil
	}
	if n.level == 0 {
		if cn == nil {
			panic(fmt.Sprintf("linalg: TSQR: no coefficients for block %d on rank %d", n.index, p.Rank))
		}
		leafC[n.index-p.B0] = cn
		return nil
	}
	left, right := n.children()
	if right.lo() >= nb {
		return t.down(c, left, cn, leafC, k) // promoted: the node is its left child
	}
	split := collective.Split{N: nb, Size: p.Size}
	rOwner := split.Owner(right.lo())
	if cn != nil {
		f := t.nodes[span{n.lo(), n.hi(nb)}]
		if f == nil {
			panic(fmt.Sprintf("linalg: TSQR: node [%d, %d) missing on rank %d", n.lo(), n.hi(nb), p.Rank))
		}
		both := mat.NewDense(f.a.Rows, k, nil)
		spread(both, cn, f.sign)
		applyQ(f.a, f.tau, both.RawMatrix())
		cl := both.Slice(0, f.top, 0, k).(*mat.Dense)
		cr := mat.DenseCopyOf(both.Slice(f.top, f.a.Rows, 0, k))
		if err := t.down(c, left, cl, leafC, k); err != nil {
			return err
		}
		if rOwner == p.Rank {
			return t.down(c, right, cr, leafC, k)
		}
		return collective.SendOf(c, cr.RawMatrix().Data, rOwner, tagDown)
	}
	if err := t.down(c, left, nil, leafC, k); err != nil {
		return err
	}
	if rOwner != p.Rank {
		return t.down(c, right, nil, leafC, k)
	}
	rows := t.rowsOf(right)
	buf := make([]float64, rows*k)
	if err := collective.RecvOf(c, buf, split.Owner(n.lo()), tagDown); err != nil {
		return fmt.Errorf("linalg: could not receive TSQR coefficients of blocks [%d, %d): %w", right.lo(), right.hi(nb), err)
	}
	return t.down(c, right, mat.NewDense(rows, k, buf), leafC, k)
}

// rMerger combines R factors for Factorize and records the reflectors of every node it
// combines on this rank.
type rMerger struct{ t *TSQR }

func (m rMerger) Merge(a, b *rnode) *rnode {
	ra, c := a.r.Dims()
	rb, cb := b.r.Dims()
	if c != cb {
		panic(fmt.Sprintf("linalg: TSQR: merging R factors of %d and %d columns", c, cb))
	}
	st := mat.NewDense(ra+rb, c, nil)
	st.Slice(0, ra, 0, c).(*mat.Dense).Copy(a.r)
	st.Slice(ra, ra+rb, 0, c).(*mat.Dense).Copy(b.r)
	f := &factor{a: st.RawMatrix(), top: ra}
	f.tau = householder(f.a)
	f.sign = make([]float64, len(f.tau))
	r := upperR(f.a, f.sign)
	m.t.nodes[span{a.lo, b.hi}] = f
	return &rnode{lo: a.lo, hi: b.hi, r: r}
}

func (rMerger) Encode(dst []byte, v *rnode) []byte {
	return appendDense(appendInt(appendInt(dst, int64(v.lo)), int64(v.hi)), v.r)
}

func (rMerger) Decode(b []byte) (*rnode, error) {
	r := &reader{b: b}
	v := &rnode{lo: int(r.int()), hi: int(r.int())}
	v.r = r.dense()
	if err := r.done(); err != nil {
		return nil, err
	}
	if v.r == nil {
		return nil, errShort
	}
	return v, nil
}
