package interop_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/interop"
)

// TestElectionGuard10Samples: the ElectionGuard 1.0 samples import (their
// write-in selections counted), with their ballot styles drawn from the
// geopolitical units and their Spanish titles, and each runs as an
// election that the verifier passes.
func TestElectionGuard10Samples(t *testing.T) {
	for _, tc := range []struct {
		file     string
		contests []string
		styles   map[string][]string
	}{
		{"manifest-minimal.json", []string{"referendum-pineapple"}, map[string][]string{"ballot-style-01": {"referendum-pineapple"}}},
		{"manifest-small.json", []string{"congressional-race-01", "referendum-pineapple", "ozark-school-board-race"}, map[string][]string{
			"franklin-county-no-schooldistrict": {"congressional-race-01", "referendum-pineapple"},
			"franklin-county-ozark-schools":     {"congressional-race-01", "referendum-pineapple", "ozark-school-board-race"},
		}},
		{"manifest-full.json", []string{"justice-supreme-court", "referendum-pineapple"}, map[string][]string{
			"jefferson-county-ballot-style":                {"justice-supreme-court"},
			"harrison-township-ballot-style":               {"justice-supreme-court", "referendum-pineapple"},
			"harrison-township-precinct-east-ballot-style": {"justice-supreme-court", "referendum-pineapple"},
			"rutledge-elementary-ballot-style":             {"justice-supreme-court", "referendum-pineapple"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, err := interop.FromElectionGuard(readSample(t, "electionguard-1.0/"+tc.file), counted)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range m.Contests {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tc.contests) {
				t.Errorf("contests %q, want %q", ids, tc.contests)
			}
			if len(m.Styles) != len(tc.styles) {
				t.Errorf("%d styles, want %d", len(m.Styles), len(tc.styles))
			}
			for _, st := range m.Styles {
				if want := tc.styles[st.ID]; !slices.Equal(st.Contests, want) {
					t.Errorf("style %q has contests %q, want %q", st.ID, st.Contests, want)
				}
			}
			if m.Language != "en" || m.Translations["es"] == "" {
				t.Errorf("language %q, title's translations %q: want English with Spanish", m.Language, m.Translations)
			}
			runElection(t, m)
		})
	}
}

// TestElectionGuard10Full checks the mapping of the full sample's
// elements: an n_of_m contest with votes_allowed 2, a Spanish contest
// title, candidate names, and the write-in counted.
func TestElectionGuard10Full(t *testing.T) {
	m, err := interop.FromElectionGuard(readSample(t, "electionguard-1.0/manifest-full.json"), counted)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Contests[0]
	if c.Kind != ballot.KindKOfN || c.MaxSelections != 2 || c.MinSelections != 0 || c.OptionMax != 1 || len(c.Options) != 4 {
		t.Errorf("justice contest = %+v, want k-of-n, 0 to 2 of 4 options", c)
	}
	if c.Title != "Justice of the Supreme Court" || c.Translations["es"] != "Juez de la corte suprema" {
		t.Errorf("justice title %q, translations %q", c.Title, c.Translations)
	}
	if o := c.Options[3]; o.ID != "write-in-selection" || o.Title != "Write In Candidate" || o.Translations["es"] != "Escribir en la candidata" {
		t.Errorf("the write-in option = %+v", o)
	}
	if p := m.Contests[1]; p.Kind != ballot.KindPlurality || p.MaxSelections != 1 {
		t.Errorf("referendum = %+v, want plurality", p)
	}
	// Refused without counting write-ins, naming the selection.
	_, err = interop.FromElectionGuard(readSample(t, "electionguard-1.0/manifest-full.json"), interop.Options{})
	wantRefusal(t, err, "$.contests[0].ballot_selections[3]", `"write-in-selection"`, "write-in")
}

// TestElectionGuard21Sample: the ElectionGuard 2.1 sample's contest 10
// allows 2147483647 votes, which evote cannot count (a range proof per
// possible count): the import refuses it, naming it. With that contest
// limited to 2 votes (one per option), the sample imports: 11 contests,
// 17 ballot styles, titles on several lines joined, option limits
// ("CONTEST_LIMIT", 375) capped by the contest's; and it runs as an
// election.
func TestElectionGuard21Sample(t *testing.T) {
	data := readSample(t, "electionguard-2.1/election_manifest.json")
	_, err := interop.FromElectionGuard(data, interop.Options{})
	wantRefusal(t, err, "$.contests[9].selection_limit", "contest 10", "For Librarian-in-Chief of Smoothstone County", "2147483647")

	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	librarian := f["contests"].([]any)[9].(map[string]any)
	librarian["selection_limit"] = 2
	for _, o := range librarian["contest_options"].([]any) {
		o.(map[string]any)["selection_limit"] = 1
	}
	patched, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := interop.FromElectionGuard(patched, interop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Contests) != 11 || len(m.Styles) != 17 {
		t.Fatalf("%d contests, %d styles, want 11 and 17", len(m.Contests), len(m.Styles))
	}
	if got := m.Contests[0].Options[0].Title; got != "Thündéroak, Vâlêriana D. / Ëverbright, Ålistair R. Jr. / (Ætherwïng)" {
		t.Errorf("a title on three lines maps to %q", got)
	}
	if c := m.Contests[4]; c.Kind != ballot.KindPlurality || c.OptionMax != 1 || c.MaxSelections != 1 {
		t.Errorf("contest 5 (limit 1, options 3, CONTEST_LIMIT, 2) = %+v, want plurality", c)
	}
	if c := m.Contests[9]; c.Kind != ballot.KindKOfN || c.MaxSelections != 2 {
		t.Errorf("contest 10 (limit 2) = %+v, want k-of-n of 2", c)
	}
	if st := m.Styles[13]; st.ID != "style-14" || len(st.Contests) != 10 || slices.Contains(st.Contests, "contest-10") {
		t.Errorf("style 14 = %+v, want 10 contests skipping contest-10", st)
	}
	runElection(t, m)
}

// TestNISTSample: the NIST SP 1500-20 ballot definition imports (a
// president-and-vice-president ticket as one option, the write-in position
// of its physical ballot counted), with its ballot style from the
// style's ordered content, and runs as an election.
func TestNISTSample(t *testing.T) {
	data := readSample(t, "nist-ballot-definition/physical_ballot_def_1.json")
	_, err := interop.FromNIST(data, interop.Options{})
	wantRefusal(t, err, "$.Election[0].BallotStyle[0].OrderedContent[0].Physical[0].PhysicalContestOption[4]", `"cc-president"`, "write-in")

	m, err := interop.FromNIST(data, counted)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "gpu-ohio" || m.Title != "2020 General Election" || len(m.Contests) != 1 {
		t.Fatalf("imported %+v", m)
	}
	c := m.Contests[0]
	var titles []string
	for _, o := range c.Options {
		titles = append(titles, o.ID+"="+o.Title)
	}
	want := []string{"cs-biden-harris=Joseph R. Biden / Kamala D. Harris", "cs-hawkins-walker=Howie Hawkins / Angela Walker",
		"cs-jorgensen-cohen=Jo Jorgensen / Spike Cohen", "cs-trump-pence=Donald J. Trump / Michael R. Pence", "write-in=Write-in"}
	if !slices.Equal(titles, want) || c.Kind != ballot.KindPlurality || c.MaxSelections != 1 {
		t.Errorf("contest %q (%s, max %d) options %q, want plurality of %q", c.ID, c.Kind, c.MaxSelections, titles, want)
	}
	if len(m.Styles) != 1 || m.Styles[0].ID != "001-bra" || !slices.Equal(m.Styles[0].Contests, []string{"cc-president"}) {
		t.Errorf("styles %+v, want 001-bra with cc-president", m.Styles)
	}
	runElection(t, m)
}

// TestStraightPartyRefused: the straight-party sample is refused, naming
// the straight-party contest by path, id and class.
func TestStraightPartyRefused(t *testing.T) {
	_, err := interop.FromNIST(readSample(t, "nist-ballot-definition/controlling_contest_straight_party.json"), counted)
	wantRefusal(t, err, "$.Election[0].Contest[0]", `"cc-straight-party"`, "StraightPartyContest", "other contests")
	if ps := problems(t, err); len(ps) != 1 {
		t.Errorf("refusal lists %d problems, want the straight-party contest alone: %v", len(ps), err)
	}
	if !strings.Contains(err.Error(), "$.Election[0].Contest[0]") {
		t.Errorf("error text %q does not name the element's path", err)
	}
}
