package voterclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient"
)

// sending prepares a ballot of voter v, reads the board's checkpoint as the
// page does before sending, signs the ballot (or its challenge) and starts
// its delivery.
func sending(t *testing.T, b *board, sim *simulate.Election, v int, challenge bool) *voterclient.Delivery {
	t.Helper()
	e := synced(t, b)
	p, err := voterclient.Prepare(e, sim.Voters[v], sim.RandomChoices(), ballot.ConfirmationCode{})
	must(t, err)
	before := b.log.Checkpoint().Note
	var sub *bulletin.Submission
	if challenge {
		sub, err = p.ChallengeSubmission()
	} else {
		sub, err = p.CastSubmission()
	}
	must(t, err)
	d, err := voterclient.NewDelivery(sub, b.vkey, before, e.Manifest)
	must(t, err)
	if st := d.Status(); st.Status != voterclient.SentUnknown || st.From != b.log.Size() || st.Start != st.From-1 || st.Hint != -1 {
		t.Fatalf("new delivery: %+v, want unknown from %d", st, b.log.Size())
	}
	return d
}

// lookupFetch is what the page fetches from the board to look a sent
// ballot up (docs/spec/voter-client.md §5.6); a test changes it to make the
// board lie.
type lookupFetch struct {
	checkpoint  []byte             // GET /checkpoint, of latest records
	latest      int64              //
	consistency tlog.TreeProof     // GET /proof/consistency?old=<from>&new=<latest>
	record      []byte             // GET /records/<start>
	proof       tlog.RecordProof   // GET /proof/inclusion?index=<start>&size=<latest>
	after       []*bulletin.Record // GET /records?start=<from>&end=<latest>
	page        int                // records per GET /records; 2 if 0
	// prove returns GET /proof/inclusion?index=<i>&size=<latest>.
	prove func(i int64) tlog.RecordProof
}

// fetchLookup gets from the honest board b what the page fetches to look
// up the delivery whose status is st.
func (b *board) fetchLookup(t *testing.T, st voterclient.SentStatus) *lookupFetch {
	t.Helper()
	ctx := context.Background()
	cp := b.log.Checkpoint()
	f := &lookupFetch{checkpoint: cp.Note, latest: cp.Size}
	f.prove = func(i int64) tlog.RecordProof {
		p, err := b.log.InclusionProof(i, cp.Size)
		must(t, err)
		return p
	}
	var err error
	if cp.Size >= st.From {
		f.consistency, err = b.log.ConsistencyProof(st.From, cp.Size)
		must(t, err)
	}
	if st.Start < cp.Size {
		raw, err := b.log.Records(ctx, st.Start, st.Start+1)
		must(t, err)
		f.record, f.proof = raw[0], f.prove(st.Start)
	}
	if st.From < cp.Size {
		raw, err := b.log.Records(ctx, st.From, cp.Size)
		must(t, err)
		for _, enc := range raw {
			rec, err := bulletin.ParseRecord(enc)
			must(t, err)
			f.after = append(f.after, rec)
		}
	}
	return f
}

// run looks the delivery up as the page does: Lookup, then Add a page of
// records at a time from Next while it needs records, then Finish with the
// proof of record Prove.
func (f *lookupFetch) run(t *testing.T, d *voterclient.Delivery) error {
	t.Helper()
	if err := d.Lookup(f.checkpoint, f.consistency, f.record, f.proof); err != nil {
		return err
	}
	for d.Status().Status == voterclient.SentPending && d.Status().Prove < 0 {
		st := d.Status()
		i := st.Next - st.From
		if i >= int64(len(f.after)) {
			break // the board sent nothing more: Finish says so
		}
		n := int64(f.page)
		if n == 0 {
			n = 2
		}
		page := f.after[i:min(i+n, int64(len(f.after)))]
		if err := d.Add(page); err != nil {
			return err
		}
		if next := d.Status().Next; d.Status().Prove < 0 && next != int64(page[len(page)-1].Index)+1 {
			t.Fatalf("after record %d, Next = %d", page[len(page)-1].Index, next)
		}
	}
	if st := d.Status(); st.Status == voterclient.SentPending {
		at := st.Prove
		if at < 0 {
			at = st.Latest - 1
		}
		return d.Finish(f.prove(at))
	}
	return nil
}

// lookup looks the delivery up on the honest board b.
func (b *board) lookup(t *testing.T, d *voterclient.Delivery) voterclient.SentStatus {
	t.Helper()
	must(t, b.fetchLookup(t, d.Status()).run(t, d))
	return d.Status()
}

// wantFound checks that st is the found ballot the board holds as record
// want, with a receipt for it that the receipt check (§6) accepts.
func wantFound(t *testing.T, b *board, st voterclient.SentStatus, want *bulletin.Record) {
	t.Helper()
	if st.Status != voterclient.SentFound || st.Record == nil || st.Receipt == nil {
		t.Fatalf("status %+v, want found at record %d", st, want.Index)
	}
	if st.Record.Index != want.Index || st.Record.LeafHash() != want.LeafHash() || !st.Receipt.Matches(want) {
		t.Fatalf("found record %d, receipt for record %d; the board holds the ballot as record %d", st.Record.Index, st.Receipt.Index, want.Index)
	}
	if _, err := st.Receipt.Verify(b.vkey); err != nil {
		t.Fatalf("the receipt does not verify: %v", err)
	}
	if !strings.HasPrefix(st.Message, fmt.Sprintf("Your ballot is record %d on the board", want.Index)) &&
		!strings.HasPrefix(st.Message, fmt.Sprintf("Your challenged ballot is record %d on the board", want.Index)) {
		t.Errorf("message %q", st.Message)
	}
	if want.Type != election.TypeBallot {
		return
	}
	latest := b.log.Checkpoint()
	old, err := st.Receipt.Verify(b.vkey)
	must(t, err)
	proof, err := b.log.ConsistencyProof(old.Size, latest.Size)
	must(t, err)
	raw, err := b.log.Records(context.Background(), int64(want.Index), int64(want.Index)+1)
	must(t, err)
	if _, err := voterclient.CheckReceipt(st.Receipt.Marshal(), b.vkey, latest.Note, proof, raw[0], synced(t, b).Ballot); err != nil {
		t.Fatalf("the receipt check refuses the receipt: %v", err)
	}
}

// appended posts the delivery's submission and drops the answer, as a
// connection that breaks after the board appended it; it returns the
// board's record.
func appended(t *testing.T, b *board, d *voterclient.Delivery) *bulletin.Record {
	t.Helper()
	status, body := b.post(t, d.Submission())
	if status != 201 {
		t.Fatalf("posting: %d %s", status, body)
	}
	var resp bulletin.AppendResponse
	must(t, json.Unmarshal(body, &resp))
	rec, err := bulletin.ParseRecord(resp.Record)
	must(t, err)
	return rec
}

func errorBody(code, msg string) []byte {
	out, _ := json.Marshal(bulletin.ErrorResponse{Error: msg, Code: code})
	return out
}

// TestDeliveryAnswer is the decision on the board's answer to the POST:
// found, not found (the board did not take it), unknown (look it up, with
// the record a duplicate refusal names), or refused for good.
func TestDeliveryAnswer(t *testing.T) {
	b, sim := openElection(t, nil)
	for _, tt := range []struct {
		name   string
		status int
		body   []byte
		want   string // a status, or a problem code
		hint   int64
	}{
		{"no answer", 0, []byte("TypeError: Failed to fetch"), voterclient.SentUnknown, -1},
		{"internal error", 500, errorBody("internal", "internal error"), voterclient.SentUnknown, -1},
		{"bad gateway", 502, []byte("<html>bad gateway</html>"), voterclient.SentUnknown, -1},
		{"cannot write", 503, errorBody("unavailable", "the board cannot write"), voterclient.SentUnknown, -1},
		{"duplicate", 409, errorBody("duplicate", "this ballot is already on the board as record 17"), voterclient.SentUnknown, 17},
		{"duplicate of the open policy", 409, errorBody("duplicate", "identical submission is already record 9"), voterclient.SentUnknown, 9},
		{"duplicate naming no record", 409, errorBody("duplicate", "already there"), voterclient.SentUnknown, -1},
		{"rate limited", 429, errorBody("rate-limited", "slow down"), voterclient.SentNotFound, -1},
		{"body timeout", 408, errorBody("timeout", "the request body did not arrive in time"), voterclient.SentNotFound, -1},
		{"closed", 409, errorBody("wrong-phase", "voting closed"), voterclient.CodeClosed, -1},
		{"ineligible", 403, errorBody("ineligible", "not on the roll"), voterclient.CodeIneligible, -1},
		{"bad proof", 422, errorBody("bad-proof", "proof"), voterclient.CodeRejected, -1},
		{"created, unreadable", 201, []byte("{}"), voterclient.CodeBadBoard, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := sending(t, b, sim, 0, false)
			err := d.Answer(tt.status, tt.body)
			st := d.Status()
			if err != nil {
				wantProblem(t, tt.name, err, tt.want)
				if st.Status == voterclient.SentFound {
					t.Fatalf("Answer(%d) = %v, and the status is found", tt.status, err)
				}
				return
			}
			if st.Status != tt.want || st.Hint != tt.hint || st.Record != nil || st.Message == "" {
				t.Fatalf("Answer(%d, %s) = %+v, want %s with hint %d", tt.status, tt.body, st, tt.want, tt.hint)
			}
			if want := tt.hint; want >= 0 && st.Start != want || want < 0 && st.Start != st.From-1 {
				t.Fatalf("Answer(%d): start %d, hint %d, from %d", tt.status, st.Start, st.Hint, st.From)
			}
			t.Logf("%d: %s: %s", tt.status, st.Status, st.Message)
		})
	}
	t.Run("created", func(t *testing.T) {
		d := sending(t, b, sim, 1, false)
		status, body := b.post(t, d.Submission())
		must(t, d.Answer(status, body))
		wantFound(t, b, d.Status(), d.Status().Record)
	})
}

// TestDeliveryLostAnswer: the board appended the ballot, but its answer
// was lost or failed; the lookup finds it among the records signed since,
// and makes a receipt the receipt check accepts.
func TestDeliveryLostAnswer(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		status    int
		challenge bool
		before    int // other voters' ballots between the page's checkpoint and the ballot
		after     int // and after it
	}{
		{"connection broke", 0, false, 0, 0},
		{"records around it", 0, false, 3, 4},
		{"board failed", 503, false, 1, 2},
		{"challenge", 0, true, 2, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, sim := openElection(t, nil)
			d := sending(t, b, sim, 0, tt.challenge)
			for i := range tt.before {
				_, _, err := sim.Cast(ctx, 1+i%3, sim.RandomChoices())
				must(t, err)
			}
			rec := appended(t, b, d)
			for i := range tt.after {
				_, _, err := sim.Cast(ctx, 1+i%3, sim.RandomChoices())
				must(t, err)
			}
			must(t, d.Answer(tt.status, nil))
			if st := d.Status(); st.Status != voterclient.SentUnknown {
				t.Fatalf("Answer(%d): %+v, want unknown", tt.status, st)
			}
			// A board that proves another record than the ballot's is
			// refused, and no receipt made.
			f := b.fetchLookup(t, d.Status())
			prove := f.prove
			f.prove = func(i int64) tlog.RecordProof { return prove(i - 1) }
			p := wantProblem(t, "proof of another record", f.run(t, d), voterclient.CodeBadBoard)
			if want := fmt.Sprintf("its proof does not show record %d, your", rec.Index); !strings.Contains(p.Message, want) {
				t.Fatalf("message %q, want it to say %q", p.Message, want)
			}
			if st := d.Status(); st.Status != voterclient.SentUnknown || st.Receipt != nil {
				t.Fatalf("after the lie: %+v", st)
			}
			wantFound(t, b, b.lookup(t, d), rec)
			// A later answer or lookup changes nothing.
			must(t, d.Answer(0, nil))
			must(t, d.Lookup(nil, nil, nil, nil))
			wantFound(t, b, d.Status(), rec)
		})
	}
}

// TestDeliveryNotAppended: the ballot never reached the board; the lookup
// reads every record signed since and says it was not cast; sending it
// again casts it, and sending it once more is a duplicate the lookup finds
// at the record the board names.
func TestDeliveryNotAppended(t *testing.T) {
	ctx := context.Background()
	b, sim := openElection(t, nil)

	// Nothing signed since the page read the checkpoint.
	d := sending(t, b, sim, 0, false)
	must(t, d.Answer(0, nil))
	if st := b.lookup(t, d); st.Status != voterclient.SentNotFound || !strings.HasPrefix(st.Message, "Your ballot was not cast") {
		t.Fatalf("lookup with no record since: %+v", st)
	}

	// Other voters' ballots since.
	for v := 1; v < 4; v++ {
		_, _, err := sim.Cast(ctx, v, sim.RandomChoices())
		must(t, err)
	}
	st := b.lookup(t, d)
	if st.Status != voterclient.SentNotFound || !strings.Contains(st.Message, "none of the 3 records the board signed since") {
		t.Fatalf("lookup with 3 records since: %+v", st)
	}
	t.Logf("not found: %s", st.Message)

	// Send it again: cast.
	status, body := b.post(t, d.Submission())
	must(t, d.Answer(status, body))
	first := d.Status().Record
	wantFound(t, b, d.Status(), first)

	// The same submission sent by another delivery (a page that lost the
	// answer to its second try): the board refuses the duplicate, naming
	// the record, which the lookup checks.
	if _, err := voterclient.NewDelivery(d.Submission(), b.vkey, nil, nil); err == nil {
		t.Fatal("NewDelivery took no checkpoint")
	}
	_, _, err := sim.Cast(ctx, 1, sim.RandomChoices())
	must(t, err)
	again, err := voterclient.NewDelivery(d.Submission(), b.vkey, b.log.Checkpoint().Note, nil)
	must(t, err)
	status, body = b.post(t, again.Submission())
	if status != 409 {
		t.Fatalf("posting twice: %d %s", status, body)
	}
	must(t, again.Answer(status, body))
	if st := again.Status(); st.Status != voterclient.SentUnknown || st.Hint != int64(first.Index) || st.Start != st.Hint {
		t.Fatalf("duplicate: %+v, want unknown with hint %d", st, first.Index)
	}
	wantFound(t, b, b.lookup(t, again), first)
}

// TestDeliveryLies: a board that lies in a lookup is refused with a
// bad-board problem, and no receipt is made: a duplicate refusal naming
// another ballot's record, checkpoints that do not verify, records that
// do not chain, proofs of other records, a rewritten history, a scan cut
// short. A board whose signed history is behind, or that names a record it
// has not signed yet, leaves the answer unknown.
func TestDeliveryLies(t *testing.T) {
	ctx := context.Background()
	b, sim := openElection(t, nil)
	other := newBoard(t)
	_, _, err := sim.Cast(ctx, 1, sim.RandomChoices())
	must(t, err)

	// The ballot never reaches the board; other ballots do.
	d := sending(t, b, sim, 0, false)
	var others []*bulletin.Record
	for v := 1; v < 4; v++ {
		rec, _, err := sim.Cast(ctx, v, sim.RandomChoices())
		must(t, err)
		others = append(others, rec)
	}
	must(t, d.Answer(0, nil))
	from := d.Status().From
	honest := b.fetchLookup(t, d.Status())
	// mangled is rec a millisecond later: another leaf hash, still
	// signed by its author (the signature does not cover the time).
	mangled := func(rec *bulletin.Record) *bulletin.Record {
		c := *rec
		c.Time = rec.Time.Add(time.Millisecond)
		return &c
	}
	for _, tt := range []struct {
		name string
		lie  func(f *lookupFetch)
		want string // in the message
	}{
		{"checkpoint of another key", func(f *lookupFetch) { f.checkpoint = other.log.Checkpoint().Note }, "not signed by its key"},
		{"checkpoint altered", func(f *lookupFetch) {
			f.checkpoint = []byte(strings.Replace(string(f.checkpoint), fmt.Sprintf("\n%d\n", f.latest), fmt.Sprintf("\n%d\n", f.latest+1), 1))
		}, "not signed by its key"},
		{"rewritten history", func(f *lookupFetch) { f.consistency = append(tlog.TreeProof{{1}}, f.consistency...) }, "rewrote its records"},
		{"record before the window changed", func(f *lookupFetch) {
			rec, err := bulletin.ParseRecord(f.record)
			must(t, err)
			f.record, err = mangled(rec).MarshalJSON()
			must(t, err)
		}, fmt.Sprintf("does not show record %d in the tree", from-1)},
		{"proof of another record", func(f *lookupFetch) { f.proof = f.prove(from) }, fmt.Sprintf("does not show record %d in the tree", from-1)},
		{"record in the window changed", func(f *lookupFetch) { f.after[1] = mangled(f.after[1]) }, fmt.Sprintf("record %d does not continue its log", from+2)},
		{"record dropped", func(f *lookupFetch) { f.after = append(f.after[:1:1], f.after[2:]...) }, fmt.Sprintf("record %d does not continue its log", from+1)},
		{"scan cut short", func(f *lookupFetch) { f.after = f.after[:2] }, fmt.Sprintf("stopped sending records at record %d", from+2)},
		{"last record's proof", func(f *lookupFetch) {
			p := f.prove
			f.prove = func(i int64) tlog.RecordProof { return p(i - 1) }
		}, fmt.Sprintf("does not show record %d, the last one it sent", from+2)},
		{"record past the checkpoint", func(f *lookupFetch) {
			// The board sends, in one page, a record more than its
			// checkpoint signs.
			rec, _, err := sim.Cast(ctx, 1, sim.RandomChoices())
			must(t, err)
			f.after, f.page = append(f.after, rec), len(f.after)+1
		}, fmt.Sprintf("it sent record %d, but its checkpoint signs only %d records", from+3, from+3)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := b.fetchLookup(t, d.Status())
			f.after = append([]*bulletin.Record(nil), f.after...)
			tt.lie(f)
			err := f.run(t, d)
			p := wantProblem(t, tt.name, err, voterclient.CodeBadBoard)
			if !strings.Contains(p.Message, tt.want) {
				t.Fatalf("message %q, want it to say %q", p.Message, tt.want)
			}
			if st := d.Status(); st.Status != voterclient.SentUnknown || st.Record != nil || st.Receipt != nil {
				t.Fatalf("after the lie: %+v, want unknown and no receipt", st)
			}
		})
	}
	if st := b.lookup(t, d); st.Status != voterclient.SentNotFound {
		t.Fatalf("honest lookup after the lies: %+v", st)
	}

	// A duplicate refusal naming another voter's ballot.
	t.Run("duplicate naming another ballot", func(t *testing.T) {
		must(t, d.Answer(409, errorBody("duplicate", fmt.Sprintf("this ballot is already on the board as record %d", others[1].Index))))
		err := b.fetchLookup(t, d.Status()).run(t, d)
		p := wantProblem(t, "duplicate naming another ballot", err, voterclient.CodeBadBoard)
		if want := fmt.Sprintf("it says it holds your ballot as record %d, but record %d is not your ballot, so this page shows no receipt", others[1].Index, others[1].Index); !strings.Contains(p.Message, want) {
			t.Fatalf("message %q, want it to say %q", p.Message, want)
		}
		// The next lookup reads the records instead of trusting the hint.
		if st := d.Status(); st.Status != voterclient.SentUnknown || st.Hint != -1 || st.Start != from-1 || st.Record != nil {
			t.Fatalf("after the lie: %+v", st)
		}
		if st := b.lookup(t, d); st.Status != voterclient.SentNotFound {
			t.Fatalf("lookup after the lie: %+v", st)
		}
	})
	// The record the board names is another voter's, served as if it were
	// at that index: refused too.
	t.Run("record served at another index", func(t *testing.T) {
		must(t, d.Answer(409, errorBody("duplicate", fmt.Sprintf("already record %d", others[2].Index))))
		f := b.fetchLookup(t, d.Status())
		enc, err := others[1].MarshalJSON()
		must(t, err)
		f.record = enc
		p := wantProblem(t, "record at another index", f.run(t, d), voterclient.CodeBadBoard)
		if want := fmt.Sprintf("it sent record %d when asked for record %d", others[1].Index, others[2].Index); !strings.Contains(p.Message, want) {
			t.Fatalf("message %q, want it to say %q", p.Message, want)
		}
	})
	t.Run("named record not signed yet", func(t *testing.T) {
		must(t, d.Answer(409, errorBody("duplicate", fmt.Sprintf("already record %d", b.log.Size()))))
		must(t, b.fetchLookup(t, d.Status()).run(t, d))
		if st := d.Status(); st.Status != voterclient.SentUnknown || !strings.Contains(st.Message, "has not yet signed a checkpoint that includes that record") {
			t.Fatalf("lookup of an unsigned record: %+v", st)
		}
	})
	t.Run("history behind", func(t *testing.T) {
		_, _, err := sim.Cast(ctx, 1, sim.RandomChoices())
		must(t, err)
		late := sending(t, b, sim, 0, false)
		must(t, late.Answer(0, nil))
		// A checkpoint the board signed earlier, of fewer records.
		f := &lookupFetch{checkpoint: honest.checkpoint, latest: honest.latest}
		if late.Status().From <= honest.latest {
			t.Fatalf("from %d, earlier checkpoint %d", late.Status().From, honest.latest)
		}
		must(t, f.run(t, late))
		if st := late.Status(); st.Status != voterclient.SentUnknown || !strings.Contains(st.Message, "is older than the one this page read before sending") {
			t.Fatalf("lookup against an older checkpoint: %+v", st)
		}
	})
}

// TestSessionLookup runs the page's calls when the answer to a cast is
// lost: the module looks the ballot up (found, with a receipt), or finds
// it was not cast, and a second try casts it.
func TestSessionLookup(t *testing.T) {
	b, sim := openElection(t, nil)
	j := newJSONSession(t, b)
	j.sync(true)
	cred, err := sim.Voters[0].Marshal()
	must(t, err)
	j.ok("credential", string(cred))
	ctx := context.Background()

	// lookup runs "delivery", then "lookup", "lookupScan" and
	// "lookupFinish" as the page does.
	lookup := func() map[string]any {
		t.Helper()
		d := j.ok("delivery", nil)
		from, start := int64(d["from"].(float64)), int64(d["start"].(float64))
		cp := b.log.Checkpoint()
		args := map[string]any{"checkpoint": string(cp.Note)}
		if cp.Size >= from {
			p, err := b.log.ConsistencyProof(from, cp.Size)
			must(t, err)
			args["consistency"] = bulletin.ConsistencyProofResponse{Old: from, New: cp.Size, Proof: p}
		}
		if start < cp.Size {
			raw, err := b.log.Records(ctx, start, start+1)
			must(t, err)
			p, err := b.log.InclusionProof(start, cp.Size)
			must(t, err)
			args["record"], args["proof"] = string(raw[0]), bulletin.InclusionProofResponse{Index: start, Size: cp.Size, Proof: p}
		}
		res := j.ok("lookup", args)
		for res["status"] == voterclient.SentPending && res["prove"].(float64) < 0 {
			next := int64(res["next"].(float64))
			page, err := b.log.Records(ctx, next, min(next+2, cp.Size))
			must(t, err)
			res = j.ok("lookupScan", string(bytes.Join(page, []byte("\n"))))
		}
		if res["status"] == voterclient.SentPending {
			at := int64(res["prove"].(float64))
			p, err := b.log.InclusionProof(at, cp.Size)
			must(t, err)
			res = j.ok("lookupFinish", bulletin.InclusionProofResponse{Index: at, Size: cp.Size, Proof: p})
		}
		return res
	}

	// The connection breaks after the board appended the ballot.
	j.ok("prepare", map[string]any{"choices": sim.RandomChoices(), "prev": ""})
	sub := j.ok("cast", map[string]any{"checkpoint": string(b.log.Checkpoint().Note)})
	_, _, err = sim.Cast(ctx, 1, sim.RandomChoices())
	must(t, err)
	status, _ := b.post(t, mustSubmission(t, sub["submission"].(string)))
	if status != 201 {
		t.Fatalf("post: %d", status)
	}
	_, _, err = sim.Cast(ctx, 2, sim.RandomChoices())
	must(t, err)
	if r := j.ok("posted", map[string]any{"status": 0, "body": "TypeError: Failed to fetch"}); r["status"] != voterclient.SentUnknown {
		t.Fatalf("posted without an answer: %v", r)
	}
	found := lookup()
	idx, ok := b.tracker.State().CastBallot(sim.Voters[0].Public)
	if found["status"] != voterclient.SentFound || !ok || found["index"] != float64(idx) || found["type"] != "ballot" {
		t.Fatalf("lookup = %v; the board counts record %d (%v)", found, idx, ok)
	}
	r, err := bulletin.ParseReceipt([]byte(found["receipt"].(string)))
	must(t, err)
	if _, err := r.Verify(b.vkey); err != nil || r.Index != int64(idx) {
		t.Fatalf("receipt for record %d: %v", r.Index, err)
	}
	j.fails("delivery", nil, voterclient.CodeNoBallot) // found: over

	// The ballot never reaches the board: not cast; sent again, cast.
	j.ok("prepare", map[string]any{"choices": sim.RandomChoices(), "prev": ""})
	sub = j.ok("cast", nil) // bounded by the anchored checkpoint
	j.ok("posted", map[string]any{"status": 0, "body": "TypeError: Failed to fetch"})
	if res := lookup(); res["status"] != voterclient.SentNotFound || res["record"] != "" {
		t.Fatalf("lookup of a ballot never sent = %v", res)
	}
	status, body := b.post(t, mustSubmission(t, sub["submission"].(string)))
	again := j.ok("posted", map[string]any{"status": status, "body": string(body)})
	if idx, _ := b.tracker.State().CastBallot(sim.Voters[0].Public); again["status"] != voterclient.SentFound || again["index"] != float64(idx) {
		t.Fatalf("posted again = %v; the board counts record %d", again, idx)
	}

	// A checkpoint that does not check out leaves the ballot to send.
	j.ok("prepare", map[string]any{"choices": sim.RandomChoices(), "prev": ""})
	j.fails("cast", map[string]any{"checkpoint": "not a checkpoint"}, voterclient.CodeBadBoard)
	j.ok("cast", nil)
	j.fails("lookupScan", string(b.page(t, 0)), voterclient.CodeBadInput)
	j.fails("lookupFinish", `{"proof":[]}`, voterclient.CodeBadInput)
}
