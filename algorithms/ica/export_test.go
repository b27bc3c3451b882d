package ica

// ParallelBlock is the block kernel of a parallel iteration: dst (k·k + k values) gets
// Σ_f g(W·z_f)·z_fᵀ and Σ_f g′(W·z_f) added; y is scratch of ChunkRows·k values.
func ParallelBlock(dst, z []float64, rows, k int, w, y []float64, fun Fun, alpha float64) {
	parallelBlock(dst, z, rows, k, w, y, contrast{fun: fun, alpha: alpha})
}

// DeflationBlock is the block kernel of a deflation iteration: dst (k + 1 values) gets
// Σ_f g(wᵀz_f)·z_f and Σ_f g′(wᵀz_f) added.
func DeflationBlock(dst, z []float64, rows, k int, w, y []float64, fun Fun, alpha float64) {
	deflationBlock(dst, z, rows, k, w, y, contrast{fun: fun, alpha: alpha})
}

// ChunkRows is the scratch size of the kernels in frames.
const ChunkRows = chunkRows

// Tanh is the tanh of the logcosh contrast.
var Tanh = tanh
