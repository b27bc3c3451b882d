package picture

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// axes names the axes of an image.
type axes struct{ y, x string }

var (
	scanAxes     = axes{"scan y (px)", "scan x (px)"}
	detectorAxes = axes{"detector y (px)", "detector x (px)"}
)

// sign says which colour map an array gets.
type sign int

const (
	autoSign sign = iota // diverging when the values have both signs (isSigned)
	signed               // always diverging, symmetric around zero
	unsigned             // always viridis
)

func (s sign) of(z []float64) bool {
	switch s {
	case signed:
		return true
	case unsigned:
		return false
	}
	return isSigned(z)
}

// imageShape returns the shape of an array shown as one image or curve: 2-D, or 1-D (a
// scan stored as a list of frames); ok is false for anything else.
func imageShape(dims []int) ([]int, bool) {
	if (len(dims) != 1 && len(dims) != 2) || product(dims) == 0 {
		return nil, false
	}
	return dims, true
}

// mapFigure adds the picture of dataset d as one image with a colour bar. With logOK, a
// one-signed array spanning many decades (wantLog) is shown as log10.
func (p *planner) mapFigure(name, caption string, d Dataset, ax axes, s sign, logOK bool) bool {
	shape, ok := imageShape(d.Dims)
	if !ok {
		return false
	}
	w, h := viewSize(shape, p.o.Size, bigFonts)
	p.add(name, w, h, []string{d.Path}, func(c draw.Canvas) error {
		z, _, err := p.read(d.Path)
		if err != nil {
			return err
		}
		title := d.Path
		if caption != "" {
			title += ": " + caption
		}
		sg := s.of(z)
		if logOK && !sg && wantLog(z) {
			z = log10Of(z)
			title += " (log10)"
		}
		drawView(c, view{title: title, ylabel: ax.y, xlabel: ax.x, shape: shape, z: z, signed: sg}, bigFonts)
		return nil
	})
	return true
}

// gridFigure adds a grid of the first MaxMaps maps of a stack: (k, rows, cols) with
// componentFirst, (rows, cols, k) otherwise (also (k, n) and (n, k) for 1-D scans). The
// tiles are titled tile 1, tile 2, ..., followed by the percentage in the dataset ratio
// (of k values) when it is not "".
func (p *planner) gridFigure(name, caption, tile string, d Dataset, componentFirst bool, ax axes, s sign, ratio string) bool {
	if len(d.Dims) < 2 {
		return false
	}
	var k int
	var shape []int
	if componentFirst {
		k, shape = d.Dims[0], d.Dims[1:]
	} else {
		k, shape = d.Dims[len(d.Dims)-1], d.Dims[:len(d.Dims)-1]
	}
	if _, ok := imageShape(shape); !ok || k == 0 {
		return false
	}
	n := min(k, p.o.MaxMaps)
	w, h := gridSize(n, shape, p.o.Size)
	uses := []string{d.Path}
	if r, ok := p.get(ratio); !ok || !slices.Equal(r.Dims, []int{k}) {
		ratio = ""
	} else {
		uses = append(uses, ratio)
	}
	p.add(name, w, h, uses, func(c draw.Canvas) error {
		z, _, err := p.read(d.Path)
		if err != nil {
			return err
		}
		var pct []float64
		if ratio != "" {
			if pct, _, err = p.read(ratio); err != nil {
				return err
			}
		}
		m := product(shape)
		vs := make([]view, n)
		for j := range vs {
			zj := make([]float64, m)
			if componentFirst {
				copy(zj, z[j*m:(j+1)*m])
			} else {
				for i := range zj {
					zj[i] = z[i*k+j]
				}
			}
			title := fmt.Sprintf("%s %d", tile, j+1)
			if pct != nil {
				title += fmt.Sprintf(" (%.2g%%)", 100*pct[j])
			}
			vs[j] = view{title: title, ylabel: ax.y, xlabel: ax.x, shape: shape, z: zj, signed: s.of(zj)}
		}
		title := fmt.Sprintf("%s: %s", d.Path, caption)
		if n < k {
			title += fmt.Sprintf(", first %d of %d", n, k)
		}
		drawGrid(c, title, vs)
		return nil
	})
	return true
}

// stats: the mean, standard deviation and maximum detector images and the frame totals.
// sum, var, var_sample, min and m2 (a merge buffer) repeat what those show and are left
// out.
func (p *planner) stats() {
	captions := map[string]string{"mean": "mean diffraction pattern", "std": "standard deviation per pixel", "max": "maximum per pixel"}
	for _, n := range []string{"mean", "std", "max"} {
		if d, ok := p.get("/stats/" + n); ok {
			p.mapFigure("stats_"+n, captions[n], d, detectorAxes, unsigned, true)
		}
	}
	if d, ok := p.get("/stats/frame_sum"); ok {
		p.mapFigure("stats_frame_sum", "total intensity per frame", d, scanAxes, unsigned, false)
	}
	p.claim("/stats/sum", "/stats/var", "/stats/var_sample", "/stats/min", "/stats/m2")
}

// virtual: every virtual detector image.
func (p *planner) virtual() {
	for _, path := range p.paths {
		if name, ok := strings.CutPrefix(path, "/virtual/"); ok && !strings.Contains(name, "/") {
			p.mapFigure("virtual_"+fileName(name), "virtual detector image", p.ds[path], scanAxes, autoSign, false)
		}
	}
}

// com: the DPC maps, signed ones with the diverging map, and the field as a colour
// wheel. /com/y and /com/x repeat field_y and field_x (shifted by the centre) and are
// left out.
func (p *planner) com() {
	maps := []struct {
		name, caption string
		s             sign
	}{
		{"field_y", "shift of the centre of mass along y", signed},
		{"field_x", "shift of the centre of mass along x", signed},
		{"magnitude", "|shift|", unsigned},
		{"divergence", "divergence of the shift field", signed},
		{"curl", "curl of the shift field", signed},
	}
	for _, m := range maps {
		if d, ok := p.get("/com/" + m.name); ok {
			p.mapFigure("com_"+m.name, m.caption, d, scanAxes, m.s, false)
		}
	}
	fy, oky := p.get("/com/field_y")
	fx, okx := p.get("/com/field_x")
	if oky && okx && len(fy.Dims) == 2 && slices.Equal(fy.Dims, fx.Dims) && product(fy.Dims) > 0 {
		p.fieldFigure(fy, fx)
	}
	p.claim("/com/y", "/com/x")
}

// keyWidth is the width in pixels of the key column of a composite picture.
func keyWidth(size int) int { return size/2 + 40 }

// fieldFigure adds com_field: the shift field as colours, hue = direction and
// brightness = magnitude, with the colour wheel beside it.
func (p *planner) fieldFigure(fy, fx Dataset) {
	rows, cols := fy.Dims[0], fy.Dims[1]
	iw, ih := imageBox(rows, cols, p.o.Size)
	kw := keyWidth(p.o.Size) / 2
	w, h := iw+bigFonts.left+kw+20, max(ih, kw+60)+bigFonts.top+bigFonts.bottom
	p.add("com_field", w, h, []string{fy.Path, fx.Path}, func(c draw.Canvas) error {
		y, _, err := p.read(fy.Path)
		if err != nil {
			return err
		}
		x, _, err := p.read(fx.Path)
		if err != nil {
			return err
		}
		mag := make([]float64, len(y))
		for i := range y {
			mag[i] = math.Hypot(y[i], x[i])
		}
		_, rmax, _ := contrast(mag, true)
		img := image.NewNRGBA(image.Rect(0, 0, cols, rows))
		for i := range y {
			img.Set(i%cols, i/cols, wheel(y[i], x[i], rmax))
		}
		main := draw.Crop(c, 0, -px(float64(kw+20)), 0, 0)
		da := drawRGB(main, fmt.Sprintf("/com/field_y, field_x: shift field, |F| saturated at %.3g px", rmax), scanAxes.y, scanAxes.x, img, bigFonts)
		key := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: da.Max.X + px(12), Y: da.Center().Y - px(float64(kw)/2) - px(12)},
			Max: vg.Point{X: da.Max.X + px(12+float64(kw)), Y: da.Center().Y + px(float64(kw)/2) + px(12)},
		}}
		wheelKey(key, smallFonts)
		return nil
	})
}

// pca: the scree plot and the grids of factors (components) and loadings (scores).
func (p *planner) pca() {
	if d, ok := p.get("/pca/explained_variance_ratio"); ok && len(d.Dims) == 1 && d.Dims[0] > 0 {
		w, h := screeSize(p.o.Size)
		p.add("pca_scree", w, h, []string{d.Path}, func(c draw.Canvas) error {
			z, _, err := p.read(d.Path)
			if err != nil {
				return err
			}
			drawScree(c, "/pca/explained_variance_ratio", z)
			return nil
		})
	}
	if d, ok := p.get("/pca/components"); ok {
		p.gridFigure("pca_factors", "factors (principal components, detector images)", "PC", d, true, detectorAxes, signed, "/pca/explained_variance_ratio")
	}
	if d, ok := p.get("/pca/scores"); ok {
		p.gridFigure("pca_loadings", "loadings (scores, scan maps)", "PC", d, false, scanAxes, signed, "/pca/explained_variance_ratio")
	}
	p.claim("/pca/singular_values", "/pca/explained_variance", "/pca/noise_variance")
}

// ica: the grids of independent components (detector images) and source maps.
func (p *planner) ica() {
	if d, ok := p.get("/ica/factors"); ok {
		p.gridFigure("ica_factors", "independent components (detector images)", "IC", d, true, detectorAxes, signed, "")
	}
	if d, ok := p.get("/ica/sources"); ok {
		p.gridFigure("ica_sources", "sources (scan maps)", "IC", d, false, scanAxes, signed, "")
	}
	p.claim("/ica/unmixing", "/ica/mixing", "/ica/whitening")
}

// umap: the embedding scattered, and the embedding mapped back onto the scan as colours.
func (p *planner) umap() {
	p.claim("/umap/knn_indices", "/umap/knn_dists")
	d, ok := p.get("/umap/embedding")
	if !ok || len(d.Dims) < 2 || d.Dims[len(d.Dims)-1] < 2 {
		return
	}
	nav := d.Dims[:len(d.Dims)-1]
	if _, ok := imageShape(nav); !ok {
		return
	}
	var labels *Dataset
	for _, path := range []string{"/umap/labels", "/kmeans/labels"} {
		if l, ok := p.get(path); ok && product(l.Dims) == product(nav) {
			labels = &l
			break
		}
	}
	s := p.o.Size
	kw := keyWidth(s)
	w, h := s+bigFonts.left+40+kw, s+bigFonts.top+bigFonts.bottom
	uses := []string{d.Path}
	if labels != nil {
		uses = append(uses, labels.Path)
	}
	p.add("umap_embedding", w, h, uses, func(c draw.Canvas) error {
		e, _, err := p.read(d.Path)
		if err != nil {
			return err
		}
		var cols []color.Color // colour of every frame
		var key *image.NRGBA
		var what, keyTitle string
		if labels != nil {
			l, _, err := p.read(labels.Path)
			if err != nil {
				return err
			}
			cols = labelColors(l)
			what, keyTitle = "colour = "+labels.Path, "labels on the scan"
		} else {
			cols = positionColors(nav)
			what, keyTitle = "colour = scan position", "scan position key"
		}
		key = scanImage(nav, cols)
		sc, note := embeddingScatter(e, d.Dims[len(d.Dims)-1], cols, p.o.MaxPoints)
		main := draw.Crop(c, 0, -px(float64(kw)), 0, 0)
		drawScatter(main, fmt.Sprintf("/umap/embedding: %s%s", what, note), "UMAP 1", "UMAP 2", sc, bigFonts)
		keyC := draw.Crop(c, main.Max.X-c.Min.X, 0, 0, 0)
		keyC.Min.Y = c.Center().Y - px(float64(kw)/2)
		keyC.Max.Y = c.Center().Y + px(float64(kw)/2)
		ax := navAxes(nav)
		drawRGB(keyC, keyTitle, ax.y, ax.x, key, smallFonts)
		return nil
	})
	iw, ih := imageBox(shape2(nav)[0], shape2(nav)[1], s)
	w, h = iw+bigFonts.left+40+kw, max(ih, kw)+bigFonts.top+bigFonts.bottom
	p.add("umap_scan_colours", w, h, []string{d.Path}, func(c draw.Canvas) error {
		e, _, err := p.read(d.Path)
		if err != nil {
			return err
		}
		dim := d.Dims[len(d.Dims)-1]
		cols := embeddingColors(e, dim)
		main := draw.Crop(c, 0, -px(float64(kw)), 0, 0)
		ax := navAxes(nav)
		da := drawRGB(main, "/umap/embedding mapped onto the scan (2-D colour map)", ax.y, ax.x, scanImage(nav, cols), bigFonts)
		sc, _ := embeddingScatter(e, dim, cols, p.o.MaxPoints)
		keyC := draw.Crop(c, main.Max.X-c.Min.X, 0, 0, 0)
		keyC.Min.Y = da.Center().Y - px(float64(kw)/2)
		keyC.Max.Y = da.Center().Y + px(float64(kw)/2)
		drawScatter(keyC, "colour key: the embedding", "UMAP 1", "UMAP 2", sc, smallFonts)
		return nil
	})
}

// navAxes returns the axes of an image of the scan nav: a 1-D scan is a row of frames.
func navAxes(nav []int) axes {
	if len(nav) == 1 {
		return axes{"", "frame"}
	}
	return scanAxes
}

// shape2 returns nav as an image shape: (rows, cols), a 1-D scan as one row.
func shape2(nav []int) []int {
	if len(nav) == 1 {
		return []int{1, nav[0]}
	}
	return nav
}

// scanImage returns the colours of the frames as an image of the scan.
func scanImage(nav []int, cols []color.Color) *image.NRGBA {
	s := shape2(nav)
	img := image.NewNRGBA(image.Rect(0, 0, s[1], s[0]))
	for i, c := range cols {
		img.Set(i%s[1], i/s[1], c)
	}
	return img
}

// positionColors colours every frame by its scan position with the 2-D colour map
// (x across, y up the map, so the top-left corner is green), or, for a 1-D scan, by its
// index with viridis.
func positionColors(nav []int) []color.Color {
	n := product(nav)
	cols := make([]color.Color, n)
	if len(nav) == 1 {
		for i := range cols {
			cols[i] = viridisAt(float64(i)/math.Max(1, float64(n-1)), 1)
		}
		return cols
	}
	sy, sx := nav[0], nav[1]
	for i := range cols {
		y, x := i/sx, i%sx
		cols[i] = bivariate(float64(x)/math.Max(1, float64(sx-1)), 1-float64(y)/math.Max(1, float64(sy-1)))
	}
	return cols
}

// embeddingColors colours every frame by its position in the embedding (the first two
// of dim coordinates), each coordinate scaled to its 1st-99th percentile range, with
// the 2-D colour map; NaN gives grey.
func embeddingColors(e []float64, dim int) []color.Color {
	n := len(e) / dim
	var lo, hi [2]float64
	for a := range 2 {
		c := make([]float64, n)
		for i := range c {
			c[i] = e[i*dim+a]
		}
		lo[a], hi[a], _ = contrast(c, false)
	}
	cols := make([]color.Color, n)
	for i := range cols {
		u := (e[i*dim] - lo[0]) / (hi[0] - lo[0])
		v := (e[i*dim+1] - lo[1]) / (hi[1] - lo[1])
		cols[i] = bivariate(u, v)
	}
	return cols
}

// labelColors colours every frame by its label with categorical colours; NaN and
// negative labels (noise) are grey.
func labelColors(l []float64) []color.Color {
	var uniq []float64
	for _, v := range l {
		if v >= 0 {
			uniq = append(uniq, v)
		}
	}
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	pal := categorical(len(uniq))
	cols := make([]color.Color, len(l))
	for i, v := range l {
		cols[i] = nanGrey
		if j, ok := slices.BinarySearch(uniq, v); ok && v >= 0 {
			cols[i] = pal[j]
		}
	}
	return cols
}

// embeddingScatter returns the points of the embedding with finite coordinates, at most
// maxPoints of them (every k-th frame), in a fixed pseudo-random order so that no part
// of the scan is always drawn on top; note says what was left out.
func embeddingScatter(e []float64, dim int, cols []color.Color, maxPoints int) (scatter, string) {
	n := len(e) / dim
	stride := max(1, (n+maxPoints-1)/maxPoints)
	var idx []int
	for i := 0; i < n; i += stride {
		x, y := e[i*dim], e[i*dim+1]
		if !math.IsNaN(x) && !math.IsNaN(y) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			idx = append(idx, i)
		}
	}
	m := len(idx)
	step := 7919 // a prime: j*step mod m visits every index once unless m is a multiple
	for m > 0 && m%step == 0 {
		step += 2
	}
	var s scatter
	for j := range m {
		i := idx[(j*step)%m]
		s.x = append(s.x, e[i*dim])
		s.y = append(s.y, e[i*dim+1])
		s.colors = append(s.colors, cols[i])
	}
	note := fmt.Sprintf(", %d points", m)
	if stride > 1 {
		note = fmt.Sprintf(", every %d-th of %d points", stride, n)
	}
	return s, note
}

// others: every dataset not shown yet that has the scan or detector shape of the input
// (one image), or that shape with one more axis (a grid, as for PCA).
func (p *planner) others() {
	for _, path := range p.paths {
		if p.claimed[path] {
			continue
		}
		d := p.ds[path]
		name := fileName(path)
		switch {
		case p.nav != nil && slices.Equal(d.Dims, p.nav):
			p.mapFigure(name, "", d, scanAxes, autoSign, false)
		case p.sig != nil && slices.Equal(d.Dims, p.sig):
			p.mapFigure(name, "", d, detectorAxes, autoSign, true)
		case p.nav != nil && len(d.Dims) == len(p.nav)+1 && slices.Equal(d.Dims[:len(p.nav)], p.nav):
			p.gridFigure(name, "maps", "map", d, false, scanAxes, autoSign, "")
		case p.sig != nil && len(d.Dims) == len(p.sig)+1 && slices.Equal(d.Dims[1:], p.sig):
			p.gridFigure(name, "detector images", "image", d, true, detectorAxes, autoSign, "")
		}
	}
}
