package picture

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
)

// Write renders every figure of the result file f (see Plan) and writes each as a PNG
// file into dir, which it creates if needed. It returns the paths written, in the order
// of Plan. Either every file is written or none: each goes to a temporary file in dir
// first and all are renamed into place at the end; on an error or a cancelled ctx
// (checked between figures) the temporary files are removed and no picture is left.
// Existing files of the same names are replaced; other files in dir are left alone.
//
// Errors reading f are *InputError; errors creating or writing files in dir are
// returned as they are, and so is ctx.Err().
func Write(ctx context.Context, dir string, f File, o Options) ([]string, error) {
	figs, err := Plan(f, o)
	if err != nil {
		return nil, err
	}
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	var tmps []string
	defer func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}()
	for _, fig := range figs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tmp, err := writeTemp(dir, fig)
		if tmp != "" {
			tmps = append(tmps, tmp)
		}
		if err != nil {
			return nil, err
		}
	}
	var paths []string
	for i, fig := range figs {
		path := filepath.Join(dir, fig.Name)
		if err := os.Rename(tmps[i], path); err != nil {
			for _, p := range paths {
				os.Remove(p)
			}
			return nil, fmt.Errorf("picture: could not rename %q to %q: %w", tmps[i], path, err)
		}
		paths = append(paths, path)
	}
	tmps = nil
	return paths, nil
}

// CheckDir creates dir if needed and checks that a file can be created in it.
func CheckDir(dir string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("picture: could not create the picture directory %q: %w", dir, err)
	}
	t, err := os.CreateTemp(dir, ".stemreduce-check-*")
	if err != nil {
		return fmt.Errorf("picture: could not write to the picture directory %q: %w", dir, err)
	}
	t.Close()
	return os.Remove(t.Name())
}

// writeTemp renders fig into a new temporary file in dir and returns its name (also on
// an error after it was created).
func writeTemp(dir string, fig Figure) (string, error) {
	img, err := fig.Render()
	if err != nil {
		return "", err
	}
	t, err := os.CreateTemp(dir, "."+fig.Name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("picture: could not create a file in %q: %w", dir, err)
	}
	if err := t.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		t.Close()
		return t.Name(), fmt.Errorf("picture: could not write %q: %w", t.Name(), err)
	}
	if err := png.Encode(t, img); err != nil {
		t.Close()
		return t.Name(), fmt.Errorf("picture: could not write %q: %w", t.Name(), err)
	}
	if err := t.Close(); err != nil {
		return t.Name(), fmt.Errorf("picture: could not write %q: %w", t.Name(), err)
	}
	return t.Name(), nil
}
