// Package h5 reads 4D-STEM frames from HDF5 files by hyperslab and writes
// result files atomically. It is the only package of stemreduce that imports
// gonum.org/v1/hdf5 and calls the HDF5 C library, and it imports nothing from
// stemreduce: it takes plain [beg, end) frame ranges and float slices.
//
// # Input layout
//
// Open reads one dataset of an HDF5 file. Dimension order is C order, the last
// axis fastest, as h5py, HyperSpy and LiberTEM write it:
//
//	rank  on-disk shape                nav (scan)         sig           frames
//	3     (N, detY, detX)              (N)                (detY, detX)  N
//	4     (scanY, scanX, detY, detX)   (scanY, scanX)     (detY, detX)  scanY*scanX
//	5+    (..., detY, detX)            the leading axes   (detY, detX)  product of nav
//	                                   longer than 1, at most two; (1) if none
//	      e.g. (1, 64, 64, 32, 32)  -> nav (64, 64)
//	           (64, 1, 64, 32, 32)  -> nav (64, 64)
//	           (1, 1, 4096, 32, 32) -> nav (4096)
//
//	rejected, with an error naming file and dataset:
//	  rank 0 to 2; rank 5 and more with more than two leading axes longer than 1;
//	  any axis of length 0 (an empty dataset) or a null dataspace;
//	  dtypes other than those below: strings, compound, enum, array, float16, ...;
//	  filters the HDF5 library cannot decode (a missing plugin).
//
// Accepted dtypes, little- or big-endian (HDF5 swaps bytes on read):
// uint8, uint16, uint32, uint64, int8, int16, int32, int64, float32, float64.
// Any storage is read: contiguous, compact, chunked (with gzip, shuffle, szip or
// any filter whose plugin HDF5 finds through HDF5_PLUGIN_PATH) and virtual.
//
// A dataset is named as "/experiment/data" (or "experiment/data"). With an empty
// name, Open takes the one dataset of the file with 3 or 4 axes longer than 1
// and a numeric dtype, and otherwise returns an error listing the candidates:
//
//	h5: "scan.h5" has 2 candidate datasets, choose one with scan.h5:/path: /a (64, 64, 32, 32), /b (10, 32, 32)
//
// # Frames and hyperslabs
//
// Frame i is the i-th scan position in row-major order: for a 4-D dataset frame
// i is scan position (i / scanX, i % scanX). Reader.ReadFloat32 and ReadFloat64
// read frames [beg, end) into dst, frame after frame, each frame row-major
// (detY, detX). For a 3-D dataset the range is one hyperslab,
// start (beg, 0, 0) and count (end-beg, detY, detX). For a 4-D dataset it is cut
// into at most three rectangles of the scan, read in order:
//
//	rows r0 = beg/scanX, r1 = end/scanX; columns c0 = beg%scanX, c1 = end%scanX
//	r0 == r1:  row r0, columns [c0, c1)
//	else:      row r0, columns [c0, scanX)       when c0 > 0 (then r0++)
//	           rows [r0, r1), all columns        when r1 > r0
//	           row r1, columns [0, c1)           when c1 > 0
//
// Each rectangle is an H5Dread whose memory space has the rectangle's own shape;
// axes of length 1 get start 0 and count 1.
//
// Conversion: a read fills a reused buffer of the native dtype, in pieces of
// about 1 MiB, and converts each piece with a C loop. Measured on this project's
// 2-core machine, reading a 512 MiB uint16 dataset (64, 64, 256, 256) from the
// page cache as float32, 64 frames (8 MiB) per call, mean of 5 runs:
//
//	native read + C loop (chosen)        124 ms   4.0 GiB/s of uint16
//	native read + Go loop                162-205 ms   2.4-3.1 GiB/s
//	H5Dread into H5T_NATIVE_FLOAT        201 ms   2.5 GiB/s
//	uint16 read alone, no conversion      71 ms   7.0 GiB/s
//
// With 8 frames per call the C path takes 115 ms; with the whole dataset in one
// call (a 1 GiB float32 destination) 205 ms, against 275 ms for HDF5's
// conversion. BenchmarkReadFloat32 and BenchmarkRead512MiB hold these
// measurements.
//
// Chunked datasets: Reader.FramesPerChunk tells the run of frames that reads
// should be aligned to; pieces are cut at multiples of it, so an aligned read
// decodes every chunk once. Open also sizes the dataset's chunk cache
// (H5Pset_chunk_cache) to hold every chunk one such run touches, between 1 MiB
// and 256 MiB, so that reads shorter than a run do not decode a chunk again:
// reading a gzip dataset frame by frame is then about 10 times faster than with
// HDF5's default 1 MiB cache.
//
// # Rows of result datasets
//
// File.ReadRowsFloat64 reads rows [beg, end) of a result dataset whose first nav
// axes are the scan, such as /pca/scores (sy, sx, K) with nav = 2: row i is scan
// position i in row-major order and holds the rest of the dataset (K values).
// The range is cut into at most 2·nav − 1 boxes of the nav axes (the tail of the
// first scan row, the whole rows, the head of the last), selected together and
// read by one H5Dread in the dataset's C order, so a rank reads only its own
// rows. File.Dims gives the dimensions without reading.
//
// # Output and atomic writes
//
// Create writes to path+".tmp"; Writer.Commit closes the file, syncs it and
// renames it to path, and Writer.Abort removes it. A reader of path sees no file
// or a complete one, never a partial one. Datasets are written little-endian
// (WriteFloat64, WriteFloat32, WriteInt64, WriteStrings; CreateDataset and
// WDataset.WriteRows for large datasets, optionally chunked, gzip-compressed or
// big-endian); missing groups are created. Attributes (SetAttr) are int64,
// float64 or variable-length UTF-8 strings, scalar or 1-D, as h5py writes them.
// File, ReadFloat64Dataset and ReadAttr read such files back.
//
// # Threads
//
// HDF5 builds are not necessarily thread-safe (Debian's libhdf5-dev is built
// thread-safe, many cluster builds are not), and a thread-safe build keeps its
// error stack and its error-printing switch per OS thread. Package h5 therefore
// makes every HDF5 call under one package lock, with the goroutine pinned to its
// OS thread, and switches HDF5's error printing off on that thread first: HDF5
// prints nothing on stderr, and errors carry HDF5's own message instead. Readers,
// Writers and Files may be used from any goroutine, but their calls do not run in
// parallel; a program gains nothing by reading from several goroutines and
// should make its HDF5 calls from one.
//
// # Errors and panics
//
// Errors are one line that names the file and the dataset, for example
//
//	h5: could not open "scan.h5": the file is truncated (unable to open file: truncated file: eof = 7792, ...)
//	h5: dataset "/data" in "scan.h5" has 2 dimensions (64, 64); want (frames, detY, detX) or ...
//	h5: invalid frame range [10, 5) for 4096 frames
//	h5: could not create output "/ro/out.h5": directory "/ro" is not writable (permission denied)
//
// A dst or data slice of the wrong length, or of an unsupported type, is a
// programmer error and panics with a message starting "h5: ".
//
// # Building
//
// cgo needs the HDF5 include and library paths from the environment; none is
// written in the source. On Debian:
//
//	export CGO_CFLAGS="$(pkg-config --cflags hdf5)"
//	export CGO_LDFLAGS="$(pkg-config --libs hdf5) -lhdf5_hl"
//
// elsewhere, the paths from h5cc -show. gonum.org/v1/hdf5 links -lhdf5 -lhdf5_hl.
package h5
