package picture

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/palette/moreland"
)

// nanGrey is the colour of NaN (and of scan positions outside a region of interest): a
// neutral grey that neither viridis nor the blue-red diverging map contains.
var nanGrey = color.NRGBA{R: 128, G: 128, B: 128, A: 255}

// paletteColors is the number of colours a heat map's palette is sampled at.
const paletteColors = 256

// viridis is matplotlib's viridis as a palette.ColorMap on [min, max]: perceptually
// uniform, readable in grey scale and by colour-blind readers. It is the map of every
// sequential (one-signed) quantity.
type viridis struct {
	min, max, alpha float64
}

// newViridis returns viridis on [min, max].
func newViridis(min, max float64) *viridis { return &viridis{min: min, max: max, alpha: 1} }

// At implements palette.ColorMap.
func (v *viridis) At(x float64) (color.Color, error) {
	switch {
	case math.IsNaN(x):
		return nil, palette.ErrNaN
	case x < v.min:
		return nil, palette.ErrUnderflow
	case x > v.max:
		return nil, palette.ErrOverflow
	}
	t := 0.0
	if v.max > v.min {
		t = (x - v.min) / (v.max - v.min)
	}
	return viridisAt(t, v.alpha), nil
}

// viridisAt returns the colour at t in [0, 1], interpolating the table linearly.
func viridisAt(t, alpha float64) color.NRGBA {
	t = math.Min(1, math.Max(0, t)) * float64(len(viridisRGB)-1)
	i := int(t)
	if i >= len(viridisRGB)-1 {
		i = len(viridisRGB) - 2
	}
	f := t - float64(i)
	a, b := viridisRGB[i], viridisRGB[i+1]
	mix := func(k int) uint8 { return uint8(math.Round(float64(a[k])*(1-f) + float64(b[k])*f)) }
	return color.NRGBA{R: mix(0), G: mix(1), B: mix(2), A: uint8(math.Round(255 * alpha))}
}

func (v *viridis) Max() float64       { return v.max }
func (v *viridis) SetMax(x float64)   { v.max = x }
func (v *viridis) Min() float64       { return v.min }
func (v *viridis) SetMin(x float64)   { v.min = x }
func (v *viridis) Alpha() float64     { return v.alpha }
func (v *viridis) SetAlpha(a float64) { v.alpha = a }
func (v *viridis) Palette(n int) palette.Palette {
	cs := make(colors, n)
	for i := range cs {
		t := 0.0
		if n > 1 {
			t = float64(i) / float64(n-1)
		}
		cs[i] = viridisAt(t, v.alpha)
	}
	return cs
}

type colors []color.Color

func (c colors) Colors() []color.Color { return c }

// colorMap returns the colour map of a quantity on [lo, hi]: Moreland's smooth blue-red
// diverging map, white-grey at zero, when signed (lo = -hi), viridis otherwise.
func colorMap(lo, hi float64, signed bool) palette.ColorMap {
	if signed {
		cm := moreland.SmoothBlueRed()
		cm.SetMin(lo)
		cm.SetMax(hi)
		return cm
	}
	return newViridis(lo, hi)
}

// wheel returns the colour of a 2-D vector (dy, dx) of length r relative to rmax: the
// hue is its direction (0 = +x, a quarter turn = +y, which is down the image), the
// value (brightness) its length, saturated at rmax. This is the usual colour wheel of
// DPC and strain maps.
func wheel(dy, dx, rmax float64) color.Color {
	if math.IsNaN(dy) || math.IsNaN(dx) {
		return nanGrey
	}
	h := math.Atan2(dy, dx) / (2 * math.Pi)
	if h < 0 {
		h++
	}
	v := 0.0
	if rmax > 0 {
		v = math.Min(1, math.Hypot(dy, dx)/rmax)
	}
	return palette.HSVA{H: h, S: 1, V: v, A: 1}
}

// corner colours of the 2-D colour map, (u, v) = (0, 0), (1, 0), (0, 1), (1, 1): blue,
// red, green and yellow, as in the bilinear 2-D maps used for orientation and embedding
// maps; they differ in hue and in lightness, so that both coordinates stay readable.
var corners = [4][3]float64{
	{0.17, 0.33, 0.85}, // u=0, v=0: blue
	{0.86, 0.16, 0.27}, // u=1, v=0: red
	{0.15, 0.70, 0.40}, // u=0, v=1: green
	{0.98, 0.82, 0.15}, // u=1, v=1: yellow
}

// bivariate returns the colour of a point (u, v) of the unit square under a 2-D colour
// map: the bilinear blend of the four corner colours, interpolated in linear light so
// that the centre is not muddy. u and v are clamped to [0, 1]; NaN gives nanGrey.
func bivariate(u, v float64) color.Color {
	if math.IsNaN(u) || math.IsNaN(v) {
		return nanGrey
	}
	u = math.Min(1, math.Max(0, u))
	v = math.Min(1, math.Max(0, v))
	w := [4]float64{(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v}
	var rgb [3]uint8
	for k := range rgb {
		lin := 0.0
		for i, c := range corners {
			lin += w[i] * toLinear(c[k])
		}
		rgb[k] = uint8(math.Round(255 * fromLinear(lin)))
	}
	return color.NRGBA{R: rgb[0], G: rgb[1], B: rgb[2], A: 255}
}

// toLinear and fromLinear convert between sRGB and linear light (IEC 61966-2-1).
func toLinear(c float64) float64 {
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

func fromLinear(c float64) float64 {
	if c <= 0.0031308 {
		return 12.92 * c
	}
	return 1.055*math.Pow(c, 1/2.4) - 0.055
}

// categorical returns n distinct colours for cluster labels: ColorBrewer's Set1 (up to
// 9), then evenly spaced hues.
func categorical(n int) []color.Color {
	if n >= 3 && n <= 9 {
		if p, err := brewer.GetPalette(brewer.TypeQualitative, "Set1", n); err == nil {
			return p.Colors()
		}
	}
	cs := make([]color.Color, n)
	for i := range cs {
		cs[i] = palette.HSVA{H: float64(i) / float64(n), S: 0.8, V: 0.85, A: 1}
	}
	if n >= 1 && n < 3 {
		if p, err := brewer.GetPalette(brewer.TypeQualitative, "Set1", 3); err == nil {
			copy(cs, p.Colors())
		}
	}
	return cs
}
