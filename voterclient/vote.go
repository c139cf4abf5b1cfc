package voterclient

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally/ranked"
)

// LoadCredential parses a voter's credential file and checks it against
// the election: the same election id and a key on the voter roll.
func LoadCredential(e *Election, data []byte) (*ballot.Credential, error) {
	cred, err := ballot.ParseCredential(bytes.TrimSpace(data))
	if err != nil {
		return nil, problemKey(CodeBadCredential, err, "client.problem.not-credential")
	}
	if e == nil || e.Manifest == nil {
		return cred, nil
	}
	if cred.Election != e.Manifest.ID {
		return nil, wrongElection(e, cred)
	}
	if _, ok := e.RollEntry(cred.Public); !ok {
		return nil, problemKey(CodeIneligible, nil, "client.problem.not-on-roll", cred.Voter, e.Manifest.Title)
	}
	return cred, nil
}

// Prepared is a ballot encrypted on this device, waiting for the voter to
// cast or challenge it. It holds the ballot's secrets (its randomness) until
// one of the two happens: a cast ballot's secrets are erased, a challenged
// ballot's are published; either way the Prepared can be used only once.
type Prepared struct {
	// Ballot is the encrypted ballot.
	Ballot *ballot.EncryptedBallot
	// Code is its confirmation code, shown to the voter before they choose.
	Code ballot.ConfirmationCode

	cred    *ballot.Credential
	secrets *ballot.BallotSecrets
}

// Prepare validates choices against the contests' rules and encrypts them
// for the voter with credential cred, with the zero-knowledge proofs that
// they are valid, chained to the device's previous confirmation code prev
// (zero for the device's first ballot). The returned ballot's Code becomes
// the device's next prev.
func Prepare(e *Election, cred *ballot.Credential, choices ballot.Choices, prev ballot.ConfirmationCode) (*Prepared, error) {
	return PrepareWriteIns(e, cred, choices, nil, prev)
}

// PrepareWriteIns is Prepare with the names the voter writes in
// (ballot.EncryptWriteIns): one per contest in definition order, "" where
// none is written, or nil for none at all.
func PrepareWriteIns(e *Election, cred *ballot.Credential, choices ballot.Choices, writeIns ballot.WriteIns, prev ballot.ConfirmationCode) (*Prepared, error) {
	if err := checkOpen(e); err != nil {
		return nil, err
	}
	if err := ballot.ValidateChoices(e.Manifest, choices); err != nil {
		return nil, explainChoices(e.Manifest, err)
	}
	if err := ballot.ValidateWriteIns(e.Manifest, choices, writeIns); err != nil {
		return nil, explainWriteIn(e.Manifest, choices, writeIns, err)
	}
	b, secrets, err := ballot.EncryptWriteIns(e.Ballot, cred.Public, choices, writeIns, prev)
	if errors.Is(err, ballot.ErrStyle) {
		return nil, problemKey(CodeInvalidChoices, err, "client.problem.style")
	}
	if errors.Is(err, ballot.ErrNotEligible) {
		return nil, problemKey(CodeIneligible, err, "client.problem.not-eligible")
	}
	if err != nil {
		return nil, problemKey(CodeBadInput, err, "client.problem.encrypt")
	}
	return &Prepared{Ballot: b, Code: b.ConfirmationCode(), cred: cred, secrets: secrets}, nil
}

// checkOpen checks that ballots can be made for e.
func checkOpen(e *Election) error {
	switch {
	case e == nil || e.Manifest == nil:
		return problemKey(CodeNotOpen, nil, "client.problem.no-election")
	case e.Phase >= election.Closed:
		return problemKey(CodeClosed, nil, "client.problem.closed", e.Manifest.Title)
	case e.Ballot == nil || e.Phase != election.Open:
		return problemKey(CodeNotOpen, nil, "client.problem.not-open", e.Manifest.Title, e.Manifest.Opens.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return nil
}

// explainWriteIn turns a refusal of ValidateWriteIns of choices and
// writeIns into plain words.
func explainWriteIn(m *ballot.Manifest, choices ballot.Choices, writeIns ballot.WriteIns, err error) error {
	var ce *ballot.ChoiceError
	if !errors.As(err, &ce) || ce.Contest < 0 || m.Contests[ce.Contest].WriteIn == nil || len(choices[ce.Contest]) == 0 {
		return problemKey(CodeBadInput, err, "client.problem.write-in-shape")
	}
	c := &m.Contests[ce.Contest]
	slot := c.Options[c.WriteIn.Option].Title
	text := ""
	if writeIns != nil {
		text = writeIns[ce.Contest]
	}
	switch selected := choices[ce.Contest][c.WriteIn.Option] == 1; {
	case selected && text == "":
		return problemKey(CodeInvalidChoices, err, "client.problem.write-in-no-name", c.Title, slot)
	case !selected:
		return problemKey(CodeInvalidChoices, err, "client.problem.write-in-not-selected", c.Title, slot)
	}
	return problemKey(CodeInvalidChoices, err, "client.problem.write-in-text", c.Title, ce.Detail, c.WriteIn.MaxBytes)
}

// explainChoices turns a *ballot.ChoiceError into plain words: which
// contest, which option or rank.
func explainChoices(m *ballot.Manifest, err error) error {
	var ce *ballot.ChoiceError
	if !errors.As(err, &ce) || ce.Contest < 0 || errors.Is(err, ballot.ErrShape) {
		return problemKey(CodeBadInput, err, "client.problem.shape")
	}
	c := &m.Contests[ce.Contest]
	var re *ranked.RankError
	switch {
	case errors.As(err, &re) && re.Shared:
		return problemKey(CodeInvalidChoices, err, "client.problem.rank-shared", c.Title, re.Rank, c.Options[re.Candidates[0]].Title, c.Options[re.Candidates[1]].Title)
	case errors.As(err, &re) && re.Missing:
		return problemKey(CodeInvalidChoices, err, "client.problem.rank-missing", c.Title, re.Rank, re.Top)
	case errors.Is(err, ballot.ErrRanking), c.Ranked() && errors.Is(err, ballot.ErrOptionMax):
		return problemKey(CodeInvalidChoices, err, "client.problem.ranking", c.Title, c.MaxSelections)
	case errors.Is(err, ballot.ErrOptionMax):
		return problemKey(CodeInvalidChoices, err, "client.problem.option-max", c.Title, c.Options[ce.Option].Title, c.OptionMax)
	case errors.Is(err, ballot.ErrTooMany):
		return problemKey(CodeInvalidChoices, err, plural(c.OptionMax, "client.problem.too-many", "client.problem.too-many-points"), c.Title, c.MaxSelections)
	case errors.Is(err, ballot.ErrTooFew):
		return problemKey(CodeInvalidChoices, err, plural(c.OptionMax, "client.problem.too-few", "client.problem.too-few-points"), c.Title, c.MinSelections)
	}
	return problemKey(CodeInvalidChoices, err, "client.problem.choices", c.Title)
}

// CastSubmission returns the signed record that casts the ballot, and
// erases the ballot's secrets: once it is sent it can no longer be
// challenged. It fails if the ballot was already cast or challenged.
func (p *Prepared) CastSubmission() (*bulletin.Submission, error) {
	if p.cred == nil {
		return nil, problemKey(CodeNoBallot, nil, "client.problem.used")
	}
	sub, err := election.NewSubmission(election.KeySigner(p.cred.Private), election.TypeBallot, p.Ballot)
	if err != nil {
		return nil, problemKey(CodeBadInput, err, "client.problem.sign-ballot")
	}
	p.cred, p.secrets = nil, nil
	return sub, nil
}

// ChallengeSubmission returns the signed record that challenges the ballot:
// the ballot with its choices and randomness, for anyone to check and never
// counted. After it the ballot can no longer be cast.
func (p *Prepared) ChallengeSubmission() (*bulletin.Submission, error) {
	if p.cred == nil {
		return nil, problemKey(CodeNoBallot, nil, "client.problem.used")
	}
	sub, err := election.NewSubmission(election.KeySigner(p.cred.Private), election.TypeChallenge, ballot.Challenge(p.Ballot, p.secrets))
	if err != nil {
		return nil, problemKey(CodeBadInput, err, "client.problem.sign-challenge")
	}
	p.cred, p.secrets = nil, nil
	return sub, nil
}

// Revealed is what a challenged ballot encrypts, recovered from its
// published randomness.
type Revealed struct {
	// Code is the challenged ballot's confirmation code.
	Code ballot.ConfirmationCode
	// Choices are the counts recovered from the ciphertexts.
	Choices ballot.Choices
	// WriteIns are the names written in, which the text ciphertexts
	// encrypt, per contest ("" for none); nil if the ballot writes none.
	WriteIns ballot.WriteIns
}

// RevealChallenge checks a challenged ballot (the payload of a
// challenged-ballot record) against the election and recovers what it
// encrypts: for every option, M = B − r·K with the revealed randomness r and
// the election key K, then the count v with v·G = M. It fails unless every
// ciphertext decrypts to the choices the ballot claims and ballot.
// VerifyChallenge accepts it, so a device that encrypted something other
// than what the voter marked is caught here.
func RevealChallenge(e *Election, payload []byte) (*Revealed, error) {
	if e == nil || e.Ballot == nil {
		return nil, problemKey(CodeNotOpen, nil, "client.problem.challenge-no-key")
	}
	c, err := ballot.ParseChallengedBallot(payload)
	if err != nil {
		return nil, problemKey(CodeBadChallenge, err, "client.problem.challenge-damaged")
	}
	m := e.Manifest
	v, ok := e.Ballot.Voter(c.Ballot.Credential)
	if !ok {
		return nil, problemKey(CodeBadChallenge, nil, "client.problem.challenge-not-on-roll")
	}
	if len(c.Ballot.Contests) != len(v.Contests) || len(c.Randomness) != len(v.Contests) {
		return nil, problemKey(CodeBadChallenge, nil, "client.problem.challenge-style")
	}
	k := e.Ballot.PublicKey.Element()
	out := make(ballot.Choices, len(m.Contests)) // nil for the contests not on the voter's ballot
	for j, i := range v.Contests {
		mc := &m.Contests[i]
		if len(c.Ballot.Contests[j].Options) != len(mc.Options) || len(c.Randomness[j]) != len(mc.Options) {
			return nil, problemKey(CodeBadChallenge, nil, "client.problem.challenge-shape")
		}
		out[i] = make([]uint64, len(mc.Options))
		for o := range mc.Options {
			ct := c.Ballot.Contests[j].Options[o].Ciphertext
			rK := crypto.NewElement().ScalarMult(c.Randomness[j][o], k)
			msg := crypto.NewElement().Subtract(&ct.B, rK)
			v, ok := smallLog(msg, uint64(mc.OptionMax))
			if !ok {
				return nil, problemKey(CodeBadChallenge, nil, "client.problem.challenge-option", mc.Title, mc.Options[o].Title)
			}
			out[i][o] = v
		}
	}
	if err := ballot.VerifyChallenge(e.Ballot, c); err != nil {
		return nil, problemKey(CodeBadChallenge, err, "client.problem.challenge-dishonest")
	}
	for j, i := range v.Contests {
		for o := range out[i] {
			if out[i][o] != c.Choices[j][o] {
				return nil, problemKey(CodeBadChallenge, nil, "client.problem.challenge-claims")
			}
		}
	}
	// VerifyChallenge checked that the text ciphertexts encrypt the names
	// claimed.
	return &Revealed{Code: c.Ballot.ConfirmationCode(), Choices: out, WriteIns: c.ManifestWriteIns(e.Ballot)}, nil
}

// smallLog returns v ≤ max with v·G = m.
func smallLog(m *crypto.Element, max uint64) (uint64, bool) {
	g := crypto.NewGeneratorElement()
	acc := crypto.NewElement()
	for v := uint64(0); v <= max; v++ {
		if acc.Equal(m) == 1 {
			return v, true
		}
		acc.Add(acc, g)
	}
	return 0, false
}

// ParseCode parses a confirmation code in its full hexadecimal form; the
// empty string is the zero code of a device's first ballot.
func ParseCode(s string) (ballot.ConfirmationCode, error) {
	var c ballot.ConfirmationCode
	if s == "" {
		return c, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(c) {
		return c, fmt.Errorf("confirmation code %q is not 64 hexadecimal digits", s)
	}
	copy(c[:], b)
	return c, nil
}

// Posted checks the board's answer to POST /records of sub: on success
// (status 201) that the record it returns is sub, placed in the log, and
// that the receipt is for that record; on failure it explains the board's
// refusal in plain words. vkey, if not empty, is the board's key, and the
// receipt's signature and inclusion proof are then checked too.
func Posted(sub *bulletin.Submission, status int, body []byte, vkey string) (*bulletin.Record, *bulletin.Receipt, error) {
	if status != 201 {
		return nil, nil, BoardError(status, body)
	}
	var resp bulletin.AppendResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, nil, badBoard(err, "its answer to the ballot is not readable")
	}
	rec, err := bulletin.ParseRecord(resp.Record)
	if err != nil {
		return nil, nil, badBoard(err, "its answer to the ballot is not readable")
	}
	if !sub.Holds(rec) {
		return nil, nil, badBoard(nil, "the record it stored is not the ballot this page sent")
	}
	receipt, err := bulletin.ParseReceipt([]byte(resp.Receipt))
	if err != nil {
		return nil, nil, badBoard(err, "its receipt is not readable")
	}
	if !receipt.Matches(rec) {
		return nil, nil, badBoard(nil, "its receipt is for another record")
	}
	if vkey != "" {
		if _, _, err := verifyReceipt(receipt, vkey); err != nil {
			return nil, nil, err
		}
	}
	return rec, receipt, nil
}

// BoardError explains a board's refusal (an HTTP error status and the JSON
// error body, docs/spec/bulletin.md §8) in plain words.
func BoardError(status int, body []byte) *Problem {
	var e bulletin.ErrorResponse
	_ = json.Unmarshal(body, &e)
	err := fmt.Errorf("HTTP %d: %s (%s)", status, e.Error, e.Code)
	switch {
	case status == 429 || status == 503:
		return problemKey(CodeBusy, err, "client.problem.busy")
	case e.Code == election.CodeWrongPhase:
		return problemKey(CodeClosed, err, "client.problem.board-not-open")
	case e.Code == election.CodeIneligible:
		return problemKey(CodeIneligible, err, "client.problem.board-ineligible")
	case e.Code == bulletin.CodeDuplicate:
		return problemKey(CodeDuplicate, err, "client.problem.duplicate")
	case status >= 500:
		return problemKey(CodeUnreachable, err, "client.problem.board-internal")
	}
	return problemKey(CodeRejected, err, "client.problem.rejected", e.Error)
}
