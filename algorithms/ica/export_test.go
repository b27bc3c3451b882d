package ica

// ParallelBlock is the block kernel of a parallel iteration: dst (k·k + k values) gets
// Σ_f g(W·z_f)·z_fᵀ and Σ_f g′(W·z_f) added, W the matrix given to NewParKernel; y is
// scratch of ScratchLen(k) values.
func ParallelBlock(dst, z []float64, rows int, pk *ParKernel, y []float64, fun Fun, alpha float64) {
	parallelBlock(dst, z, rows, pk, y, contrast{fun: fun, alpha: alpha})
}

// ParKernel holds Wᵀ for ParallelBlock.
type ParKernel = parKernel

// NewParKernel returns the kernel of the k×k matrix w (row-major).
func NewParKernel(k int, w []float64) *ParKernel {
	pk := newParKernel(k)
	pk.set(w)
	return pk
}

// ScratchLen is the scratch ParallelBlock needs.
var ScratchLen = scratchLen

// Products are the products of the parallel kernel, with and without vector
// instructions: Y = Z·Wᵀ into y (row stride kp) and Gᵀ += Yᵀ·Z.
var (
	WZ, GZ               = wz, gz
	WZGeneric, GZGeneric = wzGeneric, gzGeneric
)

// DeflationBlock is the block kernel of a deflation iteration: dst (k + 1 values) gets
// Σ_f g(wᵀz_f)·z_f and Σ_f g′(wᵀz_f) added.
func DeflationBlock(dst, z []float64, rows, k int, w, y []float64, fun Fun, alpha float64) {
	deflationBlock(dst, z, rows, k, w, y, contrast{fun: fun, alpha: alpha})
}

// ChunkRows is the scratch size of the kernels in frames.
const ChunkRows = chunkRows

// Tanh is the tanh of the logcosh contrast.
var Tanh = tanhScalar

// TanhScalar is the scalar tanh of the logcosh contrast; TanhSlice its slice form (vector
// instructions where the CPU has them), which must give the same bits.
var (
	TanhScalar = tanhScalar
	TanhSlice  = tanhSlice
)

// TanhVectorized tells whether TanhSlice uses vector instructions on this machine.
func TanhVectorized() bool { return tanhVector(make([]float64, 4), 1) == 4 }

// ExpNegHalfSqScalar is exp(−v²/2) of the exp contrast; ExpNegHalfSqSlice its slice form
// (vector instructions where the CPU has them), which must give the same bits.
var (
	ExpNegHalfSqScalar = expNegHalfSqScalar
	ExpNegHalfSqSlice  = expNegHalfSqSlice
)

// ApplyContrast replaces the first k values of every row of y (rows of stride values) by
// g and adds g′ of column i, summed over the rows in order, to gp[i].
func ApplyContrast(y []float64, stride, k int, gp []float64, fun Fun, alpha float64) {
	contrast{fun: fun, alpha: alpha}.apply(y, stride, k, gp)
}
