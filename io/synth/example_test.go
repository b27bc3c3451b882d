package synth_test

import (
	"fmt"
	"log"

	"github.com/stemreduce/stemreduce/io/synth"
)

func Example() {
	p, err := synth.Parse("scan=4x4,det=8x8,phases=2,noise=none")
	if err != nil {
		log.Fatal(err)
	}
	s := synth.New(p)
	defer s.Close()
	fmt.Println(s.Shape())
	fmt.Println(s.Info().Path)

	// Generate frames 5 and 6; any rank can generate any range on its own.
	sh := s.Shape()
	frames := make([]float64, 2*sh.D())
	if err := s.ReadFloat64(frames, 5, 7); err != nil {
		log.Fatal(err)
	}
	// Each expected frame holds dose·thickness electrons, in a mix of the two phases.
	a, t := s.Abundances(), s.Thickness()
	for i, f := range []int{5, 6} {
		var total float64
		for _, v := range frames[i*sh.D() : (i+1)*sh.D()] {
			total += v
		}
		fmt.Printf("frame %d: %.1f electrons, thickness %.4f, abundances %.4f %.4f\n", f, total, t[f], a[2*f], a[2*f+1])
	}

	// Output:
	// nav [4 4] sig [8 8]
	// synth:scan=4x4,det=8x8,phases=2,dose=1000,seed=1,noise=none,thick=0.3,sharp=8,grains=2
	// frame 5: 884.9 electrons, thickness 0.8849, abundances 0.1000 0.9000
	// frame 6: 879.4 electrons, thickness 0.8794, abundances 0.1309 0.8691
}

func ExampleParse() {
	_, err := synth.Parse("scan=64")
	fmt.Println(err)
	p, _ := synth.Parse("phases=8,seed=42")
	fmt.Println(p.Canonical())

	// Output:
	// synth: scan="64": want ROWSxCOLS, e.g. scan=256x256
	// scan=64x64,det=64x64,phases=8,dose=1000,seed=42,noise=poisson,thick=0.3,sharp=8,grains=2
}
