package linalg_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

func TestFlipSigns(t *testing.T) {
	tests := []struct {
		name      string
		vt        []float64 // 2×3
		want      []float64
		wantSigns []float64
	}{
		{"positive max", []float64{0.1, -0.9, 0.2, 0.5, 0.5, 0.1}, []float64{-0.1, 0.9, -0.2, 0.5, 0.5, 0.1}, []float64{-1, 1}},
		// Ties go to the first index, like numpy's argmax: -0.5 at index 0 decides.
		{"tie", []float64{-0.5, 0.5, 0, 0.3, -0.3, 0.1}, []float64{0.5, -0.5, 0, 0.3, -0.3, 0.1}, []float64{-1, 1}},
	}
	for _, tc := range tests {
		vt := mat.NewDense(2, 3, append([]float64(nil), tc.vt...))
		u := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
		signs := linalg.FlipSigns(u, vt, 2)
		if !mat.Equal(vt, mat.NewDense(2, 3, tc.want)) {
			t.Errorf("%s: vt = %v, want %v", tc.name, mat.Formatted(vt), tc.want)
		}
		wantU := mat.NewDense(2, 2, []float64{1 * tc.wantSigns[0], 2 * tc.wantSigns[1], 3 * tc.wantSigns[0], 4 * tc.wantSigns[1]})
		if !mat.Equal(u, wantU) || signs[0] != tc.wantSigns[0] || signs[1] != tc.wantSigns[1] {
			t.Errorf("%s: u = %v, signs %v", tc.name, mat.Formatted(u), signs)
		}
	}
}

func TestPrincipalAngles(t *testing.T) {
	// The plane spanned by e1, e2 against the plane spanned by e1 and cos θ·e2 + sin θ·e3:
	// angles 0 and θ, exactly. Tiny angles come from sines (cos θ rounds to 1 below 1e-8).
	for _, theta := range []float64{1e-12, 1e-8, 0.3, math.Pi / 4, 1.2, math.Pi / 2} {
		a := mat.NewDense(3, 2, []float64{1, 0, 0, 1, 0, 0})
		b := mat.NewDense(3, 2, []float64{1, 0, 0, math.Cos(theta), 0, math.Sin(theta)})
		got, err := linalg.PrincipalAngles(a, b)
		if err != nil {
			t.Fatal(err)
		}
		// Relative 1e-12 of θ for small angles, 1e-15 absolute for large ones.
		if math.Abs(got[0]) > 1e-15 || math.Abs(got[1]-theta) > 1e-12*theta+1e-15 {
			t.Errorf("θ = %g: angles %v", theta, got)
		}
	}
}

func TestThinQR(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, a := range []*mat.Dense{gaussian(50, 7, rnd), conditioned(40, 6, 1e10, 6, 3), conditioned(30, 5, 10, 2, 4)} {
		var q, r mat.Dense
		linalg.ThinQR(&q, &r, a)
		m, n := a.Dims()
		var qtq, qr mat.Dense
		qtq.Mul(q.T(), &q)
		if !mat.EqualApprox(&qtq, identityN(n), 1e-14) {
			t.Errorf("%d×%d: QᵀQ ≠ I", m, n)
		}
		qr.Mul(&q, &r)
		if !mat.EqualApprox(&qr, a, 1e-14*mat.Norm(a, 2)) {
			t.Errorf("%d×%d: QR ≠ A", m, n)
		}
		for i := range n {
			if r.At(i, i) < 0 {
				t.Errorf("R[%d,%d] < 0", i, i)
			}
		}
	}
}

func identityN(n int) *mat.Dense {
	id := mat.NewDense(n, n, nil)
	for i := range n {
		id.Set(i, i, 1)
	}
	return id
}

func TestEigenSymAndSVD(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	a := gaussian(30, 8, rnd)
	var g mat.SymDense
	g.SymOuterK(1, a.T())
	vals, vecs, err := linalg.EigenSym(&g)
	if err != nil {
		t.Fatal(err)
	}
	u, s, vt, err := linalg.SVD(a)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s {
		// λ_i = σ_i², both in decreasing order.
		if math.Abs(vals[i]-s[i]*s[i]) > 1e-12*vals[0] || (i > 0 && (s[i] > s[i-1] || vals[i] > vals[i-1])) {
			t.Errorf("λ_%d = %g, σ² = %g", i, vals[i], s[i]*s[i])
		}
		// The eigenvector and the right singular vector agree up to sign.
		var dot float64
		for j := range 8 {
			dot += vecs.At(j, i) * vt.At(i, j)
		}
		if math.Abs(math.Abs(dot)-1) > 1e-10 {
			t.Errorf("vector %d: |⟨v, e⟩| = %g", i, math.Abs(dot))
		}
	}
	var rec mat.Dense
	rec.Mul(u, mat.NewDiagDense(len(s), s))
	rec.Mul(&rec, vt)
	if !mat.EqualApprox(&rec, a, 1e-13*mat.Norm(a, 2)) {
		t.Error("U·S·Vᵀ ≠ A")
	}
}

// TestTSQRBeatsSolve shows why QTo applies the tree of reflectors: Q = Y·R⁻¹ loses
// orthogonality in proportion to cond(Y), to ~1e-8 at cond 1e8.
func TestTSQRBeatsSolve(t *testing.T) {
	n, m := 400, 10
	y := conditioned(n, m, 1e8, m, 9)
	var r mat.Dense
	inproc.Run(1, func(c collective.Comm) error {
		var ts linalg.TSQR
		if err := ts.Factorize(c, spmd.NewPlan(n, 7, 1, 0), y); err != nil {
			return err
		}
		ts.RTo(&r)
		return nil
	})
	var rinv, q, qtq mat.Dense
	if err := rinv.Inverse(&r); err != nil {
		t.Fatal(err)
	}
	q.Mul(y, &rinv)
	qtq.Mul(q.T(), &q)
	qtq.Sub(&qtq, identityN(m))
	naive := mat.Norm(&qtq, 2)
	_, qt := runTSQR(t, 3, y, 7)
	qtq.Mul(qt.T(), qt)
	qtq.Sub(&qtq, identityN(m))
	tree := mat.Norm(&qtq, 2)
	if naive < 1e-10 || tree > 1e-13 {
		t.Errorf("‖QᵀQ − I‖: Y·R⁻¹ %.2g, tree %.2g", naive, tree)
	}
	t.Logf("‖QᵀQ − I‖ at cond 1e8: Y·R⁻¹ %.2g, tree of reflectors %.2g", naive, tree)
}
