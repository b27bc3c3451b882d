package integration

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/io/h5"
)

// pcaNames are the datasets of /pca (without Poisson normalisation).
var pcaNames = []string{"components", "scores", "singular_values", "explained_variance", "explained_variance_ratio", "mean", "noise_variance", "total_variance"}

// readH5 reads one dataset of a result file with its dimensions.
func readH5(t *testing.T, file, name string) ([]float64, []int) {
	t.Helper()
	data, dims, err := h5.ReadFloat64Dataset(file, name)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return data, dims
}

// readAttr reads an attribute of a result file.
func readAttr(t *testing.T, file, obj, name string) any {
	t.Helper()
	v, err := h5.ReadAttr(file, obj, name)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

// generate writes the synthetic dataset spec to dir/name and returns its /data spec.
func generate(t *testing.T, dir, name, spec string, extra ...string) string {
	t.Helper()
	file := filepath.Join(dir, name)
	mustRun(t, 0, append([]string{"generate", spec, "-o", file}, extra...)...)
	return file + ":/data"
}

// TestPCABitwiseAcrossRanks runs pca under mpirun with 1, 2 and 4 ranks and in process
// with 3 and 7 ranks, with a block size that does not divide the number of frames and
// tiles of a few blocks, and requires the same bits in every /pca dataset (and in the
// denoised frames) from every run: for the randomized solver, for an exact one, and for
// the randomized solver on preprocessed frames of an ROI. A run with the cache off
// (--cache off) must give the same bits as the cached ones.
func TestPCABitwiseAcrossRanks(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=20x18,det=12x10,phases=3,seed=5")
	configs := []struct {
		name string
		args []string
	}{
		{"randomized", []string{"--solver", "randomized", "-k", "4", "--seed", "3"}},
		{"tsqr", []string{"--solver", "tsqr", "-k", "5"}},
		{"single pass", []string{"--passes", "1", "-k", "4", "--seed", "2"}},
		{"preprocessed", []string{"--solver", "randomized", "-k", "3", "--power-iters", "2", "--roi", "1:19,2:17", "--crop", "0:12,2:10", "--bin", "2", "--transform", "sqrt", "--normalize", "poisson"}},
	}
	runs := []struct {
		label string
		p     int
		extra []string
	}{
		{"mpirun -n 1", 1, nil},
		{"mpirun -n 2", 2, nil},
		{"mpirun -n 4", 4, nil},
		{"inproc 3", 0, []string{"--ranks", "3"}},
		{"inproc 7", 0, []string{"--ranks", "7"}},
		{"mpirun -n 2, cache off", 2, []string{"--cache", "off"}},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			names := append([]string(nil), pcaNames...)
			if cfg.name == "preprocessed" {
				names = append(names, "poisson_frame_scale", "poisson_pixel_scale")
			}
			var ref map[string][]float64
			for i, r := range runs {
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.h5", cfg.name, i))
				den := filepath.Join(dir, fmt.Sprintf("%s-%d-den.h5", cfg.name, i))
				args := append([]string{"pca", in, "-o", out, "--denoise", den, "--block", "7", "--tile-mb", "1"}, cfg.args...)
				res := mustRun(t, r.p, append(args, r.extra...)...)
				wantCache := "every rank keeps its preprocessed frames in RAM"
				if r.extra != nil && r.extra[0] == "--cache" {
					wantCache = "cache: off"
				}
				if cfg.name == "single pass" {
					wantCache = "cache: not kept: --passes 1 reads every frame once"
				}
				if !strings.Contains(res.stderr, wantCache) {
					t.Errorf("%s: the log does not say %q:\n%s", r.label, wantCache, res.stderr)
				}
				if cfg.name == "single pass" && !strings.Contains(res.stdout, "input read 1 time(s)") {
					t.Errorf("%s: --passes 1 did not read the input once: %s", r.label, res.stdout)
				}
				got := map[string][]float64{}
				for _, n := range names {
					got[n], _ = readH5(t, out, "/pca/"+n)
				}
				got["denoised"], _ = readH5(t, den, "/data")
				if ref == nil {
					ref = got
					continue
				}
				for n, want := range ref {
					if !sameBitsNaN(got[n], want) {
						t.Errorf("%s: %s differs from %s", r.label, n, runs[0].label)
					}
				}
			}
		})
	}
}

// frames reads the /data of a generated file as an N×D float64 matrix (exact: the counts
// are integers below 2^24) with its nav and sig shapes.
func frames(t *testing.T, spec string) (*mat.Dense, []int, []int) {
	t.Helper()
	file := strings.TrimSuffix(spec, ":/data")
	data, dims := readH5(t, file, "/data")
	n, d := dims[0]*dims[1], dims[2]*dims[3]
	return mat.NewDense(n, d, data), dims[:2], dims[2:]
}

// denseSVD is the reference: the singular values and right singular vectors of x, after
// subtracting the column means when center is true, by gonum's float64 SVD (LAPACK dgesvd
// algorithm).
func denseSVD(t *testing.T, x *mat.Dense, center bool) (s []float64, v, u *mat.Dense, mean []float64) {
	t.Helper()
	n, d := x.Dims()
	a := mat.DenseCopyOf(x)
	mean = make([]float64, d)
	if center {
		for j := range d {
			for i := range n {
				mean[j] += a.At(i, j)
			}
			mean[j] /= float64(n)
			for i := range n {
				a.Set(i, j, a.At(i, j)-mean[j])
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		t.Fatal("reference SVD failed")
	}
	v, u = &mat.Dense{}, &mat.Dense{}
	svd.VTo(v)
	svd.UTo(u)
	return svd.Values(nil), v, u, mean
}

// relErr returns max_i |got_i − want_i| / |want_i|.
func relErr(got, want []float64) float64 {
	var e float64
	for i := range got {
		e = math.Max(e, math.Abs(got[i]-want[i])/math.Abs(want[i]))
	}
	return e
}

// checkPCA compares the /pca of out with the reference decomposition of the rows x
// (n×d, the frames that were fitted), to a relative tolerance tol on the singular
// values, the explained variance ratio and the total variance, and to tol·σ₁ on the
// scores of the fitted frames (rows[i] is the scan position of row i).
func checkPCA(t *testing.T, out string, x *mat.Dense, rows []int, k int, center bool, tol float64) {
	t.Helper()
	n, d := x.Dims()
	s, v, u, mean := denseSVD(t, x, center)
	var total float64
	for _, si := range s {
		total += si * si
	}
	evr := make([]float64, k)
	for i := range k {
		evr[i] = s[i] * s[i] / total
	}
	got := map[string][]float64{}
	for _, name := range pcaNames {
		got[name], _ = readH5(t, out, "/pca/"+name)
	}
	if e := relErr(got["singular_values"], s[:k]); e > tol {
		t.Errorf("singular values: relative error %.3g > %g", e, tol)
	}
	if e := relErr(got["explained_variance_ratio"], evr); e > tol {
		t.Errorf("explained variance ratio: relative error %.3g > %g\n got %v\nwant %v", e, tol, got["explained_variance_ratio"], evr)
	}
	if e := math.Abs(got["total_variance"][0]-total/float64(n-1)) / (total / float64(n-1)); e > tol {
		t.Errorf("total variance: relative error %.3g", e)
	}
	for j := range d {
		if math.Abs(got["mean"][j]-mean[j]) > tol*(1+math.Abs(mean[j])) {
			t.Fatalf("mean[%d] = %v, want %v", j, got["mean"][j], mean[j])
		}
	}
	// Scores: U·S up to the sign of each component (aligned with the components).
	comp, scores := got["components"], got["scores"]
	for c := range k {
		var dot float64
		for j := range d {
			dot += comp[c*d+j] * v.At(j, c)
		}
		sign := math.Copysign(1, dot)
		for i, f := range rows {
			want := sign * u.At(i, c) * s[c]
			if g := scores[f*k+c]; math.Abs(g-want) > tol*s[0] {
				t.Fatalf("score of frame %d, component %d: %v, want %v", f, c, g, want)
			}
		}
	}
	t.Logf("%s: σ rel %.2g, EVR rel %.2g", filepath.Base(out), relErr(got["singular_values"], s[:k]), relErr(got["explained_variance_ratio"], evr))
}

// TestPCAAgainstDenseSVD compares the explained variance ratio, the singular values, the
// mean and the scores of the exact solvers with a dense float64 SVD of the same frames,
// read here from the file: 1e-9 relative, since both are backward-stable float64
// computations on the same data and the spectrum (synthetic phases plus Poisson noise)
// has σ_k/σ_1 ≥ 1e-2, so the Gram solver's squared condition number costs at most four
// of the sixteen digits. The randomized solver at its default power iterations must be
// within 1e-4 relative (issue 4).
func TestPCAAgainstDenseSVD(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=16x16,det=12x12,phases=4,seed=2")
	x, nav, _ := frames(t, in)
	all := make([]int, nav[0]*nav[1])
	for i := range all {
		all[i] = i
	}
	for _, tc := range []struct {
		solver string
		center bool
		tol    float64
	}{
		{"gram", true, 1e-9},
		{"tsqr", true, 1e-9},
		{"tsqr", false, 1e-9},
		{"randomized", true, 1e-4},
	} {
		t.Run(fmt.Sprintf("%s/center=%v", tc.solver, tc.center), func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprintf("%s-%v.h5", tc.solver, tc.center))
			args := []string{"pca", in, "-k", "5", "--solver", tc.solver, "-o", out}
			if !tc.center {
				args = append(args, "--no-center")
			}
			res := mustRun(t, 2, args...)
			if !strings.Contains(res.stdout, "passes over X") {
				t.Errorf("stdout does not give the passes over X:\n%s", res.stdout)
			}
			checkPCA(t, out, x, all, 5, tc.center, tc.tol)
		})
	}
	// Auto picks and says what it picked: N = 256, D = 144 ≤ 500 gives Gram.
	out := filepath.Join(dir, "auto.h5")
	res := mustRun(t, 2, "pca", in, "-k", "3", "-o", out)
	if !strings.Contains(res.stderr, "--solver auto picked gram") || readAttr(t, out, "/pca", "solver") != "gram" {
		t.Errorf("auto: log and attribute do not say gram:\n%s", res.stderr)
	}
}

// preprocessRef applies crop [y0, y1)×[x0, x1), b×b binning (sums), the transform and
// the normalisation to the frames rows of x (dy×dx detector), directly in float64, and
// rounds the result to float32 as stemreduce's frames are: the reference of the
// preprocessing options end to end.
func preprocessRef(x *mat.Dense, rows []int, dy, dx, y0, y1, x0, x1, b int, transform, normalize string) *mat.Dense {
	oy, ox := (y1-y0)/b, (x1-x0)/b
	out := mat.NewDense(len(rows), oy*ox, nil)
	for i, f := range rows {
		var total float64
		for y := range oy {
			for xx := range ox {
				var v float64
				for p := range b {
					for q := range b {
						v += x.At(f, (y0+y*b+p)*dx+x0+xx*b+q)
					}
				}
				switch transform {
				case "sqrt":
					v = math.Sqrt(v)
				case "log1p":
					v = math.Log1p(v)
				}
				out.Set(i, y*ox+xx, v)
				total += v
			}
		}
		for j := range oy * ox {
			v := out.At(i, j)
			if normalize == "total" {
				v /= total
			}
			out.Set(i, j, float64(float32(v)))
		}
	}
	if normalize == "poisson" {
		// HyperSpy: X / (sqrt(row sums) outer sqrt(column sums)), 0/0 -> 0.
		n, d := out.Dims()
		a, c := make([]float64, n), make([]float64, d)
		for i := range n {
			for j := range d {
				a[i] += out.At(i, j)
				c[j] += out.At(i, j)
			}
		}
		for i := range n {
			for j := range d {
				v := out.At(i, j) / (math.Sqrt(a[i]) * math.Sqrt(c[j]))
				if math.IsNaN(v) {
					v = 0
				}
				out.Set(i, j, float64(float32(v)))
			}
		}
	}
	return out
}

// TestPCAPreprocessing runs the preprocessing options end to end, each against the dense
// reference of preprocessRef followed by a float64 SVD: 1e-6 relative, because the
// preprocessed frames are float32 and the two sides may round a value to neighbouring
// float32 numbers (different summation orders of the Poisson totals), which moves the
// singular values by about 1e-7 relative. It checks NaN scores outside the ROI, the
// denoised frames against scores·components + mean, taken back to data units (the
// Poisson scaling and the transform undone) unless --normalize total, and that with K = D
// the reconstruction is the binned data itself (or the preprocessed data).
func TestPCAPreprocessing(t *testing.T) {
	dir := t.TempDir()
	in := generate(t, dir, "gen.h5", "synth:scan=14x12,det=16x16,phases=3,dose=3000,seed=9")
	x, nav, sig := frames(t, in)
	sy, sx := nav[0], nav[1]
	roi := func(y0, y1, x0, x1 int) []int {
		var rows []int
		for f := range sy * sx {
			if y, xx := f/sx, f%sx; y >= y0 && y < y1 && xx >= x0 && xx < x1 {
				rows = append(rows, f)
			}
		}
		return rows
	}
	all := roi(0, sy, 0, sx)
	tests := []struct {
		name               string
		args               []string
		rows               []int
		y0, y1, x0, x1, b  int
		transform, norm    string
		k                  int
		center, checkNaN   bool
		fullRankReconCheck bool
	}{
		{"roi crop bin sqrt poisson", []string{"--roi", "2:12,1:11", "--crop", "2:14,0:16", "--bin", "2", "--transform", "sqrt", "--normalize", "poisson", "--solver", "tsqr"},
			roi(2, 12, 1, 11), 2, 14, 0, 16, 2, "sqrt", "poisson", 4, true, true, false},
		{"full rank", []string{"--roi", "2:12,1:11", "--crop", "2:14,0:16", "--bin", "2", "--transform", "sqrt", "--normalize", "poisson", "--solver", "tsqr"},
			roi(2, 12, 1, 11), 2, 14, 0, 16, 2, "sqrt", "poisson", 48, true, true, true},
		{"log1p total", []string{"--transform", "log1p", "--normalize", "total", "--solver", "gram"},
			all, 0, 16, 0, 16, 1, "log1p", "total", 5, true, false, false},
		{"bin 4 no-center", []string{"--bin", "4", "--no-center", "--solver", "gram", "--cache", "off"},
			all, 0, 16, 0, 16, 4, "none", "none", 3, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".h5")
			den := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+"-den.h5")
			args := append([]string{"pca", in, "-k", fmt.Sprint(tc.k), "-o", out, "--denoise", den, "--block", "5"}, tc.args...)
			mustRun(t, 2, args...)
			ref := preprocessRef(x, tc.rows, sig[0], sig[1], tc.y0, tc.y1, tc.x0, tc.x1, tc.b, tc.transform, tc.norm)
			_, d := ref.Dims()
			checkPCA(t, out, ref, tc.rows, tc.k, tc.center, 1e-6)

			// Scores NaN outside the ROI; the denoised frames have the input's layout with
			// the preprocessed detector, NaN outside the ROI, and equal scores·components
			// + mean (float32).
			scores, sdims := readH5(t, out, "/pca/scores")
			comp, _ := readH5(t, out, "/pca/components")
			mean, mdims := readH5(t, out, "/pca/mean")
			denoised, ddims := readH5(t, den, "/data")
			oy, ox := (tc.y1-tc.y0)/tc.b, (tc.x1-tc.x0)/tc.b
			if fmt.Sprint(sdims) != fmt.Sprint([]int{sy, sx, tc.k}) || fmt.Sprint(ddims) != fmt.Sprint([]int{sy, sx, oy, ox}) || fmt.Sprint(mdims) != fmt.Sprint([]int{oy, ox}) {
				t.Fatalf("scores %v, denoised %v, mean %v; want (%d, %d, %d), (%d, %d, %d, %d), (%d, %d)", sdims, ddims, mdims, sy, sx, tc.k, sy, sx, oy, ox, oy, ox)
			}
			in := map[int]int{}
			for i, f := range tc.rows {
				in[f] = i
			}
			// The space of the denoised frames: data units unless --normalize total.
			dataSpace := tc.norm != "total"
			space := ref
			var fscale, pscale []float64
			if dataSpace {
				space = preprocessRef(x, tc.rows, sig[0], sig[1], tc.y0, tc.y1, tc.x0, tc.x1, tc.b, "none", "none")
				if tc.norm == "poisson" {
					fscale, _ = readH5(t, out, "/pca/poisson_frame_scale")
					pscale, _ = readH5(t, out, "/pca/poisson_pixel_scale")
				}
			}
			toSpace := func(v float64, f, j int) float64 {
				if !dataSpace {
					return v
				}
				if fscale != nil {
					v *= fscale[f] * pscale[j]
				}
				switch tc.transform {
				case "sqrt":
					v = math.Max(v, 0) * math.Max(v, 0)
				case "log1p":
					v = math.Expm1(v)
				}
				return v
			}
			var maxAbs float64
			for _, v := range space.RawMatrix().Data {
				maxAbs = math.Max(maxAbs, math.Abs(v))
			}
			for f := range sy * sx {
				i, ok := in[f]
				if !ok {
					if !math.IsNaN(scores[f*tc.k]) || !math.IsNaN(denoised[f*d]) {
						t.Fatalf("frame %d outside the ROI: score %v, denoised %v, want NaN", f, scores[f*tc.k], denoised[f*d])
					}
					continue
				}
				for j := range d {
					want := mean[j]
					for c := range tc.k {
						want += scores[f*tc.k+c] * comp[c*d+j]
					}
					want = toSpace(want, f, j)
					got := denoised[f*d+j]
					// float32 output: half an ulp of the value, plus the rounding of the sum.
					if math.Abs(got-want) > 1e-6*(math.Abs(want)+maxAbs) {
						t.Fatalf("denoised frame %d pixel %d: %v, want %v", f, j, got, want)
					}
					if tc.fullRankReconCheck && math.Abs(got-space.At(i, j)) > 1e-5*maxAbs {
						t.Fatalf("full-rank reconstruction of frame %d pixel %d: %v, want the data %v", f, j, got, space.At(i, j))
					}
				}
			}
		})
	}
}

// writeFrames writes float32 frames of shape dims to file:/data.
func writeFrames(t *testing.T, file string, data []float32, dims ...int) {
	t.Helper()
	w, err := h5.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32("/data", data, dims...); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestPCABadInput checks that bad input and bad flags give one clear error line naming
// the problem, the documented exit code, no output file (neither -o nor --denoise) and no
// hang, with 2 ranks.
func TestPCABadInput(t *testing.T) {
	dir := t.TempDir()
	const sy, sx, dy, dx = 8, 10, 6, 6
	n, d := sy*sx, dy*dx
	good := make([]float32, n*d)
	for i := range good {
		good[i] = float32((i*7919)%13) + float32(i%d)
	}
	write := func(name string, edit func([]float32)) string {
		data := append([]float32(nil), good...)
		if edit != nil {
			edit(data)
		}
		file := filepath.Join(dir, name)
		writeFrames(t, file, data, sy, sx, dy, dx)
		return file
	}
	goodFile := write("good.h5", nil)
	nanFile := write("nan.h5", func(x []float32) {
		x[61*d+7] = float32(math.NaN()) // frame 61 = (6, 1), on rank 1
		x[77*d] = float32(math.NaN())
	})
	infFile := write("inf.h5", func(x []float32) {
		x[23*d+35] = float32(math.Inf(-1)) // frame 23 = (2, 3), on rank 0
		x[40*d] = float32(math.Inf(1))
	})
	constFile := write("const.h5", func(x []float32) {
		for i := range x {
			x[i] = 3
		}
	})
	// The flag checks that need no input run in process (--ranks 2), the rest under
	// mpirun -n 2.
	tests := []struct {
		name  string
		args  []string
		code  int
		want  []string
		local bool
	}{
		{"k missing", []string{goodFile}, 2, []string{"-k is required"}, true},
		{"k zero", []string{goodFile, "-k", "0"}, 2, []string{"-k=0", "at least 1"}, false},
		{"k negative", []string{goodFile, "-k", "-2"}, 2, []string{"-k=-2"}, true},
		{"k above D", []string{goodFile, "-k", "37"}, 2, []string{"-k=37", "min(N, D) = min(80, 36)"}, false},
		{"k above N of the ROI", []string{goodFile, "-k", "5", "--roi", "0:2,0:2"}, 2, []string{"-k=5", "min(4, 36)", "ROI"}, false},
		{"k above D after bin", []string{goodFile, "-k", "10", "--bin", "2"}, 2, []string{"-k=10", "min(80, 9)"}, false},
		{"constant", []string{constFile, "-k", "2"}, 3, []string{"constant"}, false},
		{"constant, exact", []string{constFile, "-k", "2", "--solver", "tsqr"}, 3, []string{"constant"}, false},
		{"NaN", []string{nanFile, "-k", "2"}, 3, []string{"frame 61 (scan position y=6, x=1) holds a NaN"}, false},
		{"NaN, gram", []string{nanFile, "-k", "2", "--solver", "gram"}, 3, []string{"frame 61 (scan position y=6, x=1)"}, false},
		{"NaN, preprocessed", []string{nanFile, "-k", "2", "--bin", "2", "--normalize", "poisson"}, 3, []string{"frame 61 (scan position y=6, x=1)"}, false},
		{"Inf", []string{infFile, "-k", "2", "--roi", "1:8,0:10"}, 3, []string{"frame 23 (scan position y=2, x=3)"}, false},
		{"bin does not divide", []string{goodFile, "-k", "2", "--bin", "4"}, 2, []string{"--bin=4", "6x6 detector", "--bin 3"}, false},
		{"bin does not divide the crop", []string{goodFile, "-k", "2", "--bin", "2", "--crop", "0:5,0:6"}, 2, []string{"--bin=2", "5x6 detector (after --crop)"}, false},
		{"roi outside the scan", []string{goodFile, "-k", "2", "--roi", "0:9,0:4"}, 2, []string{"--roi", "inside the scan"}, false},
		{"crop outside the detector", []string{goodFile, "-k", "2", "--crop", "0:7,0:3"}, 2, []string{"--crop", "6x6 detector"}, false},
		{"crop syntax", []string{goodFile, "-k", "2", "--crop", "3:1,0:2"}, 2, []string{"--crop", "y0:y1,x0:x1"}, true},
		{"solver", []string{goodFile, "-k", "2", "--solver", "svd"}, 2, []string{"--solver", "randomized"}, true},
		{"power iterations", []string{goodFile, "-k", "2", "--power-iters", "x"}, 2, []string{"--power-iters"}, true},
		{"power iterations of an exact solver", []string{goodFile, "-k", "2", "--solver", "gram", "--power-iters", "3"}, 2, []string{"--power-iters", "randomized"}, true},
		{"transform", []string{goodFile, "-k", "2", "--transform", "log"}, 2, []string{"--transform", "log1p"}, true},
		{"normalize", []string{goodFile, "-k", "2", "--normalize", "l1"}, 2, []string{"--normalize", "poisson"}, true},
		{"mem per rank", []string{goodFile, "-k", "2", "--mem-per-rank", "-1"}, 2, []string{"--mem-per-rank"}, true},
		{"cache", []string{goodFile, "-k", "2", "--cache", "on"}, 2, []string{"--cache", "auto or off"}, true},
		{"denoise is the output", []string{goodFile, "-k", "2", "--denoise", "OUT"}, 2, []string{"--denoise", "differ"}, true},
		{"exact solver too large", []string{"synth:scan=4x4,det=64x64", "-k", "2", "--solver", "gram", "--mem-per-rank", "64"}, 2, []string{"--solver=gram", "D=4096", "--mem-per-rank 64 MiB"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			out, den := base+".h5", base+"-den.h5"
			args := []string{"pca"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "OUT", out))
			}
			if tc.name != "denoise is the output" {
				args = append(args, "--denoise", den)
			}
			args = append(args, "-o", out)
			p := 2
			if tc.local {
				p, args = 0, append(args, "--ranks", "2")
			}
			r := run(t, p, args...)
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			var errLines []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(l, "stemreduce: ") {
					errLines = append(errLines, l)
				}
			}
			if len(errLines) != 1 {
				t.Errorf("want one error line from stemreduce, got %d:\n%s", len(errLines), r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(errLines, "\n"), w) {
					t.Errorf("error does not mention %q:\n%s", w, r.stderr)
				}
			}
			for _, f := range []string{out, out + ".tmp", den, den + ".tmp"} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s left behind", f)
				}
			}
		})
	}
}
