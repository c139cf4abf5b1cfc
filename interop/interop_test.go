package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/interop"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/verifiertest"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var counted = interop.Options{WriteIns: interop.CountWriteIns}

// problems returns the paths and messages of an import's refusal.
func problems(t *testing.T, err error) []ballot.Problem {
	t.Helper()
	var e *interop.Error
	if !errors.As(err, &e) {
		t.Fatalf("import error %v is not an *interop.Error", err)
	}
	return e.Problems
}

// wantRefusal checks that err refuses the element at path with a message
// holding each of words.
func wantRefusal(t *testing.T, err error, path string, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("import succeeded, want a refusal at %s", path)
	}
	for _, p := range problems(t, err) {
		if p.Path != path {
			continue
		}
		for _, w := range words {
			if !strings.Contains(p.Message, w) {
				t.Errorf("refusal at %s = %q, want it to say %q", path, p.Message, w)
			}
		}
		return
	}
	t.Errorf("import refused %v, but not the element at %s", err, path)
}

// runElection runs an election over the imported definition m end to
// end, its voters spread over its ballot styles (three a style, one of
// each style weighing 3), and checks that the verifier passes its record
// and that every contest counted the ballots of its styles' voters.
func runElection(t *testing.T, m *ballot.Manifest) {
	t.Helper()
	if err := interop.CheckDraft(m); err != nil {
		t.Fatalf("the imported definition is invalid: %v", err)
	}
	styles := len(m.Styles)
	voters := 3 * max(styles, 1)
	style := func(v int) string {
		if styles == 0 {
			return ""
		}
		return m.Styles[v%styles].ID
	}
	weight := func(v int) uint64 {
		if v < max(styles, 1) {
			return 3
		}
		return 1
	}
	var export bytes.Buffer
	e, err := verifiertest.Generate(context.Background(), verifiertest.Options{
		Voters: voters, Trustees: 3, Threshold: 2, Challenges: 1, Revotes: 1,
		Title: m.Title, Language: m.Language, Translations: m.Translations,
		Contests: m.Contests, Styles: m.Styles,
		Assign: func(v int) (string, uint64) { return style(v), weight(v) },
	}, &export)
	if err != nil {
		t.Fatalf("running an election over the imported definition: %v", err)
	}
	r := verifier.Verify(context.Background(), verifier.Export(bytes.NewReader(export.Bytes()), "imported.jsonl"), verifier.Options{
		BoardKey: e.BoardKey, Checkpoints: [][]byte{e.Checkpoint},
	})
	for _, f := range r.Failures {
		t.Errorf("verifier: %v", f)
	}
	if !r.OK {
		t.Fatal("the verifier refused the election over the imported definition")
	}
	if len(r.Result) != len(m.Contests) {
		t.Fatalf("the result has %d contests, the definition %d", len(r.Result), len(m.Contests))
	}
	for i, c := range m.Contests {
		var want int64
		for v := range voters {
			on, err := e.Manifest.StyleContests(style(v))
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range on {
				if k == i {
					want++
				}
			}
		}
		if got := r.Result[i].Ballots; got != want {
			t.Errorf("contest %q counted %d ballots, want %d (its styles' voters)", c.ID, got, want)
		}
		if r.Result[i].Title != c.Title {
			t.Errorf("contest %d's result title %q, want %q", i, r.Result[i].Title, c.Title)
		}
	}
}

// exportSample is a sample definition that ExportNIST can state.
type exportSample struct {
	name string
	from func() (*ballot.Manifest, error)
}

// export imports the sample, opening on 3 November 2026 at 07:00 UTC for
// 12 hours, and exports it as NIST SP 1500-100, generated when it opens.
func (s exportSample) export(t *testing.T) (*ballot.Manifest, []byte) {
	t.Helper()
	m, err := s.from()
	if err != nil {
		t.Fatal(err)
	}
	m.Opens = time.Date(2026, 11, 3, 7, 0, 0, 0, time.UTC)
	m.Closes = m.Opens.Add(12 * time.Hour)
	report, err := interop.ExportNIST(m, m.Opens)
	if err != nil {
		t.Fatal(err)
	}
	return m, report
}

// exportSamples are the samples whose import ExportNIST can state: the
// NIST ballot definition and the ElectionGuard 1.0 manifests.
func exportSamples(t testing.TB) []exportSample {
	return []exportSample{
		{"nist", func() (*ballot.Manifest, error) {
			return interop.FromNIST(readSample(t, "nist-ballot-definition/physical_ballot_def_1.json"), counted)
		}},
		{"electionguard-1.0-full", func() (*ballot.Manifest, error) {
			return interop.FromElectionGuard(readSample(t, "electionguard-1.0/manifest-full.json"), counted)
		}},
		{"electionguard-1.0-small", func() (*ballot.Manifest, error) {
			return interop.FromElectionGuard(readSample(t, "electionguard-1.0/manifest-small.json"), counted)
		}},
		{"electionguard-1.0-minimal", func() (*ballot.Manifest, error) {
			return interop.FromElectionGuard(readSample(t, "electionguard-1.0/manifest-minimal.json"), counted)
		}},
	}
}

// TestNISTRoundTrip: a definition imported from NIST SP 1500-20 (or
// ElectionGuard, translations and styles included), exported as NIST SP
// 1500-100 v2 and imported again, is the same definition.
func TestNISTRoundTrip(t *testing.T) {
	for _, tc := range exportSamples(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, report := tc.export(t)
			for _, want := range []string{`"@type": "ElectionResults.ElectionReport"`, `"@type": "ElectionResults.CandidateContest"`, `"StartDate": "2026-11-03"`} {
				if !strings.Contains(string(report), want) {
					t.Errorf("the report lacks %s", want)
				}
			}
			again, err := interop.FromNIST(report, interop.Options{})
			if err != nil {
				t.Fatalf("importing the export: %v\n%s", err, report)
			}
			again.Opens, again.Closes = m.Opens, m.Closes
			if !reflect.DeepEqual(again, m) {
				t.Errorf("import ∘ export changed the definition:\n got %+v\nwant %+v", again, m)
			}
		})
	}
}

// TestExportRefusals: a contest NIST SP 1500-100 cannot state is refused,
// naming it.
func TestExportRefusals(t *testing.T) {
	m := &ballot.Manifest{ID: "e", Title: "E", Contests: []ballot.Contest{
		{ID: "budget", Title: "Budget", Kind: ballot.KindCumulative, MinSelections: 0, MaxSelections: 5, OptionMax: 3, Options: []ballot.Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}}},
		{ID: "referendum", Title: "R", MinSelections: 1, MaxSelections: 1, OptionMax: 1, Options: []ballot.Option{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}},
	}}
	_, err := interop.ExportNIST(m, time.Now())
	if err == nil || !strings.Contains(err.Error(), `contest "budget" allows 3 votes for one option`) || !strings.Contains(err.Error(), `contest "referendum" requires at least 1 selections`) {
		t.Errorf("ExportNIST(cumulative, minimum) = %v, want both contests refused by name", err)
	}
}

// TestImportRefusals: each element that cannot map is refused, named by
// its path, never dropped.
func TestImportRefusals(t *testing.T) {
	minimal := readSample(t, "electionguard-1.0/manifest-minimal.json")
	eg := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(minimal, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	contest := func(m map[string]any) map[string]any { return m["contests"].([]any)[0].(map[string]any) }
	for _, tc := range []struct {
		name  string
		data  []byte
		path  string
		words []string
	}{
		{"ranked (borda)", eg(func(m map[string]any) { contest(m)["vote_variation"] = "borda" }), "$.contests[0].vote_variation", []string{`"borda"`, `"referendum-pineapple"`}},
		{"n_of_m over the options", eg(func(m map[string]any) { contest(m)["vote_variation"] = "n_of_m"; contest(m)["votes_allowed"] = 3 }), "$.contests[0].votes_allowed", []string{"votes allowed 3 exceeds the 2 options"}},
		{"one_of_m of two", eg(func(m map[string]any) { contest(m)["votes_allowed"] = 2 }), "$.contests[0].votes_allowed", []string{"one-of-m contest with votes allowed 2"}},
		{"id that maps to nothing", eg(func(m map[string]any) { contest(m)["object_id"] = "§§" }), "$.contests[0].object_id", []string{`"§§" maps to no evote id`}},
		{"ids that collide", eg(func(m map[string]any) {
			sels := contest(m)["ballot_selections"].([]any)
			sels[0].(map[string]any)["object_id"] = "Yes"
			sels[1].(map[string]any)["object_id"] = "yes"
		}), "$.contests[0].ballot_selections[1].object_id", []string{`"yes" maps to "yes"`, "$.contests[0].ballot_selections[0]", "collide"}},
		{"partisan ballot style", eg(func(m map[string]any) {
			m["ballot_styles"].([]any)[0].(map[string]any)["party_ids"] = []any{"whig"}
		}), "$.ballot_styles[0].party_ids", []string{"no partisan ballots"}},
		{"primary", eg(func(m map[string]any) { contest(m)["primary_party_ids"] = []any{"whig"} }), "$.contests[0].primary_party_ids", []string{"party primary"}},
		{"unknown district", eg(func(m map[string]any) { contest(m)["electoral_district_id"] = "atlantis" }), "$.contests[0].electoral_district_id", []string{`"atlantis"`}},
		{"invisible character", eg(func(m map[string]any) {
			m["name"].(map[string]any)["text"].([]any)[0].(map[string]any)["value"] = "Vote\u202eetov"
		}), "$.name.text[0]", []string{"U+202E"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := interop.FromElectionGuard(tc.data, interop.Options{})
			wantRefusal(t, err, tc.path, tc.words...)
		})
	}
}

// TestMapID: the id rule of docs/spec/import.md §3.
func TestMapID(t *testing.T) {
	for in, want := range map[string]string{
		"cc-president":          "cc-president",
		"gpu-p-001-BRA":         "gpu-p-001-bra",
		"_1SP":                  "1sp",
		"a__b  c":               "a-b-c",
		"--x--":                 "x",
		"Ünïcode":               "n-code",
		"§§":                    "",
		"":                      "",
		strings.Repeat("a", 64): strings.Repeat("a", 64),
		strings.Repeat("a", 65): "",
	} {
		if got := interop.MapID(in); got != want {
			t.Errorf("MapID(%q) = %q, want %q", in, got, want)
		}
	}
}
