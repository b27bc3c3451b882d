package ica

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// finish derives the outputs from the unmixing matrix w of the iteration and applies the
// output convention: sources in decreasing order of ExplainedVariance (stable), each
// signed so that the entry of largest magnitude of its factor (the first on ties) is
// positive. It computes this rank's sources from the whitened rows z. It is local: every
// input but z is replicated, so every rank computes the same bits.
func (res *Result) finish(w *mat.Dense, z []float64, nLocal int, scale, variance []float64, components mat.Matrix) error {
	k := res.K
	var mix mat.Dense
	if err := mix.Inverse(w); err != nil {
		return fmt.Errorf("ica: could not invert the unmixing matrix: %w", err)
	}

	// Variance of the data accounted for by source i: Σ_j Mixing_ji²·variance_j.
	ev := make([]float64, k)
	for i := range k {
		for j := range k {
			m := mix.At(j, i)
			ev[i] += m * m * variance[j]
		}
	}
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ev[order[a]] > ev[order[b]] })

	// Permuted unmixing rows and mixing columns.
	res.Unmixing = mat.NewDense(k, k, nil)
	res.Mixing = mat.NewDense(k, k, nil)
	res.ExplainedVariance = make([]float64, k)
	for i, o := range order {
		for j := range k {
			res.Unmixing.Set(i, j, w.At(o, j))
			res.Mixing.Set(j, i, mix.At(j, o))
		}
		res.ExplainedVariance[i] = ev[o]
	}

	// Factors = Mixingᵀ·diag(σ)·Components[:K] (or without the components).
	ms := mat.DenseCopyOf(res.Mixing.T())
	for j, s := range scale {
		for i := range k {
			ms.Set(i, j, ms.At(i, j)*s)
		}
	}
	res.Whitening = mat.NewDense(k, k, nil)
	for j, s := range scale {
		res.Whitening.Set(j, j, 1/s)
	}
	if components != nil {
		_, d := components.Dims()
		v := mat.DenseCopyOf(sliceRows(components, k, d))
		res.Factors = &mat.Dense{}
		res.Factors.Mul(ms, v)
		res.Whitening = mat.DenseCopyOf(v)
		for j, s := range scale {
			row := res.Whitening.RawRowView(j)
			for i := range row {
				row[i] /= s
			}
		}
	} else {
		res.Factors = ms
	}

	// Signs: the largest |entry| of every factor is positive.
	for i := range k {
		row := res.Factors.RawRowView(i)
		best, arg := -1.0, 0
		for j, v := range row {
			if a := math.Abs(v); a > best {
				best, arg = a, j
			}
		}
		if row[arg] >= 0 {
			continue
		}
		for j := range row {
			row[j] = -row[j]
		}
		for j := range k {
			res.Unmixing.Set(i, j, -res.Unmixing.At(i, j))
			res.Mixing.Set(j, i, -res.Mixing.At(j, i))
		}
	}

	// Sources of the local frames: s_f = Unmixing·z_f.
	res.Sources = &mat.Dense{}
	if nLocal == 0 {
		return nil
	}
	res.Sources = mat.NewDense(nLocal, k, nil)
	wr := res.Unmixing.RawMatrix().Data
	for f := range nLocal {
		zf := z[f*k : (f+1)*k]
		sf := res.Sources.RawRowView(f)
		for i := range k {
			sf[i] = dot(wr[i*k:(i+1)*k], zf)
		}
	}
	return nil
}

// sliceRows returns the first k rows of a, a view when a is a *mat.Dense.
func sliceRows(a mat.Matrix, k, d int) mat.Matrix {
	if s, ok := a.(interface {
		Slice(i, k, j, l int) mat.Matrix
	}); ok {
		return s.Slice(0, k, 0, d)
	}
	out := mat.NewDense(k, d, nil)
	for i := range k {
		for j := range d {
			out.Set(i, j, a.At(i, j))
		}
	}
	return out
}
