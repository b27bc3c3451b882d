// Package linalg holds the distributed linear algebra of stemreduce's decompositions: the
// TSQR of a tall matrix whose rows are spread over the ranks, the block partials that
// carry centred second moments along the canonical block tree (co-moment and sketch
// products, centred R factors, plain sums), their block kernels, and the small dense
// factorizations that every rank repeats on replicated data.
//
// Everything here is pure Go on top of gonum (mat, blas64, lapack64): the BLAS may be
// switched to a cgo implementation by main (blas64.Use), but this package only calls
// gonum's interfaces.
//
// # TSQR
//
// TSQR factorizes Y (N×m, rows in the blocks of an spmd.Plan) as in Demmel, Grigori,
// Hoemmen & Langou, "Communication-optimal parallel and sequential QR and LU
// factorizations", SIAM J. Sci. Comput. 34(1), 2012: a Householder QR (gonum's dgeqrf) of
// every block, then, along the canonical block tree of package collective, the QR of the
// two stacked R factors of a node's children. A block of fewer rows than m gives an R of
// as many rows; the R of a node has min(rows below it, m) rows, so blocks of one row and
// trees with more ranks than blocks need no special case. Every R has a non-negative
// diagonal (rows of R and columns of the matching Q multiplied by −1 where needed), so the
// factorization is unique for full column rank.
//
// The explicit Q is formed by applying the stored reflectors back down the same tree:
// the root's coefficients are the identity, each node maps its coefficients to those of
// its two children (one call of dormqr), and each block finally maps its coefficients to
// its rows of Q. Q is then a product of matrices with orthonormal columns, orthonormal to
// a few ulps for any condition number or rank of Y (measured ‖QᵀQ − I‖ ≤ 2.2e-15 for
// cond(Y) = 1e8, 1e12, 1e15 and for rank-deficient Y; TestTSQR). The alternatives were
// rejected:
//
//   - Q = Y·R⁻¹ loses orthogonality in proportion to cond(Y): ‖QᵀQ − I‖ = 1.1e-8 at
//     cond 1e8 (TestTSQRBeatsSolve).
//   - CholeskyQR2 (R from the Cholesky factor of the tree-reduced Gram YᵀY, twice; Fukaya
//     et al. 2014) squares the condition number and fails beyond cond(Y) ≈ 1e8.
//   - TSQR twice (Q₁ = Y·R₁⁻¹, then TSQR of Q₁) works up to cond(Y) ≈ 1/ε but breaks down
//     for a rank-deficient Y, which the randomized PCA meets whenever noise-free data have
//     rank below the sketch width.
//
// The tree of reflectors costs one message per tree edge that crosses ranks on the way
// down (from the owner of a node's first block to the owner of its right child's first
// block, so at most P − 1 messages of m×m values), no extra pass over Y and no triangular
// solve. The traversal is depth-first on every rank, so sends and receives match in the
// same order on both sides.
//
// # Block partials
//
// Moments, CoMoment and CenteredR summarise a block of rows (frames) by its own mean and
// centred quantities, and two partials merge with the pairwise update of Chan, Golub &
// LeVeque (1979): with δ = mean_b − mean_a and w = n_a·n_b/n,
//
//	M2 = M2_a + M2_b + w·δ²                    per column
//	P  = P_a + P_b + w·(Ωᵀδ)·δᵀ                 CoMoment: (Xcᵀ·Xc·Ω)ᵀ, or Xcᵀ·Xc without Ω
//	R  = R factor of [R_a; R_b; √w·δᵀ]          CenteredR: RᵀR = Xcᵀ·Xc
//	W  = W_a + W_b + ((n_a/n)·G_b − (n_b/n)·G_a)·δᵀ   CoRange: Ψ·Xc, with G = Ψ·1
//
// This is exact algebra, so the data never need the global mean before the pass that
// computes it, and nothing suffers the cancellation of Σx² − n·mean² on data with a large
// offset (detector counts). SumMerger adds products such as Qᵀ·X. Partials serialise to
// little-endian int64 dimensions and float64 values; Decode rejects malformed input
// with an error.
//
// The block kernels (CoMomentFrames, CoRangeFrames, CenteredRFrames, FramesTo) take
// float32 frames, as spmd passes deliver them, and accumulate in float64. They find the first frame holding a
// NaN or an infinity for free: the float64 sum of a frame's float32 values is finite
// exactly when they all are. CoMomentFrames converts and centres RowChunk = 64 frames at a
// time, so its scratch is 64·D float64 values whatever the block size, and it computes the
// sketch rows Y = Xc·Ω and the product Yᵀ·Xc while the chunk is in cache.
//
// Omega32 has float32 variants of the sketch kernel for the intermediate passes of a
// subspace iteration: its CoMomentFrames centres in float64 (exact moments) and multiplies
// the centred frames, rounded to float32, with sgemm; its ProductFrames multiplies the
// frames as they are, with no copy, and centres the products by rank-one corrections in
// float64. Both accumulate a block in float32 and return float64 partials, which merge as
// the float64 ones do.
//
// Sparse frames: these kernels and Shifted.FramesTo (the float64 pass) multiply a row
// chunk of which at most half the values are non-zero (electron counts at low dose) in
// its sparse form instead of with GEMM (sparse.go): Y = X·Ω and Pᵀ = Xᵀ·Y over its
// compressed columns, by AVX2 or AVX-512 FMA kernels in assembly whose
// pure-Go twins give the same bits (sparse_kernel.go; `-tags purego` forces the twins;
// sparse_amd64.s is written by internal/gensparse: run go generate after changing it). A
// SparseBlock keeps a block's sparse forms from one pass to the next.
//
// # Determinism
//
// The bits of every result depend only on the input bits and the BLAS implementation, never
// on the number of ranks or goroutines:
//
//   - a block's partial is computed on one goroutine, in a fixed order (chunk sizes,
//     panel and tile widths are constants; whether a chunk is sparse depends on its
//     values alone; the assembly kernels do the operations of their twins; the Dgemm and
//     Sgemm panels are narrow enough that gonum's Dgemm and Sgemm never spawn
//     goroutines);
//   - partials are combined along the canonical block tree only (collective.Accumulator);
//     no sum over rows goes through Allreduce;
//   - the small dense factorizations (ThinQR, SVD, SingularValues, EigenSym, TopEigenSym)
//     and the top-k solvers (TopEigen, TopSVD: a fixed start block, a fixed iteration) are
//     run by every rank on replicated input and have no other input;
//   - per-row outputs (rows of Q) are computed block by block.
//
// Every rank must use the same BLAS implementation with the same thread count.
//
// # Memory per rank
//
// TSQR keeps a copy of its local rows (the reflectors, nLocal·m float64) and an m×m factor
// per tree node it combined, and QTo writes nLocal·m values. A CoMoment is m·D float64
// (D·D without Ω), a CenteredR at most D·D; a reduction holds O(log₂ blocks) of them.
package linalg
