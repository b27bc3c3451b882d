package picture

import (
	"image"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the resolution of every canvas: one pixel is 0.75 pt.
const dpi = 96

// px converts pixels to a vg length.
func px(n float64) vg.Length { return vg.Length(n * 72 / dpi) }

// dots converts a vg length to pixels.
func dots(l vg.Length) float64 { return float64(l) * dpi / 72 }

// sans is the typeface of every text: Liberation Sans, embedded in gonum/plot.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newCanvas returns a white w×h pixel image canvas and a draw.Canvas over all of it.
func newCanvas(w, h int) (*vgimg.Canvas, draw.Canvas) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	c := vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(dpi))
	return c, draw.New(c)
}

// fonts are the text sizes of one panel, in points, and the margins, in pixels, that its
// title, axes and colour bar take around the image.
type fonts struct {
	title, label, tick       vg.Length
	left, right, top, bottom int
}

var (
	bigFonts   = fonts{title: 13, label: 11, tick: 9.5, left: 78, right: 82, top: 34, bottom: 56}
	smallFonts = fonts{title: 10, label: 8.5, tick: 7.5, left: 52, right: 66, top: 24, bottom: 40}
)

func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sans, size),
		XAlign:  draw.XCenter,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot whose texts use sans at the sizes of f.
func newPlot(f fonts) *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font = font.From(sans, f.title)
	p.Title.Padding = px(4)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, f.label)
		a.Tick.Label.Font = font.From(sans, f.tick)
		a.Tick.Marker = tidyTicks{}
	}
	return p
}

// tidyTicks is plot.DefaultTicks with trailing zeros trimmed from the labels: "7.5", not
// "7.50".
type tidyTicks struct{}

// Ticks implements plot.Ticker.
func (tidyTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ts {
		l := t.Label
		if strings.Contains(l, ".") && !strings.ContainsAny(l, "eE") {
			l = strings.TrimRight(strings.TrimRight(l, "0"), ".")
		}
		if l == "-0" {
			l = "0"
		}
		ts[i].Label = l
	}
	return ts
}

// raster is a rows×cols array, row-major, row 0 drawn at the top.
type raster struct {
	rows, cols int
	z          []float64
}

// contrast returns the colour range of z: the 1st and 99th percentiles of its finite
// values, or, when signed, ±the 99th percentile of their magnitude, so that a few hot or
// dead pixels do not wash out the picture. The range is never empty; ok is false when z
// has no finite value.
func contrast(z []float64, signed bool) (lo, hi float64, ok bool) {
	v := finite(z, signed)
	if len(v) == 0 {
		return 0, 1, false
	}
	slices.Sort(v)
	if signed {
		hi = quantile(v, 0.99)
		if hi == 0 {
			hi = v[len(v)-1]
		}
		if hi == 0 {
			hi = 1
		}
		return -hi, hi, true
	}
	lo, hi = quantile(v, 0.01), quantile(v, 0.99)
	if lo == hi {
		lo, hi = v[0], v[len(v)-1]
	}
	if lo == hi {
		d := math.Max(math.Abs(lo)*1e-3, 1e-12)
		lo, hi = lo-d, hi+d
	}
	return lo, hi, true
}

// finite returns a new slice of the finite values of z, as magnitudes when abs.
func finite(z []float64, abs bool) []float64 {
	v := make([]float64, 0, len(z))
	for _, x := range z {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		if abs {
			x = math.Abs(x)
		}
		v = append(v, x)
	}
	return v
}

// quantile returns the q-quantile of the sorted v, interpolated linearly.
func quantile(v []float64, q float64) float64 {
	t := q * float64(len(v)-1)
	i := int(t)
	if i >= len(v)-1 {
		return v[len(v)-1]
	}
	f := t - float64(i)
	return v[i]*(1-f) + v[i+1]*f
}

// isSigned reports whether z should be shown with the diverging map: its robust range
// holds both signs and the smaller side is not negligible.
func isSigned(z []float64) bool {
	v := finite(z, false)
	if len(v) == 0 {
		return false
	}
	slices.Sort(v)
	lo, hi := quantile(v, 0.01), quantile(v, 0.99)
	return lo < 0 && hi > 0 && math.Min(-lo, hi) > 0.05*math.Max(-lo, hi)
}

// wantLog reports whether the non-negative z spans so many decades that a logarithmic
// colour scale shows it better, as diffraction patterns with a bright central disk do:
// its 99.9th percentile is more than 30 times the median of its positive values.
func wantLog(z []float64) bool {
	v := finite(z, false)
	if len(v) == 0 {
		return false
	}
	slices.Sort(v)
	if v[0] < 0 {
		return false
	}
	i, _ := slices.BinarySearch(v, math.SmallestNonzeroFloat64) // the first positive value
	if i == len(v) {
		return false
	}
	top := quantile(v, 0.999)
	med := quantile(v[i:], 0.5)
	return top > 0 && med > 0 && top/med > 30
}

// log10Of returns log10 of z; values ≤ 0 become the logarithm of the smallest positive
// value, NaN stays NaN.
func log10Of(z []float64) []float64 {
	floor := math.Inf(1)
	for _, x := range z {
		if x > 0 && x < floor {
			floor = x
		}
	}
	out := make([]float64, len(z))
	for i, x := range z {
		switch {
		case math.IsNaN(x):
			out[i] = x
		case x > 0:
			out[i] = math.Log10(x)
		default:
			out[i] = math.Log10(floor)
		}
	}
	return out
}

// heat draws a raster through a rasterized plotter.HeatMap. The raster is repeated
// f×f times (nearest neighbour) with f chosen from the size of the canvas, so that the
// image the heat map hands to the canvas is about as large as the canvas and pixels stay
// sharp. Unlike HeatMap, heat has no glyph boxes, so a plot of a large raster lays out in
// constant time.
type heat struct {
	r        raster
	min, max float64
	pal      []color.Color
}

// Plot implements plot.Plotter.
func (h *heat) Plot(c draw.Canvas, p *plot.Plot) {
	w := dots(c.Max.X - c.Min.X)
	f := max(1, int(math.Ceil(w/float64(h.r.cols))))
	if hh := dots(c.Max.Y - c.Min.Y); f*h.r.rows < int(hh) {
		f = max(f, int(math.Ceil(hh/float64(h.r.rows))))
	}
	f = min(f, max(1, 4096/max(h.r.rows, h.r.cols)))
	hm := plotter.NewHeatMap(upGrid{r: h.r, f: f}, colors(h.pal))
	hm.Min, hm.Max = h.min, h.max
	hm.Underflow, hm.Overflow = h.pal[0], h.pal[len(h.pal)-1]
	hm.NaN = nanGrey
	hm.Rasterized = true
	hm.Plot(c, p)
}

// DataRange implements plot.DataRanger: pixel centres at integer coordinates, x to the
// right, y = -row so that row 0 is at the top.
func (h *heat) DataRange() (xmin, xmax, ymin, ymax float64) {
	return imageRange(h.r.rows, h.r.cols)
}

func imageRange(rows, cols int) (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(cols) - 0.5, -(float64(rows) - 0.5), 0.5
}

// upGrid is a raster repeated f×f times as a plotter.GridXYZ, rows counted from the
// bottom as GridXYZ wants.
type upGrid struct {
	r raster
	f int
}

func (g upGrid) Dims() (c, r int) { return g.r.cols * g.f, g.r.rows * g.f }
func (g upGrid) Z(c, r int) float64 {
	row := g.r.rows - 1 - r/g.f
	return g.r.z[row*g.r.cols+c/g.f]
}
func (g upGrid) X(c int) float64 { return (float64(c)+0.5)/float64(g.f) - 0.5 }
func (g upGrid) Y(r int) float64 {
	return -((float64(g.r.rows*g.f-1-r)+0.5)/float64(g.f) - 0.5)
}

// pixelTicks marks an axis of pixel numbers: integer labels only. With flip, the data
// coordinate is -row (row 0 at the top) and the labels are the row numbers.
type pixelTicks struct{ flip bool }

// Ticks implements plot.Ticker.
func (t pixelTicks) Ticks(min, max float64) []plot.Tick {
	if t.flip {
		min, max = -max, -min
	}
	ts := intTicks{}.Ticks(min, max)
	if t.flip {
		for i := range ts {
			ts[i].Value = -ts[i].Value
		}
	}
	return ts
}

// imagePlot returns a plot set up for a rows×cols image: axes in pixels, row 0 at the
// top, no padding between image and axes.
func imagePlot(f fonts, title, ylabel, xlabel string, rows, cols int) *plot.Plot {
	p := newPlot(f)
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = pixelTicks{}
	p.Y.Tick.Marker = pixelTicks{flip: true}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = imageRange(rows, cols)
	return p
}

// fitAspect shrinks c around its centre so that the data area of p has the aspect ratio
// width/height = aspect (clamped to [1/8, 8]): square pixels for images.
func fitAspect(p *plot.Plot, c draw.Canvas, aspect float64) draw.Canvas {
	aspect = math.Min(8, math.Max(1.0/8, aspect))
	da := p.DataCanvas(c)
	w, h := da.Max.X-da.Min.X, da.Max.Y-da.Min.Y
	if w <= 0 || h <= 0 {
		return c
	}
	if float64(w/h) > aspect {
		cut := w - h*vg.Length(aspect)
		c.Min.X += cut / 2
		c.Max.X -= cut / 2
	} else {
		cut := h - w/vg.Length(aspect)
		c.Min.Y += cut / 2
		c.Max.Y -= cut / 2
	}
	return c
}

// barWidth is the width of a colour bar column, tick labels included, in pixels.
func barWidth(f fonts) float64 { return 14 + 8 + dots(f.tick)*4.2 }

// mapSpec is one scalar image to draw.
type mapSpec struct {
	title          string
	ylabel, xlabel string
	r              raster
	signed         bool // diverging map, symmetric around zero
}

// drawMap draws m into c: the image with its axes, and a colour bar on the right with
// the colour range (robust, see contrast).
func drawMap(c draw.Canvas, m mapSpec, f fonts) {
	lo, hi, ok := contrast(m.r.z, m.signed)
	title := m.title
	if !ok {
		title += " (no finite value)"
	}
	cm := colorMap(lo, hi, m.signed)
	h := &heat{r: m.r, min: lo, max: hi, pal: cm.Palette(paletteColors).Colors()}
	p := imagePlot(f, title, m.ylabel, m.xlabel, m.r.rows, m.r.cols)
	p.Add(h)
	main := draw.Crop(c, 0, -px(barWidth(f)), 0, 0)
	main = fitAspect(p, main, float64(m.r.cols)/float64(m.r.rows))
	p.Draw(main)
	drawColorBar(c, p.DataCanvas(main), cm, lo, hi, f)
}

// drawColorBar draws a vertical colour bar of cm just right of the data area da, as tall
// as da, with tick labels on its right.
func drawColorBar(c draw.Canvas, da draw.Canvas, cm palette.ColorMap, lo, hi float64, f fonts) {
	bar := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: da.Max.X + px(8), Y: da.Min.Y},
		Max: vg.Point{X: da.Max.X + px(8+14), Y: da.Max.Y},
	}}
	cb := plot.New()
	cb.HideAxes()
	cb.X.Padding, cb.Y.Padding = 0, 0
	cb.X.Min, cb.X.Max, cb.Y.Min, cb.Y.Max = 0, 1, lo, hi
	cb.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	// Align the bar's data area with da whatever padding the hidden axes keep.
	dd := cb.DataCanvas(bar)
	bar.Min.Y -= dd.Min.Y - da.Min.Y
	bar.Max.Y += da.Max.Y - dd.Max.Y
	bar.Min.X -= dd.Min.X - (da.Max.X + px(8))
	cb.Draw(bar)
	dd = cb.DataCanvas(bar)
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	c.StrokeLines(line, []vg.Point{dd.Min, {X: dd.Max.X, Y: dd.Min.Y}, dd.Max, {X: dd.Min.X, Y: dd.Max.Y}, dd.Min})
	sty := textStyle(f.tick)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	for _, t := range (tidyTicks{}).Ticks(lo, hi) {
		if t.Label == "" || t.Value < lo || t.Value > hi {
			continue
		}
		y := dd.Min.Y + vg.Length((t.Value-lo)/(hi-lo))*(dd.Max.Y-dd.Min.Y)
		c.StrokeLine2(line, dd.Max.X, y, dd.Max.X+px(4), y)
		c.FillText(sty, vg.Point{X: dd.Max.X + px(6), Y: y}, t.Label)
	}
}
