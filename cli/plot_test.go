package cli

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/collective/inproc"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/picture"
	"github.com/stemreduce/stemreduce/spmd"
)

// runRanks runs the command line args on p in-process ranks and returns rank 0's output
// and error.
func runRanks(t *testing.T, p int, args ...string) (string, error) {
	t.Helper()
	var out, log bytes.Buffer
	errs := inproc.Run(p, func(c collective.Comm) error {
		env := Env{Comm: c, Stdout: &out, Stderr: &log, Args: append([]string{"stemreduce"}, args...), Workers: 1}
		if c.Rank() != 0 {
			env.Stdout, env.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
		}
		return Run(context.Background(), env, args)
	})
	return out.String(), errs[0]
}

// plotDataset is one dataset of a hand-made result file.
type plotDataset struct {
	path string
	dims []int
	z    func(i int) float64
}

// plotWriteResult writes a stemreduce result file with the given datasets, as the
// commands lay them out (docs/output.md).
func plotWriteResult(t *testing.T, path string, nav, sig []int, ds ...plotDataset) {
	t.Helper()
	w, err := h5.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		z := make([]float64, prodInts(d.dims))
		for i := range z {
			z[i] = d.z(i)
		}
		if err := w.WriteFloat64(d.path, z, d.dims...); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct {
		name  string
		value any
	}{{"program", "stemreduce"}, {"input_nav_shape", nav}, {"input_sig_shape", sig}} {
		if err := w.SetAttr("/", a.name, a.value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func prodInts(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}

// Synthetic arrays over a scan (sy, sx) and a detector (dy, dx), with structure.
const plotSY, plotSX, plotDY, plotDX = 20, 24, 16, 16

func scanZ(phase float64) func(i int) float64 {
	return func(i int) float64 {
		y, x := float64(i/plotSX), float64(i%plotSX)
		return math.Sin(x/4+phase) + math.Cos(y/3-phase)
	}
}

func detZ(i int) float64 {
	y, x := float64(i/plotDX)-plotDY/2, float64(i%plotDX)-plotDX/2
	return 1 + 100*math.Exp(-(y*y+x*x)/8) + math.Sin(x)*math.Cos(y)
}

// stackZ is (k, dy, dx) when componentFirst, else (sy, sx, k): signed maps.
func stackZ(k int, componentFirst bool) func(i int) float64 {
	return func(i int) float64 {
		if componentFirst {
			j, p := i/(plotDY*plotDX), i%(plotDY*plotDX)
			return detZ(p)*float64(1-2*(j%2)) - 10
		}
		p, j := i/k, i%k
		return scanZ(float64(j))(p)
	}
}

func TestPlotGroups(t *testing.T) {
	nav, sig := []int{plotSY, plotSX}, []int{plotDY, plotDX}
	navK := func(k int) []int { return []int{plotSY, plotSX, k} }
	kSig := func(k int) []int { return []int{k, plotDY, plotDX} }
	const k = 6
	for _, tc := range []struct {
		name string
		ds   []plotDataset
		want []string
	}{
		{"stats", []plotDataset{
			{"/stats/mean", sig, detZ}, {"/stats/std", sig, detZ}, {"/stats/max", sig, detZ},
			{"/stats/sum", sig, detZ}, {"/stats/frame_sum", nav, scanZ(0)},
		}, []string{"stats_mean.png", "stats_std.png", "stats_max.png", "stats_frame_sum.png"}},
		{"virtual", []plotDataset{{"/virtual/bf", nav, scanZ(0)}, {"/virtual/haadf", nav, scanZ(1)}},
			[]string{"virtual_bf.png", "virtual_haadf.png"}},
		{"com", []plotDataset{
			{"/com/y", nav, scanZ(0)}, {"/com/x", nav, scanZ(1)},
			{"/com/field_y", nav, scanZ(0)}, {"/com/field_x", nav, scanZ(1)}, {"/com/magnitude", nav, scanZ(2)},
			{"/com/divergence", nav, scanZ(3)}, {"/com/curl", nav, scanZ(4)},
		}, []string{"com_field_y.png", "com_field_x.png", "com_magnitude.png", "com_divergence.png", "com_curl.png", "com_field.png"}},
		{"pca", []plotDataset{
			{"/pca/components", kSig(k), stackZ(k, true)},
			{"/pca/scores", navK(k), stackZ(k, false)},
			{"/pca/explained_variance_ratio", []int{k}, func(i int) float64 { return 0.4 / float64(1+i*i) }},
			{"/pca/singular_values", []int{k}, func(i int) float64 { return 1 }},
		}, []string{"pca_scree.png", "pca_factors.png", "pca_loadings.png"}},
		{"ica", []plotDataset{
			{"/ica/sources", navK(3), stackZ(3, false)},
			{"/ica/factors", kSig(3), stackZ(3, true)},
			{"/ica/mixing", []int{3, 3}, func(i int) float64 { return float64(i) }},
		}, []string{"ica_factors.png", "ica_sources.png"}},
		{"umap", []plotDataset{
			{"/umap/embedding", navK(2), func(i int) float64 {
				f := i / 2
				c := float64(3 * f / (plotSY * plotSX)) // three clusters by scan region
				return 5*c*float64(1+i%2) + math.Sin(float64(f))
			}},
			{"/umap/knn_indices", []int{plotSY * plotSX, 5}, func(i int) float64 { return float64(i % 7) }},
		}, []string{"umap_embedding.png", "umap_scan_colours.png"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			file, dir := filepath.Join(tmp, "out.h5"), filepath.Join(tmp, "pictures")
			plotWriteResult(t, file, nav, sig, tc.ds...)
			out, err := runRanks(t, 2, "plot", file, "-o", dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range tc.want {
				if !strings.Contains(out, filepath.Join(dir, name)) {
					t.Errorf("output does not list %s:\n%s", name, out)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(names, want) {
				t.Fatalf("directory holds %v, want %v", names, want)
			}
			sizes := plotSizes(t, file)
			for _, name := range tc.want {
				img := plotDecode(t, filepath.Join(dir, name))
				if got, want := img.Bounds().Size(), sizes[name]; got != want {
					t.Errorf("%s: %v pixels, want %v", name, got, want)
				}
				plotNotBlank(t, name, img)
			}
		})
	}
}

// plotSizes returns the pixel size of every picture of file, as picture.Plan lays it
// out (the sizes themselves are tested in package picture).
func plotSizes(t *testing.T, file string) map[string]image.Point {
	t.Helper()
	f, err := h5.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	figs, err := picture.Plan(h5Result{f}, picture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]image.Point{}
	for _, fig := range figs {
		if fig.Width < 300 || fig.Height < 250 || fig.Width > 2500 || fig.Height > 2500 {
			t.Errorf("%s: %dx%d pixels, want a sensible size", fig.Name, fig.Width, fig.Height)
		}
		sizes[fig.Name] = image.Pt(fig.Width, fig.Height)
	}
	return sizes
}

func plotDecode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// plotNotBlank fails unless img has many colours and its luminance varies.
func plotNotBlank(t *testing.T, name string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	colours := map[[3]uint32]bool{}
	var sum, sum2 float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			l := (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(bl)) / 65535
			sum += l
			sum2 += l * l
		}
	}
	n := float64(b.Dx() * b.Dy())
	if std := math.Sqrt(sum2/n - (sum/n)*(sum/n)); len(colours) < 30 || std < 0.05 {
		t.Errorf("%s looks blank: %d colours, luminance std %.3f", name, len(colours), std)
	}
}

func TestPlotErrors(t *testing.T) {
	tmp := t.TempDir()
	result := filepath.Join(tmp, "out.h5")
	plotWriteResult(t, result, []int{4, 4}, []int{4, 4}, plotDataset{"/virtual/bf", []int{4, 4}, func(i int) float64 { return float64(i) }})
	foreign := filepath.Join(tmp, "foreign.h5")
	w, err := h5.Create(foreign)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteFloat64("/data", make([]float64, 16), 4, 4)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(tmp, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing file", []string{"plot", filepath.Join(tmp, "nope.h5"), "-o", filepath.Join(tmp, "p1")}, spmd.ExitInput, "nope.h5"},
		{"not HDF5", []string{"plot", notDir, "-o", filepath.Join(tmp, "p2")}, spmd.ExitInput, "file"},
		{"not a result", []string{"plot", foreign, "-o", filepath.Join(tmp, "p3")}, spmd.ExitInput, "not a stemreduce result file"},
		{"unwritable directory", []string{"plot", result, "-o", filepath.Join(notDir, "sub")}, spmd.ExitFailure, "picture directory"},
		{"no -o", []string{"plot", result}, spmd.ExitUsage, "-o is required"},
		{"--png", []string{"plot", result, "-o", filepath.Join(tmp, "p4"), "--png", tmp}, spmd.ExitUsage, "--png"},
		{"two files", []string{"plot", result, result, "-o", filepath.Join(tmp, "p5")}, spmd.ExitUsage, "one argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runRanks(t, 2, tc.args...)
			if code := spmd.Code(err); code != tc.code || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got exit %d, %v; want exit %d and a message with %q", code, err, tc.code, tc.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message is not one line: %q", err)
			}
		})
	}
	// No directory was made by a failed plot, and none holds a picture.
	for _, d := range []string{"p1", "p2", "p3", "p4", "p5"} {
		if entries, _ := os.ReadDir(filepath.Join(tmp, d)); len(entries) > 0 {
			t.Errorf("%s holds %d files after a failed plot", d, len(entries))
		}
	}
}

// TestPNGFlag runs commands with --png: the pictures of the result file appear beside
// it; an unwritable --png directory fails before any work and leaves no result file.
func TestPNGFlag(t *testing.T) {
	tmp := t.TempDir()
	out, dir := filepath.Join(tmp, "x.h5"), filepath.Join(tmp, "png")
	stdout, err := runRanks(t, 2, "udf", "synth:scan=12x16,det=16x16", "--run", "stats,com,virtual", "--mask", "bf=disk:8,8,3", "-o", out, "--png", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"stats_mean.png", "stats_frame_sum.png", "com_field.png", "com_curl.png", "virtual_bf.png"} {
		p := filepath.Join(dir, name)
		plotNotBlank(t, name, plotDecode(t, p))
		if !strings.Contains(stdout, p) {
			t.Errorf("output does not list %s:\n%s", p, stdout)
		}
	}

	notDir := filepath.Join(tmp, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	out2 := filepath.Join(tmp, "y.h5")
	_, err = runRanks(t, 1, "stats", "synth:scan=4x4,det=8x8", "-o", out2, "--png", filepath.Join(notDir, "png"))
	if code := spmd.Code(err); code != spmd.ExitFailure || !strings.Contains(err.Error(), "picture directory") {
		t.Fatalf("got exit %d, %v; want exit 1 naming the picture directory", code, err)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("result file exists after a failed --png check: %v", err)
	}
	if _, err := os.Stat(out2 + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary result file left behind: %v", err)
	}
}
