// Package collectivetest is the conformance suite every collective.Comm implementation
// passes. Each case is a function run on every rank of a communicator; it returns an error
// naming what it saw wrong. The inproc tests call the cases through inproc.Run at several
// rank counts; the mpi tests call them on MPI_COMM_WORLD under mpirun.
package collectivetest
