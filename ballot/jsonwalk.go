package ballot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Problem is one mistake found in a hand-written document, at a JSON path
// such as "$.contests[1].options[0].id" ("$" is the whole document).
type Problem struct {
	Path    string
	Message string
}

// String returns "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// ParseError lists every problem found in a document. ParseManifest does not
// stop at the first mistake: it reports them all, in document order.
type ParseError struct {
	What     string // what was parsed, e.g. "manifest"
	Problems []Problem
}

// Error lists every problem, one per line after the first.
func (e *ParseError) Error() string {
	var sb strings.Builder
	if len(e.Problems) == 1 {
		fmt.Fprintf(&sb, "invalid %s: %s", e.What, e.Problems[0])
		return sb.String()
	}
	fmt.Fprintf(&sb, "invalid %s: %d problems:", e.What, len(e.Problems))
	for _, p := range e.Problems {
		sb.WriteString("\n\t")
		sb.WriteString(p.String())
	}
	return sb.String()
}

// walker collects problems while decoding a JSON document field by field.
type walker struct {
	problems []Problem
	// lang is the manifest's $.language ("" if none), and langOK false
	// if it is invalid: translations are checked against it.
	lang   string
	langOK bool
	noLang bool // the missing $.language was reported
}

func (w *walker) addf(path, format string, args ...any) {
	w.problems = append(w.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// object splits a JSON object into its members, in order. It reports
// duplicate keys, members not in allowed, and members in required that are
// missing. It returns the members by key; ok is false if raw is not an object.
func (w *walker) object(path string, raw json.RawMessage, allowed, required []string) (map[string]json.RawMessage, bool) {
	list, ok := w.members(path, raw)
	if !ok {
		return nil, false
	}
	members := make(map[string]json.RawMessage, len(list))
	for _, m := range list {
		if !contains(allowed, m.key) {
			w.addf(path+"."+m.key, "unknown field %q (allowed: %s)", m.key, strings.Join(allowed, ", "))
			continue
		}
		members[m.key] = m.value
	}
	for _, k := range required {
		if _, ok := members[k]; !ok {
			w.addf(path+"."+k, "missing required field")
		}
	}
	return members, true
}

// jsonMember is one member of a JSON object.
type jsonMember struct {
	key   string
	value json.RawMessage
}

// members splits a JSON object into its members, in document order,
// reporting and leaving out a key that appears more than once; ok is false
// if raw is not an object.
func (w *walker) members(path string, raw json.RawMessage) ([]jsonMember, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		w.addf(path, "must be a JSON object, not %s", jsonKind(raw))
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		w.addf(path, "%v", err)
		return nil, false
	}
	var list []jsonMember
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			w.addf(path, "%v", err)
			return nil, false
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			w.addf(path, "%v", err)
			return nil, false
		}
		if seen[key] {
			w.addf(path+"."+key, "field appears more than once")
			continue
		}
		seen[key] = true
		list = append(list, jsonMember{key, v})
	}
	return list, true
}

// array returns the elements of a JSON array.
func (w *walker) array(path string, raw json.RawMessage) ([]json.RawMessage, bool) {
	var elems []json.RawMessage
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		w.addf(path, "must be a JSON array, not %s", jsonKind(raw))
		return nil, false
	}
	if err := json.Unmarshal(raw, &elems); err != nil {
		w.addf(path, "%v", err)
		return nil, false
	}
	return elems, true
}

// str decodes a JSON string.
func (w *walker) str(path string, raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		w.addf(path, "must be a JSON string, not %s", jsonKind(raw))
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		w.addf(path, "%v", err)
		return "", false
	}
	return s, true
}

// uint decodes a JSON integer in [0, max].
func (w *walker) uint(path string, raw json.RawMessage, max uint64) (int, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
		w.addf(path, "must be a JSON number, not %s", jsonKind(raw))
		return 0, false
	}
	v, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		w.addf(path, "must be a whole number from 0 to %d, not %s", max, raw)
		return 0, false
	}
	if v > max {
		w.addf(path, "must be at most %d, not %d", max, v)
		return 0, false
	}
	return int(v), true
}

func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// syntaxProblem describes a JSON syntax error with its line and column.
func syntaxProblem(data []byte, err error) Problem {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, int(se.Offset))
		return Problem{Path: "$", Message: fmt.Sprintf("JSON syntax error at line %d, column %d: %v", line, col, se)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return Problem{Path: "$", Message: "JSON ends too early"}
	}
	return Problem{Path: "$", Message: "invalid JSON: " + err.Error()}
}

func lineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}
