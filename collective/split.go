package collective

// Split spreads n items over size ranks in contiguous, balanced ranges: the first n%size
// ranks get one more item than the rest. An empty range is valid (more ranks than items).
// Split depends on nothing but n and size, so every rank computes the same plan alone.
type Split struct {
	N    int // number of items
	Size int // number of ranks
}

// Range returns the half-open item range [beg, end) of rank.
// It panics if rank is outside [0, Size).
func (s Split) Range(rank int) (beg, end int) {
	if rank < 0 || rank >= s.Size {
		panic("collective: rank out of range")
	}
	q, r := s.N/s.Size, s.N%s.Size
	beg = rank*q + min(rank, r)
	end = beg + q
	if rank < r {
		end++
	}
	return beg, end
}

// Owner returns the rank whose range holds item i.
// It panics if i is outside [0, N).
func (s Split) Owner(i int) int {
	if i < 0 || i >= s.N {
		panic("collective: item out of range")
	}
	q, r := s.N/s.Size, s.N%s.Size
	if i < r*(q+1) {
		return i / (q + 1)
	}
	return r + (i-r*(q+1))/q
}
