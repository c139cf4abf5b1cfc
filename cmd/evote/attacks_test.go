package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/ballot/ballottest"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/witness"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
)

// The tests in this file attack the participants, not the verifier: a
// board operator (who holds the board's key, so it can re-chain any
// records and sign checkpoints of them) serves the CLI voter, trustee or
// official a forged or forked history, or someone holding a voter's
// credential votes over them. Each participant must refuse, and say why.

// lab is a small election run on an in-memory board by the simulation,
// whose records a dishonest operator can rearrange and serve.
type lab struct {
	t       *testing.T
	dir     string
	e       *simulate.Election
	log     *bulletin.Log
	tracker *election.Tracker
	signer  note.Signer
	vkey    string

	ws        *witnessSet        // the witnesses the definition names, if any
	quorum    int                // their quorum
	collector *witness.Collector // the genuine board's collector of their cosignatures
}

func newLab(t *testing.T, voters int) *lab {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "attack-lab-board")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return newLabWith(t, voters, signer, vkey, nil, 0)
}

// newLabWith is newLab on the board key given, with a definition that
// names the board and the witnesses of ws with their quorum (none if ws is
// nil); the genuine board then collects their cosignatures. Each of more
// changes the simulation's options before it starts.
func newLabWith(t *testing.T, voters int, signer note.Signer, vkey string, ws *witnessSet, quorum int, more ...func(*simulate.Options)) *lab {
	t.Helper()
	l := &lab{t: t, dir: t.TempDir(), tracker: &election.Tracker{BoardKey: vkey}, signer: signer, vkey: vkey, ws: ws, quorum: quorum}
	var err error
	l.log, err = bulletin.OpenLog(t.Context(), store.NewMemory(), l.tracker.New, bulletin.LogOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.log.Close() })
	opts := simulate.Options{Voters: voters, Trustees: 3, Threshold: 2, Board: &ballot.Board{Origin: signer.Name(), Key: vkey}}
	if ws != nil {
		for _, w := range ws.witnesses {
			opts.Witnesses = append(opts.Witnesses, ballot.Witness{Name: w.Name, Key: w.VKey})
		}
		opts.WitnessQuorum = quorum
		l.collector = ws.collector(l.log, quorum)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go l.collector.Run(ctx)
	}
	for _, f := range more {
		f(&opts)
	}
	l.e, err = simulate.New(t.Context(), l.log.Append, l.tracker.Current, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *lab) must(err error) {
	l.t.Helper()
	if err != nil {
		l.t.Fatal(err)
	}
}

// open runs the ceremony and opens voting.
func (l *lab) open() {
	l.must(l.e.Ceremony(l.t.Context()))
	l.must(l.e.SetPhase(l.t.Context(), election.PhaseOpen))
}

// closedLab returns a lab in which every voter cast a random ballot and
// the official closed voting.
func closedLab(t *testing.T, voters int) *lab {
	l := newLab(t, voters)
	l.open()
	for v := range l.e.Voters {
		_, _, err := l.e.Cast(l.t.Context(), v, l.e.RandomChoices())
		l.must(err)
	}
	l.must(l.e.SetPhase(t.Context(), election.PhaseClosed))
	return l
}

// records returns the genuine board's records.
func (l *lab) records() []*bulletin.Record {
	var out []*bulletin.Record
	for i := range l.log.Size() {
		r, err := l.log.Record(l.t.Context(), i)
		l.must(err)
		out = append(out, r)
	}
	return out
}

// find returns the index in recs of the n-th record of type typ.
func find(recs []*bulletin.Record, typ string, n int) int {
	for i, r := range recs {
		if r.Type == typ {
			if n == 0 {
				return i
			}
			n--
		}
	}
	panic("no such record")
}

// serveGenuine serves the genuine board and returns the flags that name it.
func (l *lab) serveGenuine() []string {
	srv := server.New(server.Config{Log: l.log, Witnesses: l.collector, Notice: func(r *bulletin.Record) string { return l.tracker.State().Notice(r.Index) }})
	hs := httptest.NewServer(srv.Handler())
	l.t.Cleanup(func() { hs.Close(); srv.Close() })
	return l.boardFlags(hs.URL)
}

// forge makes recs the board's whole history, the way its dishonest
// operator can: re-indexed, re-chained and checkpointed with the board's
// own key (signatures stay as they are). It returns the log over them.
func (l *lab) forge(recs []*bulletin.Record) *bulletin.Log {
	l.t.Helper()
	ms := store.NewMemory()
	var prev tlog.Hash
	var hashes []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	var last time.Time
	for i, r := range recs {
		c := *r
		c.Index, c.Prev = uint64(i), append([]byte(nil), prev[:]...)
		if c.Time.Before(last) {
			c.Time = last
		}
		last, prev = c.Time, c.LeafHash()
		enc, err := c.MarshalJSON()
		l.must(err)
		hs, err := tlog.StoredHashesForRecordHash(int64(i), prev, reader)
		l.must(err)
		start := len(hashes)
		hashes = append(hashes, hs...)
		l.must(ms.Append(l.t.Context(), int64(i), [][]byte{enc}, hashes[start:]))
	}
	forged, err := bulletin.OpenLog(l.t.Context(), ms, bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: l.signer})
	l.must(err)
	l.t.Cleanup(func() { forged.Close() })
	return forged
}

// serveForged serves recs as the board's whole history (see forge).
func (l *lab) serveForged(recs []*bulletin.Record) []string {
	l.t.Helper()
	forged := l.forge(recs)
	var col *witness.Collector
	if l.ws != nil {
		// The forged board asks the same witnesses to cosign its history.
		col = l.ws.collector(forged, l.quorum)
		ctx, cancel := context.WithCancel(context.Background())
		l.t.Cleanup(cancel)
		go col.Run(ctx)
	}
	srv := server.New(server.Config{Log: forged, Witnesses: col})
	hs := httptest.NewServer(srv.Handler())
	l.t.Cleanup(func() { hs.Close(); srv.Close() })
	return l.boardFlags(hs.URL)
}

// export writes recs, as the board's whole history (see forge), to an
// export file with its signed checkpoint, and returns the flags that
// name them for evote verify.
func (l *lab) export(recs []*bulletin.Record) []string {
	l.t.Helper()
	forged := l.forge(recs)
	record, checkpoint := filepath.Join(l.dir, "record.jsonl"), filepath.Join(l.dir, "checkpoint.txt")
	f, err := os.Create(record)
	l.must(err)
	for i := range forged.Size() {
		r, err := forged.Record(l.t.Context(), i)
		l.must(err)
		enc, err := r.MarshalJSON()
		l.must(err)
		_, err = f.Write(append(enc, '\n'))
		l.must(err)
	}
	l.must(f.Close())
	l.must(os.WriteFile(checkpoint, forged.Checkpoint().Note, 0o644))
	return append([]string{"--record", record, "--checkpoint", checkpoint}, l.boardFlags("http://unused")[2:]...)
}

func (l *lab) boardFlags(url string) []string {
	key := filepath.Join(l.dir, "board.vkey")
	l.must(os.WriteFile(key, []byte(l.vkey+"\n"), 0o644))
	return []string{"--board", url, "--board-key", "@" + key}
}

// credential writes voter v's credential file.
func (l *lab) credential(v int) string {
	path := filepath.Join(l.dir, fmt.Sprintf("voter-%d.json", v))
	b, err := l.e.Voters[v].Marshal()
	l.must(err)
	l.must(os.WriteFile(path, b, 0o600))
	return path
}

// keystore writes trustee i's keystore, with its share, and returns the
// flags that open it.
func (l *lab) keystore(i int) []string {
	dir := filepath.Join(l.dir, fmt.Sprintf("trustee-%d", i))
	l.must(os.MkdirAll(dir, 0o700))
	pass := filepath.Join(dir, "pass")
	l.must(os.WriteFile(pass, []byte("lab passphrase"), 0o600))
	ks := filepath.Join(dir, "trustee.keystore")
	os.Remove(ks)
	l.must(saveKeystore(ks, []byte("lab passphrase"), &ceremony.TrusteeState{Keys: l.e.Trustees[i-1], Share: l.e.Shares[i-1]}, false))
	return []string{"--keystore", ks, "--passphrase-file", pass}
}

// forgedBy returns a copy of rec with payload v, signed by a random key
// but claiming author: what a board can make without anyone's key.
func forgedBy(t *testing.T, author []byte, typ string, v any) *bulletin.Record {
	t.Helper()
	payload, err := election.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	return &bulletin.Record{
		Time: time.Now().UTC().Truncate(time.Millisecond), Type: typ, Payload: payload,
		Author: author, Sig: ed25519.Sign(priv, bulletin.SigningMessage(typ, payload)), Prev: make([]byte, 32),
	}
}

// signedBy returns a record of payload v signed by s, as its author posts it.
func signedBy(t *testing.T, s election.Signer, typ string, v any) *bulletin.Record {
	t.Helper()
	sub, err := election.NewSubmission(s, typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &bulletin.Record{Time: time.Now().UTC().Truncate(time.Millisecond), Type: typ, Payload: sub.Payload,
		Author: sub.Author, Sig: sub.Sig, Prev: make([]byte, 32)}
}

// wantRefusal checks that a participant's command failed, naming the
// record and the reason, and posted nothing.
func wantRefusal(t *testing.T, out string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the command went ahead on a forged board:\n%s", out)
	}
	var buf strings.Builder
	printError(&buf, err)
	msg := out + buf.String()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("the refusal does not say %q:\n%s", w, msg)
		}
	}
	t.Logf("refused:\n%s", msg)
}

// TestVoterRefusesFabricatedCeremony: the board keeps the official's
// genuine definition but invents the whole key ceremony — commitments with
// valid Schnorr proofs for coefficients it chose, shares, verdicts and a
// joint key — so that ballots would be encrypted under a key it holds. It
// cannot sign as the trustees, so it signs with keys of its own. The voter
// must refuse to encrypt.
func TestVoterRefusesFabricatedCeremony(t *testing.T) {
	l := newLab(t, 3)
	l.open()
	genuine := l.records()
	m := l.e.Manifest
	mh, err := m.Hash()
	l.must(err)
	pubs := make([]*ceremony.TrusteePublicKey, len(m.Trustees))
	for i, tr := range m.Trustees {
		pubs[i] = &ceremony.TrusteePublicKey{SignKey: tr.SignKey, EncKey: tr.EncKey}
	}
	fork := []*bulletin.Record{genuine[0]}
	var commitments []*ceremony.Commitments
	for i := range m.Trustees {
		cm, sh, _, err := ceremony.Deal(mh[:], uint32(i+1), m.Threshold, len(m.Trustees), pubs)
		l.must(err)
		commitments = append(commitments, cm)
		fork = append(fork, forgedBy(t, m.Trustees[i].SignKey, election.TypeCommitments, cm), forgedBy(t, m.Trustees[i].SignKey, election.TypeShares, sh))
	}
	for i := range m.Trustees {
		fork = append(fork, forgedBy(t, m.Trustees[i].SignKey, election.TypeVerdict, &ceremony.Verdict{Trustee: uint32(i + 1), Ctx: mh[:], Accept: true}))
	}
	jk, err := ceremony.ComputeJointKey(mh[:], m.Threshold, len(m.Trustees), commitments)
	l.must(err)
	fork = append(fork, forgedBy(t, m.Official, election.TypeJointKey, jk), genuine[find(genuine, election.TypePhase, 0)])

	board := l.serveForged(fork)
	device := filepath.Join(l.dir, "device")
	out, err := run(t, append([]string{"vote", "prepare", "--credential", l.credential(0), "--choices", "mayor=alice;budget=schools:3,roads:2",
		"--out", filepath.Join(l.dir, "ballot.prepared"), "--device-state", device}, board...)...)
	wantRefusal(t, out, err, "record 1", "bad-signature", "does not verify", "encrypted or posted nothing")
	if _, err := os.Stat(filepath.Join(l.dir, "ballot.prepared")); err == nil {
		t.Error("a ballot was encrypted under the fabricated key")
	}
	if _, err := os.Stat(device); err == nil {
		t.Error("the device state moved on")
	}
}

// pack returns Σ_j 4^j·c_j: one ciphertext that holds each c_j's value in
// its own base-4 digit, so that decrypting it decrypts them all.
func pack(cts []*crypto.Ciphertext) *crypto.Ciphertext {
	sum := crypto.NewCiphertext()
	for j := len(cts) - 1; j >= 0; j-- {
		sum.Add(sum, sum) // ×2
		sum.Add(sum, sum) // ×4
		sum.Add(sum, cts[j])
	}
	return sum
}

// packedBallot builds the ballot a board would slip in to have the trustees
// decrypt every counted ballot at once: at each position, the base-4
// packing of the counted ballots' ciphertexts. Its proofs are those of a
// genuine ballot of author's, so they do not hold.
func packedBallot(t *testing.T, recs []*bulletin.Record, author ed25519.PublicKey) *ballot.EncryptedBallot {
	t.Helper()
	var ballots []*ballot.EncryptedBallot
	var own *ballot.EncryptedBallot
	for _, r := range recs {
		if r.Type != election.TypeBallot {
			continue
		}
		b, err := ballot.ParseEncryptedBallot(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		ballots = append(ballots, b)
		if ed25519.PublicKey(r.Author).Equal(author) {
			own = b
		}
	}
	fake, err := ballot.ParseEncryptedBallot(own.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	for i := range fake.Contests {
		for k := range fake.Contests[i].Options {
			var cts []*crypto.Ciphertext
			for _, b := range ballots {
				cts = append(cts, b.Contests[i].Options[k].Ciphertext)
			}
			fake.Contests[i].Options[k].Ciphertext = pack(cts)
		}
	}
	again, err := ballot.ParseEncryptedBallot(fake.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	return again
}

// TestTrusteeRefusesPackedBallot: after the close, the board serves a
// history with one more ballot whose ciphertexts pack every counted ballot,
// so that the trustees' decryption of the sums would reveal each vote.
// Signed with a key of the board's own, it fails the signature check; signed
// by a colluding voter's real credential, its proofs fail. Either way the
// trustee decrypts nothing.
func TestTrusteeRefusesPackedBallot(t *testing.T) {
	l := closedLab(t, 12)
	genuine := l.records()
	closing := find(genuine, election.TypePhase, 1)
	colluder := l.e.Voters[11]
	fake := packedBallot(t, genuine, colluder.Public)
	for _, tc := range []struct {
		name string
		rec  *bulletin.Record
		want []string
	}{
		{"signed by the board", forgedBy(t, colluder.Public, election.TypeBallot, fake), []string{"bad-signature"}},
		{"signed by a colluding voter", signedBy(t, election.KeySigner(colluder.Private), election.TypeBallot, fake), []string{"bad-proof"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fork := append(append(append([]*bulletin.Record(nil), genuine[:closing]...), tc.rec), genuine[closing])
			board := l.serveForged(fork)
			out, err := run(t, append(append([]string{"trustee", "decrypt"}, l.keystore(1)...), board...)...)
			want := append([]string{fmt.Sprintf("record %d", closing), "does not verify", "posted nothing"}, tc.want...)
			wantRefusal(t, out, err, want...)
		})
	}
}

// TestTrusteeRefusesReplayedFork: the board serves a fork made only of
// genuine, genuinely signed records — the definition, the ceremony, the
// opening, one target ballot and the official's genuine closing record —
// a valid-looking one-ballot election whose tally would be the target's
// vote. The closing record names the history it closed, so the trustee
// refuses.
func TestTrusteeRefusesReplayedFork(t *testing.T) {
	l := closedLab(t, 12)
	genuine := l.records()
	opening, closing := find(genuine, election.TypePhase, 0), find(genuine, election.TypePhase, 1)
	target := find(genuine, election.TypeBallot, 7)
	fork := append(append([]*bulletin.Record(nil), genuine[:opening+1]...), genuine[target], genuine[closing])
	board := l.serveForged(fork)
	out, err := run(t, append(append([]string{"trustee", "decrypt"}, l.keystore(2)...), board...)...)
	wantRefusal(t, out, err, fmt.Sprintf("record %d (phase)", opening+2), "stale",
		fmt.Sprintf("names the board's first %d records, but %d records precede it", closing, opening+2), "posted nothing")

	// On the genuine board the same trustee decrypts.
	out = mustRun(t, append(append([]string{"trustee", "decrypt"}, l.keystore(2)...), l.serveGenuine()...)...)
	if !regexp.MustCompile(`trustee 2: posted the partial decryption as record \d+`).MatchString(out) {
		t.Fatalf("trustee decrypt on the genuine board printed %q", out)
	}
}

// TestReceiptShowsOverridingRevote: whoever holds a voter's credential
// (a registrar who generated it and kept a copy) casts a later ballot with
// it. The
// board takes it as a re-vote; the voter's receipt check must say that the
// ballot was replaced, by which record and when, and exit non-zero.
func TestReceiptShowsOverridingRevote(t *testing.T) {
	l := newLab(t, 3)
	l.open()
	board := l.serveGenuine()
	cred := l.credential(1)
	receipt := filepath.Join(l.dir, "receipt.txt")
	vote := func(device, receipt string) string {
		prepared := filepath.Join(l.dir, "ballot.prepared")
		mustRun(t, append([]string{"vote", "prepare", "--credential", cred, "--choices", "mayor=bob;budget=schools:3,roads:2",
			"--out", prepared, "--device-state", filepath.Join(l.dir, device)}, board...)...)
		return mustRun(t, append([]string{"vote", "cast", "--credential", cred, "--prepared", prepared, "--receipt", receipt}, board...)...)
	}
	vote("voter-device", receipt)
	out := mustRun(t, append([]string{"vote", "check-receipt", "--receipt", receipt}, board...)...)
	if !strings.Contains(out, "COUNTED") {
		t.Fatalf("check-receipt before the attack printed %q", out)
	}
	// The holder of the credential votes over the voter, on another device.
	cast := vote("official-device", filepath.Join(l.dir, "official-receipt.txt"))
	over := regexp.MustCompile(`your ballot is record (\d+)`).FindStringSubmatch(cast)[1]

	out, err := run(t, append([]string{"vote", "check-receipt", "--receipt", receipt}, board...)...)
	if err == nil {
		t.Fatalf("check-receipt exited 0 for a replaced ballot:\n%s", out)
	}
	for _, want := range []string{"WARNING: a later ballot used your credential", "REPLACED", "replaced it", "record " + over + ", cast at "} {
		if !strings.Contains(out, want) {
			t.Errorf("check-receipt output lacks %q:\n%s", want, out)
		}
	}
	// The first receipt was not overwritten by the second cast.
	if _, err := os.Stat(receipt); err != nil {
		t.Error(err)
	}
}

// TestOfficialHoldsNoCredential replays the override attack with the
// official's key: the official holds no voter's credential any more, so
// it makes one of its own key under a voter's identifier. The voter client
// refuses to encrypt for it (not on the roll), the board refuses a ballot
// signed with it (ineligible), and the registrar's commands refuse the
// official's key.
func TestOfficialHoldsNoCredential(t *testing.T) {
	l := newLab(t, 3)
	l.open()
	board := l.serveGenuine()
	official := ed25519.PrivateKey(l.e.Official)
	forged := &ballot.Credential{Election: l.e.Manifest.ID, Voter: l.e.Voters[1].Voter, Public: official.Public().(ed25519.PublicKey), Private: official}
	b, err := forged.Marshal()
	l.must(err)
	path := filepath.Join(l.dir, "official-as-voter.json")
	l.must(os.WriteFile(path, b, 0o600))
	out, err := run(t, append([]string{"vote", "prepare", "--credential", path, "--choices", "mayor=bob;budget=schools:3,roads:2",
		"--out", filepath.Join(l.dir, "ballot.prepared"), "--device-state", filepath.Join(l.dir, "official-device")}, board...)...)
	wantRefusal(t, out, err, "not on the voter roll")

	// Past the client, straight to the board: refused as ineligible.
	eb, _, err := l.e.Encrypt(t.Context(), 1, l.e.RandomChoices())
	l.must(err)
	eb.Credential = forged.Public
	cl, err := client.New(board[1], l.vkey, nil)
	l.must(err)
	conn, err := newBoardConn([]*client.Client{cl}, 0, 0, io.Discard)
	l.must(err)
	_, _, err = post(t.Context(), conn, election.KeySigner(official), election.TypeBallot, eb)
	var rej *bulletin.RejectError
	if !errors.As(err, &rej) || rej.Code != election.CodeIneligible {
		t.Fatalf("the board's answer to a ballot signed with the official's key: %v, want ineligible", err)
	}
}

// TestVerifyRefusesWhatTheBoardMustRefuse: a board that breaks the rules
// for a credential holder appends records it must refuse — a challenged
// ballot's ciphertexts cast again under another prev with fresh proofs, a
// challenged twin of a cast ballot, and a device's withheld ballot after its
// successor, once a colluding credential named its code — and serves the
// result with a checkpoint it signed. evote verify names each record.
func TestVerifyRefusesWhatTheBoardMustRefuse(t *testing.T) {
	l := newLab(t, 4)
	l.open()
	st := l.tracker.State()
	e := st.Election()
	voter := func(v int) election.KeySigner { return election.KeySigner(l.e.Voters[v].Private) }
	encrypt := func(v int, prev ballot.ConfirmationCode) (*ballot.EncryptedBallot, *ballot.BallotSecrets) {
		b, s, err := participant.EncryptBallot(st, l.e.Voters[v].Public, l.e.RandomChoices(), nil, prev)
		l.must(err)
		return b, s
	}
	recs := l.records()
	// Voter 0 challenges x; x's ciphertexts are then cast under another prev.
	x, xs := encrypt(0, ballot.ConfirmationCode{})
	recast, err := ballottest.Reprove(e, x, xs, x.ConfirmationCode())
	l.must(err)
	// Voter 1 casts y, then posts a challenge of y's ciphertexts under another prev.
	y, ys := encrypt(1, ballot.ConfirmationCode{})
	twin := *y
	twin.Prev = y.ConfirmationCode()
	// Voter 3 colludes against voter 2's withheld b1.
	b1, _ := encrypt(2, ballot.ConfirmationCode{})
	decoy, ds := encrypt(3, b1.ConfirmationCode())
	b2, _ := encrypt(2, b1.ConfirmationCode())
	recs = append(recs,
		signedBy(t, voter(0), election.TypeChallenge, ballot.Challenge(x, xs)),
		signedBy(t, voter(0), election.TypeBallot, recast),
		signedBy(t, voter(1), election.TypeBallot, y),
		signedBy(t, voter(1), election.TypeChallenge, ballot.Challenge(&twin, ys)),
		signedBy(t, voter(3), election.TypeChallenge, ballot.Challenge(decoy, ds)),
		signedBy(t, voter(2), election.TypeBallot, b2),
		signedBy(t, voter(2), election.TypeBallot, b1),
	)
	n := len(recs)
	stdout, _, err := runEvote(t, append([]string{"verify"}, l.export(recs)...)...)
	if err == nil {
		t.Fatalf("evote verify passed a board that broke the rules:\n%s", stdout)
	}
	for _, want := range []string{
		fmt.Sprintf("record %d (ballot), step 6 ballots: duplicate: a ciphertext of this ballot was revealed by the challenged ballot of record %d", n-6, n-7),
		fmt.Sprintf("record %d (challenged-ballot), step 7 challenges: duplicate: a ciphertext of this ballot is also in the ballot cast as record %d", n-4, n-5),
		fmt.Sprintf("record %d (ballot), step 6 ballots: wrong-order: record %d, a later ballot from the same device, already follows this one", n-1, n-2),
		"✓ 1. chain", "✓ 2. signed checkpoints",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report does not say %q:\n%s", want, stdout)
		}
	}
}

// TestInitRefusesSmallOrderRegistrar: the identity point is a valid curve
// point for which (S·B, S) verifies for every message, so anyone could
// sign as a registrar with that key and put voters on the roll. election
// init refuses it, naming the field.
func TestInitRefusesSmallOrderRegistrar(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "election", "keygen", "--out", filepath.Join(dir, "official.key"))
	priv, err := readSigningKey(filepath.Join(dir, "official.key"))
	if err != nil {
		t.Fatal(err)
	}
	trustee, err := ceremony.GenerateTrusteeKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub := trustee.Public()
	identity := append([]byte{1}, make([]byte, 31)...)
	def := fmt.Sprintf(`{"version":"evote/v1","id":"weak-roll","title":"Weak roll","official":%q,"registrar":%q,
 "opens":"2026-01-01T00:00:00Z","closes":"2026-01-02T00:00:00Z",
 "contests":[{"id":"q","title":"Q","min_selections":0,"max_selections":1,"options":[{"id":"y","title":"Yes"},{"id":"n","title":"No"}]}],
 "trustees":[{"name":"T","sign_key":%q,"enc_key":%q}],"threshold":1}`,
		b64(priv.Public().(ed25519.PublicKey)), b64(identity), b64(pub.SignKey), b64(pub.EncKey))
	path := filepath.Join(dir, "election.json")
	if err := os.WriteFile(path, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "election", "init", "--key", filepath.Join(dir, "official.key"), "--definition", path,
		"--board", "http://127.0.0.1:1", "--board-key", "unused")
	wantRefusal(t, out, err, "$.registrar", "small-order")
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
