package spmd

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stemreduce/stemreduce/collective"
)

// Source is what a pass reads: frames [beg, end) as float32, row-major. dataset.Dataset
// satisfies it.
type Source interface {
	ReadFloat32(dst []float32, beg, end int) error
}

// FrameViewer is an optional interface of a Source that keeps frames in its own memory,
// such as a cache of a partition. Stream uses it when the source has it: a tile whose
// frames the source can view is handed to the block functions in place, without a copy
// into the pass's tile buffers.
type FrameViewer interface {
	// ViewFloat32 returns frames [beg, end) as a slice of (end−beg)·d values of the
	// source's memory, reading them into that memory first if need be, and ok true; or ok
	// false, and no error, when it cannot (the caller then reads the frames with
	// ReadFloat32). The caller must not modify the slice; it stays valid and unchanged
	// for the duration of the pass.
	ViewFloat32(beg, end int) (data []float32, ok bool, err error)
}

// Env carries the settings and services a pass uses.
type Env struct {
	Log       *Logger       // nil: no logging
	Times     *Timings      // nil: no timing
	TileBytes int64         // tile budget in bytes of float32 frames; zero means 64 MiB
	Workers   int           // goroutines computing blocks; zero means GOMAXPROCS
	Progress  time.Duration // interval of progress lines on rank 0; zero means none
	Report    chan struct{} // a value here prints a progress line at once (SIGUSR1); may be nil
}

func (e *Env) tileBytes() int64 {
	if e == nil || e.TileBytes <= 0 {
		return 64 << 20
	}
	return e.TileBytes
}

func (e *Env) workers() int {
	if e == nil || e.Workers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return e.Workers
}

func (e *Env) time(name string, d time.Duration) {
	if e != nil && e.Times != nil {
		e.Times.Add(name, d)
	}
}

// Block is one block of frames handed to a block function.
type Block struct {
	Index  int       // block index
	Frames Range     // global frame range
	D      int       // pixels per frame
	Data   []float32 // Frames.Len() frames of D pixels, row-major; read-only, valid during the call only
}

// Frame returns frame i of the block (0 <= i < Frames.Len()).
func (b Block) Frame(i int) []float32 { return b.Data[i*b.D : (i+1)*b.D] }

// tile is one read of whole blocks.
type tile struct {
	b0, b1 int
	frames Range
	data   []float32
	err    error
}

// Reduce runs one pass over this rank's frames of src (d pixels per frame): fn computes a
// partial per block, and the partials of all ranks are combined along the canonical block
// tree with m. Every rank returns the same bits. fn may be called concurrently for different
// blocks and must not keep Block.Data. An error on any rank (from src, fn or ctx) is agreed,
// so every rank returns an error together.
// Collective: every rank of c must call it with the same name, plan layout and d.
func Reduce[T any](ctx context.Context, c collective.Comm, env *Env, name string, plan Plan, d int, src Source, m collective.Merger[T], fn func(Block) (T, error)) (T, error) {
	acc := collective.NewAccumulator(m, plan.NBlocks, plan.Size, plan.Rank)
	err := Stream(ctx, env, name, plan, d, src, func(blocks []Block) error {
		return PushBlocks(acc, blocks, env.workers(), fn)
	})
	var zero T
	if err = Agree(c, err); err != nil {
		return zero, err
	}
	start := time.Now()
	defer func() { env.time("reduce", time.Since(start)) }()
	return collective.ReduceAll(c, acc, 1)
}

// PushBlocks computes the partial of every block with fn, on up to workers goroutines
// (zero means GOMAXPROCS), and pushes the partials into acc in block order. At most workers
// partials wait to be pushed at a time, so memory does not grow with the tile.
func PushBlocks[T any](acc *collective.Accumulator[T], blocks []Block, workers int, fn func(Block) (T, error)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	parts := make([]T, workers)
	for g := 0; g < len(blocks); g += workers {
		group := blocks[g:min(g+workers, len(blocks))]
		if err := Parallel(workers, len(group), func(i int) (err error) {
			parts[i], err = fn(group[i])
			return err
		}); err != nil {
			return err
		}
		for i, b := range group {
			acc.Push(b.Index, parts[i])
			var zero T
			parts[i] = zero
		}
	}
	return nil
}

// Stream reads this rank's frames tile by tile, whole blocks at a time, and calls fn with
// the blocks of each tile in order. The next tile is read while fn works on the current
// one. If src is a FrameViewer, the tiles it can view are handed out in place, not copied.
// fn must not modify Block.Data. Stream stops at the first error of src, fn or ctx and
// returns it. It is local: it makes no collective call, so the caller agrees on its error.
func Stream(ctx context.Context, env *Env, name string, plan Plan, d int, src Source, fn func([]Block) error) error {
	tiles := plan.Tiles(TileFrames(env.tileBytes(), d))
	prog := startProgress(env, name, plan, d)
	defer prog.stop()
	ready := make(chan tile) // unbuffered: the reader fills one buffer while fn uses the other
	done := make(chan struct{})
	defer close(done)
	go readTiles(ctx, env, plan, d, src, tiles, ready, done)
	for t := range ready {
		if t.err != nil {
			return t.err
		}
		start := time.Now()
		blocks := make([]Block, 0, t.b1-t.b0)
		for b := t.b0; b < t.b1; b++ {
			r := plan.BlockRange(b)
			off := (r.Beg - t.frames.Beg) * d
			blocks = append(blocks, Block{Index: b, Frames: r, D: d, Data: t.data[off : off+r.Len()*d]})
		}
		err := fn(blocks)
		env.time("compute", time.Since(start))
		if err != nil {
			return err
		}
		prog.add(t.frames.Len())
	}
	return ctx.Err()
}

// readTiles reads tiles into two alternating buffers, or views them in a FrameViewer
// source, and sends them on ready. It is the only goroutine that calls src during a pass.
// It stops after an error or when done closes.
func readTiles(ctx context.Context, env *Env, plan Plan, d int, src Source, tiles [][2]int, ready chan<- tile, done <-chan struct{}) {
	defer close(ready)
	var bufs [2][]float32
	viewer, _ := src.(FrameViewer)
	for i, tb := range tiles {
		t := tile{b0: tb[0], b1: tb[1], frames: Range{plan.BlockRange(tb[0]).Beg, plan.BlockRange(tb[1]).Beg}}
		if err := ctx.Err(); err != nil {
			t.err = err
		} else {
			start := time.Now()
			n := t.frames.Len() * d
			viewed := false
			if viewer != nil {
				var data []float32
				data, viewed, t.err = viewer.ViewFloat32(t.frames.Beg, t.frames.End)
				if viewed && len(data) != n {
					panic(fmt.Sprintf("spmd: view of frames [%d, %d) has %d values, want %d", t.frames.Beg, t.frames.End, len(data), n))
				}
				t.data = data
			}
			if !viewed && t.err == nil {
				if cap(bufs[i%2]) < n {
					bufs[i%2] = make([]float32, n)
				}
				t.data = bufs[i%2][:n]
				t.err = src.ReadFloat32(t.data, t.frames.Beg, t.frames.End)
			}
			env.time("read", time.Since(start))
		}
		select {
		case ready <- t:
		case <-done:
			return
		}
		if t.err != nil {
			return
		}
	}
}

// Parallel calls fn(i) for i in [0, n) on up to workers goroutines (zero means GOMAXPROCS)
// and returns the error of the lowest failing i.
func Parallel(workers, n int, fn func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				errs[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// progress prints a line on rank 0 every interval while a pass runs.
type progress struct {
	frames atomic.Int64
	quit   chan struct{}
	wg     sync.WaitGroup
}

func startProgress(env *Env, name string, plan Plan, d int) *progress {
	p := &progress{quit: make(chan struct{})}
	if env == nil || env.Log == nil || plan.Rank != 0 || (env.Progress <= 0 && env.Report == nil) {
		return p
	}
	start := time.Now()
	report := func() {
		n := p.frames.Load()
		el := time.Since(start).Seconds()
		line := fmt.Sprintf("%s: %d/%d frames of rank 0 (%.0f%%), %.2f GiB/s", name, n, plan.NLocal(), 100*float64(n)/float64(max(plan.NLocal(), 1)), float64(n)*float64(d)*4/el/(1<<30))
		if n > 0 {
			line += fmt.Sprintf(", about %.0f s left", el*float64(int64(plan.NLocal())-n)/float64(n))
		}
		env.Log.Infof("%s", line)
	}
	var ticker *time.Ticker
	var tick <-chan time.Time
	if env.Progress > 0 {
		ticker = time.NewTicker(env.Progress)
		tick = ticker.C
	}
	p.wg.Add(1)
	go func() {
		if ticker != nil {
			defer ticker.Stop()
		}
		p.loop(tick, env.Report, report)
	}()
	return p
}

func (p *progress) loop(tick <-chan time.Time, usr1 <-chan struct{}, report func()) {
	defer p.wg.Done()
	for {
		select {
		case <-tick:
			report()
		case <-usr1:
			report()
		case <-p.quit:
			return
		}
	}
}

func (p *progress) add(n int) { p.frames.Add(int64(n)) }

func (p *progress) stop() {
	close(p.quit)
	p.wg.Wait()
}
