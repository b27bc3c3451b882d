package ica_test

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/ica"
)

// This file is an independent single-process float64 FastICA, written after scikit-learn
// 1.2's sklearn/decomposition/_fastica.py (_ica_par, _ica_def, _logcosh, _exp, _cube and
// the whitening of FastICA._fit_transform) with gonum's dense operations: the whitening
// comes from an SVD of the centred data, the symmetric decorrelation from the polar factor
// U·Vᵀ of an SVD (equal to (W·Wᵀ)^(−1/2)·W), and every sum over frames is a matrix product.
// It shares no code with package ica.

// refWhiten returns the N×K whitened data √N·U[:, :K] of the centred frames, Xc = U·S·Vᵀ,
// each column signed like the PCA components (largest |entry| of V's column positive), so
// that it equals the whitening ica applies to pca.Fit's scores.
func refWhiten(data []float32, n, d, k int) *mat.Dense {
	x := mat.NewDense(n, d, nil)
	for f := range n {
		for i := range d {
			x.Set(f, i, float64(data[f*d+i]))
		}
	}
	for i := range d {
		var m float64
		for f := range n {
			m += x.At(f, i)
		}
		m /= float64(n)
		for f := range n {
			x.Set(f, i, x.At(f, i)-m)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDThin) {
		panic("reference SVD failed")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	z := mat.NewDense(n, k, nil)
	for j := range k {
		best, sign := -1.0, 1.0
		for i := range d {
			if a := math.Abs(v.At(i, j)); a > best {
				best, sign = a, math.Copysign(1, v.At(i, j))
			}
		}
		for f := range n {
			z.Set(f, j, sign*math.Sqrt(float64(n))*u.At(f, j))
		}
	}
	return z
}

// refG returns g(y) element-wise and the row means of g′(y) for y K×N.
func refG(fun ica.Fun, alpha float64, y *mat.Dense) (*mat.Dense, []float64) {
	r, c := y.Dims()
	g := mat.NewDense(r, c, nil)
	gp := make([]float64, r)
	for i := range r {
		for j := range c {
			u := y.At(i, j)
			switch fun {
			case ica.LogCosh:
				t := math.Tanh(alpha * u)
				g.Set(i, j, t)
				gp[i] += alpha * (1 - t*t)
			case ica.Exp:
				e := math.Exp(-u * u / 2)
				g.Set(i, j, u*e)
				gp[i] += (1 - u*u) * e
			case ica.Cube:
				g.Set(i, j, math.Pow(u, 3))
				gp[i] += 3 * u * u
			}
		}
		gp[i] /= float64(c)
	}
	return g, gp
}

// refPolar returns U·Vᵀ for w = U·Σ·Vᵀ.
func refPolar(w mat.Matrix) *mat.Dense {
	var svd mat.SVD
	if !svd.Factorize(w, mat.SVDFull) {
		panic("reference SVD failed")
	}
	var u, v, out mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	out.Mul(&u, v.T())
	return &out
}

// refParallel is _ica_par on the N×K whitened data z.
func refParallel(z, w0 *mat.Dense, fun ica.Fun, alpha, tol float64, maxIter int) (*mat.Dense, int) {
	n, k := z.Dims()
	w := refPolar(w0)
	iter := 0
	for iter < maxIter {
		iter++
		var y, gz mat.Dense
		y.Mul(w, z.T())
		g, gp := refG(fun, alpha, &y)
		gz.Mul(g, z)
		gz.Scale(1/float64(n), &gz)
		w1 := mat.NewDense(k, k, nil)
		for i := range k {
			for j := range k {
				w1.Set(i, j, gz.At(i, j)-gp[i]*w.At(i, j))
			}
		}
		w1 = refPolar(w1)
		var lim float64
		for i := range k {
			lim = math.Max(lim, math.Abs(math.Abs(mat.Dot(w1.RowView(i), w.RowView(i)))-1))
		}
		w = w1
		if lim < tol {
			break
		}
	}
	return w, iter
}

// refDeflation is _ica_def on the N×K whitened data z.
func refDeflation(z, w0 *mat.Dense, fun ica.Fun, alpha, tol float64, maxIter int) (*mat.Dense, int) {
	n, k := z.Dims()
	w := mat.NewDense(k, k, nil)
	most := 0
	for j := range k {
		wj := mat.VecDenseCopyOf(w0.RowView(j))
		wj.ScaleVec(1/mat.Norm(wj, 2), wj)
		iter := 0
		for iter < maxIter {
			iter++
			var y mat.VecDense
			y.MulVec(z, wj)
			ym := mat.NewDense(1, n, y.RawVector().Data)
			g, gp := refG(fun, alpha, ym)
			w1 := mat.NewVecDense(k, nil)
			w1.MulVec(z.T(), g.RowView(0))
			w1.ScaleVec(1/float64(n), w1)
			w1.AddScaledVec(w1, -gp[0], wj)
			// w1 −= (w1·W[:j]ᵀ)·W[:j]
			if j > 0 {
				prev := w.Slice(0, j, 0, k)
				var c, p mat.VecDense
				c.MulVec(prev, w1)
				p.MulVec(prev.T(), &c)
				w1.SubVec(w1, &p)
			}
			w1.ScaleVec(1/mat.Norm(w1, 2), w1)
			lim := math.Abs(math.Abs(mat.Dot(w1, wj)) - 1)
			wj = w1
			if lim < tol {
				break
			}
		}
		w.SetRow(j, wj.RawVector().Data)
		most = max(most, iter)
	}
	return w, most
}
