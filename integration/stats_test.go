package integration

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/io/h5"
)

var statsNames = []string{"sum", "mean", "var", "var_sample", "std", "min", "max", "frame_sum"}

// readStats reads every /stats dataset of a result file.
func readStats(t *testing.T, file string) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for _, name := range statsNames {
		data, _, err := h5.ReadFloat64Dataset(file, "/stats/"+name)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out[name] = data
	}
	return out
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestStatsBitwiseAcrossRanks runs stats under mpirun with 1, 2 and 4 ranks and in process
// with 3 ranks, on the synthetic source and on an HDF5 file, with a block size that does
// not divide the number of frames, and requires the same bits from every run.
func TestStatsBitwiseAcrossRanks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gen.h5")
	mustRun(t, 0, "generate", "synth:scan=24x20,det=16x12,phases=3,seed=7", "-o", file, "--chunks", "1,7,16,12", "--gzip", "1")
	inputs := map[string]string{
		"synth": "synth:scan=20x17,det=12x10,phases=3,dose=500,seed=3",
		"hdf5":  file + ":/data",
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			runs := []struct {
				label string
				p     int
				extra []string
			}{
				{"mpirun -n 1", 1, nil},
				{"mpirun -n 2", 2, nil},
				{"mpirun -n 4", 4, nil},
				{"inproc 3", 0, []string{"--ranks", "3"}},
				{"inproc 7", 0, []string{"--ranks", "7"}},
			}
			var ref map[string][]float64
			for i, r := range runs {
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.h5", name, i))
				args := append([]string{"stats", input, "-o", out, "--block", "5", "--tile-mb", "1"}, r.extra...)
				mustRun(t, r.p, args...)
				got := readStats(t, out)
				if ref == nil {
					ref = got
					continue
				}
				for _, n := range statsNames {
					if !sameBits(got[n], ref[n]) {
						t.Errorf("%s: /stats/%s differs from %s", r.label, n, runs[0].label)
					}
				}
			}
		})
	}
}

// TestStatsAgainstReference compares the stats of an HDF5 file with a float64 two-pass
// computation over the same file, read independently here.
func TestStatsAgainstReference(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gen.h5")
	mustRun(t, 0, "generate", "synth:scan=16x16,det=20x20,phases=4,seed=2", "-o", file)
	out := filepath.Join(dir, "stats.h5")
	mustRun(t, 2, "stats", file+":/data", "-o", out)
	got := readStats(t, out)

	data, dims, err := h5.ReadFloat64Dataset(file, "/data")
	if err != nil {
		t.Fatal(err)
	}
	n, d := dims[0]*dims[1], dims[2]*dims[3]
	for i := range d {
		sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
		for f := range n {
			x := data[f*d+i]
			sum += x
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		mean := sum / float64(n)
		m2 := 0.0
		for f := range n {
			m2 += (data[f*d+i] - mean) * (data[f*d+i] - mean)
		}
		checks := []struct {
			name      string
			got, want float64
		}{
			{"sum", got["sum"][i], sum}, {"mean", got["mean"][i], mean}, {"var", got["var"][i], m2 / float64(n)},
			{"var_sample", got["var_sample"][i], m2 / float64(n-1)}, {"std", got["std"][i], math.Sqrt(m2 / float64(n))},
			{"min", got["min"][i], lo}, {"max", got["max"][i], hi},
		}
		for _, c := range checks {
			// 1e-12 relative: both sides accumulate 256 values in float64.
			if math.Abs(c.got-c.want) > 1e-12*math.Abs(c.want) {
				t.Fatalf("pixel %d: %s = %.17g, want %.17g", i, c.name, c.got, c.want)
			}
		}
	}
	for f := range n {
		s := 0.0
		for i := range d {
			s += data[f*d+i]
		}
		if math.Abs(got["frame_sum"][f]-s) > 1e-12*math.Abs(s) {
			t.Fatalf("frame_sum[%d] = %g, want %g", f, got["frame_sum"][f], s)
		}
	}
}

// TestBadInput checks that bad input gives one clear error line naming the problem, the
// documented exit code, no output file, and no hang, under mpirun with 2 ranks.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.h5")
	mustRun(t, 0, "generate", "synth:scan=8x8,det=8x8,phases=2", "-o", good)
	truncated := filepath.Join(dir, "truncated.h5")
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	notH5 := filepath.Join(dir, "text.h5")
	os.WriteFile(notH5, []byte("not an HDF5 file\n"), 0o644)

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing file", []string{"stats", filepath.Join(dir, "nope.h5"), "-o", "OUT"}, 3, []string{"nope.h5"}},
		{"unknown dataset", []string{"stats", good + ":/nothing", "-o", "OUT"}, 3, []string{"/nothing"}},
		{"ambiguous file", []string{"stats", good, "-o", "OUT"}, 3, []string{"candidate", "/data"}},
		{"2-D dataset", []string{"stats", good + ":/truth/thickness", "-o", "OUT"}, 3, []string{"/truth/thickness"}},
		{"truncated file", []string{"stats", truncated + ":/data", "-o", "OUT"}, 3, []string{"truncated.h5"}},
		{"not HDF5", []string{"stats", notH5, "-o", "OUT"}, 3, []string{"text.h5"}},
		{"unwritable output", []string{"stats", "synth:scan=4x4,det=4x4", "-o", "/proc/nope/out.h5"}, 1, []string{"/proc/nope/out.h5"}},
		{"missing -o", []string{"stats", "synth:"}, 2, []string{"-o is required"}},
		{"unknown flag", []string{"stats", "synth:", "-o", "OUT", "--frobnicate"}, 2, []string{"frobnicate"}},
		{"bad synth key", []string{"stats", "synth:scan=64", "-o", "OUT"}, 2, []string{"scan"}},
		{"bad tile", []string{"stats", "synth:", "-o", "OUT", "--tile-mb", "0"}, 2, []string{"--tile-mb"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{"unknown command"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".h5")
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "OUT" {
					args[i] = out
				}
			}
			r := run(t, 2, args...)
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			if ours := ownLines(r.stderr); len(ours) != 1 {
				t.Errorf("want one error line from stemreduce, got %d:\n%s", len(ours), r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, r.stderr)
				}
			}
			for _, f := range []string{out, out + ".tmp"} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s left behind", f)
				}
			}
		})
	}
}
