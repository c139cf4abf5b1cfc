package election_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// refuse posts the canonical payload of v, signed by s, over HTTP and
// fails unless the board answers with status and code and stays as it was.
func (hb *httpBoard) refuse(t *testing.T, what string, s election.Signer, typ string, v any, status int, code string) {
	t.Helper()
	sub, err := election.NewSubmission(s, typ, v)
	must(t, err)
	size := hb.log.Size()
	got, body := hb.post(t, sub)
	var resp bulletin.ErrorResponse
	if err := json.Unmarshal(body, &resp); err != nil || got != status || resp.Code != code || resp.Error == "" {
		t.Errorf("%s: POST /records = %d %s, want %d %q", what, got, body, status, code)
	}
	if hb.log.Size() != size {
		t.Errorf("%s: the board grew from %d to %d records", what, size, hb.log.Size())
	}
}

// TestRejectionStatusOverHTTP posts a record that breaks each election
// rule to a board served by the bulletin server, and checks that the board
// answers with the code and the HTTP status of docs/spec/election.md §4:
// the election's codes carry their statuses through the generic server,
// and the generic codes the rules use keep theirs (bulletin.md §8).
func TestRejectionStatusOverHTTP(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	hb := serveBoard(t, b)
	e := newElection(t, b, 3)
	must(t, e.Ceremony(ctx))
	voter := func(v int) election.KeySigner { return election.KeySigner(e.Voters[v].Private) }
	ballotOf := func(v int) any {
		eb, _, err := e.Encrypt(ctx, v, e.RandomChoices())
		must(t, err)
		return eb
	}

	hb.refuse(t, "ballot before opening", voter(0), election.TypeBallot, ballotOf(0), 409, election.CodeWrongPhase)
	opening := b.tracker.State().PhaseRecord(election.PhaseOpen)
	hb.refuse(t, "opening by a voter", voter(0), election.TypePhase, opening, 403, election.CodeUnauthorized)
	hb.accept(t, e.Official, election.TypePhase, opening)

	_, stranger, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	hb.refuse(t, "ballot signed by a key not on the roll", election.KeySigner(stranger), election.TypeBallot, ballotOf(0), 403, election.CodeIneligible)
	hb.refuse(t, "voter 0's ballot signed by voter 1", voter(1), election.TypeBallot, ballotOf(0), 422, election.CodeBadProof)

	first, second := ballotOf(1), ballotOf(1)
	hb.accept(t, voter(1), election.TypeBallot, second)
	hb.refuse(t, "earlier ballot after its successor", voter(1), election.TypeBallot, first, 409, election.CodeWrongOrder)
	hb.refuse(t, "the same ballot again", voter(1), election.TypeBallot, second, 409, bulletin.CodeDuplicate)

	closing := b.tracker.State().PhaseRecord(election.PhaseClosed)
	hb.accept(t, voter(2), election.TypeBallot, ballotOf(2))
	hb.refuse(t, "closing record made before the last ballot", e.Official, election.TypePhase, closing, 409, election.CodeStale)
}
