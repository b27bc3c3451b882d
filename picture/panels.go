package picture

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// view is one array to show: a 2-D array as an image, a 1-D one (a scan given as a list
// of frames) as a curve over the frame index.
type view struct {
	title          string
	ylabel, xlabel string // axis labels of an image; a curve has "frame" and "value"
	shape          []int  // (rows, cols) or (n)
	z              []float64
	signed         bool
}

// imageBox returns the size in pixels of the image area of a rows×cols array whose long
// side is size: square pixels, the aspect ratio clamped to [1/4, 4].
func imageBox(rows, cols, size int) (w, h int) {
	a := math.Min(4, math.Max(0.25, float64(cols)/float64(rows)))
	if a >= 1 {
		return size, int(math.Round(float64(size) / a))
	}
	return int(math.Round(float64(size) * a)), size
}

// viewSize returns the canvas size of a panel showing an array of the given shape.
func viewSize(shape []int, size int, f fonts) (w, h int) {
	if len(shape) == 1 {
		return size + f.left + f.right/2, size*5/8 + f.top + f.bottom
	}
	iw, ih := imageBox(shape[0], shape[1], size)
	return iw + f.left + f.right, ih + f.top + f.bottom
}

// drawView draws v into c.
func drawView(c draw.Canvas, v view, f fonts) {
	if len(v.shape) == 1 {
		drawCurve(c, v, f)
		return
	}
	drawMap(c, mapSpec{title: v.title, ylabel: v.ylabel, xlabel: v.xlabel,
		r: raster{rows: v.shape[0], cols: v.shape[1], z: v.z}, signed: v.signed}, f)
}

// drawCurve draws a 1-D array as a line over its index; NaN values leave gaps.
func drawCurve(c draw.Canvas, v view, f fonts) {
	p := newPlot(f)
	p.Title.Text = v.title
	p.X.Label.Text, p.Y.Label.Text = "frame", "value"
	p.X.Tick.Marker = intTicks{}
	var seg plotter.XYs
	flush := func() {
		if len(seg) > 0 {
			if l, err := plotter.NewLine(seg); err == nil {
				l.Color = color.NRGBA{R: 31, G: 119, B: 180, A: 255}
				p.Add(l)
			}
			seg = nil
		}
	}
	for i, y := range v.z {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			flush()
			continue
		}
		seg = append(seg, plotter.XY{X: float64(i), Y: y})
	}
	flush()
	if v.signed {
		p.Add(plotter.NewFunction(func(float64) float64 { return 0 }))
	}
	p.Draw(c)
}

// gridLayout returns the columns and rows of a grid of n panels, as square as possible.
func gridLayout(n int) (cols, rows int) {
	cols = int(math.Ceil(math.Sqrt(float64(n))))
	return cols, (n + cols - 1) / cols
}

// gridTitle is the height in pixels of the band holding a grid's title; gridPad the
// space between tiles.
const (
	gridTitle = 34
	gridPad   = 10
)

// gridSize returns the canvas size of a grid of n panels of the given shape.
func gridSize(n int, shape []int, size int) (w, h int) {
	cols, rows := gridLayout(n)
	tw, th := viewSize(shape, size/2, smallFonts)
	return cols*tw + (cols-1)*gridPad, rows*th + (rows-1)*gridPad + gridTitle
}

// drawGrid draws the views into a grid of tiles below a title band. Each tile has its
// own colour range and colour bar.
func drawGrid(c draw.Canvas, title string, vs []view) {
	sty := textStyle(bigFonts.title)
	c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y - px(8)}, title)
	body := draw.Crop(c, 0, 0, 0, -px(gridTitle))
	cols, rows := gridLayout(len(vs))
	tiles := draw.Tiles{Cols: cols, Rows: rows, PadX: px(gridPad), PadY: px(gridPad)}
	for i, v := range vs {
		drawView(tiles.At(body, i%cols, i/cols), v, smallFonts)
	}
}

// nearestUp returns img scaled up f times by pixel repetition.
func nearestUp(img *image.NRGBA, f int) *image.NRGBA {
	if f <= 1 {
		return img
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx()*f, b.Dy()*f))
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			out.SetNRGBA(x, y, img.NRGBAAt(b.Min.X+x/f, b.Min.Y+y/f))
		}
	}
	return out
}

// rgbImage draws an RGB image of a rows×cols array with axes in pixels.
type rgbImage struct {
	img *image.NRGBA
}

// Plot implements plot.Plotter: the image scaled up by pixel repetition to about the
// size of the canvas, so that the canvas's bilinear scaling keeps pixels sharp.
func (r rgbImage) Plot(c draw.Canvas, p *plot.Plot) {
	b := r.img.Bounds()
	f := max(1, int(math.Ceil(dots(c.Max.X-c.Min.X)/float64(b.Dx()))))
	f = max(f, int(math.Ceil(dots(c.Max.Y-c.Min.Y)/float64(b.Dy()))))
	f = min(f, max(1, 4096/max(b.Dx(), b.Dy())))
	xmin, xmax, ymin, ymax := r.DataRange()
	plotter.NewImage(nearestUp(r.img, f), xmin, ymin, xmax, ymax).Plot(c, p)
}

// DataRange implements plot.DataRanger.
func (r rgbImage) DataRange() (xmin, xmax, ymin, ymax float64) {
	return imageRange(r.img.Bounds().Dy(), r.img.Bounds().Dx())
}

// drawRGB draws img into c with square pixels and returns the data area it used.
func drawRGB(c draw.Canvas, title, ylabel, xlabel string, img *image.NRGBA, f fonts) draw.Canvas {
	b := img.Bounds()
	p := imagePlot(f, title, ylabel, xlabel, b.Dy(), b.Dx())
	p.Add(rgbImage{img: img})
	c = fitAspect(p, c, float64(b.Dx())/float64(b.Dy()))
	p.Draw(c)
	return p.DataCanvas(c)
}

// wheelKey draws the colour wheel of wheel() into c: direction as hue, length as
// brightness, +x to the right and +y (down the scan) at the bottom.
func wheelKey(c draw.Canvas, f fonts) {
	const r = 64
	img := image.NewNRGBA(image.Rect(0, 0, 2*r+1, 2*r+1))
	for y := 0; y <= 2*r; y++ {
		for x := 0; x <= 2*r; x++ {
			dy, dx := float64(y-r), float64(x-r)
			col := color.NRGBA{R: 255, G: 255, B: 255, A: 255}
			if math.Hypot(dy, dx) <= r {
				col = color.NRGBAModel.Convert(wheel(dy, dx, r)).(color.NRGBA)
			}
			img.SetNRGBA(x, y, col)
		}
	}
	p := newPlot(f)
	p.Title.Text = "direction"
	p.HideAxes()
	p.X.Padding, p.Y.Padding = 0, 0
	p.Add(rgbImage{img: img})
	c = fitAspect(p, draw.Crop(c, 0, -px(22), px(34), 0), 1)
	p.Draw(c)
	da := p.DataCanvas(c)
	sty := textStyle(f.tick)
	sty.YAlign = draw.YCenter
	sty.XAlign = draw.XLeft
	c.FillText(sty, vg.Point{X: da.Max.X + px(3), Y: da.Center().Y}, "+x")
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	c.FillText(sty, vg.Point{X: da.Center().X, Y: da.Min.Y - px(3)}, "+y")
	sty.YAlign = draw.YTop
	c.FillText(sty, vg.Point{X: da.Center().X, Y: da.Min.Y - px(18)}, "brightness = |F|")
}

// scatter is a set of points with a colour each.
type scatter struct {
	x, y   []float64
	colors []color.Color
}

// glyphRadius returns the radius in pixels of the dots of a scatter of n points.
func glyphRadius(n int) float64 {
	switch {
	case n <= 1000:
		return 3
	case n <= 5000:
		return 2
	case n <= 20000:
		return 1.3
	}
	return 1
}

// drawScatter draws s into c with its axes labelled, the plotted range of each axis
// chosen from its data, the data area's aspect ratio that of the data (within [1/2, 2]).
func drawScatter(c draw.Canvas, title, xlabel, ylabel string, s scatter, f fonts) draw.Canvas {
	p := newPlot(f)
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	xy := make(plotter.XYs, len(s.x))
	for i := range xy {
		xy[i] = plotter.XY{X: s.x[i], Y: s.y[i]}
	}
	r := vg.Length(px(glyphRadius(len(xy))))
	if len(xy) > 0 {
		sc, err := plotter.NewScatter(xy)
		if err == nil {
			sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
				return draw.GlyphStyle{Color: s.colors[i], Radius: r, Shape: draw.CircleGlyph{}}
			}
			p.Add(sc)
		}
	}
	aspect := 1.0
	if len(xy) > 1 {
		xmin, xmax, ymin, ymax := plotter.XYRange(xy)
		if xmax > xmin && ymax > ymin {
			aspect = math.Min(2, math.Max(0.5, (xmax-xmin)/(ymax-ymin)))
		}
	}
	c = fitAspect(p, c, aspect)
	p.Draw(c)
	return p.DataCanvas(c)
}

// screeSize is the canvas size of a scree plot.
func screeSize(size int) (w, h int) { return size + 128, size*3/4 + 90 }

// drawScree draws the explained variance ratio of each component on a log scale, the
// components numbered from 1; ratios that are not positive cannot be shown on it and
// are left out (the title says how many).
func drawScree(c draw.Canvas, title string, ratio []float64) {
	p := newPlot(bigFonts)
	p.X.Label.Text, p.Y.Label.Text = "component", "explained variance ratio"
	var xy plotter.XYs
	sum := 0.0
	for i, v := range ratio {
		if !math.IsNaN(v) {
			sum += v
		}
		if v > 0 && !math.IsInf(v, 0) {
			xy = append(xy, plotter.XY{X: float64(i + 1), Y: v})
		}
	}
	title += fmt.Sprintf(": %d components, %.1f%% of the variance", len(ratio), 100*sum)
	if n := len(ratio) - len(xy); n > 0 {
		title += fmt.Sprintf(" (%d not positive, not shown)", n)
	}
	p.Title.Text = title
	if len(xy) > 0 {
		ys := make([]float64, len(xy))
		for i := range xy {
			ys[i] = xy[i].Y
		}
		lo, hi := slices.Min(ys), slices.Max(ys)
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
		p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi)))
		if p.Y.Max <= p.Y.Min {
			p.Y.Max = p.Y.Min * 10
		}
		line, points, err := plotter.NewLinePoints(xy)
		if err == nil {
			blue := color.NRGBA{R: 31, G: 119, B: 180, A: 255}
			line.Color = blue
			points.Color = blue
			points.Shape = draw.CircleGlyph{}
			points.Radius = px(3)
			p.Add(plotter.NewGrid(), line, points)
		}
		p.X.Min, p.X.Max = 0.5, float64(len(ratio))+0.5
		p.X.Tick.Marker = intTicks{}
	}
	p.Draw(c)
}

// intTicks marks an axis of whole numbers (pixels, components): the labelled ticks of
// plot.DefaultTicks that fall on integers, printed as integers, and the minor ticks that
// fall on integers; every integer when that leaves fewer than two labels.
type intTicks struct{}

// Ticks implements plot.Ticker.
func (intTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	labels := 0
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = strconv.Itoa(int(t.Value))
			labels++
		}
		ts = append(ts, t)
	}
	if labels >= 2 {
		return ts
	}
	ts = ts[:0]
	for v := math.Ceil(min); v <= max; v++ {
		ts = append(ts, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ts
}
