package collective

import (
	"encoding/binary"
	"fmt"
	"math"
)

// SumFloat64 adds float64 vectors element-wise along the block tree. It implements Merger.
type SumFloat64 struct {
	N int // length of every vector; zero means any length
}

// Merge adds right into left and returns left.
func (SumFloat64) Merge(left, right []float64) []float64 {
	for i, v := range right {
		left[i] += v
	}
	return left
}

// Encode appends v, little-endian, to dst.
func (SumFloat64) Encode(dst []byte, v []float64) []byte {
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

// Decode returns the vector Encode wrote to b.
func (s SumFloat64) Decode(b []byte) ([]float64, error) {
	if len(b)%8 != 0 || (s.N > 0 && len(b) != 8*s.N) {
		return nil, fmt.Errorf("collective: sum of %d bytes, want %d float64 values", len(b), s.N)
	}
	v := make([]float64, len(b)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, nil
}
