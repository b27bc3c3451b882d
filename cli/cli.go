package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/stemreduce/stemreduce/collective"
	"github.com/stemreduce/stemreduce/spmd"
)

// Version is the program version.
const Version = "0.1.0"

// Commit is the source commit, set at build time with
// -ldflags "-X github.com/stemreduce/stemreduce/cli.Commit=…".
var Commit = ""

// commit returns Commit, or the VCS revision recorded by the Go toolchain, or "unknown".
func commit() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// Env is what a command runs with.
type Env struct {
	Comm    collective.Comm
	Stdout  io.Writer // user-facing results; rank 0 writes here
	Stderr  io.Writer // log lines
	Report  chan struct{}
	Args    []string // the full command line, for provenance
	Workers int      // goroutines per rank computing blocks; zero means GOMAXPROCS
}

// GlobalOptions are accepted by every command.
type GlobalOptions struct {
	Verbose  bool
	Progress time.Duration
	TileMB   int
	Block    int
	Ranks    int
	CPUProf  string
	PNG      string // directory for the pictures of the result file; "" for none
}

// AddFlags registers the global flags on f.
func (o *GlobalOptions) AddFlags(f *flag.FlagSet) {
	f.BoolVar(&o.Verbose, "v", false, "log from every rank, not only rank 0")
	f.DurationVar(&o.Progress, "progress", 30*time.Second, "interval of progress lines on long passes (0 disables; SIGUSR1 prints one at once)")
	f.IntVar(&o.TileMB, "tile-mb", 64, "memory per rank for the frames held at once, in `MiB`")
	f.IntVar(&o.Block, "block", 0, "frames per block (0: chosen from the number of frames; part of the result's bits)")
	f.IntVar(&o.Ranks, "ranks", 1, "run `N` ranks as goroutines in this process (when not started by mpirun or srun)")
	f.StringVar(&o.CPUProf, "cpuprofile", "", "write a Go CPU profile of rank 0 to `file`")
	f.StringVar(&o.PNG, "png", "", "after writing the result file, draw its pictures as PNG files into `directory` (as the plot command)")
}

func (o *GlobalOptions) check() error {
	switch {
	case o.TileMB < 1:
		return spmd.Usagef("--tile-mb=%d: want at least 1, e.g. --tile-mb=64", o.TileMB)
	case o.Block < 0:
		return spmd.Usagef("--block=%d: want 0 (automatic) or a positive frame count", o.Block)
	case o.Ranks < 1:
		return spmd.Usagef("--ranks=%d: want at least 1, e.g. --ranks=4", o.Ranks)
	case o.Progress < 0:
		return spmd.Usagef("--progress=%v: want a duration >= 0, e.g. --progress=10s", o.Progress)
	}
	return nil
}

// profile starts the CPU profile of rank 0 if asked; the returned function stops it.
func (o *GlobalOptions) profile(rank int) (stop func(), err error) {
	if o.CPUProf == "" || rank != 0 {
		return func() {}, nil
	}
	f, err := os.Create(o.CPUProf)
	if err != nil {
		return func() {}, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// passEnv returns the pass settings for this rank.
func (o *GlobalOptions) passEnv(env Env) *spmd.Env {
	return &spmd.Env{
		Log:       spmd.NewLogger(env.Stderr, env.Comm.Rank(), env.Comm.Size(), o.Verbose),
		Times:     &spmd.Timings{},
		TileBytes: int64(o.TileMB) << 20,
		Progress:  o.Progress,
		Report:    env.Report,
		Workers:   env.Workers,
	}
}

// command is one subcommand.
type command struct {
	name, args, short string
	run               func(ctx context.Context, env Env, g GlobalOptions, args []string) error
}

func commands() []command {
	return []command{
		{"stats", "INPUT -o OUT.h5", "per-pixel sum, mean, variance, min, max and per-frame totals in one pass", runStatsCmd},
		{"virtual", "INPUT --mask NAME=SPEC... -o OUT.h5", "virtual detector images (bright field, annular dark field, ...) of masks in one pass", runVirtualCmd},
		{"com", "INPUT -o OUT.h5", "centre of mass of every frame, with the DPC maps (field, magnitude, divergence, curl)", runCOMCmd},
		{"pca", "INPUT -k K -o OUT.h5", "principal component analysis: components, scores, explained variance (docs/pca.md)", runPCACmd},
		{"ica", "INPUT -k K -o OUT.h5", "independent component analysis (FastICA) on the PCA scores: source maps and factors (docs/ica.md)", runICACmd},
		{"umap", "INPUT -o OUT.h5", "two-dimensional UMAP embedding of the scan positions (docs/umap.md)", runUMAPCmd},
		{"run", "JOB.toml [-o OUT.h5]", "run a pipeline from a job file (stats, UDFs, pca, ica, umap) into one output (docs/jobs.md)", runRunCmd},
		{"udf", "INPUT --run NAME,... -o OUT.h5", "run several built-in or registered UDFs in one pass over the data", runUDFCmd},
		{"info", "INPUT [-n P]", "print shape, dtype, layout and the partition plan of an input", runInfoCmd},
		{"plot", "OUT.h5 -o DIR", "draw the pictures of a result file as PNG files (also --png DIR on any command)", runPlotCmd},
		{"generate", "[SPEC] -o OUT.h5", "write the synthetic 4D-STEM dataset, with its ground truth, to HDF5", runGenerateCmd},
		{"version", "", "print the version", runVersionCmd},
	}
}

// Usage is the top-level help text.
func Usage() string {
	var b strings.Builder
	b.WriteString(`stemreduce: distributed dimensionality reduction of 4D-STEM data

Usage:
  mpirun -n P stemreduce COMMAND [flags] ARGS
  stemreduce COMMAND [flags] ARGS            (one rank, or --ranks N in one process)

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.short)
	}
	b.WriteString(`
Inputs:
  scan.h5:/path/to/data   an HDF5 dataset (N,dy,dx) or (sy,sx,dy,dx); length-1 extra axes allowed
  scan.h5                 the one 3-D/4-D dataset in the file
  scan.npy                a NumPy array of the same shapes
  synth:[KEY=VALUE,...]   the synthetic dataset, e.g. synth:scan=64x64,det=64x64,phases=4,dose=1000,seed=1

Example:
  mpirun -n 4 stemreduce stats scan.h5:/experiment/data -o stats.h5

Run 'stemreduce COMMAND -h' for the flags of a command.

Exit codes:
  0    success
  1    run failed (I/O, numerics)
  2    usage error (bad flags or arguments)
  3    invalid input data (shape, dtype, empty, corrupt)
  70   internal error: a rank panicked and the job aborted
  130  cancelled by a signal (SIGINT, SIGTERM)
`)
	return b.String()
}

// ErrHelp is returned when help was asked for and printed.
var ErrHelp = errors.New("help requested")

// Run runs the command line args (without the program name) on this rank.
// Collective: every rank must call it with the same args.
func Run(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return spmd.Usagef("no command given; run 'stemreduce --help'")
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		if env.Comm.Rank() == 0 {
			fmt.Fprint(env.Stdout, Usage())
		}
		return ErrHelp
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, env, GlobalOptions{}, args[1:])
		}
	}
	return spmd.Usagef("unknown command %q; run 'stemreduce --help'", name)
}

// parse parses flags and positional arguments in any order (flags may follow arguments, as
// in "stemreduce stats scan.h5 -o out.h5") and checks the number of positionals.
func parse(env Env, f *flag.FlagSet, args []string, minPos, maxPos int, usage string) ([]string, error) {
	f.SetOutput(io.Discard)
	f.Usage = func() {}
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				if env.Comm.Rank() == 0 {
					printFlags(env.Stdout, f, usage)
				}
				return nil, ErrHelp
			}
			return nil, spmd.Usagef("%s: %v (usage: %s)", f.Name(), err, usage)
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minPos || len(pos) > maxPos {
		return nil, spmd.Usagef("%s: want %s (usage: %s)", f.Name(), argCount(minPos, maxPos), usage)
	}
	return pos, nil
}

func argCount(lo, hi int) string {
	switch {
	case lo == hi && lo == 1:
		return "one argument"
	case lo == hi:
		return strconv.Itoa(lo) + " arguments"
	}
	return fmt.Sprintf("%d to %d arguments", lo, hi)
}

func printFlags(w io.Writer, f *flag.FlagSet, usage string) {
	fmt.Fprintf(w, "Usage: stemreduce %s\n\nFlags:\n", usage)
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// RanksFlag returns the value of --ranks in args (1 when absent), for main to decide how
// many in-process ranks to start before the command runs.
func RanksFlag(args []string) (int, error) {
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "ranks" {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return 0, spmd.Usagef("--ranks: want a number, e.g. --ranks=4")
			}
			val = args[i+1]
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			return 0, spmd.Usagef("--ranks=%q: want a number >= 1, e.g. --ranks=4", val)
		}
		return n, nil
	}
	return 1, nil
}

func runVersionCmd(ctx context.Context, env Env, g GlobalOptions, args []string) error {
	f := flag.NewFlagSet("version", flag.ContinueOnError)
	g.AddFlags(f)
	if _, err := parse(env, f, args, 0, 0, "version"); err != nil {
		return err
	}
	if env.Comm.Rank() == 0 {
		fmt.Fprintf(env.Stdout, "stemreduce %s (commit %s)\n", Version, commit())
	}
	return nil
}

// hostname is used in provenance.
func hostname() string {
	h, _ := os.Hostname()
	return h
}
