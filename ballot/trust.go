package ballot

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// MaxWitnesses bounds the witnesses of a definition's trust policy.
const MaxWitnesses = 32

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

var (
	boardFields   = []string{"origin", "key"}
	witnessFields = []string{"name", "key"}
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
		elems, ok := w.array("$.witnesses", raw)
		if !ok {
			return
		}
		switch {
		case len(elems) == 0:
			w.addf("$.witnesses", "is empty: leave it out for an election without witnesses")
		case len(elems) > MaxWitnesses:
			w.addf("$.witnesses", "%d witnesses, at most %d allowed", len(elems), MaxWitnesses)
			return
		}
		names, keys := map[string]int{}, map[string]int{}
		for i, e := range elems {
			p := fmt.Sprintf("$.witnesses[%d]", i)
			f, ok := w.object(p, e, witnessFields, witnessFields)
			if !ok {
				continue
			}
			var wt Witness
			if raw, ok := f["name"]; ok {
				if s, ok := w.str(p+".name", raw); ok {
					wt.Name = s
					if !ValidLogName(s) {
						w.addf(p+".name", "%q is not a witness name: use a schema-less URL-like name without spaces or \"+\"", s)
					}
					if j, dup := names[s]; dup {
						w.addf(p+".name", "same name as $.witnesses[%d]", j)
					}
					names[s] = i
				}
			}
			if raw, ok := f["key"]; ok {
				if s, ok := w.str(p+".key", raw); ok {
					wt.Key = s
					if v, err := wt.Verifier(); err != nil {
						w.addf(p+".key", "not a witness cosignature key (c2sp.org/tlog-cosignature, Ed25519 or ML-DSA-44): %v", err)
					} else if wt.Name != "" && v.Name() != wt.Name {
						w.addf(p+".key", "is the key of %q, not of %q", v.Name(), wt.Name)
					}
					if j, dup := keys[s]; dup {
						w.addf(p+".key", "same key as $.witnesses[%d]", j)
					}
					keys[s] = i
				}
			}
			m.Witnesses = append(m.Witnesses, wt)
		}
		n = len(elems)
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

// trustJSON returns the canonical encoding's board and witnesses.
func (m *Manifest) trustJSON() (*boardJSON, []witnessJSON) {
	var b *boardJSON
	if m.Board != nil {
		b = &boardJSON{Origin: m.Board.Origin, Key: m.Board.Key}
	}
	var ws []witnessJSON
	for _, w := range m.Witnesses {
		ws = append(ws, witnessJSON(w))
	}
	return b, ws
}
