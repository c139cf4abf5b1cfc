package voterclient

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
)

// Problem codes of registration: making a voter-held credential.
const (
	CodeRollClosed = "roll-closed"  // the registrar has closed the voter roll
	CodeBadVoterID = "bad-voter-id" // the voter identifier typed is not one
)

// MakeCredential makes a voter-held credential (docs/spec/ballot.md §2.1)
// for the voter whose identifier the registrar gave as voter, in the
// election e as read from the board: a key pair from crypto/rand, made on
// this device, and the registration request to send the registrar, who
// checks who the voter is and posts the key to the roll. The private key
// is in the credential only, never in the request. It is refused once the
// registrar has closed the roll.
func MakeCredential(e *Election, voter string) (*ballot.Credential, *ballot.Registration, error) {
	if e == nil || e.Manifest == nil {
		return nil, nil, problemKey(CodeNotOpen, nil, "client.problem.no-election-register")
	}
	if e.RollClosed {
		return nil, nil, problemKey(CodeRollClosed, nil, "client.problem.roll-closed", e.Manifest.Title, voterCount(e.RollSize))
	}
	voter = strings.TrimSpace(voter)
	if voter == "" {
		return nil, nil, problemKey(CodeBadVoterID, nil, "client.problem.no-voter-id")
	}
	if !ballot.ValidVoterID(voter) {
		return nil, nil, problemKey(CodeBadVoterID, nil, "client.problem.bad-voter-id", voter, ballot.MaxVoterIDLen)
	}
	cred, err := ballot.NewCredential(e.Manifest.ID, voter)
	if err != nil {
		return nil, nil, problemKey(CodeBadInput, err, "client.problem.make-credential")
	}
	return cred, ballot.NewRegistration(cred, e.ManifestHash), nil
}

// RollCheck says whether a credential is on the voter roll as read from
// the board, in plain words.
type RollCheck struct {
	Voter  string `json:"voter"`
	Public string `json:"public"` // hex
	// OnRoll is true if the credential's key is on the roll, as entry
	// Entry (numbered from 0, as in the roll records and `evote voter
	// check-roll`).
	OnRoll bool  `json:"on_roll"`
	Entry  int64 `json:"entry"`
	// Voters is the number of voters on the roll so far, and RollClosed
	// whether the registrar has closed it.
	Voters     int64 `json:"voters"`
	RollClosed bool  `json:"roll_closed"`
	// Message says all this in plain words, in English; Said is the
	// same as a message of the catalogue, for the page to say in the
	// reader's language.
	Message string  `json:"message"`
	Said    Message `json:"said"`
	// Registration is the credential's registration request, while the
	// roll is open and the key is not on it: what to send the registrar.
	Registration string `json:"registration,omitempty"`
}

// CheckRoll says whether cred is on the roll of e as read: the same check
// as `evote voter check-roll`. A credential of another election is an
// error; one not on the roll is not (the result says so).
func CheckRoll(e *Election, cred *ballot.Credential) (*RollCheck, error) {
	if e == nil || e.Manifest == nil {
		return nil, problemKey(CodeNotOpen, nil, "client.problem.no-election")
	}
	if cred.Election != e.Manifest.ID {
		return nil, wrongElection(e, cred)
	}
	rc := &RollCheck{Voter: cred.Voter, Public: hex.EncodeToString(cred.Public), Voters: e.RollSize, RollClosed: e.RollClosed}
	rc.Entry, rc.OnRoll = e.RollEntry(cred.Public)
	voters := voterCount(e.RollSize)
	switch {
	case rc.OnRoll && rc.RollClosed:
		rc.Said = msg("client.roll.on-closed", cred.Voter, rc.Entry, voters, whenToVote(e))
	case rc.OnRoll:
		rc.Said = msg("client.roll.on-open", cred.Voter, rc.Entry, voters)
	case rc.RollClosed:
		rc.Said = msg("client.roll.off-closed", cred.Voter, e.Manifest.Title, voters)
	default:
		rc.Said = msg("client.roll.off-open", cred.Voter, e.Manifest.Title, voters)
		rc.Registration = string(ballot.NewRegistration(cred, e.ManifestHash).Marshal())
	}
	rc.Message = rc.Said.String()
	return rc, nil
}

// voterCount says "1 voter" or "n voters".
func voterCount(n int64) Message {
	if n == 1 {
		return msg("client.voters-one", n)
	}
	return msg("client.voters", n)
}

// whenToVote says when a voter on the closed roll can vote.
func whenToVote(e *Election) Message {
	switch {
	case e.Phase >= election.Closed:
		return msg("client.when.closed")
	case e.Phase == election.Open:
		return msg("client.when.open")
	}
	return msg("client.when.later", e.Manifest.Opens.UTC().Format("2006-01-02 15:04 UTC"))
}

// wrongElection is the problem of a credential of another election.
func wrongElection(e *Election, cred *ballot.Credential) *Problem {
	return problemKey(CodeWrongElection, nil, "client.problem.wrong-election", cred.Election, e.Manifest.ID, e.Manifest.Title)
}

// credentialBytes returns the credential as its canonical encoding would
// be, if the text only differs from it by space: around it (a file's last
// newline, a text pasted with a line break) or between its JSON tokens (a
// text wrapped by a mail program or reformatted). Anything else is left
// for ballot.ParseCredential to refuse.
func credentialBytes(data []byte) []byte {
	data = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("\ufeff")))
	var buf bytes.Buffer
	if json.Compact(&buf, data) == nil {
		return buf.Bytes()
	}
	return data
}

// explainCredential turns a refused credential into plain words for where
// it came from: a chosen file, or text the voter pasted (from a phone's QR
// code scanner, say).
func explainCredential(e *Election, data []byte, err error, pasted bool) error {
	p := AsProblem(err)
	text := credentialBytes(data)
	switch p.Code {
	case CodeBadCredential:
		if _, rerr := ballot.ParseRegistration(text); rerr == nil {
			if pasted {
				return problemKey(CodeBadCredential, p.Err, "client.problem.registration-text")
			}
			return problemKey(CodeBadCredential, p.Err, "client.problem.registration-file")
		}
		if !pasted {
			return problemKey(CodeBadCredential, p.Err, "client.problem.not-credential-file")
		}
		if len(text) == 0 {
			return problemKey(CodeBadCredential, nil, "client.problem.paste-first")
		}
		return problemKey(CodeBadCredential, p.Err, "client.problem.not-credential-text")
	case CodeIneligible:
		cred, perr := ballot.ParseCredential(text)
		if perr != nil || e == nil || e.Manifest == nil || e.RollClosed {
			return p
		}
		return problemKey(CodeIneligible, p.Err, "client.problem.not-on-roll-yet", cred.Voter, e.Manifest.Title)
	}
	return p
}
