package linalg_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
)

// withSingular returns the r×c matrix U·diag(sv)·Vᵀ with random orthonormal U (r×p) and
// V (c×p), p = len(sv) ≤ min(r, c).
func withSingular(r, c int, sv []float64, rnd *rand.Rand) *mat.Dense {
	p := len(sv)
	var u, v, us, a mat.Dense
	linalg.ThinQR(&u, nil, gaussian(r, p, rnd))
	linalg.ThinQR(&v, nil, gaussian(c, p, rnd))
	us.Apply(func(_, j int, x float64) float64 { return x * sv[j] }, &u)
	a.Mul(&us, v.T())
	return &a
}

func TestTopSVD(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	spectra := append(slices.Clone(topSpectra), struct {
		name  string
		k     int
		w     func(n int, rnd *rand.Rand) []float64
		angle bool
	}{
		// σ_k = 1e-5·σ_1: the Gram operator squares this to 1e-10, the refinement
		// without squaring must keep the relative accuracy of σ_k and the angle.
		"small singular values", 10, func(n int, _ *rand.Rand) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = math.Pow(10, -float64(min(i, 12))/2.5) * (1 - 1e-3*float64(i))
			}
			return w
		}, true,
	})
	for _, sp := range spectra {
		for _, shape := range [][2]int{{500, 300}, {260, 450}} {
			r, c := shape[0], shape[1]
			t.Run(fmt.Sprintf("%s/%dx%d", sp.name, r, c), func(t *testing.T) {
				a := withSingular(r, c, sp.w(min(r, c), rnd), rnd)
				_, want, vt, err := linalg.SVD(a)
				if err != nil {
					t.Fatal(err)
				}
				res, err := linalg.TopSVD(a, sp.k, krylovOnly)
				if err != nil {
					t.Fatal(err)
				}
				checkKrylov(t, res, a.T(), want, mat.DenseCopyOf(vt.T()), sp.k, sp.angle, func() linalg.TopResult {
					again, _ := linalg.TopSVD(a, sp.k, krylovOnly)
					return again
				})
			})
		}
	}
}

// TestTopRoutes checks the routes besides the Krylov one: the dense route for small n
// and for k near n, and the fallback when the budget is spent, which must give the
// dense route's bits.
func TestTopRoutes(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	n := 400
	w := topSpectra[1].w(n, rnd)
	sym := symWithSpectrum(w, rnd)
	rect := withSingular(n+50, n, w, rnd)
	for _, tc := range []struct {
		name string
		k    int
		s    linalg.TopSettings
		want linalg.TopStatus
	}{
		{"small n", 5, linalg.TopSettings{}, linalg.TopDense},
		{"k near n", n - 1, linalg.TopSettings{DenseMax: -1}, linalg.TopDense},
		{"budget spent", 5, linalg.TopSettings{DenseMax: -1, MaxProducts: -1}, linalg.TopFallback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := linalg.TopEigen(sym, tc.k, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			vals, vecs, err := linalg.TopEigenSym(sym, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if e.Status != tc.want || !slices.Equal(e.Values, vals[:tc.k]) || !mat.Equal(e.Vectors, vecs) {
				t.Errorf("TopEigen: status %v (want %v), or other bits than TopEigenSym", e.Status, tc.want)
			}
			s, err := linalg.TopSVD(rect, tc.k, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			_, sv, vt, err := linalg.SVD(rect)
			if err != nil {
				t.Fatal(err)
			}
			if s.Status != tc.want || !slices.Equal(s.Values, sv[:tc.k]) || !mat.Equal(s.Vectors, vt.Slice(0, tc.k, 0, n).T()) {
				t.Errorf("TopSVD: status %v (want %v), or other bits than SVD", s.Status, tc.want)
			}
			if tc.want == linalg.TopFallback && (e.Products == 0 || s.Products == 0) {
				t.Errorf("fallback without a Krylov step: %d and %d products", e.Products, s.Products)
			}
		})
	}
}
