// Package pca is the distributed principal component analysis of stemreduce: the data
// matrix X (N frames × D pixels) stays spread over the ranks, every rank streams its own
// frames, and only summaries of size O(D·l) (or O(D²) for the exact solvers) travel along
// the canonical block tree. Fit returns the components (K×D), this rank's scores (rows of
// the N×K score matrix), the singular values and the variances, with scikit-learn's
// definitions and sign convention, and the same bits for any number of ranks.
//
// # Solvers and passes over X
//
// Randomized follows the randomized range finder with subspace (power) iteration of Halko,
// Martinsson & Tropp, "Finding structure with randomness", SIAM Review 53(2), 2011
// (Algorithms 4.3–4.4 and 5.1), in a schedule that reads X once per power iteration. With
// A = X − 1·μᵀ (μ the per-pixel mean; A = X with NoCenter), l = min(K + p, N, D) and a
// Gaussian Ω₀ (D×l):
//
//	pass 1          moments (μ, per-pixel M2) and W₀ = AᵀA·Ω₀
//	pass i+1        Ω_i = orth(W_{i−1}),  W_i = AᵀA·Ω_i            (i = 1 … q)
//	                the last pass also keeps this rank's rows Y = A·Ω_q
//	no pass         Y = Q·R (linalg.TSQR, explicit Q)
//	no pass         B = Qᵀ·A = R⁻ᵀ·W_qᵀ                             if cond(R) ≤ MaxFusedCond
//	one pass        B = Σ_blocks Q_bᵀ·A_b (block tree)              otherwise
//	no pass         B = U_B·S·Vᵀ on every rank; components = Vᵀ[:K], scores = Q·U_B[:, :K]·S[:K]
//
// so passes = q + 1, or q + 2 when the sketch is numerically rank-deficient (noise-free data
// of rank < l); q = 0 gives a single pass. scikit-learn's randomized_svd reads X 2q + 2
// times after centring it. Each product W = Σ_blocks A_bᵀ·(A_b·Ω) is fused: a block's
// frames are converted, centred and multiplied by Ω, and the result multiplied back by the
// same frames while they are in cache (linalg.CoMomentFrames). The mean is applied
// implicitly: in pass 1, which computes it, every block is centred about its own mean and
// the partials merge with the exact co-moment update; in later passes frames are centred
// about μ on the fly. No centred copy of X exists.
//
// The power iteration orthonormalises W_i (D×l, replicated on every rank) by a Householder
// QR (linalg.ThinQR) after each product AᵀA·Ω, where scikit-learn normalises (by LU) after
// each of A·Ω and Aᵀ·(·). Skipping the normalisation between A and Aᵀ is what lets one read
// of a block serve both products; its cost is that directions with σ_j/σ₁ below √ε ≈ 1e-8,
// whose share of the variance is below 1e-16, are lost to rounding. The R⁻ᵀ·W_qᵀ shortcut
// saves the last pass of the textbook algorithm; MaxFusedCond documents its accuracy.
//
// PowerIters defaults to scikit-learn's n_iter='auto' (7 if K < 0.1·min(N, D), else 4) and
// Oversample to 10. TSQR and the explicit Q are described in package linalg.
//
// Gram is exact: one pass reduces the D×D co-moment matrix Xcᵀ·Xc along the block tree
// (per block a symmetric rank update, merged with the co-moment update), every rank
// computes its eigendecomposition, and a second pass computes the scores (X − 1·μᵀ)·V_K:
// 2 passes. It squares the condition number: singular values below √ε·σ₁ lose their
// relative accuracy.
//
// TSQR is exact: one pass reduces the R factor of the centred data along the block tree
// (the TSQR of Demmel, Grigori, Hoemmen & Langou 2012, with a centring row at each merge,
// linalg.CenteredRMerger), every rank computes the SVD of R, and a second pass computes the
// scores: 2 passes. It is accurate for small singular values too, at several times the
// floating-point work of Gram.
//
// Auto picks after scikit-learn 1.5's policy: Gram if D ≤ 1000 and N ≥ 10·D, or if
// max(N, D) ≤ 500 or K ≥ 0.8·min(N, D) (where scikit-learn runs a full SVD; TSQR
// instead of Gram when N < D and D > 1000, so that wide data, such as a small ROI on a
// large detector, need an N×D R factor and not a D×D covariance); Randomized otherwise.
//
// # Results and conventions
//
// Following scikit-learn's PCA: ExplainedVariance = S²/(N − 1); TotalVariance is the sum of
// the per-pixel sample variances, exact from the moments of the first pass rather than from
// the computed singular values; ExplainedVarianceRatio = ExplainedVariance/TotalVariance;
// NoiseVariance = (TotalVariance − Σ ExplainedVariance)/(min(N, D) − K), the mean of the
// remaining covariance eigenvalues (zero when K = min(N, D)). Signs follow svd_flip with
// u_based_decision=False, the convention of scikit-learn's PCA since 1.5 (pull request
// #27491): the entry of largest magnitude of every component is positive (the first one on
// ties). Scores are U·S, which equals (X − 1·μᵀ)·Componentsᵀ.
//
// # Determinism
//
// Every sum over frames goes through the canonical block tree (collective.Accumulator):
// moments, co-moments, sketch products, R factors and Qᵀ·A. Ω's entry (j, c) is the c-th
// normal value of rng stream (Seed, rng.TestMatrix, j). The dense factorizations of
// replicated data (orthonormalisation of W, SVD of R and B, eigendecomposition of the
// covariance) run on every rank on the same bits. Per-frame outputs (sketch rows, Q,
// scores) are computed block by block from the frame and replicated data only. A block's
// work runs on one goroutine; the blocks of a tile run in parallel. So every field of
// Result, and every row of the scores, has the same bits for 1, 2, 7 or 64 ranks and any
// number of workers, given the same BLAS on every rank. The only Allreduce is a minimum
// that agrees on the first non-finite frame.
//
// # Errors
//
// Fit returns, on every rank and without hanging any: ErrComponents (exit code 2) for K
// outside [1, min(N, D)], checked before any communication; *NonFiniteError (exit code 3)
// naming the first frame that holds a NaN or an infinity; ErrConstant (exit code 3) when
// the total variance is zero; read and cancellation errors agreed by spmd.Agree; and
// linalg.ErrNoConvergence if a dense factorization fails.
//
// # Memory per rank
//
// Besides spmd's two tile buffers, and with w = Env.Workers:
//
//   - Randomized: Y, the TSQR reflectors and Q, three nLocal×l float64 arrays; Ω and W,
//     l×D each; per block in flight and per pending tree node, an l×D partial (at most
//     w + ⌈log₂ blocks⌉ + 1 of them); per worker 64·D float64 of scratch. For D = 16384,
//     l = 26 a partial is 3.4 MB; for nLocal = 65536 the sketch arrays take 41 MB.
//   - Gram: D×D float64 per partial, up to w + ⌈log₂ blocks⌉ + 1 of them, plus the
//     eigendecomposition's D×D: 8·D² bytes each (32 MiB for D = 2048, 512 MiB for 8192).
//   - TSQR: an R of at most D×D per partial, the (2D + 1)×D stacked matrix of a merge, and
//     a float64 copy of a block (B·D) per worker.
//   - Scores: nLocal×K float64.
package pca
