//go:build mpi

package mpi

// This file is the whole C side of the package: thin wrappers around the MPI calls that
// gompi lacks or gets wrong. Every wrapper returns the MPI error code; the Go functions
// below turn it into an error that names the operation. The compiler and linker flags come
// from the environment (CGO_CFLAGS, CGO_LDFLAGS; see scripts/cgoenv), never from here.

/*
#include <stdlib.h>
#include <string.h>
#include <mpi.h>

// sr_dummy stands in for the address of an empty buffer: MPI wants a valid pointer even
// for a count of zero, and Go has none to give for an empty slice.
static char sr_dummy;

static void *sr_buf(void *p) { return p != NULL ? p : (void *)&sr_dummy; }

static MPI_Comm sr_comm_world(void) { return MPI_COMM_WORLD; }

static MPI_Request sr_request_null(void) { return MPI_REQUEST_NULL; }

static int sr_initialized(int *flag) { return MPI_Initialized(flag); }

static int sr_finalized(int *flag) { return MPI_Finalized(flag); }

static int sr_init_funneled(int *provided) {
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, provided);
}

static int sr_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

// sr_is_thread_main returns the flag itself: a Go variable whose address went to C would
// be allocated on every call.
static int sr_is_thread_main(void) {
	int flag = 0;
	if (MPI_Is_thread_main(&flag) != MPI_SUCCESS) {
		return 0;
	}
	return flag;
}

static int sr_finalize(void) { return MPI_Finalize(); }

// sr_tag_ub stores the MPI_TAG_UB attribute of c in *ub. The attribute value is a pointer
// to the int, not the int.
static int sr_tag_ub(MPI_Comm c, int *ub, int *found) {
	int *v = NULL;
	int rc = MPI_Comm_get_attr(c, MPI_TAG_UB, &v, found);
	if (rc == MPI_SUCCESS && *found && v != NULL) {
		*ub = *v;
	}
	return rc;
}

static int sr_bcast(void *buf, int n, int root, MPI_Comm c) {
	return MPI_Bcast(sr_buf(buf), n, MPI_BYTE, root, c);
}

static int sr_allgatherv(void *src, int n, void *dst, int *counts, int *displs, MPI_Comm c) {
	return MPI_Allgatherv(sr_buf(src), n, MPI_BYTE, sr_buf(dst), counts, displs, MPI_BYTE, c);
}

// sr_isend copies n bytes of buf into memory of its own and starts a send of the copy. On
// success *mem holds the copy, to be freed once *req completes; Go memory is not retained.
static int sr_isend(void *buf, int n, int dst, int tag, MPI_Comm c, MPI_Request *req, void **mem) {
	void *copy = malloc(n > 0 ? (size_t)n : 1);
	if (copy == NULL) {
		return MPI_ERR_NO_MEM;
	}
	if (n > 0) {
		memcpy(copy, buf, (size_t)n);
	}
	int rc = MPI_Isend(copy, n, MPI_BYTE, dst, tag, c, req);
	if (rc != MPI_SUCCESS) {
		free(copy);
		return rc;
	}
	*mem = copy;
	return MPI_SUCCESS;
}

// sr_recv receives at most n bytes into buf and stores the received length in *got.
static int sr_recv(void *buf, int n, int src, int tag, MPI_Comm c, int *got) {
	MPI_Status st;
	int rc = MPI_Recv(sr_buf(buf), n, MPI_BYTE, src, tag, c, &st);
	if (rc != MPI_SUCCESS) {
		return rc;
	}
	return MPI_Get_count(&st, MPI_BYTE, got);
}

// MPICH defines MPI_STATUSES_IGNORE as (MPI_Status *)1, which gcc 12 takes for a
// zero-length array (-Wstringop-overflow, a false positive).
#pragma GCC diagnostic ignored "-Wstringop-overflow"
static int sr_testsome(int n, MPI_Request *reqs, int *outcount, int *indices) {
	return MPI_Testsome(n, reqs, outcount, indices, MPI_STATUSES_IGNORE);
}

static void sr_free(void *p) { free(p); }

static void sr_error_string(int code, char *buf, int *len) {
	if (MPI_Error_string(code, buf, len) != MPI_SUCCESS) {
		*len = 0;
	}
}

static int sr_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

// The calls below are gompi's part in the OpenMPI build (lib_gompi.go); the mpich build
// (lib_shim.go), where gompi's hard-coded OpenMPI paths cannot be used, makes them here.
static int sr_comm_rank(MPI_Comm c, int *r) { return MPI_Comm_rank(c, r); }
static int sr_comm_size(MPI_Comm c, int *s) { return MPI_Comm_size(c, s); }
static int sr_barrier(MPI_Comm c) { return MPI_Barrier(c); }
static int sr_abort(MPI_Comm c, int code) { return MPI_Abort(c, code); }

// sr_allreduce reduces n elements of type t (0 double, 1 float, 2 int64) with op o
// (0 sum, 1 max, 2 min) from src into dst.
static int sr_allreduce(void *src, void *dst, int n, int t, int o, MPI_Comm c) {
	MPI_Datatype types[3] = {MPI_DOUBLE, MPI_FLOAT, MPI_INT64_T};
	MPI_Op ops[3] = {MPI_SUM, MPI_MAX, MPI_MIN};
	return MPI_Allreduce(sr_buf(src), sr_buf(dst), n, types[t], ops[o], c);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// mpiError is a non-success code returned by an MPI call.
type mpiError struct {
	code int
	msg  string // MPI_Error_string of code
}

func (e *mpiError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("MPI error %d", e.code)
	}
	return fmt.Sprintf("MPI error %d: %s", e.code, e.msg)
}

// check returns nil for MPI_SUCCESS and an *mpiError otherwise.
func check(rc C.int) error {
	if rc == C.MPI_SUCCESS {
		return nil
	}
	buf := make([]byte, int(C.sr_max_error_string()))
	var n C.int
	C.sr_error_string(rc, (*C.char)(unsafe.Pointer(&buf[0])), &n)
	return &mpiError{code: int(rc), msg: string(buf[:max(int(n), 0)])}
}

// ptr returns the address of the first byte of b, or nil if b is empty (the C side
// substitutes a dummy address).
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func initialized() (bool, error) {
	var f C.int
	err := check(C.sr_initialized(&f))
	return f != 0, err
}

func finalized() (bool, error) {
	var f C.int
	err := check(C.sr_finalized(&f))
	return f != 0, err
}

// initFunneled calls MPI_Init_thread for MPI_THREAD_FUNNELED and returns the level the
// library provides and the level requested.
func initFunneled() (provided, required int, err error) {
	var p C.int
	err = check(C.sr_init_funneled(&p))
	return int(p), int(C.sr_thread_funneled()), err
}

func isThreadMain() bool { return C.sr_is_thread_main() != 0 }

func finalize() error { return check(C.sr_finalize()) }

func commWorld() C.MPI_Comm { return C.sr_comm_world() }

func tagUB(c C.MPI_Comm) (ub int, found bool, err error) {
	var u, f C.int
	err = check(C.sr_tag_ub(c, &u, &f))
	return int(u), f != 0, err
}

// bcast broadcasts buf from root; len(buf) must fit a C int.
func bcast(c C.MPI_Comm, buf []byte, root int) error {
	return check(C.sr_bcast(ptr(buf), C.int(len(buf)), C.int(root), c))
}

// allgatherv gathers src of every rank into dst at displs; every count and displacement
// must fit a C int.
func allgatherv(c C.MPI_Comm, dst, src []byte, counts, displs []C.int) error {
	return check(C.sr_allgatherv(ptr(src), C.int(len(src)), ptr(dst), &counts[0], &displs[0], c))
}

// isend starts a send of a copy of buf. The copy must be released with freeMem once req
// completes.
func isend(c C.MPI_Comm, buf []byte, dst, tag int) (req C.MPI_Request, mem unsafe.Pointer, err error) {
	err = check(C.sr_isend(ptr(buf), C.int(len(buf)), C.int(dst), C.int(tag), c, &req, &mem))
	return req, mem, err
}

// recv receives a message of at most len(buf) bytes and returns its length.
func recv(c C.MPI_Comm, buf []byte, src, tag int) (int, error) {
	var got C.int
	err := check(C.sr_recv(ptr(buf), C.int(len(buf)), C.int(src), C.int(tag), c, &got))
	return int(got), err
}

// testsome completes what it can of reqs, sets completed entries to MPI_REQUEST_NULL and
// returns their indices in idx[:n]. MPI_UNDEFINED as n means no active request was left.
func testsome(reqs []C.MPI_Request, idx []C.int) (n int, err error) {
	var out C.int
	err = check(C.sr_testsome(C.int(len(reqs)), &reqs[0], &out, &idx[0]))
	return int(out), err
}

func requestNull() C.MPI_Request { return C.sr_request_null() }

func commRankSize(c C.MPI_Comm) (rank, size int, err error) {
	var r, n C.int
	if err = check(C.sr_comm_rank(c, &r)); err == nil {
		err = check(C.sr_comm_size(c, &n))
	}
	return int(r), int(n), err
}

func barrier(c C.MPI_Comm) error { return check(C.sr_barrier(c)) }

func abort(c C.MPI_Comm, code int) { C.sr_abort(c, C.int(code)) }

// allreduceRaw reduces n elements of type t (0 float64, 1 float32, 2 int64) from src into
// dst with op (collective.Op order: sum, max, min).
func allreduceRaw(c C.MPI_Comm, src, dst unsafe.Pointer, n, t, op int) error {
	return check(C.sr_allreduce(src, dst, C.int(n), C.int(t), C.int(op), c))
}

func freeMem(p unsafe.Pointer) { C.sr_free(p) }

// mpiUndefined is MPI_UNDEFINED, returned by Testsome when no request is active.
const mpiUndefined = int(C.MPI_UNDEFINED)

// errCount is MPI_ERR_COUNT, for tests.
const errCount = int(C.MPI_ERR_COUNT)

// The C types the rest of the package stores. Only this file imports "C".
type (
	handle  = C.MPI_Comm
	request = C.MPI_Request
	cint    = C.int
)
