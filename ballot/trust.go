package ballot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// MaxWitnesses bounds the witnesses of a definition's trust policy, and
// MaxOperators the operators of its board.
const (
	MaxWitnesses = 32
	MaxOperators = 32
)

// Board names the bulletin board an election runs on (docs/spec/ballot.md
// §1.1): the log's origin, which is the name of its checkpoint key, and the
// key itself. A receipt or checkpoint of another board is then named as
// such rather than taken for a changed history.
type Board struct {
	Origin string // the checkpoint origin line, a schema-less URL-like name
	Key    string // the note verifier key that signs the board's checkpoints
}

// Witness is an independent cosigner of the board's checkpoints, a C2SP
// tlog-witness (docs/spec/ballot.md §1.1, docs/spec/bulletin.md §5.1).
type Witness struct {
	Name string // the witness's name, as in its cosignature lines
	Key  string // its cosignature verifier key (tlog-cosignature: Ed25519 type 0x04 or ML-DSA-44 type 0x06)
}

// Operator is one of the operators of a replicated board
// (docs/spec/ballot.md §1.1, docs/spec/replicated-board.md §8), who
// cosigns a checkpoint, in the witnesses' format, only if it is the tree
// the operator committed itself, and signs its own board's checkpoints
// with its board key.
type Operator struct {
	Name string // the operator's name, as in its cosignature lines, and its board's origin
	Key  string // its cosignature verifier key (tlog-cosignature: Ed25519 type 0x04 or ML-DSA-44 type 0x06)
	// BoardKey is the note verifier key of the checkpoints of the
	// operator's board (its board.vkey), named Name: a participant takes a
	// checkpoint of origin Name only under this key.
	BoardKey string
	// URL, if set, is where the operator's board is served: a hint for
	// clients that fall over between operators, trusted for nothing (what
	// is read there is checked under BoardKey and the operators' quorum).
	URL string
}

// BoardVerifier returns the note verifier of the operator's board's
// checkpoints.
func (o *Operator) BoardVerifier() (note.Verifier, error) { return note.NewVerifier(o.BoardKey) }

// Verifier returns the note verifier of the operator's cosignatures.
func (o *Operator) Verifier() (note.Verifier, error) { return fnote.NewVerifierForCosignatureV1(o.Key) }

// OperatorQuorum returns how many of the definition's operators must
// cosign a checkpoint: more than two thirds of them, ⌊2n/3⌋ + 1 of n
// (3 of 4, 5 of 7), which f faulty operators of n = 3f + 1 cannot make
// alone; 0 without operators.
func (m *Manifest) OperatorQuorum() int { return OperatorQuorum(len(m.Operators)) }

// IsOperator reports whether name is the name of one of the definition's
// operators. An operator's name is also the origin of the board it serves
// (docs/spec/replicated-board.md §8), so that a participant may follow any
// operator.
func (m *Manifest) IsOperator(name string) bool { return m.Operator(name) != nil }

// Operator returns the definition's operator named name, or nil if it
// names none so.
func (m *Manifest) Operator(name string) *Operator {
	for i := range m.Operators {
		if m.Operators[i].Name == name {
			return &m.Operators[i]
		}
	}
	return nil
}

// OperatorQuorum returns the quorum of n operators, ⌊2n/3⌋ + 1, the least
// number above two thirds of them; 0 if n is 0.
func OperatorQuorum(n int) int {
	if n == 0 {
		return 0
	}
	return 2*n/3 + 1
}

// Verifier returns the note verifier of the board's checkpoint key.
func (b *Board) Verifier() (note.Verifier, error) { return note.NewVerifier(b.Key) }

// Verifier returns the note verifier of the witness's cosignatures.
func (w *Witness) Verifier() (note.Verifier, error) { return fnote.NewVerifierForCosignatureV1(w.Key) }

type boardJSON struct {
	Origin string `json:"origin"`
	Key    string `json:"key"`
}

type witnessJSON struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// operJSON is an operator entry of the canonical encoding.
type operJSON struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	BoardKey string `json:"board_key"`
	URL      string `json:"url,omitempty"`
}

var (
	boardFields    = []string{"origin", "key"}
	witnessFields  = []string{"name", "key"}
	operatorFields = []string{"name", "key", "board_key", "url"}
	operatorReq    = []string{"name", "key", "board_key"}
)

// ValidLogName reports whether s can name a log or a witness: a
// schema-less URL-like name such as vote.example.org/2026-municipal, as
// C2SP tlog-checkpoint and signed-note expect: valid UTF-8 of 1 to 255
// bytes, no white space, no "+", no scheme, and none of the control and
// invisible characters that text may not hold either (CheckText,
// docs/spec/ballot.md §1.1).
func ValidLogName(s string) bool {
	return s != "" && len(s) <= 255 && utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsSpace) < 0 &&
		!strings.ContainsRune(s, '+') && !strings.Contains(s, "://") &&
		strings.IndexFunc(s, func(r rune) bool { return unicode.Is(invisibleText, r) }) < 0
}

// board decodes the definition's board.
func (w *walker) board(m *Manifest, raw json.RawMessage) {
	f, ok := w.object("$.board", raw, boardFields, boardFields)
	if !ok {
		return
	}
	b := &Board{}
	if raw, ok := f["origin"]; ok {
		if s, ok := w.str("$.board.origin", raw); ok {
			b.Origin = s
			if !ValidLogName(s) {
				w.addf("$.board.origin", "%q is not a log name: use a schema-less URL-like name without spaces or \"+\", such as vote.example.org/2026-municipal", s)
			}
		}
	}
	if raw, ok := f["key"]; ok {
		if s, ok := w.str("$.board.key", raw); ok {
			b.Key = s
			if v, err := note.NewVerifier(s); err != nil {
				w.addf("$.board.key", "not a board verifier key (the .vkey file of `evote board keygen`): %v", err)
			} else if b.Origin != "" && v.Name() != b.Origin {
				w.addf("$.board.key", "is the key of %q, but the board's origin is %q: a board's origin is its key's name", v.Name(), b.Origin)
			}
		}
	}
	m.Board = b
}

// witnesses decodes the definition's witnesses and quorum.
func (w *walker) witnesses(m *Manifest, raw, rawQuorum json.RawMessage) {
	var n int
	if raw != nil {
		ws, ok := w.cosigners("$.witnesses", raw, MaxWitnesses, "witness", "an election without witnesses", witnessFields, witnessFields, nil)
		if !ok {
			return
		}
		m.Witnesses, n = ws, len(ws)
	}
	switch {
	case rawQuorum == nil && n > 0:
		w.addf("$.witness_quorum", "missing: how many of the %d witnesses must cosign a checkpoint", n)
	case rawQuorum != nil && n == 0:
		w.addf("$.witness_quorum", "given without witnesses")
	case rawQuorum != nil:
		if q, ok := w.uint("$.witness_quorum", rawQuorum, MaxWitnesses); ok {
			m.WitnessQuorum = q
			if q < 1 || q > n {
				w.addf("$.witness_quorum", "is %d, but must be from 1 to the %d witnesses", q, n)
			}
		}
	}
}

// operators decodes the definition's operators: each a cosigner with the
// board key of its name and, optionally, the URL of its board.
func (w *walker) operators(m *Manifest, raw json.RawMessage) {
	var more []Operator
	ws, _ := w.cosigners("$.operators", raw, MaxOperators, "operator", "a board of one operator", operatorFields, operatorReq,
		func(p string, c Witness, f map[string]json.RawMessage) {
			o := Operator{Name: c.Name, Key: c.Key}
			if raw, ok := f["board_key"]; ok {
				if s, ok := w.str(p+".board_key", raw); ok {
					o.BoardKey = s
					if v, err := o.BoardVerifier(); err != nil {
						w.addf(p+".board_key", "not a board verifier key (the operator's board.vkey of `evote network init`): %v", err)
					} else if c.Name != "" && v.Name() != c.Name {
						w.addf(p+".board_key", "is the key of %q, not of %q: an operator's board's origin is its name", v.Name(), c.Name)
					}
				}
			}
			if raw, ok := f["url"]; ok {
				if s, ok := w.str(p+".url", raw); ok {
					o.URL = s
					if !ValidBoardURL(s) {
						w.addf(p+".url", "%q is not the web address of a board: use http:// or https://, a host, and no query, fragment, trailing slash or white space", s)
					}
				}
			}
			more = append(more, o)
		})
	if len(more) == len(ws) {
		m.Operators = append(m.Operators, more...)
	}
}

// ValidBoardURL reports whether s can be the base URL of a board, as an
// operator entry's url hint gives it: http or https, a host, no user, query
// or fragment, no trailing slash, no white space, at most 255 bytes.
func ValidBoardURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && len(s) <= 255 && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil &&
		u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery && !strings.HasSuffix(s, "/") &&
		strings.IndexFunc(s, unicode.IsSpace) < 0 && u.String() == s
}

// cosigners decodes an array at path of 1 to max objects with the fields
// allowed (required of them), each a cosigner (a witness or an operator,
// what) whose "key" is a tlog-cosignature verifier key of its "name", no
// two names or keys alike; more, if set, decodes the other fields of each.
// It reports false if the array itself is not one, or is too long; alone
// names the case in which to leave the array out.
func (w *walker) cosigners(path string, raw json.RawMessage, max int, what, alone string, allowed, required []string,
	more func(p string, c Witness, f map[string]json.RawMessage)) ([]Witness, bool) {
	elems, ok := w.array(path, raw)
	if !ok {
		return nil, false
	}
	switch {
	case len(elems) == 0:
		w.addf(path, "is empty: leave it out for %s", alone)
	case len(elems) > max:
		plural := what + "s"
		if strings.HasSuffix(what, "s") {
			plural = what + "es"
		}
		w.addf(path, "%d %s, at most %d allowed", len(elems), plural, max)
		return nil, false
	}
	var out []Witness
	names, keys := map[string]int{}, map[string]int{}
	for i, e := range elems {
		p := fmt.Sprintf("%s[%d]", path, i)
		f, ok := w.object(p, e, allowed, required)
		if !ok {
			continue
		}
		var c Witness
		if raw, ok := f["name"]; ok {
			if s, ok := w.str(p+".name", raw); ok {
				c.Name = s
				if !ValidLogName(s) {
					w.addf(p+".name", "%q is not a%s %s name: use a schema-less URL-like name without spaces or \"+\"", s, article(what), what)
				}
				if j, dup := names[s]; dup {
					w.addf(p+".name", "same name as %s[%d]", path, j)
				}
				names[s] = i
			}
		}
		if raw, ok := f["key"]; ok {
			if s, ok := w.str(p+".key", raw); ok {
				c.Key = s
				if v, err := c.Verifier(); err != nil {
					w.addf(p+".key", "not a%s %s cosignature key (c2sp.org/tlog-cosignature, Ed25519 or ML-DSA-44): %v", article(what), what, err)
				} else if c.Name != "" && v.Name() != c.Name {
					w.addf(p+".key", "is the key of %q, not of %q", v.Name(), c.Name)
				}
				if j, dup := keys[s]; dup {
					w.addf(p+".key", "same key as %s[%d]", path, j)
				}
				keys[s] = i
			}
		}
		if more != nil {
			more(p, c, f)
		}
		out = append(out, c)
	}
	return out, true
}

// article returns "n" before a word that starts with a vowel, for "a"+n.
func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}

// MarshalOperators returns the "operators" member of a definition naming
// ops, as a JSON object {"operators": [...]} indented for people to read
// and paste (what `evote network init` writes), each operator's fields in
// canonical order.
func MarshalOperators(ops []Operator) ([]byte, error) {
	j := struct {
		Operators []operJSON `json:"operators"`
	}{}
	for _, o := range ops {
		j.Operators = append(j.Operators, operJSON(o))
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("ballot: writing the operators: %w", err)
	}
	return append(b, '\n'), nil
}

// trustJSON returns the canonical encoding's board, witnesses and
// operators.
func (m *Manifest) trustJSON() (*boardJSON, []witnessJSON, []operJSON) {
	var b *boardJSON
	if m.Board != nil {
		b = &boardJSON{Origin: m.Board.Origin, Key: m.Board.Key}
	}
	var ws []witnessJSON
	for _, w := range m.Witnesses {
		ws = append(ws, witnessJSON(w))
	}
	var ops []operJSON
	for _, o := range m.Operators {
		ops = append(ops, operJSON(o))
	}
	return b, ws, ops
}
