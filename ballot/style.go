package ballot

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// MaxStyles bounds the ballot styles of a definition (docs/spec/ballot.md
// §1.6).
const MaxStyles = 1000

// Style is a ballot style (docs/spec/ballot.md §1.6): the contests on the
// ballot of the voters whose roll entries name it, as ElectionGuard's
// ballot styles and NIST SP 1500-100's BallotStyle are. A district's
// voters get its style.
type Style struct {
	ID       string
	Contests []string // contest ids, in manifest order
}

type styleJSON struct {
	ID       string   `json:"id"`
	Contests []string `json:"contests"`
}

var styleFields = []string{"id", "contests"}

// ErrStyle means a ballot, a voter's choices or a roll entry does not have
// the ballot style the definition and the roll give it: a ballot naming
// another style than its voter's, or carrying other contests than its
// style's.
var ErrStyle = errors.New("wrong ballot style")

// styles decodes $.styles after $.contests.
func (w *walker) styles(m *Manifest, raw json.RawMessage) {
	elems, ok := w.array("$.styles", raw)
	if !ok {
		return
	}
	if len(elems) == 0 {
		w.addf("$.styles", "no styles: leave styles out for one ballot with every contest")
		return
	}
	if len(elems) > MaxStyles {
		w.addf("$.styles", "%d styles, at most %d allowed", len(elems), MaxStyles)
		return
	}
	contest := make(map[string]int, len(m.Contests))
	for i, c := range m.Contests {
		if c.ID != "" {
			contest[c.ID] = i
		}
	}
	seen := map[string]int{}
	onBallot := make([]bool, len(m.Contests))
	for i, e := range elems {
		path := fmt.Sprintf("$.styles[%d]", i)
		var st Style
		f, ok := w.object(path, e, styleFields, styleFields)
		if !ok {
			m.Styles = append(m.Styles, st)
			continue
		}
		if raw, ok := f["id"]; ok {
			st.ID, _ = w.uniqueID(path+".id", raw, "style", "$.styles", i, seen)
		}
		var cs []json.RawMessage
		if raw, ok := f["contests"]; ok {
			cs, ok = w.array(path+".contests", raw)
			if ok && len(cs) == 0 {
				w.addf(path+".contests", "no contests: a ballot style needs at least one")
			}
		}
		last := -1
		for k, raw := range cs {
			p := fmt.Sprintf("%s.contests[%d]", path, k)
			id, ok := w.id(p, raw)
			if !ok {
				continue
			}
			at, ok := contest[id]
			if ok {
				onBallot[at] = true
			}
			switch {
			case !ok:
				w.addf(p, "no contest has the id %q", id)
			case slices.Contains(st.Contests, id):
				w.addf(p, "contest %q is listed twice", id)
			case at < last:
				w.addf(p, "contest %q is out of order: list a style's contests in the order of $.contests, as its ballots carry them", id)
			default:
				last = at
			}
			st.Contests = append(st.Contests, id)
		}
		m.Styles = append(m.Styles, st)
	}
	for i, c := range m.Contests {
		if !onBallot[i] && c.ID != "" {
			w.addf(fmt.Sprintf("$.contests[%d]", i), "contest %q is on no ballot style: no voter could vote in it", c.ID)
		}
	}
}

// stylesJSON returns the wire form of m.Styles.
func (m *Manifest) stylesJSON() []styleJSON {
	if len(m.Styles) == 0 {
		return nil
	}
	out := make([]styleJSON, len(m.Styles))
	for i, st := range m.Styles {
		out[i] = styleJSON(st)
	}
	return out
}

// StyleContests returns the manifest indices of the contests on the ballot
// of style, in manifest order (docs/spec/ballot.md §1.6): every contest
// for the style "" of a definition without styles, and the style's
// contests for a style it defines. Any other style is an error wrapping
// ErrStyle: "" where the definition has styles, or one it does not define.
func (m *Manifest) StyleContests(style string) ([]int, error) {
	if len(m.Styles) == 0 {
		if style != "" {
			return nil, fmt.Errorf("%w: the definition has no ballot styles, but %q is named", ErrStyle, style)
		}
		out := make([]int, len(m.Contests))
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	if style == "" {
		return nil, fmt.Errorf("%w: the definition has ballot styles, and none is named", ErrStyle)
	}
	for _, st := range m.Styles {
		if st.ID != style {
			continue
		}
		out := make([]int, 0, len(st.Contests))
		for i, c := range m.Contests {
			if slices.Contains(st.Contests, c.ID) {
				out = append(out, i)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: the definition has no ballot style %q", ErrStyle, style)
}

// CheckRoll checks that every entry of a roll record names a ballot style
// of the definition (§6.1): one of its styles if it has any, none if it
// has none. Errors wrap ErrStyle.
//
// It also refuses a weight above 1 for a voter whose ballot carries a
// mix-net contest, ranked or with a write-in (ErrRankedWeight): a mixed
// ballot has lost its voter, so nothing could count it more than once.
func (m *Manifest) CheckRoll(c *RollChunk) error {
	for i := range c.Voters {
		v := &c.Voters[i]
		cs, err := m.StyleContests(v.Style)
		if err != nil {
			return fmt.Errorf("entry %d (voter %q): %w", c.First+int64(i), v.Voter, err)
		}
		if v.weight() == 1 {
			continue
		}
		for _, k := range cs {
			if mc := &m.Contests[k]; mc.Mixed() {
				what := "ranked contest"
				if !mc.Ranked() {
					what = "contest with a write-in"
				}
				return fmt.Errorf("entry %d (voter %q): %w: weight %d, and the ballot carries %s %q", c.First+int64(i), v.Voter, ErrRankedWeight, v.Weight, what, mc.ID)
			}
		}
	}
	return nil
}

// ErrRankedWeight means a roll entry gives a weight above 1 to a voter
// whose ballot carries a mix-net contest, ranked or with a write-in
// (docs/spec/ballot.md §6.1).
var ErrRankedWeight = errors.New("a mix-net contest's voters (ranked, or with a write-in) have weight 1")

// NewStyleChoices returns all-zero choices for a ballot of style: shaped
// like m's contests, with the contests not on that ballot nil.
func NewStyleChoices(m *Manifest, style string) (Choices, error) {
	on, err := m.StyleContests(style)
	if err != nil {
		return nil, err
	}
	c := make(Choices, len(m.Contests))
	for _, i := range on {
		c[i] = make([]uint64, len(m.Contests[i].Options))
	}
	return c, nil
}

// Voter is what the closed roll and the definition say about one voter's
// ballot.
type Voter struct {
	Entry    int64  // the voter's roll entry
	Style    string // the ballot style, "" if the definition has none
	Contests []int  // the manifest indices of the contests on the ballot
	Weight   uint64 // how many times the tally counts the ballot
}

// Voter returns what the roll and the definition say about the ballot of
// the voter with credential cred, and whether cred is on the roll.
func (e *Election) Voter(cred []byte) (Voter, bool) {
	if len(cred) != ed25519.PublicKeySize {
		return Voter{}, false
	}
	n, ok := e.Roll.Entry(cred)
	if !ok {
		return Voter{}, false
	}
	return e.VoterAt(n), true
}

// VoterAt returns what the roll and the definition say about the ballot of
// the voter of roll entry n, which must be on the roll.
func (e *Election) VoterAt(n int64) Voter {
	style := e.Roll.Style(n)
	return Voter{Entry: n, Style: style, Contests: e.styles[style], Weight: e.Roll.Weight(n)}
}

// styleContests returns, for every style on roll, the manifest indices of
// its contests; an error if one is not m's.
func styleContests(m *Manifest, roll *Roll) (map[string][]int, error) {
	out := map[string][]int{}
	for style := range roll.StyleSizes() {
		cs, err := m.StyleContests(style)
		if err != nil {
			return nil, err
		}
		out[style] = cs
	}
	return out, nil
}
