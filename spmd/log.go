package spmd

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Logger writes rank-prefixed lines, "stemreduce[r03/16]: ...". Info lines are written by
// rank 0 only, or by every rank when verbose; warnings and errors by every rank.
// It is safe for concurrent use.
type Logger struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	rank    int
	verbose bool
}

// NewLogger returns a logger for rank of size writing to w.
func NewLogger(w io.Writer, rank, size int, verbose bool) *Logger {
	width := len(fmt.Sprint(max(size-1, 1)))
	prefix := fmt.Sprintf("stemreduce[r%0*d/%d]: ", width, rank, size)
	return &Logger{w: w, prefix: prefix, rank: rank, verbose: verbose}
}

// Infof logs on rank 0, or on every rank when verbose.
func (l *Logger) Infof(format string, args ...any) {
	if l == nil || (l.rank != 0 && !l.verbose) {
		return
	}
	l.printf(format, args...)
}

// Warnf logs on every rank.
func (l *Logger) Warnf(format string, args ...any) {
	if l == nil {
		return
	}
	l.printf("warning: "+format, args...)
}

func (l *Logger) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, l.prefix+format+"\n", args...)
}

// Timings records wall time per named phase, in the order phases first appear.
type Timings struct {
	mu    sync.Mutex
	names []string
	d     map[string]time.Duration
}

// Add adds d to phase name.
func (t *Timings) Add(name string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.d == nil {
		t.d = map[string]time.Duration{}
	}
	if _, ok := t.d[name]; !ok {
		t.names = append(t.names, name)
	}
	t.d[name] += d
}

// Time runs fn and adds its wall time to phase name.
func (t *Timings) Time(name string, fn func() error) error {
	start := time.Now()
	err := fn()
	t.Add(name, time.Since(start))
	return err
}

// Phases returns the phase names in order and their seconds.
func (t *Timings) Phases() ([]string, []float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	secs := make([]float64, len(t.names))
	for i, n := range t.names {
		secs[i] = t.d[n].Seconds()
	}
	return append([]string(nil), t.names...), secs
}

// Report writes the per-phase timing table and the collective traffic of this rank to the
// log (rank 0 only unless verbose), as plain lines for batch logs.
func (t *Timings) Report(l *Logger, total time.Duration, bytes, messages int64) {
	names, secs := t.Phases()
	l.Infof("%-10s %9s %6s", "phase", "seconds", "share")
	for i, n := range names {
		l.Infof("%-10s %9.3f %5.0f%%", n, secs[i], 100*secs[i]/max(total.Seconds(), 1e-9))
	}
	l.Infof("%-10s %9.3f", "total", total.Seconds())
	l.Infof("collectives: %d bytes in %d messages from this rank", bytes, messages)
}
