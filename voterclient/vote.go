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
)

// LoadCredential parses a voter's credential file and checks it against
// the election: the same election id and a key on the voter roll.
func LoadCredential(e *Election, data []byte) (*ballot.Credential, error) {
	cred, err := ballot.ParseCredential(bytes.TrimSpace(data))
	if err != nil {
		return nil, problem(CodeBadCredential, err, "This file is not a voter credential, or it is damaged. Choose your credential file, as the registrar gave it or as you made it, unchanged.")
	}
	if e == nil || e.Manifest == nil {
		return cred, nil
	}
	if cred.Election != e.Manifest.ID {
		return nil, problem(CodeWrongElection, nil, "This credential is for the election %q, but this board runs %q (%s). Open the page of your own election.", cred.Election, e.Manifest.ID, e.Manifest.Title)
	}
	if _, ok := e.RollEntry(cred.Public); !ok {
		return nil, problem(CodeIneligible, nil, "This credential (voter %s) is not on the voter roll of %q, so a ballot signed with it would be refused. Ask the election's registrar.", cred.Voter, e.Manifest.Title)
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
		return nil, problem(CodeInvalidChoices, err, "Your choices do not fit your ballot: the registrar gave you the ballot with only some of this election's contests, and the choices are for others. Reload the page and mark your choices again.")
	}
	if errors.Is(err, ballot.ErrNotEligible) {
		return nil, problem(CodeIneligible, err, "This credential is not on the voter roll of this election, so a ballot signed with it would be refused. Ask the election's registrar.")
	}
	if err != nil {
		return nil, problem(CodeBadInput, err, "Your ballot could not be encrypted. Reload the page and try again.")
	}
	return &Prepared{Ballot: b, Code: b.ConfirmationCode(), cred: cred, secrets: secrets}, nil
}

// checkOpen checks that ballots can be made for e.
func checkOpen(e *Election) error {
	switch {
	case e == nil || e.Manifest == nil:
		return problem(CodeNotOpen, nil, "This board does not hold an election yet.")
	case e.Phase >= election.Closed:
		return problem(CodeClosed, nil, "Voting in %q has closed; no more ballots are accepted.", e.Manifest.Title)
	case e.Ballot == nil || e.Phase != election.Open:
		return problem(CodeNotOpen, nil, "Voting in %q has not opened yet (opening is planned for %s UTC). Come back then.", e.Manifest.Title, e.Manifest.Opens.Format("2 January 2006 15:04"))
	}
	return nil
}

// explainWriteIn turns a refusal of ValidateWriteIns of choices and
// writeIns into plain words.
func explainWriteIn(m *ballot.Manifest, choices ballot.Choices, writeIns ballot.WriteIns, err error) error {
	var ce *ballot.ChoiceError
	if !errors.As(err, &ce) || ce.Contest < 0 || m.Contests[ce.Contest].WriteIn == nil || len(choices[ce.Contest]) == 0 {
		return problem(CodeBadInput, err, "The page sent write-ins that do not fit this election's contests or your ballot. Reload the page and mark your choices again.")
	}
	c := &m.Contests[ce.Contest]
	slot := c.Options[c.WriteIn.Option].Title
	text := ""
	if writeIns != nil {
		text = writeIns[ce.Contest]
	}
	switch selected := choices[ce.Contest][c.WriteIn.Option] == 1; {
	case selected && text == "":
		return problem(CodeInvalidChoices, err, "In %q you selected %q but wrote no name. Write the name in, or choose another option.", c.Title, slot)
	case !selected:
		return problem(CodeInvalidChoices, err, "In %q you wrote a name but did not select %q. Select it to vote for the name, or clear the name.", c.Title, slot)
	}
	return problem(CodeInvalidChoices, err, "In %q the name you wrote cannot be taken (%s): write plain text of at most %d bytes, without line breaks or invisible characters.", c.Title, ce.Detail, c.WriteIn.MaxBytes)
}

// explainChoices turns a *ballot.ChoiceError into plain words.
func explainChoices(m *ballot.Manifest, err error) error {
	var ce *ballot.ChoiceError
	if !errors.As(err, &ce) || ce.Contest < 0 || errors.Is(err, ballot.ErrShape) {
		return problem(CodeBadInput, err, "The page sent choices that do not fit this election's contests. Reload the page and mark your choices again.")
	}
	c := &m.Contests[ce.Contest]
	unit, units := "option", "options"
	if c.OptionMax > 1 {
		unit, units = "point", "points"
	}
	switch {
	case errors.Is(err, ballot.ErrRanking):
		return problem(CodeInvalidChoices, err, "In %q your ranks are not a ranking. %s", c.Title, Rule(c))
	case c.Ranked() && errors.Is(err, ballot.ErrOptionMax):
		return problem(CodeInvalidChoices, err, "In %q, %q got a rank above %d, the last rank. %s", c.Title, c.Options[ce.Option].Title, c.MaxSelections, Rule(c))
	case errors.Is(err, ballot.ErrOptionMax):
		return problem(CodeInvalidChoices, err, "In %q, %q got more than %d %s; give it at most %d.", c.Title, c.Options[ce.Option].Title, c.OptionMax, plural(c.OptionMax, unit, units), c.OptionMax)
	case errors.Is(err, ballot.ErrTooMany):
		return problem(CodeInvalidChoices, err, "In %q you marked too many: at most %d %s are allowed. %s", c.Title, c.MaxSelections, plural(c.MaxSelections, unit, units), Rule(c))
	case errors.Is(err, ballot.ErrTooFew):
		return problem(CodeInvalidChoices, err, "In %q you marked too few: at least %d %s are needed. %s", c.Title, c.MinSelections, plural(c.MinSelections, unit, units), Rule(c))
	}
	return problem(CodeInvalidChoices, err, "Your choices in %q break its rules. %s", c.Title, Rule(c))
}

// CastSubmission returns the signed record that casts the ballot, and
// erases the ballot's secrets: once it is sent it can no longer be
// challenged. It fails if the ballot was already cast or challenged.
func (p *Prepared) CastSubmission() (*bulletin.Submission, error) {
	if p.cred == nil {
		return nil, problem(CodeNoBallot, nil, "This ballot was already cast or challenged. Mark and encrypt your choices again.")
	}
	sub, err := election.NewSubmission(election.KeySigner(p.cred.Private), election.TypeBallot, p.Ballot)
	if err != nil {
		return nil, problem(CodeBadInput, err, "Your ballot could not be signed. Reload the page and try again.")
	}
	p.cred, p.secrets = nil, nil
	return sub, nil
}

// ChallengeSubmission returns the signed record that challenges the ballot:
// the ballot with its choices and randomness, for anyone to check and never
// counted. After it the ballot can no longer be cast.
func (p *Prepared) ChallengeSubmission() (*bulletin.Submission, error) {
	if p.cred == nil {
		return nil, problem(CodeNoBallot, nil, "This ballot was already cast or challenged. Mark and encrypt your choices again.")
	}
	sub, err := election.NewSubmission(election.KeySigner(p.cred.Private), election.TypeChallenge, ballot.Challenge(p.Ballot, p.secrets))
	if err != nil {
		return nil, problem(CodeBadInput, err, "Your challenge could not be signed. Reload the page and try again.")
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
		return nil, problem(CodeNotOpen, nil, "The election key is not known yet, so the challenged ballot cannot be checked.")
	}
	c, err := ballot.ParseChallengedBallot(payload)
	if err != nil {
		return nil, problem(CodeBadChallenge, err, "The challenged ballot is damaged and cannot be checked.")
	}
	m := e.Manifest
	v, ok := e.Ballot.Voter(c.Ballot.Credential)
	if !ok {
		return nil, problem(CodeBadChallenge, nil, "The challenged ballot is signed by a credential that is not on the voter roll.")
	}
	if len(c.Ballot.Contests) != len(v.Contests) || len(c.Randomness) != len(v.Contests) {
		return nil, problem(CodeBadChallenge, nil, "The challenged ballot does not fit its voter's ballot of this election's contests.")
	}
	k := e.Ballot.PublicKey.Element()
	out := make(ballot.Choices, len(m.Contests)) // nil for the contests not on the voter's ballot
	for j, i := range v.Contests {
		mc := &m.Contests[i]
		if len(c.Ballot.Contests[j].Options) != len(mc.Options) || len(c.Randomness[j]) != len(mc.Options) {
			return nil, problem(CodeBadChallenge, nil, "The challenged ballot does not fit this election's contests.")
		}
		out[i] = make([]uint64, len(mc.Options))
		for o := range mc.Options {
			ct := c.Ballot.Contests[j].Options[o].Ciphertext
			rK := crypto.NewElement().ScalarMult(c.Randomness[j][o], k)
			msg := crypto.NewElement().Subtract(&ct.B, rK)
			v, ok := smallLog(msg, uint64(mc.OptionMax))
			if !ok {
				return nil, problem(CodeBadChallenge, nil, "In %q, the encryption of %q does not open to any allowed count with the published randomness: the device that made this ballot did not encrypt honestly.", mc.Title, mc.Options[o].Title)
			}
			out[i][o] = v
		}
	}
	if err := ballot.VerifyChallenge(e.Ballot, c); err != nil {
		return nil, problem(CodeBadChallenge, err, "The challenged ballot does not encrypt the choices it claims: the device that made it did not encrypt honestly.")
	}
	for j, i := range v.Contests {
		for o := range out[i] {
			if out[i][o] != c.Choices[j][o] {
				return nil, problem(CodeBadChallenge, nil, "The challenged ballot does not encrypt the choices it claims.")
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
		return problem(CodeBusy, err, "The election board is busy right now and did not take your ballot. Wait a minute and try again; your ballot is not lost.")
	case e.Code == election.CodeWrongPhase:
		return problem(CodeClosed, err, "The board did not accept your ballot because voting is not open now: it has closed, or it has not started yet.")
	case e.Code == election.CodeIneligible:
		return problem(CodeIneligible, err, "The board refused your ballot: this credential is not on the voter roll.")
	case e.Code == bulletin.CodeDuplicate:
		return problem(CodeDuplicate, err, "The board already has this exact ballot, or it was challenged and so can never be cast. Encrypt your choices again to make a fresh ballot.")
	case status >= 500:
		return problem(CodeUnreachable, err, "The election board had an internal problem and did not take your ballot. Try again in a few minutes.")
	}
	return problem(CodeRejected, err, "The board refused your ballot, saying: %q. Nothing was counted. Reload the page and vote again; if it happens again, tell your election official.", e.Error)
}
