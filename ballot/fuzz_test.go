package ballot

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParseManifest(f *testing.F) {
	sample := readFile(f, "testdata/manifest-sample.json")
	f.Add(sample)
	f.Add(readFile(f, "testdata/manifest-sample.canonical.json"))
	f.Add([]byte(`{"version":"evote/v1","voter_count":3}`))
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
		if m.VoterCount > 0 {
			return // voters not filled: no canonical form yet
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
	e := newTestElection(f, manifestKofN(f, 3, 2, vs))
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
