package ballot

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
)

// writeInSample returns the sample manifest with a write-in on its mayor
// contest (plurality): a fourth option "other" as the slot, up to maxBytes
// bytes.
func writeInSample(t testing.TB, maxBytes int) []byte {
	t.Helper()
	return mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m obj) {
		c := contest(m, 0)
		c["options"] = append(c["options"].([]any), obj{"id": "other", "title": "Write-in"})
		c["write_in"] = obj{"option": "other", "max_bytes": maxBytes}
	})
}

func TestWriteInManifest(t *testing.T) {
	m, err := ParseManifest(writeInSample(t, 40))
	if err != nil {
		t.Fatalf("ParseManifest(write-in) = %v", err)
	}
	c := m.Contests[0]
	if c.WriteIn == nil || c.WriteIn.Option != 3 || c.WriteIn.MaxBytes != 40 || !c.Mixed() || m.Contests[1].Mixed() {
		t.Fatalf("write-in contest %+v, write-in %+v", c, c.WriteIn)
	}
	// ⌈(40 + 2) / 30⌉ = 2 text ciphertexts, so a mix row of 3.
	if n, w := c.WriteIn.TextCiphertexts(), c.MixWidth(); n != 2 || w != 3 {
		t.Errorf("TextCiphertexts() = %d, MixWidth() = %d, want 2 and 3", n, w)
	}
	canon, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	checkCanonical(t, canon, `"option_max":1,"write_in":{"option":"other","max_bytes":40},"options":[`)
}

func TestWriteInManifestInvalid(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(c obj)
		path   string
		msg    string
	}{
		{"unknown option", func(c obj) { c["write_in"] = obj{"option": "nobody", "max_bytes": 40} }, "$.contests[0].write_in.option", `no option "nobody"`},
		{"max_bytes 0", func(c obj) { c["write_in"] = obj{"option": "other", "max_bytes": 0} }, "$.contests[0].write_in.max_bytes", "at least 1"},
		{"max_bytes over the limit", func(c obj) { c["write_in"] = obj{"option": "other", "max_bytes": MaxWriteInBytes + 1} }, "$.contests[0].write_in.max_bytes", "1000"},
		{"no max_bytes", func(c obj) { c["write_in"] = obj{"option": "other"} }, "$.contests[0].write_in.max_bytes", "missing required"},
		{"unknown member", func(c obj) { c["write_in"] = obj{"option": "other", "max_bytes": 4, "lines": 2} }, "$.contests[0].write_in.lines", "unknown field"},
		{"not an object", func(c obj) { c["write_in"] = true }, "$.contests[0].write_in", "object"},
		{"cumulative", func(c obj) { c["kind"], c["option_max"], c["max_selections"] = KindCumulative, 2, 2 }, "$.contests[0].write_in", "option_max 1"},
		{"ranked", func(c obj) {
			c["kind"], c["method"], c["max_selections"], c["option_max"] = KindRanked, MethodIRV, 2, 2
		}, "$.contests[0].write_in", `a "ranked" contest has no write-in`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, mutateJSON(t, writeInSample(t, 40), func(m obj) { tt.mutate(contest(m, 0)) }), tt.path, tt.msg)
		})
	}
}

// writeInElection returns an election of the write-in sample (40 bytes)
// with voters vs on its roll.
func writeInElection(t testing.TB, vs []*Credential) *Election {
	t.Helper()
	m, err := ParseManifest(writeInSample(t, 40))
	if err != nil {
		t.Fatal(err)
	}
	return newTestElection(t, m, vs)
}

// writeInChoices returns the sample choices with the mayor's write-in
// selected and the text written in.
func writeInChoices(t *testing.T, e *Election, text string) (Choices, WriteIns) {
	c := sampleChoicesFor(t, e.Manifest, "")
	c[0] = []uint64{0, 0, 0, 1}
	w := make(WriteIns, len(e.Manifest.Contests))
	w[0] = text
	return c, w
}

func TestWriteInChoices(t *testing.T) {
	vs := voters(1)
	e := writeInElection(t, vs)
	for _, tt := range []struct {
		name   string
		mayor  []uint64
		texts  func(w WriteIns)
		detail string
	}{
		{"selected, written", []uint64{0, 0, 0, 1}, func(w WriteIns) { w[0] = "Ada Lovelace" }, ""},
		{"neither", []uint64{1, 0, 0, 0}, func(WriteIns) {}, ""},
		{"selected, not written", []uint64{0, 0, 0, 1}, func(WriteIns) {}, "no name is written"},
		{"written, not selected", []uint64{1, 0, 0, 0}, func(w WriteIns) { w[0] = "Ada" }, "not selected"},
		{"too long", []uint64{0, 0, 0, 1}, func(w WriteIns) { w[0] = strings.Repeat("a", 41) }, "41 bytes long, at most 40"},
		{"control character", []uint64{0, 0, 0, 1}, func(w WriteIns) { w[0] = "Ada\nLovelace" }, "control character"},
		{"bidirectional override", []uint64{0, 0, 0, 1}, func(w WriteIns) { w[0] = "\u202eAda" }, "bidirectional"},
		{"contest without a write-in", []uint64{0, 0, 0, 1}, func(w WriteIns) { w[0], w[1] = "Ada", "Bob" }, "has no write-in"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, w := writeInChoices(t, e, "")
			c[0] = tt.mayor
			tt.texts(w)
			err := ValidateWriteIns(e.Manifest, c, w)
			if tt.detail == "" {
				if err != nil {
					t.Fatalf("ValidateWriteIns = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrWriteIn) || !strings.Contains(err.Error(), tt.detail) {
				t.Fatalf("ValidateWriteIns = %v, want ErrWriteIn saying %q", err, tt.detail)
			}
			if _, _, err := EncryptWriteIns(e, vs[0].Public, c, w, ConfirmationCode{}); !errors.Is(err, ErrWriteIn) {
				t.Errorf("EncryptWriteIns = %v, want ErrWriteIn", err)
			}
		})
	}
	if err := ValidateWriteIns(e.Manifest, sampleChoicesFor(t, e.Manifest, ""), WriteIns{"a"}); !errors.Is(err, ErrWriteIn) {
		t.Errorf("ValidateWriteIns(one text for four contests) = %v, want ErrWriteIn", err)
	}
}

// TestWriteInBallot encrypts a write-in, decrypts its text, round-trips
// the ballot's encoding, and refuses every tampering of its write-in:
// missing, extra, of the wrong number, altered, moved, or copied from
// another voter's ballot.
func TestWriteInBallot(t *testing.T) {
	vs := voters(2)
	e, sk := writeInElectionWithKey(t, vs)
	c, w := writeInChoices(t, e, "Ada Lovelace")
	b, s, err := EncryptWriteIns(e, vs[0].Public, c, w, ConfirmationCode{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.WriteIns, w) {
		t.Errorf("secrets' write-ins %q, want %q", s.WriteIns, w)
	}
	if err := VerifyBallot(e, b, vs[0].Public); err != nil {
		t.Fatalf("VerifyBallot(write-in) = %v", err)
	}
	if got := decryptText(t, sk, b.Contests[0].WriteIn); got != "Ada Lovelace" {
		t.Errorf("decrypted write-in %q, want %q", got, "Ada Lovelace")
	}
	enc := b.Marshal()
	if !bytes.Contains(enc, []byte(`"write_ins":["`)) {
		t.Fatalf("ballot encoding has no write_ins: %s", enc)
	}
	back, err := ParseEncryptedBallot(enc)
	if err != nil {
		t.Fatalf("ParseEncryptedBallot = %v", err)
	}
	if !bytes.Equal(back.Marshal(), enc) {
		t.Errorf("write-in ballot does not round-trip")
	}
	if err := VerifyBallot(e, back, vs[0].Public); err != nil {
		t.Errorf("VerifyBallot(parsed) = %v", err)
	}
	// A voter who writes nothing in still carries the empty text.
	plain := sampleChoicesFor(t, e.Manifest, "")
	b2, _, err := Encrypt(e, vs[1].Public, plain, ConfirmationCode{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b2.Contests[0].WriteIn); n != 2 {
		t.Fatalf("a ballot without a write-in has %d text ciphertexts, want 2", n)
	}
	if got := decryptText(t, sk, b2.Contests[0].WriteIn); got != "" {
		t.Errorf("no write-in decrypts to %q, want the empty text", got)
	}
	if len(b2.Marshal()) != len(enc) {
		t.Errorf("ballots with and without a write-in differ in size: %d and %d bytes", len(b2.Marshal()), len(enc))
	}

	mangle := func(f func(wc *EncryptedContest, other []EncryptedText)) *EncryptedBallot {
		forged := *b
		forged.Contests = slices.Clone(b.Contests)
		forged.Contests[0].WriteIn = slices.Clone(b.Contests[0].WriteIn)
		f(&forged.Contests[0], b2.Contests[0].WriteIn)
		return &forged
	}
	for _, tt := range []struct {
		name   string
		forged *EncryptedBallot
		want   error
		detail string
	}{
		{"missing", mangle(func(c *EncryptedContest, _ []EncryptedText) { c.WriteIn = nil }), ErrShape, "are missing"},
		{"one too few", mangle(func(c *EncryptedContest, _ []EncryptedText) { c.WriteIn = c.WriteIn[:1] }), ErrShape, "1 write-in text ciphertexts, the contest's write-in has 2"},
		{"one too many", mangle(func(c *EncryptedContest, _ []EncryptedText) { c.WriteIn = append(c.WriteIn, c.WriteIn[0]) }), ErrShape, "3 write-in text ciphertexts"},
		{"copied from another voter", mangle(func(c *EncryptedContest, other []EncryptedText) { c.WriteIn[0] = other[0] }), ErrBadProof, "write-in text 0 of 2"},
		{"re-randomised copy", mangle(func(c *EncryptedContest, other []EncryptedText) {
			ct, _ := new(crypto.Ciphertext).Rerandomize(e.PublicKey, other[1].Ciphertext)
			c.WriteIn[1] = EncryptedText{Ciphertext: ct, Proof: c.WriteIn[1].Proof}
		}), ErrBadProof, "write-in text 1 of 2"},
		{"swapped", mangle(func(c *EncryptedContest, _ []EncryptedText) { c.WriteIn[0], c.WriteIn[1] = c.WriteIn[1], c.WriteIn[0] }), ErrBadProof, "write-in text 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyBallot(e, tt.forged, vs[0].Public)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrWriteIn) || !strings.Contains(err.Error(), tt.detail) || !strings.Contains(err.Error(), `"mayor"`) {
				t.Fatalf("VerifyBallot = %v, want %v and ErrWriteIn naming mayor, saying %q", err, tt.want, tt.detail)
			}
			bb := NewBallotBatch(e)
			if _, err := bb.Add(tt.forged, vs[0].Public); !errors.Is(err, ErrWriteIn) {
				t.Errorf("BallotBatch.Add = %v, want ErrWriteIn", err)
			}
		})
	}
	// A write-in on a contest without one is refused by its shape.
	extra := *b
	extra.Contests = slices.Clone(b.Contests)
	extra.Contests[1].WriteIn = b.Contests[0].WriteIn
	if err := VerifyBallot(e, &extra, vs[0].Public); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "has no write-in") {
		t.Errorf("VerifyBallot(write-in on council) = %v, want ErrShape: has no write-in", err)
	}
}

// TestWriteInEncoding refuses every non-canonical or malformed write_ins.
func TestWriteInEncoding(t *testing.T) {
	_, _, b, _ := writeInBallot(t, "Ada")
	enc := b.Marshal()
	blob := b.toJSON().WriteIns[0]
	withBlobs := func(blobs ...[]byte) []byte {
		j := b.toJSON()
		j.WriteIns = blobs
		out, err := marshalCompact(j)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	set := func(at int, v byte) []byte {
		x := bytes.Clone(blob)
		x[at] = v
		return x
	}
	for _, tt := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty array", bytes.Replace(enc, []byte(`"write_ins":["`+b64(blob)+`"]`), []byte(`"write_ins":[]`), 1), "leave it out"},
		{"contest out of range", withBlobs(set(3, 9)), "names contest 9"},
		{"twice the same contest", withBlobs(blob, blob), "names contest 0"},
		{"no ciphertexts", withBlobs(set(7, 0)[:8]), "0 text ciphertexts"},
		{"truncated", withBlobs(blob[:len(blob)-1]), "take"},
		{"header only", withBlobs(blob[:5]), "shorter than its header"},
		{"non-canonical point", withBlobs(append(append(bytes.Clone(blob[:8]), bytes.Repeat([]byte{0xff}, 32)...), blob[40:]...)), "text ciphertext 0"},
		{"non-canonical proof scalar", withBlobs(append(bytes.Clone(blob[:8+64+32]), append(bytes.Repeat([]byte{0xff}, 32), blob[8+128:]...)...)), "text ciphertext 0 proof"},
		{"whitespace", bytes.Replace(enc, []byte(`"write_ins":[`), []byte(`"write_ins": [`), 1), "canonical"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEncryptedBallot(tt.data)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("ParseEncryptedBallot = %v, want malformed: %q", err, tt.msg)
			}
		})
	}
}

// writeInElectionWithKey is writeInElection with a known election key, so
// that tests can decrypt.
func writeInElectionWithKey(t testing.TB, vs []*Credential) (*Election, *crypto.PrivateKey) {
	t.Helper()
	m, err := ParseManifest(writeInSample(t, 40))
	if err != nil {
		t.Fatal(err)
	}
	e := newTestElection(t, m, vs)
	sk := crypto.GenerateKey()
	e.PublicKey = sk.PublicKey()
	return e, sk
}

func decryptText(t testing.TB, sk *crypto.PrivateKey, w []EncryptedText) string {
	t.Helper()
	elems := make([]*crypto.Element, len(w))
	for k, x := range w {
		elems[k] = sk.Decrypt(x.Ciphertext)
	}
	text, err := crypto.DecodeText(elems)
	if err != nil {
		t.Fatalf("DecodeText = %v", err)
	}
	return text
}

// TestWriteInChallenge: a challenged ballot reveals the written text and
// its randomness, and anyone can check that the text ciphertexts encrypt
// it; a challenge claiming another text, revealing none, or claiming a
// name for a write-in not selected is refused.
func TestWriteInChallenge(t *testing.T) {
	e, vs, b, s := writeInBallot(t, "Ada Lovelace")
	ch := Challenge(b, s)
	if len(ch.WriteIns) != len(b.Contests) || ch.WriteIns[0] != "Ada Lovelace" || len(ch.WriteInRandomness[0]) != 2 || ch.WriteInRandomness[1] != nil {
		t.Fatalf("Challenge revealed write-ins %q with randomness %v", ch.WriteIns, ch.WriteInRandomness)
	}
	enc := ch.Marshal()
	if !bytes.Contains(enc, []byte(`"write_ins":[{"contest":0,"text":"Ada Lovelace","randomness":"`)) {
		t.Fatalf("challenged ballot encoding lacks the write-in: %s", enc)
	}
	back, err := ParseChallengedBallot(enc)
	if err != nil {
		t.Fatalf("ParseChallengedBallot = %v", err)
	}
	if !bytes.Equal(back.Marshal(), enc) {
		t.Errorf("challenged write-in ballot does not round-trip")
	}
	if err := VerifyChallenge(e, back); err != nil {
		t.Fatalf("VerifyChallenge = %v", err)
	}
	for _, tt := range []struct {
		name   string
		change func(c *ChallengedBallot)
		want   error
		detail string
	}{
		{"another text", func(c *ChallengedBallot) { c.WriteIns = slices.Clone(c.WriteIns); c.WriteIns[0] = "Ada Lovelace Jr" }, ErrChallengeMismatch, "write-in text 0"},
		{"no reveal", func(c *ChallengedBallot) { c.WriteIns, c.WriteInRandomness = nil, nil }, ErrWriteIn, "do not fit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forged := *Challenge(b, s)
			tt.change(&forged)
			if err := VerifyChallenge(e, &forged); !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.detail) {
				t.Fatalf("VerifyChallenge = %v, want %v saying %q", err, tt.want, tt.detail)
			}
		})
	}
	// A device that encrypted a name for a write-in it did not select
	// (bypassing EncryptWriteIns) is caught by its challenge.
	plain := sampleChoicesFor(t, e.Manifest, "")
	b2, s2, err := Encrypt(e, vs[0].Public, plain, ConfirmationCode{})
	if err != nil {
		t.Fatal(err)
	}
	b2.Contests[0].WriteIn, s2.WriteInRandomness[0], err = encryptText(e, vs[0].Public, ConfirmationCode{}, 0, e.Manifest.Contests[0].WriteIn, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	s2.WriteIns = make(WriteIns, len(e.Manifest.Contests))
	s2.WriteIns[0] = "Ada"
	if err := VerifyChallenge(e, Challenge(b2, s2)); !errors.Is(err, ErrWriteIn) || !strings.Contains(err.Error(), "not selected") {
		t.Errorf("VerifyChallenge(a name for a write-in not selected) = %v, want ErrWriteIn: not selected", err)
	}
	// Without a reveal the encoding of a ballot carrying a write-in still
	// parses, and verification names what is missing.
	noReveal := *Challenge(b, s)
	noReveal.WriteIns, noReveal.WriteInRandomness = nil, nil
	if _, err := ParseChallengedBallot(noReveal.Marshal()); err != nil {
		t.Errorf("ParseChallengedBallot(no reveal) = %v", err)
	}
	// A reveal naming a contest without a write-in does not parse.
	bad := bytes.Replace(enc, []byte(`"write_ins":[{"contest":0,`), []byte(`"write_ins":[{"contest":1,`), 1)
	if _, err := ParseChallengedBallot(bad); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "contest 1") {
		t.Errorf("ParseChallengedBallot(reveal for contest 1) = %v, want malformed naming contest 1", err)
	}
}

// TestWriteInWeightRefused: a roll may not weigh a voter whose ballot
// carries a write-in, whose texts are counted once per mixed ballot.
func TestWriteInWeightRefused(t *testing.T) {
	vs := voters(2)
	m, err := ParseManifest(writeInSample(t, 40))
	if err != nil {
		t.Fatal(err)
	}
	mh, _ := m.Hash()
	entries := []RollEntry{vs[0].Entry(), vs[1].Entry()}
	entries[1].Weight = 3
	err = m.CheckRoll(RollChunks(mh, 0, entries)[0])
	if !errors.Is(err, ErrRankedWeight) || !strings.Contains(err.Error(), `contest with a write-in "mayor"`) {
		t.Errorf("CheckRoll(weight 3) = %v, want ErrRankedWeight naming the write-in contest mayor", err)
	}
}

// TestParseStoredWriteIn: a stored ballot keeps its write-in text
// ciphertexts, without their proofs, and no verifier takes it for a
// checked ballot.
func TestParseStoredWriteIn(t *testing.T) {
	e, vs, b, _ := writeInBallot(t, "Ada")
	stored, err := ParseStoredBallot(b.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	got := stored.Contests[0].WriteIn
	if len(got) != 2 || got[0].Proof != nil || got[0].Ciphertext.Equal(b.Contests[0].WriteIn[0].Ciphertext) != 1 {
		t.Fatalf("stored write-in %+v, want its 2 ciphertexts without proofs", got)
	}
	if err := VerifyBallot(e, stored, vs[0].Public); !errors.Is(err, ErrShape) {
		t.Errorf("VerifyBallot(stored write-in ballot) = %v, want ErrShape", err)
	}
}

// writeInBallot encrypts, in a write-in election of one voter, a ballot
// of the sample's choices writing text in for mayor.
func writeInBallot(t *testing.T, text string) (*Election, []*Credential, *EncryptedBallot, *BallotSecrets) {
	t.Helper()
	vs := voters(1)
	e := writeInElection(t, vs)
	c, w := writeInChoices(t, e, text)
	b, s, err := EncryptWriteIns(e, vs[0].Public, c, w, ConfirmationCode{})
	if err != nil {
		t.Fatal(err)
	}
	return e, vs, b, s
}
