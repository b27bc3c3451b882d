package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/io/dataset"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/io/input"
	"github.com/stemreduce/stemreduce/picture"
	"github.com/stemreduce/stemreduce/spmd"
)

// openInput opens the input spec on this rank and agrees on the outcome: every rank gets
// the dataset or every rank gets the error. A malformed spec is a usage error (exit 2);
// anything wrong with the data itself is an input error (exit 3).
// Collective.
func openInput(c collective.Comm, spec string) (dataset.Dataset, error) {
	ds, err := input.Open(spec)
	if err == nil && ds.Shape().N() == 0 {
		err = fmt.Errorf("input %q has no frames", spec)
	}
	var se *input.SpecError
	switch {
	case err == nil:
	case errors.As(err, &se):
		err = spmd.WithCode(spmd.ExitUsage, err)
	default:
		err = spmd.WithCode(spmd.ExitInput, err)
	}
	if err = spmd.Agree(c, err); err != nil {
		if ds != nil {
			ds.Close()
		}
		return nil, err
	}
	return ds, nil
}

// startRun starts the CPU profile if asked and opens the input on every rank. The returned
// stop closes the input and stops the profile; it is safe to defer.
// Collective.
func startRun(env Env, g GlobalOptions, spec string) (dataset.Dataset, func(), error) {
	c := env.Comm
	stopProf, err := g.profile(c.Rank())
	if err = spmd.Agree(c, err); err != nil {
		stopProf()
		return nil, func() {}, err
	}
	ds, err := openInput(c, spec)
	if err != nil {
		stopProf()
		return nil, func() {}, err
	}
	return ds, func() { ds.Close(); stopProf() }, nil
}

// output is the result file of a run: created by rank 0 at the start of the run under a
// temporary name, renamed into place by commit, removed by abort.
type output struct {
	c      collective.Comm
	w      *h5.Writer // nil on ranks other than 0
	path   string
	done   bool
	png    string    // --png: directory for the pictures of the committed file; "" for none
	stdout io.Writer // where rank 0 lists the pictures
}

// createOutput creates the result file on rank 0 before any work, so an unwritable path
// fails at once.
// Collective.
func createOutput(c collective.Comm, path string) (*output, error) {
	return newOutput(c, path, "", nil)
}

// createResult is createOutput for the result file of a command: with --png DIR, commit
// also draws the pictures of the file into DIR, and an unwritable DIR fails at once.
// Collective.
func createResult(env Env, g GlobalOptions, path string) (*output, error) {
	return newOutput(env.Comm, path, g.PNG, env.Stdout)
}

func newOutput(c collective.Comm, path, png string, stdout io.Writer) (*output, error) {
	o := &output{c: c, path: path, png: png, stdout: stdout}
	var err error
	if c.Rank() == 0 {
		if png != "" {
			if err = picture.CheckDir(png); err != nil {
				err = fmt.Errorf("--png: %w", err)
			}
		}
		if err == nil {
			o.w, err = h5.Create(path)
		}
	}
	if err = spmd.Agree(c, err); err != nil {
		return nil, err
	}
	return o, nil
}

// commit runs write on rank 0, then renames the file into place, draws its pictures
// into the --png directory if one was given, and agrees on the outcome. After an error
// writing the file the temporary file is gone; after an error drawing the pictures the
// result file stays and no picture is left.
// Collective.
func (o *output) commit(write func(w *h5.Writer) error) error {
	var err error
	if o.w != nil {
		err = write(o.w)
		if err == nil {
			err = o.w.Commit()
		}
		if err != nil {
			o.w.Abort()
		} else if o.png != "" {
			err = writePictures(context.Background(), o.stdout, "pictures", o.path, o.png, picture.Options{})
		}
	}
	o.done = true
	return spmd.Agree(o.c, err)
}

// abort removes the temporary file unless commit ran. It is local and safe to defer.
func (o *output) abort() {
	if o != nil && !o.done && o.w != nil {
		o.w.Abort()
	}
}

// report logs the per-phase timing table of the run on rank 0 (and every rank with -v),
// with the bytes and messages this rank sent through collectives.
func report(c collective.Comm, penv *spmd.Env, start time.Time) {
	cnt := c.Counters()
	penv.Times.Report(penv.Log, time.Since(start), cnt.BytesSent, cnt.Messages)
}

// provenance writes the attributes that make a run reproducible to the root group.
func provenance(w *h5.Writer, env Env, ds dataset.Dataset, plan spmd.Plan, times *spmd.Timings, start time.Time) error {
	info := ds.Info()
	attrs := []struct {
		name  string
		value any
	}{
		{"program", "stemreduce"},
		{"version", Version},
		{"commit", commit()},
		{"command_line", strings.Join(env.Args, " ")},
		{"ranks", env.Comm.Size()},
		{"block_size", plan.B},
		{"n_blocks", plan.NBlocks},
		{"input", info.Path},
		{"input_format", info.Format},
		{"input_nav_shape", ds.Shape().Nav},
		{"input_sig_shape", ds.Shape().Sig},
		{"input_dtype", info.Dtype},
		{"created", start.UTC().Format(time.RFC3339)},
		{"host", hostname()},
	}
	for _, a := range attrs {
		if err := w.SetAttr("/", a.name, a.value); err != nil {
			return err
		}
	}
	cnt := env.Comm.Counters()
	if err := w.SetAttr("/", "rank0_collective_bytes", cnt.BytesSent); err != nil {
		return err
	}
	if err := w.SetAttr("/", "rank0_collective_messages", cnt.Messages); err != nil {
		return err
	}
	names, secs := times.Phases()
	if err := w.SetAttr("/", "timing_phases", names); err != nil {
		return err
	}
	secs = append(secs, time.Since(start).Seconds())
	return w.SetAttr("/", "timing_seconds", secs) // the phases, then the whole run
}
