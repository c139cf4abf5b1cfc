package interop_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// nistResultsSchema is NIST's own JSON schema of SP 1500-100 v2
// (testdata/README.md says where it comes from).
const nistResultsSchema = "nist-results-reporting/NIST_V2_election_results_reporting.json"

// compileSchema compiles the JSON schema in testdata file name, asserting
// formats (date, date-time) as well as structure.
func compileSchema(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readSample(t, name)))
	if err != nil {
		t.Fatalf("reading schema %s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatalf("adding schema %s: %v", name, err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("compiling schema %s: %v", name, err)
	}
	return s
}

// validate reports whether doc is valid under s.
func validate(s *jsonschema.Schema, doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// TestExportNISTSchema: every definition the samples import to, exported
// with ExportNIST, is valid under NIST's JSON schema of SP 1500-100 v2,
// including a definition with translations, ballot styles, approval and
// n-of-m contests. The schema itself refuses mangled reports (so the check
// can fail): a missing required member, an unknown member, a wrong @type
// and a malformed date.
func TestExportNISTSchema(t *testing.T) {
	schema := compileSchema(t, nistResultsSchema)
	var reports [][]byte
	for _, tc := range exportSamples(t) {
		t.Run(tc.name, func(t *testing.T) {
			_, report := tc.export(t)
			if err := validate(schema, report); err != nil {
				t.Errorf("NIST SP 1500-100 v2 schema refuses the export: %v\n%s", err, report)
			}
			reports = append(reports, report)
		})
	}
	if len(reports) == 0 {
		t.Fatal("no sample exported")
	}
	for _, tc := range []struct{ name, old, new string }{
		{"missing Issuer", `"Issuer": "evote",`, ``},
		{"unknown member", `"Issuer": "evote",`, `"Issuer": "evote", "Colour": "red",`},
		{"wrong @type", `"ElectionResults.CandidateContest"`, `"ElectionResults.Contest"`},
		{"malformed date", `"StartDate": "2026-11-03"`, `"StartDate": "3 Nov 2026"`},
	} {
		t.Run("refuses/"+tc.name, func(t *testing.T) {
			bad := strings.Replace(string(reports[0]), tc.old, tc.new, 1)
			if bad == string(reports[0]) {
				t.Fatalf("the export has no %s to mangle", tc.old)
			}
			if err := validate(schema, []byte(bad)); err == nil {
				t.Errorf("the schema accepts the export with %s", tc.name)
			}
		})
	}
}
