// Package virtual computes virtual detector images and the centre of mass of every frame,
// as user-defined functions (spmd/udf).
//
// A virtual detector integrates each frame against a sig-shaped mask: a disk (bright
// field), an annulus (annular dark field), a point, a rectangle, or any mask read from a
// file. Several masks run in one pass: the frames of a block form an n×D matrix that is
// multiplied by the m×D mask matrix with one float32 GEMM (OpenBLAS when the program
// enables it), the way LiberTEM's ApplyMasksUDF does; results are float32 sums stored as
// float64. Each frame's value depends on that frame alone, so the maps are the same for
// any number of ranks.
//
// The centre of mass (COM) of a frame within a mask is (Σ w·y·I, Σ w·x·I)/Σ w·I, with
// pixel coordinates measured from a reference centre (by default the detector centre) to
// keep float32 sums accurate. From the gathered COM maps Derived computes the differential
// phase contrast (DPC) maps: the shift field F = COM − centre, its magnitude |F|, its
// divergence ∂Fy/∂y + ∂Fx/∂x and its curl ∂Fy/∂x − ∂Fx/∂y, with central differences inside
// the scan and one-sided ones at its edges (as numpy.gradient).
package virtual
