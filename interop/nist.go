package interop

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/evote/evote/ballot"
)

// NIST common data format documents (docs/spec/import.md §7): a SP
// 1500-20 BallotDefinition or a SP 1500-100 v2 ElectionReport, which share
// their election, contest, candidate and ballot-style classes. Members an
// import does not read are ignored, except those that change what a vote
// means, which are read to be refused.
type nistDoc struct {
	Type     string         `json:"@type"`
	Election []nistElection `json:"Election"`
	GpUnit   []nistGpUnit   `json:"GpUnit"`
}

type nistGpUnit struct {
	ID        string   `json:"@id"`
	Composing []string `json:"ComposingGpUnitIds"`
}

type nistElection struct {
	Name            *mlText         `json:"Name"`
	ElectionScopeID string          `json:"ElectionScopeId"`
	Candidate       []nistCandidate `json:"Candidate"`
	Contest         []nistContest   `json:"Contest"`
	BallotStyle     []nistStyle     `json:"BallotStyle"`
}

type nistCandidate struct {
	ID         string  `json:"@id"`
	BallotName *mlText `json:"BallotName"`
}

type nistContest struct {
	Type               string       `json:"@type"`
	ID                 string       `json:"@id"`
	Name               string       `json:"Name"`
	BallotTitle        *mlText      `json:"BallotTitle"`
	VotesAllowed       *int         `json:"VotesAllowed"`
	VoteVariation      string       `json:"VoteVariation"`
	ElectionDistrictID string       `json:"ElectionDistrictId"`
	SequenceOrder      int          `json:"SequenceOrder"`
	ContestOption      []nistOption `json:"ContestOption"`    // SP 1500-20
	ContestSelection   []nistOption `json:"ContestSelection"` // SP 1500-100
	PrimaryPartyIDs    []string     `json:"PrimaryPartyIds"`
}

type nistOption struct {
	Type          string   `json:"@type"`
	ID            string   `json:"@id"`
	CandidateIDs  []string `json:"CandidateIds"`
	IsWriteIn     bool     `json:"IsWriteIn"`
	Selection     *mlText  `json:"Selection"`
	SequenceOrder int      `json:"SequenceOrder"`
}

type nistStyle struct {
	GpUnitIDs          []string         `json:"GpUnitIds"`
	PartyIDs           []string         `json:"PartyIds"`
	ExternalIdentifier []nistExternalID `json:"ExternalIdentifier"`
	OrderedContent     []nistOrdered    `json:"OrderedContent"`
}

type nistExternalID struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

type nistOrdered struct {
	Type           string        `json:"@type"`
	ContestID      string        `json:"ContestId"`
	OrderedContent []nistOrdered `json:"OrderedContent"` // of an OrderedHeader
	Physical       []struct {
		PhysicalContestOption []struct {
			ContestOptionID string            `json:"ContestOptionId"`
			WriteInPosition []json.RawMessage `json:"WriteInPosition"`
		} `json:"PhysicalContestOption"`
	} `json:"Physical"`
}

// nistClass returns the class of a NIST @type, "CandidateContest" of
// "BallotDefinition.CandidateContest" or "ElectionResults.CandidateContest".
func nistClass(t string) string {
	for _, p := range []string{"BallotDefinition.", "ElectionResults."} {
		if c, ok := strings.CutPrefix(t, p); ok {
			return c
		}
	}
	return ""
}

// writeInID and writeInTitle are the option an import adds for a write-in
// position of a physical ballot that no contest option stands for, when
// write-ins are counted.
const (
	writeInID    = "write-in"
	writeInTitle = "Write-in"
)

// FromNIST imports a NIST SP 1500-20 ballot definition or a SP 1500-100 v2
// election report (as ExportNIST writes): the one election it holds. The
// result has no keys, trustees nor voting window; an error is an *Error
// naming every element that could not map.
func FromNIST(data []byte, opts Options) (*ballot.Manifest, error) {
	var f nistDoc
	if err := decode("NIST document", data, &f); err != nil {
		return nil, err
	}
	b, err := newBuilder("NIST "+f.Type, opts)
	if err != nil {
		return nil, err
	}
	switch f.Type {
	case "BallotDefinition.BallotDefinition", "ElectionResults.ElectionReport":
	default:
		return nil, fmt.Errorf("reading the NIST document: $.@type is %q, not a SP 1500-20 BallotDefinition.BallotDefinition nor a SP 1500-100 ElectionResults.ElectionReport", f.Type)
	}
	if len(f.Election) != 1 {
		return nil, fmt.Errorf("reading the NIST document: $.Election has %d elections: an evote definition is one election", len(f.Election))
	}
	e := f.Election[0]
	m := &ballot.Manifest{}
	m.ID, _ = b.takeID(newIDs("election"), "$.Election[0].ElectionScopeId", e.ElectionScopeID)
	m.Title, m.Translations, _ = b.text("$.Election[0].Name.Text", e.Name.texts())
	cands := map[string]int{}
	for i, c := range e.Candidate {
		cands[c.ID] = i
	}
	order := inOrder(len(e.Contest), func(i int) int { return e.Contest[i].SequenceOrder })
	contestIDs := newIDs("contest")
	contestOf := map[string]string{}         // NIST contest @id → evote id
	district := map[string][]string{}        // unit → evote ids of its contests
	physicalWriteIn := b.physicalWriteIns(e) // NIST contest @id → path of a write-in position
	for _, i := range order {
		fc := e.Contest[i]
		path := fmt.Sprintf("$.Election[0].Contest[%d]", i)
		what := fmt.Sprintf("%s %q", nistClass(fc.Type), fc.ID)
		id, idOK := b.takeID(contestIDs, path+".@id", fc.ID)
		class := nistClass(fc.Type)
		switch class {
		case "CandidateContest", "BallotMeasureContest", "RetentionContest":
		default:
			b.addf(path, "contest %q is a %s (@type %q): evote counts candidate contests and ballot measures only, and a straight-party or party contest would cast votes in other contests", fc.ID, nistClass(fc.Type), fc.Type)
			continue
		}
		if len(fc.PrimaryPartyIDs) > 0 {
			b.addf(path+".PrimaryPartyIds", "%s is a party primary: evote has no partisan ballots", what)
		}
		kind := ""
		switch fc.VoteVariation {
		case "1-of-m":
			kind = ballot.KindPlurality
		case "", "plurality": // plurality of VotesAllowed winners
			kind = ballot.KindPlurality
			if fc.VotesAllowed != nil && *fc.VotesAllowed > 1 {
				kind = ballot.KindKOfN
			}
		case "n-of-m":
			kind = ballot.KindKOfN
		case "approval":
			kind = ballot.KindApproval
		default:
			b.addf(path+".VoteVariation", "%s: vote variation %q is not one evote counts (plurality, n-of-m, approval)", what, fc.VoteVariation)
			continue
		}
		if fc.VoteVariation == "" && class == "CandidateContest" && fc.VotesAllowed == nil {
			b.addf(path+".VotesAllowed", "%s gives neither VoteVariation nor VotesAllowed", what)
		}
		c := ballot.Contest{ID: id}
		c.Title, c.Translations, _ = b.text(b.title(fc.BallotTitle, fc.Name, path, "BallotTitle.Text", "Name"))
		options, member := fc.ContestOption, "ContestOption"
		if options == nil {
			options, member = fc.ContestSelection, "ContestSelection"
		}
		sels := inOrder(len(options), func(k int) int { return options[k].SequenceOrder })
		optIDs := newIDs("option")
		for _, k := range sels {
			o := options[k]
			p := fmt.Sprintf("%s.%s[%d]", path, member, k)
			oid, _ := b.takeID(optIDs, p+".@id", strings.TrimPrefix(o.ID, fc.ID+"."))
			if o.IsWriteIn && b.opts.WriteIns == RefuseWriteIns {
				b.addf(p, "option %q of %s is a write-in: evote ballots carry no write-in text (import with write-ins counted to count its marks)", o.ID, what)
				continue
			}
			var ot string
			var otr ballot.Translations
			switch nistClass(o.Type) {
			case "CandidateOption", "CandidateSelection":
				ot, otr = b.candidates(p, o, e, cands)
			case "BallotMeasureOption", "BallotMeasureSelection":
				ot, otr, _ = b.text(p+".Selection.Text", o.Selection.texts())
			default:
				b.addf(p, "option %q of %s (@type %q): evote counts candidate and ballot-measure options only", o.ID, what, o.Type)
				continue
			}
			c.Options = append(c.Options, ballot.Option{ID: oid, Title: ot, Translations: otr})
		}
		if wp, ok := physicalWriteIn[fc.ID]; ok {
			if b.opts.WriteIns == RefuseWriteIns {
				b.addf(wp, "%s has a write-in position on the ballot: evote ballots carry no write-in text (import with write-ins counted to count its marks)", what)
			} else if b.claimID(optIDs, wp, writeInID, "write-in position") {
				c.Options = append(c.Options, ballot.Option{ID: writeInID, Title: writeInTitle})
			}
		}
		b.addContest(m, c, kind, fc.VotesAllowed, path+".VotesAllowed", what)
		if idOK {
			contestOf[fc.ID] = id
			district[fc.ElectionDistrictID] = append(district[fc.ElectionDistrictID], id)
		}
	}
	b.nistStyles(m, f, e, contestOf, district)
	b.finish(m)
	return m, b.err()
}

// candidates returns the title of a candidate option: its candidates'
// ballot names, joined by " / " in each language (a ticket's).
func (b *builder) candidates(path string, o nistOption, e nistElection, cands map[string]int) (string, ballot.Translations) {
	if len(o.CandidateIDs) == 0 {
		b.addf(path+".CandidateIds", "option %q names no candidate", o.ID)
		return "", nil
	}
	var titles []string
	var trs []ballot.Translations
	langs := map[string]bool{}
	for k, cid := range o.CandidateIDs {
		ci, ok := cands[cid]
		if !ok {
			b.addf(fmt.Sprintf("%s.CandidateIds[%d]", path, k), "option %q names candidate %q, who is not among the election's Candidate", o.ID, cid)
			return "", nil
		}
		t, tr, ok := b.text(fmt.Sprintf("$.Election[0].Candidate[%d].BallotName.Text", ci), e.Candidate[ci].BallotName.texts())
		if !ok {
			return "", nil
		}
		titles, trs = append(titles, t), append(trs, tr)
		for l := range tr {
			langs[l] = true
		}
	}
	var out ballot.Translations
	for l := range langs {
		parts := make([]string, len(titles))
		for k := range titles {
			parts[k] = trs[k].In(titles[k], l)
		}
		if out == nil {
			out = ballot.Translations{}
		}
		out[l] = strings.Join(parts, " / ")
	}
	return strings.Join(titles, " / "), out
}

// physicalWriteIns returns, for each contest that a ballot style shows
// with a write-in position standing for no contest option, the path of
// the first such position.
func (b *builder) physicalWriteIns(e nistElection) map[string]string {
	out := map[string]string{}
	var walk func(path string, content []nistOrdered)
	walk = func(path string, content []nistOrdered) {
		for i, oc := range content {
			p := fmt.Sprintf("%s.OrderedContent[%d]", path, i)
			walk(p, oc.OrderedContent)
			for j, ph := range oc.Physical {
				for k, po := range ph.PhysicalContestOption {
					if _, seen := out[oc.ContestID]; !seen && po.ContestOptionID == "" && len(po.WriteInPosition) > 0 {
						out[oc.ContestID] = fmt.Sprintf("%s.Physical[%d].PhysicalContestOption[%d]", p, j, k)
					}
				}
			}
		}
	}
	for i, s := range e.BallotStyle {
		walk(fmt.Sprintf("$.Election[0].BallotStyle[%d]", i), s.OrderedContent)
	}
	return out
}

// nistStyles maps the election's ballot styles (docs/spec/import.md
// §7.3): a style's contests are those of its OrderedContent, or, without
// it, those of its units and of the units they make up.
func (b *builder) nistStyles(m *ballot.Manifest, f nistDoc, e nistElection, contestOf map[string]string, district map[string][]string) {
	parents := map[string][]string{} // unit → the units it is part of
	for _, u := range f.GpUnit {
		for _, c := range u.Composing {
			parents[c] = append(parents[c], u.ID)
		}
	}
	styleIDs := newIDs("ballot style")
	for i, s := range e.BallotStyle {
		path := fmt.Sprintf("$.Election[0].BallotStyle[%d]", i)
		source, idPath := "style-"+strconv.Itoa(i+1), path
		if len(s.ExternalIdentifier) > 0 {
			source, idPath = s.ExternalIdentifier[0].Value, path+".ExternalIdentifier[0].Value"
		}
		id, _ := b.takeID(styleIDs, idPath, source)
		if len(s.PartyIDs) > 0 {
			b.addf(path+".PartyIds", "ballot style %q is for the voters of parties %q: evote has no partisan ballots", source, s.PartyIDs)
		}
		on := map[string]bool{}
		var walk func(p string, content []nistOrdered)
		walk = func(p string, content []nistOrdered) {
			for k, oc := range content {
				q := fmt.Sprintf("%s.OrderedContent[%d]", p, k)
				if oc.ContestID == "" {
					walk(q, oc.OrderedContent)
					continue
				}
				if c, ok := contestOf[oc.ContestID]; ok {
					on[c] = true
				} else if !slices.ContainsFunc(e.Contest, func(c nistContest) bool { return c.ID == oc.ContestID }) {
					b.addf(q+".ContestId", "ballot style %q shows contest %q, which is not among the election's Contest", source, oc.ContestID)
				}
			}
		}
		walk(path, s.OrderedContent)
		if len(s.OrderedContent) == 0 {
			seen := map[string]bool{}
			units := slices.Clone(s.GpUnitIDs)
			for len(units) > 0 {
				u := units[0]
				units = units[1:]
				if seen[u] {
					continue
				}
				seen[u] = true
				for _, c := range district[u] {
					on[c] = true
				}
				units = append(units, parents[u]...)
			}
		}
		cs := styleContests(m, on)
		if len(cs) == 0 {
			b.addf(path, "ballot style %q has no contest evote counts", source)
		}
		m.Styles = append(m.Styles, ballot.Style{ID: id, Contests: cs})
	}
}
