package ballot

import (
	"bytes"
	"errors"
	"testing"

	"github.com/evote/evote/crypto"
)

func TestChallenge(t *testing.T) {
	e, vs, ch := sampleElection(t)
	b, s := mustEncrypt(t, e, vs[2].Public, ch, ConfirmationCode{})
	c := Challenge(b, s)
	if err := VerifyChallenge(e, c); err != nil {
		t.Fatalf("VerifyChallenge = %v", err)
	}
	data := c.Marshal()
	c2, err := ParseChallengedBallot(data)
	if err != nil {
		t.Fatalf("ParseChallengedBallot = %v", err)
	}
	if !bytes.Equal(c2.Marshal(), data) {
		t.Fatal("round trip changed the encoding")
	}
	if err := VerifyChallenge(e, c2); err != nil {
		t.Fatalf("VerifyChallenge(parsed) = %v", err)
	}
	if c2.Ballot.ConfirmationCode() != b.ConfirmationCode() {
		t.Error("the challenged ballot has another confirmation code")
	}
	if !bytes.HasPrefix(data, append([]byte(`{"version":"evote/v1","ballot":`), b.Marshal()...)) {
		t.Errorf("challenged ballot does not embed the ballot verbatim: %.100s", data)
	}
	if !bytes.Contains(data, []byte(`"choices":[[0,1,0],[1,0,1,0,1],[1,1,1,1],[3,0,2],[0,1]],"randomness":["`)) {
		t.Errorf("choices are not encoded as expected: %s", data)
	}

	copyOf := func() *ChallengedBallot {
		x, err := ParseChallengedBallot(data)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	wantMismatch := func(t *testing.T, err error, contest, option int) {
		t.Helper()
		var ce *ChallengeError
		if !errors.As(err, &ce) || !errors.Is(err, ErrChallengeMismatch) {
			t.Fatalf("VerifyChallenge = %v, want a *ChallengeError", err)
		}
		if ce.Contest != contest || ce.Option != option {
			t.Fatalf("VerifyChallenge = %v names (%d, %d), want (%d, %d)", err, ce.Contest, ce.Option, contest, option)
		}
	}
	t.Run("wrong claimed choice", func(t *testing.T) {
		x := copyOf()
		x.Choices[0] = []uint64{1, 0, 0} // the voter chose quimby, the claim says simpson
		wantMismatch(t, VerifyChallenge(e, x), 0, 0)
	})
	t.Run("wrong randomness", func(t *testing.T) {
		x := copyOf()
		x.Randomness[3][2] = crypto.NewScalar().Add(x.Randomness[3][2], crypto.NewScalar().SetUint64(1))
		wantMismatch(t, VerifyChallenge(e, x), 3, 2)
	})
	t.Run("swapped randomness", func(t *testing.T) {
		x := copyOf()
		r := x.Randomness[2]
		r[1], r[2] = r[2], r[1]
		wantMismatch(t, VerifyChallenge(e, x), 2, 1)
	})
	t.Run("invalid claimed choices", func(t *testing.T) {
		// A device that encrypted an over-limit vote (its proofs cannot
		// be valid, but a challenge does not check them): the ciphertexts
		// match, and the choices are still rejected.
		x := copyOf()
		x.Choices[1] = []uint64{1, 1, 1, 1, 1}
		for k, v := range x.Choices[1] {
			x.Ballot.Contests[1].Options[k].Ciphertext = e.PublicKey.EncryptWithRandomness(v, x.Randomness[1][k])
		}
		err := VerifyChallenge(e, x)
		var ce *ChoiceError
		if !errors.As(err, &ce) || !errors.Is(err, ErrTooMany) || ce.Contest != 1 {
			t.Fatalf("VerifyChallenge = %v, want ErrTooMany in contest 1", err)
		}
	})
	t.Run("wrong election", func(t *testing.T) {
		e2 := electionOfRoll(t, e.Manifest, e.Roll)
		if err := VerifyChallenge(e2, copyOf()); !errors.Is(err, ErrWrongElection) {
			t.Fatalf("VerifyChallenge = %v, want ErrWrongElection", err)
		}
	})
	t.Run("shape", func(t *testing.T) {
		x := copyOf()
		x.Randomness[0] = x.Randomness[0][:2]
		if err := VerifyChallenge(e, x); !errors.Is(err, ErrShape) {
			t.Fatalf("VerifyChallenge = %v, want ErrShape", err)
		}
	})

	bad := map[string][]byte{
		"trailing space":   append(bytes.Clone(data), ' '),
		"reordered":        mutateJSON(t, data, func(map[string]any) {}),
		"short randomness": mutateJSON(t, data, func(m map[string]any) { m["randomness"].([]any)[0] = "AAAA" }),
		"missing choices":  mutateJSON(t, data, func(m map[string]any) { m["choices"] = m["choices"].([]any)[:4] }),
		"negative choice":  bytes.Replace(data, []byte(`"choices":[[0,`), []byte(`"choices":[[-0,`), 1),
		"non-canonical r":  mutateJSON(t, data, func(m map[string]any) { m["randomness"].([]any)[0] = b64(bytes.Repeat([]byte{0xff}, 96)) }),
		"tampered ballot":  bytes.Replace(data, []byte(`"ballot":{"version":"evote/v1"`), []byte(`"ballot":{"version":"evote/v2"`), 1),
		"wrong version":    bytes.Replace(data, []byte(`{"version":"evote/v1"`), []byte(`{"version":"evote/v0"`), 1),
	}
	for name, d := range bad {
		if _, err := ParseChallengedBallot(d); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ParseChallengedBallot = %v, want ErrMalformed", name, err)
		}
	}
}
