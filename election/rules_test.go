package election_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
)

// clockBoard is a board whose clock the test sets.
func clockBoard(t *testing.T, start time.Time) (*board, *atomic.Pointer[time.Time]) {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, "test-board")
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	clock := new(atomic.Pointer[time.Time])
	clock.Store(&start)
	b := &board{tracker: new(election.Tracker)}
	b.log, err = bulletin.OpenLog(context.Background(), store.NewMemory(), b.tracker.New, bulletin.LogOptions{
		Signer: signer,
		Now:    func() time.Time { return *clock.Load() },
	})
	must(t, err)
	t.Cleanup(func() { b.log.Close() })
	return b, clock
}

// TestBallotScheduleBounds: both bounds of the voting window are inclusive
// (docs/spec/election.md §4): a ballot whose board time is exactly opens
// or exactly closes is accepted, one a millisecond (the board's time
// precision) outside is refused as wrong-phase; challenged ballots alike.
func TestBallotScheduleBounds(t *testing.T) {
	ctx := context.Background()
	b, clock := clockBoard(t, time.Now().Add(-time.Hour))
	e := newElection(t, b, 6)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	m := e.Manifest
	at := func(tm time.Time) { clock.Store(&tm) }
	ballotOf := func(v int) *bulletin.Submission {
		eb, _, err := e.Encrypt(ctx, v, e.RandomChoices())
		must(t, err)
		sub, err := election.NewSubmission(election.KeySigner(e.Voters[v].Private), election.TypeBallot, eb)
		must(t, err)
		return sub
	}
	challengeOf := func(v int) *bulletin.Submission {
		eb, secrets, err := e.Encrypt(ctx, v, e.RandomChoices())
		must(t, err)
		sub, err := election.NewSubmission(election.KeySigner(e.Voters[v].Private), election.TypeChallenge, ballot.Challenge(eb, secrets))
		must(t, err)
		return sub
	}
	accept := func(what string, sub *bulletin.Submission, want time.Time) {
		t.Helper()
		rec, _, err := b.log.Append(ctx, sub)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !rec.Time.Equal(want) {
			t.Fatalf("%s: board time %s, want %s", what, rec.Time, want)
		}
	}

	at(m.Opens.Add(-time.Millisecond))
	wantReject(t, b, "ballot a millisecond before opens", ballotOf(0), election.CodeWrongPhase)
	wantReject(t, b, "challenge a millisecond before opens", challengeOf(1), election.CodeWrongPhase)
	at(m.Opens)
	accept("ballot at opens", ballotOf(2), m.Opens)
	accept("challenge at opens", challengeOf(3), m.Opens)
	at(m.Closes)
	accept("ballot at closes", ballotOf(4), m.Closes)
	accept("challenge at closes", challengeOf(5), m.Closes)
	at(m.Closes.Add(time.Millisecond))
	wantReject(t, b, "ballot a millisecond after closes", ballotOf(0), election.CodeWrongPhase)
	wantReject(t, b, "challenge a millisecond after closes", challengeOf(1), election.CodeWrongPhase)
}

// TestBallotRejectionCodes maps the ballot checks of docs/spec/ballot.md
// §4.4 and §5.2 to the codes the board answers (election.md §4).
func TestBallotRejectionCodes(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 4)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	voter := func(v int) election.KeySigner { return election.KeySigner(e.Voters[v].Private) }
	sign := func(s election.Signer, typ string, v any) *bulletin.Submission {
		t.Helper()
		sub, err := election.NewSubmission(s, typ, v)
		must(t, err)
		return sub
	}
	encrypt := func(v int) (*ballot.EncryptedBallot, *ballot.BallotSecrets) {
		t.Helper()
		eb, secrets, err := e.Encrypt(ctx, v, e.RandomChoices())
		must(t, err)
		return eb, secrets
	}

	// Cast ballots: every check of ballot.md §4.4 after eligibility is bad-proof.
	eb, _ := encrypt(0)
	wantReject(t, b, "ballot whose credential is not its signer", sign(voter(1), election.TypeBallot, eb), election.CodeBadProof)
	eb, _ = encrypt(0)
	eb.Election[0] ^= 1
	wantReject(t, b, "ballot for another election", sign(voter(0), election.TypeBallot, eb), election.CodeBadProof)
	eb, _ = encrypt(0)
	eb.Contests = eb.Contests[:len(eb.Contests)-1]
	wantReject(t, b, "ballot with a contest missing", sign(voter(0), election.TypeBallot, eb), election.CodeBadProof)
	eb, _ = encrypt(0)
	c := &eb.Contests[0]
	c.Options = c.Options[:len(c.Options)-1]
	wantReject(t, b, "ballot with an option missing", sign(voter(0), election.TypeBallot, eb), election.CodeBadProof)

	// Challenged ballots: the signer must be the ballot's credential
	// (unauthorized), once the revealed ballot itself checks out.
	eb, secrets := encrypt(0)
	challenge := ballot.Challenge(eb, secrets)
	err := wantReject(t, b, "challenge of voter 0's ballot signed by voter 1", sign(voter(1), election.TypeChallenge, challenge), election.CodeUnauthorized)
	if !strings.Contains(err.Error(), "another credential than the one that signed it") {
		t.Errorf("the refusal does not say why: %v", err)
	}
	eb, secrets = encrypt(2)
	eb.Election[0] ^= 1
	wantReject(t, b, "challenge for another election", sign(voter(2), election.TypeChallenge, ballot.Challenge(eb, secrets)), election.CodeBadProof)
	// The genuine signer may still post it.
	if _, _, err := b.log.Append(ctx, sign(voter(0), election.TypeChallenge, challenge)); err != nil {
		t.Fatalf("challenge signed by its credential: %v", err)
	}
}

// TestClientHashRules: the name of a client build is text of at most 255
// bytes (ballot.md §1.1) and the hash 64 lowercase hex digits
// (election.md §2.1); anything else is malformed.
func TestClientHashRules(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 2)
	mh := b.tracker.State().ManifestHash()
	sum := sha256.Sum256([]byte("a client build"))
	hexSum := hex.EncodeToString(sum[:])
	record := func(name, sha string) *bulletin.Submission {
		t.Helper()
		sub, err := election.NewSubmission(e.Official, election.TypeClientHash, &election.ClientHash{Election: hex.EncodeToString(mh[:]), Name: name, SHA256: sha})
		must(t, err)
		return sub
	}
	for _, c := range []struct{ what, name, sha string }{
		{"empty name", "", hexSum},
		{"name of 256 bytes", strings.Repeat("a", ballot.MaxClientNameLen+1), hexSum},
		{"name with a newline", "voter.wasm\nok", hexSum},
		{"name with a right-to-left override", "\u202emsaw.retov", hexSum},
		{"name with a zero width space", "voter\u200b.wasm", hexSum},
		{"name with a leading space", " voter.wasm", hexSum},
		{"uppercase hash", "voter.wasm", strings.ToUpper(hexSum)},
		{"short hash", "voter.wasm", hexSum[:62]},
	} {
		wantReject(t, b, c.what, record(c.name, c.sha), bulletin.CodeMalformed)
	}
	for _, name := range []string{"voter.wasm", "voter-web go1.26 & <wasm>", strings.Repeat("é", ballot.MaxClientNameLen/2)} {
		if _, _, err := b.log.Append(ctx, record(name, hexSum)); err != nil {
			t.Errorf("client hash named %q: %v", name, err)
		}
	}
}

// TestTrusteeKeysAgree: the definition (ballot.md §1.1, §1.2) refuses
// exactly the trustee keys the key ceremony refuses (ceremony.md §2.1), so
// that a definition the board accepts can always complete its ceremony.
func TestTrusteeKeysAgree(t *testing.T) {
	m, _, _, trustees, err := simulate.NewManifest(simulate.Options{Trustees: 1, Threshold: 1})
	must(t, err)
	def, err := m.MarshalCanonical()
	must(t, err)
	pub := trustees[0].Public()
	b64 := base64.StdEncoding.EncodeToString
	identity := append([]byte{1}, make([]byte, 31)...)
	order2 := append([]byte{0xec}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...)
	yIsP := append([]byte{0xed}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...) // y = p, which is 0
	signNeg := append([]byte(nil), pub.SignKey...)
	signNeg[31] ^= 0x80 // −A: another valid key
	encTop := append([]byte(nil), pub.EncKey...)
	encTop[31] |= 0x80
	signKeys := [][]byte{pub.SignKey, signNeg, identity, order2, yIsP, append([]byte{0x01}, append(make([]byte, 30), 0x80)...)}
	encKeys := [][]byte{pub.EncKey, encTop, make([]byte, 32), identity, yIsP}
	accepted := 0
	for _, sk := range signKeys {
		for _, ek := range encKeys {
			if bytes.Equal(sk, ek) {
				continue
			}
			d := bytes.Replace(def, []byte(b64(pub.SignKey)), []byte(b64(sk)), 1)
			d = bytes.Replace(d, []byte(b64(pub.EncKey)), []byte(b64(ek)), 1)
			_, defErr := ballot.ParseCanonicalManifest(d)
			_, cerErr := ceremony.ParseTrusteePublicKey([]byte(`{"sign_key":"` + b64(sk) + `","enc_key":"` + b64(ek) + `"}`))
			if (defErr == nil) != (cerErr == nil) {
				t.Errorf("sign_key %x, enc_key %x: the definition says %v, the ceremony %v", sk, ek, defErr, cerErr)
			}
			if defErr == nil {
				accepted++
			}
		}
	}
	if accepted != 2 {
		t.Errorf("%d pairs of keys accepted, want 2 (the trustee's keys, and with −A as sign_key)", accepted)
	}
}

// TestRefusedPartialsNotSelected: partial decryptions the board refuses
// never reach the selection of tally.md §5, so an election's result
// rejects none and uses the t lowest trustees among the admitted ones.
func TestRefusedPartialsNotSelected(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 3) // five trustees, t = 3; min_counted defaults to 3
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for v := range 3 {
		_, _, err := e.Cast(ctx, v, e.RandomChoices())
		must(t, err)
	}
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	st := b.tracker.State()
	partial := func(i int) *election.PartialRecord {
		t.Helper()
		p, err := participant.PartialDecryption(st, e.Shares[i-1])
		must(t, err)
		return p
	}
	trustee := func(i int) election.Signer { return election.TrusteeSigner{Keys: e.Trustees[i-1]} }
	sign := func(i int, p *election.PartialRecord) *bulletin.Submission {
		t.Helper()
		sub, err := election.NewSubmission(trustee(i), election.TypePartial, p)
		must(t, err)
		return sub
	}

	forged := partial(1)
	if len(forged.Partial.Shares) < 2 {
		t.Fatal("too few positions to forge a share")
	}
	forged.Partial.Shares[0] = forged.Partial.Shares[1]
	wantReject(t, b, "partial decryption with a wrong share", sign(1, forged), election.CodeBadProof)
	short := partial(1)
	short.Partial.Shares, short.Partial.Proofs = short.Partial.Shares[1:], short.Partial.Proofs[1:]
	wantReject(t, b, "partial decryption of the wrong length", sign(1, short), election.CodeBadProof)
	wantReject(t, b, "partial decryption of trustee 2 posted by trustee 1", sign(1, partial(2)), election.CodeUnauthorized)
	for _, i := range []int{5, 2, 4} {
		must(t, e.Decrypt(ctx, i))
	}
	wantReject(t, b, "second partial decryption of trustee 5", sign(5, partial(5)), bulletin.CodeDuplicate)
	r, err := e.Tally(ctx)
	must(t, err)
	if len(r.Tally.Rejected) != 0 {
		t.Errorf("result rejects %v, want none: refused records are not on the board", r.Tally.Rejected)
	}
	if want := []uint32{2, 4, 5}; !slices.Equal(r.Tally.Trustees, want) {
		t.Errorf("result uses trustees %v, want %v", r.Tally.Trustees, want)
	}
}

// TestCeremonyMessageOfAnotherRun: a key-ceremony message bound to another
// ctx (another election, or a failed run of this election's ceremony,
// docs/spec/election.md §4, "one ceremony per election") is refused:
// commitments and shares by the board checks C and S (bad-proof), a
// verdict by the ctx rule (malformed).
func TestCeremonyMessageOfAnotherRun(t *testing.T) {
	b := newBoard(t)
	e := newElection(t, b, 2)
	n := len(e.Trustees)
	pubs := make([]*ceremony.TrusteePublicKey, n)
	for i, k := range e.Trustees {
		pubs[i] = k.Public()
	}
	mh := b.tracker.State().ManifestHash()
	other := sha256.Sum256(append([]byte("a failed run of "), mh[:]...))
	cm, sh, _, err := ceremony.Deal(other[:], 1, e.Manifest.Threshold, n, pubs)
	must(t, err)
	signer := election.TrusteeSigner{Keys: e.Trustees[0]}
	sign := func(typ string, v any) *bulletin.Submission {
		t.Helper()
		sub, err := election.NewSubmission(signer, typ, v)
		must(t, err)
		return sub
	}
	wantReject(t, b, "commitments of another run", sign(election.TypeCommitments, cm), election.CodeBadProof)
	wantReject(t, b, "shares of another run", sign(election.TypeShares, sh), election.CodeBadProof)
	v := &ceremony.Verdict{Ctx: other[:], Trustee: 1, Accept: true, Complaints: []ceremony.Complaint{}}
	wantReject(t, b, "verdict of another run", sign(election.TypeVerdict, v), bulletin.CodeMalformed)
}
