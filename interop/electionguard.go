package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/evote/evote/ballot"
)

// ElectionGuard 1.0 manifest (docs/spec/import.md §5): the members an
// import reads. Others are ignored, except those that change what a vote
// means, which are read to be refused.
type eg1Manifest struct {
	ElectionScopeID   string            `json:"election_scope_id"`
	SpecVersion       string            `json:"spec_version"`
	Name              *mlText           `json:"name"`
	GeopoliticalUnits []eg1Unit         `json:"geopolitical_units"`
	Candidates        []eg1Cand         `json:"candidates"`
	Contests          []eg1Contest      `json:"contests"`
	BallotStyles      []eg1Style        `json:"ballot_styles"`
	Parties           []json.RawMessage `json:"parties"`
}

type eg1Unit struct {
	ObjectID string `json:"object_id"`
}

type eg1Cand struct {
	ObjectID   string  `json:"object_id"`
	Name       *mlText `json:"name"`
	BallotName *mlText `json:"ballot_name"`
	IsWriteIn  *bool   `json:"is_write_in"`
}

type eg1Contest struct {
	ObjectID            string         `json:"object_id"`
	SequenceOrder       int            `json:"sequence_order"`
	ElectoralDistrictID string         `json:"electoral_district_id"`
	VoteVariation       string         `json:"vote_variation"`
	VotesAllowed        *int           `json:"votes_allowed"`
	Name                string         `json:"name"`
	BallotTitle         *mlText        `json:"ballot_title"`
	Selections          []eg1Selection `json:"ballot_selections"`
	PrimaryPartyIDs     []string       `json:"primary_party_ids"`
}

type eg1Selection struct {
	ObjectID      string `json:"object_id"`
	SequenceOrder int    `json:"sequence_order"`
	CandidateID   string `json:"candidate_id"`
}

type eg1Style struct {
	ObjectID string   `json:"object_id"`
	UnitIDs  []string `json:"geopolitical_unit_ids"`
	PartyIDs []string `json:"party_ids"`
}

// ElectionGuard 2.1 manifest (docs/spec/import.md §6).
type eg21Manifest struct {
	Label        string        `json:"label"`
	Contests     []eg21Contest `json:"contests"`
	BallotStyles []eg21Style   `json:"ballot_styles"`
}

type eg21Contest struct {
	Label          string       `json:"label"`
	SelectionLimit *int64       `json:"selection_limit"`
	Options        []eg21Option `json:"options"`
	ContestOptions []eg21Option `json:"contest_options"`
}

type eg21Option struct {
	Label          string          `json:"label"`
	SelectionLimit json.RawMessage `json:"selection_limit"`
}

type eg21Style struct {
	Label    string  `json:"label"`
	Contests []int64 `json:"contests"`
}

// FromElectionGuard imports an ElectionGuard manifest: version 1.0 (it has
// "election_scope_id") or 2.1 (it has "label"). The result has no keys,
// trustees nor voting window; an error is an *Error naming every element
// that could not map.
func FromElectionGuard(data []byte, opts Options) (*ballot.Manifest, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("reading the ElectionGuard manifest: %w", err)
	}
	_, v1 := probe["election_scope_id"]
	_, v21 := probe["label"]
	switch {
	case v1 && !v21:
		return fromEG1(data, opts)
	case v21 && !v1:
		return fromEG21(data, opts)
	}
	return nil, fmt.Errorf("reading the ElectionGuard manifest: neither a 1.0 manifest (with election_scope_id) nor a 2.1 one (with label)")
}

func decode(what string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("reading the %s: %w", what, err)
	}
	return nil
}

func fromEG1(data []byte, opts Options) (*ballot.Manifest, error) {
	var f eg1Manifest
	if err := decode("ElectionGuard 1.0 manifest", data, &f); err != nil {
		return nil, err
	}
	b, err := newBuilder("ElectionGuard 1.0 manifest", opts)
	if err != nil {
		return nil, err
	}
	m := &ballot.Manifest{}
	m.ID, _ = b.takeID(newIDs("election"), "$.election_scope_id", f.ElectionScopeID)
	m.Title, m.Translations, _ = b.text("$.name.text", f.Name.texts())
	units := map[string]bool{}
	for _, u := range f.GeopoliticalUnits {
		units[u.ObjectID] = true
	}
	cands := map[string]int{}
	for i, c := range f.Candidates {
		cands[c.ObjectID] = i
	}
	order := inOrder(len(f.Contests), func(i int) int { return f.Contests[i].SequenceOrder })
	contestIDs := newIDs("contest")
	byUnit := map[string][]string{} // unit → evote ids of its contests
	for _, i := range order {
		fc := f.Contests[i]
		path := fmt.Sprintf("$.contests[%d]", i)
		what := fmt.Sprintf("contest %q", fc.ObjectID)
		id, idOK := b.takeID(contestIDs, path+".object_id", fc.ObjectID)
		if len(fc.PrimaryPartyIDs) > 0 {
			b.addf(path+".primary_party_ids", "%s is a party primary: evote has no partisan ballots", what)
		}
		if !units[fc.ElectoralDistrictID] {
			b.addf(path+".electoral_district_id", "%s is in district %q, which is not among $.geopolitical_units", what, fc.ElectoralDistrictID)
		}
		kind := ""
		switch fc.VoteVariation {
		case "one_of_m":
			kind = ballot.KindPlurality
		case "n_of_m":
			kind = ballot.KindKOfN
		case "approval":
			kind = ballot.KindApproval
		default:
			b.addf(path+".vote_variation", "%s: vote variation %q is not one evote counts (one_of_m, n_of_m, approval)", what, fc.VoteVariation)
			continue
		}
		c := ballot.Contest{ID: id}
		c.Title, c.Translations, _ = b.text(b.title(fc.BallotTitle, fc.Name, path, "ballot_title.text", "name"))
		sels := inOrder(len(fc.Selections), func(k int) int { return fc.Selections[k].SequenceOrder })
		optIDs := newIDs("selection")
		for _, k := range sels {
			s := fc.Selections[k]
			p := fmt.Sprintf("%s.ballot_selections[%d]", path, k)
			oid, _ := b.takeID(optIDs, p+".object_id", s.ObjectID)
			ci, ok := cands[s.CandidateID]
			if !ok {
				b.addf(p+".candidate_id", "selection %q names candidate %q, who is not among $.candidates", s.ObjectID, s.CandidateID)
				continue
			}
			cand := f.Candidates[ci]
			cp := fmt.Sprintf("$.candidates[%d]", ci)
			if cand.IsWriteIn != nil && *cand.IsWriteIn && opts.WriteIns == RefuseWriteIns {
				b.addf(p, "selection %q of %s is a write-in (candidate %q): evote ballots carry no write-in text (import with write-ins counted to count its marks)", s.ObjectID, what, s.CandidateID)
				continue
			}
			name, np := cand.BallotName, cp+".ballot_name.text"
			if name == nil || len(name.Text) == 0 {
				name, np = cand.Name, cp+".name.text"
			}
			texts := name.texts()
			if len(texts) == 0 {
				// No name: the candidate's id is all the file calls it.
				texts, np = []langText{{b.lang, cand.ObjectID}}, cp+".object_id"
			}
			ot, otr, _ := b.text(np, texts)
			c.Options = append(c.Options, ballot.Option{ID: oid, Title: ot, Translations: otr})
		}
		b.addContest(m, c, kind, fc.VotesAllowed, path+".votes_allowed", what)
		if idOK {
			byUnit[fc.ElectoralDistrictID] = append(byUnit[fc.ElectoralDistrictID], id)
		}
	}
	styleIDs := newIDs("ballot style")
	for i, s := range f.BallotStyles {
		path := fmt.Sprintf("$.ballot_styles[%d]", i)
		id, _ := b.takeID(styleIDs, path+".object_id", s.ObjectID)
		if len(s.PartyIDs) > 0 {
			b.addf(path+".party_ids", "ballot style %q is for the voters of parties %q: evote has no partisan ballots", s.ObjectID, s.PartyIDs)
		}
		on := map[string]bool{}
		for k, u := range s.UnitIDs {
			if !units[u] {
				b.addf(fmt.Sprintf("%s.geopolitical_unit_ids[%d]", path, k), "ballot style %q names unit %q, which is not among $.geopolitical_units", s.ObjectID, u)
			}
			for _, c := range byUnit[u] {
				on[c] = true
			}
		}
		cs := styleContests(m, on)
		if len(cs) == 0 {
			b.addf(path, "ballot style %q has no contest: none is in its units %q", s.ObjectID, s.UnitIDs)
		}
		m.Styles = append(m.Styles, ballot.Style{ID: id, Contests: cs})
	}
	b.finish(m)
	return m, b.err()
}

// eg21Limit is the largest selection limit an ElectionGuard 2.1 contest or
// option may have that evote counts (docs/spec/import.md §6).
const eg21Limit = ballot.MaxOptionMax

func fromEG21(data []byte, opts Options) (*ballot.Manifest, error) {
	var f eg21Manifest
	if err := decode("ElectionGuard 2.1 manifest", data, &f); err != nil {
		return nil, err
	}
	b, err := newBuilder("ElectionGuard 2.1 manifest", opts)
	if err != nil {
		return nil, err
	}
	m := &ballot.Manifest{ID: "election"}
	m.Title, _, _ = b.text("$.label", []langText{{"", f.Label}})
	for i, fc := range f.Contests {
		path := fmt.Sprintf("$.contests[%d]", i)
		what := fmt.Sprintf("contest %d (%q)", i+1, fc.Label)
		c := ballot.Contest{ID: "contest-" + strconv.Itoa(i+1)}
		c.Title, _, _ = b.text(path+".label", []langText{{"", fc.Label}})
		options, member := fc.Options, "options"
		switch {
		case fc.Options != nil && fc.ContestOptions != nil:
			b.addf(path, "%s has both options and contest_options", what)
		case fc.ContestOptions != nil:
			options, member = fc.ContestOptions, "contest_options"
		}
		limit := int64(1)
		if fc.SelectionLimit != nil {
			limit = *fc.SelectionLimit
		}
		if limit < 1 || limit > eg21Limit {
			b.addf(path+".selection_limit", "%s: selection limit %d is not one evote counts (1 to %d)", what, limit, eg21Limit)
			continue
		}
		optionMax := int64(-1)
		for k, o := range options {
			p := fmt.Sprintf("%s.%s[%d]", path, member, k)
			t, _, _ := b.text(p+".label", []langText{{"", o.Label}})
			c.Options = append(c.Options, ballot.Option{ID: "option-" + strconv.Itoa(k+1), Title: t})
			ol := int64(1)
			if len(o.SelectionLimit) > 0 {
				var n int64
				if string(o.SelectionLimit) == `"CONTEST_LIMIT"` {
					ol = limit
				} else if err := json.Unmarshal(o.SelectionLimit, &n); err == nil && n >= 0 {
					ol = n
				} else {
					b.addf(p+".selection_limit", "selection limit %s is neither a whole number nor \"CONTEST_LIMIT\"", o.SelectionLimit)
					continue
				}
			}
			ol = min(ol, limit)
			if ol < 1 {
				b.addf(p+".selection_limit", "option %d of %s has selection limit 0: no voter could choose it", k+1, what)
				continue
			}
			if optionMax >= 0 && ol != optionMax {
				b.addf(p+".selection_limit", "option %d of %s allows %d votes, another option %d: evote has one limit for every option of a contest", k+1, what, ol, optionMax)
				continue
			}
			optionMax = ol
		}
		if optionMax < 1 {
			optionMax = 1
		}
		c.MaxSelections, c.OptionMax = int(min(limit, optionMax*int64(len(c.Options)))), int(optionMax)
		switch {
		case c.OptionMax > 1:
			c.Kind = ballot.KindCumulative
		case c.MaxSelections == 1:
			c.Kind = ballot.KindPlurality
		default:
			c.Kind = ballot.KindKOfN
		}
		m.Contests = append(m.Contests, c)
	}
	for i, s := range f.BallotStyles {
		path := fmt.Sprintf("$.ballot_styles[%d]", i)
		on := map[string]bool{}
		for k, n := range s.Contests {
			if n < 1 || n > int64(len(f.Contests)) {
				b.addf(fmt.Sprintf("%s.contests[%d]", path, k), "ballot style %d (%q) names contest %d, but contests are numbered 1 to %d", i+1, s.Label, n, len(f.Contests))
				continue
			}
			on["contest-"+strconv.FormatInt(n, 10)] = true
		}
		cs := styleContests(m, on)
		if len(cs) == 0 {
			b.addf(path, "ballot style %d (%q) has no contest", i+1, s.Label)
		}
		m.Styles = append(m.Styles, ballot.Style{ID: "style-" + strconv.Itoa(i+1), Contests: cs})
	}
	b.finish(m)
	return m, b.err()
}
