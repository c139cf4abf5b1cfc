package voterclient

import (
	"bytes"
	"encoding/json"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// What the page knows of a ballot it sent (docs/spec/voter-client.md §5.6).
const (
	// SentFound: the board holds the submission, at a record that a
	// checkpoint signed by the board's key includes; the receipt is built
	// from that checkpoint and checked.
	SentFound = "found"
	// SentNotFound: the board answered and does not hold the submission,
	// so it was not cast (or challenged); it may be sent again.
	SentNotFound = "not-found"
	// SentUnknown: the board's answer was lost, failed or cannot be relied
	// on yet: whether it holds the submission is not known. Look it up.
	SentUnknown = "unknown"
	// SentPending: a lookup is under way and needs more of the board's
	// records, or an inclusion proof.
	SentPending = "pending"
)

// SentStatus is what a Delivery knows so far.
type SentStatus struct {
	// Status is SentFound, SentNotFound, SentUnknown or SentPending.
	Status string
	// From is the size of a tree the board signed before the submission
	// was made: the submission is not among its first From records, so a
	// lookup reads only the records after them.
	From int64
	// Hint is the record at which the board said it already holds the
	// submission (a duplicate refusal), or -1.
	Hint int64
	// Start is the record a lookup starts from: Hint, or From−1, the last
	// record before the ones it reads.
	Start int64
	// Latest is the tree size of the checkpoint the lookup checks against.
	Latest int64
	// Next is the next record a pending lookup needs.
	Next int64
	// Prove is the record whose inclusion proof in the Latest tree the
	// pending lookup needs next (Finish), or -1 while it needs records.
	Prove int64
	// Record and Receipt are the board's record of the submission and its
	// checked receipt, if SentFound.
	Record  *bulletin.Record
	Receipt *bulletin.Receipt
	// Message says in plain words what the status means for the voter,
	// in English; Said is the same as a message of the catalogue, for
	// the page to say in the reader's language.
	Message string
	Said    Message
}

// Delivery is a cast or challenge submission on its way to the board
// (docs/spec/voter-client.md §5.6). It decides, from the board's answer to
// the POST and, when that answer was lost or unclear, from the board's
// signed records, whether the board holds the submission: found (with a
// checked receipt), not found (send it again: the board refuses an exact
// duplicate, so sending twice is safe), or unknown (look again later).
//
// A lookup relies only on what it ties to a checkpoint signed by the board
// key, in the way the receipt check does (§6): the record the board names
// and its inclusion proof, or the records after the From tree, chained
// from a record the checkpoint includes to the last one it signs. A board
// that lies is refused with a CodeBadBoard problem, never shown as a
// receipt.
//
// A Delivery is not safe for concurrent use.
type Delivery struct {
	sub      *bulletin.Submission
	vkey     string
	manifest *ballot.Manifest // the trust policy of checkpoints, if known
	fromRoot tlog.Hash
	st       SentStatus

	// The lookup under way.
	checkpoint []byte          // the signed checkpoint of Latest records
	root       tlog.Hash       // its root hash
	chain      *bulletin.Chain // the records after From−1
	at         *bulletin.Record
}

// NewDelivery starts the delivery of sub to the board whose checkpoints
// the key vkey signs. before is a checkpoint signed by that key and read
// before sub was made, so that the board cannot hold sub among the records
// it signs; m, if not nil, is the election definition whose trust policy
// (board and witnesses, election.CheckTrust) the checkpoints of a lookup
// must meet. The status is SentUnknown until Answer.
func NewDelivery(sub *bulletin.Submission, vkey string, before []byte, m *ballot.Manifest) (*Delivery, error) {
	cp, err := boardCheckpoint(vkey, before)
	if err != nil {
		return nil, err
	}
	d := &Delivery{sub: sub, vkey: vkey, manifest: m, fromRoot: cp.Hash}
	d.st = SentStatus{Status: SentUnknown, From: cp.Size, Hint: -1, Start: cp.Size - 1, Prove: -1}
	d.say(msg("client.sent.not-yet", d.noun()))
	return d, nil
}

// boardCheckpoint verifies that signed is a checkpoint signed by the board
// key vkey, for the log that key names, and not empty.
func boardCheckpoint(vkey string, signed []byte) (bulletin.Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return bulletin.Checkpoint{}, badBoard(err, "its key is not a board key")
	}
	cp, _, err := bulletin.OpenCheckpoint(signed, note.VerifierList(v))
	if err != nil {
		return bulletin.Checkpoint{}, badBoard(err, "its checkpoint is not signed by its key")
	}
	if cp.Origin != v.Name() {
		return bulletin.Checkpoint{}, badBoard(nil, "its checkpoint is for the log %q, not %q", cp.Origin, v.Name())
	}
	if cp.Size == 0 {
		return bulletin.Checkpoint{}, badBoard(nil, "its checkpoint signs no record")
	}
	return cp, nil
}

// Status returns what the delivery knows so far.
func (d *Delivery) Status() SentStatus { return d.st }

// challenge reports whether the submission is a challenge.
func (d *Delivery) challenge() bool { return d.sub.Type == election.TypeChallenge }

// noun names the submission for the voter.
func (d *Delivery) noun() Message {
	if d.challenge() {
		return msg("client.noun.challenged")
	}
	return msg("client.noun.ballot")
}

// verb says what the board does with the submission, as a past participle.
func (d *Delivery) verb() Message {
	if d.challenge() {
		return msg("client.verb.posted")
	}
	return msg("client.verb.cast")
}

// Answer takes the board's answer to POST /records of the submission:
// the HTTP status and body, or status 0 if no answer arrived (the
// connection failed or broke, or the body could not be read). It decides:
//
//   - 201: the record and receipt are checked (Posted) with the board key:
//     SentFound;
//   - no answer, or 5xx (a failed or overloaded board may have saved the
//     record before it failed): SentUnknown, to be looked up;
//   - 409 duplicate: the board says it already holds the submission;
//     SentUnknown with Hint the record it names, if it names one, to be
//     checked by a lookup;
//   - 429 or 408: the board did not take it: SentNotFound;
//   - any other refusal: the board refused it for good; the error explains
//     it (BoardError).
func (d *Delivery) Answer(status int, body []byte) error {
	if d.st.Status == SentFound {
		return nil
	}
	d.endLookup()
	d.st.Hint, d.st.Start = -1, d.st.From-1
	noun, verb := d.noun(), d.verb()
	switch {
	case status == 201:
		rec, receipt, err := Posted(d.sub, status, body, d.vkey)
		if err != nil {
			d.unknown(msg("client.sent.answer-unchecked", noun, verb))
			return err
		}
		d.found(rec, receipt)
	case status == 0:
		d.unknown(msg("client.sent.no-answer", noun, verb))
	case status >= 500:
		d.unknown(msg("client.sent.failed", noun, status, verb))
	case status == 409 && refusalCode(body) == bulletin.CodeDuplicate:
		var e bulletin.ErrorResponse
		_ = json.Unmarshal(body, &e)
		if n, ok := bulletin.DuplicateOf(e.Error); ok {
			d.st.Hint, d.st.Start = n, n
		}
		d.unknown(msg("client.sent.has-it", noun))
	case status == 429:
		d.notFound(msg("client.sent.busy", noun, verb))
	case status == 408:
		d.notFound(msg("client.sent.incomplete", noun, verb))
	default:
		return BoardError(status, body)
	}
	return nil
}

// refusalCode returns the code of a board's error body.
func refusalCode(body []byte) string {
	var e bulletin.ErrorResponse
	_ = json.Unmarshal(body, &e)
	return e.Code
}

// say sets the status's words.
func (d *Delivery) say(m Message) { d.st.Message, d.st.Said = m.String(), m }

func (d *Delivery) unknown(m Message) {
	d.st.Status, d.st.Prove = SentUnknown, -1
	d.say(m)
}

func (d *Delivery) notFound(m Message) {
	d.st.Status, d.st.Prove = SentNotFound, -1
	d.say(m)
}

// found ends the delivery with rec and its receipt, both checked.
func (d *Delivery) found(rec *bulletin.Record, receipt *bulletin.Receipt) {
	d.endLookup()
	size, _ := receiptSize(receipt)
	d.st.Status, d.st.Record, d.st.Receipt, d.st.Prove = SentFound, rec, receipt, -1
	d.say(msg("client.sent.found", d.noun(), rec.Index, size))
}

func (d *Delivery) endLookup() {
	d.checkpoint, d.chain, d.at = nil, nil, nil
	d.st.Latest, d.st.Next = 0, 0
}

// fail ends the lookup with err, a problem of the board's; the status
// becomes SentUnknown, and a Hint the board gave is dropped, so that the
// next lookup reads the records instead of trusting it.
func (d *Delivery) fail(err error) error {
	d.endLookup()
	d.st.Hint, d.st.Start = -1, d.st.From-1
	d.unknown(msg("client.sent.unchecked", d.noun(), d.verb()))
	return err
}

// Lookup starts looking the submission up on the board, against latest,
// the board's current signed checkpoint (GET /checkpoint) of N records,
// which must be signed by the board key and meet the election's trust
// policy. If N ≥ From, consistency is the consistency proof from the From
// tree to it (GET /proof/consistency?old=From&new=N); if Start < N, record
// is record Start (GET /records/Start) and proof its inclusion proof in
// the N tree (GET /proof/inclusion?index=Start&size=N). Then:
//
//   - N < From: the board's signed history is behind what the page saw
//     before sending: SentUnknown;
//   - with a Hint: record Hint must be the submission (SentFound, with the
//     receipt made of latest and proof), and is otherwise a lie, a
//     CodeBadBoard problem; a Hint at or past N is SentUnknown (not signed
//     yet);
//   - N = From: no record was signed since: SentNotFound;
//   - else SentPending: Add takes the records from From on, up to N.
//
// It restarts any lookup under way; once SentFound it changes nothing.
func (d *Delivery) Lookup(latest []byte, consistency tlog.TreeProof, record []byte, proof tlog.RecordProof) error {
	if d.st.Status == SentFound {
		return nil
	}
	d.endLookup()
	noun, verb := d.noun(), d.verb()
	cp, err := boardCheckpoint(d.vkey, latest)
	if err != nil {
		return d.fail(err)
	}
	if d.manifest != nil {
		if err := checkWitnessed(d.manifest, d.vkey, latest); err != nil {
			return d.fail(err)
		}
	}
	n, from := cp.Size, d.st.From
	if n < from {
		d.unknown(msg("client.sent.older", n, noun, from, verb))
		return nil
	}
	if err := bulletin.CheckConsistency(consistency, from, d.fromRoot, n, cp.Hash); err != nil {
		return d.fail(badBoard(err, "its history of %d records does not extend the %d records it had signed before this page sent your %s: it rewrote its records", n, from, noun))
	}
	d.st.Latest = n
	start := d.st.Start
	if d.st.Hint >= n {
		d.unknown(msg("client.sent.unsigned-hint", noun, d.st.Hint, noun))
		return nil
	}
	if d.st.Hint < 0 && n == from {
		d.notFound(msg("client.sent.none-since", noun, verb, noun))
		return nil
	}
	rec, err := parseRecord(record)
	if err != nil {
		return d.fail(badBoard(err, "its copy of record %d is not readable", start))
	}
	if int64(rec.Index) != start {
		return d.fail(badBoard(nil, "it sent record %d when asked for record %d", rec.Index, start))
	}
	if err := bulletin.CheckInclusion(proof, start, n, rec.LeafHash(), cp.Hash); err != nil {
		return d.fail(badBoard(err, "its proof does not show record %d in the tree of %d records its checkpoint signs", start, n))
	}
	if d.st.Hint >= 0 {
		if !d.sub.Holds(rec) {
			return d.fail(badBoard(nil, "it says it holds your %s as record %d, but record %d is not your %s, so this page shows no receipt", noun, start, start, noun))
		}
		return d.prove(rec, latest, proof)
	}
	d.checkpoint, d.root = latest, cp.Hash
	d.chain = bulletin.ResumeChain(rec, 0)
	d.st.Status, d.st.Next, d.st.Prove = SentPending, from, -1
	d.say(msg("client.sent.looking", noun, msg(plural(int(n-from), "client.records-one", "client.records"), n-from)))
	return nil
}

// prove makes the receipt of rec, the submission's record, from the signed
// checkpoint and the inclusion proof, and checks it as a receipt from the
// board's answer is checked.
func (d *Delivery) prove(rec *bulletin.Record, checkpoint []byte, proof tlog.RecordProof) error {
	r := &bulletin.Receipt{Index: int64(rec.Index), LeafHash: rec.LeafHash(), Checkpoint: bytes.Clone(checkpoint), Proof: proof}
	if !r.Matches(rec) {
		return d.fail(badBoard(nil, "its receipt is for another record"))
	}
	if _, _, err := verifyReceipt(r, d.vkey); err != nil {
		return d.fail(err)
	}
	d.found(rec, r)
	return nil
}

// pending returns nil while a lookup waits for records or a proof.
func (d *Delivery) pending() error {
	if d.st.Status != SentPending || d.chain == nil {
		return problemKey(CodeBadInput, nil, "client.problem.not-looking", d.noun())
	}
	return nil
}

// Add takes the next records after From−1, in order from Status().Next, as
// the board serves them (GET /records). Each must continue the log
// (bulletin.Chain.Append), and none may lie at or past Latest. Once the
// submission's record is among them, the lookup needs its inclusion proof
// (Prove); once all are in without it, the inclusion proof of the last.
func (d *Delivery) Add(recs []*bulletin.Record) error {
	if err := d.pending(); err != nil {
		return err
	}
	if d.st.Prove >= 0 {
		return nil // found, or all read: Finish is next
	}
	for _, rec := range recs {
		if d.chain.Size() >= d.st.Latest {
			return d.fail(badBoard(nil, "it sent record %d, but its checkpoint signs only %d records", rec.Index, d.st.Latest))
		}
		if err := d.chain.Append(rec); err != nil {
			return d.fail(badBoard(err, "record %d does not continue its log (the record is missing, moved, changed or not signed by its author)", d.chain.Size()))
		}
		d.st.Next = d.chain.Size()
		if d.sub.Holds(rec) {
			d.at, d.st.Prove = rec, int64(rec.Index)
			return nil
		}
	}
	if d.st.Next == d.st.Latest {
		d.st.Prove = d.st.Latest - 1
	}
	return nil
}

// Finish ends the lookup with proof, the inclusion proof of record Prove in
// the Latest tree (GET /proof/inclusion?index=<Prove>&size=<Latest>): of
// the submission's record, which makes its receipt (SentFound), or of the
// last record, which ties every record read to the checkpoint, none of
// them the submission (SentNotFound).
func (d *Delivery) Finish(proof tlog.RecordProof) error {
	if err := d.pending(); err != nil {
		return err
	}
	n := d.st.Latest
	if d.at != nil {
		if err := bulletin.CheckInclusion(proof, int64(d.at.Index), n, d.at.LeafHash(), d.root); err != nil {
			return d.fail(badBoard(err, "its proof does not show record %d, your %s, in the tree of %d records its checkpoint signs", d.at.Index, d.noun(), n))
		}
		return d.prove(d.at, d.checkpoint, proof)
	}
	if d.st.Next < n {
		return d.fail(badBoard(nil, "it stopped sending records at record %d, before the end of the %d records its checkpoint signs", d.st.Next, n))
	}
	if err := bulletin.CheckInclusion(proof, n-1, n, d.chain.Last(), d.root); err != nil {
		return d.fail(badBoard(err, "its proof does not show record %d, the last one it sent, in the tree of %d records its checkpoint signs", n-1, n))
	}
	noun, verb := d.noun(), d.verb()
	since := msg("client.sent.since", n-d.st.From, noun)
	if n-d.st.From == 1 {
		since = msg("client.sent.since-one", noun)
	}
	d.endLookup()
	d.notFound(msg("client.sent.not-found", noun, verb, since, noun))
	return nil
}
