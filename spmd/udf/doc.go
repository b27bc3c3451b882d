// Package udf is stemreduce's user-defined-function framework, after LiberTEM's UDF
// interface: a scientist writes the per-frame (or per-tile) math and a merge; the engine
// does the partitioning, the parallelism, the merging and the output.
//
// A UDF declares result buffers (Spec), each of a kind:
//
//	Nav     one entry per frame (a scan-shaped map)  kept per rank, gathered at the end
//	Sig     one entry per detector pixel             merged along the block tree
//	Single  one entry for the whole pass             merged along the block tree
//
// with an extra shape per entry and a dtype (Float64, Float32, Int64), and implements
// exactly one of ProcessFrame, ProcessTile (the frames of one block at a time) and
// ProcessPartition (every frame of the rank at once). Optional Init sets the starting
// values of a fresh partial, optional Finalize runs after the merge.
//
// # Determinism
//
// Frames are grouped in blocks (spmd.Plan). For every block the engine makes a fresh
// partial of the sig and single buffers, runs the UDF on the block's frames in order, and
// combines the partials with the UDF's Merge along the canonical block tree
// (collective.Accumulator). Merge must be associative; the engine fixes the order. So sig
// and single results have the same bits for any number of ranks and threads, and a UDF
// written per frame or per tile gives the same bits when its arithmetic is the same. A
// partition UDF makes one partial per rank: its results are reproducible for a fixed
// number of ranks, and for any number only when its Merge is exact.
//
// # ROI
//
// An ROI (one flag per frame) restricts which frames are read and processed; blocks keep
// their frame ranges, so the block tree, and the bits, stay those of the full scan. Nav
// entries of frames outside the ROI are NaN (float buffers) or 0 (int64 buffers).
//
// # Passes without data
//
// With no Source the engine runs over the nav shape alone: frames carry their index and
// coordinates and nil Data (generators, parameter sweeps, tests).
//
// The guide for writing your own UDF is docs/udf.md.
package udf
