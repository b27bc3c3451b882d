// Package spmd is the rank runtime of stemreduce: the partition plan, tile streaming over a
// dataset, error agreement, rank-prefixed logging, progress lines and per-phase timing.
//
// # Plan
//
// Frames are grouped into blocks of B consecutive frames. B depends only on the number of
// frames (BlockSize: about a thousand blocks, at least 4 frames each), never on the number
// of ranks, and is recorded in every output. Each rank owns a contiguous, balanced range of
// whole blocks (collective.Split); a rank may own none. A tile is the run of whole blocks a
// rank holds in memory at once, bounded by a byte budget (--tile-mb).
//
// # Passes
//
// Reduce streams a rank's partition tile by tile, computes one partial per block (blocks of
// a tile in parallel goroutines, each block on one goroutine) and pushes the partials in
// block order into a collective.Accumulator, so the result follows the canonical block tree
// and has the same bits for any number of ranks and threads. No collective call happens
// while streaming: a rank that fails (read error, cancellation) stops reading, and the
// failure is agreed at the end of the pass. A Source that holds its frames in memory
// (FrameViewer, e.g. the PCA's cache of preprocessed frames) hands them out in place
// instead of copying them into a tile.
//
// # Errors
//
// Agree turns a failure on some ranks into the same error on every rank: the lowest failing
// rank's message and exit code are broadcast, so all ranks return together and exit with
// the same code. Errors carry an exit code (see Code): usage 2, invalid input 3, run
// failure 1, cancelled 130.
package spmd
