package input

import (
	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/io/npy"
)

// h5Reader adapts an HDF5 reader to dataset.Dataset.
type h5Reader struct{ *h5.Reader }

func (r h5Reader) Shape() dataset.Shape { return dataset.Shape{Nav: r.Nav(), Sig: r.Sig()} }

func (r h5Reader) Info() dataset.Info {
	return dataset.Info{
		Path:           r.File() + ":" + r.Dataset(),
		Format:         "hdf5",
		Dtype:          r.Dtype(),
		ByteOrder:      r.ByteOrder(),
		Dims:           r.Dims(),
		Chunks:         r.Chunks(),
		Compression:    r.Compression(),
		FramesPerChunk: r.FramesPerChunk(),
	}
}

// npyReader adapts a NumPy reader to dataset.Dataset.
type npyReader struct{ *npy.Reader }

func (r npyReader) Shape() dataset.Shape { return dataset.Shape{Nav: r.Nav(), Sig: r.Sig()} }

func (r npyReader) Info() dataset.Info {
	return dataset.Info{
		Path:           r.File(),
		Format:         "npy",
		Dtype:          r.Dtype(),
		ByteOrder:      r.ByteOrder(),
		Dims:           r.Dims(),
		FramesPerChunk: 1,
	}
}
