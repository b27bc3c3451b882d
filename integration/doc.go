// Package integration runs the built stemreduce binary end to end: under mpirun at several
// rank counts, in process with --ranks, on synthetic and HDF5 inputs, and on bad input.
//
// The tests need a binary built with MPI (make build) and mpirun; scripts/test sets
// STEMREDUCE_BIN to it. Without STEMREDUCE_BIN they are skipped with a message. Every run is
// bounded in time, so a hang fails the test instead of blocking it.
package integration
