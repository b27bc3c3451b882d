// Package preprocess turns the frames of a 4D-STEM dataset into the rows of the matrix a
// decomposition works on: it selects scan positions (a region of interest), crops and
// bins the detector, transforms and normalises intensities, and can keep a rank's
// preprocessed frames in memory between passes. Every step is an spmd.Source wrapped
// around the input, so the algorithms downstream (package pca) see a dataset of the new
// shape and never know about it.
//
// # Order and formulas
//
// For an input frame x (dy×dx float32 values) the per-frame steps of a Pipeline are, in
// this order, all in float64 and rounded to float32 once at the end:
//
//	crop       keep pixels [y0, y1) × [x0, x1) (Settings.Crop; the whole detector if zero)
//	bin        sum each b×b square of the cropped frame: (y1−y0)/b × (x1−x0)/b pixels; b
//	           must divide both sides (Settings.Bin; summing keeps counts counts, as
//	           HyperSpy's rebin does)
//	transform  x ← √x (needs x ≥ 0) or x ← log(1 + x) (needs x > −1)   (Settings.Transform)
//	total      x ← x / Σ_j x_j, the frame's total after the transform; a zero total is an
//	           error                                                    (Normalize = Total)
//
// Then, not per frame, Poisson normalisation (Normalize = Poisson) as in HyperSpy's
// decomposition(normalize_poissonian_noise=True) after Keenan & Kotula (2004):
//
//	x_fj ← x_fj / (√a_f · √b_j),   a_f = Σ_j x_fj (frame totals), b_j = Σ_f x_fj (pixel totals)
//
// over the frames of the region of interest, with 0 where a_f = 0 or b_j = 0 (HyperSpy's
// nan_to_num of 0/0; we also give 0 for x/0 with x ≠ 0, which only data with negative
// values can produce, where HyperSpy gives ±1.8e308). A negative total is an error, as in
// HyperSpy. The pixel totals need the whole dataset, so Poisson normalisation costs one
// pass of its own (PoissonTotals); the frame totals are kept per rank from that pass.
// Centring, if any, is the decomposition's business and comes last.
//
// # Region of interest
//
// Source takes an increasing list of input frame indices and presents them as frames
// 0..n−1 of a dataset of their own. A fit over an ROI therefore runs on an spmd.Plan of n
// frames: blocks, partitions and the block tree are those of the selected frames, every
// rank gets a balanced share of them, and the result is the decomposition of those rows
// only (no weights, no frames of zeros). The caller maps row i back to scan position
// index[i] and leaves the others out (NaN scores).
//
// # Cache
//
// Cache keeps one rank's partition of preprocessed frames (4 bytes per value) after the
// first pass that reads it in order; later passes copy from memory. With Poisson
// normalisation, the pass of PoissonTotals fills the cache and Cache.Apply then scales
// the cached frames in place, once; without a cache, PoissonScale.Source scales every
// frame as it is read. Both compute each value with the same expression, so the bits are
// the same.
//
// # Errors
//
// A frame that holds a NaN or an infinity, a pixel outside the transform's domain, a zero
// total under total normalisation and a negative total under Poisson normalisation are
// invalid input (exit code 3): a *FrameError names the input frame (its index in scan
// order and its scan position) and, where it applies, the pixel; a *PixelError names a
// pixel with a negative total. A Source reports the first bad frame of a read, and a pass
// (spmd.Stream, spmd.Reduce) stops at the first failing read of a rank, so the error the
// ranks agree on (that of the lowest failing rank) names the first bad frame of the
// dataset. New reports a crop that does not lie on the detector (ErrCrop) or a bin that
// does not divide it (ErrBin) before any frame is read.
//
// # Determinism
//
// Every preprocessed value depends on its input frame, the settings and, for Poisson
// normalisation, the pixel totals, which are summed per block and combined along the
// canonical block tree: the bits are the same for any number of ranks and any grouping
// of frames into reads.
package preprocess
