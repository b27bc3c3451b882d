package udf

import (
	"context"
	"fmt"
	"time"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Input is what a pass runs over.
type Input struct {
	Nav    []int       // scan shape (sy, sx), or (n) for a stack of frames
	Sig    []int       // detector shape (dy, dx); empty in a pass without data
	Source spmd.Source // the frames; nil for a pass without data (Frame.Data is nil)
	ROI    []bool      // nil: every frame; else one flag per frame, true = processed
	Block  int         // frames per block; zero means spmd.BlockSize
	Name   string      // name of the pass in progress lines; empty means "udf"
}

func (in Input) n() int { return prod(in.Nav) }

func (in Input) d() int {
	if in.Source == nil {
		return 0
	}
	return prod(in.Sig)
}

func prod(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}

// Run makes one pass over the frames of in, on this rank's partition, feeding every frame
// (or tile, or the partition) to every UDF: the data are read once for all of them. It
// returns, per UDF, the results on this rank: sig and single buffers merged over all ranks
// along the canonical block tree (the same bits on every rank and for any number of ranks),
// then finalised; nav buffers for this rank's frames [plan.Beg, plan.End), NaN (or 0 for
// int64) outside the ROI. An error of any rank, from the source, a UDF or ctx, is agreed:
// every rank returns it.
// Collective: every rank must call it with the same input shape, ROI and UDFs.
func Run(ctx context.Context, c collective.Comm, env *spmd.Env, in Input, udfs ...UDF) ([]*Results, spmd.Plan, error) {
	plan := spmd.NewPlan(in.n(), in.Block, c.Size(), c.Rank())
	if env == nil {
		env = &spmd.Env{}
	}
	if err := checkInput(in, udfs); err != nil {
		return nil, plan, spmd.Agree(c, spmd.WithCode(spmd.ExitUsage, err))
	}
	p := &pass{in: in, udfs: udfs, plan: plan, d: in.d(), navX: in.Nav[len(in.Nav)-1], workers: env.Workers}
	p.nav = make([]*Results, len(udfs))
	for i, u := range udfs {
		p.nav[i] = newResults(kindOf(u.Buffers(), Nav), func(s Spec) int { return plan.NLocal() * s.entry() })
		for _, b := range p.nav[i].bufs {
			b.fillMissing()
		}
	}
	m := merger{p}
	acc := collective.NewAccumulator[[]*Results](m, plan.NBlocks, plan.Size, plan.Rank)
	src := spmd.Source(nullSource{})
	if in.Source != nil {
		src = in.Source
	}
	if in.ROI != nil {
		src = roiSource{src, in.ROI, p.d}
	}
	penv := *env
	if p.partitionMode() {
		penv.TileBytes = int64(max(plan.NLocal(), 1)*max(p.d, 1))*4 + 1 // the whole partition
	}
	name := in.Name
	if name == "" {
		name = "udf"
	}
	err := spmd.Stream(ctx, &penv, name, plan, p.d, src, func(blocks []spmd.Block) error {
		return p.tile(acc, blocks)
	})
	if err = spmd.Agree(c, err); err != nil {
		return nil, plan, err
	}
	rstart := time.Now()
	merged, err := collective.ReduceAll(c, acc, 2)
	if env.Times != nil {
		env.Times.Add("reduce", time.Since(rstart))
	}
	if err != nil {
		return nil, plan, err
	}
	out := make([]*Results, len(udfs))
	var ferr error
	for i, u := range udfs {
		out[i] = join(u, merged[i], p.nav[i])
		if f, ok := u.(Finalizer); ok && ferr == nil {
			if err := f.Finalize(out[i]); err != nil {
				ferr = fmt.Errorf("udf %q: could not finalise: %w", u.Name(), err)
			}
		}
	}
	return out, plan, spmd.Agree(c, ferr)
}

func checkInput(in Input, udfs []UDF) error {
	switch {
	case len(udfs) == 0:
		return fmt.Errorf("udf: no UDF to run")
	case len(in.Nav) < 1 || len(in.Nav) > 2 || in.n() < 1:
		return fmt.Errorf("udf: nav shape %v: want (sy, sx) or (n) with at least one frame", in.Nav)
	case in.Source != nil && (len(in.Sig) != 2 || in.d() < 1):
		return fmt.Errorf("udf: sig shape %v: want (dy, dx)", in.Sig)
	case in.ROI != nil && len(in.ROI) != in.n():
		return fmt.Errorf("udf: ROI of %d frames for a scan of %d", len(in.ROI), in.n())
	}
	for _, u := range udfs {
		if err := validate(u); err != nil {
			return err
		}
	}
	return nil
}

// kindOf returns the specs of the given kind, or of sig and single when kind is 0.
func kindOf(specs []Spec, kind Kind) []Spec {
	var out []Spec
	for _, s := range specs {
		if s.Kind == kind || (kind == 0 && s.Kind != Nav) {
			out = append(out, s)
		}
	}
	return out
}

// join puts the merged sig and single buffers and the local nav buffers back in
// declaration order.
func join(u UDF, merged, nav *Results) *Results {
	r := &Results{}
	for _, s := range u.Buffers() {
		if s.Kind == Nav {
			r.bufs = append(r.bufs, nav.Buffer(s.Name))
		} else {
			r.bufs = append(r.bufs, merged.Buffer(s.Name))
		}
	}
	return r
}

// pass is the state of one Run on one rank.
type pass struct {
	in   Input
	udfs []UDF
	plan spmd.Plan
	d    int
	navX int
	nav  []*Results // per UDF: nav buffers of this rank's frames
	// workers computing blocks; zero means GOMAXPROCS
	workers int
}

func (p *pass) partitionMode() bool {
	for _, u := range p.udfs {
		if isPartition(u) {
			return true
		}
	}
	return false
}

// fresh returns a new partial (sig and single buffers) of every UDF.
func (p *pass) fresh() []*Results {
	parts := make([]*Results, len(p.udfs))
	for i, u := range p.udfs {
		parts[i] = newResults(kindOf(u.Buffers(), 0), func(s Spec) int {
			if s.Kind == Sig {
				return max(p.d, prod(p.in.Sig)) * s.entry()
			}
			return s.entry()
		})
		if in, ok := u.(Initializer); ok {
			in.Init(parts[i])
		}
	}
	return parts
}

// tile processes the blocks of one tile in parallel and pushes their partials in order.
// In partition mode the tile is the whole partition, and the partials of the partition
// UDFs go with the first block.
func (p *pass) tile(acc *collective.Accumulator[[]*Results], blocks []spmd.Block) error {
	var first []*Results
	if p.partitionMode() && len(blocks) > 0 {
		first = p.fresh()
		if err := p.partition(first, blocks); err != nil {
			return err
		}
	}
	return spmd.PushBlocks(acc, blocks, p.workers, func(b spmd.Block) ([]*Results, error) {
		parts, err := p.block(b)
		if err == nil && first != nil && b.Index == blocks[0].Index {
			for i, u := range p.udfs {
				if isPartition(u) {
					parts[i] = first[i]
				}
			}
		}
		return parts, err
	})
}

// selected returns the tile of the ROI frames of blocks, compacting Data if needed.
func (p *pass) selected(blocks []spmd.Block) *Tile {
	t := &Tile{D: p.d, navX: p.navX}
	if p.in.ROI == nil {
		// Every frame: the blocks of a tile are contiguous in one buffer, so no copy.
		for _, b := range blocks {
			for f := b.Frames.Beg; f < b.Frames.End; f++ {
				t.Index = append(t.Index, f)
			}
		}
		if p.in.Source != nil && len(blocks) > 0 {
			t.Data = blocks[0].Data[:len(t.Index)*p.d]
		}
		return t
	}
	for _, b := range blocks {
		for f := b.Frames.Beg; f < b.Frames.End; f++ {
			if p.in.ROI == nil || p.in.ROI[f] {
				t.Index = append(t.Index, f)
				if p.in.Source != nil {
					t.Data = append(t.Data, b.Frame(f-b.Frames.Beg)...)
				}
			}
		}
	}
	return t
}

// block runs the frame and tile UDFs on one block and returns its partial.
func (p *pass) block(b spmd.Block) ([]*Results, error) {
	parts := p.fresh()
	t := p.selected([]spmd.Block{b})
	if t.Len() == 0 {
		return parts, nil
	}
	for i, u := range p.udfs {
		var err error
		switch pu := u.(type) {
		case FrameProcessor:
			err = p.frames(pu, i, parts[i], t)
		case TileProcessor:
			err = p.withNavViews(i, parts[i], t, func(r *Results) error { return pu.ProcessTile(t, r) })
		}
		if err != nil {
			return nil, fmt.Errorf("udf %q: frames [%d, %d]: %w", u.Name(), t.Index[0], t.Index[t.Len()-1], err)
		}
	}
	return parts, nil
}

// frames calls ProcessFrame on every frame of t, with nav views of that frame.
func (p *pass) frames(u FrameProcessor, i int, part *Results, t *Tile) error {
	for k := range t.Len() {
		y, x := t.Coords(k)
		f := &Frame{Index: t.Index[k], Y: y, X: x, Data: t.Frame(k)}
		r := p.view(i, part, f.Index-p.plan.Beg, 1)
		if err := u.ProcessFrame(f, r); err != nil {
			return fmt.Errorf("frame %d: %w", f.Index, err)
		}
	}
	return nil
}

// view returns a Results whose nav buffers are the local entries [lo, lo+n) and whose sig
// and single buffers are those of part.
func (p *pass) view(i int, part *Results, lo, n int) *Results {
	r := &Results{}
	for _, s := range p.udfs[i].Buffers() {
		if s.Kind != Nav {
			r.bufs = append(r.bufs, part.Buffer(s.Name))
			continue
		}
		full, e := p.nav[i].Buffer(s.Name), s.entry()
		v := &Buffer{Spec: s}
		switch s.Dtype {
		case Float64:
			v.F64 = full.F64[lo*e : (lo+n)*e]
		case Float32:
			v.F32 = full.F32[lo*e : (lo+n)*e]
		case Int64:
			v.I64 = full.I64[lo*e : (lo+n)*e]
		}
		r.bufs = append(r.bufs, v)
	}
	return r
}

// withNavViews calls fn with nav buffers holding the frames of t in tile order, and
// scatters them to the local nav buffers afterwards.
func (p *pass) withNavViews(i int, part *Results, t *Tile, fn func(*Results) error) error {
	r := &Results{}
	var navs []*Buffer
	for _, s := range p.udfs[i].Buffers() {
		if s.Kind != Nav {
			r.bufs = append(r.bufs, part.Buffer(s.Name))
			continue
		}
		b := newBuffer(s, t.Len()*s.entry())
		b.fillMissing()
		r.bufs = append(r.bufs, b)
		navs = append(navs, b)
	}
	if err := fn(r); err != nil {
		return err
	}
	for _, b := range navs {
		full, e := p.nav[i].Buffer(b.Name), b.entry()
		for k, f := range t.Index {
			lo := (f - p.plan.Beg) * e
			switch b.Dtype {
			case Float64:
				copy(full.F64[lo:lo+e], b.F64[k*e:(k+1)*e])
			case Float32:
				copy(full.F32[lo:lo+e], b.F32[k*e:(k+1)*e])
			case Int64:
				copy(full.I64[lo:lo+e], b.I64[k*e:(k+1)*e])
			}
		}
	}
	return nil
}

// partition runs the partition UDFs on all the blocks of the rank (one tile) and stores
// their partials in first, the partial of the rank's first block.
func (p *pass) partition(first []*Results, blocks []spmd.Block) error {
	t := p.selected(blocks)
	for i, u := range p.udfs {
		pu, ok := u.(PartitionProcessor)
		if !ok || t.Len() == 0 {
			continue
		}
		if err := p.withNavViews(i, first[i], t, func(r *Results) error { return pu.ProcessPartition(t, r) }); err != nil {
			return fmt.Errorf("udf %q: partition [%d, %d): %w", u.Name(), p.plan.Beg, p.plan.End, err)
		}
	}
	return nil
}

// merger combines the partials of all UDFs of a pass for the block tree.
type merger struct{ p *pass }

func (m merger) Merge(a, b []*Results) []*Results {
	for i, u := range m.p.udfs {
		u.Merge(a[i], b[i])
	}
	return a
}

func (m merger) Encode(dst []byte, parts []*Results) []byte {
	for _, r := range parts {
		for _, b := range r.bufs {
			dst = append(dst, b.bytes()...)
		}
	}
	return dst
}

func (m merger) Decode(data []byte) ([]*Results, error) {
	parts := m.p.fresh()
	for _, r := range parts {
		for _, b := range r.bufs {
			dst := b.bytes()
			if len(data) < len(dst) {
				return nil, fmt.Errorf("udf: short partial")
			}
			copy(dst, data)
			data = data[len(dst):]
		}
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("udf: %d extra bytes in a partial", len(data))
	}
	return parts, nil
}

// nullSource is the source of a pass without data.
type nullSource struct{}

func (nullSource) ReadFloat32(dst []float32, beg, end int) error { return nil }

// roiSource reads only the frames selected by roi; the others are left as they are.
type roiSource struct {
	src spmd.Source
	roi []bool
	d   int
}

func (r roiSource) ReadFloat32(dst []float32, beg, end int) error {
	for f := beg; f < end; {
		if !r.roi[f] {
			f++
			continue
		}
		g := f
		for g < end && r.roi[g] {
			g++
		}
		if err := r.src.ReadFloat32(dst[(f-beg)*r.d:(g-beg)*r.d], f, g); err != nil {
			return err
		}
		f = g
	}
	return nil
}
