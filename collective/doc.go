// Package collective defines the communicator that every distributed algorithm in stemreduce
// runs on, and the reductions built on top of it.
//
// Comm is the small set of operations the algorithms need: rank and size, barrier, broadcast,
// allreduce (sum, max, min over float64, float32 and int64), allgatherv and point-to-point
// send and receive. Byte-level operations are the primitive; the typed helpers in this
// package (BcastFloat64s, SendFloat64s, ...) reinterpret numeric slices without copying.
//
// Two implementations exist: collective/inproc runs ranks as goroutines in one process (tests
// and runs without MPI) and collective/mpi runs over MPI (build tag mpi). Both pass the
// conformance suite in collective/collectivetest.
//
// # The canonical block tree
//
// Sums over frames must not depend on how frames are spread over ranks. Frames are grouped
// into blocks, and block partials are combined along one fixed binary tree over block
// indices (see Tree). Node (l, j) covers blocks [j·2^l, (j+1)·2^l) clipped to the block
// count; its value is Merge(left, right), or just left when the right child is empty. A rank
// builds the largest nodes that lie inside its own block range as its blocks arrive
// (Accumulator.Push, holding O(log blocks) partials), and the nodes that span ranks are
// combined by messages along the same tree (Accumulator.Reduce). The result has the same
// bits for every number of ranks and for both implementations.
//
// # Rules
//
// Every rank makes the same collective calls in the same order with matching sizes. A
// method documented as collective must be called by every rank of the communicator. Length
// zero is valid everywhere. Errors from the MPI library itself are not recoverable (the
// default MPI error handler aborts the job); the errors returned here report misuse such as
// a length mismatch that the implementation could detect.
package collective
