package integration

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemreduce/stemreduce/algorithms/virtual"
	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/io/npy"
	"github.com/stemreduce/stemreduce/io/synth"
)

// readAll reads every dataset of a result file as float64, by path.
func readAll(t *testing.T, file string) map[string][]float64 {
	t.Helper()
	f, err := h5.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	infos, err := f.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for _, info := range infos {
		data, _, err := f.ReadFloat64(info.Path)
		if err != nil {
			t.Fatal(err)
		}
		out[info.Path] = data
	}
	return out
}

const udfInput = "synth:scan=13x11,det=16x18,phases=3,seed=4"

// udfArgs runs stats, two virtual detectors, the centre of mass and the example UDF in one
// pass, over an ROI.
func udfArgs(out string) []string {
	return []string{"udf", udfInput, "--run", "stats,virtual,com,brightest", "--param", "brightest.threshold=2",
		"--mask", "bf=disk:7.5,8.5,3", "--mask", "adf=annulus:7.5,8.5,4,9", "--roi", "2:11,1:9", "--block", "6", "-o", out}
}

// TestUDFPassBitwiseAcrossRanks requires the same bits from every rank count, under mpirun
// and in process, for several UDFs in one pass with an ROI.
func TestUDFPassBitwiseAcrossRanks(t *testing.T) {
	dir := t.TempDir()
	runs := []struct {
		label string
		p     int
		extra []string
	}{
		{"mpirun -n 1", 1, nil}, {"mpirun -n 2", 2, nil}, {"mpirun -n 4", 4, nil}, {"inproc 3", 0, []string{"--ranks", "3"}},
	}
	var ref map[string][]float64
	for i, r := range runs {
		out := filepath.Join(dir, fmt.Sprintf("u%d.h5", i))
		mustRun(t, r.p, append(udfArgs(out), r.extra...)...)
		got := readAll(t, out)
		if ref == nil {
			ref = got
			continue
		}
		if len(got) != len(ref) {
			t.Fatalf("%s: %d datasets, want %d", r.label, len(got), len(ref))
		}
		for name, want := range ref {
			if !sameBitsNaN(got[name], want) {
				t.Errorf("%s: %s differs from %s", r.label, name, runs[0].label)
			}
		}
	}
	checkUDFValues(t, ref)
}

func sameBitsNaN(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// checkUDFValues compares the results with a direct computation from the synthetic frames.
func checkUDFValues(t *testing.T, res map[string][]float64) {
	p, _ := synth.Parse(strings.TrimPrefix(udfInput, "synth:"))
	src := synth.New(p)
	const sy, sx, dy, dx = 13, 11, 16, 18
	frames := make([]float64, sy*sx*dy*dx)
	if err := src.ReadFloat64(frames, 0, sy*sx); err != nil {
		t.Fatal(err)
	}
	inROI := func(f int) bool { y, x := f/sx, f%sx; return y >= 2 && y < 11 && x >= 1 && x < 9 }
	count := 0
	sum := make([]float64, dy*dx)
	for f := range sy * sx {
		frame := frames[f*dy*dx : (f+1)*dy*dx]
		if !inROI(f) {
			for _, name := range []string{"/virtual/bf", "/com/y", "/stats/frame_sum"} {
				if !math.IsNaN(res[name][f]) {
					t.Fatalf("%s[%d] outside the ROI is %v, want NaN", name, f, res[name][f])
				}
			}
			continue
		}
		count++
		bf, tot, my := 0.0, 0.0, 0.0
		for y := range dy {
			for x := range dx {
				v := frame[y*dx+x]
				sum[y*dx+x] += v
				tot += v
				my += float64(y) * v
				if math.Hypot(float64(y)-7.5, float64(x)-8.5) <= 3 {
					bf += v
				}
			}
		}
		if g := res["/virtual/bf"][f]; math.Abs(g-bf) > 1e-5*bf {
			t.Fatalf("bf[%d] = %v, want %v", f, g, bf)
		}
		if g := res["/com/y"][f]; math.Abs(g-my/tot) > 1e-4 {
			t.Fatalf("com y[%d] = %v, want %v", f, g, my/tot)
		}
		if g := res["/stats/frame_sum"][f]; math.Abs(g-tot) > 1e-12*tot {
			t.Fatalf("frame_sum[%d] = %v, want %v", f, g, tot)
		}
	}
	if n := res["/stats/n"][0]; int(n) != count {
		t.Fatalf("stats over %v frames, want the %d of the ROI", n, count)
	}
	for i, s := range sum {
		if math.Abs(res["/stats/sum"][i]-s) > 1e-12*s {
			t.Fatalf("sum[%d] = %v, want %v", i, res["/stats/sum"][i], s)
		}
	}
}

func TestUDFBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"roi outside the scan", []string{"stats", "synth:scan=8x8,det=8x8", "--roi", "0:9,0:4"}, 2, "--roi"},
		{"roi and roi-mask", []string{"stats", "synth:", "--roi", "0:2,0:2", "--roi-mask", "m.npy"}, 2, "--roi-mask"},
		{"roi mask missing", []string{"stats", "synth:scan=8x8,det=8x8", "--roi-mask", "/nope/m.npy"}, 3, "m.npy"},
		{"no mask", []string{"virtual", "synth:scan=8x8,det=8x8"}, 2, "--mask"},
		{"bad mask", []string{"virtual", "synth:scan=8x8,det=8x8", "--mask", "bf=disk:1,2"}, 2, "disk:CY,CX,R"},
		{"mask off the detector", []string{"virtual", "synth:scan=8x8,det=8x8", "--mask", "p=point:20,20"}, 2, "covers no pixel"},
		{"mask file shape", []string{"virtual", "synth:scan=8x8,det=8x8", "--mask", "m=file:SCAN"}, 3, "does not match the detector"},
		{"bad center", []string{"com", "synth:scan=8x8,det=8x8", "--center", "3"}, 2, "--center"},
		{"unknown udf", []string{"udf", "synth:", "--run", "nosuch"}, 2, "unknown UDF"},
		{"no --run", []string{"udf", "synth:"}, 2, "--run"},
		{"bad param", []string{"udf", "synth:", "--run", "brightest", "--param", "brightest.treshold=1"}, 2, "no parameter"},
		{"param for another udf", []string{"udf", "synth:", "--run", "stats", "--param", "brightest.threshold=1"}, 2, "not among --run"},
	}
	// A scan-shaped file used where a detector-shaped mask is needed.
	scan := filepath.Join(dir, "scan.h5")
	mustRun(t, 0, "stats", "synth:scan=5x5,det=6x6", "-o", scan)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".h5")
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				args[i] = strings.ReplaceAll(a, "SCAN", scan+":/stats/frame_sum")
			}
			r := run(t, 2, append(args, "-o", out)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr does not say %q:\n%s", r.code, tc.code, tc.want, r.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s left behind", out)
			}
		})
	}
}

// TestMaskAndROIFiles checks that a detector mask and a scan ROI read from files give the
// bits of the same mask and ROI given as shapes on the command line.
func TestMaskAndROIFiles(t *testing.T) {
	dir := t.TempDir()
	const sy, sx, dy, dx = 13, 11, 16, 18
	disk := virtual.Disk(dy, dx, 7.5, 8.5, 3)
	m := make([]float64, len(disk))
	for i, v := range disk {
		m[i] = float64(v)
	}
	maskFile := filepath.Join(dir, "mask.npy")
	if err := npy.Write(maskFile, "uint8", false, []int{dy, dx}, m); err != nil {
		t.Fatal(err)
	}
	roi := make([]float64, sy*sx)
	for y := 2; y < 11; y++ {
		for x := 1; x < 9; x++ {
			roi[y*sx+x] = 1
		}
	}
	roiFile := filepath.Join(dir, "roi.npy")
	if err := npy.Write(roiFile, "uint8", false, []int{sy, sx}, roi); err != nil {
		t.Fatal(err)
	}
	a, b := filepath.Join(dir, "a.h5"), filepath.Join(dir, "b.h5")
	mustRun(t, 2, "virtual", udfInput, "--mask", "m=disk:7.5,8.5,3", "--roi", "2:11,1:9", "-o", a)
	mustRun(t, 2, "virtual", udfInput, "--mask", "m=file:"+maskFile, "--roi-mask", roiFile, "-o", b)
	ra, rb := readAll(t, a), readAll(t, b)
	if !sameBitsNaN(ra["/virtual/m"], rb["/virtual/m"]) {
		t.Fatalf("mask and ROI from files differ from the same given as shapes")
	}
}
