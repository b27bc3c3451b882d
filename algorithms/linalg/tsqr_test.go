package linalg_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/linalg"
	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/spmd"
)

var rankCounts = []int{1, 2, 3, 4, 7}

// gaussian returns an r×c matrix of standard normal values.
func gaussian(r, c int, rnd *rand.Rand) *mat.Dense {
	a := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			a.Set(i, j, rnd.NormFloat64())
		}
	}
	return a
}

// conditioned returns an n×m matrix U·diag(σ)·Vᵀ with random orthonormal U and V and
// singular values σ_i = cond^(−i/(m−1)), so its 2-norm condition number is cond. With
// rank < m the last m − rank singular values are exactly zero.
func conditioned(n, m int, cond float64, rank int, seed uint64) *mat.Dense {
	rnd := rand.New(rand.NewPCG(seed, 1))
	if n < m {
		return gaussian(n, m, rnd) // wide: full row rank
	}
	var u, v mat.Dense
	linalg.ThinQR(&u, nil, gaussian(n, m, rnd))
	linalg.ThinQR(&v, nil, gaussian(m, m, rnd))
	for j := range m {
		s := math.Pow(cond, -float64(j)/float64(max(m-1, 1)))
		if j >= rank {
			s = 0
		}
		for i := range n {
			u.Set(i, j, u.At(i, j)*s)
		}
	}
	var y mat.Dense
	y.Mul(&u, v.T())
	return &y
}

// runTSQR factorizes y on p ranks with blocks of b rows and returns R from every rank and
// the Q rows assembled in global order.
func runTSQR(t testing.TB, p int, y *mat.Dense, b int) (rs []*mat.Dense, q *mat.Dense) {
	t.Helper()
	n, m := y.Dims()
	k := min(n, m)
	rs = make([]*mat.Dense, p)
	q = mat.NewDense(n, k, nil)
	errs := inproc.Run(p, func(c collective.Comm) error {
		plan := spmd.NewPlan(n, b, c.Size(), c.Rank())
		var local *mat.Dense
		if plan.NLocal() > 0 {
			local = mat.DenseCopyOf(y.Slice(plan.Beg, plan.End, 0, m))
		}
		ts := &linalg.TSQR{Workers: 3}
		if err := ts.Factorize(c, plan, local); err != nil {
			return err
		}
		var r, ql mat.Dense
		ts.RTo(&r)
		rs[c.Rank()] = &r
		if err := ts.QTo(c, &ql); err != nil {
			return err
		}
		if plan.NLocal() > 0 {
			q.Slice(plan.Beg, plan.End, 0, k).(*mat.Dense).Copy(&ql)
		}
		return nil
	})
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	return rs, q
}

func TestTSQR(t *testing.T) {
	tests := []struct {
		name    string
		n, m, b int
		cond    float64
		rank    int
		wantR   bool    // compare R with gonum's dense QR (well-conditioned cases)
		tolR    float64 // relative, for wantR
		notes   string
	}{
		{name: "random", n: 300, m: 7, b: 16, cond: 10, rank: 7, wantR: true, tolR: 1e-13},
		{name: "one-row-blocks", n: 37, m: 6, b: 1, cond: 100, rank: 6, wantR: true, tolR: 1e-12},
		{name: "short-blocks", n: 50, m: 12, b: 5, cond: 100, rank: 12, wantR: true, tolR: 1e-12},
		{name: "more-ranks-than-blocks", n: 10, m: 3, b: 4, cond: 10, rank: 3, wantR: true, tolR: 1e-13},
		{name: "single-block", n: 9, m: 4, b: 16, cond: 10, rank: 4, wantR: true, tolR: 1e-13},
		{name: "cond1e8", n: 400, m: 10, b: 7, cond: 1e8, rank: 10},
		{name: "cond1e12", n: 400, m: 10, b: 16, cond: 1e12, rank: 10},
		{name: "cond1e15", n: 200, m: 8, b: 3, cond: 1e15, rank: 8},
		{name: "rank-deficient", n: 200, m: 9, b: 8, cond: 1e3, rank: 4},
		{name: "fewer-rows-than-columns", n: 5, m: 8, b: 2, cond: 10, rank: 5},
	}
	for _, tc := range tests {
		y := conditioned(tc.n, tc.m, tc.cond, tc.rank, uint64(tc.n*tc.m))
		ynorm := mat.Norm(y, 2)
		var r1, q1 *mat.Dense
		for _, p := range rankCounts {
			t.Run(fmt.Sprintf("%s/P=%d", tc.name, p), func(t *testing.T) {
				rs, q := runTSQR(t, p, y, tc.b)
				for r := range rs {
					if !bitsEqual(rs[r], rs[0]) {
						t.Fatalf("R on rank %d differs from rank 0", r)
					}
				}
				if p == 1 {
					r1, q1 = rs[0], q
				} else if !bitsEqual(rs[0], r1) || !bitsEqual(q, q1) {
					t.Fatalf("P=%d: R or Q differs from P=1", p)
				}
				r := rs[0]
				k, _ := r.Dims()
				// Orthonormality: a product of O(log blocks) Householder factors, each
				// orthonormal to a few ulps: 1e-12 leaves a margin of about 100×.
				var qtq mat.Dense
				qtq.Mul(q.T(), q)
				for i := range k {
					qtq.Set(i, i, qtq.At(i, i)-1)
				}
				orth := mat.Norm(&qtq, 2)
				if orth > 1e-12 {
					t.Errorf("‖QᵀQ − I‖ = %.3g", orth)
				}
				// Backward stability of Householder QR: ‖QR − Y‖ ≤ c·ε·‖Y‖ whatever cond(Y).
				var qr mat.Dense
				qr.Mul(q, r)
				qr.Sub(&qr, y)
				back := mat.Norm(&qr, 2) / ynorm
				if back > 1e-12 {
					t.Errorf("‖QR − Y‖/‖Y‖ = %.3g", back)
				}
				if p == 1 {
					t.Logf("‖QᵀQ − I‖ = %.2g, ‖QR − Y‖/‖Y‖ = %.2g", orth, back)
				}
				for i := range k {
					if r.At(i, i) < 0 {
						t.Errorf("R[%d,%d] = %g < 0", i, i, r.At(i, i))
					}
					for j := range min(i, r.RawMatrix().Cols) {
						if r.At(i, j) != 0 {
							t.Errorf("R[%d,%d] = %g below the diagonal", i, j, r.At(i, j))
						}
					}
				}
				if tc.wantR {
					// For full rank, R with a non-negative diagonal is unique; the dense QR
					// differs by rounding, amplified by at most cond(Y) = 100.
					var want mat.Dense
					linalg.ThinQR(&mat.Dense{}, &want, y)
					if !mat.EqualApprox(r, &want, tc.tolR*mat.Norm(&want, 2)) {
						t.Errorf("R differs from the dense QR:\n%v\nwant\n%v", mat.Formatted(r), mat.Formatted(&want))
					}
				}
			})
		}
	}
}

func TestTSQRReuse(t *testing.T) {
	// One TSQR value factorizes two matrices in turn; the second result does not depend on
	// the first.
	y1 := conditioned(40, 3, 10, 3, 1)
	y2 := conditioned(60, 5, 10, 5, 2)
	inproc.Run(2, func(c collective.Comm) error {
		var ts linalg.TSQR
		for _, y := range []*mat.Dense{y1, y2, y2} {
			n, m := y.Dims()
			plan := spmd.NewPlan(n, 4, c.Size(), c.Rank())
			if err := ts.Factorize(c, plan, mat.DenseCopyOf(y.Slice(plan.Beg, plan.End, 0, m))); err != nil {
				return err
			}
			var r mat.Dense
			ts.RTo(&r)
			if rr, rc := r.Dims(); rr != m || rc != m {
				t.Errorf("R is %d×%d, want %d×%d", rr, rc, m, m)
			}
		}
		return nil
	})
}

func bitsEqual(a, b *mat.Dense) bool {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != br || ac != bc {
		return false
	}
	for i := range ar {
		for j := range ac {
			if math.Float64bits(a.At(i, j)) != math.Float64bits(b.At(i, j)) {
				return false
			}
		}
	}
	return true
}
