package picture_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/picture"
)

var keep = flag.String("keep", "", "copy the pictures of TestGroups into this `directory` to look at them")

// array is one dataset of a fake result file.
type array struct {
	dims []int
	z    []float64
}

// fakeFile is an in-memory result file.
type fakeFile struct {
	attrs map[string]any
	data  map[string]array
	fail  string // ReadFloat64 of this path fails
}

func (f *fakeFile) Datasets() ([]picture.Dataset, error) {
	var out []picture.Dataset
	for p, a := range f.data {
		out = append(out, picture.Dataset{Path: p, Dims: a.dims, Dtype: "float64"})
	}
	slices.SortFunc(out, func(a, b picture.Dataset) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (f *fakeFile) ReadFloat64(path string) ([]float64, []int, error) {
	a, ok := f.data[path]
	if !ok || path == f.fail {
		return nil, nil, fmt.Errorf("no dataset %q", path)
	}
	return slices.Clone(a.z), slices.Clone(a.dims), nil
}

func (f *fakeFile) Attr(obj, name string) (any, error) {
	if v, ok := f.attrs[name]; ok && obj == "/" {
		return v, nil
	}
	return nil, fmt.Errorf("no attribute %q", name)
}

// result returns a fake stemreduce result of scan nav and detector sig with the datasets
// made by the given layouts.
func result(nav, sig []int, layouts ...func(g *gen)) *fakeFile {
	g := &gen{nav: nav, sig: sig, rnd: rand.New(rand.NewPCG(1, 1)), data: map[string]array{}}
	for _, l := range layouts {
		l(g)
	}
	toInt64 := func(d []int) []int64 {
		out := make([]int64, len(d))
		for i, v := range d {
			out[i] = int64(v)
		}
		return out
	}
	return &fakeFile{
		attrs: map[string]any{"program": "stemreduce", "input_nav_shape": toInt64(nav), "input_sig_shape": toInt64(sig)},
		data:  g.data,
	}
}

// gen makes synthetic arrays with structure a picture should show.
type gen struct {
	nav, sig []int
	rnd      *rand.Rand
	data     map[string]array
}

func (g *gen) n() int { return prod(g.nav) }
func (g *gen) d() int { return prod(g.sig) }

func prod(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}

// scanMap returns a smooth map over the scan with noise; phase shifts it.
func (g *gen) scanMap(phase float64) []float64 {
	z := make([]float64, g.n())
	cols := g.nav[len(g.nav)-1]
	for i := range z {
		y, x := float64(i/cols), float64(i%cols)
		z[i] = math.Sin(x/5+phase) + math.Cos(y/4-phase) + 0.1*g.rnd.NormFloat64()
	}
	return z
}

// pattern returns a diffraction-like pattern: a bright central disk and spots.
func (g *gen) pattern(spot float64) []float64 {
	dy, dx := g.sig[0], g.sig[1]
	z := make([]float64, g.d())
	for i := range z {
		y, x := float64(i/dx)-float64(dy)/2, float64(i%dx)-float64(dx)/2
		r := math.Hypot(y, x)
		z[i] = 0.01 + 0.05*g.rnd.Float64()
		if r < 4 {
			z[i] += 1000
		}
		z[i] += 20 * math.Exp(-(math.Pow(y-spot, 2)+math.Pow(x-spot/2, 2))/4)
	}
	return z
}

func (g *gen) put(path string, z []float64, dims ...int) { g.data[path] = array{dims: dims, z: z} }

func (g *gen) navDims(extra ...int) []int { return append(slices.Clone(g.nav), extra...) }

func stats(g *gen) {
	for i, n := range []string{"mean", "std", "max", "sum", "var", "var_sample", "min"} {
		g.put("/stats/"+n, g.pattern(float64(i)), g.sig...)
	}
	fs := g.scanMap(0)
	for i := range fs {
		fs[i] = 1000 + 100*fs[i]
	}
	g.put("/stats/frame_sum", fs, g.nav...)
}

func virtual(g *gen) {
	g.put("/virtual/bf", g.scanMap(0), g.nav...)
	g.put("/virtual/adf", g.scanMap(1), g.nav...)
}

func com(g *gen) {
	fy, fx := g.scanMap(0), g.scanMap(2)
	mag := make([]float64, len(fy))
	for i := range mag {
		mag[i] = math.Hypot(fy[i], fx[i])
	}
	fy[3] = math.NaN() // a scan position outside the ROI
	for _, n := range []string{"y", "x", "total"} {
		g.put("/com/"+n, g.scanMap(3), g.nav...)
	}
	g.put("/com/field_y", fy, g.nav...)
	g.put("/com/field_x", fx, g.nav...)
	g.put("/com/magnitude", mag, g.nav...)
	g.put("/com/divergence", g.scanMap(4), g.nav...)
	g.put("/com/curl", g.scanMap(5), g.nav...)
}

func stack(g *gen, k int, navFirst bool) []float64 {
	var z []float64
	if navFirst {
		z = make([]float64, g.n()*k)
		for j := range k {
			m := g.scanMap(float64(j))
			for i := range m {
				z[i*k+j] = m[i]
			}
		}
		return z
	}
	for j := range k {
		p := g.pattern(float64(j))
		for i := range p {
			p[i] = p[i]/100 - 0.5*float64(j%2)
		}
		z = append(z, p...)
	}
	return z
}

func pcaLayout(k int) func(g *gen) {
	return func(g *gen) {
		g.put("/pca/components", stack(g, k, false), append([]int{k}, g.sig...)...)
		g.put("/pca/scores", stack(g, k, true), g.navDims(k)...)
		r := make([]float64, k)
		for j := range r {
			r[j] = 0.5 * math.Pow(0.5, float64(j))
		}
		g.put("/pca/explained_variance_ratio", r, k)
		g.put("/pca/explained_variance", r, k)
		g.put("/pca/singular_values", r, k)
		g.put("/pca/mean", g.pattern(0), g.sig...)
	}
}

func ica(g *gen) {
	const k = 4
	g.put("/ica/sources", stack(g, k, true), g.navDims(k)...)
	g.put("/ica/factors", stack(g, k, false), append([]int{k}, g.sig...)...)
	g.put("/ica/unmixing", make([]float64, k*k), k, k)
}

// umap makes an embedding of three clusters, one per third of the scan.
func umapLayout(labels bool) func(g *gen) {
	return func(g *gen) {
		n := g.n()
		e := make([]float64, 2*n)
		l := make([]float64, n)
		centres := [][2]float64{{-5, 0}, {5, 3}, {0, 8}}
		for i := range n {
			c := 3 * i / n
			l[i] = float64(c)
			e[2*i] = centres[c][0] + g.rnd.NormFloat64()
			e[2*i+1] = centres[c][1] + g.rnd.NormFloat64()
		}
		e[10], e[11] = math.NaN(), math.NaN()
		g.put("/umap/embedding", e, g.navDims(2)...)
		g.put("/umap/knn_indices", make([]float64, n*5), n, 5)
		if labels {
			g.put("/umap/labels", l, g.nav...)
		}
	}
}

func others(g *gen) {
	g.put("/brightest/value", g.scanMap(0), g.nav...)
	g.put("/brightest/position", stack(g, 2, true), g.navDims(2)...)
	g.put("/brightest/hits", g.pattern(1), g.sig...)
	g.put("/brightest/count", []float64{1}, 1)
}

func TestGroups(t *testing.T) {
	nav, sig := []int{24, 32}, []int{32, 32}
	for _, tc := range []struct {
		name string
		f    *fakeFile
		want []string
	}{
		{"stats", result(nav, sig, stats), []string{"stats_mean.png", "stats_std.png", "stats_max.png", "stats_frame_sum.png"}},
		{"virtual", result(nav, sig, virtual), []string{"virtual_adf.png", "virtual_bf.png"}},
		{"com", result(nav, sig, com), []string{"com_field_y.png", "com_field_x.png", "com_magnitude.png", "com_divergence.png", "com_curl.png", "com_field.png", "com_total.png"}},
		{"pca", result(nav, sig, pcaLayout(20)), []string{"pca_scree.png", "pca_factors.png", "pca_loadings.png", "pca_mean.png"}},
		{"ica", result(nav, sig, ica), []string{"ica_factors.png", "ica_sources.png"}},
		{"umap", result(nav, sig, umapLayout(false)), []string{"umap_embedding.png", "umap_scan_colours.png"}},
		{"umap labels", result(nav, sig, umapLayout(true)), []string{"umap_embedding.png", "umap_scan_colours.png"}},
		{"others", result(nav, sig, others), []string{"brightest_hits.png", "brightest_position.png", "brightest_value.png"}},
		{"1-D scan", result([]int{300}, sig, stats, pcaLayout(3), umapLayout(false)), []string{
			"stats_mean.png", "stats_std.png", "stats_max.png", "stats_frame_sum.png",
			"pca_scree.png", "pca_factors.png", "pca_loadings.png", "umap_embedding.png", "umap_scan_colours.png", "pca_mean.png"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := picture.Options{Size: 320} // small, to keep the test fast
			if tc.name == "stats" {
				o = picture.Options{} // the default size
			}
			figs, err := picture.Plan(tc.f, o)
			if err != nil {
				t.Fatal(err)
			}
			paths, err := picture.Write(context.Background(), dir, tc.f, o)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range paths {
				names = append(names, filepath.Base(p))
			}
			if !slices.Equal(names, tc.want) {
				t.Fatalf("wrote %v, want %v", names, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != len(tc.want) {
				t.Errorf("%d files in the directory, want %d (no temporary file left)", len(entries), len(tc.want))
			}
			for i, p := range paths {
				img := decode(t, p)
				if b := img.Bounds(); b.Dx() != figs[i].Width || b.Dy() != figs[i].Height {
					t.Errorf("%s: %dx%d pixels, want %dx%d", names[i], b.Dx(), b.Dy(), figs[i].Width, figs[i].Height)
				}
				checkPicture(t, names[i], img)
				if *keep != "" {
					os.MkdirAll(*keep, 0o755)
					b, _ := os.ReadFile(p)
					os.WriteFile(filepath.Join(*keep, strings.ReplaceAll(tc.name, " ", "_")+"-"+names[i]), b, 0o644)
				}
			}
		})
	}
}

func decode(t *testing.T, path string) image.Image {
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

// checkPicture checks that img has a sensible size and is not blank: it has many
// colours and its luminance varies.
func checkPicture(t *testing.T, name string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() < 300 || b.Dy() < 200 || b.Dx() > 2500 || b.Dy() > 2500 {
		t.Errorf("%s: %dx%d pixels, want between 300x200 and 2500x2500", name, b.Dx(), b.Dy())
	}
	colours := map[[3]uint32]bool{}
	var sum, sum2 float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			l := 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(bl)
			sum += l
			sum2 += l * l
		}
	}
	n := float64(b.Dx() * b.Dy())
	std := math.Sqrt(sum2/n-(sum/n)*(sum/n)) / 65535
	if len(colours) < 30 || std < 0.05 {
		t.Errorf("%s looks blank: %d colours, luminance std %.3f", name, len(colours), std)
	}
}

// TestSize checks the documented size of a single image (docs/pictures.md): the image
// area has Size pixels on its long side, plus 160 pixels across (axis, colour bar) and
// 90 down (title, axis).
func TestSize(t *testing.T) {
	f := result([]int{24, 32}, []int{32, 32}, stats)
	for _, tc := range []struct {
		size, w, h int
	}{
		{512, 672, 602}, // mean: 32x32 detector
		{256, 416, 346},
	} {
		figs, err := picture.Plan(f, picture.Options{Size: tc.size})
		if err != nil {
			t.Fatal(err)
		}
		if figs[0].Name != "stats_mean.png" || figs[0].Width != tc.w || figs[0].Height != tc.h {
			t.Errorf("size %d: %s is %dx%d, want stats_mean.png %dx%d", tc.size, figs[0].Name, figs[0].Width, figs[0].Height, tc.w, tc.h)
		}
		img, err := figs[0].Render()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("size %d: rendered %v", tc.size, b)
		}
	}
}

// TestNaNGrey checks that NaN shows as the neutral grey (128, 128, 128).
func TestNaNGrey(t *testing.T) {
	f := result([]int{16, 16}, []int{8, 8}, virtual)
	z := f.data["/virtual/bf"].z
	for i := range 16 * 4 {
		z[i] = math.NaN() // the top four rows
	}
	figs, err := picture.Plan(f, picture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := figs[1].Render() // virtual_bf
	if err != nil {
		t.Fatal(err)
	}
	grey := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 == 128 && g>>8 == 128 && bl>>8 == 128 {
				grey++
			}
		}
	}
	// A quarter of a 512x512 image area.
	if grey < 50000 {
		t.Errorf("%d grey pixels, want about 65000", grey)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("not a result", func(t *testing.T) {
		f := result([]int{8, 8}, []int{8, 8}, stats)
		delete(f.attrs, "program")
		_, err := picture.Write(ctx, t.TempDir(), f, picture.Options{})
		var ie *picture.InputError
		if !errors.Is(err, picture.ErrNotResult) || !errors.As(err, &ie) {
			t.Errorf("got %v, want ErrNotResult as an InputError", err)
		}
	})
	t.Run("read fails", func(t *testing.T) {
		f := result([]int{8, 8}, []int{8, 8}, stats, pcaLayout(3))
		f.fail = "/pca/scores" // after several pictures were drawn
		dir := t.TempDir()
		_, err := picture.Write(ctx, dir, f, picture.Options{})
		var ie *picture.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "/pca/scores") {
			t.Errorf("got %v, want an InputError naming /pca/scores", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%d files left in the directory, want none", len(entries))
		}
	})
	t.Run("unwritable directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		_, err := picture.Write(ctx, filepath.Join(file, "pictures"), result([]int{8, 8}, []int{8, 8}, stats), picture.Options{})
		var ie *picture.InputError
		if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "picture directory") {
			t.Errorf("got %v, want an error about the picture directory", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		dir := t.TempDir()
		_, err := picture.Write(cctx, dir, result([]int{8, 8}, []int{8, 8}, stats), picture.Options{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%d files left in the directory, want none", len(entries))
		}
	})
	t.Run("nothing to draw", func(t *testing.T) {
		f := result([]int{8, 8}, []int{8, 8})
		f.data["/x/scalar"] = array{dims: []int{1}, z: []float64{1}}
		paths, err := picture.Write(ctx, t.TempDir(), f, picture.Options{})
		if err != nil || len(paths) != 0 {
			t.Errorf("got %v, %v; want no picture and no error", paths, err)
		}
	})
}

// TestConstant checks that constant and all-NaN arrays still render.
func TestConstant(t *testing.T) {
	f := result([]int{8, 8}, []int{8, 8})
	f.data["/virtual/const"] = array{dims: []int{8, 8}, z: make([]float64, 64)}
	nan := make([]float64, 64)
	for i := range nan {
		nan[i] = math.NaN()
	}
	f.data["/virtual/nan"] = array{dims: []int{8, 8}, z: nan}
	f.data["/pca/explained_variance_ratio"] = array{dims: []int{3}, z: []float64{0, 0, 0}}
	figs, err := picture.Plan(f, picture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 3 {
		t.Fatalf("%d figures, want 3", len(figs))
	}
	for _, fig := range figs {
		if _, err := fig.Render(); err != nil {
			t.Errorf("%s: %v", fig.Name, err)
		}
	}
}
