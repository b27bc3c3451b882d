package linalg

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// sparseRow returns n float32 values of which about a share density are non-zero small
// counts or Gaussian values, with a NaN, a −0 and an infinity when special is set.
func sparseRow(rnd *rand.Rand, n int, density float64, special bool) []float32 {
	x := make([]float32, n)
	for j := range x {
		if rnd.Float64() < density {
			x[j] = float32(rnd.IntN(9) + 1)
			if rnd.IntN(2) == 0 {
				x[j] = float32(rnd.NormFloat64())
			}
		}
	}
	if special && n > 3 {
		x[rnd.IntN(n)] = float32(math.NaN())
		x[rnd.IntN(n)] = float32(math.Copysign(0, -1))
		x[rnd.IntN(n)] = float32(math.Inf(1))
	}
	return x
}

// TestPack checks pack against packGeneric for every length up to 40 and every density.
func TestPack(t *testing.T) { kernelSets(t, testPack) }

func testPack(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 40; n++ {
		for _, density := range []float64{0, 0.1, 0.5, 0.9, 1} {
			x := sparseRow(rnd, n, density, density == 0.5)
			want, got := make([]int32, n), make([]int32, n)
			nw, ng := packGeneric(x, want), pack(x, got)
			if nw != ng || !slices.Equal(want[:nw], got[:ng]) {
				t.Fatalf("n=%d density %v: pack %v, want %v", n, density, got[:ng], want[:nw])
			}
			for _, j := range want[:nw] {
				if x[j] == 0 && x[j] == x[j] {
					t.Fatalf("n=%d: index %d of a zero packed", n, j)
				}
			}
			if zeros := n - nw; zeros != countZeros(x) {
				t.Fatalf("n=%d: %d zeros left out, want %d", n, zeros, countZeros(x))
			}
		}
	}
}

func countZeros(x []float32) int {
	n := 0
	for _, v := range x {
		if v == 0 {
			n++
		}
	}
	return n
}

// sparseChunk returns a chunk of rows×d values (sparseRow) and its sparse form, or nil
// if pack finds it dense.
func sparseChunk(rnd *rand.Rand, rows, d int, density float64, special bool) ([]float32, *csc) {
	data := make([]float32, 0, rows*d)
	for range rows {
		data = append(data, sparseRow(rnd, d, density, special)...)
	}
	pat := &rowPatterns{idx: make([]int32, rows*d)}
	if !pat.pack(data, rows, d) {
		return data, nil
	}
	a := &csc{}
	a.build(data, pat, rows, d)
	return data, a
}

// TestCSC checks that the sparse form of a chunk holds its non-zero values, column by
// column in row order, and that pack turns dense chunks down.
func TestCSC(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, rows := range []int{1, 5, RowChunk, sparseRows} {
		for _, density := range []float64{0, 0.05, 0.3, 0.45, 0.7} {
			d := 37
			data, a := sparseChunk(rnd, rows, d, density, density == 0.3)
			nonzero := rows*d - countZeros(data)
			if dense := float64(nonzero) > sparseDensity*float64(rows*d); dense != (a == nil) {
				t.Fatalf("rows=%d density %v: %d of %d values non-zero, sparse form %v", rows, density, nonzero, rows*d, a != nil)
			}
			if a == nil {
				continue
			}
			back := make([]float32, rows*d)
			for j := range d {
				for e := a.ptr[j]; e < a.ptr[j+1]; e++ {
					if e > a.ptr[j] && a.row[e] <= a.row[e-1] {
						t.Fatalf("column %d: rows not increasing", j)
					}
					back[int(a.row[e])*d+j] = a.val[e]
				}
			}
			for i, v := range data {
				if math.Float32bits(back[i]) != math.Float32bits(v) && !(v == 0 && back[i] == 0) {
					t.Fatalf("rows=%d density %v: value %d is %v in the sparse form, %v in the chunk", rows, density, i, back[i], v)
				}
			}
			if int(a.ptr[d]) != nonzero {
				t.Fatalf("%d entries, want %d", a.ptr[d], nonzero)
			}
		}
	}
}

// TestSparseKernels checks that the kernels in use give the bits of the twins, on chunks
// of 1 to sparseRows rows, columns with odd and even entry counts, panels inside wider
// rows (every panel of 32 or 64 float32 columns, or of 16, 48 or 64 float64 columns,
// which the AVX-512 kernels take 32 at a time where they can), and NaN and infinite
// values; and that the gathers compute the products they document, within the rounding
// of a float64 sum.
func TestSparseKernels(t *testing.T) { kernelSets(t, testSparseKernels) }

func testSparseKernels(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	const d = buildTile + 50 // two tiles of csc.build
	for trial := range 40 {
		rows := []int{1, 7, RowChunk, sparseRows}[trial%4]
		data, a := sparseChunk(rnd, rows, d, 0.3, trial%5 == 0)
		if a == nil {
			t.Fatal("a chunk of density 0.3 was found dense")
		}
		w := []int{panel32, 2 * panel32}[trial%2]
		om32, pt32, y32 := randomF32(rnd, d*w), randomF32(rnd, d*w), randomF32(rnd, rows*w)
		g32 := slices.Clone(y32)
		eachPanel(y32, om32, a, w, panel32, gather32Generic)
		gather32(g32, om32, a, w)
		sameBits32(t, "gather32", g32, y32)
		a32 := slices.Clone(pt32)
		eachPanel(y32, pt32, a, w, panel32, scatter32Generic)
		scatter32(y32, a32, a, w)
		sameBits32(t, "scatter32", a32, pt32)

		w = []int{panel64, 3 * panel64, 4 * panel64}[trial%3]
		om64, pt64, y64 := randomF64(rnd, d*w), randomF64(rnd, d*w), randomF64(rnd, rows*w)
		y0, g64 := slices.Clone(y64), slices.Clone(y64)
		eachPanel(y64, om64, a, w, panel64, gather64Generic)
		gather64(g64, om64, a, w)
		sameBits64(t, "gather64", g64, y64)
		if trial%5 != 0 && rows <= RowChunk { // the reference costs rows·w·d
			for p := 0; p < w; p += panel64 {
				checkGather(t, y64, y0, om64, data, rows, d, w, p)
			}
		}
		a64 := slices.Clone(pt64)
		eachPanel(y64, pt64, a, w, panel64, scatter64Generic)
		scatter64(y64, a64, a, w)
		sameBits64(t, "scatter64", a64, pt64)
	}
}

func randomF32(rnd *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rnd.NormFloat64())
	}
	return x
}

func randomF64(rnd *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rnd.NormFloat64()
	}
	return x
}

// checkGather compares the panel of y (rows×w, from column off) with y0 + X·Ω computed in
// float64.
func checkGather(t *testing.T, y, y0, om []float64, x []float32, rows, d, w, off int) {
	t.Helper()
	for r := range rows {
		for c := off; c < off+panel64; c++ {
			s, mag := y0[r*w+c], math.Abs(y0[r*w+c])
			for j := range d {
				v := float64(x[r*d+j]) * om[j*w+c]
				s += v
				mag += math.Abs(v)
			}
			if math.Abs(y[r*w+c]-s) > 1e-14*mag {
				t.Fatalf("gather64 row %d column %d: %v, want %v", r, c, y[r*w+c], s)
			}
		}
	}
}

func sameBits32(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v, the twin gives %v", name, i, got[i], want[i])
		}
	}
}

func sameBits64(t *testing.T, name string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: value %d is %v, the twin gives %v", name, i, got[i], want[i])
		}
	}
}

// TestFMA32 checks fma32 against a·b + c computed exactly (math/big) and rounded once to
// float32, on random values and on sums that fall halfway between two float32 values
// after rounding to float64, where rounding twice would go wrong.
func TestFMA32(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	exact := func(a, b, c float32) float32 {
		p := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		p.Mul(p, new(big.Float).SetFloat64(float64(b)))
		p.Add(p, new(big.Float).SetFloat64(float64(c)))
		f, _ := new(big.Float).SetPrec(24).SetMode(big.ToNearestEven).Set(p).Float32()
		return f
	}
	check := func(a, b, c float32) {
		if got, want := fma32(a, b, c), exact(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	}
	for range 100000 {
		check(float32(rnd.NormFloat64()), float32(rnd.NormFloat64()), float32(rnd.NormFloat64()*4))
	}
	// Halfway cases: a·b = ±(2⁶ − 2⁻⁴⁰) with a = 2³(1+2⁻²³), b = 2³(1−2⁻²³), and
	// c = ±(2³⁰ + k·2⁷): the float64 sum c ± 2⁶ rounds to the midpoint between two float32
	// neighbours, while the exact sum lies 2⁻⁴⁰ off it; for odd k, rounding the midpoint
	// to even picks the wrong neighbour.
	a := float32(8 * (1 + 0x1p-23))
	b := float32(8 * (1 - 0x1p-23))
	naiveWrong := 0
	for k := range 64 {
		for _, sc := range []float32{1, -1} {
			for _, sp := range []float32{1, -1} {
				c := sc * (0x1p30 + float32(k)*0x1p7)
				if float32(float64(sp*a)*float64(b)+float64(c)) != exact(sp*a, b, c) {
					naiveWrong++
				}
				check(sp*a, b, c)
			}
		}
	}
	if naiveWrong == 0 {
		t.Fatal("the constructed cases do not exercise double rounding")
	}
}

// TestMeanSparse checks that the mean taken from the sparse forms has the bits of the mean
// of the dense rows, with negative zeros, chunks of both kinds and blocks of a partial
// chunk; and that a NaN is found in the same row.
func TestMeanSparse(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	const d = 300
	for _, n := range []int{1, 63, 64, 200} {
		for _, nan := range []bool{false, true} {
			var data []float32
			for i := range n {
				data = append(data, sparseRow(rnd, d, []float64{0.2, 0.9}[i/64%2], false)...)
			}
			data[rnd.IntN(len(data))] = float32(math.Copysign(0, -1))
			if nan {
				data[(n/2)*d+7] = float32(math.NaN())
			}
			var dense, sparse Moments
			badD := dense.setMean(data, n, d)
			sb := &SparseBlock{}
			sb.fill(data, n, d)
			badS := sparse.setMeanSparse(data, n, d, sb)
			if badD != badS {
				t.Fatalf("n=%d: bad row %d from the sparse forms, %d from the rows", n, badS, badD)
			}
			if badD >= 0 {
				continue
			}
			sameBits64(t, "mean", sparse.Mean, dense.Mean)
		}
	}
}
