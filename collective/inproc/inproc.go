package inproc

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/stemreduce/stemreduce/collective"
)

// world is the shared state of the ranks of one Run.
type world struct {
	mu      sync.Mutex
	cond    *sync.Cond
	size    int
	live    int            // ranks that have not returned
	blocked map[int]waiter // rank -> the call it waits in
	rounds  map[int]*round // collective call number -> rendezvous
	inbox   [][]message    // per destination rank
	broken  string         // non-empty once misuse or deadlock was detected
}

type round struct {
	desc    string   // the call of the first rank to arrive, e.g. "Allreduce(8)"
	first   int      // that rank
	contrib [][]byte // per rank
	arrived int
	left    int
}

// waiter is a rank blocked in a call until done reports true.
type waiter struct {
	desc string
	done func() bool
}

type message struct {
	src, tag int
	data     []byte
}

// breakError is the panic value of a rank released from a broken world.
type breakError string

func (e breakError) Error() string { return string(e) }

// comm is one rank's view of a world.
type comm struct {
	w        *world
	rank     int
	seq      int // number of collective calls made
	counters collective.Counters
}

// Run calls fn on p ranks, each in its own goroutine with its own Comm, and waits for all
// of them. It returns the error of every rank, indexed by rank; a nil slice element means
// success. If the ranks misuse the collectives or deadlock, Run panics with a message
// naming them, after every rank goroutine has stopped. A panic inside fn is re-raised in
// the caller the same way. It panics if p < 1.
func Run(p int, fn func(c collective.Comm) error) []error {
	if p < 1 {
		panic("inproc: need at least one rank")
	}
	w := &world{size: p, live: p, blocked: map[int]waiter{}, rounds: map[int]*round{}, inbox: make([][]message, p)}
	w.cond = sync.NewCond(&w.mu)
	errs := make([]error, p)
	panics := make([]any, p)
	var wg sync.WaitGroup
	for r := range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.exit()
			defer func() {
				if v := recover(); v != nil {
					panics[r] = v
					w.breakf("rank %d panicked: %v", r, v)
				}
			}()
			errs[r] = fn(&comm{w: w, rank: r})
		}()
	}
	wg.Wait()
	if w.broken != "" {
		for _, v := range panics {
			if _, ok := v.(breakError); !ok && v != nil {
				panic(v) // the original panic of a rank, with its own message
			}
		}
		panic("inproc: " + w.broken)
	}
	return errs
}

// RunErr is Run returning the first non-nil error in rank order.
func RunErr(p int, fn func(c collective.Comm) error) error {
	for _, err := range Run(p, fn) {
		if err != nil {
			return err
		}
	}
	return nil
}

// exit marks a rank as returned; if the rest are all blocked, that is a deadlock.
func (w *world) exit() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.live--
	w.checkDeadlock()
	w.cond.Broadcast()
}

// breakf breaks the world with a message. w.mu must not be held.
func (w *world) breakf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken == "" {
		w.broken = fmt.Sprintf(format, args...)
	}
	w.cond.Broadcast()
}

// checkDeadlock breaks the world when every live rank is blocked. w.mu must be held.
func (w *world) checkDeadlock() {
	if w.broken != "" || w.live == 0 || len(w.blocked) < w.live {
		return
	}
	for _, b := range w.blocked {
		if b.done() {
			return // woken, not yet running
		}
	}
	var calls []string
	for r := range w.size {
		if b, ok := w.blocked[r]; ok {
			calls = append(calls, fmt.Sprintf("rank %d in %s", r, b.desc))
		}
	}
	msg := "deadlock: " + strings.Join(calls, ", ")
	if w.live < w.size {
		msg += fmt.Sprintf(" (%d of %d ranks have returned)", w.size-w.live, w.size)
	}
	w.broken = msg
	w.cond.Broadcast()
}

// wait blocks rank on w.cond until done reports true. w.mu must be held.
func (w *world) wait(rank int, desc string, done func() bool) {
	for !done() {
		if w.broken != "" {
			panic(breakError(w.broken))
		}
		w.blocked[rank] = waiter{desc, done}
		w.checkDeadlock()
		if w.broken != "" {
			delete(w.blocked, rank)
			panic(breakError(w.broken))
		}
		w.cond.Wait()
		delete(w.blocked, rank)
	}
}

// collect is the rendezvous of every collective call: it records rank's contribution and
// returns the contributions of all ranks once every rank has arrived.
func (c *comm) collect(desc string, contrib []byte) [][]byte {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken != "" {
		panic(breakError(w.broken))
	}
	seq := c.seq
	c.seq++
	rd := w.rounds[seq]
	if rd == nil {
		rd = &round{desc: desc, first: c.rank, contrib: make([][]byte, w.size)}
		w.rounds[seq] = rd
	} else if rd.desc != desc {
		w.broken = fmt.Sprintf("collective mismatch: rank %d %s vs rank %d %s", rd.first, rd.desc, c.rank, desc)
		w.cond.Broadcast()
		panic(breakError(w.broken))
	}
	rd.contrib[c.rank] = contrib
	rd.arrived++
	w.cond.Broadcast()
	w.wait(c.rank, desc, func() bool { return rd.arrived == w.size })
	rd.left++
	if rd.left == w.size {
		delete(w.rounds, seq)
	}
	c.counters.Collective++
	c.counters.Messages++
	c.counters.BytesSent += int64(len(contrib))
	return rd.contrib
}

func (c *comm) Rank() int                     { return c.rank }
func (c *comm) Size() int                     { return c.w.size }
func (c *comm) Counters() collective.Counters { return c.counters }

func (c *comm) Barrier() error {
	c.collect("Barrier", nil)
	return nil
}

func (c *comm) Bcast(buf []byte, root int) error {
	c.checkRank(root, "Bcast root")
	var mine []byte
	if c.rank == root {
		mine = slices.Clone(buf)
	}
	all := c.collect(fmt.Sprintf("Bcast(%d bytes, root %d)", len(buf), root), mine)
	if c.rank != root {
		copy(buf, all[root])
	}
	return nil
}

func (c *comm) AllreduceFloat64(buf []float64, op collective.Op) error {
	allreduce(c, buf, op, "Float64")
	return nil
}

func (c *comm) AllreduceFloat32(buf []float32, op collective.Op) error {
	allreduce(c, buf, op, "Float32")
	return nil
}

func (c *comm) AllreduceInt64(buf []int64, op collective.Op) error {
	allreduce(c, buf, op, "Int64")
	return nil
}

// allreduce combines the contributions in rank order, so every rank computes the same bits.
func allreduce[T float64 | float32 | int64](c *comm, buf []T, op collective.Op, typ string) {
	all := c.collect(fmt.Sprintf("Allreduce%s(%d, %v)", typ, len(buf), op), slices.Clone(collective.AsBytes(buf)))
	for r, b := range all {
		src := fromBytes[T](b, len(buf))
		if r == 0 {
			copy(buf, src)
			continue
		}
		for i, v := range src {
			switch op {
			case collective.Sum:
				buf[i] += v
			case collective.Max:
				buf[i] = max(buf[i], v)
			case collective.Min:
				buf[i] = min(buf[i], v)
			default:
				panic(fmt.Sprintf("inproc: unknown op %v", op))
			}
		}
	}
}

func (c *comm) Allgatherv(dst, src []byte, counts []int) error {
	if len(counts) != c.w.size {
		panic(fmt.Sprintf("inproc: Allgatherv with %d counts for %d ranks", len(counts), c.w.size))
	}
	if counts[c.rank] != len(src) {
		panic(fmt.Sprintf("inproc: rank %d Allgatherv src length %d, counts say %d", c.rank, len(src), counts[c.rank]))
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if len(dst) != total {
		panic(fmt.Sprintf("inproc: Allgatherv dst length %d, counts sum to %d", len(dst), total))
	}
	all := c.collect(fmt.Sprintf("Allgatherv(%v)", counts), slices.Clone(src))
	off := 0
	for _, b := range all {
		off += copy(dst[off:], b)
	}
	return nil
}

func (c *comm) Send(buf []byte, dst, tag int) error {
	c.checkRank(dst, "Send destination")
	checkTag(tag)
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken != "" {
		panic(breakError(w.broken))
	}
	w.inbox[dst] = append(w.inbox[dst], message{c.rank, tag, slices.Clone(buf)})
	c.counters.Messages++
	c.counters.BytesSent += int64(len(buf))
	w.cond.Broadcast()
	return nil
}

func (c *comm) Recv(buf []byte, src, tag int) error {
	c.checkRank(src, "Recv source")
	checkTag(tag)
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	find := func() int {
		return slices.IndexFunc(w.inbox[c.rank], func(m message) bool { return m.src == src && m.tag == tag })
	}
	desc := fmt.Sprintf("Recv(%d bytes from rank %d, tag %d)", len(buf), src, tag)
	w.wait(c.rank, desc, func() bool { return find() >= 0 })
	i := find()
	m := w.inbox[c.rank][i]
	w.inbox[c.rank] = slices.Delete(w.inbox[c.rank], i, i+1)
	if len(m.data) != len(buf) {
		w.broken = fmt.Sprintf("rank %d %s got a message of %d bytes", c.rank, desc, len(m.data))
		w.cond.Broadcast()
		panic(breakError(w.broken))
	}
	copy(buf, m.data)
	return nil
}

func (c *comm) checkRank(r int, what string) {
	if r < 0 || r >= c.w.size {
		panic(fmt.Sprintf("inproc: %s %d out of range [0, %d)", what, r, c.w.size))
	}
}

func checkTag(tag int) {
	if tag < 0 || tag > collective.MaxTag {
		panic(fmt.Sprintf("inproc: tag %d out of range [0, %d]", tag, collective.MaxTag))
	}
}

func fromBytes[T float64 | float32 | int64](b []byte, n int) []T {
	out := make([]T, n)
	copy(collective.AsBytes(out), b)
	return out
}

// Single returns the Comm of a world of one rank, for running without MPI outside Run.
func Single() collective.Comm {
	w := &world{size: 1, live: 1, blocked: map[int]waiter{}, rounds: map[int]*round{}, inbox: make([][]message, 1)}
	w.cond = sync.NewCond(&w.mu)
	return &comm{w: w}
}
