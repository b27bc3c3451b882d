// Package inproc runs the ranks of a collective.Comm as goroutines of one process.
//
// It serves the tests, which run every multi-rank algorithm at 1, 2, 3, 4 and 7 ranks, and
// runs without MPI. Collectives are rendezvous: the k-th collective call of every rank meets
// the k-th call of every other rank, and the ranks must agree on the operation and the
// length. Reductions combine contributions in rank order, so results are deterministic.
//
// Misuse does not hang. When ranks disagree (for example "rank 0 Allreduce(8) vs rank 2
// Bcast(8)"), or when every live rank is blocked (a deadlock, including a rank that returned
// while others wait for it), the world breaks: every blocked rank is released, and Run
// panics in its caller with a message that names the ranks and the calls they were in.
package inproc
