package umap

import (
	"fmt"
	"math"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/rng"
	"github.com/stemreduce/stemreduce/spmd"
)

// maxEdgeID bounds the global edge ids so that (epoch, edge) packs into one rng index:
// index = epoch<<40 | edge.
const maxEdgeID = 1 << 40

// optimizer runs umap-learn's optimize_layout_euclidean (move_other = true) on the edges of
// this rank, with the embedding replicated on every rank. An epoch is split into
// sub-batches by global edge id (edge g in sub-batch g mod S); within a sub-batch every
// rank computes the moves of its active edges against the embedding as it was at the
// start of the sub-batch, the moves of all ranks are gathered in global edge order, and
// every rank applies them in that order.
type optimizer struct {
	c                   collective.Comm
	eg                  *edges
	emb                 []float32
	n                   uint64 // points
	a, b, gamma         float64
	alpha, lr           float64
	nEpochs, negRate, s int
	seed                uint64

	eps, epns, next, nextNeg []float64 // umap-learn's epochs_per_sample and the schedule

	buf, all []uint32 // moves: records of (head, tail, Δhead x, y, Δtail x, y)
	st       rng.Stream
}

func newOptimizer(c collective.Comm, plan spmd.Plan, eg *edges, o settings, a, b float64, emb []float32) *optimizer {
	if eg.total >= maxEdgeID {
		panic(fmt.Sprintf("umap: %d edges, at most 2⁴⁰ supported", eg.total))
	}
	opt := &optimizer{c: c, eg: eg, emb: emb, n: uint64(plan.N), a: a, b: b, gamma: o.gamma, alpha: o.lr, lr: o.lr,
		nEpochs: o.nEpochs, negRate: o.negRate, s: o.subBatches, seed: o.seed}
	m := len(eg.weight)
	opt.eps, opt.epns, opt.next, opt.nextNeg = make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m)
	// make_epochs_per_sample: n_samples = n_epochs·w/w_max, epochs_per_sample =
	// n_epochs/n_samples.
	ne := float64(o.nEpochs)
	for e, w := range eg.weight {
		opt.eps[e] = ne / (ne * (w / eg.maxWeight))
		opt.epns[e] = opt.eps[e] / float64(o.negRate)
		opt.next[e], opt.nextNeg[e] = opt.eps[e], opt.epns[e]
	}
	return opt
}

func clip(v float64) float64 { return max(-4, min(4, v)) }

// epoch runs epoch n.
// Collective.
func (o *optimizer) epoch(n int) error {
	eg := o.eg
	for s := range o.s {
		o.buf = o.buf[:0]
		first := int((int64(s) - eg.off%int64(o.s) + int64(o.s)) % int64(o.s))
		for e := first; e < len(eg.head); e += o.s {
			o.edge(n, e)
		}
		all := o.buf
		if o.c.Size() > 1 {
			counts, err := collective.AllgatherCounts(o.c, len(o.buf))
			if err != nil {
				return err
			}
			total := 0
			for _, k := range counts {
				total += k
			}
			o.all = grow(o.all, total)
			if all, err = collective.AllgathervOf(o.c, o.all, o.buf, counts); err != nil {
				return err
			}
		}
		emb := o.emb
		for r := 0; r < len(all); r += 6 {
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

// edge computes the moves of local edge e in epoch n, if it is sampled, and appends them
// to o.buf.
func (o *optimizer) edge(n, e int) {
	fn := float64(n)
	if o.next[e] > fn {
		return
	}
	eg, emb := o.eg, o.emb
	a, b, alpha := o.a, o.b, o.alpha
	j, k := int(eg.head[e]), int(eg.tail[e])
	cx, cy := emb[2*j], emb[2*j+1]
	dx, dy := cx-emb[2*k], cy-emb[2*k+1]
	d2 := float64(dx)*float64(dx) + float64(dy)*float64(dy)
	coef := 0.0
	if d2 > 0 {
		pb := math.Exp(b * math.Log(d2)) // d2^b
		coef = -2 * a * b * (pb / d2) / (a*pb + 1)
	}
	ux, uy := float32(clip(coef*float64(dx))*alpha), float32(clip(coef*float64(dy))*alpha)
	cx, cy = cx+ux, cy+uy
	jx, jy, tx, ty := ux, uy, -ux, -uy
	o.next[e] += o.eps[e]

	nNeg := 0
	if o.negRate > 0 {
		nNeg = int((fn - o.nextNeg[e]) / o.epns[e])
	}
	if nNeg > 0 {
		o.st.Reset(o.seed, rng.NegativeDraws, uint64(n)<<40|uint64(eg.off+int64(e)))
	}
	for range nNeg {
		kk := int(o.st.Uint64() % o.n)
		if kk == j {
			continue // umap-learn: the point itself is never a negative sample
		}
		dx, dy := cx-emb[2*kk], cy-emb[2*kk+1]
		d2 := float64(dx)*float64(dx) + float64(dy)*float64(dy)
		coef := 0.0
		if d2 > 0 {
			coef = 2 * o.gamma * b / ((0.001 + d2) * (a*math.Exp(b*math.Log(d2)) + 1))
		}
		gx, gy := 4.0, 4.0 // umap-learn pushes a coincident sample away by the clip bound
		if coef > 0 {
			gx, gy = clip(coef*float64(dx)), clip(coef*float64(dy))
		}
		ux, uy := float32(gx*alpha), float32(gy*alpha)
		cx, cy = cx+ux, cy+uy
		jx, jy = jx+ux, jy+uy
	}
	o.nextNeg[e] += float64(nNeg) * o.epns[e]
	o.buf = append(o.buf, uint32(j), uint32(k), math.Float32bits(jx), math.Float32bits(jy),
		math.Float32bits(tx), math.Float32bits(ty))
}
