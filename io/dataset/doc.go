// Package dataset is the one way stemreduce reads 4D-STEM data, whatever the source.
//
// A Dataset is N frames of D = dy·dx detector pixels, in row-major scan order. The
// package io/input opens one from an input spec such as scan.h5:/data or synth:.
//
// Readers convert to float32 or float64 on the way in. ReadFloat32 and ReadFloat64 read a
// half-open frame range [beg, end) and may be called for any range, in any order; a caller
// streaming a partition reads whole tiles that start on a FramesPerChunk boundary where it
// can.
package dataset
