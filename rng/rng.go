package rng

import "math"

// Purpose separates streams that share a seed and an index.
type Purpose uint64

// The purposes used in stemreduce. Values are part of the reproducibility contract: never
// renumber them.
const (
	SynthFrame    Purpose = 1 // noise of one synthetic frame; index = frame
	SynthPattern  Purpose = 2 // lattice of one synthetic phase; index = phase
	SynthMap      Purpose = 3 // abundance-map modes; index = phase
	TestMatrix    Purpose = 4 // Gaussian test matrix; index = row
	Init          Purpose = 5 // initial values of iterative methods; index = row
	NegativeDraws Purpose = 6 // negative samples; index = (epoch, edge) packed by the caller
	LanczosStart  Purpose = 7 // start vector of a distributed Lanczos; index = row
	CoRangeMatrix Purpose = 8 // co-range test matrix Ψ of a single-pass sketch; index = frame
)

// Stream is a counter-based random stream. The zero value is a valid stream (key 0, 0).
type Stream struct {
	k0, k1 uint64
	ctr    uint64
	spare  float64 // second normal of a Box–Muller pair
	has    bool
}

// New returns the stream for (seed, purpose, index).
func New(seed uint64, p Purpose, index uint64) *Stream {
	s := &Stream{}
	s.Reset(seed, p, index)
	return s
}

// Reset makes s the stream for (seed, purpose, index), at its start. It does not allocate.
func (s *Stream) Reset(seed uint64, p Purpose, index uint64) {
	*s = Stream{k0: mix(seed ^ mix(uint64(p)*0xD1B54A32D192ED03)), k1: mix(index + 0x632BE59BD9B4E019)}
}

// mix is SplitMix64's finaliser.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Uint64 returns the next 64 random bits.
func (s *Stream) Uint64() uint64 {
	s.ctr++
	return mix(mix(s.k0+s.ctr*0x9E3779B97F4A7C15) ^ s.k1)
}

// Float64 returns a uniform value in [0, 1) with 53 random bits.
func (s *Stream) Float64() float64 {
	return float64(s.Uint64()>>11) * 0x1p-53
}

// Normal returns a standard normal value (Box–Muller, in pairs).
func (s *Stream) Normal() float64 {
	if s.has {
		s.has = false
		return s.spare
	}
	u := 1 - s.Float64() // (0, 1]
	v := s.Float64()
	r := math.Sqrt(-2 * math.Log(u))
	sin, cos := math.Sincos(2 * math.Pi * v)
	s.spare, s.has = r*sin, true
	return r * cos
}

// Poisson returns a Poisson-distributed count with mean lambda. For lambda below 30 it
// inverts the cumulative distribution (exact); above, it uses the PTRS transformed
// rejection of Hörmann (1993), also exact. It panics if lambda is negative or not finite.
func (s *Stream) Poisson(lambda float64) int {
	switch {
	case lambda < 0 || math.IsNaN(lambda) || math.IsInf(lambda, 0):
		panic("rng: bad Poisson mean")
	case lambda == 0:
		return 0
	case lambda < 30:
		return s.poissonInversion(lambda)
	}
	return s.poissonPTRS(lambda)
}

// poissonInversion inverts the cumulative distribution with one uniform u: the count is 0
// when u ≤ e^−λ. Since e^−λ ≥ 1 − λ, a u ≤ 1 − λ − 2^−50 gives 0 without computing e^−λ
// (the margin covers the rounding of both sides); detector pixels mostly have λ ≪ 1, so
// this skips the exponential for nearly all of them.
func (s *Stream) poissonInversion(lambda float64) int {
	u := s.Float64()
	if u <= 1-lambda-0x1p-50 {
		return 0
	}
	p := math.Exp(-lambda)
	cdf := p
	k := 0
	for u > cdf && k < 1000 {
		k++
		p *= lambda / float64(k)
		cdf += p
	}
	return k
}

// poissonPTRS is Hörmann's "PTRS" algorithm (Insurance: Mathematics and Economics 12, 1993).
func (s *Stream) poissonPTRS(lambda float64) int {
	slam := math.Sqrt(lambda)
	loglam := math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := s.Float64() - 0.5
		v := s.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return int(k)
		}
	}
}
