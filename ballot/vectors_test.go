package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	randtest "testing/cryptotest"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/internal/specvectors"
)

// The vectors of docs/spec/ballot.md in docs/spec/vectors: manifest.txt
// (§1.4), roll.txt (§6, §2.1), base-hash.txt (§1.5) and ballot.txt (§4,
// §5). "go test ./ballot -run Vectors -update" rewrites them.

// sampleCanonical returns the canonical encoding of the hand-written
// sample manifest, testdata/manifest-sample.json (the vector "sample" of
// manifest.txt).
func sampleCanonical(t testing.TB) []byte {
	t.Helper()
	c, err := sampleManifest(t).MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// compactJSON returns data without white space outside strings.
func compactJSON(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// manifestOutcome is the outcome of parsing a manifest: "invalid <path>"
// for each problem, or "not-canonical" for a valid manifest that is not
// its canonical encoding.
func manifestOutcome(data []byte, canonical bool) (*Manifest, []string) {
	m, err := ParseManifest(data)
	var pe *ParseError
	switch {
	case errors.As(err, &pe):
		var out []string
		for _, p := range pe.Problems {
			out = append(out, "invalid "+p.Path)
		}
		return nil, out
	case err != nil:
		return nil, []string{err.Error()}
	}
	if canonical {
		if _, err := ParseCanonicalManifest(data); err != nil {
			return nil, []string{"not-canonical"}
		}
	}
	return m, nil
}

func TestManifestVectors(t *testing.T) {
	specvectors.Generated(t, "manifest.txt", generateManifestVectors(t))
	specvectors.Run(t, "manifest.txt", func(t *testing.T, v *specvectors.Vector) {
		op, data := v.String("op"), []byte(v.String("manifest"))
		if op != "parse" && op != "parse-canonical" {
			t.Fatalf("unknown op %q", op)
		}
		m, reasons := manifestOutcome(data, op == "parse-canonical")
		if !v.Outcome(reasons...) {
			return
		}
		c := manifestOutputs(t, v, op, m)
		if h, want := ManifestHash(c), sha256.Sum256(append([]byte("evote/v1/manifest\x00"), c...)); h != want {
			t.Errorf("ManifestHash = %x, want SHA-256(label || canonical) = %x", h, want)
		}
	})
}

func generateManifestVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Election definitions: their problems, canonical form and manifest hash,
docs/spec/ballot.md §1. Format: docs/spec/vectors.md.
Runner: TestManifestVectors (ballot); regenerate with
  go test ./ballot -run TestManifestVectors -update

Inputs:
  op:        parse (any JSON form) | parse-canonical (the canonical form only)
  manifest:  the definition, JSON on one line
Outputs:
  canonical:     (parse) the canonical encoding, §1.4
  manifest-hash: SHA-256("evote/v1/manifest\x00" || canonical)
Rejections:
  invalid <path>:  a problem at the JSON path, one line per problem in the
                   order of the document (§1: every mistake is reported)
  not-canonical:   (parse-canonical) valid, but not the canonical encoding`)
	sample := compactJSON(t, readFile(t, "testdata/manifest-sample.json"))
	canonical := sampleCanonical(t)
	vector := func(name, op string, data []byte, comment string, reasons ...string) {
		w.Vector(name)
		w.Input("op", op)
		w.Input("manifest", string(data))
		if comment != "" {
			w.Comment(comment)
		}
		m, got := manifestOutcome(data, op == "parse-canonical")
		if strings.Join(got, "|") != strings.Join(reasons, "|") {
			t.Fatalf("vector %s: the code gives %q, the generator says %q", name, got, reasons)
		}
		for _, r := range reasons {
			w.Reject(r)
		}
		if m != nil {
			manifestOutputs(t, w, op, m)
		}
	}
	vector("sample", "parse", sample, "the hand-written sample, ballot/testdata/manifest-sample.json, without its white space: kind and option_max left out where allowed")
	vector("sample-with-trust-policy", "parse", mutateJSON(t, sample, func(m obj) {
		m["min_counted"] = 4
		m["board"] = obj{"origin": "vote.example.org/2026-municipal", "key": "vote.example.org/2026-municipal+61ff6fd9+AdBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3"}
		m["witnesses"] = []any{
			obj{"name": "w1.example.net", "key": "w1.example.net+a1685183+BIhLiFf06qFhPGFQTbNNS+rzRlF6DjHePN3U2bQgHZ0L"},
			obj{"name": "w2.example.org", "key": "w2.example.org+e9264ba9+BKCapfR6Z1mAL/lV+NwtKhSlyZ0jvpf4ZBJ/+Tg0VaTw"},
		}
		m["witness_quorum"] = 2
	}), "members in alphabetical order; the canonical form puts min_counted, board, witnesses and witness_quorum last")
	var operators []any
	for i := range 4 {
		name := fmt.Sprintf("op%d.vote.example.org", i+1)
		cs, err := torchwood.NewCosignatureSigner(name, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(0x31 + i)}, 32)))
		if err != nil {
			t.Fatal(err)
		}
		board, err := note.NewEd25519VerifierKey(name, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(0x41 + i)}, 32)).Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		operators = append(operators, obj{"name": name, "key": cs.Verifier().String(), "board_key": board, "url": fmt.Sprintf("https://op%d.vote.example.org/board", i+1)})
	}
	vector("sample-with-operators", "parse", mutateJSON(t, sample, func(m obj) {
		m["board"] = obj{"origin": "vote.example.org/2026-municipal", "key": "vote.example.org/2026-municipal+61ff6fd9+AdBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3"}
		m["operators"] = operators
	}), "a replicated board's four operators, each with its cosignature key, its board key and its board's URL (operator i's Ed25519 cosignature seed is 32 bytes of 0x30 + i, its board key's 32 bytes of 0x40 + i); the canonical form puts operators last, each one's members as name, key, board_key, url")
	vector("invalid-operator-key", "parse", mutateJSON(t, sample, func(m obj) {
		op := maps.Clone(operators[0].(obj))
		op["name"] = "op9.vote.example.org"
		m["operators"] = []any{op}
	}), "an operator named other than its cosignature key and its board key", "invalid $.operators[0].key", "invalid $.operators[0].board_key")
	vector("invalid-operator-board-key", "parse", mutateJSON(t, sample, func(m obj) {
		op := maps.Clone(operators[0].(obj))
		op["board_key"] = operators[1].(obj)["board_key"]
		m["operators"] = []any{op}
	}), "operator 1 named with operator 2's board key: an operator's board key is of its name", "invalid $.operators[0].board_key")
	vector("invalid-operator-without-board-key", "parse", mutateJSON(t, sample, func(m obj) {
		op := maps.Clone(operators[0].(obj))
		delete(op, "board_key")
		m["operators"] = []any{op}
	}), "an operator without its board key", "invalid $.operators[0].board_key")
	vector("canonical-sample", "parse-canonical", canonical, "the canonical output of sample")
	vector("canonical-hand-written", "parse-canonical", sample, "", "not-canonical")
	vector("canonical-with-a-space", "parse-canonical", bytes.Replace(canonical, []byte(`"version":`), []byte(`"version": `), 1), "", "not-canonical")
	vector("canonical-html-escaped", "parse-canonical", bytes.Replace(canonical, []byte("&"), []byte(`\u0026`), 1), "& escaped as \\u0026 in the title", "not-canonical")
	vector("canonical-min-counted-first", "parse-canonical", bytes.Replace(canonical, []byte(`{"version":`), []byte(`{"min_counted":4,"version":`), 1), "", "not-canonical")
	vector("styles", "parse", mutateJSON(t, sample, func(m obj) {
		m["styles"] = []any{
			obj{"id": "city", "contests": []any{"mayor", "council", "monorail"}},
			obj{"id": "county", "contests": []any{"parks", "budget", "monorail"}},
		}
	}), "two ballot styles (§1.6): the canonical form puts styles right after contests")
	vector("styles-invalid", "parse", mutateJSON(t, sample, func(m obj) {
		m["styles"] = []any{
			obj{"id": "city", "contests": []any{"council", "mayor", "sheriff"}},
			obj{"id": "city", "contests": []any{"monorail", "monorail"}},
		}
	}), "contests out of order, a contest the definition lacks, a style id twice, a contest twice, and parks and budget on no style",
		"invalid $.styles[0].contests[1]", "invalid $.styles[0].contests[2]", "invalid $.styles[1].id", "invalid $.styles[1].contests[1]", "invalid $.contests[2]", "invalid $.contests[3]")
	vector("translations", "parse", mutateJSON(t, sample, func(m obj) {
		m["translations"] = obj{"fr": "Élection municipale et référendum de Springfield, 2026", "es": "Elección municipal y referéndum de Springfield, 2026"}
		m["language"] = "en"
		contest(m, 0)["translations"] = obj{"fr-CA": "Mairesse ou maire", "fr": "Maire", "es": "Alcalde"}
		options(m, 4)[0].(obj)["translations"] = obj{"fr": "Oui", "es": "Sí"}
	}), "titles in other languages (§1.7): language and translations right after the title, tags in sorted order")
	vector("translations-invalid", "parse", mutateJSON(t, sample, func(m obj) {
		m["translations"] = obj{"fr": "Élection"}
		contest(m, 0)["translations"] = obj{"FR": "Maire", "und": "Maire", "es": " Alcalde"}
		options(m, 4)[0].(obj)["translations"] = obj{"fr": "Oui"}
		options(m, 4)[1].(obj)["translations"] = obj{"fr": "Oui"}
	}), "translations without $.language (said once); a tag not in canonical form, one naming no language, a title with leading space; two options alike in French",
		"invalid $.translations", `invalid $.contests[0].translations["FR"]`, `invalid $.contests[0].translations["es"]`, `invalid $.contests[0].translations["und"]`, `invalid $.contests[4].options[1].translations["fr"]`)
	vector("ranked", "parse", mutateJSON(t, sample, func(m obj) {
		c := contest(m, 1)
		c["kind"], c["method"], c["seats"], c["max_selections"], c["option_max"] = KindRanked, MethodSTV, 2, 3, 3
	}), "a ranked contest (§1.2, ranked.md): council counted by STV for 2 seats, each voter ranking up to 3; method and seats right after option_max")
	vector("ranked-invalid", "parse", mutateJSON(t, sample, func(m obj) {
		c := contest(m, 1)
		c["kind"], c["method"], c["max_selections"], c["option_max"] = KindRanked, MethodIRV, 3, 2
		contest(m, 2)["method"] = MethodBorda
		contest(m, 3)["kind"], contest(m, 3)["method"] = KindRanked, "coombs"
	}), "a ranked contest whose option_max is not its ranks, a method on an approval contest, an unknown method",
		"invalid $.contests[1].option_max", "invalid $.contests[2].method", "invalid $.contests[3].method", "invalid $.contests[3].min_selections")
	vector("write-in", "parse", mutateJSON(t, sample, func(m obj) {
		c := contest(m, 0)
		c["options"] = append(c["options"].([]any), obj{"id": "other", "title": "Write-in"})
		c["write_in"] = obj{"option": "other", "max_bytes": 40}
	}), "a write-in (§1.2): mayor's option other is the slot of a name of up to 40 bytes (2 text ciphertexts); write_in right before options")
	vector("write-in-invalid", "parse", mutateJSON(t, sample, func(m obj) {
		contest(m, 0)["write_in"] = obj{"option": "nobody", "max_bytes": 40}
		contest(m, 1)["write_in"] = obj{"option": "c1", "max_bytes": 1001}
		c := contest(m, 3)
		c["write_in"] = obj{"option": "schools", "max_bytes": 40}
	}), "a write-in naming no option of its contest, one over 1000 bytes, one on a cumulative contest (option_max above 1)",
		"invalid $.contests[0].write_in.option", "invalid $.contests[1].write_in.max_bytes", "invalid $.contests[3].write_in")
	vector("invalid-threshold", "parse", mutateJSON(t, sample, func(m obj) { m["threshold"] = 4 }), "a threshold above the number of trustees",
		"invalid $.threshold")
	vector("invalid-several", "parse", mutateJSON(t, sample, func(m obj) {
		m["id"] = "Springfield 2026"
		m["closes"] = m["opens"]
		contest(m, 3)["option_max"] = 101
		trustee(m, 2)["sign_key"] = trustee(m, 0)["sign_key"]
	}), "four mistakes at once", "invalid $.id", "invalid $.closes", "invalid $.contests[3].option_max", "invalid $.trustees[2].sign_key")
	return w.Bytes()
}

// manifestOutputs lists the outputs of a manifest that op accepted and
// returns its canonical encoding.
func manifestOutputs(t testing.TB, e specvectors.Expecter, op string, m *Manifest) []byte {
	t.Helper()
	c, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	if op == "parse" {
		e.Expect("canonical", string(c))
	}
	e.Expect("manifest-hash", ManifestHash(c))
	return c
}

// rollVector is the roll of the roll vectors: three fixed entries, one
// with the longest identifier, keys from fixed seeds.
func rollVector() (mh [32]byte, seeds [][32]byte, creds []*Credential) {
	mh = sha256.Sum256([]byte("evote test roll vector manifest"))
	ids := []string{"alice", "Bob.Smith_2026+x@example.org", strings.Repeat("0123456789abcdef", 4)}
	for i, id := range ids {
		seed := sha256.Sum256(fmt.Appendf(nil, "evote test roll vector %d", i))
		priv := ed25519.NewKeyFromSeed(seed[:])
		seeds = append(seeds, seed)
		creds = append(creds, &Credential{Election: "test", Voter: id, Public: priv.Public().(ed25519.PublicKey), Private: priv})
	}
	return mh, seeds, creds
}

// rollOutcome builds the roll of the records in board order as the board
// does (docs/spec/election.md §4, roll): "malformed" for a record that
// does not parse or is for another election, "wrong-order" for one that
// does not start where the roll ends, "duplicate" for an identifier or key
// already on it.
func rollOutcome(mh [32]byte, records []string) (*RollBuilder, []string) {
	b := NewRollBuilder(mh)
	for _, r := range records {
		c, err := ParseRollChunk([]byte(r))
		switch {
		case err != nil || c.Election != mh:
			return nil, []string{"malformed"}
		case c.First != b.Size():
			return nil, []string{"wrong-order"}
		}
		if err := b.Check(c); errors.Is(err, ErrRollDuplicate) {
			return nil, []string{"duplicate"}
		} else if err != nil {
			return nil, []string{err.Error()}
		}
		b.Add(c)
	}
	return b, nil
}

// rollOutputs lists the outputs of a roll vector.
func rollOutputs(e specvectors.Expecter, mh [32]byte, b *RollBuilder) {
	e.Expect("roll-size", b.Size())
	e.Expect("roll-hash", b.Hash())
	e.Expect("roll-close-record", string((&RollClose{Election: mh, Size: b.Size(), Hash: b.Hash()}).Marshal()))
}

func TestRollVectors(t *testing.T) {
	specvectors.Generated(t, "roll.txt", generateRollVectors(t))
	specvectors.Run(t, "roll.txt", func(t *testing.T, v *specvectors.Vector) {
		mh := [32]byte(v.Hex("manifest-hash"))
		switch op := v.String("op"); op {
		case "roll":
			records := v.Strings("record")
			b, reasons := rollOutcome(mh, records)
			if !v.Outcome(reasons...) {
				return
			}
			var entries []RollEntry
			for _, r := range records {
				c, _ := ParseRollChunk([]byte(r))
				entries = append(entries, c.Voters...)
			}
			h := b.Hash()
			if want := rollHashOf(mh, entries); h != want {
				t.Errorf("RollBuilder.Hash = %x, its definition gives %x", h, want)
			}
			rollOutputs(v, mh, b)
		case "registration":
			var data []byte
			if seed, ok := v.Lookup("seed"); ok {
				s, err := specvectors.DecodeHex(seed)
				if err != nil {
					t.Fatal(err)
				}
				priv := ed25519.NewKeyFromSeed(s)
				c := &Credential{Election: "test", Voter: v.String("voter"), Public: priv.Public().(ed25519.PublicKey), Private: priv}
				data = NewRegistration(c, mh).Marshal()
				v.Expect("registration", string(data))
			} else {
				data = []byte(v.String("registration"))
			}
			r, err := ParseRegistration(data)
			if err == nil && r.Election != mh {
				err = errors.New("for another election")
			}
			if err != nil {
				v.Outcome("malformed")
				return
			}
			if !ed25519.Verify(r.Key, registrationMessageOf(mh, r.Voter, r.Key), r.Sig) {
				t.Error("the signature is not over the message of §2.1")
			}
			v.Outcome()
		default:
			t.Fatalf("unknown op %q", op)
		}
	})
}

func generateRollVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Voter rolls and registration requests: docs/spec/ballot.md §6, §2.1;
docs/spec/election.md §4 (roll). Format: docs/spec/vectors.md.
Runner: TestRollVectors (ballot); regenerate with
  go test ./ballot -run TestRollVectors -update
The key of entry i of the roll vectors is the Ed25519 public key of the
seed SHA-256("evote test roll vector <i>").

Inputs:
  op:            roll | registration
  manifest-hash: the election's manifest hash
  record:        (roll, repeated, in board order) the payload of a roll record
  voter, seed:   (registration) the voter identifier and the credential's
                 Ed25519 seed, to make a request
  registration:  (registration) a request to check
Outputs:
  roll-size, roll-hash: the closed roll (§6.2)
  roll-close-record:    the payload of the record that closes it
  registration:         the request made (§2.1; Ed25519 signatures are
                        deterministic)
Rejections:
  malformed:   a record or request that does not parse, is not canonical,
               is for another election or does not verify
  wrong-order: a record whose first is not the number of entries before it
  duplicate:   an identifier or key already on the roll`)
	mh, seeds, creds := rollVector()
	var entries []RollEntry
	for _, c := range creds {
		entries = append(entries, c.Entry())
	}
	if len(entries[2].Voter) != MaxVoterIDLen {
		t.Fatalf("entry 2 has a %d-character identifier", len(entries[2].Voter))
	}
	chunk := func(first int64, es ...RollEntry) string {
		return string((&RollChunk{Election: mh, First: first, Voters: es}).Marshal())
	}
	roll := func(name, comment string, records []string, reasons ...string) {
		w.Vector(name)
		w.Input("op", "roll")
		w.Input("manifest-hash", mh)
		for _, r := range records {
			w.Input("record", r)
		}
		if comment != "" {
			w.Comment(comment)
		}
		b, got := rollOutcome(mh, records)
		if strings.Join(got, "|") != strings.Join(reasons, "|") {
			t.Fatalf("vector %s: the code gives %q, the generator says %q", name, got, reasons)
		}
		for _, r := range reasons {
			w.Reject(r)
		}
		if b != nil {
			rollOutputs(w, mh, b)
		}
	}
	roll("roll-3", "three entries in one record", []string{chunk(0, entries...)})
	roll("roll-3-in-two-records", "the entries of roll-3 in two records: the same roll", []string{chunk(0, entries[:2]...), chunk(2, entries[2])})
	roll("roll-empty", "no record", nil)
	other := entries[1]
	other.Voter = "carol"
	roll("roll-duplicate-key", "carol has Bob's key", []string{chunk(0, entries[:2]...), chunk(2, other)}, "duplicate")
	roll("roll-duplicate-voter", "alice twice, with two keys", []string{chunk(0, entries[0], RollEntry{Voter: "alice", Key: entries[1].Key})}, "duplicate")
	roll("roll-wrong-first", "the second record says it starts at entry 3", []string{chunk(0, entries[:2]...), chunk(3, entries[2])}, "wrong-order")
	roll("roll-other-election", "", []string{string((&RollChunk{Election: sha256.Sum256([]byte("another")), Voters: entries}).Marshal())}, "malformed")
	roll("roll-not-canonical", "a space after a colon", []string{strings.Replace(chunk(0, entries...), `"first":`, `"first": `, 1)}, "malformed")
	styled := slices.Clone(entries)
	styled[0].Style, styled[0].Weight = "north", 3
	styled[1].Style = "south"
	styled[2].Weight = MaxWeight
	roll("roll-styles-weights", "alice of style north and weight 3, Bob of style south, the third of weight 1000000: each entry with a style or a weight hashes with 0xff, its style and its weight (§6.2)", []string{chunk(0, styled...)})
	alice := `"alice","key":"` + b64(entries[0].Key) + `"`
	withAlice := func(extra string) []string {
		return []string{strings.Replace(chunk(0, entries...), alice, alice+extra, 1)}
	}
	roll("roll-weight-1", "alice with weight 1 written out: it is left out", withAlice(`,"weight":1`), "malformed")
	roll("roll-weight-too-large", "alice of weight 1000001", withAlice(`,"weight":1000001`), "malformed")
	roll("roll-empty-style", "alice with the style \"\": it is left out", withAlice(`,"style":""`), "malformed")
	roll("roll-bad-style", "a style that is not an id", withAlice(`,"style":"North"`), "malformed")
	roll("roll-bad-voter-id", "a space in a voter identifier", []string{strings.Replace(chunk(0, entries...), `"alice"`, `"alice smith"`, 1)}, "malformed")
	small := hex.EncodeToString(append([]byte{1}, make([]byte, 31)...))
	roll("roll-small-order-key", "alice's key is the identity point 01 00…00, of small order", []string{strings.Replace(chunk(0, entries...), b64(entries[0].Key), b64(mustHex(t, small)), 1)}, "malformed")

	reg := NewRegistration(creds[0], mh).Marshal()
	w.Vector("registration-alice")
	w.Input("op", "registration")
	w.Input("manifest-hash", mh)
	w.Input("voter", "alice")
	w.Input("seed", seeds[0])
	w.Expect("registration", string(reg))
	for _, bad := range []struct{ name, comment, data string }{
		{"registration-other-voter", "alice's request with the voter changed to bob: the signature fails", strings.Replace(string(reg), `"alice"`, `"bob"`, 1)},
		{"registration-other-election", "alice's request for another election", strings.Replace(string(reg), hex.EncodeToString(mh[:]), strings.Repeat("0", 64), 1)},
	} {
		w.Vector(bad.name)
		w.Input("op", "registration")
		w.Input("manifest-hash", mh)
		w.Input("registration", bad.data)
		w.Comment(bad.comment)
		w.Reject("malformed")
	}
	return w.Bytes()
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := specvectors.DecodeHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// electionInputs reads the inputs that define an election: its canonical
// manifest, its roll records, each trustee's commitments (one input a
// trustee, in manifest order, the commitments in hex separated by spaces)
// and the joint key. It returns the election, or the outcome "invalid".
func electionInputs(t *testing.T, v *specvectors.Vector) (*Election, []string) {
	t.Helper()
	m, err := ParseCanonicalManifest([]byte(v.String("manifest")))
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	mh, err := m.Hash()
	if err != nil {
		t.Fatal(err)
	}
	b, reasons := rollOutcome(mh, v.Strings("record"))
	if reasons != nil {
		t.Fatalf("roll: %q", reasons)
	}
	var commitments [][]*crypto.Element
	for _, line := range v.Strings("commitments") {
		var cs []*crypto.Element
		for _, h := range strings.Fields(line) {
			e, err := crypto.NewElement().SetCanonicalBytes(mustHex(t, h))
			if err != nil {
				t.Fatalf("commitments: %v", err)
			}
			cs = append(cs, e)
		}
		commitments = append(commitments, cs)
	}
	pk, err := crypto.NewPublicKey(v.Hex("joint-key"))
	if err != nil {
		t.Fatalf("joint-key: %v", err)
	}
	e, err := NewElection(m, b.Close(), pk, commitments)
	if err != nil {
		return nil, []string{"invalid"}
	}
	return e, nil
}

// writeElection writes the inputs electionInputs reads.
func writeElection(w *specvectors.Writer, canonical []byte, records []string, commitments [][]*crypto.Element, pk *crypto.PublicKey) {
	w.Input("manifest", string(canonical))
	for _, r := range records {
		w.Input("record", r)
	}
	for _, cs := range commitments {
		var hs []string
		for _, c := range cs {
			hs = append(hs, hex.EncodeToString(c.Bytes()))
		}
		w.Input("commitments", strings.Join(hs, " "))
	}
	w.Input("joint-key", pk.Bytes())
}

// baseHashOutputs lists the outputs of a base hash vector.
func baseHashOutputs(x specvectors.Expecter, e *Election) {
	x.Expect("manifest-hash", e.ManifestHash)
	x.Expect("roll-size", e.Roll.Size())
	x.Expect("roll-hash", e.Roll.Hash())
	x.Expect("base-hash", e.BaseHash)
}

func TestBaseHashVectors(t *testing.T) {
	specvectors.Generated(t, "base-hash.txt", generateBaseHashVectors(t))
	specvectors.Run(t, "base-hash.txt", func(t *testing.T, v *specvectors.Vector) {
		e, reasons := electionInputs(t, v)
		if !v.Outcome(reasons...) {
			return
		}
		var commitments [][]*crypto.Element
		for _, line := range v.Strings("commitments") {
			var cs []*crypto.Element
			for _, h := range strings.Fields(line) {
				c, _ := crypto.NewElement().SetCanonicalBytes(mustHex(t, h))
				cs = append(cs, c)
			}
			commitments = append(commitments, cs)
		}
		if want := baseHashOf(e.ManifestHash, uint64(e.Roll.Size()), e.Roll.Hash(), e.PublicKey, commitments); e.BaseHash != want {
			t.Errorf("BaseHash = %x, its definition gives %x", e.BaseHash, want)
		}
		baseHashOutputs(v, e)
	})
}

func generateBaseHashVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`The election base hash: docs/spec/ballot.md §1.5, with the manifest hash
(§1.4) and the roll hash (§6.2) it binds. Format: docs/spec/vectors.md.
Runner: TestBaseHashVectors (ballot); regenerate with
  go test ./ballot -run TestBaseHashVectors -update
Trustee i's commitment k (from 0) is (10i+k+1)·G.

Inputs:
  manifest:    the canonical definition (the sample of manifest.txt)
  record:      (repeated) the payloads of the roll records, in board order
  commitments: (repeated, one a trustee, in manifest order) the trustee's
               Feldman commitments C_i,0 … C_i,t−1, hex, separated by spaces
  joint-key:   the election key posted, K
Outputs: manifest-hash, roll-size, roll-hash, base-hash
Rejections:
  invalid: K is not Σ_i C_i,0, or a trustee has not exactly t commitments,
           or the number of commitment lists is not the number of trustees`)
	canonical := sampleCanonical(t)
	m := sampleManifest(t)
	mh, _ := m.Hash()
	_, _, creds := rollVector()
	var entries []RollEntry
	for _, c := range creds {
		entries = append(entries, c.Entry())
	}
	records := []string{string(RollChunks(mh, 0, entries)[0].Marshal())}
	commitments, pk := fixedCommitments(t, len(m.Trustees), m.Threshold)
	roll, err := RollOf(mh, entries)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewElection(m, roll, pk, commitments)
	if err != nil {
		t.Fatal(err)
	}
	w.Vector("sample")
	writeElection(w, canonical, records, commitments, pk)
	baseHashOutputs(w, e)

	short := append([][]*crypto.Element{commitments[0], commitments[1][:1]}, commitments[2])
	wrongKey, err := crypto.PublicKeyFromElement(commitments[1][0])
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		name, comment string
		commitments   [][]*crypto.Element
		pk            *crypto.PublicKey
	}{
		{"trustee-short-of-commitments", "trustee 1 posted one commitment for a threshold of 2", short, pk},
		{"joint-key-not-the-sum", "K = C_1,0 instead of the sum", commitments, wrongKey},
		{"trustee-missing", "the commitments of two trustees of three", commitments[:2], pk},
	} {
		w.Vector(bad.name)
		writeElection(w, canonical, records, bad.commitments, bad.pk)
		w.Comment(bad.comment)
		if _, err := NewElection(m, roll, bad.pk, bad.commitments); err == nil {
			t.Fatalf("vector %s: NewElection accepts it", bad.name)
		}
		w.Reject("invalid")
	}
	return w.Bytes()
}

// ballotOutcome is the outcome of verifying the ballot payload data posted
// by signer (docs/spec/ballot.md §4.4), as the reasons of ballot.txt.
func ballotOutcome(e *Election, data []byte, signer ed25519.PublicKey) (*EncryptedBallot, []string) {
	b, err := ParseEncryptedBallot(data)
	if err != nil {
		return nil, []string{"malformed"}
	}
	err = VerifyBallot(e, b, signer)
	var pe *ProofError
	var we *WriteInProofError
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, ErrCredentialMismatch):
		return nil, []string{"credential-mismatch"}
	case errors.Is(err, ErrWrongElection):
		return nil, []string{"wrong-election"}
	case errors.Is(err, ErrNotEligible):
		return nil, []string{"not-eligible"}
	case errors.Is(err, ErrStyle):
		return nil, []string{"wrong-style"}
	case errors.Is(err, ErrShape):
		return nil, []string{"shape"}
	case errors.As(err, &we):
		return nil, []string{fmt.Sprintf("bad-write-in %d %d", we.Contest, we.Text)}
	case errors.As(err, &pe):
		o := fmt.Sprint(pe.Option)
		if pe.Option == SumOption {
			o = "sum"
		}
		return nil, []string{fmt.Sprintf("bad-proof %d %s", pe.Contest, o)}
	}
	return nil, []string{err.Error()}
}

// challengeOutcome is the outcome of verifying a challenged ballot.
func challengeOutcome(e *Election, data []byte) []string {
	c, err := ParseChallengedBallot(data)
	if err != nil {
		return []string{"malformed"}
	}
	switch err := VerifyChallenge(e, c); {
	case err == nil:
		return nil
	case errors.Is(err, ErrChallengeMismatch):
		return []string{"mismatch"}
	default:
		return []string{err.Error()}
	}
}

// ballotOutputs lists the outputs of a ballot that verifies.
func ballotOutputs(e specvectors.Expecter, b *EncryptedBallot) {
	code := b.ConfirmationCode()
	e.Expect("confirmation-code", code.String())
	e.Expect("short-code", code.Short())
}

func TestBallotVectors(t *testing.T) {
	specvectors.Generated(t, "ballot.txt", generateBallotVectors(t))
	specvectors.Run(t, "ballot.txt", func(t *testing.T, v *specvectors.Vector) {
		switch op := v.String("op"); op {
		case "proof-ctx":
			option := v.Int("option")
			ctx := ProofContext([32]byte(v.Hex("base-hash")), v.Hex("credential"), ConfirmationCode(v.Hex("prev")), int(v.Uint("contest")), int(option))
			v.Expect("context", ctx)
		case "writein-ctx":
			ctx := WriteInContext([32]byte(v.Hex("base-hash")), v.Hex("credential"), ConfirmationCode(v.Hex("prev")), int(v.Uint("contest")), int(v.Uint("text")))
			v.Expect("context", ctx)
		case "verify":
			e, reasons := electionInputs(t, v)
			if reasons != nil {
				t.Fatalf("election: %q", reasons)
			}
			data := []byte(v.String("ballot"))
			b, reasons := ballotOutcome(e, data, v.Hex("signer"))
			if !v.Outcome(reasons...) {
				return
			}
			code := b.ConfirmationCode()
			if want := sha256.Sum256(append([]byte("evote/v1/ballot/confirmation\x00"), data...)); code != want {
				t.Errorf("ConfirmationCode = %x, its definition gives %x", code[:], want)
			}
			ballotOutputs(v, b)
		case "verify-challenge":
			e, reasons := electionInputs(t, v)
			if reasons != nil {
				t.Fatalf("election: %q", reasons)
			}
			v.Outcome(challengeOutcome(e, []byte(v.String("challenge")))...)
		default:
			t.Fatalf("unknown op %q", op)
		}
	})
}

// vectorLabel returns SHA-256(s), the ballot vectors' way of deriving an
// input from a label.
func vectorLabel(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// ballotVectorElection is the small election of the ballot vectors: a
// referendum and an approval contest of three options, one trustee of
// threshold 1 whose secret is derived from a label, and two voters. Styled,
// it has two ballot styles, "both" (alice's, of weight 5) and "referendum"
// (bob's).
func ballotVectorElection(t *testing.T, styled bool) (e *Election, records []string, commitments [][]*crypto.Element, voters []*Credential) {
	return vectorElection(t, styled, false)
}

// vectorElection is ballotVectorElection, with, if writeIn, a third
// contest, "clerk" (plurality), whose option "other" is a write-in of up
// to 40 bytes.
func vectorElection(t *testing.T, styled, writeIn bool) (e *Election, records []string, commitments [][]*crypto.Element, voters []*Credential) {
	off, _ := testKey("vector official")
	reg, _ := testKey("vector registrar")
	sign, _ := testKey("vector trustee")
	m := revalidate(t, &Manifest{
		Version: Version, ID: "vector-election", Title: "Ballot vectors",
		Official: off, Registrar: reg,
		Opens:     time.Date(2026, 5, 3, 7, 0, 0, 0, time.UTC),
		Closes:    time.Date(2026, 5, 3, 19, 0, 0, 0, time.UTC),
		Trustees:  []Trustee{{Name: "Trustee", SignKey: sign, EncKey: testX25519Key("vector trustee")}},
		Threshold: 1,
		Styles:    map[bool][]Style{true: {{ID: "both", Contests: []string{"monorail", "parks"}}, {ID: "referendum", Contests: []string{"monorail"}}}}[styled],
		Contests: append([]Contest{
			{ID: "monorail", Title: "Build a monorail?", MinSelections: 1, MaxSelections: 1, OptionMax: 1,
				Options: []Option{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}},
			{ID: "parks", Title: "Parks to renovate", Kind: KindApproval, MinSelections: 0, MaxSelections: 3, OptionMax: 1,
				Options: []Option{{ID: "north", Title: "North Park"}, {ID: "lake", Title: "Lake Park"}, {ID: "gorge", Title: "Gorge"}}},
		}, map[bool][]Contest{true: {{ID: "clerk", Title: "Town clerk", Kind: KindPlurality, MinSelections: 0, MaxSelections: 1, OptionMax: 1,
			Options: []Option{{ID: "olga", Title: "Olga"}, {ID: "other", Title: "Write-in"}}, WriteIn: &WriteIn{Option: 1, MaxBytes: 40}}}}[writeIn]...),
	})
	mh, err := m.Hash()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob", "mallory"} {
		pub, priv := testKey("vector voter " + name)
		voters = append(voters, &Credential{Election: m.ID, Voter: name, Public: pub, Private: priv})
	}
	// mallory is not on the roll.
	entries := []RollEntry{voters[0].Entry(), voters[1].Entry()}
	if styled {
		entries[0].Style, entries[0].Weight = "both", 5
		entries[1].Style = "referendum"
	}
	records = []string{string(RollChunks(mh, 0, entries)[0].Marshal())}
	roll, err := RollOf(mh, entries)
	if err != nil {
		t.Fatal(err)
	}
	x, err := crypto.NewScalar().SetUniformBytes(append(func() []byte { h := vectorLabel("vector trustee secret 0"); return h[:] }(), func() []byte { h := vectorLabel("vector trustee secret 1"); return h[:] }()...))
	if err != nil {
		t.Fatal(err)
	}
	c := crypto.NewElement().ScalarBaseMult(x)
	pk, err := crypto.PublicKeyFromElement(c)
	if err != nil {
		t.Fatal(err)
	}
	commitments = [][]*crypto.Element{{c}}
	if e, err = NewElection(m, roll, pk, commitments); err != nil {
		t.Fatal(err)
	}
	return e, records, commitments, voters
}

func generateBallotVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Ballots: proof contexts (docs/spec/ballot.md §4.2), verification and
confirmation codes (§4.1, §4.3, §4.4) and challenged ballots (§5).
Format: docs/spec/vectors.md. Runner: TestBallotVectors (ballot);
regenerate with
  go test ./ballot -run TestBallotVectors -update
The inputs of proof-ctx are SHA-256 of labels; the election of the verify
vectors is a referendum and an approval contest, one trustee (threshold 1)
and two voters, alice and bob, on the roll (mallory is not); that of the
styled-* vectors has two ballot styles (§1.6), "both" contests, alice's,
of weight 5, and "referendum", bob's; that of the writein-* vectors has a
third contest, "clerk", whose option "other" is a write-in of up to 40
bytes (§1.2; 2 text ciphertexts, each with a proof of knowledge of its
randomness, ranked.md §8.4).

Inputs:
  op:               proof-ctx | writein-ctx | verify | verify-challenge
  base-hash, credential, prev, contest, option: (proof-ctx) the context's
                    parts; option -1 is the contest's sum proof
  base-hash, credential, prev, contest, text: (writein-ctx) the context of
                    the proof of knowledge of write-in text ciphertext text
  manifest, record, commitments, joint-key: (verify, verify-challenge) the
                    election, as in base-hash.txt
  ballot, signer:   (verify) the ballot payload and the key that signed its record
  challenge:        (verify-challenge) the challenged ballot payload
Outputs:
  context:           (proof-ctx) the proof context ctx
  confirmation-code: (verify) the confirmation code, hex
  short-code:        (verify) its short form
Rejections (§4.4, first failure):
  malformed:           the payload does not parse (any version but evote/v1,
                       any encoding but the canonical one)
  credential-mismatch: the ballot's credential is not the signer
  wrong-election:      another base hash
  not-eligible:        the credential is not on the roll
  wrong-style:         another ballot style than the roll gives the voter
  shape:               not the shape of the voter's style's contests
  bad-proof <c> <o>:   the first proof that fails: contest c, option o or sum
  bad-write-in <c> <i>: the proof of knowledge of contest c's write-in text
                       ciphertext i fails (copied, altered)
  mismatch:            (verify-challenge) the randomness does not re-encrypt
                       the claimed choices`)
	cred := ed25519.NewKeyFromSeed(func() []byte { l := vectorLabel("vector credential"); return l[:] }()).Public().(ed25519.PublicKey)
	base, prev := vectorLabel("vector base hash"), ConfirmationCode(vectorLabel("vector prev"))
	// contexts writes the vectors of op (proof-ctx, writein-ctx) for each
	// contest and index (key: option, text) of cis, with and without prev.
	contexts := func(op, key string, cis [][2]int, ctx func(p ConfirmationCode, contest, index int) []byte) {
		for _, ci := range cis {
			for _, p := range []ConfirmationCode{{}, prev} {
				name := fmt.Sprintf("%s-%d-%d", op, ci[0], ci[1])
				if ci[1] == SumOption {
					name = fmt.Sprintf("%s-%d-sum", op, ci[0])
				}
				if p != (ConfirmationCode{}) {
					name += "-after-prev"
				}
				w.Vector(name)
				w.Input("op", op)
				w.Input("base-hash", base)
				w.Input("credential", []byte(cred))
				w.Input("prev", p)
				w.Input("contest", ci[0])
				w.Input(key, ci[1])
				w.Expect("context", ctx(p, ci[0], ci[1]))
			}
		}
	}
	contexts("proof-ctx", "option", [][2]int{{0, 0}, {2, 7}, {1, SumOption}}, func(p ConfirmationCode, contest, option int) []byte {
		return ProofContext(base, cred, p, contest, option)
	})

	randtest.SetGlobalRandom(t, 2026)
	e, records, commitments, voters := ballotVectorElection(t, false)
	alice, bob, mallory := voters[0], voters[1], voters[2]
	c, err := e.Manifest.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	encrypt := func(cred *Credential, choices Choices, prev ConfirmationCode) (*EncryptedBallot, *BallotSecrets) {
		b, s, err := Encrypt(e, cred.Public, choices, prev)
		if err != nil {
			t.Fatal(err)
		}
		return b, s
	}
	first, _ := encrypt(alice, Choices{{1, 0}, {1, 0, 1}}, ConfirmationCode{})
	revote, _ := encrypt(alice, Choices{{0, 1}, {0, 0, 0}}, first.ConfirmationCode())
	challenged, secrets := encrypt(bob, Choices{{0, 1}, {1, 1, 1}}, ConfirmationCode{})

	verify := func(name, comment string, data []byte, signer ed25519.PublicKey, reasons ...string) {
		w.Vector(name)
		w.Input("op", "verify")
		writeElection(w, c, records, commitments, e.PublicKey)
		w.Input("ballot", string(data))
		w.Input("signer", []byte(signer))
		if comment != "" {
			w.Comment(comment)
		}
		b, got := ballotOutcome(e, data, signer)
		if strings.Join(got, "|") != strings.Join(reasons, "|") {
			t.Fatalf("vector %s: the code gives %q, the generator says %q", name, got, reasons)
		}
		for _, r := range reasons {
			w.Reject(r)
		}
		if b != nil {
			ballotOutputs(w, b)
		}
	}
	verify("ballot-first", "alice's first ballot: yes; north and gorge", first.Marshal(), alice.Public)
	verify("ballot-revote", "alice's second ballot, whose prev is the first's code: no; none", revote.Marshal(), alice.Public)
	verify("ballot-signed-by-another", "alice's first ballot in a record signed by bob", first.Marshal(), bob.Public, "credential-mismatch")
	verify("ballot-other-election", "alice's first ballot with another base hash",
		bytes.Replace(first.Marshal(), []byte(b64(e.BaseHash[:])), []byte(b64(make([]byte, 32))), 1), alice.Public, "wrong-election")
	verify("ballot-not-on-the-roll", "alice's first ballot with mallory's credential, posted by mallory",
		bytes.Replace(first.Marshal(), []byte(b64(alice.Public)), []byte(b64(mallory.Public)), 1), mallory.Public, "not-eligible")
	tampered := *first
	tampered.Contests = append([]EncryptedContest(nil), first.Contests...)
	tampered.Contests[1].Options = append([]EncryptedOption(nil), first.Contests[1].Options...)
	ct := crypto.NewCiphertext().Set(tampered.Contests[1].Options[2].Ciphertext)
	ctb := ct.Bytes()
	B, _ := crypto.NewElement().SetCanonicalBytes(ctb[32:])
	B.Add(B, crypto.NewGeneratorElement())
	ct, err = crypto.NewCiphertext().SetBytes(append(ctb[:32], B.Bytes()...))
	if err != nil {
		t.Fatal(err)
	}
	tampered.Contests[1].Options[2] = EncryptedOption{Ciphertext: ct, Proof: tampered.Contests[1].Options[2].Proof}
	verify("ballot-encrypts-one-more", "alice's first ballot with G added to B of parks/gorge: it encrypts 2", tampered.Marshal(), alice.Public, "bad-proof 1 2")
	shape := *first
	shape.Contests = first.Contests[:1]
	verify("ballot-one-contest", "alice's first ballot without its second contest", shape.Marshal(), alice.Public, "shape")
	verify("ballot-other-version", "version evote/v2", bytes.Replace(first.Marshal(), []byte(`"evote/v1"`), []byte(`"evote/v2"`), 1), alice.Public, "malformed")
	verify("ballot-not-canonical", "a space after a colon", bytes.Replace(first.Marshal(), []byte(`"version":`), []byte(`"version": `), 1), alice.Public, "malformed")

	ch := Challenge(challenged, secrets).Marshal()
	flipped := *Challenge(challenged, secrets)
	flipped.Choices = Choices{{1, 0}, {1, 1, 1}}
	for _, tc := range []struct {
		name, comment string
		data          []byte
		reasons       []string
	}{
		{"challenge", "bob's challenged ballot: no; all three parks", ch, nil},
		{"challenge-other-claim", "the same, claiming yes instead of no", flipped.Marshal(), []string{"mismatch"}},
	} {
		w.Vector(tc.name)
		w.Input("op", "verify-challenge")
		writeElection(w, c, records, commitments, e.PublicKey)
		w.Input("challenge", string(tc.data))
		w.Comment(tc.comment)
		if got := challengeOutcome(e, tc.data); strings.Join(got, "|") != strings.Join(tc.reasons, "|") {
			t.Fatalf("vector %s: the code gives %q, the generator says %q", tc.name, got, tc.reasons)
		}
		if tc.reasons == nil {
			w.Accept()
		}
		for _, r := range tc.reasons {
			w.Reject(r)
		}
	}

	// The styled election: the same contests, two ballot styles, weights.
	e, records, commitments, _ = ballotVectorElection(t, true)
	if c, err = e.Manifest.MarshalCanonical(); err != nil {
		t.Fatal(err)
	}
	aliceBoth, _ := encrypt(alice, Choices{{1, 0}, {0, 1, 1}}, ConfirmationCode{})
	bobRef, _ := encrypt(bob, Choices{{0, 1}, nil}, ConfirmationCode{})
	verify("styled-both", "alice's ballot of style both (her weight, 5, does not change it): yes; lake and gorge", aliceBoth.Marshal(), alice.Public)
	verify("styled-referendum", "bob's ballot of style referendum: its one contest, the referendum, no", bobRef.Marshal(), bob.Public)
	asBob := *aliceBoth
	asBob.Credential = bob.Public
	verify("styled-other-style", "alice's ballot of style both, with bob's credential, posted by bob, whose style is referendum", asBob.Marshal(), bob.Public, "wrong-style")
	unnamed := *bobRef
	unnamed.Style = ""
	verify("styled-no-style", "bob's ballot naming no style", unnamed.Marshal(), bob.Public, "wrong-style")
	bobBoth := *aliceBoth
	bobBoth.Credential, bobBoth.Style = bob.Public, "referendum"
	verify("styled-other-contests", "alice's ballot of both contests, with bob's credential and style: it has a contest more than bob's ballot", bobBoth.Marshal(), bob.Public, "shape")

	// Write-ins: the contexts of their proofs, and ballots that carry one.
	contexts("writein-ctx", "text", [][2]int{{2, 0}, {2, 1}}, func(p ConfirmationCode, contest, i int) []byte {
		return WriteInContext(base, cred, p, contest, i)
	})
	e, records, commitments, _ = vectorElection(t, false, true)
	if c, err = e.Manifest.MarshalCanonical(); err != nil {
		t.Fatal(err)
	}
	encryptWriteIn := func(cred *Credential, choices Choices, text string) *EncryptedBallot {
		b, _, err := EncryptWriteIns(e, cred.Public, choices, WriteIns{"", "", text}, ConfirmationCode{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ada := encryptWriteIn(alice, Choices{{1, 0}, {0, 0, 1}, {0, 1}}, "Ada Lovelace")
	olga := encryptWriteIn(bob, Choices{{0, 1}, {1, 0, 0}, {1, 0}}, "")
	verify("writein-ada", "alice writes in \"Ada Lovelace\" for clerk (its slot other selected); yes; gorge", ada.Marshal(), alice.Public)
	verify("writein-none", "bob picks olga for clerk and carries the empty text; no; north", olga.Marshal(), bob.Public)
	copied := *ada
	copied.Contests = slices.Clone(ada.Contests)
	copied.Contests[2].WriteIn = slices.Clone(ada.Contests[2].WriteIn)
	copied.Contests[2].WriteIn[1] = olga.Contests[2].WriteIn[1]
	verify("writein-copied", "alice's ballot with bob's second text ciphertext and its proof, bound to bob's credential", copied.Marshal(), alice.Public, "bad-write-in 2 1")
	missing := copied
	missing.Contests[2].WriteIn = nil
	verify("writein-missing", "alice's ballot without its write-in text", missing.Marshal(), alice.Public, "shape")
	return w.Bytes()
}
