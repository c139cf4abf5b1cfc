package voterclient

import (
	"bytes"
	"errors"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// Receipt check statuses (docs/spec/voter-client.md §6).
const (
	// StatusPending: the receipt checks out; the records after the ballot
	// (ReceiptCheck.Add), then the last one's inclusion proof
	// (ReceiptCheck.Finish), are still needed.
	StatusPending = "pending"
	// StatusCounted: no later ballot of the same credential follows; the
	// receipted ballot is the one that counts.
	StatusCounted = "counted"
	// StatusReplaced: a later valid ballot of the same credential replaced
	// the receipted one, which no longer counts.
	StatusReplaced = "replaced"
	// StatusNotFound: the receipted record is not a cast ballot, so it is
	// not counted.
	StatusNotFound = "not-found"
)

// ReceiptStatus is the state of a receipt check.
type ReceiptStatus struct {
	// Status is StatusPending, StatusCounted, StatusReplaced or
	// StatusNotFound.
	Status string `json:"status"`
	// Index is the receipted record's index.
	Index int64 `json:"index"`
	// Size is the tree size of the checkpoint in the receipt.
	Size int64 `json:"size"`
	// Latest is the tree size of the board's latest checkpoint, which
	// extends the receipt's.
	Latest int64 `json:"latest"`
	// Next is the index of the next record the check needs while it is
	// StatusPending; it reaches Latest once every record up to the
	// checkpoint is in.
	Next int64 `json:"next"`
	// Type is the receipted record's type (election.TypeBallot for a cast
	// ballot).
	Type string `json:"type"`
	// ReplacedBy and ReplacedAt are the index and board time of the first
	// later ballot of the same credential, if StatusReplaced.
	ReplacedBy int64     `json:"replaced_by,omitzero"`
	ReplacedAt time.Time `json:"replaced_at,omitzero"`
	// Current is the index of the credential's ballot that counts now:
	// Index if StatusCounted, the last later ballot if StatusReplaced.
	Current int64 `json:"current,omitzero"`
}

// verifyReceipt checks the receipt's checkpoint signature and its
// inclusion proof, and returns the checkpoint's tree size and root hash.
func verifyReceipt(r *bulletin.Receipt, vkey string) (int64, tlog.Hash, error) {
	c, err := r.Verify(vkey)
	var other *bulletin.OtherBoardError
	switch {
	case errors.As(err, &other):
		return 0, c.Hash, problemKey(CodeBadReceipt, err, "client.problem.receipt-other-board", other.Receipt, other.Board)
	case errors.Is(err, bulletin.ErrInvalidProof):
		return 0, c.Hash, problemKey(CodeBadReceipt, err, "client.problem.receipt-proof")
	case err != nil:
		return 0, c.Hash, problemKey(CodeBadReceipt, err, "client.problem.receipt-signature")
	}
	return c.Size, c.Hash, nil
}

// ReceiptCheck is a receipt check under way (docs/spec/voter-client.md §6).
// CheckReceipt verifies the receipt against the board's current checkpoint;
// Add then takes the records that follow the receipted ballot, up to that
// checkpoint, and Finish checks that the last of them is the record the
// checkpoint signs and says whether the ballot still counts.
//
// The check does not replay the board: it checks that the records after
// the ballot continue the log (bulletin.Chain: index, hash chain, time
// order, signature) and verifies the proofs of the later ballots of the
// same credential only. Replaying the whole board is the CLI's and the
// verifier's job.
//
// Once a method fails, every later call returns the same error. A
// ReceiptCheck is not safe for concurrent use.
type ReceiptCheck struct {
	st       ReceiptStatus
	root     tlog.Hash        // the current checkpoint's root hash
	author   []byte           // the receipted ballot's credential
	election *ballot.Election // to verify the credential's later ballots
	chain    *bulletin.Chain  // the log from the receipted record on
	err      error
}

// CheckReceipt starts checking a ballot's receipt (docs/spec/voter-client.md
// §6). It checks that
//
//  1. the receipt's checkpoint is signed by the board key vkey and its
//     inclusion proof puts the ballot's record in that tree;
//  2. latest, the board's current signed checkpoint, is signed by the same
//     key and is not smaller;
//  3. proof, the board's consistency proof from the receipt's tree size to
//     latest's, shows the current tree extends the receipt's: the board has
//     not removed or rewritten the ballot since;
//  4. record, the board's current copy of the record (GET /records/{index}),
//     has the receipt's leaf hash;
//  5. the record is a ballot (election.TypeBallot); if not, the check ends
//     with StatusNotFound.
//
// A ballot's check is then StatusPending: the caller passes the records
// after it to Add, then the last one's inclusion proof to Finish; e, the
// election context, is what the later ballots of the same credential are
// verified against.
//
// Any failure is a *Problem saying in plain words what it means.
func CheckReceipt(receipt []byte, vkey string, latest []byte, proof tlog.TreeProof, record []byte, e *ballot.Election) (*ReceiptCheck, error) {
	return checkReceipt(receipt, vkey, vkey, latest, proof, record, e)
}

// checkReceipt is CheckReceipt with latest, and the proof and record,
// from the board whose key is latestKey: another operator of the same
// replicated board than the one whose key vkey signed the receipt, whose
// log, and so whose tree at every size, is the same
// (docs/spec/replicated-board.md §3).
func checkReceipt(receipt []byte, vkey, latestKey string, latest []byte, proof tlog.TreeProof, record []byte, e *ballot.Election) (*ReceiptCheck, error) {
	r, err := parseReceipt(receipt)
	if err != nil {
		return nil, problemKey(CodeBadReceipt, err, "client.problem.not-receipt")
	}
	oldSize, oldRoot, err := verifyReceipt(r, vkey)
	if err != nil {
		return nil, err
	}
	curSize, curRoot, err := bulletin.VerifyCheckpoint(latestKey, latest)
	if err != nil {
		return nil, problemKey(CodeBadBoard, err, "client.problem.receipt-checkpoint")
	}
	if e != nil {
		if err := checkWitnessed(e.Manifest, latestKey, latest); err != nil {
			return nil, err
		}
	}
	if curSize < oldSize {
		return nil, problemKey(CodeBadReceipt, nil, "client.problem.receipt-cut", curSize, oldSize)
	}
	if err := bulletin.CheckConsistency(proof, oldSize, oldRoot, curSize, curRoot); err != nil {
		return nil, problemKey(CodeBadReceipt, err, "client.problem.receipt-rewritten")
	}
	rec, err := parseRecord(record)
	if err != nil {
		return nil, badBoard(err, "its copy of record %d is not readable", r.Index)
	}
	if !r.Matches(rec) {
		return nil, problemKey(CodeBadReceipt, nil, "client.problem.receipt-changed", r.Index)
	}
	c := &ReceiptCheck{
		st:   ReceiptStatus{Status: StatusNotFound, Index: r.Index, Size: oldSize, Latest: curSize, Next: curSize, Type: rec.Type},
		root: curRoot, author: rec.Author, election: e,
	}
	if rec.Type != election.TypeBallot {
		return c, nil
	}
	if e == nil {
		return nil, problemKey(CodeNotOpen, nil, "client.problem.receipt-no-key-read")
	}
	c.st.Status, c.st.Next = StatusPending, r.Index+1
	c.chain = bulletin.ResumeChain(rec, 0)
	return c, nil
}

// Status returns the check's status so far.
func (c *ReceiptCheck) Status() ReceiptStatus { return c.st }

// fail ends the check with err.
func (c *ReceiptCheck) fail(err error) error {
	c.err = err
	return err
}

// pending returns nil while the check waits for records, and else the
// error Add and Finish return: the check's failure, or that it is over.
func (c *ReceiptCheck) pending() error {
	if c.err != nil {
		return c.err
	}
	if c.st.Status != StatusPending {
		return problemKey(CodeBadInput, nil, "client.problem.receipt-not-waiting")
	}
	return nil
}

// Add takes the next records after the receipted ballot, in order from
// Status().Next, as the board serves them (GET /records). Each must
// continue the log (bulletin.Chain.Append), and none may lie at or past the
// current checkpoint's size. A later ballot of the receipt's credential
// whose proofs verify (ballot.VerifyBallot) replaces the receipted ballot;
// one whose proofs do not is the board's fault, and an error.
// Challenged ballots and other voters' records change nothing.
func (c *ReceiptCheck) Add(recs []*bulletin.Record) error {
	if err := c.pending(); err != nil {
		return err
	}
	for _, rec := range recs {
		if c.chain.Size() >= c.st.Latest {
			return c.fail(badBoard(nil, "it sent record %d, but its checkpoint signs only %d records", rec.Index, c.st.Latest))
		}
		if err := c.chain.Append(rec); err != nil {
			return c.fail(badBoard(err, "record %d does not continue its log from your ballot on (the record is missing, moved, changed or not signed by its author)", c.chain.Size()))
		}
		c.st.Next = c.chain.Size()
		if rec.Type != election.TypeBallot || !bytes.Equal(rec.Author, c.author) {
			continue
		}
		b, err := ballot.ParseEncryptedBallot(rec.Payload)
		if err == nil {
			err = ballot.VerifyBallot(c.election, b, rec.Author)
		}
		if err != nil {
			return c.fail(problemKey(CodeBadBoard, err, "client.problem.receipt-invalid-later", rec.Index))
		}
		if c.st.ReplacedBy == 0 {
			c.st.ReplacedBy, c.st.ReplacedAt = int64(rec.Index), rec.Time.UTC()
		}
		c.st.Current = int64(rec.Index)
	}
	return nil
}

// Finish checks, once Add has taken every record up to the current
// checkpoint, that proof (GET /proof/inclusion?index=N-1&size=N) puts the
// last record taken in (the receipted one if none follow) at index N-1 of
// the checkpoint's tree, so that the records scanned are the ones it signs,
// and returns the final status: StatusCounted or StatusReplaced.
func (c *ReceiptCheck) Finish(proof tlog.RecordProof) (*ReceiptStatus, error) {
	if err := c.pending(); err != nil {
		return nil, err
	}
	n := c.st.Latest
	if c.st.Next < n {
		return nil, c.fail(badBoard(nil, "it stopped sending records at record %d, before the end of the %d records its checkpoint signs", c.st.Next, n))
	}
	if err := bulletin.CheckInclusion(proof, n-1, n, c.chain.Last(), c.root); err != nil {
		return nil, c.fail(badBoard(err, "its proof does not show record %d, the last one it sent, in the tree of %d records its checkpoint signs", n-1, n))
	}
	if c.st.Current == 0 {
		c.st.Status, c.st.Current = StatusCounted, c.st.Index
	} else {
		c.st.Status = StatusReplaced
	}
	st := c.st
	return &st, nil
}

// timeLayout is how the page shows a board time.
const timeLayout = "2006-01-02 15:04:05 UTC"

// receiptMessage says in plain words what st means for the voter.
func receiptMessage(st *ReceiptStatus) Message {
	switch st.Status {
	case StatusPending:
		return msg("client.receipt.pending", st.Next-st.Index-1, st.Latest-st.Index-1)
	case StatusCounted:
		var after Message
		switch n := st.Latest - st.Index - 1; n {
		case 0:
			after = msg("client.receipt.after-none")
		case 1:
			after = msg("client.receipt.after-one")
		default:
			after = msg("client.receipt.after", n)
		}
		return msg("client.receipt.counted", st.Index, st.Size, st.Latest, after)
	case StatusReplaced:
		var now any = ""
		if st.Current != st.ReplacedBy {
			now = msg("client.receipt.counts-now", st.Current)
		}
		return msg("client.receipt.replaced", st.Index, st.ReplacedBy, st.ReplacedAt.UTC().Format(timeLayout), now)
	}
	return msg("client.receipt.not-ballot", st.Index, st.Type)
}

// checkWitnessed checks the board's current checkpoint against the
// election's trust policy (election.CheckTrust): the board the definition
// names, and the witnesses' quorum of cosignatures.
func checkWitnessed(m *ballot.Manifest, vkey string, latest []byte) error {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return problemKey(CodeBadReceipt, err, "client.problem.not-board-key")
	}
	cp, _, err := bulletin.OpenCheckpoint(latest, note.VerifierList(v))
	if err != nil {
		return problemKey(CodeBadBoard, err, "client.problem.checkpoint-unsigned")
	}
	if _, err := election.CheckTrust(m, latest, cp); err != nil {
		return problemKey(CodeBadBoard, err, "client.problem.checkpoint-unwitnessed")
	}
	return nil
}
