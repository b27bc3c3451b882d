//go:build !amd64 || purego

package linalg

import "testing"

// kernelSets runs fn once: only the twins exist here.
func kernelSets(t *testing.T, fn func(t *testing.T)) { t.Run("go", fn) }
