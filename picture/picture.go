package picture

import (
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg/draw"
)

// Dataset describes one dataset of a result file.
type Dataset struct {
	Path  string // absolute, e.g. "/pca/components"
	Dims  []int  // dimensions; empty for a scalar
	Dtype string // numpy-like name ("float64", "int64", ...); other classes are never read
}

// numeric reports whether the dataset holds numbers that ReadFloat64 can read.
func (d Dataset) numeric() bool {
	return strings.HasPrefix(d.Dtype, "float") || strings.HasPrefix(d.Dtype, "int") || strings.HasPrefix(d.Dtype, "uint")
}

// File is read access to a result file. The cli package adapts an io/h5 File to it.
type File interface {
	// Datasets lists every dataset of the file.
	Datasets() ([]Dataset, error)
	// ReadFloat64 reads the whole numeric dataset path, converted to float64, and
	// returns it with its dimensions.
	ReadFloat64(path string) ([]float64, []int, error)
	// Attr returns attribute name of object obj ("/" for the root): int64, float64,
	// string, or []int64, []float64, []string for a 1-D attribute.
	Attr(obj, name string) (any, error)
}

// Options sets what pictures show. Zero fields take their defaults.
type Options struct {
	Size      int // pixels on the long side of one image; zero means 512
	MaxMaps   int // maps in a grid of components; zero means 16
	MaxPoints int // points of an embedding scatter (a regular subsample above); zero means 20000
}

func (o Options) withDefaults() Options {
	if o.Size <= 0 {
		o.Size = 512
	}
	if o.MaxMaps <= 0 {
		o.MaxMaps = 16
	}
	if o.MaxPoints <= 0 {
		o.MaxPoints = 20000
	}
	return o
}

// ErrNotResult is returned, wrapped in an InputError, for a file that has no root
// attribute program = "stemreduce".
var ErrNotResult = errors.New("not a stemreduce result file (no root attribute program = \"stemreduce\")")

// InputError reports a result file that could not be read or is not a stemreduce result.
// Errors writing the pictures are returned as they are.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Figure is one picture of a result file.
type Figure struct {
	Name          string   // file name, e.g. "pca_scree.png"
	Uses          []string // the datasets it shows
	Width, Height int      // size in pixels
	draw          func(c draw.Canvas) error
}

// Render draws the figure. It reads the datasets the figure uses, and returns an
// *InputError when that fails.
func (fig Figure) Render() (image.Image, error) {
	vc, dc := newCanvas(fig.Width, fig.Height)
	if err := fig.draw(dc); err != nil {
		return nil, err
	}
	return vc.Image(), nil
}

// planner collects the figures of one file.
type planner struct {
	f        File
	o        Options
	ds       map[string]Dataset
	paths    []string // every numeric dataset, in name order
	nav, sig []int    // input_nav_shape, input_sig_shape; nil when absent
	claimed  map[string]bool
	names    map[string]bool
	figs     []Figure
}

// Plan lists the figures of the result file f, in the order of the groups /stats,
// /virtual, /com, /pca, /ica, /umap and then the other image-shaped datasets, without
// reading any dataset. Its errors are *InputError.
func Plan(f File, o Options) ([]Figure, error) {
	prog, err := f.Attr("/", "program")
	if err != nil || prog != "stemreduce" {
		return nil, &InputError{ErrNotResult}
	}
	list, err := f.Datasets()
	if err != nil {
		return nil, &InputError{err}
	}
	p := &planner{f: f, o: o.withDefaults(), ds: map[string]Dataset{}, claimed: map[string]bool{}, names: map[string]bool{}}
	for _, d := range list {
		if d.numeric() {
			p.ds[d.Path] = d
			p.paths = append(p.paths, d.Path)
		}
	}
	slices.Sort(p.paths)
	p.nav = intsAttr(f, "input_nav_shape")
	p.sig = intsAttr(f, "input_sig_shape")
	p.stats()
	p.virtual()
	p.com()
	p.pca()
	p.ica()
	p.umap()
	p.others()
	return p.figs, nil
}

// intsAttr returns a root attribute holding integers, or nil.
func intsAttr(f File, name string) []int {
	v, err := f.Attr("/", name)
	if err != nil {
		return nil
	}
	switch v := v.(type) {
	case int64:
		return []int{int(v)}
	case []int64:
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x)
		}
		return out
	}
	return nil
}

// get returns the numeric dataset path.
func (p *planner) get(path string) (Dataset, bool) {
	d, ok := p.ds[path]
	return d, ok
}

// claim marks datasets as shown (or deliberately not shown), so that others skips them.
func (p *planner) claim(paths ...string) {
	for _, s := range paths {
		p.claimed[s] = true
	}
}

// add appends a figure named name (made unique with a numeric suffix).
func (p *planner) add(name string, w, h int, uses []string, draw func(c draw.Canvas) error) {
	base := name
	for i := 2; p.names[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	p.names[name] = true
	p.claim(uses...)
	p.figs = append(p.figs, Figure{Name: name + ".png", Uses: uses, Width: w, Height: h, draw: draw})
}

// read reads a dataset, as an *InputError on failure.
func (p *planner) read(path string) ([]float64, []int, error) {
	z, dims, err := p.f.ReadFloat64(path)
	if err != nil {
		return nil, nil, &InputError{fmt.Errorf("picture: could not read %q: %w", path, err)}
	}
	return z, dims, nil
}

// fileName turns a dataset path into a file name stem: "/virtual/bf" -> "virtual_bf".
func fileName(path string) string {
	var b strings.Builder
	for _, r := range strings.Trim(path, "/") {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// shapeString formats dims as "64×64".
func shapeString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "×")
}

func product(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}
