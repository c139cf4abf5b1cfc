package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tlogfmt "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/witness"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/litewitness"
)

// witnessSet runs n real litewitness processes that know one board.
type witnessSet struct {
	t         *testing.T
	witnesses []*litewitness.Witness
	signer    note.Signer
	vkey      string
}

func newWitnessSet(t *testing.T, n int, origin string) *witnessSet {
	t.Helper()
	if testing.Short() {
		t.Skip("runs litewitness processes")
	}
	bin, err := witnessTools(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	ws := &witnessSet{t: t, signer: signer, vkey: vkey}
	for i := range n {
		w, err := litewitness.Create(t.Context(), filepath.Join(t.TempDir(), fmt.Sprint(i)), fmt.Sprintf("witness-%d.test", i+1), origin, vkey, bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
		ws.witnesses = append(ws.witnesses, w)
	}
	return ws
}

// collector returns a collector asking every witness of the set.
func (ws *witnessSet) collector(l *bulletin.Log, quorum int) *witness.Collector {
	var list []witness.Witness
	for _, w := range ws.witnesses {
		v, err := fnote.NewVerifierForCosignatureV1(w.VKey)
		if err != nil {
			ws.t.Fatal(err)
		}
		list = append(list, witness.Witness{URL: w.URL, Verifier: v})
	}
	return witness.New(l, list, witness.Options{Quorum: quorum, RoundTimeout: 500 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// policy returns the quorum policy of the set.
func (ws *witnessSet) policy(quorum int) bulletin.CosignPolicy {
	p := bulletin.CosignPolicy{Quorum: quorum}
	for _, w := range ws.witnesses {
		v, err := fnote.NewVerifierForCosignatureV1(w.VKey)
		if err != nil {
			ws.t.Fatal(err)
		}
		p.Cosigners = append(p.Cosigners, v)
	}
	return p
}

// waitCosigned waits until the board at url serves a checkpoint of at
// least size records cosigned by a quorum, and returns its cosigners.
func waitCosigned(t *testing.T, cl *client.Client, p bulletin.CosignPolicy, size int64) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		cp, err := cl.Checkpoint(t.Context())
		if err == nil && cp.Size >= size {
			if c, err := p.Check(cp.Note); err == nil {
				return c.Names
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of %d records cosigned by a quorum in 20 s (last: %v, %v)", size, cp.Size, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serve serves l with a collector asking the set's witnesses
// (reaching witness 1 at url1 instead, if not empty), until stop.
func (ws *witnessSet) serve(l *bulletin.Log, url1 string) (cl *client.Client, col *witness.Collector, stop func()) {
	ws.t.Helper()
	if url1 != "" {
		real := ws.witnesses[0].URL
		ws.witnesses[0].URL = url1
		defer func() { ws.witnesses[0].URL = real }()
	}
	ctx, cancel := context.WithCancel(ws.t.Context())
	col = ws.collector(l, 2)
	go col.Run(ctx)
	srv := server.New(server.Config{Log: l, Witnesses: col})
	hs := httptest.NewServer(srv.Handler())
	cl, err := client.New(hs.URL, ws.vkey, nil)
	if err != nil {
		ws.t.Fatal(err)
	}
	return cl, col, func() { cancel(); hs.Close(); srv.Close() }
}

// TestWitnessesCosign: the board sends each new checkpoint to three real
// witnesses (litewitness) and serves it with their cosignatures; a witness
// that is slow, or down, leaves the board appending and the quorum of the
// others forming, and it catches up when it returns. A board that restarts
// resynchronises from the size each witness reports (409).
func TestWitnessesCosign(t *testing.T) {
	ws := newWitnessSet(t, 3, "witness-test.example/board")
	l, err := bulletin.OpenLog(t.Context(), store.NewMemory(), bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: ws.signer})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	post := func(n int) {
		for i := range n {
			if _, _, err := l.Append(t.Context(), bulletin.Sign(testKey(), "note", []byte(fmt.Sprintf(`{"n":%d,"t":%d}`, i, time.Now().UnixNano())))); err != nil {
				t.Fatal(err)
			}
		}
	}
	all := ws.policy(3)
	cl, _, stop := ws.serve(l, "")
	post(5)
	if names := waitCosigned(t, cl, all, 5); len(names) != 3 {
		t.Fatalf("cosigners %v, want all three", names)
	}
	stop()

	// Witness 1 turns slow (2 s per answer, behind a delaying proxy): 2
	// and 3 form the quorum meanwhile, and 1 catches up.
	// The proxy reads witness 1's URL now: serve swaps it for the
	// proxy's while it sets up.
	witness1 := must(url.Parse(ws.witnesses[0].URL))
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Second)
		httputil.NewSingleHostReverseProxy(witness1).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	cl, _, stop = ws.serve(l, proxy.URL)
	post(3)
	start := time.Now()
	if names := waitCosigned(t, cl, ws.policy(2), 8); time.Since(start) > 1500*time.Millisecond {
		t.Errorf("the quorum (%v) waited %s for the slow witness", names, time.Since(start))
	}
	waitCosigned(t, cl, all, 8)
	stop()

	// Witness 3 goes down: the board appends, and 1 and 2 form the quorum.
	cl, _, stop = ws.serve(l, "")
	ws.witnesses[2].Stop()
	post(7)
	if names := waitCosigned(t, cl, ws.policy(2), 15); strings.Join(names, ",") != "witness-1.test,witness-2.test" {
		t.Fatalf("cosigners with witness 3 down: %v", names)
	}
	// It comes back and catches up.
	if err := ws.witnesses[2].Start(ws.witnesses[2].Addr()); err != nil {
		t.Fatal(err)
	}
	post(1)
	waitCosigned(t, cl, all, 16)
	stop()

	// The board restarts: its collector starts from size 0 for every
	// witness, is told their sizes (409) and catches them up.
	cl, col, stop := ws.serve(l, "")
	defer stop()
	post(2)
	waitCosigned(t, cl, all, 18)
	for _, st := range col.Status() {
		if st.Cosigned < 18 {
			t.Errorf("witness %s cosigned only %d after the restart", st.Name, st.Cosigned)
		}
	}
	// The operator's metrics show each witness's cosigned size.
	rec := httptest.NewRecorder()
	server.New(server.Config{Log: l, Witnesses: col}).Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		"evote_board_size 18\n",
		"evote_board_cosigned_size 18\n",
		`evote_witness_cosigned_size{witness="witness-1.test"} 18` + "\n",
		`evote_witness_cosigned_size{witness="witness-3.test"} 18` + "\n",
		`evote_witness_consecutive_failures{witness="witness-2.test"} 0` + "\n",
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, rec.Body)
		}
	}
}

// must returns v, failing the test process on err (for setup in handlers).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// testKey returns a fixed test author key.
func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
}

// TestSplitViewRefused: the board's operator, with the official, serves a
// trustee a second history of the same election — the genuine records up to
// the opening, the target ballot and nine more (the privacy floor), and a
// closing record the official signs for that history — to have the target's
// vote decrypted. The three witnesses (real litewitness) have cosigned the
// genuine history; they refuse the fork, no quorum forms for it, and
// `trustee decrypt` refuses on the forked view, naming the missing quorum.
// On the genuine history, witnessed, the same trustee decrypts.
func TestSplitViewRefused(t *testing.T) {
	ws := newWitnessSet(t, 3, "split-view.example/board")
	l := newLabWith(t, 12, ws.signer, ws.vkey, ws, 2)
	l.open()
	for v := range l.e.Voters {
		_, _, err := l.e.Cast(t.Context(), v, l.e.RandomChoices())
		l.must(err)
	}
	l.must(l.e.SetPhase(t.Context(), election.PhaseClosed))
	genuine := l.records()
	board := l.serveGenuine()
	cl, err := client.New(board[1], ws.vkey, nil)
	l.must(err)
	waitCosigned(t, cl, ws.policy(2), int64(len(genuine)))

	opening := find(genuine, election.TypePhase, 0)
	var fork []*bulletin.Record
	fork = append(fork, genuine[:opening+1]...)
	for i := range 10 {
		fork = append(fork, genuine[find(genuine, election.TypeBallot, i)])
	}
	// The official closes the fork: its tree head and its sums.
	replay := election.NewReplay(election.ReplayOptions{})
	forged := l.forge(fork)
	var recs []*bulletin.Record
	for i := range forged.Size() {
		r, err := forged.Record(t.Context(), i)
		l.must(err)
		recs = append(recs, r)
	}
	l.must(replay.Records(recs))
	fork = append(fork, signedBy(t, l.e.Official, election.TypePhase, replay.State().PhaseRecord(election.PhaseClosed)))
	forkBoard := l.serveForged(fork)

	defer func(d time.Duration) { witnessWait = d }(witnessWait)
	witnessWait = 3 * time.Second
	out, err := run(t, append(append([]string{"trustee", "decrypt"}, l.keystore(1)...), forkBoard...)...)
	wantRefusal(t, out, err, "not cosigned by a quorum", "0 of the 2 required cosignatures", "witness-1.test")
	stdout, _, err := runEvote(t, append([]string{"verify"}, forkBoard...)...)
	if err == nil || !strings.Contains(stdout, "not cosigned by a quorum") {
		t.Errorf("evote verify on the forked view: %v\n%s", err, stdout)
	}

	witnessWait = 30 * time.Second
	out = mustRun(t, append(append([]string{"trustee", "decrypt"}, l.keystore(1)...), board...)...)
	if !strings.Contains(out, "trustee 1: posted the partial decryption") {
		t.Fatalf("trustee decrypt on the witnessed board printed %q", out)
	}
}

// TestTilesIndependentClient reads the board as a C2SP tlog-tiles log with
// independent code — transparency-dev/formats for the cosigned checkpoint,
// transparency-dev/merkle for the proof, and no evote package — and checks
// a voter's receipted ballot: its entry in the entry bundle, its leaf hash
// in the level-0 tile, and its inclusion under the root that the board
// signed and a quorum of witnesses cosigned.
func TestTilesIndependentClient(t *testing.T) {
	ws := newWitnessSet(t, 3, "tiles.example/board")
	l := newLabWith(t, 300, ws.signer, ws.vkey, ws, 2) // more than one full tile
	l.open()
	var receipts []*bulletin.Receipt
	for v := range l.e.Voters {
		_, r, err := l.e.Cast(t.Context(), v, l.e.RandomChoices())
		l.must(err)
		receipts = append(receipts, r)
	}
	board := l.serveGenuine()
	base := board[1]
	cl, err := client.New(base, ws.vkey, nil)
	l.must(err)
	waitCosigned(t, cl, ws.policy(2), l.log.Size())

	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(base + "/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v: %s", path, resp.StatusCode, err, body)
		}
		return body
	}
	// The cosigned checkpoint, with formats' parser and verifiers.
	logV, err := fnote.NewVerifier(ws.vkey)
	l.must(err)
	var witnessVs []note.Verifier
	for _, w := range ws.witnesses {
		v, err := fnote.NewVerifierForCosignatureV1(w.VKey)
		l.must(err)
		witnessVs = append(witnessVs, v)
	}
	cp, _, n, err := tlogfmt.ParseCheckpoint(get("checkpoint"), "tiles.example/board", logV, witnessVs...)
	if err != nil {
		t.Fatalf("formats/log.ParseCheckpoint: %v", err)
	}
	cosigners := 0
	for _, s := range n.Sigs {
		if s.Name != "tiles.example/board" {
			cosigners++
		}
	}
	if cosigners < 2 {
		t.Fatalf("the checkpoint carries %d witness cosignatures, want at least 2", cosigners)
	}

	// Every leaf hash, from the level-0 tiles (full, then the partial one).
	tilePath := func(level string, n, w uint64) string {
		s := fmt.Sprintf("%03d", n%1000)
		for n /= 1000; n > 0; n /= 1000 {
			s = fmt.Sprintf("x%03d/%s", n%1000, s)
		}
		p := "tile/" + level + "/" + s
		if w > 0 {
			p += fmt.Sprintf(".p/%d", w)
		}
		return p
	}
	var leaves [][]byte
	for i := uint64(0); i*256 < cp.Size; i++ {
		w := uint64(0)
		if (i+1)*256 > cp.Size {
			w = cp.Size - i*256
		}
		data := get(tilePath("0", i, w))
		for len(data) > 0 {
			leaves = append(leaves, data[:32])
			data = data[32:]
		}
	}
	if uint64(len(leaves)) != cp.Size {
		t.Fatalf("%d leaf hashes from the tiles, want %d", len(leaves), cp.Size)
	}
	hasher := rfc6962.DefaultHasher
	var mth func(lo, hi uint64) []byte
	mth = func(lo, hi uint64) []byte {
		if hi-lo == 1 {
			return leaves[lo]
		}
		k := uint64(1)
		for k*2 < hi-lo {
			k *= 2
		}
		return hasher.HashChildren(mth(lo, lo+k), mth(lo+k, hi))
	}
	if root := mth(0, cp.Size); !bytes.Equal(root, cp.Hash) {
		t.Fatalf("the tiles hash to %x, the cosigned checkpoint says %x", root, cp.Hash)
	}

	// A voter's receipt, read as text: its index and leaf hash.
	receipt := string(receipts[271].Marshal())
	var index uint64
	var leaf []byte
	for _, line := range strings.Split(receipt, "\n") {
		if v, ok := strings.CutPrefix(line, "index: "); ok {
			fmt.Sscan(v, &index)
		}
		if v, ok := strings.CutPrefix(line, "leaf: "); ok {
			leaf, _ = base64.StdEncoding.DecodeString(v)
		}
	}
	// Its entry, from the entry bundle, hashes to the receipt's leaf.
	bundle, w := index/256, uint64(0)
	if (bundle+1)*256 > cp.Size {
		w = cp.Size - bundle*256
	}
	data := get(tilePath("entries", bundle, w))
	var entry []byte
	for i := uint64(0); i <= index%256; i++ {
		size := uint64(data[0])<<8 | uint64(data[1])
		entry, data = data[2:2+size], data[2+size:]
	}
	if got := hasher.HashLeaf(entry); !bytes.Equal(got, leaf) || !bytes.Equal(leaves[index], leaf) {
		t.Fatalf("entry %d hashes to %x, the tile holds %x, the receipt says %x", index, got, leaves[index], leaf)
	}
	// Its inclusion proof, built from the tiles' hashes, verifies.
	nodes, err := proof.Inclusion(index, cp.Size)
	l.must(err)
	var hashes [][]byte
	for _, id := range nodes.IDs {
		lo := id.Index << id.Level
		hashes = append(hashes, mth(lo, min(lo+1<<id.Level, cp.Size)))
	}
	if hashes, err = nodes.Rehash(hashes, hasher.HashChildren); err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyInclusion(hasher, index, cp.Size, leaf, hashes, cp.Hash); err != nil {
		t.Fatalf("merkle/proof.VerifyInclusion of record %d: %v", index, err)
	}
}
