// Package input opens the dataset an input spec names and adapts every reader to
// dataset.Dataset:
//
//	synth:scan=64x64,det=64x64,phases=4,dose=1000,seed=1   the synthetic source (io/synth)
//	scan.npy                                             a NumPy array (io/npy)
//	scan.h5:/experiment/data                             an HDF5 dataset (io/h5)
//	scan.h5                                              the one 3-D/4-D dataset in the file
//
// It is the only package that knows every reader; readers import nothing from stemreduce
// but io/dataset's types.
package input
