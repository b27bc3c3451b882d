package linalg

import (
	"fmt"
	"math"
)

// Moments summarises the columns of a set of rows: the number of rows, the column means and
// the column sums of squared deviations from the mean. It is the part every partial of this
// package shares.
type Moments struct {
	N    int64     // number of rows
	Mean []float64 // column means; zero when N is 0
	M2   []float64 // column sums of squared deviations from Mean
}

// D returns the number of columns.
func (m *Moments) D() int { return len(m.Mean) }

// setMean sets N and Mean from the n×d float32 rows of data, and allocates M2 (zero).
// The mean is the column sum in row order, in float64, divided by n. It returns the index
// of the first row that holds a NaN or an infinity, or −1: the float64 sum of a row of
// float32 values is finite exactly when all of them are, so the check costs one addition
// per value.
func (m *Moments) setMean(data []float32, n, d int) (bad int) {
	return m.setMeanSparse(data, n, d, nil)
}

// setMeanSparse is setMean with the sparse forms of the block's row chunks in sb (nil, or
// complete): the column sums of a sparse chunk add its non-zero values only, in row
// order, which gives the same bits, since adding a zero changes no sum that is not −0 and
// these sums, starting from +0, never are.
func (m *Moments) setMeanSparse(data []float32, n, d int, sb *SparseBlock) (bad int) {
	m.N = int64(n)
	m.Mean = make([]float64, d)
	m.M2 = make([]float64, d)
	mean := m.Mean
	for r0 := 0; r0 < n; r0 += sparseRows {
		if sb != nil {
			if a := sb.chunks[r0/sparseRows]; a != nil {
				a.addSums(mean)
				continue
			}
		}
		for i := r0; i < min(r0+sparseRows, n); i++ {
			row := data[i*d : (i+1)*d]
			mean := mean[:len(row)]
			for j, v := range row {
				mean[j] += float64(v)
			}
		}
	}
	// The column sums are finite exactly when every value is (float32 values cannot
	// overflow a float64 sum of fewer than 2⁹⁷⁰ of them): one check per column instead of
	// one addition per value, and a search for the first bad row only when there is one.
	if !finite64(mean) {
		for i := range n {
			if !finite(data[i*d : (i+1)*d]) {
				return i
			}
		}
	}
	inv := 1 / float64(n)
	for j := range mean {
		mean[j] *= inv
	}
	return -1
}

// finite reports whether every value of row is finite: their float64 sum is finite
// exactly when they all are (float32 values cannot overflow a float64 sum). Four partial
// sums keep the additions independent.
func finite(row []float32) bool {
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(row); j += 4 {
		r := row[j : j+4 : j+4]
		s0 += float64(r[0])
		s1 += float64(r[1])
		s2 += float64(r[2])
		s3 += float64(r[3])
	}
	for _, v := range row[j:] {
		s0 += float64(v)
	}
	s := (s0 + s1) + (s2 + s3)
	return !math.IsNaN(s) && !math.IsInf(s, 0)
}

// finite64 reports whether every value of s is finite.
func finite64(s []float64) bool {
	var t float64
	for _, v := range s {
		t += v * 0 // NaN for a NaN or an infinity, else 0
	}
	return t == 0
}

// centerTo stores the n×d float32 rows of src minus mean in dst and, if m2 is not nil,
// adds the squares of the centred values to m2, in row order.
func centerTo(dst []float64, src []float32, n, d int, mean, m2 []float64) {
	for i := range n {
		row := src[i*d : (i+1)*d]
		out := dst[i*d : (i+1)*d]
		out, mean := out[:len(row)], mean[:len(row)]
		if m2 == nil {
			for j, v := range row {
				out[j] = float64(v) - mean[j]
			}
			continue
		}
		m2 := m2[:len(row)]
		for j, v := range row {
			c := float64(v) - mean[j]
			out[j] = c
			m2[j] += c * c
		}
	}
}

// FramesTo stores the n×d float32 rows of src minus shift (nil: no shift) in dst and
// returns the index of the first row that holds a NaN or an infinity, or −1. It panics if
// dst or src is shorter than n·d. It does not allocate.
func FramesTo(dst []float64, src []float32, n, d int, shift []float64) (bad int) {
	bad = -1
	dst, src = dst[:n*d], src[:n*d]
	for i := range n {
		row := src[i*d : (i+1)*d]
		out := dst[i*d : (i+1)*d]
		out = out[:len(row)]
		if shift == nil {
			for j, v := range row {
				out[j] = float64(v)
			}
		} else {
			sh := shift[:len(row)]
			for j, v := range row {
				out[j] = float64(v) - sh[j]
			}
		}
		if bad < 0 && !finite(row) {
			bad = i
		}
	}
	return bad
}

// merge combines the moments of b into a with the pairwise update of Chan, Golub & LeVeque
// (1979) and returns δ = mean_b − mean_a (taken before the update) and w = n_a·n_b/n, the
// terms that a centred cross product needs for its own update. delta is nil when either
// side is empty; then a takes b's moments if a was empty.
func (a *Moments) merge(b *Moments) (delta []float64, w float64) {
	if a.D() != b.D() {
		panic(fmt.Sprintf("linalg: merging moments of %d and %d columns", a.D(), b.D()))
	}
	switch {
	case b.N == 0:
		return nil, 0
	case a.N == 0:
		a.N = b.N
		a.Mean = append(a.Mean[:0], b.Mean...)
		a.M2 = append(a.M2[:0], b.M2...)
		return nil, 0
	}
	n := float64(a.N + b.N)
	wb := float64(b.N) / n
	w = float64(a.N) * float64(b.N) / n
	delta = make([]float64, a.D())
	for j := range delta {
		d := b.Mean[j] - a.Mean[j]
		delta[j] = d
		a.Mean[j] += d * wb
		a.M2[j] += b.M2[j] + d*d*w
	}
	a.N += b.N
	return delta, w
}

func (m *Moments) appendTo(dst []byte) []byte {
	dst = appendInt(dst, m.N)
	dst = appendInt(dst, int64(m.D()))
	dst = appendFloats(dst, m.Mean)
	return appendFloats(dst, m.M2)
}

func (m *Moments) read(r *reader) {
	m.N = r.int()
	if r.err == nil && m.N < 0 {
		r.err = fmt.Errorf("linalg: negative row count %d in partial", m.N)
	}
	d := r.dim(int64(len(r.b)) / 16)
	m.Mean = r.floats(d)
	m.M2 = r.floats(d)
}
