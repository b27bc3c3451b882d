//go:build mpi && mpich

// Must be kept in sync with lib_gompi.go.

package mpi

import (
	"fmt"
	"unsafe"

	"github.com/stemreduce/stemreduce/collective"
)

// lib makes through the shim the calls that the OpenMPI build makes through gompi. This is
// the MPICH build (make MPI=mpich): gompi's cgo flags hard-code OpenMPI's include and
// library paths, so it cannot be linked against another MPI.
type lib struct{}

func newLib() lib { return lib{} }

func (lib) rankSize(h handle) (int, int, error) { return commRankSize(h) }

func (lib) barrier(h handle) error { return barrier(h) }

func (lib) abort(h handle, code int) { abort(h, code) }

// allreduceLib reduces src into dst (distinct buffers, equal lengths, non-empty).
func allreduceLib[T float64 | float32 | int64](l lib, h handle, dst, src []T, op collective.Op) error {
	t := 0
	switch any(dst).(type) {
	case []float32:
		t = 1
	case []int64:
		t = 2
	}
	if op != collective.Sum && op != collective.Max && op != collective.Min {
		panic(fmt.Sprintf("mpi: unknown op %v", op))
	}
	return allreduceRaw(h, unsafe.Pointer(&src[0]), unsafe.Pointer(&dst[0]), len(dst), t, int(op))
}

// recvPiece receives a non-empty message into buf and returns its length.
func (lib) recvPiece(h handle, buf []byte, src, tag int) (int, error) {
	return recv(h, buf, src, tag)
}
