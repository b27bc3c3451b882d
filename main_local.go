//go:build !mpi

// Must be kept in sync with main_mpi.go.

package main

import (
	"os"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
)

// localWorld is one rank without MPI: a build without the mpi tag.
type localWorld struct{ c collective.Comm }

func newWorld() (world, error) { return localWorld{inproc.Single()}, nil }

func (w localWorld) Comm() collective.Comm { return w.c }
func (w localWorld) Abort(code int)        { os.Exit(code) }
func (w localWorld) Stop() error           { return nil }
