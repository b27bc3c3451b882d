// Package umap computes a two-dimensional UMAP embedding of the frames of a dataset
// spread over the ranks of a collective.Comm, with the same bits for any number of ranks
// and any GOMAXPROCS.
//
// The method is that of McInnes, Healy & Melville (2018), "UMAP: Uniform Manifold
// Approximation and Projection for Dimension Reduction", arXiv:1802.03426, and the
// definitions follow its reference implementation umap-learn (version 0.5.3, umap_.py,
// layouts.py and spectral.py), so that results can be compared with it.
//
// # Algorithm
//
// Points are frames (rows); rank r holds the rows [plan.Beg, plan.End) of an spmd.Plan.
//
//  1. k nearest neighbours (NearestNeighbors), exact. A systolic ring: every rank's rows
//     travel once around the ranks (P−1 steps; each rank sends the block it holds to rank
//     r+1 and receives the next from rank r−1). For each own row a rank keeps a sorted list
//     of the k best (distance, index) pairs, the row itself first at distance 0, as
//     umap-learn includes it. Candidates are screened by float32 BLAS products
//     (|x|² + |y|² − 2x·y of rows shifted by row 0 for the Euclidean metric; 1 − x̂·ŷ of unit
//     rows for cosine and correlation) with a bound on the float32 rounding error (twice
//     γ_dim, Higham §3.1), so no true neighbour is rejected; survivors' distances are
//     recomputed in float64 from the input rows, and ties are broken by global index. The
//     lists therefore hold exactly the k smallest float64 distances under a total order,
//     whichever rank or goroutine saw which candidate first. Metrics: Euclidean (default),
//     Cosine and Correlation, with umap-learn's convention for zero rows.
//  2. Fuzzy simplicial set (FuzzySimplicialSet). Per point, rho is the smallest non-zero
//     neighbour distance (local_connectivity 1) and sigma solves
//     Σ_{j≥1} exp(−max(0, d_j − rho)/sigma) = log2 k by 64 bisection steps (tolerance 1e-5),
//     floored at 1e-3 times the mean neighbour distance of the point, or of the whole
//     dataset (a block-tree sum) when rho is 0 (SmoothKNNDist). Directed weights are
//     w_ij = exp(−(d_ij − rho_i)/sigma_i), 1 up to rho_i, and the point itself is dropped.
//     Symmetrisation mix·(A + Aᵀ − A∘Aᵀ) + (1 − mix)·A∘Aᵀ needs w_ji at the owner of i: every
//     rank sends each directed edge i→j to the owner of j (an all-to-all of
//     variable-length messages, one per pair of ranks), so edge (i, j) of the result lives
//     with row i. Zero weights are dropped.
//  3. a, b (FindAB): Levenberg–Marquardt least squares of 1/(1 + a x^(2b)) against the
//     offset exponential on 300 points of [0, 3·spread], as find_ab_params.
//  4. Pruning and numbering. Weights below max weight / n_epochs are dropped, as
//     simplicial_set_embedding. Edges are numbered canonically by (head, tail) global
//     index: rank r's edges are the global ids [off_r, off_r + count_r), with the offsets
//     from one allgather of the counts.
//  5. Initialisation, every random value from rng streams keyed by (Seed, purpose, global
//     row). Random: uniform in [−10, 10]². PCA: the caller's first two principal scores.
//     Spectral (default): the eigenvectors of the two smallest non-trivial eigenvalues of
//     the normalised Laplacian L = I − D^−½ W D^−½, i.e. the two largest eigenvalues of
//     M = D^−½ W D^−½ on the complement of the trivial vector D^½·1, by Lanczos with full
//     reorthogonalisation (classical Gram–Schmidt twice against the trivial vector and the
//     Krylov basis). Each iteration allgathers the current vector (AllgathervOf) for one
//     sparse product with M, and reduces its inner products along the canonical block
//     tree, so T and the Ritz vectors are the same on every rank for any P. The iteration
//     stops when both wanted Ritz pairs have residual ‖My − θy‖ ≤ 1e-3, or fails after
//     min(N−1, 300) iterations; then the embedding is initialised at random, as umap-learn
//     does when its eigensolver fails, and Result.Status is SpectralFallback. PCA and
//     spectral coordinates are scaled to a largest absolute value of 10 and given
//     N(0, 1e-4) noise (noisy_scale_coords). Finally, as umap-learn 0.5.3, every
//     initialisation is rescaled to [0, 10] per coordinate.
//  6. SGD (optimize_layout_euclidean with move_other): for n_epochs epochs (default 500
//     when N ≤ 10000, else 200), edge e is sampled every epochs_per_sample = w_max/w_e
//     epochs; a sampled edge pulls head and tail together with the clipped (±4) gradient
//     −2ab d^(2(b−1))/(1 + a d^(2b)) and then pushes the head away from
//     ⌊(n − next_negative)/(epochs_per_sample/negative_sample_rate)⌋ random points with
//     2b/((0.001 + d²)(1 + a d^(2b))), clipped likewise (4 when the points coincide); the
//     step alpha decays linearly from LearningRate. Negative samples are drawn from the
//     stream (Seed, rng.NegativeDraws, epoch<<40 | global edge id).
//
// # What is distributed, and determinism
//
// The input rows, the kNN lists, rho, sigma and the graph rows are distributed by row;
// the N×2 embedding is replicated on every rank. Sums over frames (the mean kNN distance,
// the degree total, the Lanczos inner products) go through collective.Accumulator's
// canonical block tree, never through Allreduce, whose order is implementation defined;
// Allreduce is used only for maxima and integer counts, which are exact.
//
// The SGD is split into SubBatches sub-batches per epoch: edge g belongs to sub-batch
// g mod SubBatches (interleaved, so that the consecutive edges of one head fall in
// different sub-batches). Within a sub-batch every rank computes the moves of its own
// sampled edges in edge order against the embedding as it was at the start of the
// sub-batch (the head's negative samples see the head's own updated position, as in
// umap-learn); the moves, one record (head, tail, Δhead, Δtail) per sampled edge, are
// allgathered in rank order, which is global edge order, and every rank adds them to its
// copy in that order. The embedding after each sub-batch is therefore a function of the
// data, the settings and the seed only. Work inside a rank is parallel over tiles of
// query rows in the kNN search (each list touched by one goroutine, its content
// independent of the order of candidates); the rest is sequential per rank.
//
// Every send assumes that collective.Comm's Send does not wait for the matching receive
// (inproc queues messages; the MPI implementation uses MPI_Isend on a copy): in the ring
// each rank sends before it receives, and in the all-to-all each rank sends to every rank
// before receiving from any.
//
// # Memory per rank
//
// The local rows and their float32 screening copy (2·nLocal·dim floats), two travelling
// blocks and a screening copy of one (3·max nLocal·dim floats), the kNN lists and graph
// rows (O(nLocal·k) entries, more for hub points), the replicated embedding and one
// allgathered N-vector (N·(2 float32 + 2 float64)), the Lanczos basis (nLocal × at most
// 300 float64), and per sub-batch the gathered moves (24 bytes per sampled edge of the
// sub-batch over all ranks).
//
// # Sub-batches
//
// Fewer sub-batches mean fewer collectives but staler positions. Measured with P = 1 on
// this project's 2-core machine, seeds 0-2 with spectral and random initialisation (six
// runs per cell unless stated), against umap-learn 0.5.3 (Debian) on the same data:
// trustworthiness with 15 neighbours (scikit-learn's) and, after the slash, leave-one-out
// 5-NN accuracy of the labels in the embedding.
//
//	blobs, 1000×10, 5 centres (make_blobs)
//	  umap-learn .953-.956 / 1.000    S=1  .953-.955 / 1.000    S=16  .954-.956 / 1.000
//	  S=64       .954-.956 / 1.000    S=256 .954-.956 / 1.000
//	digits, 1797×64 (load_digits)
//	  umap-learn .987-.988 / .988-.989    S=1  .986-.987 / .988-.991    S=16 .987-.988 / .988-.989
//	  S=64       .987-.988 / .988-.990    S=256 .987-.988 / .989-.990
//	swiss roll, 1500×3, labels ⌊t/2⌋ (make_swiss_roll, noise 0.05)
//	  umap-learn .9985-.9987 / .958-.963    S=1  .9980-.9985 / .955-.960
//	  S=16       .9984-.9987 / .955-.961    S=64 .9985-.9987 / .956-.961    S=256 .9984-.9987 / .955-.959
//	digits ×10 with N(0, 1.5²) noise, 17970×64, 200 epochs
//	  umap-learn (spectral, 1 run, 112 s) .921 / 1.000
//	  random init: S=1 .903 (1 run)   S=16 .921 (1 run)   S=64 .919-.923   S=128 .922   S=256 .923 (1 run)
//	  spectral init: S=64 .939-.941   S=128 .940-.942
//
// Synchronous updates (S = 1) lose quality on the larger set; from S = 16 on the results
// match umap-learn, and beyond 64 they do not improve measurably. The staleness of a point
// depends on the number of its updates per sub-batch, about 2·edges/(N·S), which does not
// grow with N, so DefaultSubBatches = 64 for every N. Each sub-batch costs two small
// collectives (the counts, then the moves). On the 17970-point set one rank takes 3.3 s
// for the kNN, 0.9 s for the spectral initialisation (170 Lanczos iterations) and 9.3 s for
// the 200 epochs (272k edges).
//
// # Differences from umap-learn
//
// The kNN is exact for every N (umap-learn is exact below 4096 points and uses
// NN-descent above). A disconnected graph is handled by the same Lanczos iteration (the
// null space of L is then degenerate and the Ritz vectors mix its vectors) instead of
// umap-learn's multi_component_layout. Within a sub-batch, updates do not see each other.
// The random streams differ from numpy's, so single embeddings differ; quality figures
// agree (see above).
package umap
