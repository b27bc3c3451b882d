// Package ica is the distributed independent component analysis of stemreduce: FastICA on
// the whitened scores of a distributed PCA. The whitened scores stay on the ranks that own
// the frames; every fixed-point iteration reduces a K×K matrix and a K-vector (parallel
// form) or a K-vector and a scalar (deflation) along the canonical block tree, and every
// rank then updates the same small unmixing matrix. Results have scikit-learn's
// definitions (FastICA with whiten='unit-variance') and the same bits for any number of
// ranks.
//
// # Papers
//
// The fixed-point iteration and the symmetric decorrelation are those of A. Hyvärinen,
// "Fast and robust fixed-point algorithms for independent component analysis", IEEE
// Transactions on Neural Networks 10(3):626–634, 1999, as presented in A. Hyvärinen &
// E. Oja, "Independent component analysis: algorithms and applications", Neural Networks
// 13(4–5):411–430, 2000 (sections 6.2–6.3), and in Hyvärinen, Karhunen & Oja,
// "Independent Component Analysis", Wiley 2001, tables 8.3 and 8.4. The details that the
// papers leave open (scaling, clipping, the convergence measure, the iteration count) follow
// scikit-learn 1.2's sklearn/decomposition/_fastica.py, the reference the tests and
// scripts compare with.
//
// # Whitening
//
// Fit takes the PCA of pca.Fit (FitScores the same as plain matrices: local scores, the
// explained variances and optionally the components, as read back from a file). With
// explained variances λ_j = s_j²/(N − 1) (s_j the singular values of the centred data
// Xc = U·S·Vᵀ), the whitened scores of frame f are
//
//	z_fj = score_fj / σ_j,   σ_j = √(λ_j·(N − 1)/N) = s_j/√N,   j < K
//
// so z = √N·U[:, :K]: mean zero and mean square exactly one with denominator N, which is
// what scikit-learn feeds its iteration (X1 = K·Xcᵀ·√N with K = (U/S)ᵀ[:K]; the N − 1 of the
// explained variance does not enter). Result.Whitening is diag(1/σ)·Components[:K], the
// map x − mean ↦ z; scikit-learn's whitening_ is that divided by √N. A variance that is
// not positive or below MinVarianceRatio of the first makes the data rank-deficient for K
// and is an error.
//
// # Iterations
//
// With g and g′ the derivatives of the contrast function, E the mean over the N frames,
// and W₀ the initial matrix (below):
//
// Parallel (symmetric, the default): W ← (W₀W₀ᵀ)^(−1/2)·W₀, then per iteration
//
//	W⁺ = E[g(W·z)·zᵀ] − diag(E[g′(W·z)])·W
//	W⁺ ← (W⁺W⁺ᵀ)^(−1/2)·W⁺        (eigendecomposition of W⁺W⁺ᵀ; eigenvalues clipped at
//	                                 the smallest normal float64, as scikit-learn)
//	lim = max_i | |⟨w⁺_i, w_i⟩| − 1 |,  W ← W⁺,  stop if lim < Tol
//
// Deflation: for j = 0 … K−1, w ← w₀_j/‖w₀_j‖, then per iteration
//
//	w⁺ = E[z·g(wᵀz)] − E[g′(wᵀz)]·w
//	w⁺ ← w⁺ − Σ_{i<j} ⟨w⁺, w_i⟩·w_i,  w⁺ ← w⁺/‖w⁺‖    (classical Gram–Schmidt)
//	lim = | |⟨w⁺, w⟩| − 1 |,  w ← w⁺,  stop if lim < Tol
//
// NIter is the number of iterations (Deflation: the largest over the components, as
// scikit-learn's n_iter_; ComponentIter has them all). Reaching MaxIter without lim < Tol
// is Status IterationLimit, not an error. The contrast functions are scikit-learn's:
//
//	Fun      g(u)              g′(u)
//	LogCosh  tanh(αu)          α·(1 − tanh²(αu))
//	Exp      u·exp(−u²/2)      (1 − u²)·exp(−u²/2)
//	Cube     u³                3u²
//
// tanh is computed from one exponential, tanh|x| = (1 − e)/(1 + e) with e = exp(−2|x|)
// (reduction by ln 2 and a Taylor polynomial of degree 13, every step a fused multiply-add),
// and ±1 for |x| > 20: absolute error below 5e-16 against math.Tanh (measured 2.2e-16).
// It runs four values at a time with AVX2 and FMA where the CPU has them, and otherwise as
// scalar code with the same IEEE operations (math.FMA rounds once on any CPU), so its bits
// are the same on every machine (TestTanhSliceBits; tanh.go). exp(−u²/2) of the Exp
// contrast is computed the same way, four values at a time with AVX2 and FMA or by scalar
// code with the same operations (TestExpSliceBits; exp.go), by the operations of
// math.Exp's FMA path on amd64: it gives exactly the bits of math.Exp on a CPU with FMA
// (TestExpAccuracy), and those bits on every other CPU too; for u²/2 > 708 it gives 0
// (math.Exp: below 3.3e-308).
//
// W₀ is Settings.Init or, by default, row i the first K normal values of the rng stream
// (Seed, rng.Init, i): a function of the seed and the row, never of the rank.
//
// # What is reduced, and how
//
// Every iteration makes one block-tree reduction. Each block of the plan (B frames)
// contributes a partial of m float64 values, computed on one goroutine in a fixed order:
// by chunks of 64 frames, Y = Z_c·Wᵀ, g applied in place with g′ summed per component over
// the frames in order, then Gᵀ += Z_cᵀ·g(Y), every element of Y summed over j and every
// element of G over the frames in order, by fused multiply-adds (kernel.go: AVX2 four lanes
// at a time where the CPU has it, the same operations in scalar code otherwise, equal bits,
// TestKernelBits; with blocks of a few frames and K of a few tens the BLAS would spend more
// in call overhead than in arithmetic). Deflation uses Dgemv by chunks. The blocks of a rank
// run in Env.Workers goroutines, each taking the next block from a shared counter, the
// partials are combined along the canonical block tree (collective.Accumulator with an
// element-wise sum) and the root is broadcast (collective.ReduceAll). No sum over frames
// goes through Allreduce.
//
//	form        m          bytes per message      K = 10     K = 20
//	parallel    K² + K     8·m + 8                888        3368
//	deflation   K + 1      8·m + 8                96         176
//
// Per iteration the tree sends t messages, one per tree node whose two children start on
// different ranks: t ≥ P − 1, at most about log₂(blocks) per rank boundary (measured with
// 1000 blocks: t = 3, 9, 26 for P = 2, 4, 7; TestTraffic); the root is broadcast once
// (8·m + 8 bytes); and spmd.Agree adds an 8-byte allreduce that lets a cancellation on any
// rank stop every rank at the same iteration. For K = 20 on 7 ranks that is about 90 kB
// per iteration over all ranks. Fit itself adds one 8-byte allreduce (the minimum of the
// first non-finite frame).
//
// # Determinism
//
// The bits of every result depend only on the input bits, the settings and the BLAS
// implementation (the deflation kernel's Dgemv, the K×K algebra; OpenBLAS may choose its
// kernels by CPU), never on the number of ranks or goroutines; and the code of this
// package gives the same bits with and without AVX2 and FMA (the parallel kernel, tanh
// and the exponential of the Exp contrast):
//
//   - a block's partial is computed by one goroutine in a fixed order (chunk size a
//     constant; Dgemv of 64 rows stays on the calling goroutine);
//   - partials are combined along the canonical block tree only;
//   - the updates of W (the symmetric decorrelation's eigendecomposition, Gram–Schmidt,
//     the convergence test) run on every rank on the same reduced bits, so every rank takes
//     the same decisions with no further communication;
//   - W₀ comes from counter-based streams keyed by row;
//   - Sources are computed frame by frame from the frame's whitened scores and W.
//
// # Output conventions
//
// With Mixing = Unmixing⁻¹ and σ as above, Sources = Z·Unmixingᵀ (mean zero, mean square
// one: scikit-learn's unit-variance sources; no further rescaling is needed since the rows
// of Unmixing are orthonormal and Z is white), Factors = Mixingᵀ·diag(σ)·Components[:K]
// (K×D; scikit-learn's mixing_ transposed), so that Sources·Factors equals the rank-K PCA
// reconstruction Scores·Components of the centred data. Source i accounts for the
// variance ExplainedVariance_i = Σ_j Mixing_ji²·λ_j of the data (denominator N − 1); these
// sum to the PCA's Σ_j λ_j because the sources are uncorrelated. The sources are ordered by
// decreasing ExplainedVariance (ties keep the iteration's order), and each is signed so
// that the entry of largest magnitude of its factor (the first on ties, as numpy's argmax)
// is positive, the convention of the PCA components (svd_flip). Without components
// (FitScores with nil), Factors is Mixingᵀ·diag(σ), K×K in the coordinates of the PCA
// scores, and the signs follow it. The convention is applied after the iteration: the
// iteration itself, and Lim, are scikit-learn's.
//
// # Errors
//
// Fit and FitScores return, on every rank and without hanging any: ErrComponents (exit
// code 2) if K < 2 or K exceeds the PCA components given; ErrSettings (2) for invalid
// settings; ErrRank (3) for a numerically zero variance; *NonFiniteError (3) for a NaN or an
// infinity in the variances or in a frame's scores (the first such frame over all ranks);
// the agreed cancellation error (130); ErrDiverged or linalg.ErrNoConvergence (1) if the
// iteration breaks down numerically. Everything except the scores and cancellation is
// checked before the first collective call, on replicated input, so every rank decides
// alike without communication.
//
// # Cost and memory per rank
//
// An iteration costs about 4·K² flops and K evaluations of g per local frame (deflation:
// 4·K and one), plus O(K³) on replicated data. One goroutine of the 2-core development
// machine (a shared Intel Xeon with AVX-512; the kernels use AVX2 and FMA) runs the
// parallel block kernel with logcosh on blocks of 1024 frames at about 115 million frames
// per second for K = 4, 30 million for K = 10 and 7 to 13 million for K = 20
// (BenchmarkParallelBlock*, medians), against 15, 4 and 1.6 million before the kernel and
// the vector tanh (gonum's pure-Go BLAS and a scalar tanh of about 6 ns); tanh takes 1 to
// 2 ns a value (BenchmarkTanhSlice), and so does exp(−u²/2) of the Exp contrast
// (BenchmarkExpSlice: 1.6 to 1.8 ns). In the program, with blocks of 16 frames, one rank
// makes an iteration of 16384 frames with K = 10 in about 0.6 ms (36 ns a frame), about
// 1.6 times faster than scikit-learn's on one core (docs/ica.md); a whole fit is
// BenchmarkFit*. Memory: the whitened scores and the sources, nLocal×K float64 each; one
// partial of m values per local block (at most about 1024 blocks: 3.4 MB for K = 20);
// (64 + K)·⌈K/4⌉·4 float64 of scratch per worker.
package ica
