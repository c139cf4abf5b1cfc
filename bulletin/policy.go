package bulletin

import (
	"context"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strconv"
)

// Rejection codes of the generic log, carried by RejectError
// (docs/spec/bulletin.md §8): the checks every submission passes
// (Submission.Check) and OpenPolicy use them, and so may any policy. A
// policy's own codes are its own (package election has the election's),
// each with the HTTP status it sets in RejectError.Status.
const (
	CodeMalformed    = "malformed"     // not a well-formed submission (HTTP 400)
	CodeBadSignature = "bad-signature" // signature does not verify (HTTP 400)
	CodeTooLarge     = "too-large"     // payload over the size limit (HTTP 413)
	CodeDuplicate    = "duplicate"     // already on the board (HTTP 409)
)

// RejectError is the error a policy (or the generic checks) returns when a
// submission may not be appended. Code is a short machine-readable class such
// as CodeDuplicate; Reason is a human-readable explanation. Policies may wrap
// it; callers find it with errors.As.
type RejectError struct {
	Code   string
	Reason string
	// Status is the HTTP status a board answers the rejection with
	// (docs/spec/bulletin.md §8). A policy sets it for a code of its own;
	// 0 means the status of a generic code above, which the board's server
	// knows, and 422 (Unprocessable Entity) for any other code.
	Status int
}

// Error implements error.
func (e *RejectError) Error() string {
	return fmt.Sprintf("rejected (%s): %s", e.Code, e.Reason)
}

// Reject returns a *RejectError with the given code and formatted reason.
func Reject(code, format string, args ...any) *RejectError {
	return &RejectError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Policy decides what may be appended.
//
// The log creates a fresh Policy with its constructor and replays every
// stored record through Admit when it opens, and again whenever a store write
// fails, so a policy's state is always a function of the durable log.
type Policy interface {
	// Verify runs the stateless, expensive checks of a submission (payload
	// schema, proofs) against state that no longer changes. It is called
	// concurrently from request goroutines, before queueing, after the
	// generic checks (Submission.Check) passed. It may refuse work it has
	// no room for with an error wrapping ErrQueueFull, and should give up
	// on a submission whose ctx has ended.
	Verify(ctx context.Context, s *Submission) error
	// Admit checks the record against the current state (phase,
	// authorisation, eligibility, duplicates) and, when it returns nil,
	// updates the state as if rec were appended. When it returns an error it
	// must leave the state unchanged. It is called only by the single writer,
	// in index order, and is not called concurrently with itself.
	Admit(rec *Record) error
}

// Reserver is an optional interface of a Policy that bounds the
// submissions it has in hand. Log.Append calls Reserve first, before the
// checks that cost (the signature, Verify), and release once Verify has
// returned; Reserve refuses at once, with an error wrapping ErrQueueFull,
// when the policy has no room. A board flooded with submissions then spends
// next to nothing on the ones it refuses, and its CPUs on those it took.
type Reserver interface {
	Reserve(s *Submission) (release func(), err error)
}

// Preparer is an optional interface of a Policy. When the log replays its
// stored records (at open, and after a failed write), it hands each page of
// them to Prepare before admitting them one by one, so that a policy can do
// per-record work, such as decoding payloads, on every core instead of
// inside Admit. Prepare must not change what Admit decides.
type Preparer interface {
	Prepare(recs []*Record)
}

// ReplayRefuser is an optional interface of a Policy. A log run by
// consensus (LogOptions.Sequencer) asks it before CheckTx refuses a
// transaction that already became a record (Log.AdmitTx): only if the
// rules are sure to refuse it in its block does CheckTx keep it out.
type ReplayRefuser interface {
	// RefusesReplay reports whether Admit, once it has admitted a record
	// of type typ, refuses in every later state a record identical to it
	// but for its index, time and prev: same type, payload, author and
	// signature. It must depend on typ alone.
	RefusesReplay(typ string) bool
}

// OpenPolicy accepts every well-signed record and rejects an exact duplicate
// (same type, payload, author and signature) of a record already admitted.
// It is meant for tests, benchmarks and development boards.
type OpenPolicy struct {
	seen map[[32]byte]uint64
}

// NewOpenPolicy returns an empty OpenPolicy; it matches the func() Policy
// constructor OpenLog takes.
func NewOpenPolicy() Policy { return &OpenPolicy{seen: make(map[[32]byte]uint64)} }

// Verify implements Policy; OpenPolicy has no stateless checks.
func (p *OpenPolicy) Verify(ctx context.Context, s *Submission) error { return nil }

// RefusesReplay implements ReplayRefuser: Admit refuses a replay of any
// record, as a duplicate.
func (p *OpenPolicy) RefusesReplay(typ string) bool { return true }

// Admit implements Policy.
func (p *OpenPolicy) Admit(rec *Record) error {
	if p.seen == nil {
		p.seen = make(map[[32]byte]uint64)
	}
	h := sha256.New()
	h.Write(rec.Author)
	h.Write(rec.Sig)
	h.Write(SigningMessage(rec.Type, rec.Payload))
	var k [32]byte
	h.Sum(k[:0])
	if i, ok := p.seen[k]; ok {
		return Reject(CodeDuplicate, "identical submission is already record %d", i)
	}
	p.seen[k] = rec.Index
	return nil
}

// duplicateRef finds "record N" in a duplicate refusal's reason.
var duplicateRef = regexp.MustCompile(`record (\d+)`)

// DuplicateOf returns the record that a duplicate refusal's reason names,
// the last "record N" in it (the rules name the record that already holds
// the submission: docs/spec/bulletin.md §8), if it names one. A client
// must still check that record N is its submission before it relies on
// it: the reason is the board's word.
func DuplicateOf(reason string) (int64, bool) {
	m := duplicateRef.FindAllStringSubmatch(reason, -1)
	if len(m) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(m[len(m)-1][1], 10, 64)
	return n, err == nil
}

// FallsOver reports whether status, an operator's answer to a post (an
// HTTP status, or 0 for no answer: no connection, a broken one, or none
// within the client's time), says nothing of the submission, so that a
// client of a board kept by several operators posts it, unchanged, to the
// next operator (docs/spec/replicated-board.md §5.1): no answer, 408 (the
// request was not read in time), 429 (busy) or a 5xx (the operator may
// have ordered it before it failed; posting again is safe). Any other 4xx
// is the rules' refusal, which every honest operator gives alike. A 201
// whose record or receipt does not verify falls over too, and a 409
// duplicate naming the record becomes that record's receipt; those need
// the answer's body, not its status alone.
func FallsOver(status int) bool {
	return status == 0 || status == 408 || status == 429 || status >= 500
}
