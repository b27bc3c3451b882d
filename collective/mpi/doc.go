//go:build mpi

// Package mpi implements collective.Comm over MPI. It is the only place in stemreduce that
// calls MPI, and it builds only with the mpi build tag and cgo; the compiler and linker
// flags come from the environment (`. scripts/cgoenv`, which asks pkg-config).
//
//	w, err := mpi.Start() // in main's goroutine, once
//	if err != nil { ... }
//	defer w.Stop()
//	c := w.Comm() // MPI_COMM_WORLD
//
// # What gompi provides and what the shim adds
//
// github.com/sbromberger/gompi v0.2.0 is used where its call is correct: Rank, Size,
// Barrier, AllreduceFloat64s, AllreduceFloat32s and AllreduceInt64s, RecvPreallocBytes
// and Abort. Its calls ignore MPI return codes and take &buf[0], so this package skips
// them for empty buffers, copies the input of an Allreduce into a scratch buffer (gompi
// wants distinct send and receive buffers; Comm reduces in place) and maps collective's
// operators to gompi's, which come in a different order (Sum, Min, Max).
//
// A small cgo shim (shim.go) does the rest, and checks every MPI return code: thread-level
// initialisation and finalisation, the MPI_TAG_UB check, Bcast (gompi's BcastBytes
// broadcasts len(buf) MPI_INT32 elements, four times the buffer, and overflows it),
// Allgatherv (gompi has no gather), zero-length receives and every send. Sends are
// MPI_Isend of a C copy of the buffer, completed in the background; gompi's SendBytes is
// the blocking MPI_Send, which waits for the receiver once a message exceeds the eager
// limit (and, with Open MPI, for any send to self), so the send-then-receive ring that
// Comm allows deadlocks.
//
// gompi's calls are confined to lib_gompi.go (build tags mpi && !mpich). gompi's cgo flags
// hard-code Open MPI's Debian paths, so it cannot link against another MPI: with the mpich
// tag (make MPI=mpich), lib_shim.go makes the same few calls through the shim instead. The
// two files must be kept in sync; scripts/test runs the conformance suite on both.
//
// # Errors
//
// A non-success MPI code becomes an error naming the operation, such as "mpi: could not
// broadcast 8 bytes from rank 0: MPI error 2: MPI_ERR_COUNT: invalid count argument".
// With the default error handler, MPI_ERRORS_ARE_FATAL, which this package keeps, MPI
// aborts the job before any code is returned, so these errors are a second line of
// defence; MPI errors are never recoverable. Misuse that one rank can see — counts that
// do not match Size or len(src), a tag above collective.MaxTag, a rank out of range, an
// unknown operator, a call after Stop or from the wrong thread — panics with an "mpi: "
// message before any MPI call, so the other ranks are not left in a half-made call (the
// launcher ends the job when the panicking process dies).
//
// # Large messages
//
// MPI counts are C ints. Bcast, Allreduce, Send and Recv split a buffer longer than
// 2^31-1 elements into several calls (Allreduce also splits at its 8 MiB scratch buffer);
// every rank splits the same way because the lengths agree. Allgatherv displacements are
// C ints too: a total above 2^31-1 bytes is moved as one broadcast per rank instead.
//
// # Zero lengths
//
// Collectives on empty buffers make no MPI call: every rank agrees on the lengths, so all
// skip together (they are still counted, as in collective/inproc). A zero-length Send is a
// real zero-length message, and a zero-length Recv waits for it, so an empty message can
// still carry a signal.
//
// # Threads
//
// MPI is initialised with MPI_Init_thread at MPI_THREAD_FUNNELED, not with gompi's
// Start(false) (plain MPI_Init, whose default level MPI_THREAD_SINGLE promises a process
// with a single thread; a Go program always has several). FUNNELED states what holds: the
// process has many threads, and only the one that initialised MPI calls it. Start locks
// the calling goroutine to its OS thread with runtime.LockOSThread, so that goroutine —
// main's — must make every call on the World and its Comm. Every call checks this with
// MPI_Is_thread_main and panics from any other goroutine. Work may run on many goroutines
// between calls; their results come back to the main goroutine for communication. Tests,
// whose functions run on goroutines of their own, forward their MPI work to TestMain's
// goroutine (see mpi_test.go).
//
// # Counters
//
// Counters follow collective/inproc: every collective call adds one message and one
// collective, and the bytes this rank contributes (Allreduce: the whole buffer; Bcast:
// the buffer on the root only; Allgatherv: len(src)); a Send adds one message and its
// bytes, a Recv nothing. They count Comm calls, not the MPI calls a long buffer is split
// into.
package mpi
