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

// symWithSpectrum returns V·diag(w)·Vᵀ for a random orthogonal V.
func symWithSpectrum(w []float64, rnd *rand.Rand) *mat.SymDense {
	n := len(w)
	var qr mat.QR
	qr.Factorize(gaussian(n, n, rnd))
	var v, vw, full mat.Dense
	qr.QTo(&v)
	vw.Apply(func(_, j int, x float64) float64 { return x * w[j] }, &v)
	full.Mul(&vw, v.T())
	a := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			a.SetSym(i, j, full.At(i, j))
		}
	}
	return a
}

func TestTopEigenSym(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	spectra := map[string]func(n int) []float64{
		"signal and noise": func(n int) []float64 { return signalAndNoise(n, rnd) },
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

// pcaLike returns an n×n covariance-like matrix: 64 decaying signal eigenvalues
// (X·Xᵀ of a Gaussian X with scaled columns) over a spread noise floor diag(1 + u/2).
func pcaLike(n int) *mat.SymDense {
	rnd := rand.New(rand.NewPCG(1, 2))
	x := gaussian(n, 64, rnd)
	for j := range 64 {
		for i := range n {
			x.Set(i, j, x.At(i, j)*math.Pow(0.8, float64(j)))
		}
	}
	a := mat.NewSymDense(n, nil)
	a.SymOuterK(1, x)
	for i := range n {
		a.SetSym(i, i, a.At(i, i)+1+0.5*rnd.Float64())
	}
	return a
}

// BenchmarkEigen compares TopEigen (16 vectors) with the dense TopEigenSym on a
// covariance-like n×n matrix (go test -tags openblas for OpenBLAS).
func BenchmarkEigen(b *testing.B) {
	for _, n := range []int{256, 1024, 4096, 8192} {
		a := pcaLike(n)
		b.Run(fmt.Sprintf("top16/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := linalg.TopEigen(a, 16, linalg.TopSettings{DenseMax: -1}); err != nil {
					b.Fatal(err)
				}
			}
		})
		if n > 4096 {
			continue // minutes
		}
		b.Run(fmt.Sprintf("dense16/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := linalg.TopEigenSym(a, 16); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// signalAndNoise is a PCA-like spectrum: four large eigenvalues over a noise floor in
// [1, 1.5).
func signalAndNoise(n int, rnd *rand.Rand) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 + 0.5*rnd.Float64()
		if i < 4 {
			w[i] = 100 * float64(5-i)
		}
	}
	return w
}

// topSpectra are the spectra of the top-k tests: name, k, eigenvalues for n.
var topSpectra = []struct {
	name string
	k    int
	w    func(n int, rnd *rand.Rand) []float64
	// angle says whether the top-k subspace is well separated (gap ≥ 1e-6·λ_1), so that
	// the dense reference itself is accurate to 1e-10 rad and the subspaces compare.
	angle bool
}{
	// Geometric decay: λ_{k+1}/λ_k = 0.9, the slow convergence of a power method.
	{"decaying", 16, func(n int, _ *rand.Rand) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = math.Pow(0.9, float64(i))
		}
		return w
	}, true},
	// PCA-like, k in the noise floor.
	{"signal and noise", 12, signalAndNoise, true},
	// λ_k and λ_{k+1} equal to 1e-12 relative: the top-k subspace is not defined.
	{"clustered at k", 6, func(n int, rnd *rand.Rand) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = rnd.Float64()
		}
		w[0], w[1], w[2], w[3], w[4] = 10, 9, 8, 7, 6
		w[5], w[6] = 5, 5*(1-1e-12)
		return w
	}, false},
	// The three largest eigenvalues equal, and a pair equal to 1e-14 below them.
	{"repeated top", 8, func(n int, rnd *rand.Rand) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = rnd.Float64()
		}
		w[0], w[1], w[2] = 10, 10, 10
		w[3], w[4] = 8, 8*(1+1e-14)
		w[5], w[6], w[7] = 7, 6, 5
		return w
	}, true},
	// Rank 5, k = 8: three zero eigenvalues among the top k (their vectors are arbitrary).
	{"rank deficient", 8, func(n int, _ *rand.Rand) []float64 {
		w := make([]float64, n)
		for i := range 5 {
			w[i] = float64(10 - i)
		}
		return w
	}, false},
	{"k=1", 1, func(n int, rnd *rand.Rand) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = rnd.Float64()
		}
		w[0] = 1.2
		return w
	}, true},
}

// checkTop compares a top-k result with the dense decomposition (want, vecs): values to
// 1e-10 relative (1e-13·want[0] absolute for zero ones), orthonormal vectors and, when
// the top-k subspace is separated, its principal angles to the reference below 1e-9 rad
// (the dense reference is accurate to about ε·‖a‖/gap ≤ 1e-10 rad there).
func checkTop(t *testing.T, res linalg.TopResult, a mat.Matrix, want []float64, vecs *mat.Dense, k int, angle bool) {
	t.Helper()
	n, _ := a.Dims()
	for i := range k {
		if e := math.Abs(res.Values[i] - want[i]); e > 1e-10*math.Abs(want[i]) && e > 1e-13*want[0] {
			t.Errorf("value %d: %.17g, want %.17g", i, res.Values[i], want[i])
		}
	}
	var vtv mat.Dense
	vtv.Mul(res.Vectors.T(), res.Vectors)
	for i := range k {
		vtv.Set(i, i, vtv.At(i, i)-1)
	}
	if e := mat.Norm(&vtv, math.Inf(1)); e > 1e-13 {
		t.Errorf("‖VᵀV − I‖ = %.3g", e)
	}
	if !angle {
		return
	}
	ang, err := linalg.PrincipalAngles(res.Vectors, vecs.Slice(0, n, 0, k))
	if err != nil {
		t.Fatal(err)
	}
	if ang[k-1] > 1e-9 {
		t.Errorf("largest principal angle %.3g rad", ang[k-1])
	}
}

func TestTopEigen(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 3))
	for _, sp := range topSpectra {
		for _, n := range []int{300, 600} {
			t.Run(fmt.Sprintf("%s/n=%d", sp.name, n), func(t *testing.T) {
				a := symWithSpectrum(sp.w(n, rnd), rnd)
				want, vecs, err := linalg.EigenSym(a)
				if err != nil {
					t.Fatal(err)
				}
				res, err := linalg.TopEigen(a, sp.k, krylovOnly)
				if err != nil {
					t.Fatal(err)
				}
				checkKrylov(t, res, a, want, vecs, sp.k, sp.angle, func() linalg.TopResult {
					again, _ := linalg.TopEigen(a, sp.k, krylovOnly)
					return again
				})
			})
		}
	}
}

// checkKrylov checks a result of the Krylov route (checkTop) and that again, the same
// call, gives the same bits.
func checkKrylov(t *testing.T, res linalg.TopResult, a mat.Matrix, want []float64, vecs *mat.Dense, k int, angle bool, again func() linalg.TopResult) {
	t.Helper()
	if res.Status != linalg.TopKrylov {
		t.Errorf("status %v, want krylov", res.Status)
	}
	checkTop(t, res, a, want, vecs, k, angle)
	if r := again(); !mat.Equal(r.Vectors, res.Vectors) || !slices.Equal(r.Values, res.Values) {
		t.Error("a second call gives other bits")
	}
	t.Logf("%v: %d steps, %d products", res.Status, res.Iter, res.Products)
}

// krylovOnly makes TopEigen and TopSVD take the Krylov route at any n.
var krylovOnly = linalg.TopSettings{DenseMax: -1}
