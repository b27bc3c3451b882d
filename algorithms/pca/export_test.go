package pca

// SetFusedCond sets the largest sketch condition number for which B is formed without a
// pass, and returns a function that restores it.
func SetFusedCond(c float64) (restore func()) {
	old := fusedCond
	fusedCond = c
	return func() { fusedCond = old }
}

// AutoSolver is the policy of Auto.
var AutoSolver = autoSolver

// SketchSize returns the sketch width and the number of power iterations.
var SketchSize = sketchSize
