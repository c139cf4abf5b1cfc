package interop

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/evote/evote/ballot"
)

// NIST SP 1500-100 v2 (Election Results Reporting) JSON, as ExportNIST
// writes it (docs/spec/import.md §8).
type errReport struct {
	Type                string        `json:"@type"`
	Election            []errElection `json:"Election"`
	Format              string        `json:"Format"`
	GeneratedDate       string        `json:"GeneratedDate"`
	GpUnit              []errGpUnit   `json:"GpUnit"`
	Issuer              string        `json:"Issuer"`
	IssuerAbbreviation  string        `json:"IssuerAbbreviation"`
	SequenceEnd         int           `json:"SequenceEnd"`
	SequenceStart       int           `json:"SequenceStart"`
	Status              string        `json:"Status"`
	VendorApplicationID string        `json:"VendorApplicationId"`
}

type errText struct {
	Type string       `json:"@type"`
	Text []errLangStr `json:"Text"`
}

type errLangStr struct {
	Type     string `json:"@type"`
	Content  string `json:"Content"`
	Language string `json:"Language"`
}

type errGpUnit struct {
	Type      string   `json:"@type"`
	ID        string   `json:"@id"`
	Composing []string `json:"ComposingGpUnitIds,omitempty"`
	Name      errText  `json:"Name"`
	UnitType  string   `json:"Type"`
	OtherType string   `json:"OtherType,omitempty"`
}

type errElection struct {
	Type            string         `json:"@type"`
	BallotStyle     []errStyle     `json:"BallotStyle,omitempty"`
	Candidate       []errCandidate `json:"Candidate"`
	Contest         []errContest   `json:"Contest"`
	ElectionScopeID string         `json:"ElectionScopeId"`
	EndDate         string         `json:"EndDate"`
	Name            errText        `json:"Name"`
	StartDate       string         `json:"StartDate"`
	ElectionType    string         `json:"Type"`
	OtherType       string         `json:"OtherType"`
}

type errStyle struct {
	Type               string          `json:"@type"`
	ExternalIdentifier []errExternalID `json:"ExternalIdentifier"`
	GpUnitIDs          []string        `json:"GpUnitIds"`
	OrderedContent     []errOrdered    `json:"OrderedContent"`
}

type errExternalID struct {
	Type      string `json:"@type"`
	IDType    string `json:"Type"`
	OtherType string `json:"OtherType"`
	Value     string `json:"Value"`
}

type errOrdered struct {
	Type      string `json:"@type"`
	ContestID string `json:"ContestId"`
}

type errCandidate struct {
	Type       string  `json:"@type"`
	ID         string  `json:"@id"`
	BallotName errText `json:"BallotName"`
}

type errContest struct {
	Type               string         `json:"@type"`
	ID                 string         `json:"@id"`
	BallotTitle        errText        `json:"BallotTitle"`
	ContestSelection   []errSelection `json:"ContestSelection"`
	ElectionDistrictID string         `json:"ElectionDistrictId"`
	Name               string         `json:"Name"`
	SequenceOrder      int            `json:"SequenceOrder"`
	VoteVariation      string         `json:"VoteVariation"`
	VotesAllowed       int            `json:"VotesAllowed"`
}

type errSelection struct {
	Type          string   `json:"@type"`
	ID            string   `json:"@id"`
	CandidateIDs  []string `json:"CandidateIds"`
	SequenceOrder int      `json:"SequenceOrder"`
}

// ExportNIST writes definition m as a NIST SP 1500-100 v2 election report
// in JSON, generated at the time given (docs/spec/import.md §8): the
// election, every contest as a CandidateContest whose selections are
// candidates named by the option titles in every language, and every
// ballot style. A contest the format cannot state (a minimum of
// selections, several votes for one option) is refused, naming it.
// FromNIST reads the report back to m's contests, options, styles and
// titles.
func ExportNIST(m *ballot.Manifest, generated time.Time) ([]byte, error) {
	scope := m.ID
	e := errElection{
		Type:            "ElectionResults.Election",
		ElectionScopeID: scope,
		StartDate:       m.Opens.UTC().Format(time.DateOnly),
		EndDate:         m.Closes.UTC().Format(time.DateOnly),
		Name:            errTextOf(m.Language, m.Title, m.Translations),
		ElectionType:    "other",
		OtherType:       "evote",
	}
	units := []errGpUnit{{Type: "ElectionResults.ReportingUnit", ID: scope, Name: errTextOf(m.Language, m.Title, m.Translations), UnitType: "other", OtherType: "evote-election"}}
	var problems []string
	for i, c := range m.Contests {
		variation := ""
		switch {
		case c.MinSelections > 0:
			problems = append(problems, fmt.Sprintf("contest %q requires at least %d selections: NIST SP 1500-100 has no minimum", c.ID, c.MinSelections))
		case c.OptionMax > 1:
			problems = append(problems, fmt.Sprintf("contest %q allows %d votes for one option: NIST SP 1500-100 has no cumulative limit per option", c.ID, c.OptionMax))
		case c.Kind == ballot.KindApproval:
			variation = "approval"
		case c.MaxSelections == 1:
			variation = "plurality"
		default:
			variation = "n-of-m"
		}
		ec := errContest{
			Type:               "ElectionResults.CandidateContest",
			ID:                 c.ID,
			BallotTitle:        errTextOf(m.Language, c.Title, c.Translations),
			ElectionDistrictID: scope,
			Name:               c.Title,
			SequenceOrder:      i + 1,
			VoteVariation:      variation,
			VotesAllowed:       c.MaxSelections,
		}
		for k, o := range c.Options {
			cand := c.ID + "." + o.ID
			e.Candidate = append(e.Candidate, errCandidate{Type: "ElectionResults.Candidate", ID: "candidate." + cand, BallotName: errTextOf(m.Language, o.Title, o.Translations)})
			ec.ContestSelection = append(ec.ContestSelection, errSelection{Type: "ElectionResults.CandidateSelection", ID: cand, CandidateIDs: []string{"candidate." + cand}, SequenceOrder: k + 1})
		}
		e.Contest = append(e.Contest, ec)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("exporting the definition as NIST SP 1500-100: %d problems:\n\t%s", len(problems), strings.Join(problems, "\n\t"))
	}
	for _, st := range m.Styles {
		unit := "style." + st.ID
		units = append(units, errGpUnit{Type: "ElectionResults.ReportingUnit", ID: unit, Name: errTextOf("en", "Voters of ballot style "+st.ID, nil), UnitType: "other", OtherType: "evote-ballot-style"})
		units[0].Composing = append(units[0].Composing, unit)
		s := errStyle{
			Type:               "ElectionResults.BallotStyle",
			ExternalIdentifier: []errExternalID{{Type: "ElectionResults.ExternalIdentifier", IDType: "other", OtherType: "evote-ballot-style", Value: st.ID}},
			GpUnitIDs:          []string{unit},
		}
		for _, c := range st.Contests {
			s.OrderedContent = append(s.OrderedContent, errOrdered{Type: "ElectionResults.OrderedContest", ContestID: c})
		}
		e.BallotStyle = append(e.BallotStyle, s)
	}
	r := errReport{
		Type:                "ElectionResults.ElectionReport",
		Election:            []errElection{e},
		Format:              "summary-contest",
		GeneratedDate:       generated.UTC().Format(time.RFC3339),
		GpUnit:              units,
		Issuer:              "evote",
		IssuerAbbreviation:  "evote",
		SequenceEnd:         1,
		SequenceStart:       1,
		Status:              "pre-election",
		VendorApplicationID: "evote " + ballot.Version,
	}
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("exporting the definition as NIST SP 1500-100: %w", err)
	}
	return append(out, '\n'), nil
}

// errTextOf returns a title and its translations as InternationalizedText:
// the title in lang (English if the definition names no language), then
// each translation in tag order.
func errTextOf(lang, title string, tr ballot.Translations) errText {
	if lang == "" {
		lang = "en"
	}
	t := errText{Type: "ElectionResults.InternationalizedText", Text: []errLangStr{{Type: "ElectionResults.LanguageString", Content: title, Language: lang}}}
	for _, l := range slices.Sorted(maps.Keys(tr)) {
		t.Text = append(t.Text, errLangStr{Type: "ElectionResults.LanguageString", Content: tr[l], Language: l})
	}
	return t
}
