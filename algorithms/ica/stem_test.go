package ica_test

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/stemreduce/stemreduce/algorithms/ica"
	"github.com/stemreduce/stemreduce/algorithms/pca"
	"github.com/stemreduce/stemreduce/io/synth"
)

// disk is a Gaussian disk on the detector.
type disk struct{ y, x, sigma, amp float64 }

// pattern renders disks on a dy×dx detector, row-major.
func pattern(dy, dx int, disks ...disk) []float64 {
	p := make([]float64, dy*dx)
	for y := range dy {
		for x := range dx {
			for _, d := range disks {
				r2 := (float64(y)-d.y)*(float64(y)-d.y) + (float64(x)-d.x)*(float64(x)-d.x)
				p[y*dx+x] += d.amp * math.Exp(-r2/(2*d.sigma*d.sigma))
			}
		}
	}
	return p
}

// TestDiffractionMaps checks the use case: independent non-Gaussian source maps (Laplace,
// exponential, uniform) over a 64×64 scan, each modulating its own diffraction-like
// pattern of Gaussian disks on a 16×16 detector; the patterns overlap (they share the
// central disk), and the frames carry a constant bright-field offset and small Gaussian
// noise. ICA on the top three principal components recovers the maps; the principal
// component scores themselves are rotations of them and do not.
func TestDiffractionMaps(t *testing.T) {
	const sy, sx, dy, dx = 64, 64, 16, 16
	n, d := sy*sx, dy*dx
	ds := []dist{laplace, exponential, uniform}
	truth := sources(n, ds, 11)
	c := 7.5 // detector centre
	pats := [][]float64{
		pattern(dy, dx, disk{c, c, 2, 1.0}, disk{c - 4, c + 4, 1.3, 1.0}, disk{c + 4, c - 4, 1.3, 1.0}),
		pattern(dy, dx, disk{c, c, 2, 0.8}, disk{c - 4, c - 4, 1.3, 1.0}, disk{c + 4, c + 4, 1.3, 1.0}),
		pattern(dy, dx, disk{c, c, 2, 0.9}, disk{c - 4, c + 4, 1.3, 0.7}, disk{c, c + 5, 1.3, 1.0}),
	}
	a := mat.NewDense(d, len(ds), nil)
	for j, p := range pats {
		for i, v := range p {
			a.Set(i, j, v)
		}
	}
	// Offset: a bright central disk of 10 counts on a background of 1.
	offset := pattern(dy, dx, disk{c, c, 2.5, 10})
	for i := range offset {
		offset[i]++
	}
	// Noise of 0.02 per pixel against source contributions of order 1 per disk pixel.
	data := mixFrames(truth, a, offset, 0.02, 11)

	settings := []ica.Settings{{Seed: 1}, {Algorithm: ica.Deflation, Seed: 1}, {Fun: ica.Exp, Seed: 1}, {Fun: ica.Cube, Seed: 1}}
	var first fits
	for _, p := range []int{1, 4} {
		got := runFits(t, p, memSource{data, d}, n, d, 0, pca.Settings{K: len(ds)}, settings)
		if p == 1 {
			first = got
			continue
		}
		for i := range settings {
			if !sameResult(got.ica[i][0], first.ica[i][0]) || !denseBits(got.sources[i], first.sources[i]) {
				t.Errorf("%s: P=%d differs from P=1", name(settings[i]), p)
			}
		}
	}
	pcaCorr, _ := matchCorr(first.scores, truth)
	t.Logf("PCA (%v) scores: matched |ρ| %.4f", first.pca[0].Solver, pcaCorr)
	// Plain PCA must fail the 0.99 bar that ICA passes, or the test shows nothing.
	if minOf(pcaCorr) >= 0.99 {
		t.Errorf("PCA scores already match the maps: %.4f", pcaCorr)
	}
	for i, s := range settings {
		res := first.ica[i][0]
		corr, partner := matchCorr(first.sources[i], truth)
		t.Logf("%s: %v after %d iterations; matched |ρ| %.5f (sources %v)", name(s), res.Status, res.NIter, corr, partner)
		// The noise (0.02 per pixel, 256 pixels) is about 1e-4 of the signal variance
		// in the leading components, so the matched correlations are limited by the
		// O(1/N) estimation error: measured ≥ 0.999.
		if minOf(corr) < 0.99 {
			t.Errorf("%s: source maps matched at %.4f, want ≥ 0.99", name(s), corr)
		}
		if res.Status != ica.Converged {
			t.Errorf("%s: %v", name(s), res.Status)
		}
		// The factor of each source is its pattern up to scale: positive (the sign
		// convention) and correlated with the true pattern.
		fc, _ := matchCorr(res.Factors.T(), a)
		if minOf(fc) < 0.99 {
			t.Errorf("%s: factors matched to the patterns at %.4f", name(s), fc)
		}
	}
}

// TestSynth reports how well ICA and PCA recover the phase-abundance maps of the
// synthetic 4D-STEM source. Abundances sum to one, so they are not independent and no
// threshold applies; the numbers are for the record.
func TestSynth(t *testing.T) {
	p, err := synth.Parse("scan=32x32,det=24x24,phases=4,seed=1")
	if err != nil {
		t.Fatal(err)
	}
	src := synth.New(p)
	defer src.Close()
	sh := src.Shape()
	n, d := sh.N(), sh.D()
	k := p.Phases
	ab := mat.NewDense(n, k, src.Abundances())
	for _, kk := range []int{k - 1, k} {
		settings := []ica.Settings{{K: kk, Seed: 1}, {K: kk, Algorithm: ica.Deflation, Seed: 1}, {K: kk, Fun: ica.Exp, Seed: 1}, {K: kk, Fun: ica.Cube, Seed: 1}}
		got := runFits(t, 2, src, n, d, 0, pca.Settings{K: kk, Seed: 1}, settings)
		t.Logf("K=%d PCA (%v) scores: %s", kk, got.pca[0].Solver, phaseMatch(got.scores, ab))
		for i, s := range settings {
			res := got.ica[i][0]
			t.Logf("K=%d ICA %s (%v after %d iterations): %s", kk, name(s), res.Status, res.NIter, phaseMatch(got.sources[i], ab))
		}
	}
}

// phaseMatch describes how well the columns of est match the abundance maps: the matched
// absolute correlations (one estimate per phase, best sum) when there are as many
// estimates as phases, and in any case the best absolute correlation of every phase with
// any estimate.
func phaseMatch(est, truth mat.Matrix) string {
	_, ke := est.Dims()
	_, kt := truth.Dims()
	s := fmt.Sprintf("best |ρ| per phase %.3f", bestPerTruth(est, truth))
	if ke >= kt {
		corr, _ := matchCorr(est, truth)
		s = fmt.Sprintf("matched |ρ| %.3f (min %.3f), %s", corr, minOf(corr), s)
	}
	return s
}

// bestPerTruth returns, for every column of truth, the largest absolute correlation with
// any column of est (with fewer estimates than phases a matching would leave phases out).
func bestPerTruth(est, truth mat.Matrix) []float64 {
	c := absCorr(est, truth)
	r, k := c.Dims()
	out := make([]float64, k)
	for j := range k {
		for i := range r {
			out[j] = math.Max(out[j], c.At(i, j))
		}
	}
	return out
}
