package preprocess

// SetChunkBytes sets the bound on the input frames a Source holds at once and returns a
// function that restores it.
func SetChunkBytes(n int) (restore func()) {
	old := chunkBytes
	chunkBytes = n
	return func() { chunkBytes = old }
}
