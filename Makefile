# Build stemreduce with MPI and OpenBLAS. cgo flags come from scripts/cgoenv (pkg-config).
# MPI=mpich builds against MPICH instead of Open MPI (bin/stemreduce-mpich; run it with
# mpiexec.mpich): the mpich tag replaces gompi, whose cgo flags name Open MPI's paths.
SHELL := /bin/bash
MPI ?= openmpi
ifeq ($(MPI),mpich)
TAGS ?= mpi mpich openblas
OUT ?= bin/stemreduce-mpich
else
TAGS ?= mpi openblas
OUT ?= bin/stemreduce
endif
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/stemreduce/stemreduce/cli.Commit=$(COMMIT)

.PHONY: build local test demo bench clean
build:
	export MPI=$(MPI) && . scripts/cgoenv && go build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(OUT) .

# A build without MPI: one rank, or --ranks N in one process.
local:
	. scripts/cgoenv && go build -tags openblas -ldflags '$(LDFLAGS)' -o bin/stemreduce-local .

test:
	scripts/test

demo:
	scripts/demo

bench:
	scripts/bench

clean:
	rm -rf bin
