// Command stemreduce runs distributed dimensionality reduction of 4D-STEM data as an MPI
// SPMD job. See README.md and `stemreduce --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/stemreduce/stemreduce/cli"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

// world is the process-wide communicator: MPI (main_mpi.go) or one local rank
// (main_local.go).
type world interface {
	Comm() collective.Comm
	Abort(code int)
	Stop() error
}

func init() {
	// MPI calls come from the main goroutine, which stays on the main OS thread.
	runtime.LockOSThread()
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) (code int) {
	w, err := newWorld()
	if err != nil {
		fmt.Fprintf(os.Stderr, "stemreduce: could not start: %v\n", err)
		return spmd.ExitFailure
	}
	defer w.Stop()
	c := w.Comm()
	shareCores()
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(os.Stderr, "stemreduce[r%d/%d]: panic: %v\n%s", c.Rank(), c.Size(), v, debug.Stack())
			w.Abort(spmd.ExitInternal)
			code = spmd.ExitInternal
		}
	}()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	report := make(chan struct{}, 1)
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			select {
			case report <- struct{}{}:
			default:
			}
		}
	}()

	env := cli.Env{Comm: c, Stdout: os.Stdout, Stderr: os.Stderr, Report: report, Args: os.Args}
	ranks, err := cli.RanksFlag(args)
	switch {
	case err != nil:
	case ranks > 1 && c.Size() > 1:
		err = spmd.Usagef("--ranks=%d: in-process ranks cannot be combined with %d MPI ranks", ranks, c.Size())
	case ranks > 1:
		err = runInProcess(ctx, env, ranks, args)
	default:
		err = cli.Run(ctx, env, args)
	}
	return report1(c.Rank(), err)
}

// shareCores gives each rank its share of the node's cores when several ranks of an MPI job
// run on one node and GOMAXPROCS is not set by the user, so block goroutines do not
// oversubscribe the node. A rank the launcher has bound to fewer CPUs than the node has
// (srun --cpu-bind, mpirun --bind-to) already has its share: Go sees only those CPUs.
func shareCores() {
	if os.Getenv("GOMAXPROCS") != "" || runtime.NumCPU() < onlineCPUs() {
		return
	}
	for _, v := range []string{"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"} {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n > 1 {
			runtime.GOMAXPROCS(max(1, runtime.NumCPU()/n))
			return
		}
	}
}

// onlineCPUs returns the number of online CPUs of the node (Linux), or 0 if unknown.
func onlineCPUs() int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, found := strings.Cut(r, "-")
		a, err1 := strconv.Atoi(lo)
		z, err2 := strconv.Atoi(hi)
		switch {
		case err1 != nil:
			return 0
		case !found:
			n++
		case err2 == nil && z >= a:
			n += z - a + 1
		}
	}
	return n
}

// runInProcess runs the command on ranks goroutines, each with its own in-process Comm.
func runInProcess(ctx context.Context, env cli.Env, ranks int, args []string) error {
	errs := inproc.Run(ranks, func(c collective.Comm) error {
		e := env
		e.Comm = c
		e.Workers = max(1, runtime.GOMAXPROCS(0)/ranks)
		return cli.Run(ctx, e, args)
	})
	return errs[0] // errors are agreed, so rank 0 holds the job's error
}

// report1 prints the error once, from rank 0, and returns the exit code, which agreement
// makes the same on every rank.
func report1(rank int, err error) int {
	if errors.Is(err, cli.ErrHelp) {
		return spmd.ExitOK
	}
	code := spmd.Code(err)
	switch {
	case err == nil || rank != 0:
	case code == spmd.ExitCanceled:
		fmt.Fprintln(os.Stderr, "stemreduce: cancelled by a signal; every rank stopped and no output file was written")
	default:
		fmt.Fprintf(os.Stderr, "stemreduce: %v\n", err)
	}
	return code
}
