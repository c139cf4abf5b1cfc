package election_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/tally"
)

// Every test below checks the rules of docs/spec/election.md §4 record by
// record, against a state of the history (history_test.go) in the phase
// the rule is about: each refused record with the code the spec gives and
// a reason that says why, the state left as it was.

// TestAdmitClientHash: a client-hash record is admitted from the official,
// for this election, with a name of text and a hash of 64 lowercase hex
// digits, in any phase before closed (election.md §2.1, §4).
func TestAdmitClientHash(t *testing.T) {
	h := theHistory(t)
	sum := sha256.Sum256([]byte("another client build"))
	for _, mark := range []string{"roll-open", "ready", "open", "voted"} {
		st := h.state(t, mark)
		c := st.ClientHashRecord("voter-web go1.26", sum)
		before := st.ClientHashes()
		h.admit(t, st, h.sim.Official, election.TypeClientHash, c)
		got := st.ClientHashes()
		if len(got) != len(before)+1 || got[len(got)-1] != *c {
			t.Errorf("at %s: client hashes after admitting %+v: %+v", mark, *c, got)
		}
	}

	st := h.state(t, "open")
	good := st.ClientHashRecord("voter.wasm", sum)
	with := func(f func(c *election.ClientHash)) *election.ClientHash { return edited(good, f) }
	for _, c := range []struct {
		what   string
		signer election.Signer
		c      *election.ClientHash
		code   string
		reason string
	}{
		{"posted by the registrar", h.sim.Registrar, good, election.CodeUnauthorized, "only the election official may post a client hash"},
		{"posted by a trustee", h.trustee(1), good, election.CodeUnauthorized, "only the election official"},
		{"posted by a voter", h.voter(0), good, election.CodeUnauthorized, "only the election official"},
		{"for another election", h.sim.Official, with(func(c *election.ClientHash) { c.Election = otherHex }), bulletin.CodeMalformed, "client hash is for another election"},
		{"with no name", h.sim.Official, with(func(c *election.ClientHash) { c.Name = "" }), bulletin.CodeMalformed, "the client build's name"},
		{"with a name of two lines", h.sim.Official, with(func(c *election.ClientHash) { c.Name = "voter\n.wasm" }), bulletin.CodeMalformed, "the client build's name"},
		{"with a name too long", h.sim.Official, with(func(c *election.ClientHash) { c.Name = strings.Repeat("a", ballot.MaxClientNameLen+1) }), bulletin.CodeMalformed, "the client build's name"},
		{"with an uppercase hash", h.sim.Official, with(func(c *election.ClientHash) { c.SHA256 = strings.ToUpper(c.SHA256) }), bulletin.CodeMalformed, "64 lowercase hex digits"},
		{"with a short hash", h.sim.Official, with(func(c *election.ClientHash) { c.SHA256 = c.SHA256[:62] }), bulletin.CodeMalformed, "64 lowercase hex digits"},
		{"with a long hash", h.sim.Official, with(func(c *election.ClientHash) { c.SHA256 += "00" }), bulletin.CodeMalformed, "64 lowercase hex digits"},
		{"with a hash not in hex", h.sim.Official, with(func(c *election.ClientHash) { c.SHA256 = "zz" + c.SHA256[2:] }), bulletin.CodeMalformed, "64 lowercase hex digits"},
	} {
		h.refused(t, st, c.what, c.signer, election.TypeClientHash, c.c, c.code, c.reason)
	}
	if got := st.ClientHashes(); len(got) != 1 {
		t.Errorf("client hashes after the refusals: %+v, want the history's one", got)
	}

	for _, mark := range []string{"closed", "tallied"} {
		st := h.state(t, mark)
		h.refused(t, st, "client hash at "+mark, h.sim.Official, election.TypeClientHash, st.ClientHashRecord("voter.wasm", sum),
			election.CodeWrongPhase, "client builds can only be published before voting closes")
		// Authorisation is checked first.
		h.refused(t, st, "client hash by the registrar at "+mark, h.sim.Registrar, election.TypeClientHash, st.ClientHashRecord("voter.wasm", sum),
			election.CodeUnauthorized, "only the election official")
	}
}

// TestRecordOrder: the first record must be the definition, every record
// comes at the next index, and a value of no known record type is
// malformed.
func TestRecordOrder(t *testing.T) {
	h := theHistory(t)
	empty := election.NewState()
	roll := *h.recs[1]
	if err := empty.SkipRecord(&roll); err == nil || !strings.Contains(err.Error(), "skipping record 1 out of place") {
		t.Errorf("SkipRecord of record 1 on an empty state = %v, want out of place", err)
	}
	roll.Index = 0
	wantRefusal(t, empty, "a roll record first", &roll, value[*ballot.RollChunk](t, &roll), election.CodeWrongPhase, `the first record must be the election definition, not "roll"`)

	st := h.state(t, "roll-open")
	rec, v := h.next(t, st, h.sim.Official, election.TypeClientHash, st.ClientHashRecord("voter.wasm", [32]byte{}))
	for _, index := range []uint64{rec.Index - 1, rec.Index + 1, 0} {
		r := *rec
		r.Index = index
		wantRefusal(t, st, "a record out of place", &r, v, election.CodeWrongOrder, "is out of place: the state has taken in 2 records")
	}
	rec.Type = "mystery"
	wantRefusal(t, st, "a value of no record type", rec, struct{ Mystery int }{1}, bulletin.CodeMalformed, `unknown record type "mystery"`)

	// A refused record is skipped into the tree only.
	before := st.Summary()
	if err := st.SkipRecord(rec); err != nil {
		t.Fatalf("SkipRecord: %v", err)
	}
	if size, _ := st.TreeHead(); size != 3 || st.Summary() != before {
		t.Errorf("after SkipRecord: tree size %d, summary %+v; want 3 and %+v", size, st.Summary(), before)
	}
}

// TestDefinitionRules: the definition is signed by the official it names,
// is for the board the state reads if it names one, has witnesses whose
// keys parse, and comes once.
func TestDefinitionRules(t *testing.T) {
	h := theHistory(t)
	def := value[*ballot.Manifest](t, h.recs[0])
	h.refused(t, election.NewState(), "definition signed by the registrar", h.sim.Registrar, election.TypeDefinition, def,
		election.CodeUnauthorized, "the definition must be signed by the official it names")
	h.refused(t, h.state(t, "defined"), "a second definition", h.sim.Official, election.TypeDefinition, def,
		bulletin.CodeDuplicate, "the election is already defined")
	h.refused(t, h.state(t, "tallied"), "a second definition after the result", h.sim.Official, election.TypeDefinition, def,
		bulletin.CodeDuplicate, "the election is already defined")

	bad := *def
	bad.Witnesses = []ballot.Witness{{Name: "witness.example", Key: "not a key"}}
	h.refused(t, election.NewState(), "definition with a witness key that does not parse", h.sim.Official, election.TypeDefinition, &bad,
		bulletin.CodeMalformed, `definition: witness "witness.example"`)

	_, thisBoard, err := note.GenerateKey(rand.Reader, "this-board")
	must(t, err)
	_, otherBoard, err := note.GenerateKey(rand.Reader, "other-board")
	must(t, err)
	m, official, _, _, err := simulate.NewManifest(simulate.Options{Trustees: 1, Threshold: 1, Board: &ballot.Board{Origin: "other-board", Key: otherBoard}})
	must(t, err)
	st := election.NewState()
	st.SetBoard(thisBoard)
	h.refused(t, st, "definition for another board", official, election.TypeDefinition, m,
		election.CodeUnauthorized, `the definition is for the board "other-board" (key `+otherBoard+`), not this board "this-board"`)
	for _, key := range []string{otherBoard, "\n" + otherBoard + "\n", ""} {
		st := election.NewState()
		st.SetBoard(key) // its own board (spaces trimmed), or unknown
		h.admit(t, st, official, election.TypeDefinition, m)
		if st.Phase() != election.Ceremony || st.Manifest() != m {
			t.Errorf("with board key %q: phase %v after the definition, want ceremony", key, st.Phase())
		}
	}
}

// TestRollRecordRules: roll records come from the registrar, for this election,
// in order, with no voter or key twice, until the registrar closes the
// roll, naming its size and hash, with at least min_counted voters.
func TestRollRecordRules(t *testing.T) {
	h := theHistory(t)
	mh := h.manifestHash(t)
	st := h.state(t, "roll-open")
	cred, err := ballot.NewCredential(h.sim.Manifest.ID, "voter-000005")
	must(t, err)
	newcomer := cred.Entry()
	chunk := func(first int64, es ...ballot.RollEntry) *ballot.RollChunk {
		return &ballot.RollChunk{Election: mh, First: first, Voters: es}
	}
	known := h.sim.Voters[0].Entry()
	for _, c := range []struct {
		what   string
		signer election.Signer
		c      *ballot.RollChunk
		code   string
		reason string
	}{
		{"roll posted by the official", h.sim.Official, chunk(4, newcomer), election.CodeUnauthorized, "only the registrar the definition names may post the voter roll"},
		{"roll posted by a trustee", h.trustee(1), chunk(4, newcomer), election.CodeUnauthorized, "only the registrar"},
		{"roll of another election", h.sim.Registrar, &ballot.RollChunk{Election: sha256.Sum256(nil), First: 4, Voters: []ballot.RollEntry{newcomer}}, bulletin.CodeMalformed, "for another election"},
		{"roll overlapping the last entry", h.sim.Registrar, chunk(3, newcomer), election.CodeWrongOrder, "starts at entry 3, but the roll has 4 entries"},
		{"roll after a gap", h.sim.Registrar, chunk(5, newcomer), election.CodeWrongOrder, "starts at entry 5, but the roll has 4 entries"},
		{"a voter already on the roll", h.sim.Registrar, chunk(4, ballot.RollEntry{Voter: known.Voter, Key: newcomer.Key}), bulletin.CodeDuplicate, `voter "voter-000001" is already on the roll as entry 0`},
		{"a key already on the roll", h.sim.Registrar, chunk(4, ballot.RollEntry{Voter: newcomer.Voter, Key: known.Key}), bulletin.CodeDuplicate, "as entry 0"},
		{"a voter twice in one record", h.sim.Registrar, chunk(4, newcomer, newcomer), bulletin.CodeDuplicate, "as entry 4"},
	} {
		h.refused(t, st, c.what, c.signer, election.TypeRoll, c.c, c.code, c.reason)
	}
	if n, closed := st.RollStatus(); n != 4 || closed {
		t.Fatalf("roll after the refusals: %d entries, closed %v; want 4, open", n, closed)
	}

	// Roll-closing records.
	good, err := st.RollCloseRecord()
	must(t, err)
	withClose := func(f func(c *ballot.RollClose)) *ballot.RollClose { return edited(good, f) }
	for _, c := range []struct {
		what   string
		signer election.Signer
		c      *ballot.RollClose
		code   string
		reason string
	}{
		{"roll closed by the official", h.sim.Official, good, election.CodeUnauthorized, "only the registrar the definition names may post the closing of the voter roll"},
		{"roll of another election closed", h.sim.Registrar, withClose(func(c *ballot.RollClose) { c.Election[0] ^= 1 }), bulletin.CodeMalformed, "the closing of the roll is for another election"},
		{"roll closed at the wrong size", h.sim.Registrar, withClose(func(c *ballot.RollClose) { c.Size = 3 }), election.CodeStale, "names 3 entries"},
		{"roll closed with the wrong hash", h.sim.Registrar, withClose(func(c *ballot.RollClose) { c.Hash[0] ^= 1 }), election.CodeStale, "it was made for another history of the board"},
	} {
		h.refused(t, st, c.what, c.signer, election.TypeRollClose, c.c, c.code, c.reason)
	}
	// The newcomer is taken in, and the roll closes with five voters.
	h.admit(t, st, h.sim.Registrar, election.TypeRoll, chunk(4, newcomer))
	if at, ok := st.RollEntry(newcomer.Key); !ok || at != 4 {
		t.Errorf("RollEntry(newcomer) = %d, %v; want 4, true", at, ok)
	}
	h.refused(t, st, "roll closed before its last record", h.sim.Registrar, election.TypeRollClose, good, election.CodeStale, "names 4 entries")
	if st.Roll() != nil {
		t.Fatal("Roll() is not nil before the roll closes")
	}
	five, err := st.RollCloseRecord()
	must(t, err)
	h.admit(t, st, h.sim.Registrar, election.TypeRollClose, five)
	if r := st.Roll(); r == nil || r.Size() != 5 {
		t.Fatalf("closed roll: %v, want 5 entries", r)
	}
	if at, ok := st.RollEntry(newcomer.Key); !ok || at != 4 {
		t.Errorf("RollEntry(newcomer) on the closed roll = %d, %v; want 4, true", at, ok)
	}
	if _, err := st.RollCloseRecord(); err == nil || !strings.Contains(err.Error(), "already closed, with 5 voters") {
		t.Errorf("RollCloseRecord after the closing: %v", err)
	}
	h.refused(t, st, "roll closed twice", h.sim.Registrar, election.TypeRollClose, five, bulletin.CodeDuplicate, "the voter roll is already closed")
	h.refused(t, st, "roll after the closing", h.sim.Registrar, election.TypeRoll, chunk(5, ballot.RollEntry{Voter: "voter-000006", Key: h.sim.Official.PublicKey()}),
		election.CodeWrongPhase, "the voter roll is closed: no voter can be added to it")

	// An empty roll cannot close.
	st = h.state(t, "defined")
	if _, err := st.RollCloseRecord(); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("RollCloseRecord of an empty roll: %v", err)
	}
	empty := &ballot.RollClose{Election: mh, Size: 0, Hash: ballot.NewRollBuilder(mh).Hash()}
	h.refused(t, st, "an empty roll closed", h.sim.Registrar, election.TypeRollClose, empty, election.CodeWrongPhase, "the voter roll is empty")
	if _, err := election.NewState().RollCloseRecord(); err == nil || !strings.Contains(err.Error(), "no election") {
		t.Errorf("RollCloseRecord before a definition: %v", err)
	}
}

// TestRollBelowPrivacyFloor: a roll of fewer voters than the definition's
// min_counted cannot close, since its tally could never be decrypted.
func TestRollBelowPrivacyFloor(t *testing.T) {
	h := theHistory(t)
	m, official, registrar, _, err := simulate.NewManifest(simulate.Options{Trustees: 1, Threshold: 1, MinCounted: 3})
	must(t, err)
	st := election.NewState()
	h.admit(t, st, official, election.TypeDefinition, m)
	mh, err := m.Hash()
	must(t, err)
	var entries []ballot.RollEntry
	for v := range 2 {
		c, err := ballot.NewCredential(m.ID, simulate.VoterID(v))
		must(t, err)
		entries = append(entries, c.Entry())
	}
	h.admit(t, st, registrar, election.TypeRoll, &ballot.RollChunk{Election: mh, Voters: entries})
	c, err := st.RollCloseRecord()
	must(t, err)
	h.refused(t, st, "a roll of 2 closed with min_counted 3", registrar, election.TypeRollClose, c,
		election.CodeWrongPhase, "the roll has 2 voters but the definition's min_counted is 3")
}

// TestCeremonyRules: commitments, shares and verdicts come from the trustee
// they name, bound to this election, once each, commitments before shares
// and every trustee's shares before any verdict, during the ceremony; the
// joint key comes from the official once the roll is closed and every
// trustee accepted, and must match the commitments.
func TestCeremonyRules(t *testing.T) {
	h := theHistory(t)
	cm := func(i int) *ceremony.Commitments {
		return value[*ceremony.Commitments](t, h.find(t, election.TypeCommitments, h.trustee(i)))
	}
	sh := func(i int) *ceremony.Shares {
		return value[*ceremony.Shares](t, h.find(t, election.TypeShares, h.trustee(i)))
	}
	vd := func(i int) *ceremony.Verdict {
		return value[*ceremony.Verdict](t, h.find(t, election.TypeVerdict, h.trustee(i)))
	}
	jk := value[*ceremony.JointKey](t, h.find(t, election.TypeJointKey, h.sim.Official))

	for _, v := range []any{cm(1), sh(1)} {
		if err := election.NewState().VerifyProofs("", h.trustee(1).PublicKey(), v); !isRejection(err, election.CodeWrongPhase) || !strings.Contains(err.Error(), "no election is defined yet") {
			t.Errorf("VerifyProofs of %T before the definition: %v, want wrong-phase", v, err)
		}
	}
	st := h.state(t, "roll-open")
	h.refused(t, st, "commitments by the official", h.sim.Official, election.TypeCommitments, cm(1), election.CodeUnauthorized, "the author is not a trustee of this election")
	h.refused(t, st, "trustee 2's commitments by trustee 1", h.trustee(1), election.TypeCommitments, cm(2), election.CodeUnauthorized, "trustee 1 may not post for trustee 2")
	other := *cm(1)
	other.Ctx = make([]byte, 32)
	h.refused(t, st, "commitments bound to another election", h.trustee(1), election.TypeCommitments, &other, bulletin.CodeMalformed, "message is bound to another election")
	h.refused(t, st, "shares before the commitments", h.trustee(1), election.TypeShares, sh(1), election.CodeWrongPhase, "trustee 1 must post its commitments before its shares")
	if st.CeremonyComplete() {
		t.Error("CeremonyComplete before any trustee dealt")
	}

	st = h.state(t, "dealt-1")
	h.refused(t, st, "trustee 1's shares by trustee 2", h.trustee(2), election.TypeShares, sh(1), election.CodeUnauthorized, "trustee 2 may not post for trustee 1")
	h.refused(t, st, "commitments twice", h.trustee(1), election.TypeCommitments, cm(1), bulletin.CodeDuplicate, "trustee 1 has already posted its commitments")
	h.refused(t, st, "shares twice", h.trustee(1), election.TypeShares, sh(1), bulletin.CodeDuplicate, "trustee 1 has already posted its shares")
	h.refused(t, st, "a verdict before every trustee dealt", h.trustee(1), election.TypeVerdict, vd(1), election.CodeWrongPhase, "a verdict needs every trustee's shares; trustee 2 has not posted them")
	if st.CeremonyComplete() || st.VerdictsComplete() {
		t.Error("CeremonyComplete or VerdictsComplete with trustee 1 alone dealt")
	}

	st = h.state(t, "dealt") // the roll is still open
	if !st.CeremonyComplete() {
		t.Error("CeremonyComplete is false once every trustee dealt")
	}
	h.refused(t, st, "joint key before the roll closes", h.sim.Official, election.TypeJointKey, jk, election.CodeWrongPhase, "the registrar has not closed the voter roll yet")

	st = h.state(t, "roll-closed")
	h.refused(t, st, "joint key before the verdicts", h.sim.Official, election.TypeJointKey, jk, election.CodeWrongPhase, "trustee 1 has not accepted its shares yet")
	if _, err := participant.JointKeyRecord(st); err == nil {
		t.Error("JointKeyRecord succeeded before the verdicts")
	}
	h.admit(t, st, h.trustee(1), election.TypeVerdict, vd(1))
	h.refused(t, st, "a verdict twice", h.trustee(1), election.TypeVerdict, vd(1), bulletin.CodeDuplicate, "trustee 1 has already posted its verdict")
	if st.VerdictsComplete() {
		t.Error("VerdictsComplete with one verdict of three")
	}

	st = h.state(t, "verdicts")
	if !st.VerdictsComplete() {
		t.Error("VerdictsComplete is false after every verdict")
	}
	h.refused(t, st, "joint key by the registrar", h.sim.Registrar, election.TypeJointKey, jk, election.CodeUnauthorized, "only the election official may post the joint key")
	h.refused(t, st, "joint key by a trustee", h.trustee(1), election.TypeJointKey, jk, election.CodeUnauthorized, "only the election official")
	wrong := *jk
	wrong.VerificationKeys = []*crypto.Element{jk.VerificationKeys[1], jk.VerificationKeys[0], jk.VerificationKeys[2]}
	h.refused(t, st, "joint key with two verification keys swapped", h.sim.Official, election.TypeJointKey, &wrong, election.CodeBadProof, "joint key does not match the trustees' commitments")
	if st.Election() != nil {
		t.Fatal("an election context before the joint key")
	}
	if _, _, err := participant.EncryptBallot(st, h.sim.Voters[0].Public, ballot.NewChoices(h.sim.Manifest), nil, ballot.ConfirmationCode{}); err == nil || !strings.Contains(err.Error(), "the election key is not ready (the election is ceremony)") {
		t.Errorf("EncryptBallot before the joint key: %v", err)
	}
	record, err := participant.JointKeyRecord(st)
	must(t, err)
	h.admit(t, st, h.sim.Official, election.TypeJointKey, record)
	if st.Phase() != election.Ready || st.Election() == nil || len(st.VerificationKeys()) != 3 {
		t.Fatalf("after the joint key: phase %v, %d verification keys", st.Phase(), len(st.VerificationKeys()))
	}

	// After the ceremony, none of its messages is taken.
	st = h.state(t, "ready")
	for _, c := range []struct {
		what, typ string
		s         election.Signer
		v         any
	}{
		{"commitments", election.TypeCommitments, h.trustee(1), cm(1)},
		{"shares", election.TypeShares, h.trustee(1), sh(1)},
		{"a verdict", election.TypeVerdict, h.trustee(1), vd(1)},
		{"a second joint key", election.TypeJointKey, h.sim.Official, jk},
	} {
		h.refused(t, st, c.what+" after the ceremony", c.s, c.typ, c.v, election.CodeWrongPhase, "is only accepted while the election is ceremony; it is ready")
	}
	if _, _, _, err := participant.Deal(st, 1); err == nil || !strings.Contains(err.Error(), "not in its key ceremony") {
		t.Errorf("Deal after the ceremony: %v", err)
	}
	if _, err := participant.JointKeyRecord(st); err == nil || !strings.Contains(err.Error(), "not in its key ceremony") {
		t.Errorf("JointKeyRecord after the ceremony: %v", err)
	}
	if !st.CeremonyComplete() {
		t.Error("CeremonyComplete is false after the ceremony")
	}
	for i := 1; i <= 3; i++ {
		if got, ok := st.TrusteeIndex(h.trustee(i).PublicKey()); !ok || got != uint32(i) {
			t.Errorf("TrusteeIndex(trustee %d) = %d, %v", i, got, ok)
		}
	}
	for _, k := range []ed25519.PublicKey{h.sim.Official.PublicKey(), h.trustee(1).PublicKey()[:31]} {
		if got, ok := st.TrusteeIndex(k); ok {
			t.Errorf("TrusteeIndex(%x) = %d, true; want no trustee", k, got)
		}
	}
}

// TestPhaseRules: phase records come from the official, for this election;
// voting opens only from ready, with no tree head, and closes only while
// open, naming exactly the records before the closing record and their
// sums.
func TestPhaseRules(t *testing.T) {
	h := theHistory(t)
	st := h.state(t, "ready")
	open := st.PhaseRecord(election.PhaseOpen)
	if open.Size != 0 || open.Root != "" || open.Sums != "" {
		t.Fatalf("PhaseRecord(open) = %+v names a tree head", *open)
	}
	with := edited[election.PhaseChange]
	h.refused(t, st, "voting opened by the registrar", h.sim.Registrar, election.TypePhase, open, election.CodeUnauthorized, "only the election official may post a phase change")
	h.refused(t, st, "voting opened for another election", h.sim.Official, election.TypePhase, with(open, func(p *election.PhaseChange) { p.Election = otherHex }), bulletin.CodeMalformed, "phase change is for another election")
	h.refused(t, st, "an opening record naming a size", h.sim.Official, election.TypePhase, with(open, func(p *election.PhaseChange) { p.Size = 13 }), bulletin.CodeMalformed, "only the closing record names a tree head and sums")
	h.refused(t, st, "an opening record naming sums", h.sim.Official, election.TypePhase, with(open, func(p *election.PhaseChange) { p.Sums = otherHex }), bulletin.CodeMalformed, "only the closing record names a tree head and sums")
	h.refused(t, st, "an unknown phase", h.sim.Official, election.TypePhase, with(open, func(p *election.PhaseChange) { p.Phase = "paused" }), bulletin.CodeMalformed, `unknown phase "paused"`)
	h.refused(t, st, "voting closed before it opened", h.sim.Official, election.TypePhase, st.PhaseRecord(election.PhaseClosed), election.CodeWrongPhase, "voting can close only while it is open; the election is ready")

	ceremonyState := h.state(t, "roll-closed")
	h.refused(t, ceremonyState, "voting opened during the ceremony", h.sim.Official, election.TypePhase, ceremonyState.PhaseRecord(election.PhaseOpen),
		election.CodeWrongPhase, "voting can open only once the key ceremony is complete and before it closed; the election is ceremony")

	st = h.state(t, "voted")
	h.refused(t, st, "voting opened twice", h.sim.Official, election.TypePhase, open, election.CodeWrongPhase, "the election is open")
	closing := st.PhaseRecord(election.PhaseClosed)
	size, root := st.TreeHead()
	if closing.Size != size || closing.Root != hex.EncodeToString(root[:]) {
		t.Fatalf("PhaseRecord(closed) = %+v, want size %d and root %x", *closing, size, root)
	}
	sums := tally.SumsHash(st.Sums())
	if closing.Sums != hex.EncodeToString(sums[:]) {
		t.Fatalf("PhaseRecord(closed) names sums %s, want %x", closing.Sums, sums)
	}
	h.refused(t, st, "a closing record naming fewer records", h.sim.Official, election.TypePhase, with(closing, func(p *election.PhaseChange) { p.Size-- }),
		election.CodeStale, "the closing record names the board's first 18 records, but 19 records precede it here")
	h.refused(t, st, "a closing record naming another root", h.sim.Official, election.TypePhase, with(closing, func(p *election.PhaseChange) { p.Root = otherHex }),
		election.CodeStale, "it was made for another history of the board (a fork)")
	h.refused(t, st, "a closing record naming other sums", h.sim.Official, election.TypePhase, with(closing, func(p *election.PhaseChange) { p.Sums = otherHex }),
		election.CodeStale, "the closing record names encrypted sums")
	h.refused(t, st, "voting closed by a trustee", h.trustee(1), election.TypePhase, closing, election.CodeUnauthorized, "only the election official")
	rec := h.admit(t, st, h.sim.Official, election.TypePhase, closing)
	if st.Phase() != election.Closed {
		t.Fatalf("phase after the closing record: %v", st.Phase())
	}
	// A closing record is made once: the same payload after it is no
	// longer "while open".
	h.refused(t, st, "voting closed twice", h.sim.Official, election.TypePhase, closing, election.CodeWrongPhase, "voting can close only while it is open; the election is closed")
	// Partial decryptions name the closing record by the hash of its payload.
	p, err := participant.PartialDecryption(st, h.sim.Shares[0])
	must(t, err)
	if want := election.CloseHash(rec.Payload); p.Close != hex.EncodeToString(want[:]) {
		t.Errorf("the partial decryption names the closing record %s, want %x", p.Close, want)
	}
}

// TestAdmitStaleClose: a verifier listing every failure takes in a closing
// record refused as stale as a closing, with the sums recomputed; nothing
// but a closing record is taken so.
func TestAdmitStaleClose(t *testing.T) {
	h := theHistory(t)
	st := h.state(t, "open")
	stale := st.PhaseRecord(election.PhaseClosed)
	stale.Size = 3
	rec, v := h.next(t, st, h.sim.Official, election.TypePhase, stale)
	wantRefusal(t, st, "a stale closing record", rec, v, election.CodeStale, "names the board's first 3 records")

	client, cv := h.next(t, st, h.sim.Official, election.TypeClientHash, st.ClientHashRecord("x", [32]byte{}))
	if err := st.AdmitStaleClose(client, cv); err == nil || !strings.Contains(err.Error(), "is not a closing record") {
		t.Errorf("AdmitStaleClose of a client hash: %v", err)
	}
	openRec, ov := h.next(t, st, h.sim.Official, election.TypePhase, st.PhaseRecord(election.PhaseOpen))
	if err := st.AdmitStaleClose(openRec, ov); err == nil || !strings.Contains(err.Error(), "is not a closing record") {
		t.Errorf("AdmitStaleClose of an opening record: %v", err)
	}
	if err := election.NewState().AdmitStaleClose(rec, v); err == nil {
		t.Error("AdmitStaleClose on an empty state succeeded")
	}
	misplaced := *rec
	misplaced.Index++
	var rej *bulletin.RejectError
	if err := st.AdmitStaleClose(&misplaced, v); !errors.As(err, &rej) || rej.Code != election.CodeWrongOrder {
		t.Errorf("AdmitStaleClose out of place: %v, want wrong-order", err)
	}
	if st.Phase() != election.Open {
		t.Fatalf("phase after the refusals: %v", st.Phase())
	}
	notOfficial, nv := h.next(t, st, h.sim.Registrar, election.TypePhase, stale)
	if err := st.AdmitStaleClose(notOfficial, nv); !errors.As(err, &rej) || rej.Code != election.CodeUnauthorized {
		t.Errorf("AdmitStaleClose by the registrar: %v, want unauthorized", err)
	}
	if err := st.AdmitStaleClose(rec, v); err != nil {
		t.Fatalf("AdmitStaleClose: %v", err)
	}
	if size, _ := st.TreeHead(); st.Phase() != election.Closed || size != int64(rec.Index)+1 {
		t.Errorf("after AdmitStaleClose: phase %v, tree size %d", st.Phase(), size)
	}
}

// TestBallotRules: ballots and challenged ballots come while voting is
// open, from a credential on the roll, for this election, of the
// definition's shape; a confirmation code is cast or challenged once, and
// never both.
func TestBallotRules(t *testing.T) {
	h := theHistory(t)
	ch := h.find(t, election.TypeChallenge, h.voter(2))
	challenged := value[*ballot.ChallengedBallot](t, ch)
	cast := h.find(t, election.TypeBallot, h.voter(1))
	castBallot := value[*ballot.EncryptedBallot](t, cast)

	st := h.state(t, "voted")
	h.refused(t, st, "a challenged ballot cast", h.voter(2), election.TypeBallot, challenged.Ballot,
		bulletin.CodeDuplicate, fmt.Sprintf("this ballot was challenged in record %d, so its randomness is public", ch.Index))
	h.refused(t, st, "a ballot challenged twice", h.voter(2), election.TypeChallenge, challenged,
		bulletin.CodeDuplicate, fmt.Sprintf("this ballot was already challenged in record %d", ch.Index))
	h.refused(t, st, "a ballot cast twice", h.voter(1), election.TypeBallot, castBallot,
		bulletin.CodeDuplicate, fmt.Sprintf("this ballot is already on the board as record %d", cast.Index))

	fresh := func(v int) (*ballot.EncryptedBallot, *ballot.BallotSecrets) {
		t.Helper()
		eb, secrets, err := participant.EncryptBallot(st, h.sim.Voters[v].Public, ballot.Choices{{0, 1, 0}}, nil, ballot.ConfirmationCode{})
		must(t, err)
		return eb, secrets
	}
	eb, _ := fresh(3)
	eb.Election[0] ^= 1
	h.refused(t, st, "a ballot for another election", h.voter(3), election.TypeBallot, eb, bulletin.CodeMalformed, "the ballot is for another election")
	eb, secrets := fresh(3)
	eb.Election[0] ^= 1
	h.refused(t, st, "a challenged ballot for another election", h.voter(3), election.TypeChallenge, ballot.Challenge(eb, secrets), bulletin.CodeMalformed, "the challenged ballot is for another election")
	eb, _ = fresh(3)
	eb.Contests[0].Options = eb.Contests[0].Options[:2]
	h.refused(t, st, "a ballot with an option missing", h.voter(3), election.TypeBallot, eb, bulletin.CodeMalformed, `the ballot's contest "mayor" does not have the 3 options of the election's`)
	eb, _ = fresh(3)
	h.refused(t, st, "voter 3's ballot signed by voter 1", h.voter(1), election.TypeBallot, eb, election.CodeUnauthorized, "the ballot names another credential than the one that signed it")
	stranger := election.KeySigner(ed25519.NewKeyFromSeed(make([]byte, 32)))
	h.refused(t, st, "a ballot from a key off the roll", stranger, election.TypeBallot, eb, election.CodeIneligible, "is not on the voter roll")
	if err := st.VerifyProofs(election.TypeBallot, stranger.PublicKey(), eb); !isRejection(err, election.CodeIneligible) {
		t.Errorf("VerifyProofs of a ballot from a key off the roll: %v, want ineligible", err)
	}
	if err := st.VerifyProofs(election.TypeChallenge, stranger.PublicKey(), challenged); !isRejection(err, election.CodeIneligible) {
		t.Errorf("VerifyProofs of a challenge from a key off the roll: %v, want ineligible", err)
	}
	if err := st.VerifyProofs(election.TypeBallot, h.voter(0).PublicKey(), castBallot); !isRejection(err, election.CodeBadProof) {
		t.Errorf("VerifyProofs of voter 1's ballot signed by voter 0: %v, want bad-proof", err)
	}
	if err := st.VerifyProofs(election.TypeBallot, h.voter(1).PublicKey(), castBallot); err != nil {
		t.Errorf("VerifyProofs of voter 1's ballot: %v", err)
	}

	// A cast ballot cannot then be challenged.
	eb, secrets = fresh(3)
	rec := h.admit(t, st, h.voter(3), election.TypeBallot, eb)
	h.refused(t, st, "a cast ballot challenged", h.voter(3), election.TypeChallenge, ballot.Challenge(eb, secrets),
		bulletin.CodeDuplicate, fmt.Sprintf("this ballot was cast as record %d; revealing it would expose a counted vote", rec.Index))
	if idx, ok := st.CastBallot(h.sim.Voters[3].Public); !ok || idx != rec.Index {
		t.Errorf("CastBallot(voter 3) = %d, %v; want %d", idx, ok, rec.Index)
	}

	// Outside the open phase.
	for _, mark := range []string{"ready", "closed"} {
		st := h.state(t, mark)
		eb, secrets := fresh(3)
		h.refused(t, st, "a ballot at "+mark, h.voter(3), election.TypeBallot, eb, election.CodeWrongPhase, "a ballot is only accepted while the election is open; it is "+mark)
		h.refused(t, st, "a challenged ballot at "+mark, h.voter(3), election.TypeChallenge, ballot.Challenge(eb, secrets), election.CodeWrongPhase, "a challenged ballot is only accepted while the election is open")
	}
	st = h.state(t, "roll-closed")
	if err := st.VerifyProofs(election.TypeBallot, h.voter(0).PublicKey(), castBallot); !isRejection(err, election.CodeWrongPhase) {
		t.Errorf("VerifyProofs of a ballot before the joint key: %v, want wrong-phase", err)
	}
	h.refused(t, st, "a ballot before the joint key", h.voter(1), election.TypeBallot, castBallot, election.CodeWrongPhase, "a ballot is only accepted while the election is open; it is ceremony")
}

// TestPartialAndResultRules: partial decryptions come after the close, for
// this election and its closing record, from the trustee they name, once
// each, and only if at least min_counted ballots count; the result comes
// from the official with at least t partial decryptions, and must follow
// from them.
func TestPartialAndResultRules(t *testing.T) {
	h := theHistory(t)
	p1 := value[*election.PartialRecord](t, h.find(t, election.TypePartial, h.trustee(1)))
	p2 := value[*election.PartialRecord](t, h.find(t, election.TypePartial, h.trustee(2)))
	result := value[*election.ResultRecord](t, h.find(t, election.TypeResult, h.sim.Official))
	withPartial := func(p *election.PartialRecord, f func(p *election.PartialRecord)) *election.PartialRecord {
		c := *p
		f(&c)
		return &c
	}

	st := h.state(t, "voted")
	h.refused(t, st, "a partial decryption while voting is open", h.trustee(1), election.TypePartial, p1, election.CodeWrongPhase, "a partial decryption is only accepted while the election is closed; it is open")
	if err := st.VerifyProofs(election.TypePartial, h.trustee(1).PublicKey(), p1); !isRejection(err, election.CodeWrongPhase) {
		t.Errorf("VerifyProofs of a partial decryption while open: %v, want wrong-phase", err)
	}
	if _, err := participant.PartialDecryption(st, h.sim.Shares[0]); err == nil || !strings.Contains(err.Error(), "trustees decrypt once voting has closed") {
		t.Errorf("PartialDecryption while open: %v", err)
	}
	if _, err := participant.ComputeResult(st); err == nil || !strings.Contains(err.Error(), "once voting has closed") {
		t.Errorf("ComputeResult while open: %v", err)
	}
	h.refused(t, st, "the result while voting is open", h.sim.Official, election.TypeResult, result, election.CodeWrongPhase, "the result is only accepted while the election is closed")

	st = h.state(t, "closed")
	h.refused(t, st, "a partial decryption for another election", h.trustee(1), election.TypePartial, withPartial(p1, func(p *election.PartialRecord) { p.Election = otherHex }),
		bulletin.CodeMalformed, "partial decryption is for another election")
	h.refused(t, st, "a partial decryption of another closing", h.trustee(1), election.TypePartial, withPartial(p1, func(p *election.PartialRecord) { p.Close = otherHex }),
		election.CodeStale, "it decrypts the sums of another history")
	h.refused(t, st, "trustee 1's partial decryption posted by the official", h.sim.Official, election.TypePartial, p1, election.CodeUnauthorized, "the author is not a trustee of this election")
	h.refused(t, st, "trustee 2's partial decryption posted by trustee 1", h.trustee(1), election.TypePartial, p2, election.CodeUnauthorized, "trustee 1 may not post for trustee 2")
	unknown := *p1.Partial
	unknown.Trustee = 9
	if err := st.VerifyProofs(election.TypePartial, h.trustee(1).PublicKey(), withPartial(p1, func(p *election.PartialRecord) { p.Partial = &unknown })); !isRejection(err, election.CodeUnauthorized) ||
		!strings.Contains(err.Error(), "no trustee 9 in this election") {
		t.Errorf("VerifyProofs of trustee 9's partial decryption: %v, want unauthorized", err)
	}
	if err := st.VerifyProofs(election.TypePartial, h.trustee(2).PublicKey(), p2); err != nil {
		t.Errorf("VerifyProofs of trustee 2's partial decryption: %v", err)
	}
	h.refused(t, st, "the result with no partial decryption", h.sim.Official, election.TypeResult, result, election.CodeWrongPhase, "the result needs 2 partial decryptions; 0 are on the board")

	st = h.state(t, "partial-1")
	h.refused(t, st, "a partial decryption twice", h.trustee(1), election.TypePartial, p1, bulletin.CodeDuplicate, "trustee 1 has already posted its partial decryption")
	h.refused(t, st, "the result with one partial decryption", h.sim.Official, election.TypeResult, result, election.CodeWrongPhase, "the result needs 2 partial decryptions; 1 are on the board")

	st = h.state(t, "partials")
	h.refused(t, st, "the result by a trustee", h.trustee(1), election.TypeResult, result, election.CodeUnauthorized, "only the election official may post the result")
	other := *result
	other.Election = otherHex
	h.refused(t, st, "the result of another election", h.sim.Official, election.TypeResult, &other, bulletin.CodeMalformed, "result is for another election")
	forged := *result.Tally
	forged.Counts = append([]uint64(nil), forged.Counts...)
	// One vote fewer somewhere, or one more if every count is 0: a count
	// one higher than a contest's full counts would break the bound of
	// its counts, refused before the proofs are looked at.
	if k := slices.IndexFunc(forged.Counts, func(n uint64) bool { return n > 0 }); k >= 0 {
		forged.Counts[k]--
	} else {
		forged.Counts[0]++
	}
	h.refused(t, st, "a result with a count changed", h.sim.Official, election.TypeResult, &election.ResultRecord{Election: result.Election, Tally: &forged},
		election.CodeBadProof, "the result does not follow from the board")
	if _, err := st.ResultTable(); err == nil || !strings.Contains(err.Error(), "no result is posted; the election is closed") {
		t.Errorf("ResultTable before the result: %v", err)
	}
	h.admit(t, st, h.sim.Official, election.TypeResult, result)
	if st.Phase() != election.Tallied || st.Result() == nil {
		t.Fatalf("after the result: phase %v, result %v", st.Phase(), st.Result())
	}
	table, err := st.ResultTable()
	must(t, err)
	var total uint64
	for i, row := range table {
		o := h.sim.Manifest.Contests[0].Options[i]
		if row.Contest != h.sim.Manifest.Contests[0].ID || row.Option != o.ID || row.Title != o.Title || row.Count != result.Tally.Counts[i] {
			t.Errorf("result table row %d = %+v, want option %s counted %d", i, row, o.ID, result.Tally.Counts[i])
		}
		total += row.Count
	}
	if len(table) != 3 || total > 2 {
		t.Errorf("result table %+v: want 3 rows and at most the 2 counted ballots", table)
	}
	h.refused(t, st, "a second result", h.sim.Official, election.TypeResult, result, election.CodeWrongPhase, "it is tallied")
	h.refused(t, st, "a partial decryption after the result", h.trustee(3), election.TypePartial, p1, election.CodeWrongPhase, "it is tallied")
}

// TestPrivacyFloor: with fewer ballots counted than min_counted, no
// trustee decrypts: the state refuses to compute a partial decryption and
// refuses one posted.
func TestPrivacyFloor(t *testing.T) {
	h := theHistory(t)
	st := h.state(t, "open") // no ballot yet
	rec := h.admit(t, st, h.sim.Official, election.TypePhase, st.PhaseRecord(election.PhaseClosed))
	if _, err := participant.PartialDecryption(st, h.sim.Shares[0]); err == nil ||
		!strings.Contains(err.Error(), "partial decryption refused") || !strings.Contains(err.Error(), "only 0 ballots are counted, fewer than the 2") {
		t.Errorf("PartialDecryption below the floor: %v", err)
	}
	// A partial decryption made elsewhere, naming this closing record.
	p := value[*election.PartialRecord](t, h.find(t, election.TypePartial, h.trustee(1)))
	closeHash := election.CloseHash(rec.Payload)
	p.Close = hex.EncodeToString(closeHash[:])
	h.refused(t, st, "a partial decryption of no ballot", h.trustee(1), election.TypePartial, p,
		election.CodeWrongPhase, "only 0 ballots are counted, fewer than the 2 the definition requires")
}

// TestStateReadings: what the state says about the history at its end
// matches what happened on the board.
func TestStateReadings(t *testing.T) {
	h := theHistory(t)
	st := h.state(t, "tallied")
	sum := st.Summary()
	if sum != h.final {
		t.Errorf("replayed summary %+v, the board's %+v", sum, h.final)
	}
	want := election.Summary{
		Phase: "tallied", Title: h.sim.Manifest.Title, ManifestHash: hex.EncodeToString(func() []byte { m := h.manifestHash(t); return m[:] }()),
		BaseHash: sum.BaseHash, Registrar: sum.Registrar, Voters: 4, RollClosed: true,
		Ballots: 3, Counted: 2, Superseded: 1, Challenged: 1, Partials: 2,
	}
	if sum != want || sum.BaseHash == "" || sum.Registrar == "" {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	first, second := h.find(t, election.TypeBallot, h.voter(0)), (*bulletin.Record)(nil)
	for _, r := range h.recs {
		if r.Type == election.TypeBallot && r.Index > first.Index && bytes.Equal(r.Author, first.Author) {
			second = r
		}
	}
	if second == nil {
		t.Fatal("no second ballot of voter 0 in the history")
	}
	if got := st.Superseded(); len(got) != 1 || got[first.Index] != second.Index {
		t.Errorf("Superseded() = %v, want %d → %d", got, first.Index, second.Index)
	}
	if bs, ok := st.BallotStatus(first); !ok || bs.Counted || bs.ReplacedBy != second.Index || !bs.ReplacedAt.Equal(second.Time) || bs.Current != second.Index {
		t.Errorf("BallotStatus(first ballot of voter 0) = %+v, %v", bs, ok)
	}
	if bs, ok := st.BallotStatus(second); !ok || !bs.Counted || bs.Current != second.Index {
		t.Errorf("BallotStatus(second ballot of voter 0) = %+v, %v", bs, ok)
	}
	for _, r := range []*bulletin.Record{h.recs[0], h.find(t, election.TypeChallenge, h.voter(2))} {
		if bs, ok := st.BallotStatus(r); ok {
			t.Errorf("BallotStatus(%s record %d) = %+v, true; want not a ballot", r.Type, r.Index, bs)
		}
	}
	if n := st.Notice(second.Index); !strings.Contains(n, fmt.Sprintf("replaces the voter's earlier ballot, record %d, which no longer counts", first.Index)) {
		t.Errorf("Notice(%d) = %q", second.Index, n)
	}
	if n := st.Notice(first.Index); n != "" {
		t.Errorf("Notice(%d) = %q, want none", first.Index, n)
	}
	if idx, ok := st.CastBallot(h.sim.Voters[0].Public); !ok || idx != second.Index {
		t.Errorf("CastBallot(voter 0) = %d, %v", idx, ok)
	}
	for _, v := range []int{2, 3} { // challenged only; never voted
		if idx, ok := st.CastBallot(h.sim.Voters[v].Public); ok {
			t.Errorf("CastBallot(voter %d) = %d, true", v, idx)
		}
	}
	if n := st.CountedBallots(); n != 2 {
		t.Errorf("CountedBallots() = %d, want 2", n)
	}
	if c := st.ClientHashes(); len(c) != 1 || c[0].Name != "voter.wasm" {
		t.Errorf("ClientHashes() = %+v", c)
	}
	if ps := st.Partials(); len(ps) != 2 || ps[0].Trustee != 1 || ps[1].Trustee != 2 {
		t.Errorf("Partials() = %v, want trustees 1 and 2", ps)
	}
	if vks := st.VerificationKeys(); len(vks) != 3 || vks[1] == nil || vks[3] == nil {
		t.Errorf("VerificationKeys() = %v", vks)
	}
	if st.JointKey() == nil || st.Roll() == nil || st.Roll().Size() != 4 {
		t.Error("no joint key or roll of 4 at the end")
	}
	if n, closed := st.RollStatus(); n != 4 || !closed {
		t.Errorf("RollStatus() = %d, %v", n, closed)
	}
	if got := election.Phase(9).String(); got != "phase(9)" {
		t.Errorf("Phase(9).String() = %q", got)
	}
	early := h.state(t, "defined")
	if n, closed := early.RollStatus(); n != 0 || closed {
		t.Errorf("RollStatus() after the definition = %d, %v", n, closed)
	}
	if _, ok := early.RollEntry(h.sim.Voters[0].Public); ok {
		t.Error("voter 0 on the roll before the roll record")
	}
	if _, ok := election.NewState().RollEntry(h.sim.Voters[0].Public); ok {
		t.Error("voter 0 on the roll of an empty state")
	}
	if s := election.NewState().Summary(); s != (election.Summary{Phase: "empty"}) {
		t.Errorf("summary of an empty state: %+v", s)
	}
}

func isRejection(err error, code string) bool {
	var rej *bulletin.RejectError
	return errors.As(err, &rej) && rej.Code == code
}

// TestJointKeyAfterComplaint: once a verdict complains, the ceremony has
// failed: the joint key is refused, naming the accusation, even when every
// other trustee accepted.
func TestJointKeyAfterComplaint(t *testing.T) {
	h := theHistory(t)
	st := h.state(t, "roll-closed")
	mh := h.manifestHash(t)
	complaint := &ceremony.Verdict{Ctx: mh[:], Trustee: 1, Complaints: []ceremony.Complaint{{Against: 2, Reason: ceremony.ReasonShare}}}
	h.admit(t, st, h.trustee(1), election.TypeVerdict, complaint)
	fail := st.CeremonyFailure()
	var ce *ceremony.ComplaintError
	if !errors.As(fail, &ce) || len(ce.Accused()) != 1 || ce.Accused()[0] != 2 {
		t.Fatalf("CeremonyFailure() = %v, want trustee 2 accused", fail)
	}
	for i := 2; i <= 3; i++ {
		h.admit(t, st, h.trustee(i), election.TypeVerdict, value[*ceremony.Verdict](t, h.find(t, election.TypeVerdict, h.trustee(i))))
	}
	if _, err := participant.JointKeyRecord(st); !errors.As(err, &ce) {
		t.Errorf("JointKeyRecord after a complaint: %v, want the complaint", err)
	}
	jk := value[*ceremony.JointKey](t, h.find(t, election.TypeJointKey, h.sim.Official))
	h.refused(t, st, "the joint key after a complaint", h.sim.Official, election.TypeJointKey, jk,
		election.CodeWrongPhase, "the ceremony failed: ceremony failed: 1 complaint(s): trustee 1 accuses trustee 2 (share)")
	if st.Phase() != election.Ceremony {
		t.Errorf("phase after the refused joint key: %v", st.Phase())
	}
}

// edited returns a copy of *v changed by edit.
func edited[T any](v *T, edit func(*T)) *T {
	c := *v
	edit(&c)
	return &c
}
