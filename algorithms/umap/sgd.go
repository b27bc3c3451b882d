package umap

import (
	"context"
	"fmt"
	"math"
	"math/bits"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/rng"
	"github.com/stemreduce/stemreduce/spmd"
)

// maxEdgeID bounds the global edge ids so that (epoch, edge) packs into one rng index:
// index = epoch<<40 | edge.
const maxEdgeID = 1 << 40

// moveWords is the length, in 32-bit words, of the record of one sampled edge: head,
// tail, Δhead (x, y) and Δtail (x, y), the moves as float32 bits.
const moveWords = 6

// optimizer runs umap-learn's optimize_layout_euclidean (move_other = true) on the edges of
// this rank, with the embedding replicated on every rank. An epoch is split into
// sub-batches by global edge id (edge g in sub-batch g mod S); within a sub-batch every
// rank computes the moves of its sampled edges against the embedding as it was at the
// start of the sub-batch, the moves of all ranks are gathered in global edge order, and
// every rank applies them in that order.
//
// The local edges are stored by sub-batch (edges [start[s], start[s+1]) of the arrays
// below form sub-batch s, in increasing global id), so that a sub-batch reads its
// schedule contiguously.
type optimizer struct {
	c                   collective.Comm
	emb                 []float32
	n                   uint64 // points
	a, b, gamma         float64
	alpha, lr           float64
	nEpochs, negRate, s int
	seed                uint64

	start []int
	next  []float64   // umap-learn's epoch_of_next_sample, read for every edge every epoch
	sched []edgeSched // the rest of the schedule, read for sampled edges only

	local  []int64 // per sub-batch, the sampled local edges of this epoch; then the cancel flag
	table  []int64 // local of every rank, rank-major
	counts []int   // bytes of every rank's moves in the current sub-batch
	buf    []uint32
	all    []uint32
	st     rng.Stream
}

// edgeSched is the schedule of one local edge.
type edgeSched struct {
	head, tail int32   // global indices of the points
	id         int64   // global edge id: the rng index of its negative samples
	eps, epns  float64 // umap-learn's epochs_per_sample and epochs_per_negative_sample
	nextNeg    float64 // epoch_of_next_negative_sample
}

func newOptimizer(c collective.Comm, plan spmd.Plan, eg *edges, o settings, a, b float64, emb []float32) *optimizer {
	if eg.total >= maxEdgeID {
		panic(fmt.Sprintf("umap: %d edges, at most 2⁴⁰ supported", eg.total))
	}
	opt := &optimizer{c: c, emb: emb, n: uint64(plan.N), a: a, b: b, gamma: o.gamma, alpha: o.lr, lr: o.lr,
		nEpochs: o.nEpochs, negRate: o.negRate, s: o.subBatches, seed: o.seed}
	m, sb := len(eg.weight), o.subBatches
	opt.start = make([]int, sb+1)
	opt.next, opt.sched = make([]float64, m), make([]edgeSched, m)
	opt.local, opt.table, opt.counts = make([]int64, sb+1), make([]int64, c.Size()*(sb+1)), make([]int, c.Size())
	// make_epochs_per_sample: n_samples = n_epochs·w/w_max, epochs_per_sample =
	// n_epochs/n_samples.
	ne := float64(o.nEpochs)
	p := 0
	for s := range sb {
		opt.start[s] = p
		first := int((int64(s) - eg.off%int64(sb) + int64(sb)) % int64(sb))
		for e := first; e < m; e += sb {
			eps := ne / (ne * (eg.weight[e] / eg.maxWeight))
			epns := eps / float64(o.negRate)
			opt.next[p] = eps
			opt.sched[p] = edgeSched{head: eg.head[e], tail: eg.tail[e], id: eg.off + int64(e), eps: eps, epns: epns, nextNeg: epns}
			p++
		}
	}
	opt.start[sb] = p
	return opt
}

func clip(v float64) float64 {
	if v > 4 {
		return 4
	}
	if v < -4 {
		return -4
	}
	return v
}

// epoch runs epoch n. It first allgathers, with one collective, the number of sampled
// edges of every rank in every sub-batch of the epoch and whether ctx is done on some
// rank; if it is, every rank returns the agreed cancellation error before any move of the
// epoch. Then each sub-batch costs one Allgatherv of the moves.
// Collective.
func (o *optimizer) epoch(ctx context.Context, n int) error {
	fn := float64(n)
	sb, size := o.s, o.c.Size()
	for s := range sb {
		k := 0
		for _, t := range o.next[o.start[s]:o.start[s+1]] {
			if t <= fn {
				k++
			}
		}
		o.local[s] = int64(k)
	}
	o.local[sb] = 0
	if ctx.Err() != nil {
		o.local[sb] = 1
	}
	table := o.local
	if size > 1 {
		w := sb + 1
		for r := range size {
			o.counts[r] = 8 * w
		}
		table = o.table
		if err := o.c.Allgatherv(collective.AsBytes(table), collective.AsBytes(o.local), o.counts); err != nil {
			return err
		}
	}
	for r := range size {
		if table[r*(sb+1)+sb] != 0 {
			return agreeDone(ctx, o.c, "SGD epoch %d of %d", n, o.nEpochs)
		}
	}
	for s := range sb {
		o.buf = o.buf[:0]
		o.subBatch(n, s)
		all := o.buf
		if size > 1 {
			total := 0
			for r := range size {
				o.counts[r] = 4 * moveWords * int(table[r*(sb+1)+s])
				total += o.counts[r]
			}
			if len(o.buf) != moveWords*int(o.local[s]) {
				panic("umap: sub-batch moves do not match their count")
			}
			o.all = grow(o.all, total/4)
			if err := o.c.Allgatherv(collective.AsBytes(o.all), collective.AsBytes(o.buf), o.counts); err != nil {
				return err
			}
			all = o.all
		}
		emb := o.emb
		for r := 0; r+moveWords <= len(all); r += moveWords {
			j, k := 2*all[r], 2*all[r+1]
			emb[j] += math.Float32frombits(all[r+2])
			emb[j+1] += math.Float32frombits(all[r+3])
			emb[k] += math.Float32frombits(all[r+4])
			emb[k+1] += math.Float32frombits(all[r+5])
		}
	}
	o.alpha = o.lr * (1 - float64(n)/float64(o.nEpochs))
	return nil
}

// lanes is the number of sampled edges whose moves are computed together. The moves of
// the edges of a sub-batch do not depend on each other (they read the embedding as it was
// at the start of the sub-batch, and the head's own updated position), so they may be
// interleaved: the negative samples of up to lanes edges are taken in turn, which gives
// the processor independent chains of arithmetic to overlap. Every edge performs the same
// operations in the same order as alone, so the bits do not depend on the grouping.
const lanes = 8

// lane is one sampled edge in the making.
type lane struct {
	sc     *edgeSched
	j      int     // head
	cx, cy float32 // the head's position, moved by every sample
	jx, jy float32 // the head's total move
	tx, ty float32 // the tail's move
	nNeg   int
	st     rng.Stream
}

// subBatch computes the moves of the sampled local edges of sub-batch s of epoch n and
// appends them to o.buf in edge order.
func (o *optimizer) subBatch(n, s int) {
	fn := float64(n)
	var group [lanes]lane
	g := 0
	for i := o.start[s]; i < o.start[s+1]; i++ {
		if o.next[i] > fn {
			continue
		}
		o.next[i] += o.sched[i].eps
		group[g].sc = &o.sched[i]
		g++
		if g == lanes {
			o.attract(n, group[:g])
			o.repel(group[:g])
			g = 0
		}
	}
	o.attract(n, group[:g])
	o.repel(group[:g])
}

// attract starts the lanes of group, whose sc is set, with their sampled edges in epoch
// n: the attraction between head and tail (the powers for all lanes in one powBatch),
// and the number of negative samples.
func (o *optimizer) attract(n int, group []lane) {
	emb := o.emb
	a, b, alpha := o.a, o.b, o.alpha
	var (
		dxs, dys [lanes]float32
		d2s, pbs [lanes]float64
	)
	for i := range group {
		l := &group[i]
		j, k := int(l.sc.head), int(l.sc.tail)
		l.j = j
		l.cx, l.cy = emb[2*j], emb[2*j+1]
		dx, dy := l.cx-emb[2*k], l.cy-emb[2*k+1]
		dxs[i], dys[i] = dx, dy
		d2s[i] = float64(dx)*float64(dx) + float64(dy)*float64(dy)
	}
	powBatch(pbs[:len(group)], d2s[:len(group)], b)
	for i := range group {
		l := &group[i]
		sc := l.sc
		dx, dy, d2 := dxs[i], dys[i], d2s[i]
		coef := 0.0
		if d2 > 0 {
			pb := pbs[i] // d2^b
			coef = -2 * a * b * (pb / d2) / (a*pb + 1)
		}
		ux, uy := float32(clip(coef*float64(dx))*alpha), float32(clip(coef*float64(dy))*alpha)
		l.cx, l.cy = l.cx+ux, l.cy+uy
		l.jx, l.jy, l.tx, l.ty = ux, uy, -ux, -uy
		l.nNeg = 0
		if o.negRate > 0 {
			l.nNeg = int((float64(n) - sc.nextNeg) / sc.epns)
		}
		if l.nNeg > 0 {
			l.st.Reset(o.seed, rng.NegativeDraws, uint64(n)<<40|uint64(sc.id))
		}
	}
}

// repel takes the negative samples of the lanes, in turn, and appends their records to
// o.buf in lane order. Each turn draws one sample per lane, then raises all their squared
// distances to the power b in one loop (powBatch), then moves the heads.
func (o *optimizer) repel(group []lane) {
	emb := o.emb
	a, b, alpha, gb := o.a, o.b, o.alpha, 2*o.gamma*o.b
	most := 0
	for i := range group {
		most = max(most, group[i].nNeg)
	}
	var (
		act      [lanes]int
		dxs, dys [lanes]float32
		d2s, pbs [lanes]float64
	)
	for t := range most {
		m := 0
		for i := range group {
			l := &group[i]
			if t >= l.nNeg {
				continue
			}
			hi, _ := bits.Mul64(l.st.Uint64(), o.n) // uniform in [0, n), Lemire's reduction
			kk := int(hi)
			if kk == l.j {
				continue // umap-learn: the point itself is never a negative sample
			}
			dx, dy := l.cx-emb[2*kk], l.cy-emb[2*kk+1]
			act[m], dxs[m], dys[m] = i, dx, dy
			d2s[m] = float64(dx)*float64(dx) + float64(dy)*float64(dy)
			m++
		}
		powBatch(pbs[:m], d2s[:m], b)
		for q := range m {
			l := &group[act[q]]
			dx, dy, d2 := dxs[q], dys[q], d2s[q]
			coef := 0.0
			if d2 > 0 {
				coef = gb / ((0.001 + d2) * (a*pbs[q] + 1))
			}
			gx, gy := 4.0, 4.0 // umap-learn pushes a coincident sample away by the clip bound
			if coef > 0 {
				gx, gy = clip(coef*float64(dx)), clip(coef*float64(dy))
			}
			ux, uy := float32(gx*alpha), float32(gy*alpha)
			l.cx, l.cy = l.cx+ux, l.cy+uy
			l.jx, l.jy = l.jx+ux, l.jy+uy
		}
	}
	for i := range group {
		l := &group[i]
		l.sc.nextNeg += float64(l.nNeg) * l.sc.epns
		o.buf = append(o.buf, uint32(l.j), uint32(l.sc.tail), math.Float32bits(l.jx), math.Float32bits(l.jy),
			math.Float32bits(l.tx), math.Float32bits(l.ty))
	}
}
