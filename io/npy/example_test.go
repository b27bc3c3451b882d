package npy_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/stemreduce/stemreduce/io/npy"
)

func Example() {
	dir, err := os.MkdirTemp("", "npy-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "scan.npy")

	// A 2×3 scan of 2×2 frames of uint16 counts: frame f holds f, f+1, f+2, f+3.
	data := make([]float64, 2*3*2*2)
	for i := range data {
		data[i] = float64(i/4 + i%4)
	}
	if err := npy.Write(path, "uint16", false, []int{2, 3, 2, 2}, data); err != nil {
		log.Fatal(err)
	}

	r, err := npy.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println(r.Dtype(), r.ByteOrder(), r.Dims(), "nav", r.Nav(), "sig", r.Sig())

	frames := make([]float32, 2*4)
	if err := r.ReadFloat32(frames, 4, 6); err != nil {
		log.Fatal(err)
	}
	fmt.Println("frames 4 and 5:", frames)

	// Output:
	// uint16 little [2 3 2 2] nav [2 3] sig [2 2]
	// frames 4 and 5: [4 5 6 7 5 6 7 8]
}
