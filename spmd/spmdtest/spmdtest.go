// Package spmdtest holds helpers for the tests of packages that run passes: an in-memory
// frame source.
package spmdtest

// MemSource is a stack of frames in memory, D pixels each, row-major. It implements
// spmd.Source and may be read from several goroutines at once.
type MemSource struct {
	Data []float32
	D    int
}

// ReadFloat32 copies frames [beg, end) into dst.
func (m MemSource) ReadFloat32(dst []float32, beg, end int) error {
	copy(dst, m.Data[beg*m.D:end*m.D])
	return nil
}
