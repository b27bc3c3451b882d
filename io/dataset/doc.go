// Package dataset is the one way stemreduce reads 4D-STEM data, whatever the source.
//
// A Dataset is N frames of D = dy·dx detector pixels, in row-major scan order. Open parses
// an input spec and picks the reader:
//
//	synth:scan=64x64,det=64x64,phases=4,dose=1000,seed=1   the synthetic source (io/synth)
//	scan.npy                                             a NumPy array (io/npy)
//	scan.h5:/experiment/data                             an HDF5 dataset (io/h5)
//	scan.h5                                              the one 3-D/4-D dataset in the file
//
// Readers convert to float32 or float64 on the way in. ReadFloat32 and ReadFloat64 read a
// half-open frame range [beg, end) and may be called for any range, in any order; a caller
// streaming a partition reads whole tiles that start on a FramesPerChunk boundary where it
// can.
package dataset
