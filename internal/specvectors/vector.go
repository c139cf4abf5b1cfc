package specvectors

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Vector is one vector of a file. Its accessors read inputs and check
// outputs; under Run, each marks what it read or checked, and a vector
// with an input left unread or an expect line left unchecked fails.
// A failed accessor ends the vector's test with t.Fatal, naming the file
// and line.
type Vector struct {
	// File is the file's name, relative to docs/spec/vectors.
	File string
	// Name is the vector's name, unique in its file.
	Name string
	// Line is the line of its name.
	Line int

	inputs  []Field
	expects []Expectation
	t       testing.TB
	read    map[int]bool // by index in inputs
	checked map[int]bool // by index in expects
}

// where prefixes a message with the vector's place.
func (v *Vector) where(line int) string {
	return fmt.Sprintf("%s:%d: vector %q", v.File, line, v.Name)
}

func (v *Vector) fatalf(line int, format string, args ...any) {
	v.t.Helper()
	v.t.Fatalf("%s: %s", v.where(line), fmt.Sprintf(format, args...))
}

// bind attaches v to the test t and clears its bookkeeping.
func (v *Vector) bind(t testing.TB) {
	v.t = t
	v.read = make(map[int]bool)
	v.checked = make(map[int]bool)
}

// Inputs returns the vector's input lines, in order, without marking any
// as read.
func (v *Vector) Inputs() []Field { return slices.Clone(v.inputs) }

// Expectations returns the vector's expect lines, in order, without
// marking any as checked.
func (v *Vector) Expectations() []Expectation { return slices.Clone(v.expects) }

// find returns the positions of the inputs with key and marks them read.
func (v *Vector) find(key string) []int {
	var at []int
	for i, f := range v.inputs {
		if f.Key == key {
			at = append(at, i)
			v.read[i] = true
		}
	}
	return at
}

// Lookup returns the value of the optional input key, which may appear
// once at most.
func (v *Vector) Lookup(key string) (string, bool) {
	v.t.Helper()
	at := v.find(key)
	switch len(at) {
	case 0:
		return "", false
	case 1:
		return v.inputs[at[0]].Value, true
	}
	v.fatalf(v.inputs[at[1]].Line, "input %q given twice", key)
	return "", false
}

// String returns the value of the input key, which must appear exactly
// once.
func (v *Vector) String(key string) string {
	v.t.Helper()
	s, ok := v.Lookup(key)
	if !ok {
		v.fatalf(v.Line, "no input %q", key)
	}
	return s
}

// Strings returns the values of every input key, in order; none is
// allowed.
func (v *Vector) Strings(key string) []string {
	var out []string
	for _, i := range v.find(key) {
		out = append(out, v.inputs[i].Value)
	}
	return out
}

// line returns the line of the first input key, or the vector's.
func (v *Vector) line(key string) int {
	for _, f := range v.inputs {
		if f.Key == key {
			return f.Line
		}
	}
	return v.Line
}

// input returns the input key decoded by decode.
func input[T any](v *Vector, key string, decode func(string) (T, error)) T {
	v.t.Helper()
	x, err := decode(v.String(key))
	if err != nil {
		v.fatalf(v.line(key), "input %q: %v", key, err)
	}
	return x
}

// Hex returns the input key, lowercase hexadecimal, decoded.
func (v *Vector) Hex(key string) []byte {
	v.t.Helper()
	return input(v, key, DecodeHex)
}

// Uint returns the input key, an unsigned decimal integer.
func (v *Vector) Uint(key string) uint64 {
	v.t.Helper()
	return input(v, key, DecodeUint)
}

// Int returns the input key, a decimal integer, signed with "-" if
// negative.
func (v *Vector) Int(key string) int64 {
	v.t.Helper()
	return input(v, key, DecodeInt)
}

// Quoted returns the input key, a JSON string literal, decoded: the form
// of a text with line breaks.
func (v *Vector) Quoted(key string) string {
	v.t.Helper()
	return input(v, key, DecodeQuoted)
}

// DecodeHex decodes lowercase hexadecimal, and nothing else.
func DecodeHex(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || hex.EncodeToString(b) != s {
		return nil, fmt.Errorf("%.40q is not lowercase hexadecimal", s)
	}
	return b, nil
}

// DecodeUint decodes an unsigned decimal integer in shortest form.
func DecodeUint(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, fmt.Errorf("%q is not an unsigned decimal integer in shortest form", s)
	}
	return n, nil
}

// DecodeInt decodes a decimal integer in shortest form, signed with "-"
// if negative.
func DecodeInt(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%q is not a decimal integer in shortest form", s)
	}
	return n, nil
}

// DecodeQuoted decodes a JSON string literal.
func DecodeQuoted(s string) (string, error) {
	var out string
	if err := json.Unmarshal([]byte(s), &out); err != nil || !strings.HasPrefix(s, `"`) {
		return "", fmt.Errorf("%.40q is not a JSON string", s)
	}
	return out, nil
}

// Quote returns s as a JSON string literal, the form Quoted reads.
func Quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	return string(b)
}

// Outcome checks how the vector's operation ended: reasons are the
// rejection reasons it gave, none if it succeeded. A vector expecting
// rejections must have exactly these, in order; any other vector must
// have succeeded. Outcome reports whether the operation succeeded and the
// caller should go on to check the outputs.
func (v *Vector) Outcome(reasons ...string) bool {
	v.t.Helper()
	var want []string
	for i, e := range v.expects {
		switch e.Output {
		case Reject:
			want = append(want, e.Value)
			v.checked[i] = true
		case Accept:
			v.checked[i] = true
		}
	}
	if !slices.Equal(reasons, want) {
		switch {
		case len(want) == 0:
			v.fatalf(v.Line, "rejected (%s), want success", strings.Join(reasons, "; "))
		case len(reasons) == 0:
			v.fatalf(v.Line, "succeeded, want rejection %q", want)
		default:
			v.fatalf(v.Line, "rejected with\n\t%s\nwant\n\t%s", strings.Join(reasons, "\n\t"), strings.Join(want, "\n\t"))
		}
	}
	return len(want) == 0
}

// expectation returns the expect line of output.
func (v *Vector) expectation(output string) (int, bool) {
	for i, e := range v.expects {
		if e.Output == output {
			return i, true
		}
	}
	return 0, false
}

// Peek returns the expected value of output without checking it, for an
// operation that needs it as input (verifying an expected proof); the
// output must still be checked with Expect.
func (v *Vector) Peek(output string) string {
	v.t.Helper()
	i, ok := v.expectation(output)
	if !ok {
		v.fatalf(v.Line, "no %q line", "expect: "+output)
	}
	return v.expects[i].Value
}

// PeekHex is Peek of a hexadecimal output, decoded.
func (v *Vector) PeekHex(output string) []byte {
	v.t.Helper()
	b, err := DecodeHex(v.Peek(output))
	if err != nil {
		v.fatalf(v.Line, "output %q: %v", output, err)
	}
	return b
}

// Expect checks that the vector expects output to be got, formatted by
// Format. A mismatch is an error; the vector's test goes on.
func (v *Vector) Expect(output string, got any) {
	v.t.Helper()
	i, ok := v.expectation(output)
	if !ok {
		v.fatalf(v.Line, "no %q line", "expect: "+output)
	}
	v.checked[i] = true
	if g := Format(got); g != v.expects[i].Value {
		v.t.Errorf("%s: %s =\n\t%s\nwant\n\t%s", v.where(v.expects[i].Line), output, g, v.expects[i].Value)
	}
}

// Expects reports whether the vector has an expect line for output.
func (v *Vector) Expects(output string) bool {
	_, ok := v.expectation(output)
	return ok
}

// finish reports every input not read and every expect line not checked.
func (v *Vector) finish() {
	v.t.Helper()
	for i, f := range v.inputs {
		if !v.read[i] && f.Key != KeyComment {
			v.t.Errorf("%s: unknown input %q: no test reads it", v.where(f.Line), f.Key)
		}
	}
	for i, e := range v.expects {
		if !v.checked[i] {
			v.t.Errorf("%s: %q is never checked", v.where(e.Line), "expect: "+e.Output)
		}
	}
}
