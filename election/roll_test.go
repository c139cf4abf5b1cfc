package election_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
)

// TestRollRules: only the registrar the definition names puts voters on
// the roll, in order, each voter and key once, before it closes; the
// official holds no credential and cannot vote; a key offered after the
// roll closed never gets on it, and its ballot is refused. Each refusal has
// its own code and leaves the board unchanged.
func TestRollRules(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e, err := simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: 12, Trustees: 3, Threshold: 2, LeaveRollOpen: true})
	must(t, err)
	mh := b.tracker.State().ManifestHash()
	sign := func(s election.Signer, typ string, v any) *bulletin.Submission {
		sub, err := election.NewSubmission(s, typ, v)
		must(t, err)
		return sub
	}
	newEntry := func(id string) ballot.RollEntry {
		c, err := ballot.NewCredential(e.Manifest.ID, id)
		must(t, err)
		return c.Entry()
	}
	chunk := func(entries ...ballot.RollEntry) *ballot.RollChunk {
		return &ballot.RollChunk{Election: mh, First: 12, Voters: entries}
	}

	wantReject(t, b, "roll entries by the official", sign(e.Official, election.TypeRoll, chunk(newEntry("late-1"))), election.CodeUnauthorized)
	wantReject(t, b, "roll entries by a voter", sign(election.KeySigner(e.Voters[0].Private), election.TypeRoll, chunk(newEntry("late-1"))), election.CodeUnauthorized)
	dupKey := ballot.RollEntry{Voter: "someone-new", Key: e.Voters[3].Public}
	wantReject(t, b, "a key already on the roll, under another identifier", sign(e.Registrar, election.TypeRoll, chunk(dupKey)), bulletin.CodeDuplicate)
	wantReject(t, b, "an identifier already on the roll", sign(e.Registrar, election.TypeRoll, chunk(ballot.RollEntry{Voter: e.Voters[3].Voter, Key: newEntry("x").Key})), bulletin.CodeDuplicate)
	late := newEntry("late-1")
	wantReject(t, b, "the same key twice in one record", sign(e.Registrar, election.TypeRoll, chunk(late, ballot.RollEntry{Voter: "late-2", Key: late.Key})), bulletin.CodeDuplicate)
	gap := &ballot.RollChunk{Election: mh, First: 13, Voters: []ballot.RollEntry{late}}
	wantReject(t, b, "entries out of order", sign(e.Registrar, election.TypeRoll, gap), election.CodeWrongOrder)
	other := &ballot.RollChunk{Election: [32]byte{1}, First: 12, Voters: []ballot.RollEntry{late}}
	wantReject(t, b, "entries for another election", sign(e.Registrar, election.TypeRoll, other), bulletin.CodeMalformed)

	// The official cannot finish the ceremony before the roll is closed:
	// the election key binds to it.
	for i := 1; i <= 3; i++ {
		must(t, e.Deal(ctx, i))
	}
	for i := 1; i <= 3; i++ {
		must(t, e.Accept(ctx, i))
	}
	if err := e.FinishCeremony(ctx); err == nil {
		t.Fatal("the joint key was accepted before the roll was closed")
	}

	// A closing record that miscounts is refused; then the real one.
	wrong := &ballot.RollClose{Election: mh, Size: 11, Hash: [32]byte{2}}
	wantReject(t, b, "a closing record naming another roll", sign(e.Registrar, election.TypeRollClose, wrong), election.CodeStale)
	closing, err := b.tracker.State().RollCloseRecord()
	must(t, err)
	wantReject(t, b, "the roll closed by the official", sign(e.Official, election.TypeRollClose, closing), election.CodeUnauthorized)
	must(t, e.CloseRoll(ctx))
	wantReject(t, b, "the roll closed twice", sign(e.Registrar, election.TypeRollClose, closing), bulletin.CodeDuplicate)
	wantReject(t, b, "entries after the roll closed", sign(e.Registrar, election.TypeRoll, chunk(late)), election.CodeWrongPhase)

	must(t, e.FinishCeremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	wantReject(t, b, "entries after voting opened", sign(e.Registrar, election.TypeRoll, chunk(late)), election.CodeWrongPhase)

	// The official holds no credential: a ballot it signs with its own key,
	// or with one it made, is refused, proof or not.
	el := b.tracker.State().Election()
	for name, key := range map[string]ed25519.PrivateKey{"the official's key": ed25519.PrivateKey(e.Official), "a key the official made": newKey(t)} {
		pub := key.Public().(ed25519.PublicKey)
		if _, _, err := ballot.Encrypt(el, pub, e.RandomChoices(), ballot.ConfirmationCode{}); err == nil {
			t.Fatalf("%s: Encrypt made a ballot for a key not on the roll", name)
		}
		sub := &bulletin.Submission{Type: election.TypeBallot, Author: pub}
		good, _, err := e.Encrypt(ctx, 5, e.RandomChoices())
		must(t, err)
		good.Credential = pub
		sub.Payload = good.Marshal()
		sub.Sig = ed25519.Sign(key, bulletin.SigningMessage(sub.Type, sub.Payload))
		wantReject(t, b, "a ballot signed with "+name, sub, election.CodeIneligible)
	}
	if n, ok := b.tracker.State().RollEntry(e.Voters[11].Public); !ok || n != 11 {
		t.Errorf("RollEntry(voter 12) = %d, %v; want entry 11", n, ok)
	}
	if _, ok := b.tracker.State().RollEntry(late.Key); ok {
		t.Error("a refused key is on the roll")
	}
}

// TestRegistrarIsNotOfficial: a definition whose registrar is its official
// is refused by the board, naming the rule.
func TestRegistrarIsNotOfficial(t *testing.T) {
	b := newBoard(t)
	m, official, _, _, err := simulate.NewManifest(simulate.Options{Voters: 3, Trustees: 3, Threshold: 2})
	must(t, err)
	m.Registrar = official.PublicKey()
	payload, err := m.MarshalCanonical()
	must(t, err)
	sub := &bulletin.Submission{Type: election.TypeDefinition, Payload: payload, Author: official.PublicKey()}
	sub.Sig = official.Sign(bulletin.SigningMessage(sub.Type, payload))
	wantReject(t, b, "a definition whose registrar is the official", sub, bulletin.CodeMalformed)
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	return k
}
