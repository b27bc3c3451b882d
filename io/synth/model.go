package synth

import (
	"math"

	"github.com/stemreduce/stemreduce/rng"
)

// thicknessIndex is the rng.SynthMap stream index of the thickness map, above any phase index.
const thicknessIndex = 1 << 32

// Constants of the model. They are part of the reproducibility contract, like the rng
// purposes: changing one changes every synthetic dataset (and the golden test).
const (
	diskRadius   = 0.055 // radius of every diffraction disk, as a fraction of min(dy, dx)
	maxG         = 0.72  // reflections with |g| below this fraction of min(dy, dx) are drawn
	mapModes     = 2     // cosine modes added to each phase's grain field
	mapModeAmp   = 0.2   // amplitude of each of those modes, in units of the grain field
	thickModes   = 3     // cosine modes of the thickness map
	minFreqCyc   = 0.5   // cosine mode frequencies, in cycles per scan width: [min, min+span)
	spanFreqCyc  = 1.0   //
	minLattice   = 0.14  // shortest lattice vector, as a fraction of min(dy, dx): [min, max)
	maxLattice   = 0.22  //
	maxAspect    = 1.5   // ratio |g2|/|g1| in [1, maxAspect)
	minBF, maxBF = 0.35, 0.55
	minBG, maxBG = 0.08, 0.20
)

// wave is a plane wave cos(2π(fy·u + fx·v) + phi) over the scan.
type wave struct{ fy, fx, phi float64 }

func (w wave) at(u, v float64) float64 {
	return math.Cos(2*math.Pi*(w.fy*u+w.fx*v) + w.phi)
}

// drawWave draws a wave with a uniform direction and a frequency in cycles per scan width.
func drawWave(s *rng.Stream) wave {
	f := minFreqCyc + spanFreqCyc*s.Float64()
	theta := 2 * math.Pi * s.Float64()
	phi := 2 * math.Pi * s.Float64()
	sin, cos := math.Sincos(theta)
	return wave{fy: f * sin, fx: f * cos, phi: phi}
}

// maps holds the parameters of the abundance and thickness maps: a few numbers per phase,
// drawn when the Source is made. Maps are evaluated at each scan position on demand.
type maps struct {
	k       int
	sy, sx  int
	scale   float64      // 1/max(sy, sx): scan coordinates u, v are in units of the longer side
	invH2   float64      // 1/h², h² = scan area / (K·grains), the mean squared grain spacing
	sharp   float64      // softmax sharpness
	centers [][2]float64 // grain centers of phase k at [k*grains, (k+1)*grains)
	grains  int
	waves   []wave // mapModes waves of phase k at [k*mapModes, (k+1)*mapModes)
	thickA  float64
	thick   [thickModes]wave
}

func newMaps(p Params) *maps {
	m := &maps{
		k:      p.Phases,
		sy:     p.Scan[0],
		sx:     p.Scan[1],
		sharp:  p.Sharp,
		grains: p.Grains,
		thickA: p.Thick,
	}
	m.scale = 1 / float64(max(m.sy, m.sx))
	hy, hx := float64(m.sy)*m.scale, float64(m.sx)*m.scale // scan extent in (u, v)
	m.invH2 = float64(m.k*m.grains) / (hy * hx)
	var s rng.Stream
	for k := range m.k {
		s.Reset(p.Seed, rng.SynthMap, uint64(k))
		for range m.grains {
			cy := hy * s.Float64()
			cx := hx * s.Float64()
			m.centers = append(m.centers, [2]float64{cy, cx})
		}
		for range mapModes {
			m.waves = append(m.waves, drawWave(&s))
		}
	}
	s.Reset(p.Seed, rng.SynthMap, thicknessIndex)
	for i := range m.thick {
		m.thick[i] = drawWave(&s)
	}
	return m
}

// coords returns the scan coordinates (u, v) of frame f.
func (m *maps) coords(f int) (u, v float64) {
	y, x := f/m.sx, f%m.sx
	return (float64(y) + 0.5) * m.scale, (float64(x) + 0.5) * m.scale
}

// abundanceTo stores the K abundances of frame f in dst: the softmax over phases of
// sharp·(−d²/h² + Σ waves), d the distance to the phase's nearest grain center.
func (m *maps) abundanceTo(dst []float64, f int) {
	u, v := m.coords(f)
	hi := math.Inf(-1)
	for k := range m.k {
		d2 := math.Inf(1)
		for _, c := range m.centers[k*m.grains : (k+1)*m.grains] {
			dy, dx := u-c[0], v-c[1]
			d2 = min(d2, dy*dy+dx*dx)
		}
		l := -d2 * m.invH2
		for _, w := range m.waves[k*mapModes : (k+1)*mapModes] {
			l += mapModeAmp * w.at(u, v)
		}
		l *= m.sharp
		dst[k] = l
		hi = max(hi, l)
	}
	var sum float64
	for k := range m.k {
		dst[k] = math.Exp(dst[k] - hi)
		sum += dst[k]
	}
	for k := range m.k {
		dst[k] /= sum
	}
}

// thickness returns the relative thickness at frame f, in [1-a, 1+a].
func (m *maps) thickness(f int) float64 {
	u, v := m.coords(f)
	var t float64
	for _, w := range m.thick {
		t += w.at(u, v)
	}
	return 1 + m.thickA*t/thickModes
}

// Phases are drawn once per Source, in units of L = min(dy, dx), so that a seed gives the
// same crystals at any detector size.
const (
	refSize     = 64   // side of the reference detector on which lattices are compared
	maxCorr     = 0.35 // largest accepted correlation of two phases' Bragg images there
	maxAttempts = 64   // lattice draws per phase before the least correlated one is taken
)

// reflection is a Bragg disk at g = (gy, gx) from the pattern center (units of L), weight w.
type reflection struct{ gy, gx, w float64 }

// phase is the diffraction model of one phase.
type phase struct {
	q0       float64 // background halo width (units of L)
	fBF, fBG float64 // fractions of the electrons in the central disk and the halo
	refl     []reflection
}

// drawLattice draws one lattice and the weights of its reflections: lattice vectors g1, g2
// with |g1| in [0.14, 0.22)·L, |g2|/|g1| in [1, 1.5), angle 60..90°, any orientation; the
// reflections g = i·g1 + j·g2 ≠ 0 with |g| < maxG·L, weights exp(−|g|²/2σ²)·U(0.2, 1) equal
// for g and −g (Friedel's law), σ in [0.18, 0.28)·L.
func drawLattice(s *rng.Stream) []reflection {
	a1 := minLattice + (maxLattice-minLattice)*s.Float64()
	a2 := a1 * (1 + (maxAspect-1)*s.Float64())
	gamma := math.Pi/3 + (math.Pi/2-math.Pi/3)*s.Float64()
	theta := 2 * math.Pi * s.Float64()
	sigma := 0.18 + 0.10*s.Float64()
	s1, c1 := math.Sincos(theta)
	s2, c2 := math.Sincos(theta + gamma)
	g1 := [2]float64{a1 * s1, a1 * c1}
	g2 := [2]float64{a2 * s2, a2 * c2}
	// Lattice points in the half-plane (i > 0, or i == 0 and j > 0), each with its Friedel
	// mate. |i·g1 + j·g2| ≥ |i|·|g1|·sin γ and ≥ |j|·|g2|·sin γ ≥ |j|·|g1|·sin γ, so
	// |i|, |j| ≤ maxG/(a1·sin γ) bound the search.
	lim := int(math.Ceil(maxG / (a1 * math.Sin(gamma))))
	var refl []reflection
	for i := 0; i <= lim; i++ {
		for j := -lim; j <= lim; j++ {
			if i == 0 && j <= 0 {
				continue
			}
			gy := float64(i)*g1[0] + float64(j)*g2[0]
			gx := float64(i)*g1[1] + float64(j)*g2[1]
			g := math.Hypot(gy, gx)
			if g >= maxG {
				continue
			}
			w := math.Exp(-g*g/(2*sigma*sigma)) * (0.2 + 0.8*s.Float64())
			refl = append(refl, reflection{gy, gx, w}, reflection{-gy, -gx, w})
		}
	}
	return refl
}

// drawPhases draws the K phases. Phase k uses the stream (seed, SynthPattern, k): first its
// halo width and fractions, then lattices until one's Bragg image on the refSize reference
// detector has a correlation of at most maxCorr with every earlier phase's (at most
// maxAttempts draws; then the draw with the smallest largest correlation). Phase k thus
// depends on the seed and phases 0..k−1 only, not on K or the detector size.
func drawPhases(p Params) []phase {
	phases := make([]phase, p.Phases)
	refs := make([][]float64, 0, p.Phases) // centred, unit-norm reference Bragg images
	var s rng.Stream
	for k := range phases {
		s.Reset(p.Seed, rng.SynthPattern, uint64(k))
		ph := &phases[k]
		ph.q0 = 0.10 + 0.10*s.Float64()
		ph.fBF = minBF + (maxBF-minBF)*s.Float64()
		ph.fBG = minBG + (maxBG-minBG)*s.Float64()
		var best []float64
		bestCorr := math.Inf(1)
		for range maxAttempts {
			refl := drawLattice(&s)
			img := make([]float64, refSize*refSize)
			bragg(img, refSize, refSize, refl)
			standardize(img)
			c := math.Inf(-1)
			for _, r := range refs {
				c = max(c, dot(img, r))
			}
			if c < bestCorr {
				bestCorr, best, ph.refl = c, img, refl
			}
			if c <= maxCorr {
				break
			}
		}
		refs = append(refs, best)
	}
	return phases
}

// bragg adds the Bragg disks of refl to img (dy×dx).
func bragg(img []float64, dy, dx int, refl []reflection) {
	l := float64(min(dy, dx))
	cy, cx := float64(dy)/2, float64(dx)/2
	for _, g := range refl {
		disk(img, dy, dx, cy+g.gy*l, cx+g.gx*l, diskRadius*l, g.w)
	}
}

// standardize subtracts the mean of x and scales it to unit norm (if it is not constant).
func standardize(x []float64) {
	m := sum(x) / float64(len(x))
	var ss float64
	for i := range x {
		x[i] -= m
		ss += x[i] * x[i]
	}
	if ss > 0 {
		inv := 1 / math.Sqrt(ss)
		for i := range x {
			x[i] *= inv
		}
	}
}

func dot(x, y []float64) float64 {
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// patternTo renders the unit-scaled diffraction pattern of ph (dy·dx values summing to 1)
// into dst.
//
// The pattern is fBF·BF + fBragg·Bragg + fBG·halo, each term normalised to sum 1 over the
// detector, fBragg = 1 − fBF − fBG: BF is the central disk, Bragg the reflections' disks, and
// the halo (1 + q²/q0²)^−1.5 with q the distance from the center. A term that falls entirely
// off the detector (tiny detectors) gives its share to the halo.
func patternTo(dst []float64, dy, dx int, ph phase) {
	l := float64(min(dy, dx))
	cy, cx := float64(dy)/2, float64(dx)/2
	q0 := ph.q0 * l
	fBF, fBG := ph.fBF, ph.fBG
	fBragg := 1 - fBF - fBG

	bf := make([]float64, len(dst))
	br := make([]float64, len(dst))
	bg := make([]float64, len(dst))
	disk(bf, dy, dx, cy, cx, diskRadius*l, 1)
	bragg(br, dy, dx, ph.refl)
	for y := range dy {
		for x := range dx {
			qy, qx := float64(y)+0.5-cy, float64(x)+0.5-cx
			q2 := (qy*qy + qx*qx) / (q0 * q0)
			bg[y*dx+x] = 1 / ((1 + q2) * math.Sqrt(1+q2))
		}
	}
	sbf, sbr, sbg := sum(bf), sum(br), sum(bg)
	if sbf == 0 {
		fBG, fBF = fBG+fBF, 0
	}
	if sbr == 0 {
		fBG, fBragg = fBG+fBragg, 0
	}
	for i := range dst {
		var v float64
		if fBF > 0 {
			v += fBF * bf[i] / sbf
		}
		if fBragg > 0 {
			v += fBragg * br[i] / sbr
		}
		dst[i] = v + fBG*bg[i]/sbg
	}
	// Make the sum 1 up to the rounding of this division.
	t := sum(dst)
	for i := range dst {
		dst[i] /= t
	}
}

// disk adds w times an antialiased disk of radius r centred at (cy, cx) to img (dy×dx, pixel
// (y, x) centred at (y+0.5, x+0.5)): coverage clamp(r − distance + 0.5, 0, 1).
func disk(img []float64, dy, dx int, cy, cx, r, w float64) {
	y0 := max(0, int(math.Floor(cy-r-1)))
	y1 := min(dy, int(math.Ceil(cy+r+1)))
	x0 := max(0, int(math.Floor(cx-r-1)))
	x1 := min(dx, int(math.Ceil(cx+r+1)))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			d := math.Hypot(float64(y)+0.5-cy, float64(x)+0.5-cx)
			c := min(1, r-d+0.5)
			if c > 0 {
				img[y*dx+x] += w * c
			}
		}
	}
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}
