//go:build mpi

package mpi

import (
	"fmt"
	"slices"
	"time"
	"unsafe"
)

// sendQueue holds the sends that were started but may not have completed yet. Each owns a
// C copy of its data, freed on completion.
type sendQueue struct {
	reqs []request
	mems []unsafe.Pointer
	dsts []int
	idx  []cint // scratch for Testsome
}

func (q *sendQueue) add(req request, mem unsafe.Pointer, dst int) {
	q.reqs = append(q.reqs, req)
	q.mems = append(q.mems, mem)
	q.dsts = append(q.dsts, dst)
}

// reap completes the sends that can complete without blocking and frees their copies.
func (q *sendQueue) reap() error {
	if len(q.reqs) == 0 {
		return nil
	}
	if len(q.idx) < len(q.reqs) {
		q.idx = make([]cint, cap(q.reqs))
	}
	n, err := testsome(q.reqs, q.idx)
	if err != nil {
		return err
	}
	if n == mpiUndefined || n == 0 {
		return nil
	}
	null := requestNull()
	for _, i := range q.idx[:n] {
		freeMem(q.mems[i])
		q.mems[i] = nil
		q.reqs[i] = null
	}
	// Keep the pending ones in their order.
	k := 0
	for i := range q.reqs {
		if q.mems[i] != nil {
			q.reqs[k], q.mems[k], q.dsts[k] = q.reqs[i], q.mems[i], q.dsts[i]
			k++
		}
	}
	clear(q.mems[k:])
	q.reqs, q.mems, q.dsts = q.reqs[:k], q.mems[:k], q.dsts[:k]
	return nil
}

// drain waits up to grace for every pending send to complete. Call it only once no rank
// will post another receive (after the barrier in Stop): a send still pending after grace
// was never matched, and waiting longer would hang.
func (q *sendQueue) drain(grace time.Duration) error {
	deadline := time.Now().Add(grace)
	for {
		if err := q.reap(); err != nil {
			return err
		}
		if len(q.reqs) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			dsts := slices.Clone(q.dsts)
			slices.Sort(dsts)
			return fmt.Errorf("%d sends (to ranks %v) were never received", len(dsts), slices.Compact(dsts))
		}
		time.Sleep(time.Millisecond)
	}
}
