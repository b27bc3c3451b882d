package cli

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/stemreduce/stemreduce/io/h5"
	"github.com/stemreduce/stemreduce/spmd"
)

// A job file (docs/jobs.md) names an input, an output and the stages of a pipeline as
// TOML tables whose keys are the flags of the matching command:
//
//	input  = "scan.h5:/data"
//	output = "job.h5"
//	[stats]
//	[pca]
//	k = 16
//	[ica]
//	k = 4
//	[umap]
//	n-neighbors = 15
//
// The stages run in a fixed order whatever the order of the tables: one pass of the UDFs
// ([stats], [udf]), then [pca], then [ica] and [umap] on the PCA of the job.

// jobTopKeys are the keys a job file may hold outside its tables.
var jobTopKeys = []string{"input", "output", "block", "roi", "roi-mask"}

// jobStages are the tables of a job file, in the order their stages run.
var jobStages = []string{"stats", "udf", "pca", "ica", "umap"}

// jobFile is a parsed job file.
type jobFile struct {
	name  string // where it came from, for messages
	file  string // the job file's name, for provenance
	text  string // the file verbatim
	input string
	// output is the result file the job names; "" if it names none.
	output string
	block  int
	roi    string
	mask   string // roi-mask
	// tables holds the flags of every stage present, as "--key=value" arguments in the
	// order of the keys.
	tables map[string][]string
}

// has reports whether the job has the stage's table.
func (j *jobFile) has(stage string) bool {
	_, ok := j.tables[stage]
	return ok
}

// usagef is a usage error naming the job file.
func (j *jobFile) usagef(format string, args ...any) error {
	return spmd.Usagef("%s: "+format, append([]any{j.name}, args...)...)
}

// parseJob parses the text of the job file name. It checks the keys outside the tables
// and the shape of the tables; the stages check their own keys.
func parseJob(name, text string) (*jobFile, error) {
	j := &jobFile{name: name, text: text, tables: map[string][]string{}}
	var top map[string]any
	if _, err := toml.Decode(text, &top); err != nil {
		return nil, j.usagef("not a valid job file: %v", err)
	}
	keys := sortedKeys(top)
	for _, key := range keys {
		v := top[key]
		if table, ok := v.(map[string]any); ok {
			if !slices.Contains(jobStages, key) {
				return nil, j.usagef("unknown table [%s]; want %s", key, tableList())
			}
			args, err := tableArgs(table)
			if err != nil {
				return nil, j.usagef("[%s] %v", key, err)
			}
			j.tables[key] = args
			continue
		}
		if err := j.setTop(key, v); err != nil {
			return nil, err
		}
	}
	switch {
	case j.input == "":
		return nil, j.usagef(`no input: give one, e.g. input = "scan.h5:/data"`)
	case len(j.tables) == 0:
		return nil, j.usagef("no stage: give at least one of %s", tableList())
	case (j.has("ica") || j.has("umap")) && !j.has("pca"):
		return nil, j.usagef("[ica] and [umap] run on the PCA of the job: add a [pca] table, e.g. [pca] k = 16")
	case j.has("stats") && len(j.tables["stats"]) > 0:
		return nil, j.usagef("[stats] takes no keys (the ROI is the job's roi)")
	}
	return j, nil
}

// setTop sets the top-level key to v.
func (j *jobFile) setTop(key string, v any) error {
	str := func(dst *string) error {
		s, ok := v.(string)
		if !ok {
			return j.usagef("%s = %v: want a string", key, v)
		}
		*dst = s
		return nil
	}
	switch key {
	case "input":
		return str(&j.input)
	case "output":
		return str(&j.output)
	case "roi":
		return str(&j.roi)
	case "roi-mask":
		return str(&j.mask)
	case "block":
		n, ok := v.(int64)
		if !ok || n < 0 || n > math.MaxInt32 {
			return j.usagef("block = %v: want 0 (automatic) or a positive frame count", v)
		}
		j.block = int(n)
		return nil
	}
	return j.usagef("unknown key %q; want %s, or a table %s", key, strings.Join(jobTopKeys, ", "), tableList())
}

func tableList() string {
	var t []string
	for _, s := range jobStages {
		t = append(t, "["+s+"]")
	}
	return strings.Join(t, ", ")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// tableArgs turns the keys of a stage's table into command-line flags: key = value
// becomes --key=value, and an array gives the flag once per element.
func tableArgs(table map[string]any) ([]string, error) {
	var args []string
	for _, key := range sortedKeys(table) {
		vals, ok := table[key].([]any)
		if !ok {
			vals = []any{table[key]}
		}
		for _, v := range vals {
			s, err := flagValue(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", key, err)
			}
			args = append(args, "--"+key+"="+s)
		}
	}
	return args, nil
}

// flagValue formats a TOML value as a flag value.
func flagValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("want a string, number, boolean or an array of them, not %T", v)
}

// readJobFile reads and parses a job file.
func readJobFile(path string) (*jobFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, spmd.WithCode(spmd.ExitUsage, fmt.Errorf("job file: %w", err))
	}
	j, err := parseJob(path, string(b))
	if err != nil {
		return nil, err
	}
	j.file = path
	return j, nil
}

// readStoredJob reads the job file stored in the provenance of a result file.
func readStoredJob(path string) (*jobFile, error) {
	f, err := h5.OpenFile(path)
	if err != nil {
		return nil, spmd.WithCode(spmd.ExitInput, fmt.Errorf("--from-output: %w", err))
	}
	defer f.Close()
	text, err := f.Attr("/", "job")
	s, ok := text.(string)
	if err != nil || !ok {
		return nil, spmd.Inputf("--from-output=%q: no job file in the provenance (attribute /job): the file was not written by 'stemreduce run'", path)
	}
	name, _ := f.Attr("/", "job_file")
	n, _ := name.(string)
	j, err := parseJob(fmt.Sprintf("the job of %s", path), s)
	if err != nil {
		return nil, err
	}
	j.file = n
	return j, nil
}
