package ballot

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestSetTrustees fills the sample's trustees back into the sample written
// without them, with "trustees" missing or empty: the result parses to the
// sample itself.
func TestSetTrustees(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	want := sampleCanonical(t)
	trustees := sampleManifest(t).Trustees
	for name, def := range map[string][]byte{
		"missing": mutateJSON(t, sample, func(m obj) { delete(m, "trustees") }),
		"empty":   mutateJSON(t, sample, func(m obj) { m["trustees"] = []any{} }),
		"spaced":  bytes.Replace(mutateJSON(t, sample, func(m obj) { m["trustees"] = []any{} }), []byte(`"trustees":[]`), []byte("\"trustees\" :\n[ ]"), 1),
	} {
		t.Run(name, func(t *testing.T) {
			filled, err := SetTrustees(def, trustees)
			if err != nil {
				t.Fatalf("SetTrustees: %v", err)
			}
			m, err := ParseManifest(filled)
			if err != nil {
				t.Fatalf("ParseManifest(SetTrustees(…)): %v\n%s", err, filled)
			}
			got, err := m.MarshalCanonical()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, bytes.TrimSpace(want)) {
				t.Errorf("SetTrustees then ParseManifest = %s, want %s", got, want)
			}
		})
	}
}

// TestSetTrusteesKeepsProblems: members SetTrustees does not touch stay as
// written, so that ParseManifest still reports their mistakes.
func TestSetTrusteesKeepsProblems(t *testing.T) {
	trustees := sampleManifest(t).Trustees
	def := mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m obj) {
		delete(m, "trustees")
		m["threshold"] = 4
	})
	def = bytes.Replace(def, []byte(`"version":"evote/v1"`), []byte(`"version":"evote/v1","version":"evote/v1"`), 1)
	filled, err := SetTrustees(def, trustees)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseManifest(filled)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("ParseManifest = %v, want a *ParseError", err)
	}
	for _, want := range []string{"$.version: field appears more than once", "$.threshold"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseManifest = %v, want a problem at %s", err, want)
		}
	}
}

// TestSetTrusteesRefuses lists what SetTrustees refuses to complete.
func TestSetTrusteesRefuses(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	trustees := sampleManifest(t).Trustees
	for _, tt := range []struct {
		name, def, want string
	}{
		{"listed", string(sample), "lists its trustees already"},
		{"null", `{"id":"x","trustees":null}`, "lists its trustees already"},
		{"twice", `{"trustees":[],"trustees":[]}`, "two \"trustees\""},
		{"array", `[]`, "not a JSON object"},
		{"empty", ``, "not a JSON object"},
		{"truncated", `{"id":"x",`, "not valid JSON"},
		{"bad value", `{"id":x}`, "not valid JSON"},
		{"after", `{"id":"x"} {}`, "data after"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := SetTrustees([]byte(tt.def), trustees)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetTrustees(%q) = %q, %v, want an error containing %q", tt.def, out, err, tt.want)
			}
		})
	}
}
