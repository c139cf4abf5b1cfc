package ballot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/evote/evote/internal/strictjson"
	"slices"

	"github.com/evote/evote/crypto"
)

// ChallengedBallot is a ballot the voter chose to audit instead of casting
// (the Benaloh challenge, docs/spec/ballot.md §5): the ballot, the choices
// the voter made and the randomness of every option ciphertext. It is
// posted on the board and never counted. Choices and Randomness have an
// entry per contest of the ballot (of its style, §1.6), as Ballot.Contests;
// so do WriteIns and WriteInRandomness, the text and the randomness of
// every text ciphertext of each contest with a write-in ("" and nil for
// the others), when the ballot carries a write-in, and they are nil
// otherwise.
type ChallengedBallot struct {
	Ballot            *EncryptedBallot
	Choices           Choices
	Randomness        [][]*crypto.Scalar
	WriteIns          []string
	WriteInRandomness [][]*crypto.Scalar
}

// ErrChallengeMismatch is wrapped by a *ChallengeError.
var ErrChallengeMismatch = errors.New("ciphertext does not encrypt the claimed choice with the revealed randomness")

// ChallengeError names the option whose ciphertext does not re-encrypt.
type ChallengeError struct {
	Contest   int
	ContestID string
	Option    int
	OptionID  string
	// WriteInText is, for a write-in text ciphertext, its index plus one
	// (Option is then not an option); 0 otherwise.
	WriteInText int
}

// Error names the contest and option (or write-in text ciphertext) whose
// ciphertext does not match.
func (e *ChallengeError) Error() string {
	if e.WriteInText > 0 {
		return fmt.Sprintf("challenged %swrite-in text %d: %v", where(e.Contest, e.ContestID, wholeContest, ""), e.WriteInText-1, ErrChallengeMismatch)
	}
	return "challenged " + where(e.Contest, e.ContestID, e.Option, e.OptionID) + ErrChallengeMismatch.Error()
}

// Unwrap returns ErrChallengeMismatch.
func (e *ChallengeError) Unwrap() error { return ErrChallengeMismatch }

// Challenge reveals b's secrets: the result may be published, and b must
// then never be cast.
func Challenge(b *EncryptedBallot, s *BallotSecrets) *ChallengedBallot {
	c := &ChallengedBallot{Ballot: b}
	texts := false
	for i := range s.Choices {
		if len(s.Choices[i]) > 0 { // on the ballot
			c.Choices = append(c.Choices, s.Choices[i])
			c.Randomness = append(c.Randomness, s.Randomness[i])
			var text string
			var rs []*crypto.Scalar
			if s.WriteIns != nil {
				text = s.WriteIns[i]
			}
			if s.WriteInRandomness != nil {
				rs = s.WriteInRandomness[i]
			}
			texts = texts || rs != nil
			c.WriteIns, c.WriteInRandomness = append(c.WriteIns, text), append(c.WriteInRandomness, rs)
		}
	}
	if !texts {
		c.WriteIns, c.WriteInRandomness = nil, nil
	}
	return c
}

// ManifestChoices returns c's choices shaped like e's contests, as
// ValidateChoices and Encrypt take them: nil for the contests not on its
// voter's ballot style. It fails if c does not have a choice per contest
// of that style.
func (c *ChallengedBallot) ManifestChoices(e *Election) (Choices, error) {
	v, ok := e.Voter(c.Ballot.Credential)
	if !ok {
		return nil, fmt.Errorf("challenged ballot: %w", ErrNotEligible)
	}
	if len(c.Choices) != len(v.Contests) {
		return nil, fmt.Errorf("challenged ballot: %w: %d contests of choices, the ballot of style %q has %d", ErrShape, len(c.Choices), v.Style, len(v.Contests))
	}
	return c.manifestChoices(e.Manifest, v), nil
}

// ManifestWriteIns returns c's revealed write-ins shaped like e's
// contests, as EncryptWriteIns takes them; nil if c reveals none.
func (c *ChallengedBallot) ManifestWriteIns(e *Election) WriteIns {
	v, ok := e.Voter(c.Ballot.Credential)
	if !ok || c.WriteIns == nil || len(c.WriteIns) != len(v.Contests) {
		return nil
	}
	out := make(WriteIns, len(e.Manifest.Contests))
	for j, i := range v.Contests {
		out[i] = c.WriteIns[j]
	}
	return out
}

// manifestChoices returns c's choices shaped like m's contests, as
// ValidateChoices takes them: nil for the contests not on a ballot of
// style v.
func (c *ChallengedBallot) manifestChoices(m *Manifest, v Voter) Choices {
	out := make(Choices, len(m.Contests))
	for j, i := range v.Contests {
		out[i] = c.Choices[j]
	}
	return out
}

// VerifyChallenge checks a challenged ballot against election e: the
// ballot's version, base hash, eligibility and shape as in VerifyBallot
// (not its proofs, which a revealed ballot makes moot), the shape of the
// revealed choices and randomness, that every ciphertext is the encryption
// of the claimed count with the revealed randomness (a *ChallengeError
// otherwise) and that the claimed choices are valid (a *ChoiceError).
func VerifyChallenge(e *Election, c *ChallengedBallot) error {
	b := c.Ballot
	v, err := checkBallot(e, b)
	if err != nil {
		return fmt.Errorf("challenged %w", err)
	}
	m := e.Manifest
	if len(c.Choices) != len(v.Contests) || len(c.Randomness) != len(v.Contests) {
		return fmt.Errorf("challenged ballot: %w: %d contests of choices and %d of randomness, the ballot has %d",
			ErrShape, len(c.Choices), len(c.Randomness), len(v.Contests))
	}
	for j, i := range v.Contests {
		mc := &m.Contests[i]
		if len(c.Choices[j]) != len(mc.Options) || len(c.Randomness[j]) != len(mc.Options) {
			return fmt.Errorf("challenged ballot: %s%w: %d choices and %d randomness values, the manifest has %d options",
				where(i, mc.ID, wholeContest, ""), ErrShape, len(c.Choices[j]), len(c.Randomness[j]), len(mc.Options))
		}
		for k := range mc.Options {
			r := c.Randomness[j][k]
			if r == nil || e.PublicKey.EncryptWithRandomness(c.Choices[j][k], r).Equal(b.Contests[j].Options[k].Ciphertext) != 1 {
				return &ChallengeError{Contest: i, ContestID: mc.ID, Option: k, OptionID: mc.Options[k].ID}
			}
		}
	}
	if err := c.verifyTexts(e, v); err != nil {
		return err
	}
	choices := c.manifestChoices(m, v)
	if err := ValidateChoices(m, choices); err != nil {
		return fmt.Errorf("challenged ballot: claimed choices: %w", err)
	}
	if err := ValidateWriteIns(m, choices, c.ManifestWriteIns(e)); err != nil {
		return fmt.Errorf("challenged ballot: claimed write-ins: %w", err)
	}
	return nil
}

// verifyTexts checks that every write-in text ciphertext of c's ballot,
// of v's style, encrypts the claimed text's elements (crypto.EncodeText)
// with the revealed randomness (a *ChallengeError naming the contest
// otherwise), and that c reveals texts exactly for a ballot carrying a
// write-in.
func (c *ChallengedBallot) verifyTexts(e *Election, v Voter) error {
	carries := slices.ContainsFunc(c.Ballot.Contests, func(bc EncryptedContest) bool { return bc.WriteIn != nil })
	if (c.WriteIns != nil) != carries || c.WriteIns != nil && (len(c.WriteIns) != len(v.Contests) || len(c.WriteInRandomness) != len(v.Contests)) {
		return fmt.Errorf("challenged ballot: %w: %w: the revealed write-ins do not fit the ballot's", ErrShape, ErrWriteIn)
	}
	for j, i := range v.Contests {
		mc := &e.Manifest.Contests[i]
		w := c.Ballot.Contests[j].WriteIn
		if w == nil {
			if c.WriteIns != nil && (c.WriteIns[j] != "" || c.WriteInRandomness[j] != nil) {
				return fmt.Errorf("challenged ballot: %s%w: %w: a write-in revealed for a contest without one", where(i, mc.ID, wholeContest, ""), ErrShape, ErrWriteIn)
			}
			continue
		}
		rs := c.WriteInRandomness[j]
		elems, err := crypto.EncodeText(c.WriteIns[j], len(w))
		if err != nil || len(rs) != len(w) {
			return fmt.Errorf("challenged ballot: %s%w: %w: the claimed text %q in %d ciphertexts with %d randomness values: %v", where(i, mc.ID, wholeContest, ""), ErrShape, ErrWriteIn, c.WriteIns[j], len(w), len(rs), err)
		}
		for k, m := range elems {
			if rs[k] == nil || e.PublicKey.EncryptElementWithRandomness(m, rs[k]).Equal(w[k].Ciphertext) != 1 {
				return &ChallengeError{Contest: i, ContestID: mc.ID, Option: wholeContest, WriteInText: k + 1}
			}
		}
	}
	return nil
}

// challengeJSON is the canonical JSON layout (docs/spec/ballot.md §5.1).
type challengeJSON struct {
	Version    string          `json:"version"`
	Ballot     json.RawMessage `json:"ballot"`
	Choices    [][]uint64      `json:"choices"`
	Randomness [][]byte        `json:"randomness"`
	WriteIns   []writeInReveal `json:"write_ins,omitempty"`
}

// writeInReveal is the revealed write-in of one contest of a challenged
// ballot (docs/spec/ballot.md §5.1).
type writeInReveal struct {
	Contest    int    `json:"contest"`
	Text       string `json:"text"`
	Randomness []byte `json:"randomness"`
}

// scalarsBlob returns the concatenated encodings of rs.
func scalarsBlob(rs []*crypto.Scalar) []byte {
	blob := make([]byte, 0, len(rs)*crypto.ScalarSize)
	for _, r := range rs {
		blob = append(blob, r.Bytes()...)
	}
	return blob
}

// parseScalars parses n concatenated scalar encodings.
func parseScalars(blob []byte, n int) ([]*crypto.Scalar, error) {
	if len(blob) != n*crypto.ScalarSize {
		return nil, fmt.Errorf("%d bytes of randomness for %d values", len(blob), n)
	}
	out := make([]*crypto.Scalar, n)
	for k := range out {
		r, err := crypto.NewScalar().SetCanonicalBytes(blob[k*crypto.ScalarSize : (k+1)*crypto.ScalarSize])
		if err != nil {
			return nil, fmt.Errorf("randomness %d: %w", k, err)
		}
		out[k] = r
	}
	return out, nil
}

// Marshal returns the canonical JSON encoding of c (docs/spec/ballot.md
// §5.1). The randomness of each contest is one base64 blob of its scalars'
// 32-byte encodings, in option order.
func (c *ChallengedBallot) Marshal() []byte {
	j := challengeJSON{
		Version:    Version,
		Ballot:     c.Ballot.Marshal(),
		Choices:    c.Choices,
		Randomness: make([][]byte, len(c.Randomness)),
	}
	for i, rs := range c.Randomness {
		j.Randomness[i] = scalarsBlob(rs)
	}
	for i, rs := range c.WriteInRandomness {
		if rs != nil {
			j.WriteIns = append(j.WriteIns, writeInReveal{Contest: i, Text: c.WriteIns[i], Randomness: scalarsBlob(rs)})
		}
	}
	out, err := marshalCompact(j)
	if err != nil {
		panic("ballot: marshal challenged ballot: " + err.Error())
	}
	return out
}

// ParseChallengedBallot parses the canonical encoding of a challenged
// ballot; errors wrap ErrMalformed. VerifyChallenge checks the rest.
func ParseChallengedBallot(data []byte) (*ChallengedBallot, error) {
	c, err := parseChallenge(data)
	if err != nil {
		return nil, fmt.Errorf("challenged ballot: %w: %w", ErrMalformed, err)
	}
	return c, nil
}

func parseChallenge(data []byte) (*ChallengedBallot, error) {
	var j challengeJSON
	if err := strictjson.Unmarshal(data, &j); err != nil {
		return nil, err
	}
	if j.Version != Version {
		return nil, fmt.Errorf("version %q, want %q", j.Version, Version)
	}
	b, err := parseBallot(j.Ballot, true)
	if err != nil {
		return nil, fmt.Errorf("ballot: %w", err)
	}
	if len(j.Choices) != len(b.Contests) || len(j.Randomness) != len(b.Contests) {
		return nil, fmt.Errorf("%d contests of choices and %d of randomness for a ballot of %d", len(j.Choices), len(j.Randomness), len(b.Contests))
	}
	c := &ChallengedBallot{Ballot: b, Choices: j.Choices, Randomness: make([][]*crypto.Scalar, len(j.Randomness))}
	for i, blob := range j.Randomness {
		n := len(b.Contests[i].Options)
		if len(c.Choices[i]) != n {
			return nil, fmt.Errorf("contest %d: %d choices for %d options", i, len(c.Choices[i]), n)
		}
		if c.Randomness[i], err = parseScalars(blob, n); err != nil {
			return nil, fmt.Errorf("contest %d: %w", i, err)
		}
	}
	if len(j.WriteIns) > 0 {
		c.WriteIns, c.WriteInRandomness = make([]string, len(b.Contests)), make([][]*crypto.Scalar, len(b.Contests))
	}
	for _, w := range j.WriteIns {
		if w.Contest < 0 || w.Contest >= len(b.Contests) || b.Contests[w.Contest].WriteIn == nil || c.WriteInRandomness[w.Contest] != nil {
			return nil, fmt.Errorf("write-in revealed for contest %d, which carries none or was revealed already", w.Contest)
		}
		if c.WriteInRandomness[w.Contest], err = parseScalars(w.Randomness, len(b.Contests[w.Contest].WriteIn)); err != nil {
			return nil, fmt.Errorf("contest %d write-in: %w", w.Contest, err)
		}
		c.WriteIns[w.Contest] = w.Text
	}
	if !bytes.Equal(c.Marshal(), data) {
		return nil, errors.New("not in canonical form (docs/spec/ballot.md §5.1)")
	}
	return c, nil
}
