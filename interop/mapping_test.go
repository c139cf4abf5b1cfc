package interop_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/interop"
)

// TestElectionGuardApproval: an approval contest without votes_allowed
// lets a voter approve every option.
func TestElectionGuardApproval(t *testing.T) {
	var f map[string]any
	if err := json.Unmarshal(readSample(t, "electionguard-1.0/manifest-minimal.json"), &f); err != nil {
		t.Fatal(err)
	}
	c := f["contests"].([]any)[0].(map[string]any)
	c["vote_variation"] = "approval"
	delete(c, "votes_allowed")
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := interop.FromElectionGuard(data, interop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Contests[0]; got.Kind != ballot.KindApproval || got.MaxSelections != 2 || got.MinSelections != 0 {
		t.Errorf("approval contest = %+v, want approval of 0 to 2", got)
	}
}

// nistMeasures is a SP 1500-20 definition with a bilingual ballot measure,
// a two-seat council, and styles without ordered content: the precinct's
// style gets the city's contests through the units that compose it.
const nistMeasures = `{
  "@type": "BallotDefinition.BallotDefinition",
  "GpUnit": [
    {"@type": "BallotDefinition.ReportingUnit", "@id": "gp-city", "ComposingGpUnitIds": ["gp-ward-1"]},
    {"@type": "BallotDefinition.ReportingUnit", "@id": "gp-ward-1", "ComposingGpUnitIds": ["gp-p1"]},
    {"@type": "BallotDefinition.ReportingUnit", "@id": "gp-p1"},
    {"@type": "BallotDefinition.ReportingUnit", "@id": "gp-county"}
  ],
  "Election": [{
    "@type": "BallotDefinition.Election",
    "ElectionScopeId": "gp-city",
    "Name": {"Text": [{"Content": "City election", "Language": "en"}, {"Content": "Elección municipal", "Language": "ES"}]},
    "Candidate": [
      {"@id": "can-a", "BallotName": {"Text": [{"Content": "Ann", "Language": "en"}]}},
      {"@id": "can-b", "BallotName": {"Text": [{"Content": "Bo", "Language": "en"}]}},
      {"@id": "can-c", "BallotName": {"Text": [{"Content": "Cy", "Language": "en"}]}}
    ],
    "Contest": [
      {"@type": "BallotDefinition.BallotMeasureContest", "@id": "bm-Parks", "Name": "Parks levy", "ElectionDistrictId": "gp-city", "SequenceOrder": 2,
       "BallotTitle": {"Text": [{"Content": "Parks levy", "Language": "en"}, {"Content": "Impuesto de parques", "Language": "es"}]},
       "ContestOption": [
         {"@type": "BallotDefinition.BallotMeasureOption", "@id": "bm-yes", "Selection": {"Text": [{"Content": "Yes", "Language": "en"}, {"Content": "Sí", "Language": "es"}]}},
         {"@type": "BallotDefinition.BallotMeasureOption", "@id": "bm-no", "Selection": {"Text": [{"Content": "No", "Language": "en"}]}}
       ]},
      {"@type": "BallotDefinition.CandidateContest", "@id": "cc-council", "Name": "Council", "ElectionDistrictId": "gp-ward-1", "SequenceOrder": 1,
       "VoteVariation": "n-of-m", "VotesAllowed": 2,
       "ContestOption": [
         {"@type": "BallotDefinition.CandidateOption", "@id": "co-a", "CandidateIds": ["can-a"]},
         {"@type": "BallotDefinition.CandidateOption", "@id": "co-b", "CandidateIds": ["can-b"]},
         {"@type": "BallotDefinition.CandidateOption", "@id": "co-c", "CandidateIds": ["can-c"]}
       ]}
    ],
    "BallotStyle": [
      {"@type": "BallotDefinition.BallotStyle", "GpUnitIds": ["gp-p1"]},
      {"@type": "BallotDefinition.BallotStyle", "GpUnitIds": ["gp-city"], "ExternalIdentifier": [{"Type": "local-level", "Value": "City_Only"}]}
    ]
  }]
}`

// TestNISTMeasuresAndUnits maps a ballot measure (its choices' Spanish
// titles, "ES" made canonical), an n-of-m contest, the contests' order by
// SequenceOrder, and styles drawn from composed units; then runs it.
func TestNISTMeasuresAndUnits(t *testing.T) {
	m, err := interop.FromNIST([]byte(nistMeasures), interop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "gp-city" || m.Language != "en" || m.Translations["es"] != "Elección municipal" {
		t.Errorf("election %q in %q, translations %q", m.ID, m.Language, m.Translations)
	}
	if len(m.Contests) != 2 {
		t.Fatalf("%d contests, want 2", len(m.Contests))
	}
	council, parks := m.Contests[0], m.Contests[1]
	if council.ID != "cc-council" || council.Kind != ballot.KindKOfN || council.MaxSelections != 2 || len(council.Options) != 3 {
		t.Errorf("council = %+v", council)
	}
	if parks.ID != "bm-parks" || parks.Kind != ballot.KindPlurality || parks.Translations["es"] != "Impuesto de parques" ||
		parks.Options[0].Title != "Yes" || parks.Options[0].Translations["es"] != "Sí" || parks.Options[1].Translations != nil {
		t.Errorf("parks = %+v", parks)
	}
	want := []ballot.Style{{ID: "style-1", Contests: []string{"cc-council", "bm-parks"}}, {ID: "city-only", Contests: []string{"bm-parks"}}}
	if !slices.EqualFunc(m.Styles, want, func(a, b ballot.Style) bool { return a.ID == b.ID && slices.Equal(a.Contests, b.Contests) }) {
		t.Errorf("styles %+v, want %+v", m.Styles, want)
	}
	if es := m.Localize(m.MatchLanguage()); es.Title != m.Title {
		t.Errorf("with no preference the title is %q, want the English one", es.Title)
	}
	runElection(t, m)
}

// TestNISTRefusals: each NIST element that cannot map is refused, named by
// its path and id.
func TestNISTRefusals(t *testing.T) {
	edit := func(f func(e map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal([]byte(nistMeasures), &doc); err != nil {
			t.Fatal(err)
		}
		f(doc["Election"].([]any)[0].(map[string]any))
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	contest := func(e map[string]any, i int) map[string]any { return e["Contest"].([]any)[i].(map[string]any) }
	option := func(e map[string]any, i, k int) map[string]any {
		return contest(e, i)["ContestOption"].([]any)[k].(map[string]any)
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		path  string
		words []string
	}{
		{"write-in option", edit(func(e map[string]any) { option(e, 1, 2)["IsWriteIn"] = true }), "$.Election[0].Contest[1].ContestOption[2]", []string{`"co-c"`, "write-in"}},
		{"ranked", edit(func(e map[string]any) { contest(e, 1)["VoteVariation"] = "rcv" }), "$.Election[0].Contest[1].VoteVariation", []string{`"rcv"`, `"cc-council"`}},
		{"1-of-m of two", edit(func(e map[string]any) { contest(e, 1)["VoteVariation"] = "1-of-m" }), "$.Election[0].Contest[1].VotesAllowed", []string{"one-of-m contest with votes allowed 2"}},
		{"party option", edit(func(e map[string]any) { option(e, 1, 0)["@type"] = "BallotDefinition.PartyOption" }), "$.Election[0].Contest[1].ContestOption[0]", []string{`"co-a"`, "PartyOption"}},
		{"primary", edit(func(e map[string]any) { contest(e, 1)["PrimaryPartyIds"] = []any{"par-x"} }), "$.Election[0].Contest[1].PrimaryPartyIds", []string{"party primary"}},
		{"unknown candidate", edit(func(e map[string]any) { option(e, 1, 0)["CandidateIds"] = []any{"can-z"} }), "$.Election[0].Contest[1].ContestOption[0].CandidateIds[0]", []string{`"can-z"`}},
		{"partisan style", edit(func(e map[string]any) {
			e["BallotStyle"].([]any)[0].(map[string]any)["PartyIds"] = []any{"par-x"}
		}), "$.Election[0].BallotStyle[0].PartyIds", []string{"no partisan ballots"}},
		{"style of an unknown contest", edit(func(e map[string]any) {
			e["BallotStyle"].([]any)[1].(map[string]any)["OrderedContent"] = []any{map[string]any{"@type": "BallotDefinition.OrderedContest", "ContestId": "cc-sheriff"}}
		}), "$.Election[0].BallotStyle[1].OrderedContent[0].ContestId", []string{`"cc-sheriff"`}},
		{"two texts in one language", edit(func(e map[string]any) {
			title := contest(e, 0)["BallotTitle"].(map[string]any)
			title["Text"] = append(title["Text"].([]any), map[string]any{"Content": "Parques", "Language": "es"})
		}), "$.Election[0].Contest[0].BallotTitle.Text[2]", []string{`a second text in language "es"`}},
		{"no text in the definition's language", edit(func(e map[string]any) {
			contest(e, 0)["BallotTitle"] = map[string]any{"Text": []any{map[string]any{"Content": "Impuesto", "Language": "es"}}}
		}), "$.Election[0].Contest[0].BallotTitle.Text", []string{`no text in "en"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := interop.FromNIST(tc.data, interop.Options{})
			wantRefusal(t, err, tc.path, tc.words...)
		})
	}
}
