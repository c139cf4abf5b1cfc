package voterclient

import (
	"errors"

	"github.com/evote/evote/internal/i18n"
)

// Problem codes: the classes of trouble a voter can meet. The web page
// branches on them; the message says what happened in plain words.
const (
	CodeBadCredential  = "bad-credential"  // the file is not a credential
	CodeWrongElection  = "wrong-election"  // the credential is for another election
	CodeIneligible     = "ineligible"      // the credential is not on the voter roll
	CodeNotOpen        = "not-open"        // voting has not opened yet
	CodeClosed         = "closed"          // voting has closed
	CodeInvalidChoices = "invalid-choices" // the marked choices break a contest's rules
	CodeNoBallot       = "no-ballot"       // cast or challenge without an encrypted ballot
	CodeDuplicate      = "duplicate"       // the board already has this ballot
	CodeRejected       = "rejected"        // the board refused the ballot for another reason
	CodeBusy           = "busy"            // the board is overloaded; try again
	CodeUnreachable    = "unreachable"     // the board could not be reached
	CodeBadBoard       = "bad-board"       // the board's data does not check out
	CodeBadReceipt     = "bad-receipt"     // a receipt does not check out
	CodeBadChallenge   = "bad-challenge"   // a challenged ballot does not match
	CodeBadInput       = "bad-input"       // the page passed malformed data (a bug)
)

// Problem is an error explained for the voter: Message is plain words
// meant to be shown as is, Code classifies it, and Err, if any, is the
// technical cause for a details section or a log. Every problem is told
// with a message of the catalogue (internal/i18n): Key and Args, so that
// the page says it in the reader's language; Message is the English.
type Problem struct {
	Code    string
	Message string
	Key     string
	Args    []any
	Err     error
}

// Error returns the message, with the technical cause in parentheses.
func (p *Problem) Error() string {
	if p.Err != nil {
		return p.Message + " (" + p.Err.Error() + ")"
	}
	return p.Message
}

// Unwrap returns the technical cause.
func (p *Problem) Unwrap() error { return p.Err }

// Said returns the problem's words as a Message, to be part of another.
func (p *Problem) Said() Message { return msg(p.Key, p.Args...) }

// problemKey returns a problem told with the catalogue's message key and
// its args (a message of internal/i18n; TestProblemKeys checks that each
// key used is there).
func problemKey(code string, err error, key string, args ...any) *Problem {
	return &Problem{Code: code, Message: english.Sprintf(key, args...), Key: key, Args: args, Err: err}
}

// english formats the catalogue's messages in English.
var english = i18n.Default.Printer("en")

// Message is a message of the catalogue (internal/i18n) with its
// arguments, which the page says in the reader's language: JSON
// {"key","args"}. An argument may itself be a Message (a part of a
// sentence), which the page translates too. String is the English.
type Message struct {
	Key  string `json:"key"`
	Args []any  `json:"args"`
}

// msg returns the Message key with args.
func msg(key string, args ...any) Message {
	if args == nil {
		args = []any{}
	}
	return Message{Key: key, Args: args}
}

// String returns the message in English.
func (m Message) String() string { return english.Sprintf(m.Key, m.Args...) }

// AsProblem returns err as a *Problem, wrapping any other error as a
// CodeBadInput problem.
func AsProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return problemKey(CodeBadInput, err, "client.problem.internal")
}
