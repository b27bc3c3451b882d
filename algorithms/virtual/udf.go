package virtual

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/stemreduce/stemreduce/spmd/udf"
)

// applyMasks stores in c (n×m, row-major) the products of the n frames of t with the m
// rows of masks (m×D): one GEMM.
func applyMasks(c []float32, t *udf.Tile, masks []float32, m int) {
	n := t.Len()
	if n == 0 || m == 0 {
		return
	}
	a := blas32.General{Rows: n, Cols: t.D, Stride: t.D, Data: t.Data}
	b := blas32.General{Rows: m, Cols: t.D, Stride: t.D, Data: masks}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, a, b, 0, blas32.General{Rows: n, Cols: m, Stride: m, Data: c})
}

// UDF integrates every frame against every mask: one nav buffer per mask, named by it.
type UDF struct {
	Masks []Mask
	rows  []float32 // the masks stacked, m×D
}

// New returns the virtual-detector UDF of masks, which must all have the same length.
func New(masks []Mask) *UDF {
	u := &UDF{Masks: masks}
	for _, m := range masks {
		u.rows = append(u.rows, m.Weights...)
	}
	return u
}

// Name implements udf.UDF.
func (*UDF) Name() string { return "virtual" }

// Buffers implements udf.UDF.
func (u *UDF) Buffers() []udf.Spec {
	var s []udf.Spec
	for _, m := range u.Masks {
		s = append(s, udf.Spec{Name: m.Name, Kind: udf.Nav, Dtype: udf.Float64})
	}
	return s
}

// Merge implements udf.UDF; there is nothing to merge.
func (*UDF) Merge(dst, src *udf.Results) {}

// ProcessTile implements udf.TileProcessor.
func (u *UDF) ProcessTile(t *udf.Tile, r *udf.Results) error {
	m := len(u.Masks)
	c := make([]float32, t.Len()*m)
	applyMasks(c, t, u.rows, m)
	for j, mask := range u.Masks {
		out := r.Float64(mask.Name)
		for i := range t.Len() {
			out[i] = float64(c[i*m+j])
		}
	}
	return nil
}

// COM computes the centre of mass of every frame within a mask: nav buffers y and x
// (detector pixels, absolute) and total (the mask-weighted intensity).
type COM struct {
	CY, CX float64 // reference centre (detector pixels)
	rows   []float32
}

// NewCOM returns the COM UDF for a dy×dx detector, weights w (nil: every pixel) and
// reference centre (cy, cx).
func NewCOM(dy, dx int, w []float32, cy, cx float64) *COM {
	c := &COM{CY: cy, CX: cx, rows: make([]float32, 3*dy*dx)}
	d := dy * dx
	for y := range dy {
		for x := range dx {
			i := y*dx + x
			wi := float32(1)
			if w != nil {
				wi = w[i]
			}
			c.rows[i] = wi
			c.rows[d+i] = wi * float32(float64(y)-cy)
			c.rows[2*d+i] = wi * float32(float64(x)-cx)
		}
	}
	return c
}

// Name implements udf.UDF.
func (*COM) Name() string { return "com" }

// Buffers implements udf.UDF.
func (*COM) Buffers() []udf.Spec {
	return []udf.Spec{
		{Name: "y", Kind: udf.Nav, Dtype: udf.Float64},
		{Name: "x", Kind: udf.Nav, Dtype: udf.Float64},
		{Name: "total", Kind: udf.Nav, Dtype: udf.Float64},
	}
}

// Merge implements udf.UDF; there is nothing to merge.
func (*COM) Merge(dst, src *udf.Results) {}

// ProcessTile implements udf.TileProcessor. A frame with no intensity in the mask has a
// NaN centre.
func (c *COM) ProcessTile(t *udf.Tile, r *udf.Results) error {
	s := make([]float32, 3*t.Len())
	applyMasks(s, t, c.rows, 3)
	y, x, tot := r.Float64("y"), r.Float64("x"), r.Float64("total")
	for i := range t.Len() {
		total := float64(s[3*i])
		tot[i] = total
		if total == 0 {
			y[i], x[i] = math.NaN(), math.NaN()
			continue
		}
		y[i] = c.CY + float64(s[3*i+1])/total
		x[i] = c.CX + float64(s[3*i+2])/total
	}
	return nil
}

// DPC holds the maps derived from the centre of mass over a scan of sy×sx.
type DPC struct {
	FieldY, FieldX []float64 // COM − centre
	Magnitude      []float64 // |F|
	Divergence     []float64 // ∂Fy/∂y + ∂Fx/∂x
	Curl           []float64 // ∂Fy/∂x − ∂Fx/∂y
}

// Derived returns the DPC maps of the COM maps y and x (sy×sx, row-major) about (cy, cx).
func Derived(y, x []float64, sy, sx int, cy, cx float64) DPC {
	n := sy * sx
	d := DPC{FieldY: make([]float64, n), FieldX: make([]float64, n), Magnitude: make([]float64, n),
		Divergence: make([]float64, n), Curl: make([]float64, n)}
	for i := range n {
		d.FieldY[i], d.FieldX[i] = y[i]-cy, x[i]-cx
		d.Magnitude[i] = math.Hypot(d.FieldY[i], d.FieldX[i])
	}
	dFyDy, dFyDx := gradient(d.FieldY, sy, sx)
	dFxDy, dFxDx := gradient(d.FieldX, sy, sx)
	for i := range n {
		d.Divergence[i] = dFyDy[i] + dFxDx[i]
		d.Curl[i] = dFyDx[i] - dFxDy[i]
	}
	return d
}

// gradient returns the derivatives of f (sy×sx) along y and x like numpy.gradient: central
// differences inside, one-sided at the edges, zero along an axis of length 1.
func gradient(f []float64, sy, sx int) (dy, dx []float64) {
	dy, dx = make([]float64, len(f)), make([]float64, len(f))
	diff := func(at func(int) float64, i, n int) float64 {
		switch {
		case n == 1:
			return 0
		case i == 0:
			return at(1) - at(0)
		case i == n-1:
			return at(n-1) - at(n-2)
		}
		return (at(i+1) - at(i-1)) / 2
	}
	for y := range sy {
		for x := range sx {
			dy[y*sx+x] = diff(func(k int) float64 { return f[k*sx+x] }, y, sy)
			dx[y*sx+x] = diff(func(k int) float64 { return f[y*sx+k] }, x, sx)
		}
	}
	return dy, dx
}
