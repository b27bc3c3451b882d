# Build stemreduce with MPI and OpenBLAS. cgo flags come from scripts/cgoenv (pkg-config);
# MPI=mpich selects an MPICH build where it is installed.
SHELL := /bin/bash
TAGS ?= mpi openblas
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/stemreduce/stemreduce/cli.Commit=$(COMMIT)

.PHONY: build local test demo bench clean
build:
	. scripts/cgoenv && go build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o bin/stemreduce .

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
