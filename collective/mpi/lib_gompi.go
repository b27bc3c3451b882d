//go:build mpi && !mpich

// Must be kept in sync with lib_shim.go.

package mpi

import (
	"fmt"

	gompi "github.com/sbromberger/gompi"

	"github.com/stemreduce/stemreduce/collective"
)

// lib makes the MPI calls that gompi has right: rank and size, barrier, allreduce, receive
// and abort. This is the OpenMPI build; gompi hard-codes OpenMPI's Debian paths.
type lib struct{ g *gompi.Communicator }

func newLib() lib { return lib{gompi.NewCommunicator(nil)} }

func (l lib) rankSize(h handle) (int, int, error) { return l.g.Rank(), l.g.Size(), nil }

func (l lib) barrier(h handle) error {
	l.g.Barrier()
	return nil
}

func (l lib) abort(h handle, code int) { l.g.Abort(code) }

// allreduce reduces src into dst (distinct buffers, equal lengths, non-empty).
func allreduceLib[T float64 | float32 | int64](l lib, h handle, dst, src []T, op collective.Op) error {
	var gop gompi.Op
	switch op {
	case collective.Sum:
		gop = gompi.OpSum
	case collective.Max:
		gop = gompi.OpMax // gompi's order is Sum, Min, Max
	case collective.Min:
		gop = gompi.OpMin
	default:
		panic(fmt.Sprintf("mpi: unknown op %v", op))
	}
	switch d := any(dst).(type) {
	case []float64:
		return l.g.AllreduceFloat64s(d, any(src).([]float64), gop, 0)
	case []float32:
		return l.g.AllreduceFloat32s(d, any(src).([]float32), gop, 0)
	case []int64:
		return l.g.AllreduceInt64s(d, any(src).([]int64), gop, 0)
	}
	panic("mpi: unreachable")
}

// recvPiece receives a non-empty message into buf and returns its length.
func (l lib) recvPiece(h handle, buf []byte, src, tag int) (int, error) {
	st := l.g.RecvPreallocBytes(buf, src, tag)
	return st.GetCount(gompi.Byte), nil
}
