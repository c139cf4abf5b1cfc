// Package specvectors reads and writes the test vectors of the evote
// specification, the files of docs/spec/vectors, in the one line format
// that docs/spec/vectors.md §1 defines: vectors of "key: value" lines,
// each named by its first line and closed by its "expect:" lines.
//
// Every package that implements part of the specification runs its vector
// files through Run, which is strict: a malformed line, a vector without an
// expect line or a duplicate name fails the parse, and an input that the
// test never reads (an unknown key) or an expect line it never checks fails
// the vector. TestEveryFileIsRead, in this package, fails if a file of
// docs/spec/vectors is read by no test.
//
// The generators of the vector files (the tests' -update mode) write them
// with Writer and compare them with the committed files with Generated.
package specvectors

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Reserved words of the format.
const (
	// KeyName is the key of the first line of every vector.
	KeyName = "name"
	// KeyComment is the key of an optional free-text input that no test
	// needs to read.
	KeyComment = "comment"
	// KeyExpect is the key of the lines that close a vector.
	KeyExpect = "expect"
	// Accept is the expect value of a vector whose operation succeeds
	// with no output to compare.
	Accept = "accept"
	// Reject starts the expect value of a vector whose operation fails:
	// "reject <reason>".
	Reject = "reject"
)

var (
	keyRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
)

// ErrFormat is wrapped by every error of Parse.
var ErrFormat = errors.New("specvectors: malformed vector file")

// Field is one input line of a vector.
type Field struct {
	// Key and Value are the line's "key: value".
	Key, Value string
	// Line is the 1-based line number in the file.
	Line int
}

// Expectation is one expect line of a vector: "expect: accept",
// "expect: reject <reason>" or "expect: <output> <value>".
type Expectation struct {
	// Output is the output's name, or Accept or Reject.
	Output string
	// Value is the expected value of the output, the reason of a
	// rejection, or empty for Accept.
	Value string
	// Line is the 1-based line number in the file.
	Line int
}

// Parse parses a vector file. name is the file's name, for errors. It
// rejects anything but the format of docs/spec/vectors.md §1 and returns
// the vectors in file order. Their accessors report to a test: use them
// through Run or Load, which give them one.
func Parse(name string, data []byte) ([]*Vector, error) {
	errorf := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrFormat, name, line, fmt.Sprintf(format, args...))
	}
	if !utf8.Valid(data) {
		return nil, errorf(0, "not valid UTF-8")
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, errorf(0, "empty, or no newline at the end")
	}
	var (
		out   []*Vector
		cur   *Vector
		names = make(map[string]bool)
	)
	closeVector := func(line int) error {
		if cur == nil {
			return nil
		}
		err := cur.checkExpectations()
		cur = nil
		if err != nil {
			return errorf(line, "%v", err)
		}
		return nil
	}
	lines := strings.Split(string(data[:len(data)-1]), "\n")
	for i, line := range lines {
		n := i + 1
		switch {
		case strings.ContainsAny(line, "\r\t"):
			return nil, errorf(n, "carriage return or tab")
		case line != strings.TrimRight(line, " "):
			return nil, errorf(n, "trailing space")
		case line == "":
			if err := closeVector(n - 1); err != nil {
				return nil, err
			}
			continue
		case strings.HasPrefix(line, "#"):
			if cur != nil {
				return nil, errorf(n, "comment line inside vector %q", cur.Name)
			}
			continue
		}
		key, value, ok := strings.Cut(line, ": ")
		if !ok || !keyRE.MatchString(key) || value == "" || value != strings.TrimLeft(value, " ") {
			return nil, errorf(n, "not a %q line: %q", "key: value", line)
		}
		if cur == nil {
			if key != KeyName {
				return nil, errorf(n, "a vector must start with %q, not %q", KeyName+":", key+":")
			}
			if !nameRE.MatchString(value) {
				return nil, errorf(n, "invalid vector name %q", value)
			}
			if names[value] {
				return nil, errorf(n, "duplicate vector name %q", value)
			}
			names[value] = true
			cur = &Vector{File: name, Name: value, Line: n}
			out = append(out, cur)
			continue
		}
		switch key {
		case KeyName:
			return nil, errorf(n, "vector %q has a second %q line (a blank line must separate vectors)", cur.Name, KeyName)
		case KeyExpect:
			e, err := parseExpectation(value, n)
			if err != nil {
				return nil, errorf(n, "%v", err)
			}
			cur.expects = append(cur.expects, e)
		default:
			if len(cur.expects) > 0 {
				return nil, errorf(n, "input %q after an expect line", key)
			}
			if key == KeyComment && cur.hasInput(KeyComment) {
				return nil, errorf(n, "second %q line", KeyComment)
			}
			cur.inputs = append(cur.inputs, Field{Key: key, Value: value, Line: n})
		}
	}
	if err := closeVector(len(lines)); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errorf(0, "no vectors")
	}
	return out, nil
}

func parseExpectation(value string, line int) (Expectation, error) {
	out, rest, _ := strings.Cut(value, " ")
	e := Expectation{Output: out, Value: rest, Line: line}
	switch {
	case out == Accept && rest != "":
		return e, fmt.Errorf("%q takes no value", "expect: "+Accept)
	case out == Reject && rest == "":
		return e, fmt.Errorf("%q needs a reason", "expect: "+Reject)
	case out != Accept && out != Reject && (!keyRE.MatchString(out) || rest == ""):
		return e, fmt.Errorf("not %q, %q or %q: %q", "expect: accept", "expect: reject <reason>", "expect: <output> <value>", value)
	}
	return e, nil
}

// checkExpectations checks the expect lines of a complete vector: at least
// one; accept alone; reject lines only with each other; every output once.
func (v *Vector) checkExpectations() error {
	if len(v.expects) == 0 {
		return fmt.Errorf("vector %q has no %q line", v.Name, KeyExpect+":")
	}
	seen := make(map[string]bool)
	for _, e := range v.expects {
		switch e.Output {
		case Accept:
			if len(v.expects) != 1 {
				return fmt.Errorf("vector %q: %q must be its only expect line", v.Name, "expect: "+Accept)
			}
		case Reject:
			if v.expects[0].Output != Reject {
				return fmt.Errorf("vector %q: rejections and outputs mixed", v.Name)
			}
		default:
			if v.expects[0].Output == Reject {
				return fmt.Errorf("vector %q: rejections and outputs mixed", v.Name)
			}
			if seen[e.Output] {
				return fmt.Errorf("vector %q: output %q expected twice", v.Name, e.Output)
			}
			seen[e.Output] = true
		}
	}
	return nil
}

func (v *Vector) hasInput(key string) bool {
	for _, f := range v.inputs {
		if f.Key == key {
			return true
		}
	}
	return false
}

// Expecter is what Writer and Vector share: a generator writes an output
// with Expect and a runner checks one with Expect, so that one function
// can list a vector's outputs for both.
type Expecter interface {
	Expect(output string, value any)
}

var (
	_ Expecter = (*Writer)(nil)
	_ Expecter = (*Vector)(nil)
)

// Writer writes a vector file. Its methods panic on a call that would
// write something Parse rejects: a generator's bug, not a test failure.
type Writer struct {
	buf     bytes.Buffer
	names   map[string]bool
	cur     string // the open vector's name
	expects int    // expect lines of the open vector
}

// NewWriter returns a Writer whose file opens with header as "#" comment
// lines (each line of header prefixed by "# ", or "#" for an empty line).
func NewWriter(header string) *Writer {
	w := &Writer{names: make(map[string]bool)}
	for _, line := range strings.Split(strings.TrimSuffix(header, "\n"), "\n") {
		if line == "" {
			w.buf.WriteString("#\n")
		} else {
			w.buf.WriteString("# " + line + "\n")
		}
	}
	return w
}

// Vector closes the open vector, if any, and opens the vector name.
func (w *Writer) Vector(name string) {
	w.close()
	if !nameRE.MatchString(name) || w.names[name] {
		panic(fmt.Sprintf("specvectors: invalid or duplicate vector name %q", name))
	}
	w.names[name] = true
	w.cur = name
	w.buf.WriteString("\n" + KeyName + ": " + name + "\n")
}

// Input writes the input line "key: value", value formatted by Format.
func (w *Writer) Input(key string, value any) {
	if w.cur == "" || w.expects > 0 || !keyRE.MatchString(key) || key == KeyName || key == KeyExpect {
		panic(fmt.Sprintf("specvectors: input %q out of place in vector %q", key, w.cur))
	}
	w.line(key, Format(value))
}

// Comment writes the vector's comment line.
func (w *Writer) Comment(text string) { w.Input(KeyComment, text) }

// Expect writes "expect: <output> <value>", value formatted by Format.
func (w *Writer) Expect(output string, value any) {
	if output == Accept || output == Reject || !keyRE.MatchString(output) {
		panic(fmt.Sprintf("specvectors: invalid output name %q", output))
	}
	w.expect(output + " " + Format(value))
}

// Accept writes "expect: accept".
func (w *Writer) Accept() { w.expect(Accept) }

// Reject writes "expect: reject <reason>".
func (w *Writer) Reject(reason string) { w.expect(Reject + " " + reason) }

func (w *Writer) expect(value string) {
	if w.cur == "" {
		panic("specvectors: expect line outside a vector")
	}
	w.expects++
	w.line(KeyExpect, value)
}

func (w *Writer) line(key, value string) {
	if value == "" || strings.ContainsAny(value, "\n\r\t") || strings.TrimSpace(value) != value {
		panic(fmt.Sprintf("specvectors: value of %q is empty, has a line break or tab, or starts or ends with a space: %q", key, value))
	}
	w.buf.WriteString(key + ": " + value + "\n")
}

func (w *Writer) close() {
	if w.cur != "" && w.expects == 0 {
		panic(fmt.Sprintf("specvectors: vector %q has no expect line", w.cur))
	}
	w.cur, w.expects = "", 0
}

// Bytes closes the open vector and returns the file. It panics if Parse
// would reject it.
func (w *Writer) Bytes() []byte {
	w.close()
	b := bytes.Clone(w.buf.Bytes())
	if _, err := Parse("generated", b); err != nil {
		panic(err)
	}
	return b
}

// Format formats a value as the format writes it: a byte slice or array
// (of any named type) in lowercase hexadecimal, a string as itself, anything else with %v
// (integers in decimal).
func Format(value any) string {
	switch v := value.(type) {
	case []byte:
		return fmt.Sprintf("%x", v)
	case string:
		return v
	}
	// Byte arrays and named byte slices, printed as their bytes even if
	// their type has a String method.
	rv := reflect.ValueOf(value)
	if k := rv.Kind(); (k == reflect.Array || k == reflect.Slice) && rv.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return hex.EncodeToString(b)
	}
	return fmt.Sprint(value)
}
