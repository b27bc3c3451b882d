package input

import (
	"fmt"
	"strings"

	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/io/npy"
	"github.com/stemreduce/stemreduce/io/synth"
)

// SpecError reports an input spec that cannot be parsed, as opposed to data that cannot be
// read. The command line is at fault, not the file.
type SpecError struct {
	Spec string
	Err  error
}

func (e *SpecError) Error() string { return e.Err.Error() }
func (e *SpecError) Unwrap() error { return e.Err }

// Open opens the input described by spec (see the package documentation).
func Open(spec string) (dataset.Dataset, error) {
	switch {
	case spec == "":
		return nil, &SpecError{spec, fmt.Errorf("input: empty input; give a file, e.g. scan.h5:/data, or synth:")}
	case spec == "synth" || strings.HasPrefix(spec, "synth:"):
		p, err := synth.Parse(strings.TrimPrefix(strings.TrimPrefix(spec, "synth"), ":"))
		if err != nil {
			return nil, &SpecError{spec, err}
		}
		return synth.New(p), nil
	case strings.HasSuffix(strings.ToLower(spec), ".npy"):
		r, err := npy.Open(spec)
		if err != nil {
			return nil, err
		}
		return npyReader{r}, nil
	}
	file, path := splitH5(spec)
	r, err := h5.Open(file, path)
	if err != nil {
		return nil, err
	}
	return h5Reader{r}, nil
}

// splitH5 splits "file.h5:/group/data" at the last ":/" (file names may contain colons).
func splitH5(spec string) (file, path string) {
	if i := strings.LastIndex(spec, ":/"); i > 0 {
		return spec[:i], spec[i+1:]
	}
	return spec, ""
}

// ReadNPY reads a whole small NumPy array (a mask, an ROI) as float64 with its dims.
func ReadNPY(path string) ([]float64, []int, error) {
	return npy.ReadAll(path)
}
