package preprocess

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Transform is the intensity transform applied to every pixel after binning.
type Transform int

// The transforms. The zero value is NoTransform.
const (
	NoTransform Transform = iota // x
	Sqrt                         // √x; needs x ≥ 0
	Log1p                        // log(1 + x); needs x > −1
)

func (t Transform) String() string {
	switch t {
	case NoTransform:
		return "none"
	case Sqrt:
		return "sqrt"
	case Log1p:
		return "log1p"
	}
	return fmt.Sprintf("Transform(%d)", int(t))
}

// Invert maps the values v of the transformed space back to intensities, in place: x²
// for sqrt (negative values, which no transformed pixel has, map to 0) and eˣ − 1 for
// log1p. NoTransform leaves v as it is.
func (t Transform) Invert(v []float64) {
	switch t {
	case Sqrt:
		for j, x := range v {
			x = max(x, 0)
			v[j] = x * x
		}
	case Log1p:
		for j, x := range v {
			v[j] = math.Expm1(x)
		}
	}
}

// ParseTransform returns the transform named s: none, sqrt or log1p.
func ParseTransform(s string) (Transform, error) {
	for _, t := range []Transform{NoTransform, Sqrt, Log1p} {
		if t.String() == s {
			return t, nil
		}
	}
	return NoTransform, fmt.Errorf("preprocess: unknown transform %q: want none, sqrt or log1p", s)
}

// Normalize is the intensity normalisation applied after the transform.
type Normalize int

// The normalisations. The zero value is NoNormalize.
const (
	NoNormalize Normalize = iota // none
	Total                        // every frame divided by its total
	Poisson                      // Keenan & Kotula: x_fj / (√a_f·√b_j), see PoissonTotals
)

func (n Normalize) String() string {
	switch n {
	case NoNormalize:
		return "none"
	case Total:
		return "total"
	case Poisson:
		return "poisson"
	}
	return fmt.Sprintf("Normalize(%d)", int(n))
}

// ParseNormalize returns the normalisation named s: none, total or poisson.
func ParseNormalize(s string) (Normalize, error) {
	for _, n := range []Normalize{NoNormalize, Total, Poisson} {
		if n.String() == s {
			return n, nil
		}
	}
	return NoNormalize, fmt.Errorf("preprocess: unknown normalisation %q: want none, total or poisson", s)
}

// Rect is the half-open rectangle [Y0, Y1) × [X0, X1) of detector pixels. The zero Rect
// means the whole detector.
type Rect struct{ Y0, Y1, X0, X1 int }

// IsZero reports whether r is the zero Rect.
func (r Rect) IsZero() bool { return r == Rect{} }

// String returns r as y0:y1,x0:x1, the form ParseRect reads.
func (r Rect) String() string { return fmt.Sprintf("%d:%d,%d:%d", r.Y0, r.Y1, r.X0, r.X1) }

// ParseRect reads a rectangle written y0:y1,x0:x1 with 0 ≤ y0 < y1 and 0 ≤ x0 < x1. It
// does not know the detector: New checks that the rectangle lies on it.
func ParseRect(s string) (Rect, error) {
	bad := fmt.Errorf("preprocess: rectangle %q: want y0:y1,x0:x1 with 0 <= y0 < y1 and 0 <= x0 < x1", s)
	ys, xs, ok := strings.Cut(s, ",")
	if !ok {
		return Rect{}, bad
	}
	rng := func(s string) (lo, hi int, ok bool) {
		a, b, found := strings.Cut(s, ":")
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		return lo, hi, found && err1 == nil && err2 == nil && lo >= 0 && lo < hi
	}
	y0, y1, ok1 := rng(ys)
	x0, x1, ok2 := rng(xs)
	if !ok1 || !ok2 {
		return Rect{}, bad
	}
	return Rect{y0, y1, x0, x1}, nil
}

// Settings are the preprocessing options. The zero value changes nothing.
type Settings struct {
	// Crop keeps the detector pixels inside the rectangle, in the detector's own pixel
	// coordinates. The zero Rect keeps the whole detector.
	Crop Rect
	// Bin sums squares of Bin×Bin cropped pixels into one; it must divide both sides of
	// the cropped detector. 0 and 1 mean no binning.
	Bin int
	// Transform is applied to every binned pixel.
	Transform Transform
	// Normalize: Total divides every frame by its total after the transform; Poisson is
	// not per frame and is applied by PoissonTotals and Poisson.Scale after all of the
	// above.
	Normalize Normalize
}

// Errors of New. The messages name the shapes; a command line maps them to its flags.
var (
	ErrCrop = errors.New("preprocess: crop rectangle does not lie on the detector")
	ErrBin  = errors.New("preprocess: bin does not divide the cropped detector")
)

// Pipeline is the per-frame preprocessing of one dataset: crop, bin, transform and total
// normalisation, in that order. It is immutable and safe for concurrent use.
type Pipeline struct {
	s      Settings
	nav    []int
	dy, dx int  // input detector
	crop   Rect // resolved: the whole detector when s.Crop is zero
	bin    int  // at least 1
	oy, ox int  // output detector
}

// New returns the pipeline of s for frames of detector shape sig (dy, dx), from a scan of
// shape nav (used only to name frames in errors). It returns an error wrapping ErrCrop if
// the crop rectangle does not lie on the detector, and ErrBin if Bin does not divide the
// cropped detector or is negative; the error message names the shapes. It panics if sig
// does not have two positive dimensions.
func New(nav, sig []int, s Settings) (*Pipeline, error) {
	if len(sig) != 2 || sig[0] < 1 || sig[1] < 1 {
		panic(fmt.Sprintf("preprocess: detector shape %v: want (dy, dx)", sig))
	}
	p := &Pipeline{s: s, nav: append([]int(nil), nav...), dy: sig[0], dx: sig[1], bin: max(s.Bin, 1)}
	p.crop = s.Crop
	if s.Crop.IsZero() {
		p.crop = Rect{0, p.dy, 0, p.dx}
	}
	c := p.crop
	if c.Y0 < 0 || c.X0 < 0 || c.Y0 >= c.Y1 || c.X0 >= c.X1 || c.Y1 > p.dy || c.X1 > p.dx {
		return nil, fmt.Errorf("%w: %v on a %dx%d detector", ErrCrop, c, p.dy, p.dx)
	}
	h, w := c.Y1-c.Y0, c.X1-c.X0
	if s.Bin < 0 || h%p.bin != 0 || w%p.bin != 0 {
		return nil, fmt.Errorf("%w: bin %d, detector %dx%d", ErrBin, s.Bin, h, w)
	}
	p.oy, p.ox = h/p.bin, w/p.bin
	return p, nil
}

// Settings returns the settings of p.
func (p *Pipeline) Settings() Settings { return p.s }

// Crop returns the crop rectangle, the whole detector when none was given.
func (p *Pipeline) Crop() Rect { return p.crop }

// Sig returns the shape (dy', dx') of a preprocessed frame.
func (p *Pipeline) Sig() []int { return []int{p.oy, p.ox} }

// D returns the number of pixels of a preprocessed frame.
func (p *Pipeline) D() int { return p.oy * p.ox }

// RawD returns the number of pixels of an input frame.
func (p *Pipeline) RawD() int { return p.dy * p.dx }

// Identity reports whether the per-frame steps leave a frame as it is: no crop, no
// binning, no transform and no total normalisation (Poisson normalisation is not per
// frame and does not count).
func (p *Pipeline) Identity() bool {
	return p.crop == Rect{0, p.dy, 0, p.dx} && p.bin == 1 && p.s.Transform == NoTransform && p.s.Normalize != Total
}

// FrameError reports an input frame that cannot be used: it holds a NaN or an infinity,
// a value outside the domain of the transform, a zero total under total normalisation,
// or a negative total under Poisson normalisation.
type FrameError struct {
	Frame  int     // index of the frame in the input, in scan order
	Nav    []int   // scan shape, to name the scan position
	Pixel  []int   // (y, x) of the pixel in the preprocessed frame, or nil
	Value  float64 // the offending value, when Pixel or Reason needs it
	Reason string  // what is wrong, e.g. "holds a NaN or an infinite value"
}

func (e *FrameError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "frame %d", e.Frame)
	if len(e.Nav) == 2 {
		fmt.Fprintf(&b, " (scan position y=%d, x=%d)", e.Frame/e.Nav[1], e.Frame%e.Nav[1])
	}
	if e.Pixel != nil {
		fmt.Fprintf(&b, ": pixel (%d, %d) of the preprocessed frame is %g,", e.Pixel[0], e.Pixel[1], e.Value)
	}
	b.WriteString(" " + e.Reason)
	return b.String()
}

// Reasons of FrameError.
const (
	reasonNonFinite = "holds a NaN or an infinite value"
	reasonSqrt      = "and the sqrt transform needs values >= 0"
	reasonLog1p     = "and the log1p transform needs values > -1"
	reasonZero      = "has total intensity 0 after the transform, so it cannot be normalised to its total"
	reasonNegative  = "has a negative total intensity (%g), so Poisson normalisation cannot take its square root"
)

// frameTo preprocesses one input frame raw (RawD values) into dst (D values), using v (D
// float64 values) as scratch. Every step is computed in float64 in a fixed order and the
// result rounded to float32 once. It returns a FrameError without Frame and Nav if the
// frame cannot be preprocessed.
func (p *Pipeline) frameTo(dst, raw []float32, v []float64) *FrameError {
	c, b := p.crop, p.bin
	v = v[:p.oy*p.ox]
	if b == 1 {
		for y := range p.oy {
			row := raw[(c.Y0+y)*p.dx+c.X0 : (c.Y0+y)*p.dx+c.X1]
			out := v[y*p.ox : (y+1)*p.ox]
			out = out[:len(row)]
			for x, r := range row {
				out[x] = float64(r)
			}
		}
	} else {
		// Output pixel (y, x) is the sum over the rows of its square, in order, of the sums
		// of b consecutive pixels of each row, left to right.
		clear(v)
		for y := range p.oy * b {
			row := raw[(c.Y0+y)*p.dx+c.X0 : (c.Y0+y)*p.dx+c.X0+p.ox*b]
			out := v[(y/b)*p.ox : (y/b+1)*p.ox]
			for x := range out {
				var s float64
				for _, r := range row[x*b : x*b+b] {
					s += float64(r)
				}
				out[x] += s
			}
		}
	}
	// The float64 sum of finite float32 values cannot overflow, so it is finite exactly
	// when every value is.
	var sum float64
	for _, x := range v {
		sum += x
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return &FrameError{Reason: reasonNonFinite}
	}
	switch p.s.Transform {
	case Sqrt:
		for j, x := range v {
			if x < 0 {
				return p.pixelError(j, x, reasonSqrt)
			}
			v[j] = math.Sqrt(x)
		}
	case Log1p:
		for j, x := range v {
			if x <= -1 {
				return p.pixelError(j, x, reasonLog1p)
			}
			v[j] = math.Log1p(x)
		}
	}
	if p.s.Normalize == Total {
		var t float64
		for _, x := range v {
			t += x
		}
		if t == 0 {
			return &FrameError{Reason: reasonZero}
		}
		for j := range v {
			v[j] /= t
		}
	}
	dst = dst[:len(v)]
	for j, x := range v {
		dst[j] = float32(x)
	}
	return nil
}

func (p *Pipeline) pixelError(j int, x float64, reason string) *FrameError {
	return &FrameError{Pixel: []int{j / p.ox, j % p.ox}, Value: x, Reason: reason}
}
