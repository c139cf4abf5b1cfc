package voterclient_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

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
	n := &network{ops: []*board{newNamedBoard(t, "op1"), newNamedBoard(t, "op2")}}
	var operators []ballot.Operator
	for i := range 4 {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		must(t, err)
		cs, err := torchwood.NewCosignatureSigner(fmt.Sprintf("op%d", i+1), priv)
		must(t, err)
		n.cosigners = append(n.cosigners, cs)
		operators = append(operators, ballot.Operator{Name: cs.Name(), Key: cs.Verifier().String()})
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
