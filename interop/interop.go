// Package interop converts election definitions between evote and the
// standard formats officials already write them in, as specified in
// docs/spec/import.md: it imports ElectionGuard 1.0 and 2.1 manifests and
// NIST SP 1500-20 ballot definitions (and NIST SP 1500-100 v2 election
// reports, which ExportNIST writes), and exports a definition as a NIST
// SP 1500-100 v2 election report.
//
// An import gives the parts of a definition the file can give: its id,
// titles in every language, contests, options and ballot styles. The
// official's keys, the registrar's, the trustees, the threshold and the
// voting window are the official's to add (`evote election import` takes
// them as `evote election template` does). What cannot map is refused,
// each refusal naming the element by its JSON path and object id, never
// dropped.
//
// The package is pure: no I/O, no clock, no randomness.
package interop

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"github.com/evote/evote/ballot"
)

// WriteIns says what an import does with a write-in selection.
type WriteIns int

const (
	// RefuseWriteIns refuses a write-in selection: evote ballots carry no
	// write-in text yet.
	RefuseWriteIns WriteIns = iota
	// CountWriteIns imports a write-in selection as an option that counts
	// the voters who mark it, as ElectionGuard 1.0 counts its write-in
	// selections (their text is not on the encrypted ballot) and as
	// optical-scan tabulators count write-in marks before adjudication.
	CountWriteIns
)

// Options shape an import.
type Options struct {
	// Language is the language of the definition's titles (a BCP 47 tag);
	// "" chooses the language of the first text of the election's name
	// (of the first multilingual text the file has).
	Language string
	// WriteIns says what to do with write-in selections.
	WriteIns WriteIns
}

// Error is a refused import: every element that could not map, each with
// its JSON path in the imported file.
type Error = ballot.ParseError

// builder collects a definition and the problems of an import.
type builder struct {
	what     string // what is imported, for errors
	opts     Options
	lang     string // the definition's language, "" until known
	problems []ballot.Problem
}

// newBuilder returns the builder of an import of what.
func newBuilder(what string, opts Options) (*builder, error) {
	b := &builder{what: what, opts: opts}
	if opts.Language != "" {
		tag, err := language.Parse(opts.Language)
		if err != nil || tag == language.Und {
			return nil, fmt.Errorf("language %q is not a BCP 47 language tag", opts.Language)
		}
		b.lang = tag.String()
	}
	return b, nil
}

func (b *builder) addf(path, format string, args ...any) {
	b.problems = append(b.problems, ballot.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// err returns the import's *Error, or nil if nothing was refused.
func (b *builder) err() error {
	if len(b.problems) == 0 {
		return nil
	}
	return &Error{What: b.what, Problems: b.problems}
}

// mlText is a multilingual name: ElectionGuard 1.0's
// InternationalizedText {"text": [{"value", "language"}]} or NIST's
// {"Text": [{"Content", "Language"}]} (encoding/json matches member names
// without regard to case).
type mlText struct {
	Text []struct {
		Value    string `json:"value"`   // ElectionGuard
		Content  string `json:"Content"` // NIST
		Language string `json:"language"`
	} `json:"text"`
}

// texts returns t's texts, none for a nil t.
func (t *mlText) texts() []langText {
	if t == nil {
		return nil
	}
	out := make([]langText, len(t.Text))
	for i, x := range t.Text {
		s := x.Value
		if s == "" {
			s = x.Content
		}
		out[i] = langText{x.Language, s}
	}
	return out
}

// langText is one language's text of a multilingual name.
type langText struct {
	lang, text string
}

// text maps a multilingual name at path to a title in the definition's
// language and its translations (docs/spec/import.md §2): the texts are
// cleaned (clean), their language tags made canonical, and the title is
// the text in the definition's language, which the first text of the
// first multilingual name chooses if Options.Language does not.
func (b *builder) text(path string, texts []langText) (string, ballot.Translations, bool) {
	if len(texts) == 0 {
		b.addf(path, "has no text")
		return "", nil, false
	}
	if len(texts) == 1 && texts[0].lang == "" {
		s, ok := b.clean(path, texts[0].text)
		return s, nil, ok
	}
	byLang := map[string]string{}
	var order []string
	ok := true
	for i, t := range texts {
		p := fmt.Sprintf("%s[%d]", path, i)
		tag, err := language.Parse(t.lang)
		if err != nil || tag == language.Und {
			b.addf(p, "language %q is not a BCP 47 language tag", t.lang)
			ok = false
			continue
		}
		lang := tag.String()
		if _, dup := byLang[lang]; dup {
			b.addf(p, "a second text in language %q", lang)
			ok = false
			continue
		}
		s, cok := b.clean(p, t.text)
		ok = ok && cok
		byLang[lang] = s
		order = append(order, lang)
	}
	if !ok {
		return "", nil, false
	}
	if b.lang == "" {
		b.lang = order[0]
	}
	title, has := byLang[b.lang]
	if !has {
		b.addf(path, "has no text in %q, the language of the definition's titles (texts in %s)", b.lang, strings.Join(order, ", "))
		return "", nil, false
	}
	delete(byLang, b.lang)
	if len(byLang) == 0 {
		return title, nil, true
	}
	return title, ballot.Translations(byLang), true
}

// clean makes s a title (docs/spec/import.md §2): white space around it
// and around each line break trimmed, lines joined by " / ", tabs made
// spaces. What CheckText still refuses is refused.
func (b *builder) clean(path, s string) (string, bool) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.ReplaceAll(s, "\t", " ")
	var lines []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	s = strings.Join(lines, " / ")
	if err := ballot.CheckText(s, ballot.MaxTitleLen); err != nil {
		b.addf(path, "text %v", err)
		return "", false
	}
	return s, true
}

// MapID maps an object id of an imported file to an evote id
// (docs/spec/import.md §3): ASCII letters lowercased, each run of other
// characters than a-z and 0-9 made one "-", and "-" trimmed from both
// ends. It returns "" if nothing is left or the result is longer than
// ballot.MaxIDLen.
func MapID(s string) string {
	var sb strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		default:
			dash = true
			continue
		}
		if dash && sb.Len() > 0 {
			sb.WriteByte('-')
		}
		dash = false
		sb.WriteRune(r)
	}
	if sb.Len() > ballot.MaxIDLen {
		return ""
	}
	return sb.String()
}

// ids hands out the evote ids of one kind of element, refusing an id that
// does not map and two source ids that map alike.
type ids struct {
	what string
	seen map[string]string // evote id → source path
}

func newIDs(what string) *ids { return &ids{what: what, seen: map[string]string{}} }

// take maps source, the id of the element at path; ok is false if it is
// refused.
func (b *builder) takeID(set *ids, path, source string) (string, bool) {
	id := MapID(source)
	if id == "" {
		b.addf(path, "%s id %q maps to no evote id (1 to %d characters from a-z, 0-9 and -, docs/spec/import.md §3)", set.what, source, ballot.MaxIDLen)
		return "", false
	}
	return id, b.claimID(set, path, id, source)
}

// claimID claims the evote id of the element at path.
func (b *builder) claimID(set *ids, path, id, source string) bool {
	if first, dup := set.seen[id]; dup {
		b.addf(path, "%s id %q maps to %q, as the id of %s does: the ids would collide", set.what, source, id, first)
		return false
	}
	set.seen[id] = path
	return true
}

// contestKind returns the evote contest of a vote variation counting
// votesAllowed selections of n options (docs/spec/import.md §4): limits
// 0 to votesAllowed, one vote per option.
func contestKind(kind string, votesAllowed, n int) (ballot.Contest, string) {
	c := ballot.Contest{Kind: kind, MaxSelections: votesAllowed, OptionMax: 1}
	switch {
	case votesAllowed < 1:
		return c, fmt.Sprintf("votes allowed %d: at least 1 is needed", votesAllowed)
	case votesAllowed > n:
		return c, fmt.Sprintf("votes allowed %d exceeds the %d options", votesAllowed, n)
	case votesAllowed > ballot.MaxSumRange:
		return c, fmt.Sprintf("votes allowed %d exceeds evote's limit of %d a contest", votesAllowed, ballot.MaxSumRange)
	case kind == ballot.KindPlurality && votesAllowed != 1:
		return c, fmt.Sprintf("a one-of-m contest with votes allowed %d", votesAllowed)
	case kind == ballot.KindKOfN && votesAllowed == 1:
		c.Kind = ballot.KindPlurality
	}
	return c, ""
}

// inOrder returns the indices 0 … n−1 sorted stably by seq, the
// elements' sequence order (docs/spec/import.md §4).
func inOrder(n int, seq func(i int) int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	slices.SortStableFunc(out, func(i, j int) int { return seq(i) - seq(j) })
	return out
}

// title returns the path and texts of a contest's title: its
// multilingual ballot title t (at path+"."+tMember) if it has text, else
// its name (at path+"."+nameMember).
func (b *builder) title(t *mlText, name, path, tMember, nameMember string) (string, []langText) {
	if texts := t.texts(); len(texts) > 0 {
		return path + "." + tMember, texts
	}
	return path + "." + nameMember, []langText{{b.lang, name}}
}

// addContest adds contest c, with its id, title and options, to m as a
// contest of kind whose voters may choose votes options (nil if the file
// says not: 1, or every option for approval); a problem with the limits
// is reported at path.
func (b *builder) addContest(m *ballot.Manifest, c ballot.Contest, kind string, votes *int, path, what string) {
	v := 1
	if votes != nil {
		v = *votes
	} else if kind == ballot.KindApproval {
		v = len(c.Options)
	}
	k, problem := contestKind(kind, v, len(c.Options))
	if problem != "" {
		b.addf(path, "%s: %s", what, problem)
	}
	k.ID, k.Title, k.Translations, k.Options = c.ID, c.Title, c.Translations, c.Options
	m.Contests = append(m.Contests, k)
}

// styleContests returns the ids of the contests of manifest m among on, in
// m's order, as a style lists them.
func styleContests(m *ballot.Manifest, on map[string]bool) []string {
	var out []string
	for _, c := range m.Contests {
		if on[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out
}

// finish sets the definition's language if it has translations, and
// checks the draft's contests and styles as ParseManifest would (with
// placeholder keys, times and trustees).
func (b *builder) finish(m *ballot.Manifest) {
	if b.opts.Language != "" || hasTranslations(m) {
		m.Language = b.lang
	}
	if len(b.problems) > 0 {
		return
	}
	if err := CheckDraft(m); err != nil {
		b.addf("$", "the imported definition is not valid: %v", err)
	}
}

func hasTranslations(m *ballot.Manifest) bool {
	if len(m.Translations) > 0 {
		return true
	}
	for _, c := range m.Contests {
		if len(c.Translations) > 0 {
			return true
		}
		for _, o := range c.Options {
			if len(o.Translations) > 0 {
				return true
			}
		}
	}
	return false
}
