// Package moments computes per-pixel statistics of a stack of frames in one pass: sum,
// mean, variance (population and sample), standard deviation, minimum and maximum.
//
// A Partial summarises a block of frames. Inside a block the mean and the sum of squared
// deviations (M2) are computed with two passes over the block's frames, which are in
// memory, in frame order. Partials of disjoint blocks are combined with the pairwise update
// of Chan, Golub & LeVeque (1979), as analysed by Schubert & Gertz (2018, "Numerically
// stable parallel computation of (co-)variance"):
//
//	n = nA + nB,  δ = meanB − meanA,  mean = meanA + δ·nB/n,  M2 = M2A + M2B + δ²·nA·nB/n
//
// Merge is applied along the canonical block tree (collective.Accumulator), so the result
// has the same bits for any number of ranks. Sums, means and M2 are float64 whatever the
// input type.
package moments
