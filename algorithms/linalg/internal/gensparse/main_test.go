package main

import (
	"os"
	"testing"
)

// TestUpToDate checks that sparse_amd64.s is what the generator writes: run go generate
// in algorithms/linalg after changing it.
func TestUpToDate(t *testing.T) {
	have, err := os.ReadFile("../../sparse_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != generate() {
		t.Fatal("sparse_amd64.s differs from the generator's output: run go generate in algorithms/linalg")
	}
}
