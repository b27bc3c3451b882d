// Package moments computes per-pixel statistics of a stack of frames in one pass: sum,
// mean, variance (population and sample), standard deviation, minimum and maximum.
//
// A Partial summarises a block of frames. Inside a block, one pass in frame order sums the
// deviations from the block's first frame and their squares (the shifted-data algorithm:
// the shift is a sample of the same distribution, so the subtraction M2 = S2 − S1²/n loses
// almost nothing), and takes the minimum and maximum in the input precision. Partials of disjoint blocks are combined with the pairwise update
// of Chan, Golub & LeVeque (1979), as analysed by Schubert & Gertz (2018, "Numerically
// stable parallel computation of (co-)variance"):
//
//	n = nA + nB,  δ = meanB − meanA,  mean = meanA + δ·nB/n,  M2 = M2A + M2B + δ²·nA·nB/n
//
// Merge is applied along the canonical block tree (collective.Accumulator), so the result
// has the same bits for any number of ranks. Sums, means and M2 are float64 whatever the
// input type.
package moments
