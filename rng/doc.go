// Package rng is the counter-based random number generator behind every random choice in
// stemreduce.
//
// A Stream is keyed by (seed, purpose, index): the index is a global quantity such as a
// frame index, a column of a Gaussian test matrix or an (epoch, edge) pair, never a rank.
// The n-th value of a stream is a pure function of the key and n, so work can be split over
// any number of ranks and goroutines and every value is still the same. The mixing function
// is SplitMix64's finaliser applied twice over the key and counter (Steele, Lea & Flood
// 2014, "Fast splittable pseudorandom number generators").
//
// Stream implements math/rand/v2's Source, so rand.New(s) and gonum's distributions can use
// it; the methods here (Float64, Normal, Poisson) are the ones stemreduce relies on for
// reproducible bits and are fixed by this package's tests.
package rng
