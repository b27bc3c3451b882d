package spmd

import (
	"fmt"

	"github.com/stemreduce/stemreduce/collective"
)

// BlockSize returns the number of frames per block for a dataset of n frames: n/1024
// rounded up, at least 4. It depends on n alone, so results do not depend on the number of
// ranks.
func BlockSize(n int) int {
	return max(4, (n+1023)/1024)
}

// Plan is one rank's share of a dataset: whole blocks of B frames, contiguous and balanced.
type Plan struct {
	N       int // frames in the dataset
	B       int // frames per block; the last block may be shorter
	NBlocks int // blocks in the dataset
	Rank    int
	Size    int
	B0, B1  int // this rank's blocks [B0, B1)
	Beg     int // this rank's frames [Beg, End)
	End     int
}

// NewPlan returns the plan of rank among size ranks for n frames in blocks of b frames.
// b <= 0 means BlockSize(n). It panics if rank is not in [0, size).
func NewPlan(n, b, size, rank int) Plan {
	if b <= 0 {
		b = BlockSize(n)
	}
	nb := (n + b - 1) / b
	b0, b1 := collective.Split{N: nb, Size: size}.Range(rank)
	p := Plan{N: n, B: b, NBlocks: nb, Rank: rank, Size: size, B0: b0, B1: b1}
	p.Beg, p.End = p.BlockRange(b0).Beg, p.BlockRange(b1).Beg
	return p
}

// Range is a half-open frame range.
type Range struct{ Beg, End int }

// Len returns the number of frames.
func (r Range) Len() int { return r.End - r.Beg }

// BlockRange returns the frames of block b; b == NBlocks gives the empty range at N.
func (p Plan) BlockRange(b int) Range {
	return Range{min(b*p.B, p.N), min((b+1)*p.B, p.N)}
}

// NLocal returns the number of frames this rank owns.
func (p Plan) NLocal() int { return p.End - p.Beg }

// Tiles splits this rank's blocks into tiles of whole blocks holding at most maxFrames
// frames (at least one block each) and returns the block ranges [b0, b1) of the tiles.
func (p Plan) Tiles(maxFrames int) [][2]int {
	per := max(1, maxFrames/p.B)
	var tiles [][2]int
	for b := p.B0; b < p.B1; b += per {
		tiles = append(tiles, [2]int{b, min(b+per, p.B1)})
	}
	return tiles
}

// TileFrames returns how many frames of d pixels fit in tileBytes as float32, at least one.
func TileFrames(tileBytes int64, d int) int {
	return int(max(1, tileBytes/int64(4*max(d, 1))))
}

func (p Plan) String() string {
	return fmt.Sprintf("rank %d/%d: blocks [%d, %d) of %d (B=%d), frames [%d, %d)", p.Rank, p.Size, p.B0, p.B1, p.NBlocks, p.B, p.Beg, p.End)
}
