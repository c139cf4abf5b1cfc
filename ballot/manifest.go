// Package ballot implements the election definition (manifest), plaintext
// choices, encrypted ballots with their zero-knowledge proofs, confirmation
// codes and Benaloh challenges, as specified in docs/spec/ballot.md.
//
// The package is pure: it does no I/O, reads no clock and draws randomness
// only from crypto/rand (through package crypto and crypto/ed25519). Every
// format has one canonical encoding; parsers of published objects reject all
// others, so that parse then marshal returns the input.
package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/evote/evote/crypto"
)

// Version is the version string of every format in this package.
const Version = "evote/v1"

// Limits on a manifest (docs/spec/ballot.md §1.3). They keep proofs small
// and ballots bounded: a range proof grows linearly with its range.
const (
	MaxIDLen          = 64
	MaxTitleLen       = 1024 // bytes of UTF-8
	MaxContests       = 100
	MaxOptions        = 256  // per contest
	MaxOptionMax      = 100  // votes per option
	MaxSumRange       = 512  // max_selections − min_selections, per contest
	MaxWriteInBytes   = 1000 // a write-in's max_bytes (§1.3)
	MaxTrustees       = 64
	MaxMinCounted     = 1 << 40
	minCountedDefault = 10 // min_counted when absent, unless the roll is smaller
	X25519KeySize     = 32
	timeLayout        = "2006-01-02T15:04:05Z"
	manifestHashLbl   = "evote/v1/manifest\x00"
	baseHashLbl       = "evote/v1/base-hash\x00"
)

// Contest kinds. The kind is informative: the limits min_selections,
// max_selections and option_max alone define what a valid ballot is, but a
// kind that contradicts them is rejected (docs/spec/ballot.md §1.2).
const (
	KindPlurality  = "plurality"
	KindKOfN       = "k-of-n"
	KindApproval   = "approval"
	KindCumulative = "cumulative"
	// KindRanked is a ranked contest (docs/spec/ranked.md): each option's
	// ciphertext holds the rank the voter gives it, and the ballots are
	// mixed and decrypted one by one, then counted by Method.
	KindRanked = "ranked"
)

// Methods of a ranked contest (docs/spec/ballot.md §1.2, docs/spec/ranked.md
// §4–§7), each counted by the function of package tally/ranked of that name.
const (
	MethodIRV     = "irv"
	MethodSTV     = "stv"
	MethodSchulze = "schulze"
	MethodBorda   = "borda"
)

// MaxRanks is the most candidates a ranked contest lets a voter rank: the
// contest's sum proof covers the sums of ranks, 0 to k(k+1)/2, which
// MaxSumRange bounds (docs/spec/ballot.md §1.3).
const MaxRanks = 31

// Manifest is the election definition written by the official
// (docs/spec/ballot.md §1). Use ParseManifest to build one from JSON; a
// Manifest built by hand should go through MarshalCanonical and
// ParseManifest to be validated.
type Manifest struct {
	Version string
	ID      string
	Title   string
	// Language is the BCP 47 tag of the language of every Title of the
	// definition (docs/spec/ballot.md §1.7); "" if it names none, which
	// only a definition without translations may do.
	Language string
	// Translations are the title in other languages.
	Translations Translations
	Official     ed25519.PublicKey
	// Registrar signs the voter roll's records (§6): it, not the
	// official, decides who may vote. It is neither the official nor a
	// trustee.
	Registrar ed25519.PublicKey
	Opens     time.Time // UTC, whole seconds
	Closes    time.Time // UTC, whole seconds
	Contests  []Contest
	// Styles are the ballot styles (docs/spec/ballot.md §1.6): each a set
	// of contests, and each voter on the roll gets one. Empty means one
	// ballot with every contest for every voter.
	Styles    []Style
	Trustees  []Trustee
	Threshold int
	// MinCounted is the privacy floor: the trustees decrypt a tally only if
	// at least this many ballots are counted, so that a tally does not
	// reveal how a handful of voters voted (docs/spec/ballot.md §1.1). 0
	// means the definition leaves it out: then the floor is min(10, roll
	// size), known once the roll closes (PrivacyFloor).
	MinCounted int
	// Board names the board the election runs on; nil if the definition
	// names none (then any board's key is taken).
	Board *Board
	// Witnesses cosign the board's checkpoints; every participant demands
	// WitnessQuorum of their cosignatures on the checkpoint it acts on.
	// Empty for an election without witnesses (then WitnessQuorum is 0).
	Witnesses     []Witness
	WitnessQuorum int
	// Operators are the operators of a replicated board, each cosigning
	// the checkpoints of the tree it committed; every participant demands
	// the cosignatures of more than two thirds of them (OperatorQuorum).
	// Empty for a board of one operator.
	Operators []Operator
}

// PrivacyFloor returns the least number of counted ballots whose tally the
// trustees decrypt, for a roll of rollSize voters: MinCounted, or min(10,
// rollSize) if the definition leaves it out.
func (m *Manifest) PrivacyFloor(rollSize int64) int64 {
	if m.MinCounted > 0 {
		return int64(m.MinCounted)
	}
	return min(minCountedDefault, rollSize)
}

// Contest is one question of the election.
type Contest struct {
	ID            string
	Title         string
	Translations  Translations // the title in other languages (§1.7)
	Kind          string       // optional, informative; one of the Kind constants
	MinSelections int          // minimum sum of the option counts
	MaxSelections int          // maximum sum of the option counts
	OptionMax     int          // maximum count of one option (1 unless cumulative); the largest rank of a ranked contest
	// Method counts a ranked contest (one of the Method constants); ""
	// for every other kind.
	Method string
	// Seats is the number of seats an STV contest fills; 0 for every
	// other method and kind.
	Seats int
	// WriteIn lets a voter write in one name (§1.2 write_in); nil if the
	// contest has no write-in.
	WriteIn *WriteIn
	Options []Option
}

// WriteIn is a contest's write-in (docs/spec/ballot.md §1.2): the option
// that is its slot, selected by a voter who writes a name in, and the
// longest text, in UTF-8 bytes.
type WriteIn struct {
	Option   int // index of the slot among the contest's options
	MaxBytes int // 1 … MaxWriteInBytes
}

// TextCiphertexts returns the number m of ciphertexts that carry the text
// on a ballot (crypto.TextElements of MaxBytes).
func (w *WriteIn) TextCiphertexts() int { return crypto.TextElements(w.MaxBytes) }

// Mixed reports whether c is a mix-net contest (docs/spec/election.md
// §2.5): a ranked contest or one with a write-in, whose ballots are mixed
// and decrypted one by one after the close.
func (c *Contest) Mixed() bool { return c.Ranked() || c.WriteIn != nil }

// MixWidth returns the number of ciphertexts of one ballot of a mix-net
// contest in its mix: one per candidate of a ranked contest; the slot's
// and the text's of a write-in (docs/spec/ranked.md §8.6).
func (c *Contest) MixWidth() int {
	if c.WriteIn != nil {
		return 1 + c.WriteIn.TextCiphertexts()
	}
	return len(c.Options)
}

// Ranked reports whether c is a ranked contest, whose ballots are mixed
// and decrypted one by one rather than added up (docs/spec/ranked.md).
func (c *Contest) Ranked() bool { return c.Kind == KindRanked }

// SumRange returns the range [lo, hi] that a ballot's contest sum proof
// proves its options' sum in (docs/spec/ballot.md §4.1): [min_selections,
// max_selections], or for a ranked contest of k ranks the sums of valid
// rankings' ranks, [0, k(k+1)/2].
func (c *Contest) SumRange() (lo, hi uint64) {
	if c.Ranked() {
		k := uint64(c.MaxSelections)
		return 0, k * (k + 1) / 2
	}
	return uint64(c.MinSelections), uint64(c.MaxSelections)
}

// Option is one choice of a contest.
type Option struct {
	ID           string
	Title        string
	Translations Translations // the title in other languages (§1.7)
}

// Trustee is a key holder of the threshold election key.
type Trustee struct {
	Name    string
	SignKey ed25519.PublicKey // signs the trustee's board records
	EncKey  []byte            // HPKE X25519 public key receiving key shares
}

// wire types: the canonical JSON layout (docs/spec/ballot.md §1.1).
type manifestJSON struct {
	Version       string        `json:"version"`
	ID            string        `json:"id"`
	Title         string        `json:"title"`
	Language      string        `json:"language,omitempty"`
	Translations  Translations  `json:"translations,omitempty"`
	Official      []byte        `json:"official"`
	Registrar     []byte        `json:"registrar"`
	Opens         string        `json:"opens"`
	Closes        string        `json:"closes"`
	Contests      []contestJSON `json:"contests"`
	Styles        []styleJSON   `json:"styles,omitempty"`
	Trustees      []trusteeJSON `json:"trustees"`
	Threshold     int           `json:"threshold"`
	MinCounted    int           `json:"min_counted,omitempty"`
	Board         *boardJSON    `json:"board,omitempty"`
	Witnesses     []witnessJSON `json:"witnesses,omitempty"`
	WitnessQuorum int           `json:"witness_quorum,omitempty"`
	Operators     []operJSON    `json:"operators,omitempty"`
}

type contestJSON struct {
	ID            string       `json:"id"`
	Title         string       `json:"title"`
	Translations  Translations `json:"translations,omitempty"`
	Kind          string       `json:"kind,omitempty"`
	MinSelections int          `json:"min_selections"`
	MaxSelections int          `json:"max_selections"`
	OptionMax     int          `json:"option_max"`
	Method        string       `json:"method,omitempty"`
	Seats         int          `json:"seats,omitempty"`
	WriteIn       *writeInJSON `json:"write_in,omitempty"`
	Options       []optionJSON `json:"options"`
}

type writeInJSON struct {
	Option   string `json:"option"`
	MaxBytes int    `json:"max_bytes"`
}

type optionJSON struct {
	ID           string       `json:"id"`
	Title        string       `json:"title"`
	Translations Translations `json:"translations,omitempty"`
}

type trusteeJSON struct {
	Name    string `json:"name"`
	SignKey []byte `json:"sign_key"`
	EncKey  []byte `json:"enc_key"`
}

var (
	manifestFields = []string{"version", "id", "title", "language", "translations", "official", "registrar", "opens", "closes", "contests", "styles", "trustees", "threshold", "min_counted", "board", "witnesses", "witness_quorum", "operators"}
	manifestReq    = []string{"version", "id", "title", "official", "registrar", "opens", "closes", "contests", "trustees", "threshold"}
	contestFields  = []string{"id", "title", "translations", "kind", "min_selections", "max_selections", "option_max", "method", "seats", "write_in", "options"}
	writeInFields  = []string{"option", "max_bytes"}
	contestReq     = []string{"id", "title", "min_selections", "max_selections", "options"}
	optionFields   = []string{"id", "title", "translations"}
	optionReq      = []string{"id", "title"}
	trusteeFields  = []string{"name", "sign_key", "enc_key"}
)

// ParseManifest parses and validates a manifest written by hand: any JSON
// whitespace and member order is accepted. It checks every rule of docs/spec/ballot.md §1 and returns
// a *ParseError listing every problem found, each with its JSON path.
func ParseManifest(data []byte) (*Manifest, error) {
	w := &walker{}
	m := w.manifest(data)
	if len(w.problems) > 0 {
		return nil, &ParseError{What: "manifest", Problems: w.problems}
	}
	return m, nil
}

// ParseCanonicalManifest parses a published manifest: in addition to the
// checks of ParseManifest, it requires data to be exactly MarshalCanonical
// of the result.
func ParseCanonicalManifest(data []byte) (*Manifest, error) {
	m, err := ParseManifest(data)
	if err != nil {
		return nil, err
	}
	c, err := m.MarshalCanonical()
	if err != nil {
		return nil, fmt.Errorf("invalid manifest: %w", err)
	}
	if !bytes.Equal(c, data) {
		return nil, errors.New("invalid manifest: not in canonical form (docs/spec/ballot.md §1.1)")
	}
	return m, nil
}

func (w *walker) manifest(data []byte) *Manifest {
	if !utf8.Valid(data) {
		w.addf("$", "not valid UTF-8")
		return nil
	}
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		w.problems = append(w.problems, syntaxProblem(data, err))
		return nil
	}
	f, ok := w.object("$", data, manifestFields, manifestReq)
	if !ok {
		return nil
	}
	m := &Manifest{}
	if raw, ok := f["version"]; ok {
		if s, ok := w.str("$.version", raw); ok {
			if s != Version {
				w.addf("$.version", "must be %q, not %q", Version, s)
			}
			m.Version = s
		}
	}
	if raw, ok := f["id"]; ok {
		m.ID, _ = w.id("$.id", raw)
	}
	if raw, ok := f["title"]; ok {
		m.Title, _ = w.title("$.title", raw)
	}
	w.langOK = true
	if raw, ok := f["language"]; ok {
		m.Language, w.langOK = w.language("$.language", raw)
	}
	w.lang = m.Language
	if raw, ok := f["translations"]; ok {
		m.Translations = w.translations("$", raw, w.lang, w.langOK)
	}
	if raw, ok := f["official"]; ok {
		m.Official, _ = w.edKey("$.official", raw)
	}
	if raw, ok := f["registrar"]; ok {
		m.Registrar, _ = w.edKey("$.registrar", raw)
	}
	var opensOK, closesOK bool
	if raw, ok := f["opens"]; ok {
		m.Opens, opensOK = w.time("$.opens", raw)
	}
	if raw, ok := f["closes"]; ok {
		m.Closes, closesOK = w.time("$.closes", raw)
	}
	if opensOK && closesOK && !m.Closes.After(m.Opens) {
		w.addf("$.closes", "closes (%s) must be after opens (%s)", m.Closes.Format(timeLayout), m.Opens.Format(timeLayout))
	}
	if raw, ok := f["contests"]; ok {
		w.contests(m, raw)
	}
	if raw, ok := f["styles"]; ok {
		w.styles(m, raw)
	}
	trusteesOK := false
	if raw, ok := f["trustees"]; ok {
		trusteesOK = w.trustees(m, raw)
	}
	if raw, ok := f["threshold"]; ok {
		if t, ok := w.uint("$.threshold", raw, MaxTrustees); ok {
			m.Threshold = t
			switch {
			case t < 1:
				w.addf("$.threshold", "must be at least 1")
			case trusteesOK && t > len(m.Trustees):
				w.addf("$.threshold", "is %d but there are only %d trustees: any threshold trustees must be able to decrypt", t, len(m.Trustees))
			}
		}
	}
	if raw, ok := f["board"]; ok {
		w.board(m, raw)
	}
	if rawW, rawQ := f["witnesses"], f["witness_quorum"]; rawW != nil || rawQ != nil {
		w.witnesses(m, rawW, rawQ)
	}
	if raw, ok := f["operators"]; ok {
		w.operators(m, raw)
	}
	if raw, ok := f["min_counted"]; ok {
		if n, ok := w.uint("$.min_counted", raw, MaxMinCounted); ok {
			m.MinCounted = n
			if n < 1 {
				w.addf("$.min_counted", "must be at least 1: it is the least number of counted ballots whose tally the trustees will decrypt (leave it out for the default, min(10, roll size))")
			}
		}
	}
	w.registrar(m)
	return m
}

// registrar checks that the registrar is neither the official nor a
// trustee: the roll must not be in the hands of those who run the
// election or hold the key.
func (w *walker) registrar(m *Manifest) {
	if len(m.Registrar) == 0 {
		return
	}
	if len(m.Official) > 0 && m.Registrar.Equal(m.Official) {
		w.addf("$.registrar", "is the official's key: the registrar, who decides who may vote, must be someone else")
	}
	for i, t := range m.Trustees {
		if len(t.SignKey) > 0 && m.Registrar.Equal(t.SignKey) {
			w.addf("$.registrar", "is the key of $.trustees[%d]: the registrar must be someone else", i)
		}
	}
}

func (w *walker) contests(m *Manifest, raw json.RawMessage) {
	elems, ok := w.array("$.contests", raw)
	if !ok {
		return
	}
	if len(elems) == 0 {
		w.addf("$.contests", "no contests: an election needs at least one")
	}
	if len(elems) > MaxContests {
		w.addf("$.contests", "%d contests, at most %d allowed", len(elems), MaxContests)
		return
	}
	seen := map[string]int{}
	for i, e := range elems {
		path := fmt.Sprintf("$.contests[%d]", i)
		c := Contest{OptionMax: 1}
		f, ok := w.object(path, e, contestFields, contestReq)
		if !ok {
			m.Contests = append(m.Contests, c)
			continue
		}
		if raw, ok := f["id"]; ok {
			c.ID, _ = w.uniqueID(path+".id", raw, "contest", "$.contests", i, seen)
		}
		if raw, ok := f["title"]; ok {
			c.Title, _ = w.title(path+".title", raw)
		}
		if raw, ok := f["translations"]; ok {
			c.Translations = w.translations(path, raw, w.lang, w.langOK)
		}
		kindOK := false
		if raw, ok := f["kind"]; ok {
			if k, ok := w.str(path+".kind", raw); ok {
				switch k {
				case KindPlurality, KindKOfN, KindApproval, KindCumulative, KindRanked:
					c.Kind, kindOK = k, true
				default:
					w.addf(path+".kind", "unknown kind %q (want %q, %q, %q, %q or %q, or leave it out)", k, KindPlurality, KindKOfN, KindApproval, KindCumulative, KindRanked)
				}
			}
		}
		minOK, maxOK, omOK := false, false, true
		if raw, ok := f["min_selections"]; ok {
			c.MinSelections, minOK = w.uint(path+".min_selections", raw, MaxOptions*MaxOptionMax)
		}
		if raw, ok := f["max_selections"]; ok {
			c.MaxSelections, maxOK = w.uint(path+".max_selections", raw, MaxOptions*MaxOptionMax)
			if maxOK && c.MaxSelections < 1 {
				w.addf(path+".max_selections", "must be at least 1")
				maxOK = false
			}
		}
		if raw, ok := f["option_max"]; ok {
			c.OptionMax, omOK = w.uint(path+".option_max", raw, MaxOptionMax)
			if omOK && c.OptionMax < 1 {
				w.addf(path+".option_max", "must be at least 1")
				omOK = false
			}
		}
		optsOK := false
		if raw, ok := f["options"]; ok {
			optsOK = w.options(&c, path, raw)
		}
		if minOK && maxOK && c.MinSelections > c.MaxSelections {
			w.addf(path+".min_selections", "min_selections (%d) is greater than max_selections (%d)", c.MinSelections, c.MaxSelections)
		}
		if raw, ok := f["method"]; ok {
			if c.Method, ok = w.str(path+".method", raw); ok && c.Method == "" {
				w.addf(path+".method", "is empty: name a method or leave it out")
			}
		}
		if raw, ok := f["seats"]; ok {
			if c.Seats, ok = w.uint(path+".seats", raw, MaxOptions); ok && c.Seats < 1 {
				w.addf(path+".seats", "must be at least 1, or left out")
			}
		}
		if minOK && maxOK && c.MaxSelections-c.MinSelections > MaxSumRange {
			w.addf(path+".max_selections", "max_selections − min_selections is %d, at most %d allowed (proof size grows with it)", c.MaxSelections-c.MinSelections, MaxSumRange)
		}
		if maxOK && omOK && optsOK && c.MaxSelections > len(c.Options)*c.OptionMax {
			w.addf(path+".max_selections", "max_selections (%d) exceeds what %d options × option_max %d allow (%d)", c.MaxSelections, len(c.Options), c.OptionMax, len(c.Options)*c.OptionMax)
		}
		if kindOK && maxOK && omOK {
			switch {
			case c.Kind == KindPlurality && (c.MaxSelections != 1 || c.OptionMax != 1):
				w.addf(path+".kind", "a plurality contest has max_selections 1 and option_max 1 (got %d and %d)", c.MaxSelections, c.OptionMax)
			case (c.Kind == KindKOfN || c.Kind == KindApproval) && c.OptionMax != 1:
				w.addf(path+".kind", "a %s contest has option_max 1 (got %d); use kind %q for several votes per option", c.Kind, c.OptionMax, KindCumulative)
			}
		}
		w.rankedContest(&c, path, kindOK && minOK && maxOK && omOK && optsOK)
		if raw, ok := f["write_in"]; ok {
			c.WriteIn = w.writeIn(&c, path+".write_in", raw, optsOK, omOK)
		}
		m.Contests = append(m.Contests, c)
	}
}

// rankedContest checks the rules of a ranked contest (docs/spec/ballot.md
// §1.2): a method, seats for STV and only for STV, min_selections 0,
// max_selections the number k of ranks a voter may give (at most the
// candidates and MaxRanks), option_max equal to k, at least two
// candidates; and that no other kind names a method or seats. limitsOK
// says the kind, limits and options parsed.
func (w *walker) rankedContest(c *Contest, path string, limitsOK bool) {
	if !c.Ranked() {
		if c.Method != "" {
			w.addf(path+".method", "only a %q contest has a method", KindRanked)
		}
		if c.Seats != 0 {
			w.addf(path+".seats", "only a %q contest with method %q has seats", KindRanked, MethodSTV)
		}
		return
	}
	switch c.Method {
	case MethodIRV, MethodSTV, MethodSchulze, MethodBorda:
	case "":
		w.addf(path+".method", "a %q contest needs a method: %q, %q, %q or %q", KindRanked, MethodIRV, MethodSTV, MethodSchulze, MethodBorda)
	default:
		w.addf(path+".method", "unknown method %q (want %q, %q, %q or %q)", c.Method, MethodIRV, MethodSTV, MethodSchulze, MethodBorda)
	}
	switch {
	case c.Method == MethodSTV && (c.Seats < 1 || (limitsOK && c.Seats >= len(c.Options))):
		w.addf(path+".seats", "an STV contest fills 1 to %d seats (fewer than its candidates), not %d", max(1, len(c.Options)-1), c.Seats)
	case c.Method != MethodSTV && c.Seats != 0:
		w.addf(path+".seats", "only method %q has seats; method %q elects one winner or orders the candidates", MethodSTV, c.Method)
	}
	if !limitsOK {
		return
	}
	k := c.MaxSelections
	switch {
	case len(c.Options) < 2:
		w.addf(path+".options", "a %q contest needs at least two candidates", KindRanked)
	case c.MinSelections != 0:
		w.addf(path+".min_selections", "a %q contest has min_selections 0 (a voter may rank no one), got %d", KindRanked, c.MinSelections)
	case k > len(c.Options) || k > MaxRanks:
		w.addf(path+".max_selections", "a voter of a %q contest ranks up to max_selections candidates: at most the %d candidates and at most %d, got %d", KindRanked, len(c.Options), MaxRanks, k)
	case c.OptionMax != k:
		w.addf(path+".option_max", "a %q contest's option_max is its largest rank, max_selections %d, got %d", KindRanked, k, c.OptionMax)
	}
}

// writeIn parses a contest's write_in (docs/spec/ballot.md §1.2): an
// option of the contest as its slot, and max_bytes in 1 … MaxWriteInBytes;
// refused on a ranked contest and on one with option_max above 1. optsOK
// and omOK say that the contest's options and option_max parsed. It
// returns nil if something is wrong.
func (w *walker) writeIn(c *Contest, path string, raw json.RawMessage, optsOK, omOK bool) *WriteIn {
	f, ok := w.object(path, raw, writeInFields, writeInFields)
	if !ok {
		return nil
	}
	out := &WriteIn{Option: -1}
	good := true
	if raw, ok := f["max_bytes"]; ok {
		if out.MaxBytes, ok = w.uint(path+".max_bytes", raw, MaxWriteInBytes); !ok {
			good = false
		} else if out.MaxBytes < 1 {
			w.addf(path+".max_bytes", "must be at least 1")
			good = false
		}
	}
	if raw, ok := f["option"]; ok {
		id, ok := w.str(path+".option", raw)
		if ok && optsOK {
			for k, o := range c.Options {
				if o.ID == id {
					out.Option = k
				}
			}
			if out.Option < 0 {
				w.addf(path+".option", "the contest has no option %q to be the write-in's slot", id)
			}
		}
		good = good && ok && optsOK && out.Option >= 0
	}
	switch {
	case c.Ranked():
		w.addf(path, "a %q contest has no write-in: its ranks would need a rank for the text", KindRanked)
		good = false
	case omOK && c.OptionMax != 1:
		w.addf(path, "a contest with a write-in has option_max 1 (its slot is one selection), got %d", c.OptionMax)
		good = false
	}
	if !good {
		return nil
	}
	return out
}

func (w *walker) options(c *Contest, path string, raw json.RawMessage) bool {
	path += ".options"
	elems, ok := w.array(path, raw)
	if !ok {
		return false
	}
	if len(elems) == 0 {
		w.addf(path, "no options: a contest needs at least one")
		return false
	}
	if len(elems) > MaxOptions {
		w.addf(path, "%d options, at most %d allowed", len(elems), MaxOptions)
		return false
	}
	seen, titles := map[string]int{}, map[string]int{}
	for i, e := range elems {
		p := fmt.Sprintf("%s[%d]", path, i)
		var o Option
		if f, ok := w.object(p, e, optionFields, optionReq); ok {
			if raw, ok := f["id"]; ok {
				o.ID, _ = w.uniqueID(p+".id", raw, "option", path, i, seen)
			}
			if raw, ok := f["title"]; ok {
				t, ok := w.title(p+".title", raw)
				if ok {
					if j, dup := titles[t]; dup {
						w.addf(p+".title", "duplicate option title %q (also %s[%d]): a voter could not tell the options apart", t, path, j)
					}
					titles[t] = i
				}
				o.Title = t
			}
			if raw, ok := f["translations"]; ok {
				o.Translations = w.translations(p, raw, w.lang, w.langOK)
			}
		}
		c.Options = append(c.Options, o)
	}
	w.uniqueTranslations(path, c)
	return true
}

func (w *walker) trustees(m *Manifest, raw json.RawMessage) bool {
	elems, ok := w.array("$.trustees", raw)
	if !ok {
		return false
	}
	if len(elems) == 0 {
		w.addf("$.trustees", "no trustees: an election needs at least one")
		return false
	}
	if len(elems) > MaxTrustees {
		w.addf("$.trustees", "%d trustees, at most %d allowed", len(elems), MaxTrustees)
		return false
	}
	names, signs, encs := map[string]int{}, map[string]int{}, map[string]int{}
	for i, e := range elems {
		p := fmt.Sprintf("$.trustees[%d]", i)
		var t Trustee
		if f, ok := w.object(p, e, trusteeFields, trusteeFields); ok {
			if raw, ok := f["name"]; ok {
				if n, ok := w.title(p+".name", raw); ok {
					if j, dup := names[n]; dup {
						w.addf(p+".name", "duplicate trustee name %q (also $.trustees[%d])", n, j)
					}
					names[n] = i
					t.Name = n
				}
			}
			if raw, ok := f["sign_key"]; ok {
				if k, ok := w.edKey(p+".sign_key", raw); ok {
					if j, dup := signs[string(k)]; dup {
						w.addf(p+".sign_key", "same key as $.trustees[%d].sign_key", j)
					}
					signs[string(k)] = i
					t.SignKey = k
				}
			}
			if raw, ok := f["enc_key"]; ok {
				if k, ok := w.b64(p+".enc_key", raw, X25519KeySize, "HPKE X25519 public key"); ok {
					if problem := checkX25519Key(k); problem != "" {
						w.addf(p+".enc_key", "%s", problem)
					}
					if j, dup := encs[string(k)]; dup {
						w.addf(p+".enc_key", "same key as $.trustees[%d].enc_key", j)
					}
					encs[string(k)] = i
					t.EncKey = k
				}
			}
		}
		m.Trustees = append(m.Trustees, t)
	}
	return true
}

// uniqueID decodes the id of the i-th element of the list at listPath, an
// id that no element before it has: seen maps those ids to their
// elements, and takes this one in.
func (w *walker) uniqueID(path string, raw json.RawMessage, what, listPath string, i int, seen map[string]int) (string, bool) {
	id, ok := w.id(path, raw)
	if !ok {
		return "", false
	}
	if j, dup := seen[id]; dup {
		w.addf(path, "duplicate %s id %q (also %s[%d])", what, id, listPath, j)
	}
	seen[id] = i
	return id, true
}

// id decodes an identifier: 1 to MaxIDLen characters from [a-z0-9-].
func (w *walker) id(path string, raw json.RawMessage) (string, bool) {
	s, ok := w.str(path, raw)
	if !ok {
		return "", false
	}
	if !validID(s) {
		w.addf(path, "%q is not a valid id: use 1 to %d characters from a-z, 0-9 and -", s, MaxIDLen)
		return s, false
	}
	return s, true
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// title decodes human-readable text of at most MaxTitleLen bytes that
// passes CheckText.
func (w *walker) title(path string, raw json.RawMessage) (string, bool) {
	s, ok := w.str(path, raw)
	if !ok {
		return "", false
	}
	if err := CheckText(s, MaxTitleLen); err != nil {
		w.addf(path, "%v", err)
		return s, false
	}
	return s, true
}

// b64 decodes standard base64 (with padding) of exactly size bytes.
func (w *walker) b64(path string, raw json.RawMessage, size int, what string) ([]byte, bool) {
	s, ok := w.str(path, raw)
	if !ok {
		return nil, false
	}
	return w.b64String(path, s, size, what)
}

func (w *walker) b64String(path, s string, size int, what string) ([]byte, bool) {
	b, problem := decodeB64(s, size, what)
	if problem != "" {
		w.addf(path, "%s", problem)
		return nil, false
	}
	return b, true
}

func decodeB64(s string, size int, what string) ([]byte, string) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Sprintf("%q is not standard base64 (with padding): %v", s, err)
	}
	if len(b) != size {
		return nil, fmt.Sprintf("%s must be %d bytes, got %d", what, size, len(b))
	}
	return b, ""
}

// edKey decodes an Ed25519 public key that passes checkEdKey.
func (w *walker) edKey(path string, raw json.RawMessage) (ed25519.PublicKey, bool) {
	s, ok := w.str(path, raw)
	if !ok {
		return nil, false
	}
	k, problem := decodeEdKey(s)
	if problem != "" {
		w.addf(path, "%s", problem)
		return nil, false
	}
	return k, true
}

func decodeEdKey(s string) (ed25519.PublicKey, string) {
	b, problem := decodeB64(s, ed25519.PublicKeySize, "Ed25519 public key")
	if problem != "" {
		return nil, problem
	}
	if problem := checkEdKey(b); problem != "" {
		return nil, problem
	}
	return ed25519.PublicKey(b), ""
}

// checkEdKey returns what is wrong with b as an Ed25519 public key of a
// manifest or credential, or "" if nothing is: crypto.CheckEd25519PublicKey.
func checkEdKey(b []byte) string { return problemOf(crypto.CheckEd25519PublicKey(b)) }

// checkX25519Key returns what is wrong with b as a trustee's HPKE X25519
// public key, or "" if nothing is: crypto.CheckX25519PublicKey, the rule
// the ceremony applies too, since the trustees could not seal shares to
// any other key and a definition naming one could never complete its key
// ceremony.
func checkX25519Key(b []byte) string { return problemOf(crypto.CheckX25519PublicKey(b)) }

// problemOf is err's text, or "" for nil.
func problemOf(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// time decodes an RFC 3339 UTC timestamp with whole seconds.
func (w *walker) time(path string, raw json.RawMessage) (time.Time, bool) {
	s, ok := w.str(path, raw)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil || t.Format(timeLayout) != s {
		w.addf(path, "%q is not an RFC 3339 UTC time with whole seconds, like \"2026-05-01T08:00:00Z\"", s)
		return time.Time{}, false
	}
	return t, true
}

// MarshalCanonical returns the canonical JSON encoding of m
// (docs/spec/ballot.md §1.4): compact, members in schema order, option_max
// always present, kind, method, seats and min_counted omitted when empty (0).
func (m *Manifest) MarshalCanonical() ([]byte, error) {
	j := manifestJSON{
		Version:      m.Version,
		ID:           m.ID,
		Title:        m.Title,
		Language:     m.Language,
		Translations: m.Translations,
		Official:     m.Official,
		Registrar:    m.Registrar,
		Opens:        m.Opens.UTC().Format(timeLayout),
		Closes:       m.Closes.UTC().Format(timeLayout),
		Contests:     make([]contestJSON, len(m.Contests)),
		Trustees:     make([]trusteeJSON, len(m.Trustees)),
		Threshold:    m.Threshold,
		MinCounted:   m.MinCounted,
	}
	j.Styles = m.stylesJSON()
	j.Board, j.Witnesses, j.Operators = m.trustJSON()
	j.WitnessQuorum = m.WitnessQuorum
	for i, c := range m.Contests {
		cj := contestJSON{ID: c.ID, Title: c.Title, Translations: c.Translations, Kind: c.Kind, MinSelections: c.MinSelections,
			MaxSelections: c.MaxSelections, OptionMax: c.OptionMax, Method: c.Method, Seats: c.Seats, Options: make([]optionJSON, len(c.Options))}
		if c.WriteIn != nil {
			cj.WriteIn = &writeInJSON{MaxBytes: c.WriteIn.MaxBytes}
			if k := c.WriteIn.Option; k >= 0 && k < len(c.Options) { // else ParseManifest refuses the empty id
				cj.WriteIn.Option = c.Options[k].ID
			}
		}
		for k, o := range c.Options {
			cj.Options[k] = optionJSON(o)
		}
		j.Contests[i] = cj
	}
	for i, t := range m.Trustees {
		j.Trustees[i] = trusteeJSON{Name: t.Name, SignKey: t.SignKey, EncKey: t.EncKey}
	}
	return marshalCompact(j)
}

// marshalCompact encodes v as compact JSON without HTML escaping.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ManifestHash returns the hash of a canonical manifest encoding
// (docs/spec/ballot.md §1.4):
//
//	SHA-256("evote/v1/manifest\x00" || canonical)
func ManifestHash(canonical []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(manifestHashLbl))
	h.Write(canonical)
	return [32]byte(h.Sum(nil))
}

// Hash returns ManifestHash of m's canonical encoding.
func (m *Manifest) Hash() ([32]byte, error) {
	c, err := m.MarshalCanonical()
	if err != nil {
		return [32]byte{}, err
	}
	return ManifestHash(c), nil
}

// ContestIndex returns the index of the contest with the given id, or -1
// if m has none.
func (m *Manifest) ContestIndex(id string) int {
	for i := range m.Contests {
		if m.Contests[i].ID == id {
			return i
		}
	}
	return -1
}

// OptionCount returns the total number of options over all contests.
func (m *Manifest) OptionCount() int {
	n := 0
	for _, c := range m.Contests {
		n += len(c.Options)
	}
	return n
}
