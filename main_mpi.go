//go:build mpi

// Must be kept in sync with main_local.go.

package main

import "github.com/stemreduce/stemreduce/collective/mpi"

// newWorld starts MPI. Without mpirun or srun, MPI starts as a singleton of one rank.
func newWorld() (world, error) { return mpi.Start() }
