package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"testing"

	"github.com/evote/evote/crypto"
)

// sampleElection is the sample manifest with test voters, and a valid set
// of choices for it.
func sampleElection(t testing.TB) (*Election, []*Credential, Choices) {
	t.Helper()
	vs := voters(3)
	m := sampleManifest(t)
	ch := Choices{
		{0, 1, 0},       // mayor: plurality
		{1, 0, 1, 0, 1}, // council: 3 of 5
		{1, 1, 1, 1},    // parks: approve all
		{3, 0, 2},       // budget: 5 points, at most 3 each
		{0, 1},          // monorail: no
	}
	return newTestElection(t, m, vs), vs, ch
}

func mustEncrypt(t testing.TB, e *Election, cred ed25519.PublicKey, ch Choices, prev ConfirmationCode) (*EncryptedBallot, *BallotSecrets) {
	t.Helper()
	b, s, err := Encrypt(e, cred, ch, prev)
	if err != nil {
		t.Fatalf("Encrypt = %v", err)
	}
	return b, s
}

// clone returns a deep copy of b through its encoding.
func clone(t testing.TB, b *EncryptedBallot) *EncryptedBallot {
	t.Helper()
	c, err := ParseEncryptedBallot(b.Marshal())
	if err != nil {
		t.Fatalf("ParseEncryptedBallot(Marshal()) = %v", err)
	}
	return c
}

func wantProofError(t *testing.T, err error, contest, option int) {
	t.Helper()
	var pe *ProofError
	if !errors.As(err, &pe) || !errors.Is(err, ErrBadProof) || !errors.Is(err, crypto.ErrInvalidProof) {
		t.Fatalf("error = %v, want a *ProofError", err)
	}
	if pe.Contest != contest || pe.Option != option {
		t.Fatalf("error = %v names (%d, %d), want (%d, %d)", err, pe.Contest, pe.Option, contest, option)
	}
}

func TestEncryptVerifyRoundTrip(t *testing.T) {
	e, vs, ch := sampleElection(t)
	b, s := mustEncrypt(t, e, vs[0].Public, ch, ConfirmationCode{})
	if err := VerifyBallot(e, b, vs[0].Public); err != nil {
		t.Fatalf("VerifyBallot = %v", err)
	}
	data := b.Marshal()
	b2, err := ParseEncryptedBallot(data)
	if err != nil {
		t.Fatalf("ParseEncryptedBallot = %v", err)
	}
	if !bytes.Equal(b2.Marshal(), data) {
		t.Fatal("round trip changed the encoding")
	}
	if err := VerifyBallot(e, b2, vs[0].Public); err != nil {
		t.Fatalf("VerifyBallot(parsed) = %v", err)
	}
	// The ciphertexts decrypt to nothing we can check without the key, but
	// the secrets re-encrypt to them.
	for i := range ch {
		for k, v := range ch[i] {
			if e.PublicKey.EncryptWithRandomness(v, s.Randomness[i][k]).Equal(b.Contests[i].Options[k].Ciphertext) != 1 {
				t.Fatalf("secrets do not match ciphertext (%d, %d)", i, k)
			}
		}
	}
	s.Choices[0][0] = 7 // the secrets hold a copy of the choices
	if ch[0][0] != 0 {
		t.Fatal("Encrypt aliases the caller's choices")
	}
}

// TestBallotLayout checks the encoding against docs/spec/ballot.md §4.1
// piece by piece.
func TestBallotLayout(t *testing.T) {
	e, vs, ch := sampleElection(t)
	prev := ConfirmationCode{1, 2, 3}
	b, _ := mustEncrypt(t, e, vs[1].Public, ch, prev)
	var j struct {
		Version    string
		Election   []byte
		Credential []byte
		Prev       []byte
		Contests   [][]byte
	}
	data := b.Marshal()
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	want := `{"version":"evote/v1","election":"` + base64.StdEncoding.EncodeToString(e.BaseHash[:]) +
		`","credential":"` + b64(vs[1].Public) + `","prev":"` + b64(prev[:]) + `","contests":["`
	if !bytes.HasPrefix(data, []byte(want)) {
		t.Fatalf("ballot starts %.200s, want %s", data, want)
	}
	for i, blob := range j.Contests {
		c := &b.Contests[i]
		mc := e.Manifest.Contests[i]
		lo := crypto.RangeProofSize(0, uint64(mc.OptionMax))
		w := binary.BigEndian.AppendUint32(nil, uint32(len(mc.Options)))
		w = binary.BigEndian.AppendUint32(w, uint32(lo))
		for _, o := range c.Options {
			w = append(w, o.Ciphertext.Bytes()...)
			w = append(w, o.Proof.Bytes()...)
		}
		w = append(w, c.SumProof.Bytes()...)
		if !bytes.Equal(blob, w) {
			t.Errorf("contest %d blob does not follow the layout", i)
		}
		if n := 8 + len(mc.Options)*(64+lo) + crypto.RangeProofSize(uint64(mc.MinSelections), uint64(mc.MaxSelections)); len(blob) != n {
			t.Errorf("contest %d blob is %d bytes, want %d", i, len(blob), n)
		}
	}
}

func TestBallotSize10of3(t *testing.T) {
	vs := voters(1)
	e := newTestElection(t, manifestKofN(t, 10, 3), vs)
	b, _ := mustEncrypt(t, e, vs[0].Public, Choices{{1, 0, 0, 1, 0, 0, 0, 1, 0, 0}}, ConfirmationCode{})
	n := len(b.Marshal())
	t.Logf("ballot for 1 contest, 10 options, choose up to 3: %d bytes of JSON", n)
	if n >= 5000 {
		t.Errorf("ballot is %d bytes, want < 5000", n)
	}
}

func TestEncryptRefuses(t *testing.T) {
	e, vs, ch := sampleElection(t)
	cases := []struct {
		name  string
		edit  func(Choices) Choices
		cred  ed25519.PublicKey
		want  error
		where [2]int
	}{
		{"over max_selections", func(c Choices) Choices { c[1] = []uint64{1, 1, 1, 1, 0}; return c }, nil, ErrTooMany, [2]int{1, -1}},
		{"plurality two", func(c Choices) Choices { c[0] = []uint64{1, 1, 0}; return c }, nil, ErrTooMany, [2]int{0, -1}},
		{"under min_selections", func(c Choices) Choices { c[3] = []uint64{1, 1, 1}; return c }, nil, ErrTooFew, [2]int{3, -1}},
		{"referendum blank", func(c Choices) Choices { c[4] = []uint64{0, 0}; return c }, nil, ErrTooFew, [2]int{4, -1}},
		{"over option_max", func(c Choices) Choices { c[3] = []uint64{4, 1, 0}; return c }, nil, ErrOptionMax, [2]int{3, 0}},
		{"approval twice", func(c Choices) Choices { c[2][2] = 2; return c }, nil, ErrOptionMax, [2]int{2, 2}},
		{"missing contest", func(c Choices) Choices { return c[:4] }, nil, ErrShape, [2]int{-1, -1}},
		{"extra option", func(c Choices) Choices { c[0] = append(c[0], 0); return c }, nil, ErrShape, [2]int{0, -1}},
		{"not on the roll", func(c Choices) Choices { return c }, e.Manifest.Official, ErrNotEligible, [2]int{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			choices := make(Choices, len(ch))
			for i := range ch {
				choices[i] = append([]uint64(nil), ch[i]...)
			}
			cred := vs[0].Public
			if c.cred != nil {
				cred = c.cred
			}
			_, _, err := Encrypt(e, cred, c.edit(choices), ConfirmationCode{})
			if !errors.Is(err, c.want) {
				t.Fatalf("Encrypt = %v, want %v", err, c.want)
			}
			var ce *ChoiceError
			if errors.As(err, &ce) && (ce.Contest != c.where[0] || ce.Option != c.where[1]) {
				t.Errorf("Encrypt = %v, names (%d, %d), want %v", err, ce.Contest, ce.Option, c.where)
			}
		})
	}
	// ValidateChoices accepts the boundaries.
	if err := ValidateChoices(e.Manifest, ch); err != nil {
		t.Errorf("ValidateChoices(valid) = %v", err)
	}
	if err := ValidateChoices(e.Manifest, NewChoices(e.Manifest)); !errors.Is(err, ErrTooFew) {
		t.Errorf("ValidateChoices(zero) = %v, want ErrTooFew (budget needs 5)", err)
	}
}

// TestOverLimitCannotBeProven checks that no sum proof exists for an
// over-limit contest, and that a sum proof taken from another ballot does
// not make one valid.
func TestOverLimitCannotBeProven(t *testing.T) {
	e, vs, ch := sampleElection(t)
	cred := vs[0].Public
	// ch[1] is {1,0,1,0,1}; b2 selects {0,1,1,0,1}: both three of five.
	ch2 := append(Choices{}, ch...)
	ch2[1] = []uint64{0, 1, 1, 0, 1}
	b1, s1 := mustEncrypt(t, e, cred, ch, ConfirmationCode{})
	b2, _ := mustEncrypt(t, e, cred, ch2, ConfirmationCode{})

	// Splice b1's option 0 (a 1) into b2: four selections, each option
	// proof valid for its position, and b2's sum proof.
	forged := clone(t, b2)
	forged.Contests[1].Options[0] = b1.Contests[1].Options[0]
	wantProofError(t, VerifyBallot(e, forged, cred), 1, SumOption)

	// And the prover cannot make a sum proof for four.
	sum := forged.Contests[1].Sum()
	// Whatever the randomness, the value is out of range.
	r := s1.Randomness[1][0]
	if _, err := crypto.ProveRange(ProofContext(e.BaseHash, cred, ConfirmationCode{}, 1, SumOption), e.PublicKey, sum, 4, r, 0, 3); err == nil {
		t.Error("ProveRange proved 4 in [0, 3]")
	}
}

func TestTamperedBallots(t *testing.T) {
	e, vs, ch := sampleElection(t)
	cred := vs[0].Public
	b, _ := mustEncrypt(t, e, cred, ch, ConfirmationCode{})

	t.Run("proof moved to another option", func(t *testing.T) {
		// parks: every option encrypts 1, so only the context differs.
		x := clone(t, b)
		o := x.Contests[2].Options
		o[0].Proof, o[1].Proof = o[1].Proof, o[0].Proof
		wantProofError(t, VerifyBallot(e, x, cred), 2, 0)
	})
	t.Run("options swapped", func(t *testing.T) {
		x := clone(t, b)
		o := x.Contests[2].Options
		o[0], o[3] = o[3], o[0]
		wantProofError(t, VerifyBallot(e, x, cred), 2, 0)
	})
	t.Run("option moved to another contest", func(t *testing.T) {
		// council option 0 and monorail option 1 both encrypt 1 in [0, 1].
		x := clone(t, b)
		x.Contests[4].Options[1] = b.Contests[1].Options[0]
		wantProofError(t, VerifyBallot(e, x, cred), 4, 1)
	})
	t.Run("sum proofs swapped", func(t *testing.T) {
		// The council sum proof of another ballot of the same voter and
		// the same choices: valid for its own ciphertexts only.
		other, _ := mustEncrypt(t, e, cred, ch, ConfirmationCode{})
		x := clone(t, b)
		x.Contests[1].SumProof = other.Contests[1].SumProof
		wantProofError(t, VerifyBallot(e, x, cred), 1, SumOption)
	})
	t.Run("replayed under another credential", func(t *testing.T) {
		x := clone(t, b)
		x.Credential = vs[1].Public
		wantProofError(t, VerifyBallot(e, x, vs[1].Public), 0, 0)
	})
	t.Run("signer is not the credential", func(t *testing.T) {
		if err := VerifyBallot(e, b, vs[1].Public); !errors.Is(err, ErrCredentialMismatch) {
			t.Fatalf("VerifyBallot = %v, want ErrCredentialMismatch", err)
		}
	})
	t.Run("credential not on the roll", func(t *testing.T) {
		x := clone(t, b)
		pub, _ := testKey("stranger")
		x.Credential = pub
		if err := VerifyBallot(e, x, pub); !errors.Is(err, ErrNotEligible) {
			t.Fatalf("VerifyBallot = %v, want ErrNotEligible", err)
		}
	})
	t.Run("wrong base hash", func(t *testing.T) {
		x := clone(t, b)
		x.Election[0] ^= 1
		if err := VerifyBallot(e, x, cred); !errors.Is(err, ErrWrongElection) {
			t.Fatalf("VerifyBallot = %v, want ErrWrongElection", err)
		}
	})
	t.Run("other election with the same manifest", func(t *testing.T) {
		e2 := electionOfRoll(t, e.Manifest, e.Roll)
		if err := VerifyBallot(e2, b, cred); !errors.Is(err, ErrWrongElection) {
			t.Fatalf("VerifyBallot = %v, want ErrWrongElection", err)
		}
		// Re-labelled with e2's base hash, the proofs fail.
		x := clone(t, b)
		x.Election = e2.BaseHash
		wantProofError(t, VerifyBallot(e2, x, cred), 0, 0)
	})
	t.Run("wrong version", func(t *testing.T) {
		x := clone(t, b)
		x.Version = "evote/v2"
		if err := VerifyBallot(e, x, cred); !errors.Is(err, ErrVersion) {
			t.Fatalf("VerifyBallot = %v, want ErrVersion", err)
		}
	})
	shapes := map[string]func(x *EncryptedBallot){
		"missing contest": func(x *EncryptedBallot) { x.Contests = x.Contests[:4] },
		"extra contest":   func(x *EncryptedBallot) { x.Contests = append(x.Contests, x.Contests[0]) },
		"missing option":  func(x *EncryptedBallot) { x.Contests[1].Options = x.Contests[1].Options[:4] },
		"extra option": func(x *EncryptedBallot) {
			x.Contests[0].Options = append(x.Contests[0].Options, x.Contests[0].Options[0])
		},
		"option proof too wide": func(x *EncryptedBallot) { x.Contests[3].Options[0] = x.Contests[0].Options[0] },
		"sum proof wrong range": func(x *EncryptedBallot) { x.Contests[0].SumProof = x.Contests[1].SumProof },
		"nil proof":             func(x *EncryptedBallot) { x.Contests[0].Options[1].Proof = nil },
	}
	for name, f := range shapes {
		t.Run("shape/"+name, func(t *testing.T) {
			x := clone(t, b)
			f(x)
			if err := VerifyBallot(e, x, cred); !errors.Is(err, ErrShape) {
				t.Fatalf("VerifyBallot = %v, want ErrShape", err)
			}
			if _, err := AddToBatch(crypto.NewBatchVerifier(), e, x); !errors.Is(err, ErrShape) {
				t.Fatalf("AddToBatch = %v, want ErrShape", err)
			}
		})
	}
}

// TestForgedProofs flips bytes of every proof: each change must be rejected
// by parsing or name that proof.
func TestForgedProofs(t *testing.T) {
	e, vs, ch := sampleElection(t)
	cred := vs[0].Public
	b, _ := mustEncrypt(t, e, cred, ch, ConfirmationCode{})
	step := 7
	if testing.Short() {
		step = 61
	}
	check := func(t *testing.T, i, k int, get func(*EncryptedBallot) **crypto.RangeProof) {
		enc := (*get(b)).Bytes()
		for pos := 0; pos < len(enc); pos += step {
			bad := bytes.Clone(enc)
			bad[pos] ^= 0x10
			p, err := new(crypto.RangeProof).SetBytes(bad)
			if err != nil {
				continue // not canonical: parsing rejects it
			}
			x := clone(t, b)
			*get(x) = p
			if err := VerifyBallot(e, x, cred); err == nil {
				t.Fatalf("proof (%d, %d) with byte %d flipped verifies", i, k, pos)
			} else {
				wantProofError(t, err, i, k)
			}
		}
	}
	for i := range b.Contests {
		for k := range b.Contests[i].Options {
			check(t, i, k, func(x *EncryptedBallot) **crypto.RangeProof { return &x.Contests[i].Options[k].Proof })
		}
		check(t, i, SumOption, func(x *EncryptedBallot) **crypto.RangeProof { return &x.Contests[i].SumProof })
	}
	// A changed ciphertext breaks its own proof.
	x := clone(t, b)
	x.Contests[1].Options[2].Ciphertext.Add(x.Contests[1].Options[2].Ciphertext, b.Contests[1].Options[1].Ciphertext)
	wantProofError(t, VerifyBallot(e, x, cred), 1, 2)
}

func TestParseEncryptedBallotRejects(t *testing.T) {
	vs := voters(1)
	e := newTestElection(t, manifestKofN(t, 3, 2), vs)
	b, _ := mustEncrypt(t, e, vs[0].Public, Choices{{1, 0, 1}}, ConfirmationCode{})
	data := b.Marshal()
	// Every truncation and every appended byte.
	step := 1
	if testing.Short() {
		step = 13
	}
	for n := 0; n < len(data); n += step {
		if _, err := ParseEncryptedBallot(data[:n]); err == nil {
			t.Fatalf("ParseEncryptedBallot accepted a truncation to %d bytes", n)
		}
	}
	for _, suffix := range []string{" ", "\n", "{}", "x"} {
		if _, err := ParseEncryptedBallot(append(bytes.Clone(data), suffix...)); err == nil {
			t.Errorf("ParseEncryptedBallot accepted a trailing %q", suffix)
		}
	}
	blob := b.Marshal()
	var j map[string]any
	json.Unmarshal(blob, &j)
	contestBlob, _ := base64.StdEncoding.DecodeString(j["contests"].([]any)[0].(string))
	setBlob := func(m map[string]any, blob []byte) { m["contests"] = []any{b64(blob)} }
	cases := map[string][]byte{
		"indented":           mustIndent(data),
		"reordered":          mutateJSON(t, data, func(map[string]any) {}),
		"unknown field":      bytes.Replace(data, []byte(`{"version"`), []byte(`{"x":1,"version"`), 1),
		"duplicate field":    bytes.Replace(data, []byte(`{"version":"evote/v1"`), []byte(`{"version":"evote/v1","version":"evote/v1"`), 1),
		"wrong version":      bytes.Replace(data, []byte(`evote/v1`), []byte(`evote/v2`), 1),
		"short election":     mutateJSON(t, data, func(m map[string]any) { m["election"] = "AAAA" }),
		"no contests":        bytes.Replace(data, []byte(`"contests":["`), []byte(`"contests":[],"x":["`), 1),
		"null contests":      mutateJSON(t, data, func(m map[string]any) { m["contests"] = nil }),
		"blob truncated":     mutateJSON(t, data, func(m map[string]any) { setBlob(m, contestBlob[:len(contestBlob)-1]) }),
		"blob extended":      mutateJSON(t, data, func(m map[string]any) { setBlob(m, append(bytes.Clone(contestBlob), 0)) }),
		"zero options":       mutateJSON(t, data, func(m map[string]any) { setBlob(m, append([]byte{0, 0, 0, 0}, contestBlob[4:]...)) }),
		"wrong option count": mutateJSON(t, data, func(m map[string]any) { setBlob(m, append([]byte{0, 0, 0, 2}, contestBlob[4:]...)) }),
		"huge proof length": mutateJSON(t, data, func(m map[string]any) {
			setBlob(m, append(append(bytes.Clone(contestBlob[:4]), 0xff, 0xff, 0xff, 0xff), contestBlob[8:]...))
		}),
		"non-canonical ciphertext": mutateJSON(t, data, func(m map[string]any) {
			x := bytes.Clone(contestBlob)
			copy(x[8:40], bytes.Repeat([]byte{0xff}, 32))
			setBlob(m, x)
		}),
		"unpadded base64": bytes.Replace(data, []byte(`=","prev"`), []byte(`","prev"`), 1),
	}
	for name, d := range cases {
		if _, err := ParseEncryptedBallot(d); err == nil {
			t.Errorf("%s: ParseEncryptedBallot accepted it", name)
		} else if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v does not wrap ErrMalformed", name, err)
		}
	}
}

func mustIndent(data []byte) []byte {
	var buf bytes.Buffer
	json.Indent(&buf, data, "", "  ")
	return buf.Bytes()
}

func TestConfirmationCodes(t *testing.T) {
	e, vs, ch := sampleElection(t)
	cred := vs[0].Public
	b1, _ := mustEncrypt(t, e, cred, ch, ConfirmationCode{})
	c1 := b1.ConfirmationCode()
	b2, _ := mustEncrypt(t, e, cred, ch, c1)
	c2 := b2.ConfirmationCode()
	if b2.Prev != c1 {
		t.Fatal("Prev is not the previous code")
	}
	if c1 == c2 || c1 == (ConfirmationCode{}) {
		t.Fatal("codes do not differ")
	}
	// The code is the labelled hash of the canonical encoding, and the
	// chain is part of it: the same ballot with another prev has another code.
	if want := ConfirmationCode(sha256.Sum256(append([]byte("evote/v1/ballot/confirmation\x00"), b1.Marshal()...))); c1 != want {
		t.Errorf("ConfirmationCode = %x, want %x", c1, want)
	}
	x := clone(t, b1)
	x.Prev = c2
	if x.ConfirmationCode() == c1 {
		t.Error("prev does not change the code")
	}
	if !regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`).MatchString(c1.Short()) {
		t.Errorf("Short() = %q", c1.Short())
	}
	if got := (ConfirmationCode{0xff, 0xff}).Short(); got != "777Q-AAAA-AAAA-AAAA" {
		t.Errorf("Short(ffff00…) = %q, want 777Q-AAAA-AAAA-AAAA", got)
	}
	if len(c1.String()) != 64 {
		t.Errorf("String() = %q", c1.String())
	}
	code := ConfirmationCode{0x0c, 0xff}
	s := code.Short() // "BT7Q-AAAA-AAAA-AAAA"
	for _, typed := range []string{s, "bt7q aaaa aaaa aaaa", "8T7Q-AAAA-AAAA-AAAA", "bt7qaaaaaaaaaaaa"} {
		if !code.MatchesShort(typed) {
			t.Errorf("MatchesShort(%q) = false for %s", typed, s)
		}
	}
	if code.MatchesShort("BT7Q-AAAA-AAAA-AAAB") || code.MatchesShort("BT7Q-AAAA-AAAA") {
		t.Error("MatchesShort accepts a wrong code")
	}
}

// TestProofContext recomputes the proof context from its definition in
// docs/spec/ballot.md §4.2.
func TestProofContext(t *testing.T) {
	base := sha256.Sum256([]byte("base"))
	cred, _ := testKey("voter 0")
	prev := ConfirmationCode(sha256.Sum256([]byte("prev")))
	for _, tt := range []struct {
		contest, option int
		tail            []byte // u32be(contest) || tag || u32be(option)
	}{
		{0, 0, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{2, 5, []byte{0, 0, 0, 2, 0, 0, 0, 0, 5}},
		{99, 255, []byte{0, 0, 0, 99, 0, 0, 0, 0, 255}},
		{3, SumOption, []byte{0, 0, 0, 3, 1, 0, 0, 0, 0}},
	} {
		msg := []byte("evote/v1/ballot/proof-ctx\x00")
		msg = append(msg, base[:]...)
		msg = append(msg, cred...)
		msg = append(msg, prev[:]...)
		msg = append(msg, tt.tail...)
		want := sha256.Sum256(msg)
		if got := ProofContext(base, cred, prev, tt.contest, tt.option); !bytes.Equal(got, want[:]) {
			t.Errorf("ProofContext(…, %d, %d) = %x, want %x", tt.contest, tt.option, got, want)
		}
		other := prev
		other[31] ^= 1
		if bytes.Equal(ProofContext(base, cred, other, tt.contest, tt.option), want[:]) {
			t.Errorf("ProofContext(…, %d, %d) does not depend on prev", tt.contest, tt.option)
		}
	}
}

// TestPrevBoundToProofs: the ciphertexts and proofs of a ballot, posted
// again under another prev (re-encoded, and re-signed by the same
// credential, as a record would be), fail both VerifyBallot and the batch
// verifier, which name the first proof.
func TestPrevBoundToProofs(t *testing.T) {
	e, vs, ch := sampleElection(t)
	cred := vs[0].Public
	first, _ := mustEncrypt(t, e, cred, ch, ConfirmationCode{})
	b, _ := mustEncrypt(t, e, cred, ch, first.ConfirmationCode())
	if err := VerifyBallot(e, b, cred); err != nil {
		t.Fatalf("VerifyBallot(chained ballot) = %v", err)
	}
	proofs := 0
	for _, c := range b.Contests {
		proofs += len(c.Options) + 1
	}
	flipped := b.Prev
	flipped[0] ^= 1
	for name, prev := range map[string]ConfirmationCode{
		"zero prev":        {},
		"one bit changed":  flipped,
		"another ballot's": b.ConfirmationCode(),
		"all ones":         ConfirmationCode(bytes.Repeat([]byte{0xff}, 32)),
	} {
		t.Run(name, func(t *testing.T) {
			x := clone(t, b)
			x.Prev = prev
			x = clone(t, x) // the record carries the re-encoded ballot
			msg := x.Marshal()
			if sig := ed25519.Sign(vs[0].Private, msg); !ed25519.Verify(x.Credential, msg, sig) {
				t.Fatal("the re-signed record does not verify")
			}
			wantProofError(t, VerifyBallot(e, x, cred), 0, 0)

			bb := NewBallotBatch(e)
			for _, y := range []*EncryptedBallot{b, x} {
				if _, err := bb.Add(y, cred); err != nil {
					t.Fatalf("Add = %v", err)
				}
			}
			err := bb.Verify()
			var be *BatchError
			if !errors.As(err, &be) || !errors.Is(err, ErrBadProof) {
				t.Fatalf("batch Verify = %v, want a *BatchError", err)
			}
			if got := be.Ballots(); len(got) != 1 || got[0] != 1 {
				t.Fatalf("batch names ballots %v, want [1]: %v", got, err)
			}
			if f := be.Failures[0]; f.Err.Contest != 0 || f.Err.Option != 0 {
				t.Errorf("batch names (%d, %d) first, want (0, 0)", f.Err.Contest, f.Err.Option)
			}
			if len(be.Failures) != proofs {
				t.Errorf("batch found %d invalid proofs, want all %d of the ballot", len(be.Failures), proofs)
			}
		})
	}
}

// TestParseStoredBallot checks that a ballot parsed without its proofs has
// the same ciphertexts, fields and confirmation code as when parsed whole,
// and that no verifier takes it for a checked ballot.
func TestParseStoredBallot(t *testing.T) {
	vs := voters(1)
	e := newTestElection(t, manifestKofN(t, 3, 2), vs)
	b, _ := mustEncrypt(t, e, vs[0].Public, Choices{{1, 0, 1}}, ConfirmationCode{})
	data := b.Marshal()
	whole, err := ParseEncryptedBallot(data)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := ParseStoredBallot(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(whole.EncodedCiphertexts(), stored.EncodedCiphertexts(), bytes.Equal) ||
		whole.Election != stored.Election || !bytes.Equal(whole.Credential, stored.Credential) || whole.Prev != stored.Prev {
		t.Fatal("the ballot parsed without proofs differs from the ballot parsed whole")
	}
	if ConfirmationCodeOf(data) != whole.ConfirmationCode() {
		t.Fatal("the confirmation code of the payload is not the ballot's")
	}
	if err := VerifyBallot(e, stored, vs[0].Public); err == nil {
		t.Error("VerifyBallot accepted a ballot parsed without its proofs")
	}
	if _, err := ParseStoredBallot(data[:len(data)-3]); err == nil {
		t.Error("ParseStoredBallot accepted a truncated ballot")
	}
}
