//go:build mpi

package mpi

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/stemreduce/stemreduce/collective"
)

// maxCount is the largest element count one MPI call takes: counts are C ints.
const maxCount = math.MaxInt32

// drainGrace bounds how long Stop waits, after every rank has entered it, for sends that
// no rank will ever receive.
const drainGrace = 10 * time.Second

// World is this process's MPI library state: it exists between Start and Stop. There is
// at most one per process.
type World struct {
	lib     lib // gompi (OpenMPI build) or the shim (MPICH build)
	comm    *comm
	sends   sendQueue // started sends of every comm of this world
	stopped bool
}

// Start initialises MPI with MPI_Init_thread at level MPI_THREAD_FUNNELED and returns the
// world. It locks the calling goroutine to its OS thread (runtime.LockOSThread): that
// goroutine, normally main's, must make every later call on the world and its Comm.
//
// Start may be called once per process; it returns an error if MPI is already initialised
// or was finalised, if the library offers less than MPI_THREAD_FUNNELED, or if its tag
// upper bound is below collective.MaxTag. Errors inside MPI_Init_thread itself usually
// abort the process (MPI_ERRORS_ARE_FATAL).
func Start() (*World, error) {
	if ok, err := initialized(); err != nil {
		return nil, fmt.Errorf("mpi: could not query MPI state: %w", err)
	} else if ok {
		return nil, errors.New("mpi: could not initialise MPI: already initialised (Start may be called once per process)")
	}
	if ok, err := finalized(); err != nil {
		return nil, fmt.Errorf("mpi: could not query MPI state: %w", err)
	} else if ok {
		return nil, errors.New("mpi: could not initialise MPI: already finalised")
	}
	runtime.LockOSThread()
	provided, required, err := initFunneled()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("mpi: could not initialise MPI: %w", err)
	}
	fail := func(err error) (*World, error) {
		finalize()
		runtime.UnlockOSThread()
		return nil, err
	}
	if provided < required {
		return fail(fmt.Errorf("mpi: could not initialise MPI: thread level %d provided, MPI_THREAD_FUNNELED (%d) required", provided, required))
	}
	h := commWorld()
	ub, found, err := tagUB(h)
	switch {
	case err != nil:
		return fail(fmt.Errorf("mpi: could not read MPI_TAG_UB: %w", err))
	case !found || ub < collective.MaxTag:
		return fail(fmt.Errorf("mpi: could not use MPI_COMM_WORLD: tag upper bound %d (found %t) below %d", ub, found, collective.MaxTag))
	}
	w := &World{lib: newLib()}
	w.comm = newComm(w, h, maxCount)
	return w, nil
}

// Comm returns MPI_COMM_WORLD as a collective.Comm. Its methods panic if called after
// Stop or from a goroutine other than the one that called Start.
func (w *World) Comm() collective.Comm { return w.comm }

// Abort stops every process of the job with exit code code (MPI_Abort on MPI_COMM_WORLD).
// It does not return. It is meant for main's panic handler and may be called from any
// goroutine; if MPI is not running (never started, or finalised) it calls os.Exit(code).
func (w *World) Abort(code int) {
	init, _ := initialized()
	fin, _ := finalized()
	if init && !fin {
		w.lib.abort(commWorld(), code)
	}
	os.Exit(code) // MPI_Abort should not return
}

// Stop finalises MPI. Every rank must call it (MPI_Finalize is collective), from the
// goroutine that called Start. It first waits at a barrier, then completes the sends that
// are still in flight; a send that no rank received by then never will be, and Stop
// returns an error without finalising so the process does not hang (the launcher then
// reports that the process exited without MPI_Finalize). Later calls return nil.
func (w *World) Stop() error {
	if w.stopped {
		return nil
	}
	w.comm.checkThread("Stop")
	w.stopped = true
	defer runtime.UnlockOSThread()
	// Every rank is in Stop after the barrier, so every receive that will ever be posted
	// has completed.
	if err := w.lib.barrier(commWorld()); err != nil {
		return fmt.Errorf("mpi: could not finalise MPI: %w", err)
	}
	if err := w.sends.drain(drainGrace); err != nil {
		return fmt.Errorf("mpi: could not finalise MPI: %w", err)
	}
	if err := finalize(); err != nil {
		return fmt.Errorf("mpi: could not finalise MPI: %w", err)
	}
	return nil
}

// Launched reports whether the process was started by an MPI launcher (mpirun, mpiexec,
// srun) rather than directly: it looks for the environment such launchers set. Open MPI
// sets OMPI_COMM_WORLD_SIZE, PMIx launchers (Open MPI 4 and 5, srun --mpi=pmix) set
// PMIX_RANK, MPICH and Intel MPI's Hydra and srun --mpi=pmi2 set PMI_RANK and PMI_SIZE,
// and every task of an srun job step has SLURM_PROCID, SLURM_NTASKS and SLURM_STEP_ID.
// Call it before Start: a singleton MPI_Init may set some of these itself.
func Launched() bool {
	has := func(k string) bool {
		_, ok := os.LookupEnv(k)
		return ok
	}
	switch {
	case has("OMPI_COMM_WORLD_SIZE"), has("PMIX_RANK"), has("PMI_SIZE"), has("PMI_RANK"):
		return true
	case has("SLURM_PROCID") && has("SLURM_NTASKS") && (has("SLURM_STEP_ID") || has("SLURM_STEPID")):
		// The batch script itself has no step id: only srun tasks count.
		return true
	}
	return false
}
