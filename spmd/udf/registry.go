package udf

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Factory makes a UDF for a detector of shape sig, with the parameters given on the
// command line (--param key=value). It returns an error naming a bad or unknown parameter.
type Factory func(sig []int, params map[string]string) (UDF, error)

type registration struct {
	doc  string
	make Factory
}

var (
	regMu    sync.Mutex
	registry = map[string]registration{}
)

// Register makes a UDF available to `stemreduce udf --run name`. It is meant to be called
// from an init function of the package that defines the UDF; that package is then linked
// into the program with a blank import (see docs/udf.md). It panics if name is empty or
// already registered.
func Register(name, doc string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if name == "" || f == nil {
		panic("udf: Register with an empty name or a nil factory")
	}
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("udf: %q registered twice", name))
	}
	registry[name] = registration{doc, f}
}

// Lookup returns the factory registered as name.
func Lookup(name string) (Factory, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	r, ok := registry[name]
	return r.make, ok
}

// Registered returns the registered names, sorted, with their one-line descriptions.
func Registered() (names, docs []string) {
	regMu.Lock()
	defer regMu.Unlock()
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		docs = append(docs, registry[n].doc)
	}
	return names, docs
}

// CheckParams returns an error naming the first parameter of params not in known.
func CheckParams(name string, params map[string]string, known ...string) error {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return fmt.Errorf("udf %q has no parameter %q (it takes %v)", name, k, known)
		}
	}
	return nil
}
