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
// Precision of the passes. The passes 1 … q, whose products only choose the next test
// matrix, multiply in float32, as scikit-learn does on float32 data (linalg.Omega32: Ω_i
// rounded to float32, sgemm, block partials returned and merged in float64). Pass 1 centres
// each block about its mean in float64 (the moments stay exact) and rounds the centred
// frames to float32; passes 2 … q multiply the frames as they are and centre the products
// by rank-one corrections (Y = X·Ω − 1·(Ωᵀμ)ᵀ, W = YᵀX − (Yᵀ1)·μᵀ), without converting or
// copying the frames at all. Their rounding errors, of order √D·ε₃₂ times |X|/spread(X)
// relative, perturb the subspace the iteration converges to by far less than the
// accuracy asked of it (the tests measure principal angles of 1e-9 to 5e-7 rad against the
// exact answer where 1e-3 is allowed). The last pass, whose products are the result (Y,
// and W for B = R⁻ᵀ·W_qᵀ), stays in float64 as described above, so MaxFusedCond and the
// accuracy of B are unchanged; it centres the frames about μ as it converts them
// (linalg.ShiftedFrames). With OpenBLAS a float32 pass takes about a third of the time of
// a float64 pass (6 ms against 19 ms for a block of 256 frames of 16384 pixels, l = 26,
// one core); with gonum's pure-Go BLAS they take about the same time.
//
// Sparse frames. Chunks of 256 frames of which at most half the values are non-zero
// (electron counts at low dose) are multiplied in compressed form instead (linalg's
// sparse kernels, in all three kinds of pass): the work follows the non-zero values, the
// centring stays a rank-one correction. Whether a chunk is sparse depends on its values
// only, so the bits do not depend on the ranks. The first pass keeps the compressed forms
// of the blocks for the later ones within Settings.SparseBytes (Result.SparseKept).
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
// # Single pass
//
// Settings.Passes = 1 reads every frame exactly once, whatever the data. Its one pass
// accumulates both what the randomized solver with q = 0 needs and the co-range sketch of
// Tropp, Yurtsever, Udell & Cevher, "Practical sketching algorithms for low-rank matrix
// approximation", SIAM J. Matrix Anal. Appl. 38(4), 2017 (Algorithm 4 with the truncation
// of §5), and decides after the pass which one forms B. With the same Ω (D×l) and a
// Gaussian Ψ (s×N, s = 2l + 1) whose column f is the first s normal values of rng stream
// (Seed, rng.CoRangeMatrix, f):
//
//	pass 1          moments; this rank's rows of Y = A·Ω; P = (AᵀA·Ω)ᵀ = Yᵀ·A (l×D) and
//	                W = Ψ·A (s×D) along the block tree (linalg.DualSketchFrames)
//	no pass         Y = Q·R (linalg.TSQR)
//	no pass         B = Qᵀ·A = R⁻ᵀ·P                     if cond(R) ≤ MaxFusedCond (the normal case)
//	no pass         B = (Ψ·Q)⁺·W, by a Householder QR    otherwise (Result.CoRangeSolve); Ψ·Q
//	                of Ψ·Q on every rank                   (s×l) along the block tree, Ψ regenerated
//	no pass         B = U·S·Vᵀ; components = Vᵀ[:K], scores = Q·U[:, :K]·S[:K]
//
// The first form is the randomized solver's with PowerIters < 0, bit for bit: the same
// kernel computes Y and P in the same order and the merges are the same, so in the normal
// case a single pass has exactly q = 0's accuracy. Where q = 0 would take a second pass
// for B (a numerically rank-deficient sketch, e.g. noise-free data of rank < l), the
// single pass uses Tropp et al.'s least-squares solve instead, which stays meaningful
// there: Q still spans the range of A, so (Ψ·Q)⁺·Ψ·A = QᵀA.
//
// The centring stays implicit: every block's rows of Y, its P and its W are taken about the
// block mean; the rows are moved to μ after the pass (by (mean_b − μ)ᵀ·Ω, as for q = 0
// above), P partials merge with the co-moment update and W partials with the exact update
// W = W_a + W_b + ((n_a/n)·Ψ_b·1 − (n_b/n)·Ψ_a·1)·δᵀ (linalg.DualSketchMerger); with
// NoCenter, W = Ψ·Xc + (Ψ·1)·μᵀ. A block costs 2·B·D·(2l + s) flops, about twice the
// 4·B·D·l of q = 0's pass: the price of not needing a second read when the sketch is
// rank-deficient.
//
// Accuracy of Tropp's solve (Tropp et al., Theorem 4.3, real field): Â = Q·X̂ satisfies
//
//	E‖A − Â‖²_F ≤ (s − 1)/(s − l − 1) · min_{ϱ < l−1} (l − 1)/(l − ϱ − 1) · τ²_{ϱ+1}(A)
//
// with τ²_j = Σ_{i ≥ j} σ_i², and the rank-K result E‖A − ⟦Â⟧_K‖_F ≤ τ_{K+1}(A) + 2·√(that)
// (Theorem 5.1). The second factor is the bound of Halko et al. for ‖A − QQᵀA‖²_F, which
// the fused form (and q = 0) attains; the least-squares step adds, in expectation,
// l/(s − l − 1) = 1 times that error for s = 2l + 1 (TestSinglePassExpectedError checks
// all three on Tropp's path, forced, and the Halko bound on the fused path). Tropp's error
// is thus first order in the tail of the spectrum: accurate when the data are nearly of
// rank < l, which is when it runs, and poor on noisy data, where its singular values are
// biased upwards. See docs/pca.md for measured figures.
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
// moments, co-moments, sketch products, R factors and Qᵀ·A (and W = Ψ·A and Ψ·Q of the
// single pass). The partials of a pass are merged as they complete, the right-hand one of
// every merge returned to a pool for the next blocks of the pass. Ω's entry (j, c) is the c-th normal value of rng stream (Seed,
// rng.TestMatrix, j), Ψ's entry (c, f) that of stream (Seed, rng.CoRangeMatrix, f). The dense factorizations of
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
// outside [1, min(N, D)], ErrSolver and ErrPasses (exit code 2) for an unknown solver or a
// Passes setting it cannot honour (a value other than 0 or 1; 1 with an exact solver or
// with power iterations), all checked before any communication; *NonFiniteError (exit
// code 3) naming the first frame that holds a NaN or an infinity; ErrConstant (exit code 3)
// when the total variance is zero; read and cancellation errors agreed by spmd.Agree; and
// linalg.ErrNoConvergence if a dense factorization fails.
//
// # Memory per rank
//
// Besides spmd's two tile buffers, and with w = Env.Workers:
//
//   - Randomized: Y, the TSQR reflectors and Q, three nLocal×l float64 arrays; Ω and W,
//     l×D each (and Ω in float32); per block in flight and per pending tree node, an l×D
//     partial (at most w + ⌈log₂ blocks⌉ + 1 of them); per worker 64·D float64 of scratch,
//     and (64 + l)·D + 64·l float32 for the float32 passes; for sparse frames, per worker
//     256·D int32 of patterns and a D×w Pᵀ (w = l rounded up to 32), and the kept
//     compressed frames (5 bytes per non-zero value, at most Settings.SparseBytes). For
//     D = 16384, l = 26 a partial is 3.4 MB; for nLocal = 65536 the sketch arrays take
//     41 MB.
//   - Gram: D×D float64 per partial, up to w + ⌈log₂ blocks⌉ + 1 of them, plus the
//     eigendecomposition's D×D: 8·D² bytes each (32 MiB for D = 2048, 512 MiB for 8192).
//   - TSQR: an R of at most D×D per partial, the (2D + 1)×D stacked matrix of a merge, and
//     a float64 copy of a block (B·D) per worker.
//   - Single pass: Y, the TSQR reflectors and Q, three nLocal×l float64 arrays; Ω and B,
//     l×D each; per block in flight and per pending tree node an l×D and an s×D partial,
//     s = 2l + 1 ((3l + 1)·D float64: 10 MB for D = 16384, l = 26); per worker 64·D
//     float64 of scratch.
//   - Scores: nLocal×K float64.
package pca
