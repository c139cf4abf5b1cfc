package election

import "github.com/evote/evote/bulletin"

// Rejection codes of the election rules (docs/spec/election.md §4). The
// rules also refuse records with two codes of the generic log,
// bulletin.CodeMalformed and bulletin.CodeDuplicate (docs/spec/bulletin.md
// §8).
const (
	CodeUnauthorized = "unauthorized" // the author may not post this record (HTTP 403)
	CodeIneligible   = "ineligible"   // the author is not on the voter roll (HTTP 403)
	CodeWrongPhase   = "wrong-phase"  // not allowed in the current phase (HTTP 409)
	CodeWrongOrder   = "wrong-order"  // a later record already follows this one (HTTP 409)
	CodeStale        = "stale"        // names a state of the board other than the one it would follow (HTTP 409)
	CodeBadProof     = "bad-proof"    // a proof in the payload does not verify (HTTP 422)
	CodeWrongStyle   = "wrong-style"  // a ballot or roll entry of a ballot style the definition and roll do not give it (HTTP 403)
	CodeBadMix       = "bad-mix"      // a mix whose output is not a shuffle of its input: it drops, adds, duplicates, replaces or alters a ballot (HTTP 422)
	CodeBadWriteIn   = "bad-write-in" // a ballot whose write-in text ciphertexts are missing, extra, of the wrong number, or unproved (HTTP 422)
)

// rejectStatus is the HTTP status a board answers each election code with
// (docs/spec/election.md §4), as numbers: the voter client built for the
// browser imports this package, and net/http would weigh it down.
var rejectStatus = map[string]int{
	CodeUnauthorized: 403, // Forbidden
	CodeIneligible:   403, // Forbidden
	CodeWrongPhase:   409, // Conflict
	CodeWrongOrder:   409, // Conflict
	CodeStale:        409, // Conflict
	CodeBadProof:     422, // Unprocessable Entity
	CodeWrongStyle:   403, // Forbidden
	CodeBadMix:       422, // Unprocessable Entity
	CodeBadWriteIn:   422, // Unprocessable Entity
}

// reject returns the *bulletin.RejectError refusing a record with code,
// a generic one or one of the election's, and the formatted reason; it
// carries the HTTP status of an election code, and the board's server
// knows those of the generic ones. Every rejection of the election rules
// is made here.
func reject(code, format string, args ...any) error {
	e := bulletin.Reject(code, format, args...)
	e.Status = rejectStatus[code]
	return e
}
