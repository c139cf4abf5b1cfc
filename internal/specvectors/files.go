package specvectors

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirInModule is where the vectors live, relative to the module root.
const dirInModule = "docs/spec/vectors"

// modulePath is the module whose root holds the vectors.
const modulePath = "github.com/evote/evote"

// Dir returns the absolute path of docs/spec/vectors: it looks for the
// module's go.mod in the working directory and its parents, as a test
// runs in its package's directory.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("specvectors: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		mod, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && isModule(mod) {
			return filepath.Join(d, filepath.FromSlash(dirInModule)), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("specvectors: no go.mod of %s above %s", modulePath, wd)
		}
	}
}

func isModule(gomod []byte) bool {
	first, _, _ := bytes.Cut(gomod, []byte("\n"))
	return strings.TrimSpace(string(first)) == "module "+modulePath
}

// Path returns the absolute path of the file name of docs/spec/vectors
// (a slash-separated relative path), which must exist.
func Path(t testing.TB, name string) string {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(name))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("specvectors: %v", err)
	}
	return p
}

// Load parses the vector file name of docs/spec/vectors and binds its
// vectors to t, without Run's strictness about unread inputs and
// unchecked outputs: for a test that takes some values of a file as seeds
// or fixtures. The file must still be run in full by Run in some test.
func Load(t testing.TB, name string) []*Vector {
	t.Helper()
	data, err := os.ReadFile(Path(t, name))
	if err != nil {
		t.Fatalf("specvectors: %v", err)
	}
	vs, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		v.bind(t)
	}
	return vs
}

// Run runs f on every vector of the file name of docs/spec/vectors, each
// in a subtest named after the vector. Once f returns, a vector fails if
// any of its inputs was not read (an unknown key) or any of its expect
// lines was not checked by Outcome or Expect.
func Run(t *testing.T, name string, f func(t *testing.T, v *Vector)) {
	t.Helper()
	for _, v := range Load(t, name) {
		t.Run(v.Name, func(t *testing.T) {
			v.bind(t)
			f(t, v)
			if !t.Failed() {
				v.finish()
			}
		})
	}
}

// Generated compares the file name of docs/spec/vectors with data, the
// output of its generator, and reports an error if they differ (the test
// goes on, to run the file as it is). With the test flag
// -update (which the calling package's tests define), it writes data to
// the file instead, creating its directory.
func Generated(t testing.TB, name string, data []byte) {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(name))
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatalf("specvectors: %v", err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatalf("specvectors: %v", err)
		}
		return
	}
	got, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("specvectors: %s does not exist; run the test with -update to create it", name)
	}
	if err != nil {
		t.Fatalf("specvectors: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("specvectors: %s differs from its generator's output at line %d; if the change is intended, run the test with -update and review the diff", name, firstDifferentLine(got, data))
	}
}

// Updating reports whether the test binary was given -update, the flag
// with which generators rewrite their files.
func Updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// firstDifferentLine returns the 1-based number of the first line where a
// and b differ.
func firstDifferentLine(a, b []byte) int {
	n := 1
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == '\n' {
			n++
		}
	}
	return n
}
