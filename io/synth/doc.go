// Package synth is the synthetic 4D-STEM source: the dataset stemreduce runs on when it is
// given no file, and the ground truth that the tests of PCA, ICA, NMF, UMAP and clustering
// measure their results against.
//
// A Source is a scan of sy×sx probe positions over a specimen of K crystalline phases, with a
// dy×dx diffraction pattern at each position. Any frame can be generated alone, from the
// parameters and its index, so every rank generates its own frame range, in any pieces, and
// gets the same bits.
//
// # Spec and parameters
//
// Parse reads the text after "synth:" in an input spec, comma-separated KEY=VALUE items:
//
//	key     value                      default   meaning
//	scan    SYxSX, 1..65536 each       64x64     scan shape (nav)
//	det     DYxDX, 1..65536 each       64x64     detector shape (sig)
//	phases  1..16                      4         number of phases K
//	dose    (0, 1e9]                   1000      mean electrons per frame at unit thickness
//	seed    unsigned 64-bit integer    1         seed of every random choice
//	noise   poisson | none             poisson   Poisson counts, or the exact expected frames
//	thick   [0, 1)                     0.3       thickness modulation amplitude a
//	sharp   (0, 1000]                  8         grain-boundary sharpness
//	grains  1..64                      2         grains per phase
//
// The default dose is low-dose 4D-STEM as a direct electron detector records it: on the
// default 64×64 detector a frame holds about 1000 electrons, the central disk 10–14 counts per
// pixel, the brightest Bragg disks about 1.4, the diffuse background 0.02–0.03. Single frames
// are visibly shot-noise limited, with the disks still apparent; a few frames of one grain
// show the lattice clearly. On a 128×128 detector the same electrons spread over four times
// the pixels.
//
// # Model
//
// All lengths on the detector are in units of L = min(dy, dx), so a seed gives the same
// crystals at any detector size. Pixel (y, x) covers [y, y+1)×[x, x+1) and the pattern
// center is (dy/2, dx/2).
//
// Phase k's pattern P_k sums to 1 (one electron) and is
//
//	P_k = fBF·disk(0) + fBragg·Σ_g w_g·disk(g) + fBG·halo,   fBF + fBragg + fBG = 1,
//
// each of the three terms normalised to sum 1 on the detector. disk(g) is an antialiased
// disk of radius 0.055·L centred at g (coverage clamp(r − distance + 1/2, 0, 1)): the
// central bright-field disk at g = 0, and the Bragg disks at the lattice points g = i·g1 +
// j·g2 ≠ 0 with |g| < 0.72·L. The lattice vectors have |g1| in [0.14, 0.22)·L, |g2|/|g1| in
// [1, 1.5), an angle of 60–90° between them and any orientation; the weights are
// w_g = exp(−|g|²/2σ²)·U(0.2, 1), σ in [0.18, 0.28)·L, equal for g and −g (Friedel's law).
// The halo is the diffuse background (1 + q²/q0²)^−1.5 at distance q from the center,
// q0 in [0.1, 0.2)·L. fBF is drawn in [0.35, 0.55), fBG in [0.08, 0.2). A term that falls off
// a tiny detector entirely gives its share to the halo.
//
// Phases are made distinct: phase k draws lattices until its Bragg image on a 64×64
// reference detector correlates at most 0.35 with that of every earlier phase (at most 64
// draws, then the least correlated). Phase k thus depends on the seed and on phases 0..k−1,
// not on K: the first phases of "phases=8" are those of "phases=4".
//
// The abundance maps a_k(y, x) are a soft Voronoi tessellation. Scan coordinates are
// u = (y+½)/S, v = (x+½)/S with S = max(sy, sx), so grains are round on any scan shape and
// look the same at any scan resolution. Phase k has `grains` centers uniform over the scan
// and two plane waves cos(2π(fy·u + fx·v) + φ) with frequencies of 0.5–1.5 cycles per scan
// width; with d_k the distance to phase k's nearest center and h² = area/(K·grains),
//
//	a_k = softmax_k( sharp·(−d_k²/h² + 0.2·Σ waves) ),
//
// so every a_k ≥ 0, Σ_k a_k = 1, one phase dominates inside each grain, and the boundaries
// are mixed over a band about 2/sharp of the grain spacing wide.
// The relative thickness is t(y, x) = 1 + a·(mean of three such waves), within [1−a, 1+a].
//
// The expected frame at scan position f = y·sx + x is
//
//	λ_f = dose · t(y, x) · Σ_k a_k(y, x)·P_k
//
// (summed over k in order), and with noise=poisson each pixel is an independent Poisson count
// with mean λ_f. Frames are then whole electron counts, reported as Dtype "uint32" (below
// 2^32 because dose ≤ 1e9 and t < 2); with noise=none they are λ_f itself, Dtype "float64".
// Abundances, Patterns and Thickness return a_k, P_k and t, the ground truth.
//
// # Random streams
//
// Every draw comes from package rng, keyed by (seed, purpose, index):
//
//	(seed, SynthPattern, k)      phase k: q0, fBF, fBG, then lattices (a1, a2, angle,
//	                             orientation, σ, one weight per Friedel pair)
//	(seed, SynthMap, k)          phase k: grain centers, then its two waves
//	(seed, SynthMap, 2^32)       the thickness waves
//	(seed, SynthFrame, f)        the noise of frame f: one uniform per pixel with λ < 30, in
//	                             row-major order (rng's PTRS draws more for λ ≥ 30)
//
// The counts are exactly rng.Stream.Poisson's; a shortcut skips e^−λ when the uniform alone
// decides a zero count. A test pins the counts of a small dataset: a change to the model, the
// order of draws or package rng shows up there.
//
// # Cost
//
// The patterns are drawn once per Source, on first use (K·dy·dx values). A frame then costs
// K multiply-adds and one uniform per pixel. On one core of the 2-core development machine a
// 128×128 detector runs at about 9000 frames/s with noise (the 128×128×128×128 benchmark
// dataset in under 2 s) and 33 000 without; see BenchmarkReadFloat32Det128.
package synth
