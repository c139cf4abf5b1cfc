package voterclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient"
)

func synced(t *testing.T, b *board) *voterclient.Election {
	t.Helper()
	e, err := voterclient.Sync(b.records(t))
	must(t, err)
	return e
}

// TestVoteChallengeCastRevote runs the page's flow with the library:
// challenge once, cast, re-vote; the board accepts each and counts one.
func TestVoteChallengeCastRevote(t *testing.T) {
	b, sim := openElection(t, nil)
	e := synced(t, b)
	credFile, err := sim.Voters[1].Marshal()
	must(t, err)
	cred, err := voterclient.LoadCredential(e, credFile)
	must(t, err)

	marked := sim.RandomChoices()
	p, err := voterclient.Prepare(e, cred, marked, ballot.ConfirmationCode{})
	must(t, err)
	sub, err := p.ChallengeSubmission()
	must(t, err)
	if _, err := p.CastSubmission(); err == nil {
		t.Fatal("a challenged ballot could still be cast")
	}
	status, body := b.post(t, sub)
	rec, _, err := voterclient.Posted(sub, status, body, b.vkey)
	must(t, err)
	rv, err := voterclient.RevealChallenge(e, rec.Payload)
	must(t, err)
	if rv.Code != p.Code || !reflect.DeepEqual(rv.Choices, marked) {
		t.Fatalf("revealed %v (code %s), marked %v (code %s)", rv.Choices, rv.Code.Short(), marked, p.Code.Short())
	}

	// Cast, chained to the challenged ballot's code.
	p2, err := voterclient.Prepare(e, cred, sim.RandomChoices(), p.Code)
	must(t, err)
	if p2.Ballot.Prev != p.Code {
		t.Fatal("the device code chain is broken")
	}
	sub, err = p2.CastSubmission()
	must(t, err)
	status, body = b.post(t, sub)
	first, receipt, err := voterclient.Posted(sub, status, body, b.vkey)
	must(t, err)
	if idx, ok := b.tracker.State().CastBallot(cred.Public); !ok || idx != first.Index {
		t.Fatalf("CastBallot = %d, %v; want %d", idx, ok, first.Index)
	}

	// Re-vote.
	p3, err := voterclient.Prepare(e, cred, sim.RandomChoices(), p2.Code)
	must(t, err)
	sub, err = p3.CastSubmission()
	must(t, err)
	status, body = b.post(t, sub)
	second, _, err := voterclient.Posted(sub, status, body, "")
	must(t, err)
	st := b.tracker.State()
	if sup := st.Superseded(); sup[first.Index] != second.Index {
		t.Fatalf("superseded = %v, want %d → %d", sup, first.Index, second.Index)
	}
	s := st.Summary()
	if s.Challenged != 1 || s.Ballots != 2 || s.Superseded != 1 || s.Counted != 1 {
		t.Fatalf("summary = %+v", s)
	}

	// The first receipt still checks against the board's latest checkpoint,
	// and says that the re-vote replaced its ballot.
	rs, err := b.fetch(t, receipt).check(t, receipt, b.vkey, e.Ballot)
	must(t, err)
	if rs.Index != int64(first.Index) || rs.Latest != b.log.Size() || rs.Status != voterclient.StatusReplaced ||
		rs.ReplacedBy != int64(second.Index) || rs.Current != int64(second.Index) {
		t.Fatalf("receipt status = %+v, want record %d replaced by %d", rs, first.Index, second.Index)
	}
}

func TestReceiptFailures(t *testing.T) {
	b, sim := openElection(t, nil)
	ctx := context.Background()
	rec, receipt, err := sim.Cast(ctx, 0, sim.RandomChoices())
	must(t, err)
	_, _, err = sim.Cast(ctx, 1, sim.RandomChoices())
	must(t, err)
	latest := b.log.Checkpoint()
	proof, err := b.log.ConsistencyProof(receipt.Index+1, latest.Size)
	must(t, err)
	enc := receipt.Marshal()
	raw, err := b.log.Records(ctx, int64(rec.Index), int64(rec.Index)+1)
	must(t, err)
	e := synced(t, b).Ballot
	if _, err := voterclient.CheckReceipt(enc, b.vkey, latest.Note, proof, raw[0], e); err != nil {
		t.Fatal(err)
	}
	// A receipt saved with Windows line endings checks the same.
	crlf := bytes.ReplaceAll(enc, []byte("\n"), []byte("\r\n"))
	if _, err := voterclient.CheckReceipt(crlf, b.vkey, latest.Note, proof, raw[0], e); err != nil {
		t.Fatalf("CRLF receipt: %v", err)
	}
	cp, err := receipt.Verify(b.vkey)
	must(t, err)
	if info, err := voterclient.ReceiptInfo(crlf); err != nil || info.Index != receipt.Index || info.Size != cp.Size {
		t.Fatalf("ReceiptInfo(CRLF receipt) = %+v, %v; want index %d, size %d", info, err, receipt.Index, cp.Size)
	}
	other := newBoard(t)
	otherRaw, err := b.log.Records(ctx, 0, 1)
	must(t, err)

	mangled := []byte(string(enc))
	mangled[len("evote/v1/receipt\nindex: 1")]++ // another index
	tests := []struct {
		name    string
		receipt []byte
		vkey    string
		latest  []byte
		record  []byte
		code    string
	}{
		{"not a receipt", []byte("hello"), b.vkey, latest.Note, raw[0], voterclient.CodeBadReceipt},
		{"other board's key", enc, other.vkey, latest.Note, raw[0], voterclient.CodeBadReceipt},
		{"altered receipt", mangled, b.vkey, latest.Note, raw[0], voterclient.CodeBadReceipt},
		{"unsigned latest", enc, b.vkey, other.log.Checkpoint().Note, raw[0], voterclient.CodeBadBoard},
		{"record unreadable", enc, b.vkey, latest.Note, []byte("{}"), voterclient.CodeBadBoard},
		{"record changed", enc, b.vkey, latest.Note, otherRaw[0], voterclient.CodeBadReceipt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := voterclient.CheckReceipt(tt.receipt, tt.vkey, tt.latest, proof, tt.record, e)
			wantProblem(t, tt.name, err, tt.code)
		})
	}
	t.Run("receipt of another board", func(t *testing.T) {
		_, elsewhere, err := note.GenerateKey(rand.Reader, "elsewhere.example/board")
		must(t, err)
		_, err = voterclient.CheckReceipt(enc, elsewhere, latest.Note, proof, raw[0], e)
		if p := voterclient.AsProblem(err); p == nil || p.Code != voterclient.CodeBadReceipt ||
			!strings.Contains(p.Message, `This receipt is from the board “test-board”, not from this one (“elsewhere.example/board”)`) {
			t.Fatalf("CheckReceipt with another board's key = %v, want a bad-receipt naming both boards", err)
		}
	})
	t.Run("rewritten history", func(t *testing.T) {
		bad := append(proof[:0:0], proof...)
		if len(bad) == 0 {
			t.Skip("empty proof")
		}
		bad[0][0] ^= 1
		_, err := voterclient.CheckReceipt(enc, b.vkey, latest.Note, bad, raw[0], e)
		wantProblem(t, "rewritten history", err, voterclient.CodeBadReceipt)
	})
}

func TestPlainWordsErrors(t *testing.T) {
	b, sim := openElection(t, nil)
	e := synced(t, b)

	_, err := voterclient.LoadCredential(e, []byte(`{"version":"evote/v1"}`))
	wantProblem(t, "garbage credential", err, voterclient.CodeBadCredential)

	other, err := ballot.NewCredential("another-election", "voter-1")
	must(t, err)
	f, err := other.Marshal()
	must(t, err)
	_, err = voterclient.LoadCredential(e, f)
	wantProblem(t, "credential of another election", err, voterclient.CodeWrongElection)

	stranger, err := ballot.NewCredential(sim.Manifest.ID, "stranger")
	must(t, err)
	f, err = stranger.Marshal()
	must(t, err)
	_, err = voterclient.LoadCredential(e, f)
	wantProblem(t, "credential not on the roll", err, voterclient.CodeIneligible)

	cred := sim.Voters[0]
	tooMany := ballot.NewChoices(sim.Manifest)
	tooMany[1][0], tooMany[1][1], tooMany[1][2], tooMany[1][3] = 1, 1, 1, 1 // council: up to 3
	_, err = voterclient.Prepare(e, cred, tooMany, ballot.ConfirmationCode{})
	wantProblem(t, "too many", err, voterclient.CodeInvalidChoices)
	tooFew := ballot.NewChoices(sim.Manifest) // budget: exactly 5 points
	_, err = voterclient.Prepare(e, cred, tooFew, ballot.ConfirmationCode{})
	wantProblem(t, "too few", err, voterclient.CodeInvalidChoices)
	overMax := sim.RandomChoices()
	overMax[3] = []uint64{5, 0, 0} // at most 3 per option
	_, err = voterclient.Prepare(e, cred, overMax, ballot.ConfirmationCode{})
	wantProblem(t, "over option max", err, voterclient.CodeInvalidChoices)
	_, err = voterclient.Prepare(e, cred, ballot.Choices{{1}}, ballot.ConfirmationCode{})
	wantProblem(t, "wrong shape", err, voterclient.CodeBadInput)

	// A ballot cast after voting closed.
	p, err := voterclient.Prepare(e, cred, sim.RandomChoices(), ballot.ConfirmationCode{})
	must(t, err)
	must(t, sim.SetPhase(context.Background(), election.PhaseClosed))
	sub, err := p.CastSubmission()
	must(t, err)
	status, body := b.post(t, sub)
	_, _, err = voterclient.Posted(sub, status, body, "")
	wantProblem(t, "cast after close", err, voterclient.CodeClosed)
	// Sync stops reading once voting is open, so a later close is learned
	// from the board (above) or the summary; an election known closed is
	// refused before encrypting.
	closed := *synced(t, b)
	if closed.Phase != election.Open {
		t.Fatalf("synced phase %s, want open (sync stops there)", closed.Phase)
	}
	closed.Phase = election.Closed
	_, err = voterclient.Prepare(&closed, cred, sim.RandomChoices(), ballot.ConfirmationCode{})
	wantProblem(t, "prepare after close", err, voterclient.CodeClosed)

	for _, tt := range []struct {
		status int
		body   string
		code   string
	}{
		{503, `{"error":"queue full","code":"overloaded"}`, voterclient.CodeBusy},
		{429, `{"error":"too many","code":"rate-limited"}`, voterclient.CodeBusy},
		{403, `{"error":"not on roll","code":"ineligible"}`, voterclient.CodeIneligible},
		{409, `{"error":"already","code":"duplicate"}`, voterclient.CodeDuplicate},
		{422, `{"error":"proof","code":"bad-proof"}`, voterclient.CodeRejected},
		{500, `oops`, voterclient.CodeUnreachable},
	} {
		wantProblem(t, tt.body, voterclient.BoardError(tt.status, []byte(tt.body)), tt.code)
	}
}

// TestBoardTampering checks that Sync refuses records a dishonest board
// altered.
func TestBoardTampering(t *testing.T) {
	b, _ := openElection(t, nil)
	for _, tt := range []struct {
		name   string
		mangle func([]*bulletin.Record) []*bulletin.Record
	}{
		{"payload changed", func(r []*bulletin.Record) []*bulletin.Record {
			r[2].Payload = []byte(string(r[2].Payload[:len(r[2].Payload)-2]) + " }")
			return r
		}},
		{"record dropped", func(r []*bulletin.Record) []*bulletin.Record { return append(r[:3:3], r[4:]...) }},
		{"chain broken", func(r []*bulletin.Record) []*bulletin.Record { r[3].Prev[0] ^= 1; return r }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := voterclient.Sync(tt.mangle(b.records(t)))
			wantProblem(t, tt.name, err, voterclient.CodeBadBoard)
		})
	}
}

// TestForgedRecords checks that Sync refuses validly signed records that
// break the election's rules: what a dishonest board colluding with a
// participant could post.
func TestForgedRecords(t *testing.T) {
	b, sim := openElection(t, nil)
	recs := b.records(t)
	find := func(typ string) int {
		for i, r := range recs {
			if r.Type == typ {
				return i
			}
		}
		t.Fatalf("no %s record", typ)
		return -1
	}
	jk := find(election.TypeJointKey)
	trustee1 := election.TrusteeSigner{Keys: sim.Trustees[0]}
	trustee2 := election.TrusteeSigner{Keys: sim.Trustees[1]}
	fakeKey, err := ceremony.ParseJointKey(recs[jk].Payload)
	must(t, err)
	fakeKey.PublicKey = crypto.GenerateKey().PublicKey()
	fakePayload, err := fakeKey.Marshal()
	must(t, err)
	var secondCommitments int
	for i, r := range recs {
		if r.Type == election.TypeCommitments && i > find(election.TypeCommitments) {
			secondCommitments = i
			break
		}
	}
	// Commitments whose Schnorr proofs are swapped, signed by their trustee.
	fc := find(election.TypeCommitments)
	badProofs, err := ceremony.ParseCommitments(recs[fc].Payload)
	must(t, err)
	badProofs.Proofs[0], badProofs.Proofs[1] = badProofs.Proofs[1], badProofs.Proofs[0]
	badProofsPayload, err := badProofs.Marshal()
	must(t, err)
	dealer := election.TrusteeSigner{Keys: sim.Trustees[badProofs.Trustee-1]}
	for _, tt := range []struct {
		name    string
		at      int
		typ     string
		payload []byte
		signer  election.Signer
	}{
		{"commitments with invalid proofs", fc, election.TypeCommitments, badProofsPayload, dealer},
		{"first record not the definition", 0, election.TypeBallot, recs[0].Payload, sim.Official},
		{"joint key by a trustee", jk, election.TypeJointKey, recs[jk].Payload, trustee1},
		{"joint key the trustees did not make", jk, election.TypeJointKey, fakePayload, sim.Official},
		{"commitments by another trustee", secondCommitments, election.TypeCommitments, recs[secondCommitments].Payload, trustee1},
		{"phase opened by a trustee", find(election.TypePhase), election.TypePhase, recs[find(election.TypePhase)].Payload, trustee2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forged := append([]*bulletin.Record(nil), b.records(t)[:tt.at+1]...)
			r := forged[tt.at]
			r.Type, r.Payload, r.Author = tt.typ, tt.payload, tt.signer.PublicKey()
			r.Sig = tt.signer.Sign(bulletin.SigningMessage(r.Type, r.Payload))
			_, err := voterclient.Sync(forged)
			wantProblem(t, tt.name, err, voterclient.CodeBadBoard)
		})
	}
}

// TestRevealCatchesCheatingDevice builds a challenged ballot whose
// ciphertexts encrypt other choices than those it claims.
func TestRevealCatchesCheatingDevice(t *testing.T) {
	b, sim := openElection(t, nil)
	e := synced(t, b)
	marked := sim.RandomChoices()
	evil := ballot.NewChoices(sim.Manifest)
	copy(evil, marked)
	evil[0] = []uint64{0, 0, 0}
	if reflect.DeepEqual(marked[0], evil[0]) {
		evil[0] = []uint64{1, 0, 0}
	}
	bl, secrets, err := ballot.Encrypt(e.Ballot, sim.Voters[0].Public, evil, ballot.ConfirmationCode{})
	must(t, err)
	secrets.Choices = marked // the device claims what the voter marked
	_, err = voterclient.RevealChallenge(e, ballot.Challenge(bl, secrets).Marshal())
	wantProblem(t, "cheating device", err, voterclient.CodeBadChallenge)
}

// TestSessionJSON drives the module's JSON interface as the page does.
func TestSessionJSON(t *testing.T) {
	b, sim := openElection(t, nil)
	s := voterclient.NewSession()
	call := func(name string, arg any) map[string]any {
		t.Helper()
		a, ok := arg.(string)
		if !ok && arg != nil {
			enc, err := json.Marshal(arg)
			must(t, err)
			a = string(enc)
		}
		var out map[string]any
		must(t, json.Unmarshal([]byte(s.Call(name, a)), &out))
		return out
	}
	result := func(out map[string]any) map[string]any {
		t.Helper()
		if out["ok"] != true {
			t.Fatalf("call failed: %v", out["error"])
		}
		return out["result"].(map[string]any)
	}
	failure := func(out map[string]any, code string) {
		t.Helper()
		if out["ok"] != false || out["error"].(map[string]any)["code"] != code {
			t.Fatalf("got %v, want error %q", out, code)
		}
	}

	failure(call("nonsense", nil), voterclient.CodeBadInput)
	failure(call("prepare", map[string]any{"choices": [][]uint64{}}), voterclient.CodeBadCredential)
	r := result(call("sync", string(b.page(t, 0))))
	if r["done"] != true {
		t.Fatalf("sync: %v", r)
	}
	el := r["election"].(map[string]any)
	contests := el["contests"].([]any)
	if len(contests) != 4 || contests[0].(map[string]any)["rule"] != "Choose one option, or none." {
		t.Fatalf("contests = %v", contests)
	}
	failure(call("credential", "not a credential"), voterclient.CodeBadCredential)
	f, err := sim.Voters[2].Marshal()
	must(t, err)
	result(call("credential", string(f)))
	failure(call("cast", nil), voterclient.CodeNoBallot)
	// The page encrypts only once the records it read are tied to the
	// board's signed checkpoint.
	failure(call("prepare", map[string]any{"choices": sim.RandomChoices(), "prev": ""}), voterclient.CodeBadBoard)
	result(call("anchor", b.anchorArgs(t, int64(r["next"].(float64)))))

	marked := sim.RandomChoices()
	prep := result(call("prepare", map[string]any{"choices": marked, "prev": ""}))
	sub := result(call("challenge", nil))
	status, body := b.post(t, mustSubmission(t, sub["submission"].(string)))
	posted := result(call("posted", map[string]any{"status": status, "body": string(body), "board_key": b.vkey}))
	rv := result(call("reveal", posted["record"].(string)))
	if rv["challenged"] != true || rv["code"] != prep["code"] {
		t.Fatalf("reveal = %v", rv)
	}
	var got ballot.Choices
	enc, _ := json.Marshal(rv["choices"])
	must(t, json.Unmarshal(enc, &got))
	if !reflect.DeepEqual(got, marked) {
		t.Fatalf("revealed %v, marked %v", got, marked)
	}

	result(call("prepare", map[string]any{"choices": sim.RandomChoices(), "prev": prep["code"]}))
	sub = result(call("cast", nil))
	status, body = b.post(t, mustSubmission(t, sub["submission"].(string)))
	posted = result(call("posted", map[string]any{"status": status, "body": string(body)}))
	receipt := posted["receipt"].(string)
	ctx := context.Background()
	// startCheck starts checking a receipt as the page does, and returns
	// the board's size.
	startCheck := func(receipt string) (map[string]any, int64) {
		t.Helper()
		info := result(call("receiptInfo", receipt))
		idx := int64(info["index"].(float64))
		latest := b.log.Checkpoint()
		proof, err := b.log.ConsistencyProof(int64(info["size"].(float64)), latest.Size)
		must(t, err)
		rec, err := b.log.Records(ctx, idx, idx+1)
		must(t, err)
		return call("checkReceipt", map[string]any{
			"receipt": receipt, "board_key": b.vkey, "checkpoint": string(latest.Note),
			"consistency": map[string]any{"old": info["size"], "new": latest.Size, "proof": proof},
			"record":      string(rec[0]),
		}), latest.Size
	}
	// checkReceipt checks a receipt as the page does: checkReceipt, then
	// receiptScan two records at a time, then receiptFinish.
	checkReceipt := func(receipt string) map[string]any {
		t.Helper()
		out, n := startCheck(receipt)
		res := result(out)
		for res["status"] == voterclient.StatusPending && int64(res["next"].(float64)) < n {
			next := int64(res["next"].(float64))
			page, err := b.log.Records(ctx, next, min(next+2, n))
			must(t, err)
			res = result(call("receiptScan", string(bytes.Join(page, []byte("\n")))))
			if int64(res["next"].(float64)) != next+int64(len(page)) {
				t.Fatalf("receiptScan of records %d to %d: next = %v", next, next+int64(len(page))-1, res["next"])
			}
		}
		if res["status"] == voterclient.StatusPending {
			incl, err := b.log.InclusionProof(n-1, n)
			must(t, err)
			res = result(call("receiptFinish", bulletin.InclusionProofResponse{Index: n - 1, Size: n, Proof: incl}))
		}
		return res
	}
	check := checkReceipt(receipt)
	if check["status"] != voterclient.StatusCounted || check["current"] != check["index"] || check["replaced_by"] != nil ||
		!strings.HasPrefix(check["message"].(string), "Your ballot counts.") {
		t.Fatalf("checkReceipt = %v, want counted", check)
	}

	// Whoever else holds the credential casts a ballot with it.
	later, _, err := sim.Cast(ctx, 2, sim.RandomChoices())
	must(t, err)
	check = checkReceipt(receipt)
	at, err := time.Parse(time.RFC3339, check["replaced_at"].(string))
	must(t, err)
	msg := fmt.Sprintf("Warning: a later ballot used your credential. Your ballot, record %v, no longer counts: record %d, cast at %s, replaced it.",
		check["index"], later.Index, later.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	if check["status"] != voterclient.StatusReplaced || check["replaced_by"] != float64(later.Index) || !at.Equal(later.Time) ||
		check["current"] != float64(later.Index) || !strings.HasPrefix(check["message"].(string), msg) {
		t.Fatalf("checkReceipt = %v, want replaced by record %d at %v", check, later.Index, later.Time)
	}

	failure(call("receiptScan", string(b.page(t, 0))), voterclient.CodeBadInput)
	failure(call("receiptFinish", `{"proof":[]}`), voterclient.CodeBadInput)
	// A garbled page ends the check under way.
	if out, _ := startCheck(receipt); result(out)["status"] != voterclient.StatusPending {
		t.Fatalf("checkReceipt = %v, want pending", out)
	}
	failure(call("receiptScan", "garbage"), voterclient.CodeBadBoard)
	failure(call("receiptScan", string(b.page(t, 0))), voterclient.CodeBadInput)
	failure(call("checkReceipt", map[string]any{"receipt": receipt, "board_key": "", "checkpoint": string(b.log.Checkpoint().Note)}), voterclient.CodeBadReceipt)
}

func mustSubmission(t *testing.T, body string) *bulletin.Submission {
	t.Helper()
	sub, err := bulletin.ParseSubmission([]byte(body))
	must(t, err)
	return sub
}

func TestRules(t *testing.T) {
	for _, tt := range []struct {
		c    ballot.Contest
		want string
	}{
		{ballot.Contest{MinSelections: 1, MaxSelections: 1, OptionMax: 1, Options: make([]ballot.Option, 3)}, "Choose one option."},
		{ballot.Contest{MinSelections: 0, MaxSelections: 1, OptionMax: 1, Options: make([]ballot.Option, 3)}, "Choose one option, or none."},
		{ballot.Contest{MinSelections: 0, MaxSelections: 3, OptionMax: 1, Options: make([]ballot.Option, 10)}, "Choose up to 3 options."},
		{ballot.Contest{MinSelections: 2, MaxSelections: 2, OptionMax: 1, Options: make([]ballot.Option, 10)}, "Choose exactly 2 options."},
		{ballot.Contest{MinSelections: 1, MaxSelections: 3, OptionMax: 1, Options: make([]ballot.Option, 10)}, "Choose between 1 and 3 options."},
		{ballot.Contest{MinSelections: 0, MaxSelections: 4, OptionMax: 1, Options: make([]ballot.Option, 4)}, "Choose as many options as you approve of, or none."},
		{ballot.Contest{MinSelections: 5, MaxSelections: 5, OptionMax: 3, Options: make([]ballot.Option, 3)}, "Share out exactly 5 points among the options, at most 3 per option."},
		{ballot.Contest{MinSelections: 0, MaxSelections: 5, OptionMax: 3, Options: make([]ballot.Option, 3)}, "Share out up to 5 points among the options, at most 3 per option."},
		{ballot.Contest{Kind: ballot.KindRanked, Method: ballot.MethodIRV, MinSelections: 0, MaxSelections: 3, OptionMax: 3, Options: make([]ballot.Option, 5)},
			"Rank up to 3 candidates: 1 for your first choice, 2 for your next, and so on, each number once and none skipped; leave the others blank."},
	} {
		if got := voterclient.Rule(&tt.c); got != tt.want {
			t.Errorf("Rule(%d..%d, max %d, %d options) = %q, want %q", tt.c.MinSelections, tt.c.MaxSelections, tt.c.OptionMax, len(tt.c.Options), got, tt.want)
		}
	}
}

// TestStyledBallot: a voter of a ballot style is shown its style's
// contests and weight, encrypts and challenges a ballot of those contests
// only, and choices for another style's contests are refused in plain
// words.
func TestStyledBallot(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	sim, err := simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: 4, Trustees: 3, Threshold: 2,
		Styles: []ballot.Style{{ID: "city", Contests: []string{"mayor", "council"}}, {ID: "county", Contests: []string{"parks", "budget"}}},
		Assign: func(v int) (string, uint64) { return [...]string{"city", "city", "county", "county"}[v], uint64(v + 1) },
	})
	must(t, err)
	must(t, sim.Ceremony(ctx))
	must(t, sim.SetPhase(ctx, election.PhaseOpen))

	j := newJSONSession(t, b)
	j.sync(true)
	credFile, err := sim.Voters[2].Marshal()
	must(t, err)
	info := j.ok("credential", string(credFile))
	ballotInfo, _ := info["ballot"].(map[string]any)
	if ballotInfo == nil || ballotInfo["style"] != "county" || fmt.Sprint(ballotInfo["contests"]) != "[2 3]" || ballotInfo["weight"] != float64(3) {
		t.Fatalf("credential's ballot = %v, want style county, contests [2 3], weight 3", info["ballot"])
	}

	e := synced(t, b)
	cred, err := voterclient.LoadCredential(e, credFile)
	must(t, err)
	marked := sim.VoterChoices(2)
	p, err := voterclient.Prepare(e, cred, marked, ballot.ConfirmationCode{})
	must(t, err)
	if p.Ballot.Style != "county" || len(p.Ballot.Contests) != 2 {
		t.Fatalf("the county voter's ballot is of style %q with %d contests", p.Ballot.Style, len(p.Ballot.Contests))
	}
	sub, err := p.ChallengeSubmission()
	must(t, err)
	status, body := b.post(t, sub)
	rec, _, err := voterclient.Posted(sub, status, body, b.vkey)
	must(t, err)
	rv, err := voterclient.RevealChallenge(e, rec.Payload)
	must(t, err)
	if !reflect.DeepEqual(rv.Choices, marked) {
		t.Fatalf("revealed %v, marked %v", rv.Choices, marked)
	}
	// The city's contests are not on a county voter's ballot.
	_, err = voterclient.Prepare(e, cred, sim.VoterChoices(0), ballot.ConfirmationCode{})
	wantProblem(t, "a county voter's city choices", err, voterclient.CodeInvalidChoices)
}
