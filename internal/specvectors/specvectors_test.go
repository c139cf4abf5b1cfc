package specvectors

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const good = `# a comment
# more

name: one
a: 00ff
comment: free text
n: 7
expect: out 1234

# between vectors
name: two
list: x
list: y
expect: reject some-reason
expect: reject another reason

name: three
q: "a\nb"
expect: accept
`

func TestParse(t *testing.T) {
	vs, err := Parse("good.txt", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[0].Name != "one" || vs[1].Name != "two" || vs[2].Name != "three" || vs[1].Line != 11 {
		t.Fatalf("Parse = %d vectors %+v", len(vs), vs)
	}
	want := []Field{{"a", "00ff", 5}, {"comment", "free text", 6}, {"n", "7", 7}}
	if got := vs[0].Inputs(); !slices.Equal(got, want) {
		t.Errorf("inputs = %v, want %v", got, want)
	}
	if e := vs[1].expects; len(e) != 2 || e[1] != (Expectation{Reject, "another reason", 15}) {
		t.Errorf("expects = %+v", e)
	}
}

// TestParseStrict lists what the format refuses, one line changed at a
// time.
func TestParseStrict(t *testing.T) {
	for name, in := range map[string]string{
		"empty":                  "",
		"only comments":          "# x\n",
		"no final newline":       "name: a\nexpect: accept",
		"CRLF":                   "name: a\r\nexpect: accept\r\n",
		"tab":                    "name: a\nk:\tv\nexpect: accept\n",
		"trailing space":         "name: a\nk: v \nexpect: accept\n",
		"no space after colon":   "name: a\nk:v\nexpect: accept\n",
		"two spaces":             "name: a\nk:  v\nexpect: accept\n",
		"empty value":            "name: a\nk:\nexpect: accept\n",
		"bad key":                "name: a\nk_x: v\nexpect: accept\n",
		"no name":                "k: v\nexpect: accept\n",
		"bad name":               "name: a b\nexpect: accept\n",
		"duplicate name":         "name: a\nexpect: accept\n\nname: a\nexpect: accept\n",
		"two names in one":       "name: a\nname: b\nexpect: accept\n",
		"no expect":              "name: a\nk: v\n",
		"no expect, last":        "name: a\nexpect: accept\n\nname: b\nk: v\n",
		"input after expect":     "name: a\nexpect: o 1\nk: v\n",
		"comment inside":         "name: a\n# no\nexpect: accept\n",
		"accept with value":      "name: a\nexpect: accept now\n",
		"accept and output":      "name: a\nexpect: accept\nexpect: o 1\n",
		"reject without reason":  "name: a\nexpect: reject\n",
		"reject and output":      "name: a\nexpect: reject r\nexpect: o 1\n",
		"output and reject":      "name: a\nexpect: o 1\nexpect: reject r\n",
		"output twice":           "name: a\nexpect: o 1\nexpect: o 2\n",
		"output without value":   "name: a\nexpect: o\n",
		"bad output name":        "name: a\nexpect: o! 1\n",
		"two comments":           "name: a\ncomment: x\ncomment: y\nexpect: accept\n",
		"invalid UTF-8":          "name: a\nk: \xff\nexpect: accept\n",
		"line of garbage":        "name: a\ngarbage\nexpect: accept\n",
		"expect line only":       "expect: accept\n",
		"blank line then expect": "name: a\nk: v\n\nexpect: accept\n",
	} {
		if _, err := Parse(name, []byte(in)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Parse(%q) = %v, want ErrFormat", name, in, err)
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	w := NewWriter("a comment\n\nmore")
	w.Vector("one")
	w.Input("a", []byte{0, 0xff})
	w.Comment("free text")
	w.Input("n", 7)
	w.Expect("out", [2]byte{0x12, 0x34})
	w.Vector("two")
	w.Input("list", "x")
	w.Input("list", "y")
	w.Reject("some-reason")
	w.Reject("another reason")
	w.Vector("three")
	w.Input("q", Quote("a\nb"))
	w.Accept()
	want := strings.Replace(good, "\n# between vectors", "", 1)
	want = strings.Replace(want, "# a comment\n# more", "# a comment\n#\n# more", 1)
	if got := string(w.Bytes()); got != want {
		t.Errorf("Writer wrote\n%s\nwant\n%s", got, want)
	}
	for name, f := range map[string]func(w *Writer){
		"no expect":      func(w *Writer) { w.Vector("a"); w.Vector("b") },
		"duplicate name": func(w *Writer) { w.Vector("a"); w.Accept(); w.Vector("a") },
		"input late":     func(w *Writer) { w.Vector("a"); w.Accept(); w.Input("k", "v") },
		"newline":        func(w *Writer) { w.Vector("a"); w.Input("k", "v\nw") },
		"empty":          func(w *Writer) { w.Vector("a"); w.Input("k", "") },
		"no vector":      func(w *Writer) { w.Accept() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Writer did not panic", name)
				}
			}()
			w := NewWriter("x")
			f(w)
			w.Bytes()
		}()
	}
}

// recorder is a testing.TB that records errors, and ends the goroutine on
// a fatal error as testing.T does.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// run binds v to a recorder, runs f on it as Run does and returns the
// errors.
func run(t *testing.T, v *Vector, f func(v *Vector)) []string {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan bool)
	go func() {
		defer close(done)
		v.bind(r)
		f(v)
		v.finish()
	}()
	<-done
	return r.errs
}

// TestRunStrict checks that a vector fails when its test leaves an input
// unread or an expect line unchecked, reads an input wrongly, or gets
// another outcome.
func TestRunStrict(t *testing.T) {
	vs, err := Parse("good.txt", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	one, two, three := vs[0], vs[1], vs[2]
	for _, tt := range []struct {
		name string
		v    *Vector
		f    func(v *Vector)
		want string // in the first error; "" for none
	}{
		{"all read", one, func(v *Vector) { v.Hex("a"); v.Uint("n"); v.Expect("out", "1234") }, ""},
		{"unknown key", one, func(v *Vector) { v.Hex("a"); v.Expect("out", "1234") }, `unknown input "n"`},
		{"output not checked", one, func(v *Vector) { v.Hex("a"); v.Uint("n") }, `"expect: out" is never checked`},
		{"wrong output", one, func(v *Vector) { v.Hex("a"); v.Uint("n"); v.Expect("out", []byte{1}) }, "out ="},
		{"missing input", one, func(v *Vector) { v.String("b") }, `no input "b"`},
		{"repeated input read once", two, func(v *Vector) { v.String("list") }, `input "list" given twice`},
		{"not hex", two, func(v *Vector) { v.Strings("list"); v.Hex("list") }, "given twice"},
		{"not a number", one, func(v *Vector) { v.Uint("a") }, "not an unsigned decimal"},
		{"rejections", two, func(v *Vector) { v.Strings("list"); v.Outcome("some-reason", "another reason") }, ""},
		{"rejections in another order", two, func(v *Vector) { v.Strings("list"); v.Outcome("another reason", "some-reason") }, "rejected with"},
		{"success instead of rejection", two, func(v *Vector) { v.Strings("list"); v.Outcome() }, "succeeded, want rejection"},
		{"rejection not checked", two, func(v *Vector) { v.Strings("list") }, "never checked"},
		{"accept", three, func(v *Vector) { v.Quoted("q"); v.Outcome() }, ""},
		{"rejection instead of success", three, func(v *Vector) { v.Quoted("q"); v.Outcome("no") }, "want success"},
		{"accept not checked", three, func(v *Vector) { v.Quoted("q") }, "never checked"},
	} {
		errs := run(t, tt.v, tt.f)
		switch {
		case tt.want == "" && len(errs) > 0:
			t.Errorf("%s: errors %q, want none", tt.name, errs)
		case tt.want != "" && (len(errs) == 0 || !strings.Contains(errs[0], tt.want)):
			t.Errorf("%s: errors %q, want one with %q", tt.name, errs, tt.want)
		}
	}
	if got := run(t, three, func(v *Vector) {
		if s := v.Quoted("q"); s != "a\nb" {
			t.Errorf("Quoted = %q", s)
		}
		v.Outcome()
	}); len(got) != 0 {
		t.Error(got)
	}
}

// readers are the functions whose string arguments name a file of
// docs/spec/vectors that the calling test reads.
var readers = map[string]bool{"Run": true, "Load": true, "Path": true}

// TestEveryFileIsRead fails if a file of docs/spec/vectors is read by no
// test of the module (no call specvectors.Run, Load or Path names it), or
// if a test names a file that does not exist.
func TestEveryFileIsRead(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(dir)))
	named := make(map[string][]string) // file → the test files naming it
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !readers[sel.Sel.Name] {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "specvectors" {
				return true
			}
			for _, a := range call.Args {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						named[s] = append(named[s], rel)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string]bool)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files in %s", dir)
	}
	for f := range files {
		if len(named[f]) == 0 {
			t.Errorf("%s/%s is read by no test: run it with specvectors.Run, or delete it", dirInModule, f)
		}
	}
	for f, by := range named {
		if !files[f] {
			t.Errorf("%s names %s/%s, which does not exist", strings.Join(by, ", "), dirInModule, f)
		}
	}
}

func TestDir(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "README.md")); err != nil {
		t.Errorf("Dir() = %s, not beside docs/spec/README.md: %v", dir, err)
	}
}
