package h5

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// captureStderr runs fn with file descriptor 2 redirected to a file and returns
// what was written there, by Go or by C code such as HDF5's error printer.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(f.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			syscall.Dup3(saved, 2, 0)
			syscall.Close(saved)
		}()
		fn()
	}()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// onFreshThread runs fn on a goroutine locked to its OS thread that exits
// without unlocking, so that the thread is discarded: a later call then runs on
// another thread, whose HDF5 error printing (per thread in a thread-safe build)
// was never switched off by anyone else.
func onFreshThread(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		fn()
	}()
	<-done
}

func TestCaptureStderr(t *testing.T) {
	got := captureStderr(t, func() { os.Stderr.WriteString("probe\n") })
	if got != "probe\n" {
		t.Fatalf("captureStderr got %q, want %q", got, "probe\n")
	}
}

// errorFixtures writes the files the error tests open, in dir.
func errorFixtures(t *testing.T, dir string) (good, text, truncated string) {
	good = filepath.Join(dir, "good.h5")
	w, err := Create(good)
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, w.WriteFloat32("/img", make([]float32, 20), 4, 5))
	mustOK(t, w.WriteFloat32("/five", make([]float32, 2*3*4*2*2), 2, 3, 4, 2, 2))
	mustOK(t, w.WriteStrings("/strings", make([]string, 8), 2, 2, 2))
	mustOK(t, w.WriteFloat32("/empty", nil, 0, 4, 3, 3))
	mustOK(t, w.WriteFloat32("/group/a", make([]float32, 4*2*2), 4, 2, 2))
	mustOK(t, w.WriteFloat32("/group/b", make([]float32, 2*2*2*2), 2, 2, 2, 2))
	big := make([]float32, 64*64*4)
	mustOK(t, w.WriteFloat32("/pad", big, 64, 64, 2, 2)) // makes the file worth truncating
	mustOK(t, w.Commit())

	text = filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("this is not an HDF5 file, though it is long enough to look at\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated = filepath.Join(dir, "truncated.h5")
	if err := os.WriteFile(truncated, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	return good, text, truncated
}

// TestOpenErrors checks that every failure to open returns one line naming the
// file (and the dataset) and the problem, and that HDF5 prints nothing.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good, text, truncated := errorFixtures(t, dir)
	missing := filepath.Join(dir, "missing.h5")
	tests := []struct {
		name, file, dset string
		want             []string
	}{
		{"missing file", missing, "", []string{`h5: could not open "` + missing + `": no such file or directory`}},
		{"directory", dir, "/data", []string{"is a directory"}},
		{"not HDF5", text, "", []string{`could not open "` + text + `": not an HDF5 file`}},
		{"truncated", truncated, "/pad", []string{`could not open "` + truncated + `": the file is truncated`}},
		{"unknown dataset", good, "/nope", []string{`no dataset "/nope" in "` + good + `"`, "/img (4, 5)"}},
		{"unknown nested", good, "/img/x/y", []string{`no dataset "/img/x/y"`}},
		{"group", good, "/group", []string{`"/group" in "` + good + `" is a group, not a dataset`}},
		{"2-D", good, "/img", []string{`dataset "/img" in "` + good + `" has 2 dimensions (4, 5)`}},
		{"5-D", good, "/five", []string{`"/five"`, "has 5 dimensions (2, 3, 4, 2, 2) with more than two scan axes"}},
		{"string dtype", good, "/strings", []string{`dataset "/strings" in "` + good + `" has dtype string`}},
		{"empty", good, "/empty", []string{`dataset "/empty" in "` + good + `" is empty: shape (0, 4, 3, 3)`}},
		{"several candidates", good, "", []string{`h5: "` + good + `" has 3 candidate datasets, choose one with ` + good +
			`:/path: /group/a (4, 2, 2), /group/b (2, 2, 2, 2), /pad (64, 64, 2, 2)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			stderr := captureStderr(t, func() {
				onFreshThread(func() {
					var r *Reader
					r, err = Open(tc.file, tc.dset)
					if r != nil {
						r.Close()
					}
				})
			})
			if err == nil {
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error has several lines: %q", msg)
			}
			if !strings.HasPrefix(msg, "h5: ") || !strings.Contains(msg, tc.file) {
				t.Errorf("error does not start with h5: or does not name %q: %s", tc.file, msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
			if stderr != "" {
				t.Errorf("HDF5 printed on stderr:\n%s", stderr)
			}
		})
	}
}

// TestCreateErrors checks output creation in places that cannot take it.
func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       string
		skip       bool
	}{
		{"missing directory", filepath.Join(dir, "nodir", "out.h5"), `directory "` + filepath.Join(dir, "nodir") + `" does not exist`, false},
		{"parent is a file", filepath.Join(file, "out.h5"), `"` + file + `" is not a directory`, false},
		{"path is a directory", dir, "it is a directory", false},
		{"read-only directory", filepath.Join(ro, "out.h5"), `directory "` + ro + `" is not writable`, os.Geteuid() == 0},
		{"proc", "/proc/out.h5", "could not create output", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip {
				t.Skip("root may write anywhere")
			}
			var err error
			stderr := captureStderr(t, func() {
				onFreshThread(func() {
					var w *Writer
					w, err = Create(tc.path)
					if w != nil {
						w.Abort()
					}
				})
			})
			if err == nil {
				t.Fatal("Create succeeded")
			}
			msg := err.Error()
			want := `h5: could not create output "` + tc.path + `": `
			if !strings.HasPrefix(msg, want) || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("got\n%s\nwant a line starting with %s and containing %s", msg, want, tc.want)
			}
			if stderr != "" {
				t.Errorf("stderr:\n%s", stderr)
			}
		})
	}
}

// TestWriteErrors checks failures of a Writer that was created.
func TestWriteErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	mustOK(t, w.WriteFloat64("/a", []float64{1}))
	tests := []struct {
		name string
		fn   func() error
		want string
	}{
		{"existing dataset", func() error { return w.WriteFloat64("/a", []float64{1}) }, `could not write dataset "/a" to "` + path + `"`},
		{"dataset under a dataset", func() error { return w.WriteInt64("/a/b", []int64{1}) }, `could not write dataset "/a/b"`},
		{"unknown dtype", func() error {
			_, err := w.CreateDataset("/x", "complex64", []int{2}, DatasetOptions{})
			return err
		}, `unknown dtype "complex64"`},
		{"chunk rank", func() error {
			_, err := w.CreateDataset("/x", "uint8", []int{2, 2}, DatasetOptions{Chunks: []int{1}})
			return err
		}, "chunks [1] do not match the rank of [2 2]"},
		{"chunk too big", func() error {
			_, err := w.CreateDataset("/x", "uint8", []int{2, 2}, DatasetOptions{Chunks: []int{1, 3}})
			return err
		}, "chunks [1 3] do not fit in [2 2]"},
		{"gzip level", func() error {
			_, err := w.CreateDataset("/x", "uint8", []int{2, 2}, DatasetOptions{Gzip: 10})
			return err
		}, "gzip level 10"},
		{"attribute type", func() error { return w.SetAttr("/", "c", complex(1, 2)) }, "unsupported value type complex128"},
		{"row range", func() error {
			d, err := w.CreateDataset("/rows", "uint8", []int{2, 2}, DatasetOptions{})
			if err != nil {
				return err
			}
			return d.WriteRows(1, 3, make([]uint8, 4))
		}, "h5: invalid row range [1, 3) for 2 rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			stderr := captureStderr(t, func() { onFreshThread(func() { err = tc.fn() }) })
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line containing %s", err, tc.want)
			}
			if stderr != "" {
				t.Errorf("stderr:\n%s", stderr)
			}
		})
	}
}
