package linalg_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
)

// symWithSpectrum returns V·diag(w)·Vᵀ for a random orthogonal V.
func symWithSpectrum(w []float64, rnd *rand.Rand) *mat.SymDense {
	n := len(w)
	var qr mat.QR
	qr.Factorize(gaussian(n, n, rnd))
	var v mat.Dense
	qr.QTo(&v)
	a := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s := 0.0
			for c := range n {
				s += v.At(i, c) * w[c] * v.At(j, c)
			}
			a.SetSym(i, j, s)
		}
	}
	return a
}

func TestTopEigenSym(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	spectra := map[string]func(n int) []float64{
		// A PCA-like spectrum: a few large eigenvalues over a slowly decaying noise floor.
		"signal and noise": func(n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = 1 + 0.5*rnd.Float64()
				if i < 4 {
					w[i] = 100 * float64(5-i)
				}
			}
			return w
		},
		// Clusters: a pair equal to 1e-14 relative and a triple, among the top k.
		"clusters": func(n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = rnd.Float64()
			}
			w[0], w[1] = 10, 10*(1+1e-14)
			w[2], w[3], w[4] = 7, 7, 7
			w[5] = 6.999
			return w
		},
		"low rank": func(n int) []float64 {
			w := make([]float64, n)
			for i := range 6 {
				w[i] = float64(10 - i)
			}
			return w
		},
	}
	for name, spec := range spectra {
		for _, n := range []int{1, 2, 7, 120} {
			if n < 7 && name != "signal and noise" {
				continue // the clusters and the rank need 7 eigenvalues
			}
			k := min(n, 6)
			t.Run(fmt.Sprintf("%s/n=%d", name, n), func(t *testing.T) {
				w := spec(n)
				a := symWithSpectrum(w, rnd)
				vals, vecs, err := linalg.TopEigenSym(a, k)
				if err != nil {
					t.Fatal(err)
				}
				want, _, err := linalg.EigenSym(a)
				if err != nil {
					t.Fatal(err)
				}
				norm := math.Abs(want[0]) + math.Abs(want[n-1])
				for i := range n {
					if math.Abs(vals[i]-want[i]) > 1e-13*norm {
						t.Fatalf("eigenvalue %d: %v, want %v", i, vals[i], want[i])
					}
				}
				// Orthonormal vectors with small residuals ‖A·v − λ·v‖.
				var vtv mat.Dense
				vtv.Mul(vecs.T(), vecs)
				for i := range k {
					for j := range k {
						want := 0.0
						if i == j {
							want = 1
						}
						if math.Abs(vtv.At(i, j)-want) > 1e-12 {
							t.Fatalf("VᵀV[%d][%d] = %v", i, j, vtv.At(i, j))
						}
					}
				}
				var av mat.Dense
				av.Mul(a, vecs)
				for j := range k {
					for i := range n {
						if r := av.At(i, j) - vals[j]*vecs.At(i, j); math.Abs(r) > 1e-12*norm {
							t.Fatalf("residual of vector %d, row %d: %v", j, i, r)
						}
					}
				}
				// The same bits on every call.
				_, again, _ := linalg.TopEigenSym(a, k)
				if !mat.Equal(again, vecs) {
					t.Fatal("a second call gives other bits")
				}
			})
		}
	}
}

// BenchmarkEigen compares TopEigenSym (16 vectors) with EigenSym (all) on n×n.
func BenchmarkEigen(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{256, 1024} {
		x := gaussian(n, 64, rnd)
		a := mat.NewSymDense(n, nil)
		a.SymOuterK(1, x)
		for i := range n {
			a.SetSym(i, i, a.At(i, i)+1)
		}
		b.Run(fmt.Sprintf("top16/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := linalg.TopEigenSym(a, 16); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("all/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := linalg.EigenSym(a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
