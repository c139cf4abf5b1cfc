package voterclient

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
		return nil, nil, problem(CodeNotOpen, nil, "This board does not hold an election yet, so there is nothing to register for.")
	}
	if e.RollClosed {
		return nil, nil, problem(CodeRollClosed, nil, "Registration is over: the registrar closed the voter roll of %q with %s, so no new credential can be put on it. If you are not on the roll, ask the registrar.",
			e.Manifest.Title, voterCount(e.RollSize))
	}
	voter = strings.TrimSpace(voter)
	if voter == "" {
		return nil, nil, problem(CodeBadVoterID, nil, "Type your voter identifier first: the registrar gave it to you.")
	}
	if !ballot.ValidVoterID(voter) {
		return nil, nil, problem(CodeBadVoterID, nil, "%q is not a voter identifier. Type it exactly as the registrar gave it: 1 to %d characters, only letters A to Z, digits and . _ - @ +, without spaces.", voter, ballot.MaxVoterIDLen)
	}
	cred, err := ballot.NewCredential(e.Manifest.ID, voter)
	if err != nil {
		return nil, nil, problem(CodeBadInput, err, "Your credential could not be made. Reload the page and try again.")
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
	// Message says all this in plain words.
	Message string `json:"message"`
	// Registration is the credential's registration request, while the
	// roll is open and the key is not on it: what to send the registrar.
	Registration string `json:"registration,omitempty"`
}

// CheckRoll says whether cred is on the roll of e as read: the same check
// as `evote voter check-roll`. A credential of another election is an
// error; one not on the roll is not (the result says so).
func CheckRoll(e *Election, cred *ballot.Credential) (*RollCheck, error) {
	if e == nil || e.Manifest == nil {
		return nil, problem(CodeNotOpen, nil, "This board does not hold an election yet.")
	}
	if cred.Election != e.Manifest.ID {
		return nil, wrongElection(e, cred)
	}
	rc := &RollCheck{Voter: cred.Voter, Public: hex.EncodeToString(cred.Public), Voters: e.RollSize, RollClosed: e.RollClosed}
	rc.Entry, rc.OnRoll = e.RollEntry(cred.Public)
	voters := voterCount(e.RollSize)
	switch {
	case rc.OnRoll && rc.RollClosed:
		rc.Message = fmt.Sprintf("Your credential (voter %s) is on the roll as entry %d of %s. The roll is closed. %s", cred.Voter, rc.Entry, voters, whenToVote(e))
	case rc.OnRoll:
		rc.Message = fmt.Sprintf("Your credential (voter %s) is on the roll as entry %d of %s so far. The roll is still open: the registrar closes it before voting opens.", cred.Voter, rc.Entry, voters)
	case rc.RollClosed:
		rc.Message = fmt.Sprintf("Your credential (voter %s) is not on the roll of %q, and the roll is closed, with %s: registration is over, and a ballot signed with this credential would be refused. Ask the registrar.", cred.Voter, e.Manifest.Title, voters)
	default:
		rc.Message = fmt.Sprintf("Your credential (voter %s) is not on the roll of %q yet (%s so far). The roll is still open: send your registration request to the registrar, or, if you already did, check again later. If it takes long, ask the registrar.", cred.Voter, e.Manifest.Title, voters)
		rc.Registration = string(ballot.NewRegistration(cred, e.ManifestHash).Marshal())
	}
	return rc, nil
}

// voterCount returns "1 voter" or "n voters".
func voterCount(n int64) string {
	if n == 1 {
		return "1 voter"
	}
	return fmt.Sprintf("%d voters", n)
}

// whenToVote says when a voter on the closed roll can vote.
func whenToVote(e *Election) string {
	switch {
	case e.Phase >= election.Closed:
		return "Voting has closed."
	case e.Phase == election.Open:
		return "Voting is open: you can vote with this credential."
	}
	return fmt.Sprintf("You can vote with this credential once voting opens (planned for %s UTC).", e.Manifest.Opens.Format("2 January 2006 15:04"))
}

func wrongElection(e *Election, cred *ballot.Credential) *Problem {
	return problem(CodeWrongElection, nil, "This credential is for the election %q, but this board runs %q (%s). Open the page of your own election.", cred.Election, e.Manifest.ID, e.Manifest.Title)
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
			what := "This file"
			if pasted {
				what = "This text"
			}
			return problem(CodeBadCredential, p.Err, "%s is a registration request, not a credential: it holds only the public key, for the registrar. Use your credential itself: the file you exported, or the one this page keeps.", what)
		}
		if !pasted {
			return problem(CodeBadCredential, p.Err, "This file is not a voter credential, or it is damaged. Choose your credential file, unchanged: the one the registrar gave you, or the one you exported from this page.")
		}
		if len(text) == 0 {
			return problem(CodeBadCredential, nil, "Paste the text of your credential first: scan the QR code on the page the registrar gave you, and copy all the text it shows.")
		}
		return problem(CodeBadCredential, p.Err, "This text is not a voter credential, or part of it is missing or changed. Copy all the text your phone shows for the QR code of your credential, from the first { to the last }, unchanged, and paste it again.")
	case CodeIneligible:
		cred, perr := ballot.ParseCredential(text)
		if perr != nil || e == nil || e.Manifest == nil || e.RollClosed {
			return p
		}
		return problem(CodeIneligible, p.Err, "This credential (voter %s) is not on the voter roll of %q yet. The roll is still open: if you made this credential yourself, send your registration request to the registrar; if the registrar gave it to you, ask them to put it on the roll.", cred.Voter, e.Manifest.Title)
	}
	return p
}
