package virtual

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Mask is a named detector mask: one weight per pixel, row-major over (dy, dx).
type Mask struct {
	Name    string
	Weights []float32
}

// Disk returns the mask of pixels whose centre lies within radius r of (cy, cx).
func Disk(dy, dx int, cy, cx, r float64) []float32 {
	return Annulus(dy, dx, cy, cx, -1, r)
}

// Annulus returns the mask of pixels at distance d from (cy, cx) with ri < d <= ro (a
// negative ri includes the centre).
func Annulus(dy, dx int, cy, cx, ri, ro float64) []float32 {
	w := make([]float32, dy*dx)
	for y := range dy {
		for x := range dx {
			d := math.Hypot(float64(y)-cy, float64(x)-cx)
			if d > ri && d <= ro {
				w[y*dx+x] = 1
			}
		}
	}
	return w
}

// Rect returns the mask of the half-open rectangle [y0, y1) × [x0, x1).
func Rect(dy, dx, y0, x0, y1, x1 int) []float32 {
	w := make([]float32, dy*dx)
	for y := max(y0, 0); y < min(y1, dy); y++ {
		for x := max(x0, 0); x < min(x1, dx); x++ {
			w[y*dx+x] = 1
		}
	}
	return w
}

// Point returns the mask of the single pixel (y, x).
func Point(dy, dx, y, x int) []float32 { return Rect(dy, dx, y, x, y+1, x+1) }

// ParseMask parses a mask spec for a detector of dy×dx pixels:
//
//	disk:CY,CX,R          annulus:CY,CX,RI,RO      point:Y,X      rect:Y0,X0,Y1,X1
//
// Masks from files are read by the caller (they need I/O). It returns an error naming the
// spec for a bad syntax, a negative radius, or a mask with no pixel on the detector.
func ParseMask(spec string, dy, dx int) ([]float32, error) {
	kind, args, _ := strings.Cut(spec, ":")
	want := map[string]int{"disk": 3, "annulus": 4, "point": 2, "rect": 4}
	n, ok := want[kind]
	if !ok {
		return nil, fmt.Errorf("virtual: mask %q: unknown kind %q, want disk, annulus, point, rect or file", spec, kind)
	}
	var v []float64
	for _, s := range strings.Split(args, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			break
		}
		v = append(v, f)
	}
	if len(v) != n {
		return nil, fmt.Errorf("virtual: mask %q: want %s:%s", spec, kind, map[string]string{
			"disk": "CY,CX,R", "annulus": "CY,CX,RI,RO", "point": "Y,X", "rect": "Y0,X0,Y1,X1"}[kind])
	}
	var w []float32
	switch kind {
	case "disk":
		if v[2] < 0 {
			return nil, fmt.Errorf("virtual: mask %q: negative radius", spec)
		}
		w = Disk(dy, dx, v[0], v[1], v[2])
	case "annulus":
		if v[2] < 0 || v[3] < v[2] {
			return nil, fmt.Errorf("virtual: mask %q: want 0 <= RI <= RO", spec)
		}
		w = Annulus(dy, dx, v[0], v[1], v[2], v[3])
	case "point":
		w = Point(dy, dx, int(v[0]), int(v[1]))
	case "rect":
		w = Rect(dy, dx, int(v[0]), int(v[1]), int(v[2]), int(v[3]))
	}
	for _, x := range w {
		if x != 0 {
			return w, nil
		}
	}
	return nil, fmt.Errorf("virtual: mask %q covers no pixel of the %dx%d detector", spec, dy, dx)
}
