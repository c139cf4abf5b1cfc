package voterclient_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient"
)

// network is two operators' boards of a four-operator network holding the
// same election (every submission is appended to both), and the operators'
// cosigners, whose quorum (3 of 4) the definition demands.
type network struct {
	ops       []*board
	cosigners []note.Signer
	sim       *simulate.Election
}

func newNetwork(t *testing.T) *network {
	t.Helper()
	// One clock, so that the two logs are the same, byte for byte.
	at := time.Now().UTC().Truncate(time.Second)
	now := func() time.Time { return at }
	n := &network{ops: []*board{newClockedBoard(t, "op1", now), newClockedBoard(t, "op2", now)}}
	var operators []ballot.Operator
	for i := range 4 {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		must(t, err)
		cs, err := torchwood.NewCosignatureSigner(fmt.Sprintf("op%d", i+1), priv)
		must(t, err)
		n.cosigners = append(n.cosigners, cs)
		boardKey := ""
		if i < len(n.ops) {
			boardKey = n.ops[i].vkey
		} else {
			_, boardKey, err = note.GenerateKey(rand.Reader, cs.Name())
			must(t, err)
		}
		operators = append(operators, ballot.Operator{Name: cs.Name(), Key: cs.Verifier().String(), BoardKey: boardKey})
	}
	ctx := context.Background()
	post := func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
		if _, _, err := n.ops[1].log.Append(ctx, sub); err != nil {
			return nil, nil, fmt.Errorf("op2: %w", err)
		}
		return n.ops[0].log.Append(ctx, sub)
	}
	var err error
	n.sim, err = simulate.New(ctx, post, n.ops[0].tracker.Current, simulate.Options{Voters: 4, Trustees: 3, Threshold: 2, Operators: operators})
	must(t, err)
	must(t, n.sim.Ceremony(ctx))
	must(t, n.sim.SetPhase(ctx, election.PhaseOpen))
	return n
}

// cosigned returns operator b's current checkpoint with the cosignatures
// of the operators at cosigners, as its GET /checkpoint serves it.
func (n *network) cosigned(t *testing.T, b *board, cosigners ...int) string {
	t.Helper()
	cp := b.log.Checkpoint().Checkpoint
	signers := []note.Signer{b.signer}
	for _, i := range cosigners {
		signers = append(signers, n.cosigners[i])
	}
	signed, err := note.Sign(&note.Note{Text: string(cp.Text())}, signers...)
	must(t, err)
	return string(signed)
}

// session is a page served by operator 1, its records anchored to a
// checkpoint with the operators' quorum, voter 0's credential loaded, and
// the operators set as GET /election/operators lists them.
func (n *network) session(t *testing.T) *jsonSession {
	t.Helper()
	j := newJSONSession(t, n.ops[0])
	r := j.ok("sync", string(n.ops[0].page(t, 0)))
	j.next = int64(r["next"].(float64))
	args := n.ops[0].anchorArgs(t, j.next)
	args["checkpoint"] = n.cosigned(t, n.ops[0], 0, 1, 2)
	j.ok("anchor", args)
	cred, err := n.sim.Voters[0].Marshal()
	must(t, err)
	j.ok("credential", string(cred))
	j.ok("operators", n.operators(""))
	return j
}

// operators is GET /election/operators of operator 1, operator 2 at url2.
func (n *network) operators(url2 string) map[string]any {
	if url2 == "" {
		url2 = "http://op2.example"
	}
	return map[string]any{"operators": []map[string]string{
		{"name": "op1", "url": "", "board_key": n.ops[0].vkey},
		{"name": "op2", "url": url2, "board_key": n.ops[1].vkey},
	}}
}

// cast prepares a ballot and signs it to cast, bounded by operator 1's
// checkpoint; it returns the submission.
func (n *network) cast(t *testing.T, j *jsonSession) *bulletin.Submission {
	t.Helper()
	j.ok("prepare", map[string]any{"choices": n.sim.RandomChoices(), "prev": ""})
	sub := j.ok("cast", map[string]any{"checkpoint": n.cosigned(t, n.ops[0], 0, 1, 2)})
	return mustSubmission(t, sub["submission"].(string))
}

// TestSessionFailover: a ballot that operator 1 does not acknowledge (no
// answer, a 5xx, a 429, a 201 whose receipt does not verify) falls over to
// operator 2, once its checkpoint verifies with its key and carries the
// operators' quorum; operator 2's verified receipt makes it found, and the
// page says it moved. A rules refusal stops it, a checkpoint of operator 2
// without the quorum does not take it there, and a list of operators the
// definition does not name is refused.
func TestSessionFailover(t *testing.T) {
	n := newNetwork(t)
	op1, op2 := n.ops[0], n.ops[1]
	newJSONSession(t, op1).fails("operators", n.operators(""), voterclient.CodeBadInput) // before the records are read
	j := n.session(t)

	for _, answer := range []struct {
		what   string
		status int
		body   func(sub *bulletin.Submission) string
	}{
		{"no answer", 0, func(*bulletin.Submission) string { return "TypeError: Failed to fetch" }},
		{"no answer in time", 0, func(*bulletin.Submission) string { return "no answer within 20 s" }},
		{"a 503", 503, func(*bulletin.Submission) string { return `{"error":"the board is stopping","code":"unavailable"}` }},
		{"a 429", 429, func(*bulletin.Submission) string { return `{"error":"busy","code":"busy"}` }},
		{"a 201 signed by another key", 201, func(sub *bulletin.Submission) string {
			// Operator 2's honest answer, passed off as operator 1's.
			_, body := op2.post(t, sub)
			return string(body)
		}},
	} {
		t.Run(answer.what, func(t *testing.T) {
			j.t = t
			sub := n.cast(t, j)
			r := j.ok("posted", map[string]any{"status": answer.status, "body": answer.body(sub)})
			f, _ := r["failover"].(map[string]any)
			if f == nil || f["from"] != "op1" || f["to"] != "op2" || f["url"] != "http://op2.example" ||
				!strings.Contains(r["message"].(string), `operator “op1” did not acknowledge`) {
				t.Fatalf("posted %s = %v, want a failover from op1 to op2", answer.what, r)
			}
			r = j.ok("switchOperator", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2, 3)})
			if r["operator"] != "op2" || r["url"] != "http://op2.example" || r["failover"] != nil || r["status"] != voterclient.SentUnknown {
				t.Fatalf("switchOperator = %v, want the delivery on op2", r)
			}
			status, body := op2.post(t, sub) // a duplicate if the 201 above appended it
			if status == 409 {
				// The duplicate names the record: looked up on op2.
				r = j.ok("posted", map[string]any{"status": status, "body": string(body)})
				if r["status"] != voterclient.SentUnknown || r["hint"].(float64) < 0 || r["failover"] != nil {
					t.Fatalf("posted duplicate on op2 = %v, want a lookup of the record it names", r)
				}
				return
			}
			r = j.ok("posted", map[string]any{"status": status, "body": string(body)})
			if r["status"] != voterclient.SentFound || r["operator"] != "op2" ||
				!strings.Contains(r["message"].(string), `now sends it to the operator “op2”`) {
				t.Fatalf("posted on op2 = %v, want found there, saying it moved", r)
			}
			receipt, err := bulletin.ParseReceipt([]byte(r["receipt"].(string)))
			must(t, err)
			if _, err := receipt.Verify(op2.vkey); err != nil {
				t.Fatalf("the receipt does not verify with op2's key: %v", err)
			}
		})
	}
	j.t = t

	// A rules refusal by operator 1 stops: no failover.
	n.cast(t, j)
	refusal, _ := json.Marshal(bulletin.ErrorResponse{Error: "voting has closed", Code: "closed"})
	j.fails("posted", map[string]any{"status": 422, "body": string(refusal)}, voterclient.CodeRejected)

	// Operator 2's checkpoint without the operators' quorum (two of
	// them): the ballot stays with operator 1, whose status is unknown.
	n.cast(t, j)
	j.ok("posted", map[string]any{"status": 0, "body": "TypeError: Failed to fetch"})
	r := j.ok("switchOperator", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2)})
	if r["operator"] != "op1" || r["failover"] != nil || r["status"] != voterclient.SentUnknown ||
		!strings.Contains(r["message"].(string), `operator “op2” cannot be used either`) {
		t.Fatalf("switchOperator with a checkpoint short of the quorum = %v, want to stay on op1", r)
	}
	// Every operator was tried: the next failure does not fall over.
	if r := j.ok("posted", map[string]any{"status": 503, "body": "{}"}); r["failover"] != nil {
		t.Fatalf("posted after every operator was tried = %v, want no failover", r)
	}
	// Sending it again starts a new round.
	j.ok("resend", nil)
	if r := j.ok("posted", map[string]any{"status": 503, "body": "{}"}); r["failover"] == nil {
		t.Fatalf("posted after resend = %v, want a failover", r)
	}
	// Operator 2's checkpoint signed by its key alone: no quorum, so it
	// is not used; with no operator left, there is nothing to switch to.
	if r := j.ok("switchOperator", map[string]any{"checkpoint": string(op2.log.Checkpoint().Note)}); r["operator"] != "op1" ||
		!strings.Contains(r["message"].(string), "not cosigned") {
		t.Fatalf("switchOperator with op2's checkpoint alone = %v, want to stay on op1", r)
	}
	j.fails("switchOperator", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2, 3)}, voterclient.CodeBadInput)

	// The board that served the page cannot be reached before sending:
	// the ballot is sent after operator 2's checkpoint, to operator 2,
	// only if that checkpoint has the operators' quorum.
	j.ok("prepare", map[string]any{"choices": n.sim.RandomChoices(), "prev": ""})
	j.fails("cast", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2), "operator": 1}, voterclient.CodeBadBoard)
	j.fails("cast", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2, 3), "operator": 2}, voterclient.CodeBadInput)
	j.fails("cast", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2, 3), "operator": 0}, voterclient.CodeBadBoard)
	sub := mustSubmission(t, j.ok("cast", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2, 3), "operator": 1})["submission"].(string))
	status, body := op2.post(t, sub)
	r = j.ok("posted", map[string]any{"status": status, "body": string(body)})
	if r["status"] != voterclient.SentFound || r["operator"] != "op2" || !strings.Contains(r["moved"].(string), "cannot be reached") {
		t.Fatalf("posted to op2 after its checkpoint = %v, want found on op2, saying why", r)
	}
	// Its receipt names op2, whose board and key check it.
	info := j.ok("receiptInfo", r["receipt"].(string))
	if op, _ := info["operator"].(map[string]any); info["origin"] != "op2" || op["url"] != "http://op2.example" || op["board_key"] != op2.vkey {
		t.Fatalf("receiptInfo = %v, want op2's URL and key", info)
	}

	// Lists of operators the page refuses.
	bad := []map[string]any{
		n.operators("op2.example"), // not a web address
		{"operators": []map[string]string{{"name": "op2", "url": "", "board_key": op2.vkey}}},                                                                    // not the serving board first
		{"operators": []map[string]string{{"name": "op1", "url": "", "board_key": op1.vkey}, {"name": "op1", "url": "http://x.example", "board_key": op1.vkey}}}, // twice
		{"operators": []map[string]string{{"name": "op1", "url": "", "board_key": op1.vkey}, {"name": "op5", "url": "http://x.example", "board_key": newNamedBoard(t, "op5").vkey}}},
		{"operators": []map[string]string{{"name": "op1", "url": "", "board_key": op1.vkey}, {"name": "op3", "url": "http://x.example", "board_key": op2.vkey}}},
	}
	for _, ops := range bad {
		j.fails("operators", ops, voterclient.CodeBadBoard)
	}
}

// signedBy returns board b's current checkpoint signed by signer instead
// of b's key, with the cosignatures of the operators at cosigners.
func (n *network) signedBy(t *testing.T, b *board, signer note.Signer, cosigners ...int) string {
	t.Helper()
	signers := []note.Signer{signer}
	for _, i := range cosigners {
		signers = append(signers, n.cosigners[i])
	}
	signed, err := note.Sign(&note.Note{Text: string(b.log.Checkpoint().Checkpoint.Text())}, signers...)
	must(t, err)
	return string(signed)
}

// TestSessionReadFailover: a page whose serving board (operator 1) stops
// answering reads the election from operator 2 instead
// (docs/spec/voter-client.md §5.7): its records are anchored to operator
// 2's checkpoint under the board key the definition names for operator 2,
// with the operators' quorum, and the list of operators is then taken
// though it was read from a board the page no longer reads. A key of
// operator 2's name that the definition does not name is refused, both
// for reading and in the list of operators; readFailover falls over on
// what a post falls over on, and on nothing else; and a receipt of
// operator 1 is checked on operator 2's board, whose tree is the same,
// only under keys the definition names.
func TestSessionReadFailover(t *testing.T) {
	n := newNetwork(t)
	op1, op2 := n.ops[0], n.ops[1]
	impostor := newNamedBoard(t, "op2") // a key of operator 2's name that the definition does not name

	j := newJSONSession(t, op2)
	j.next = int64(j.ok("sync", string(op2.page(t, 0)))["next"].(float64))
	args := op2.anchorArgs(t, j.next)
	// Under a key of operator 2's name that is not the definition's, with
	// the operators' quorum: refused, naming the key the definition names.
	bad := maps.Clone(args)
	bad["checkpoint"], bad["board_key"] = n.signedBy(t, op2, impostor.signer, 0, 1, 2), impostor.vkey
	if msg := j.fails("anchor", bad, voterclient.CodeBadBoard); !strings.Contains(msg, `names the board key `+op2.vkey+` for operator "op2"`) {
		t.Errorf("anchor under an impostor's key of op2's name: %q, want it refused naming op2's key", msg)
	}
	// Under operator 2's key without the quorum: refused.
	args["checkpoint"] = n.cosigned(t, op2, 1, 2)
	j.fails("anchor", args, voterclient.CodeBadBoard)
	args["checkpoint"] = n.cosigned(t, op2, 1, 2, 3)
	j.ok("anchor", args)

	// The list of operators, from operator 1, names operator 2, whose key
	// the page read with: taken. With an impostor's key for operator 2,
	// or without the operator the page read from, refused.
	withKey := func(key string) map[string]any {
		return map[string]any{"operators": []map[string]string{
			{"name": "op1", "url": "", "board_key": op1.vkey},
			{"name": "op2", "url": "http://op2.example", "board_key": key},
		}}
	}
	if msg := j.fails("operators", withKey(impostor.vkey), voterclient.CodeBadBoard); !strings.Contains(msg, `the key it gives for operator "op2" is not the one the election's definition names`) {
		t.Errorf("operators with an impostor's key for op2: %q", msg)
	}
	j.fails("operators", map[string]any{"operators": []map[string]string{{"name": "op1", "url": "", "board_key": op1.vkey}}}, voterclient.CodeBadBoard)
	if ops := j.ok("operators", withKey(op2.vkey))["operators"].([]any); len(ops) != 2 {
		t.Fatalf("operators = %v, want both", ops)
	}

	// readFailover: the rule of a post (bulletin.FallsOver), in words.
	for status, want := range map[int]bool{0: true, 500: true, 502: true, 503: true, 429: true, 408: true, 200: false, 404: false, 409: false, 422: false} {
		r := j.ok("readFailover", map[string]any{"from": "", "to": "op2", "url": "http://op2.example", "status": status})
		if r["falls_over"] != want || want && !strings.Contains(r["message"].(string), `could not read the election from the board that served this page`) {
			t.Errorf("readFailover(status %d) = %v, want falls_over %v", status, r, want)
		}
	}
	if r := j.ok("readFailover", map[string]any{"from": "op2", "to": "op3", "url": "http://op3.example", "status": 503}); !strings.Contains(r["message"].(string), `from the board operator “op2”: it failed (HTTP 503). It reads it from the operator “op3” (http://op3.example)`) {
		t.Errorf("readFailover from op2 = %v", r)
	}

	// A receipt of operator 1, checked on operator 2's board.
	cred, err := n.sim.Voters[0].Marshal()
	must(t, err)
	j.ok("credential", string(cred))
	sub := n.cast(t, j)
	if _, _, err := op2.log.Append(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	status, body := op1.post(t, sub)
	receipt, _ := j.ok("posted", map[string]any{"status": status, "body": string(body)})["receipt"].(string)
	if receipt == "" {
		t.Fatalf("posting to op1: %d %s", status, body)
	}
	check := func(checkpoint, key string) map[string]any {
		t.Helper()
		r, err := bulletin.ParseReceipt([]byte(receipt))
		must(t, err)
		old, err := r.Verify(op1.vkey)
		must(t, err)
		proof, err := op2.log.ConsistencyProof(old.Size, op2.log.Size())
		must(t, err)
		rec, err := op2.log.Records(context.Background(), r.Index, r.Index+1)
		must(t, err)
		return j.call("checkReceipt", map[string]any{"receipt": receipt, "board_key": op1.vkey, "checkpoint_key": key,
			"checkpoint": checkpoint, "consistency": map[string]any{"proof": proof}, "record": string(rec[0])})
	}
	if out := check(n.cosigned(t, op2, 1, 2, 3), op2.vkey); out["ok"] != true {
		t.Fatalf("checkReceipt of op1's receipt on op2: %v", out["error"])
	} else if r := out["result"].(map[string]any); r["status"] != voterclient.StatusPending && r["status"] != voterclient.StatusCounted {
		t.Fatalf("checkReceipt of op1's receipt on op2 = %v, want it checked", r)
	}
	for _, tc := range []struct {
		what, checkpoint, key, code, want string
	}{
		{"an impostor's key", n.signedBy(t, op2, impostor.signer, 0, 1, 2), impostor.vkey, voterclient.CodeBadReceipt, `names the board key ` + op2.vkey + ` for operator "op2"`},
		{"op2's key without the quorum", n.cosigned(t, op2, 1, 2), op2.vkey, voterclient.CodeBadBoard, "not cosigned"},
		{"op2's key on op1's checkpoint", n.cosigned(t, op1, 0, 1, 2), op2.vkey, voterclient.CodeBadBoard, "not signed by its key"},
	} {
		out := check(tc.checkpoint, tc.key)
		e, _ := out["error"].(map[string]any)
		if out["ok"] != false || e["code"] != tc.code || !strings.Contains(e["message"].(string)+" "+e["detail"].(string), tc.want) {
			t.Errorf("checkReceipt on %s: %v, want %s saying %q", tc.what, out, tc.code, tc.want)
		}
	}
}

// TestSessionHedge: operator 1 holds the ballot without answering (its
// link died during the post); a hedge moves the ballot on to operator 2,
// once operator 2's checkpoint has the operators' quorum, while the post
// to operator 1 goes on (postedBehind). The first verified receipt makes
// it found: operator 1's late one (the ballot then never moved), or
// operator 2's, operator 1's failure before it changing nothing. With
// every operator posted to, a hedge moves nothing; a refusal for good by
// the operator behind ends the delivery, as every operator would refuse.
func TestSessionHedge(t *testing.T) {
	n := newNetwork(t)
	op1, op2 := n.ops[0], n.ops[1]
	j := n.session(t)
	hedgeToOp2 := func() {
		t.Helper()
		r := j.ok("hedge", map[string]any{"seconds": 5})
		f, _ := r["failover"].(map[string]any)
		if f == nil || f["from"] != "op1" || f["to"] != "op2" || f["url"] != "http://op2.example" ||
			!strings.Contains(r["message"].(string), "operator “op1” has not acknowledged your ballot within 5 s. This page also sends it to the operator “op2”") {
			t.Fatalf("hedge = %v, want a move from op1 on to op2 as well", r)
		}
		r = j.ok("switchOperator", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2, 3)})
		if r["operator"] != "op2" || r["failover"] != nil || r["status"] != voterclient.SentUnknown {
			t.Fatalf("switchOperator = %v, want the delivery on op2", r)
		}
	}

	// Operator 1's receipt comes first, after the hedge.
	sub := n.cast(t, j)
	hedgeToOp2()
	status, body := op1.post(t, sub)
	r := j.ok("postedBehind", map[string]any{"url": "", "status": status, "body": string(body)})
	if r["status"] != voterclient.SentFound || r["operator"] != "op1" || r["moved"] != "" {
		t.Fatalf("postedBehind with op1's receipt = %v, want found on op1, never moved", r)
	}
	receipt, err := bulletin.ParseReceipt([]byte(r["receipt"].(string)))
	must(t, err)
	if _, err := receipt.Verify(op1.vkey); err != nil {
		t.Fatalf("the receipt does not verify with op1's key: %v", err)
	}

	// Operator 1 fails, then operator 2's receipt comes.
	sub = n.cast(t, j)
	hedgeToOp2()
	r = j.ok("postedBehind", map[string]any{"url": "", "status": 503, "body": "{}"})
	if r["status"] != voterclient.SentUnknown || r["operator"] != "op2" || r["failover"] != nil {
		t.Fatalf("postedBehind with op1's 503 = %v, want the delivery still waiting on op2", r)
	}
	status, body = op2.post(t, sub)
	r = j.ok("posted", map[string]any{"status": status, "body": string(body)})
	if r["status"] != voterclient.SentFound || r["operator"] != "op2" || !strings.Contains(r["message"].(string), "also sends it to the operator “op2”") {
		t.Fatalf("posted on op2 = %v, want found there, saying why it went there", r)
	}
	j.fails("postedBehind", map[string]any{"url": "", "status": 0, "body": "TypeError: Failed to fetch"}, voterclient.CodeNoBallot)

	// Operator 2's checkpoint without the quorum: the hedge moves
	// nothing, and a late receipt of operator 1 says nothing of a move.
	sub = n.cast(t, j)
	j.ok("hedge", map[string]any{"seconds": 5})
	if r := j.ok("switchOperator", map[string]any{"checkpoint": n.cosigned(t, op2, 1, 2)}); r["operator"] != "op1" || r["failover"] != nil {
		t.Fatalf("switchOperator with a checkpoint short of the quorum = %v, want to stay on op1", r)
	}
	status, body = op1.post(t, sub)
	if r := j.ok("posted", map[string]any{"status": status, "body": string(body)}); r["status"] != voterclient.SentFound || r["operator"] != "op1" || r["moved"] != "" {
		t.Fatalf("posted with op1's receipt = %v, want found on op1, never moved", r)
	}

	// Every operator posted to: a hedge moves nothing. An answer from an
	// operator the ballot was not posted to is refused; a refusal for good
	// by operator 1 ends the delivery.
	n.cast(t, j)
	hedgeToOp2()
	if r := j.ok("hedge", map[string]any{"seconds": 5}); r["failover"] != nil || r["operator"] != "op2" {
		t.Fatalf("hedge with every operator posted to = %v, want no move", r)
	}
	j.fails("postedBehind", map[string]any{"url": "http://op3.example", "status": 503, "body": "{}"}, voterclient.CodeBadInput)
	refusal, _ := json.Marshal(bulletin.ErrorResponse{Error: "voting has closed", Code: "closed"})
	j.fails("postedBehind", map[string]any{"url": "", "status": 422, "body": string(refusal)}, voterclient.CodeRejected)
	j.fails("posted", map[string]any{"status": 503, "body": "{}"}, voterclient.CodeNoBallot)
}
