package ballot

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

func FuzzParseManifest(f *testing.F) {
	sample := readFile(f, "testdata/manifest-sample.json")
	f.Add(sample)
	f.Add(sampleCanonical(f))
	f.Add([]byte(`{"version":"evote/v1","registrar":"sjK5oHc6v6uRQPj08F9640wDJQ6WZI0oE2YkKGjktw4=","min_counted":3}`))
	f.Add([]byte(`{"contests":[{"options":[{}]}],"trustees":[{}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("error %v is not a *ParseError with problems", err)
			}
			return
		}
		c, err := m.MarshalCanonical()
		if err != nil {
			t.Fatalf("accepted manifest does not marshal: %v", err)
		}
		m2, err := ParseCanonicalManifest(c)
		if err != nil {
			t.Fatalf("canonical form of an accepted manifest is rejected: %v\n%s", err, c)
		}
		if c2, _ := m2.MarshalCanonical(); !bytes.Equal(c, c2) {
			t.Fatalf("round trip changed the encoding")
		}
	})
}

func FuzzParseEncryptedBallot(f *testing.F) {
	vs := voters(1)
	e := newTestElection(f, manifestKofN(f, 3, 2), vs)
	b, s, err := Encrypt(e, vs[0].Public, Choices{{1, 0, 1}}, ConfirmationCode{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b.Marshal())
	f.Add(Challenge(b, s).Marshal())
	f.Add([]byte(`{"version":"evote/v1","election":"","credential":"","prev":"","contests":[""]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := ParseEncryptedBallot(data); err == nil {
			if !bytes.Equal(b.Marshal(), data) {
				t.Fatalf("accepted a non-canonical ballot")
			}
			_ = VerifyBallot(e, b, b.Credential) // must not panic
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		if c, err := ParseChallengedBallot(data); err == nil {
			if !bytes.Equal(c.Marshal(), data) {
				t.Fatalf("accepted a non-canonical challenged ballot")
			}
			_ = VerifyChallenge(e, c)
		}
	})
}

// FuzzParseBallotEnvelope checks parseBallotEnvelope against decodeStrict
// and marshalCompact, the generic path it short-cuts: it must accept
// exactly the envelopes in canonical form, with the same fields.
func FuzzParseBallotEnvelope(f *testing.F) {
	for _, s := range ballotEnvelopeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBallotEnvelope(t, data)
	})
}

// FuzzParseRollChunk: a roll record is accepted only in its canonical form,
// with 1 to MaxRollChunk valid entries, and RollBuilder takes any accepted
// record without panicking.
func FuzzParseRollChunk(f *testing.F) {
	mh, _, creds := rollVector()
	var entries []RollEntry
	for _, c := range creds {
		entries = append(entries, c.Entry())
	}
	f.Add(RollChunks(mh, 0, entries)[0].Marshal())
	f.Add(RollChunks(mh, 7, append(entries, entries[0]))[0].Marshal())
	f.Add((&RollClose{Election: mh, Size: 3}).Marshal())
	f.Add([]byte(`{"election":"","first":-1,"voters":[{"voter":"","key":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseRollChunk(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "roll: ") {
				t.Fatalf("error %q does not start with %q", err, "roll: ")
			}
			return
		}
		if !bytes.Equal(c.Marshal(), data) {
			t.Fatalf("accepted a non-canonical roll record")
		}
		if c.First < 0 || len(c.Voters) < 1 || len(c.Voters) > MaxRollChunk {
			t.Fatalf("accepted first %d, %d entries", c.First, len(c.Voters))
		}
		for _, e := range c.Voters {
			if !ValidVoterID(e.Voter) || checkEdKey(e.Key) != "" {
				t.Fatalf("accepted entry %q, %x", e.Voter, []byte(e.Key))
			}
		}
		b := NewRollBuilder(c.Election)
		c.First = 0
		if err := b.Check(c); err == nil {
			b.Add(c)
			if b.Size() != int64(len(c.Voters)) || b.Hash() != rollHashOf(c.Election, c.Voters) {
				t.Fatalf("roll of the record: size %d, hash %x", b.Size(), b.Hash())
			}
		} else if !errors.Is(err, ErrRollDuplicate) {
			t.Fatalf("Check(the first record) = %v, want nil or ErrRollDuplicate", err)
		}
	})
}

// FuzzParseRegistration: a registration request is accepted only in its
// canonical form, signed by its key over its content.
func FuzzParseRegistration(f *testing.F) {
	mh, _, creds := rollVector()
	f.Add(NewRegistration(creds[0], mh).Marshal())
	f.Add(NewRegistration(creds[2], [32]byte{}).Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRegistration(data)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Marshal(), data) {
			t.Fatalf("accepted a non-canonical registration request")
		}
		if !ValidVoterID(r.Voter) || checkEdKey(r.Key) != "" || !ed25519.Verify(r.Key, registrationMessageOf(r.Election, r.Voter, r.Key), r.Sig) {
			t.Fatalf("accepted an invalid registration request %s", data)
		}
	})
}
