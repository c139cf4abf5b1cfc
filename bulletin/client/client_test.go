package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
)

// boardKey returns a deterministic note key pair named test-board.
func boardKey(t testing.TB, seedText string) (note.Signer, string) {
	t.Helper()
	seed := sha256.Sum256([]byte(seedText))
	skey, vkey, err := note.GenerateKey(bytes.NewReader(seed[:]), "test-board")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func author(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("client test author " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func sub(i int) *bulletin.Submission {
	return bulletin.Sign(author("voter"), "ballot", fmt.Appendf(nil, `{"n":%d,"html":"<b>&</b>"}`, i))
}

// tamperFunc may rewrite the response of the real server to a GET or POST
// (not the feed): it gets the request and the real status and body, and
// returns the status and body to send.
type tamperFunc func(r *http.Request, status int, body []byte) (int, []byte)

// board is a real bulletin.Log behind the real server handler, behind a
// handler that lets a test tamper with responses.
type board struct {
	t      *testing.T
	log    *bulletin.Log
	signer note.Signer
	vkey   string
	ts     *httptest.Server

	mu     sync.Mutex
	tamper tamperFunc
	feed   http.HandlerFunc // replaces GET /feed if set
}

func newBoard(t *testing.T) *board {
	t.Helper()
	signer, vkey := boardKey(t, "client test board")
	l, err := bulletin.OpenLog(context.Background(), store.NewMemory(), bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{
		Log:                    l,
		FeedCheckpointInterval: 5 * time.Millisecond,
		Logger:                 slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	b := &board{t: t, log: l, signer: signer, vkey: vkey}
	real := srv.Handler()
	b.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		tamper, feed := b.tamper, b.feed
		b.mu.Unlock()
		if feed != nil && r.URL.Path == "/feed" {
			feed(w, r)
			return
		}
		if tamper == nil || r.URL.Path == "/feed" {
			real.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		real.ServeHTTP(rec, r)
		status, body := tamper(r, rec.Code, rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(func() {
		srv.Close()
		b.ts.Close()
		l.Close()
	})
	return b
}

// setTamper installs f for the requests whose path is path ("" for all).
func (b *board) setTamper(path string, f tamperFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if f == nil {
		b.tamper = nil
		return
	}
	b.tamper = func(r *http.Request, status int, body []byte) (int, []byte) {
		if path != "" && r.URL.Path != path {
			return status, body
		}
		return f(r, status, body)
	}
}

func (b *board) client(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(b.ts.URL, b.vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// appendN appends sub(first) … sub(first+n-1) directly to the log.
func (b *board) appendN(first, n int) {
	b.t.Helper()
	for i := first; i < first+n; i++ {
		if _, _, err := b.log.Append(context.Background(), sub(i)); err != nil {
			b.t.Fatalf("Append(%d): %v", i, err)
		}
	}
}

// signed returns a checkpoint of the given size and root signed by signer.
func signed(t *testing.T, signer note.Signer, size int64, root tlog.Hash) []byte {
	t.Helper()
	n, err := bulletin.SignCheckpoint(bulletin.Checkpoint{Origin: signer.Name(), Size: size, Hash: root}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPost(t *testing.T) {
	b := newBoard(t)
	c := b.client(t)
	ctx := t.Context()
	for i := range 7 {
		s := sub(i)
		rec, receipt, err := c.Post(ctx, s)
		if err != nil {
			t.Fatalf("Post(%d): %v", i, err)
		}
		if rec.Index != uint64(i) || rec.Type != s.Type || !bytes.Equal(rec.Payload, s.Payload) ||
			!bytes.Equal(rec.Author, s.Author) || !bytes.Equal(rec.Sig, s.Sig) || !rec.VerifySignature() {
			t.Fatalf("Post(%d) = record %+v, not the submission", i, rec)
		}
		stored, err := b.log.Record(ctx, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		if rec.LeafHash() != stored.LeafHash() {
			t.Fatalf("Post(%d) record differs from the board's", i)
		}
		cp, err := receipt.Verify(b.vkey)
		if err != nil {
			t.Fatalf("Post(%d) receipt: %v", i, err)
		}
		if !receipt.Matches(rec) || cp.Size != int64(i)+1 {
			t.Fatalf("Post(%d) receipt for index %d in tree of size %d", i, receipt.Index, cp.Size)
		}
		if latest, ok := c.Latest(); !ok || latest.Size != cp.Size || latest.Hash != cp.Hash {
			t.Fatalf("Post(%d): Latest = %v, %v, want the receipt's checkpoint", i, latest.Checkpoint, ok)
		}
	}
}

func TestReads(t *testing.T) {
	b := newBoard(t)
	c := b.client(t)
	ctx := t.Context()
	const n = 13
	b.appendN(0, n)
	want := make([][]byte, n)
	for i := range want {
		r, err := b.log.Record(ctx, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		want[i], _ = r.MarshalJSON()
	}

	for _, tt := range []struct{ start, end int64 }{{0, n}, {0, 0}, {3, 4}, {5, n}, {12, 100}, {n, n + 5}} {
		recs, err := c.Records(ctx, tt.start, tt.end)
		if err != nil {
			t.Fatalf("Records(%d, %d): %v", tt.start, tt.end, err)
		}
		if wantN := max(0, min(tt.end, n)-tt.start); int64(len(recs)) != wantN {
			t.Fatalf("Records(%d, %d) = %d records, want %d", tt.start, tt.end, len(recs), wantN)
		}
		for j, r := range recs {
			got, _ := r.MarshalJSON()
			if !bytes.Equal(got, want[tt.start+int64(j)]) {
				t.Fatalf("Records(%d, %d)[%d] = %s, want %s", tt.start, tt.end, j, got, want[tt.start+int64(j)])
			}
		}
	}
	for i := range int64(n) {
		r, err := c.Record(ctx, i)
		if err != nil {
			t.Fatalf("Record(%d): %v", i, err)
		}
		if got, _ := r.MarshalJSON(); !bytes.Equal(got, want[i]) {
			t.Fatalf("Record(%d) = %s, want %s", i, got, want[i])
		}
	}

	cp, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	root, _ := b.log.TreeHash(n)
	if cp.Size != n || cp.Hash != root || cp.Origin != b.signer.Name() {
		t.Fatalf("Checkpoint = %+v, want size %d root %x", cp.Checkpoint, n, root)
	}
	if size, h, err := bulletin.VerifyCheckpoint(b.vkey, cp.Note); err != nil || size != n || h != root {
		t.Fatalf("Checkpoint note does not verify: %d, %x, %v", size, h, err)
	}

	for size := int64(1); size <= n; size++ {
		rootN, _ := b.log.TreeHash(size)
		for i := range size {
			p, err := c.InclusionProof(ctx, i, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, size, err)
			}
			r, _ := bulletin.ParseRecord(want[i])
			if err := bulletin.CheckInclusion(p, i, size, r.LeafHash(), rootN); err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, size, err)
			}
		}
		for old := int64(1); old <= size; old++ {
			p, err := c.ConsistencyProof(ctx, old, size)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", old, size, err)
			}
			rootOld, _ := b.log.TreeHash(old)
			if err := bulletin.CheckConsistency(p, old, rootOld, size, rootN); err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", old, size, err)
			}
		}
	}
	// An older genuine checkpoint is consistent, and Latest stays the newest.
	_, receipt, err := b.log.Append(ctx, sub(n))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.VerifyCheckpoint(ctx, receipt.Checkpoint); err != nil {
		t.Fatalf("VerifyCheckpoint(size %d): %v", n+1, err)
	}
	if _, err := c.VerifyCheckpoint(ctx, cp.Note); err != nil {
		t.Fatalf("VerifyCheckpoint(older, size %d): %v", n, err)
	}
	if latest, _ := c.Latest(); latest.Size != n+1 {
		t.Fatalf("Latest().Size = %d after seeing sizes %d then %d, want %d", latest.Size, n+1, n, n+1)
	}
	r5, _ := bulletin.ParseRecord(want[5])
	if err := c.VerifyInclusion(ctx, r5, cp); err != nil {
		t.Fatalf("VerifyInclusion(5): %v", err)
	}

	// A client notices answers to another question than it asked.
	b.setTamper("/records/3", func(r *http.Request, status int, body []byte) (int, []byte) {
		return status, append(bytes.Clone(want[4]), '\n')
	})
	if _, err := c.Record(ctx, 3); err == nil {
		t.Fatal("Record(3) accepted record 4")
	}
	b.setTamper("/records", func(r *http.Request, status int, body []byte) (int, []byte) {
		return status, fmt.Appendf(nil, "%s\n%s\n", want[2], want[1])
	})
	if _, err := c.Records(ctx, 1, 3); err == nil {
		t.Fatal("Records(1, 3) accepted records out of order")
	}
	b.setTamper("/proof/inclusion", func(r *http.Request, status int, body []byte) (int, []byte) {
		return b.serveJSON(bulletin.InclusionProofResponse{Index: 4, Size: n, Proof: mustInclusion(t, b.log, 4, n)})
	})
	if _, err := c.InclusionProof(ctx, 5, n); err == nil {
		t.Fatal("InclusionProof(5) accepted the proof for 4")
	}
}

func mustInclusion(t *testing.T, l *bulletin.Log, i, n int64) tlog.RecordProof {
	p, err := l.InclusionProof(i, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (b *board) serveJSON(v any) (int, []byte) {
	return http.StatusOK, marshalJSON(b.t, v)
}

// marshalJSON encodes v like the server does: records inside stay verbatim.
func marshalJSON(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Error(err)
	}
	return buf.Bytes()
}

// receiptSize returns the tree size of the checkpoint in a receipt.
func receiptSize(t testing.TB, r *bulletin.Receipt) int64 {
	cp, err := bulletin.ParseCheckpoint(checkpointText(r.Checkpoint))
	if err != nil {
		t.Error(err)
	}
	return cp.Size
}

func TestCheckpointOtherKey(t *testing.T) {
	b := newBoard(t)
	c := b.client(t)
	ctx := t.Context()
	b.appendN(0, 3)
	if _, err := c.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	b.appendN(3, 2)
	root, _ := b.log.TreeHash(5)
	// Same name, other key: note.Open rejects it with the key hash mismatch.
	otherSigner, _ := boardKey(t, "another board")
	forged := signed(t, otherSigner, 5, root)
	b.setTamper("/checkpoint", func(*http.Request, int, []byte) (int, []byte) { return http.StatusOK, forged })
	_, err := c.Checkpoint(ctx)
	var inc *client.ErrInconsistency
	if err == nil || errors.As(err, &inc) {
		t.Fatalf("Checkpoint signed by another key = %v, want a signature error", err)
	}
	if latest, _ := c.Latest(); latest.Size != 3 {
		t.Fatalf("after a forged checkpoint, Latest().Size = %d, want 3", latest.Size)
	}
	if _, err := c.VerifyCheckpoint(ctx, forged); err == nil {
		t.Fatal("VerifyCheckpoint accepted a checkpoint signed by another key")
	}
	// The genuine one is still accepted.
	b.setTamper("", nil)
	if cp, err := c.Checkpoint(ctx); err != nil || cp.Size != 5 {
		t.Fatalf("genuine Checkpoint = %v, %v", cp.Checkpoint, err)
	}
}

// TestInconsistency makes the board show two histories, signed with its own
// key, and expects *client.ErrInconsistency carrying both signed checkpoints.
func TestInconsistency(t *testing.T) {
	for _, tt := range []struct {
		name      string
		oldSize   int64                        // size of the checkpoint the client sees first
		tamper    func(t *testing.T, b *board) // makes the board show the second history
		newSize   int64
		wantProof bool // the failure is a bad consistency proof
	}{
		{
			name: "same size, other root", oldSize: 6, newSize: 6,
			tamper: func(t *testing.T, b *board) {
				forged := signed(t, b.signer, 6, sha256.Sum256([]byte("other history")))
				b.setTamper("/checkpoint", func(*http.Request, int, []byte) (int, []byte) { return http.StatusOK, forged })
			},
		},
		{
			name: "bad consistency proof", oldSize: 3, newSize: 6, wantProof: true,
			tamper: func(t *testing.T, b *board) {
				b.setTamper("/proof/consistency", func(r *http.Request, status int, body []byte) (int, []byte) {
					var p bulletin.ConsistencyProofResponse
					if err := json.Unmarshal(body, &p); err != nil || len(p.Proof) == 0 {
						t.Errorf("consistency proof %s: %v", body, err)
					}
					p.Proof[0][0] ^= 1
					return b.serveJSON(p)
				})
			},
		},
		{
			name: "larger tree, other root", oldSize: 3, newSize: 6, wantProof: true,
			tamper: func(t *testing.T, b *board) {
				// A genuine proof of the real tree, for a signed root that is not its root.
				forged := signed(t, b.signer, 6, sha256.Sum256([]byte("other history")))
				b.setTamper("/checkpoint", func(*http.Request, int, []byte) (int, []byte) { return http.StatusOK, forged })
			},
		},
		{
			name: "signed size it cannot prove", oldSize: 3, newSize: 9,
			tamper: func(t *testing.T, b *board) {
				forged := signed(t, b.signer, 9, sha256.Sum256([]byte("other history")))
				b.setTamper("/checkpoint", func(*http.Request, int, []byte) (int, []byte) { return http.StatusOK, forged })
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBoard(t)
			c := b.client(t)
			ctx := t.Context()
			b.appendN(0, int(tt.oldSize))
			old, err := c.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b.appendN(int(tt.oldSize), 6-int(tt.oldSize))
			tt.tamper(t, b)
			_, err = c.Checkpoint(ctx)
			var inc *client.ErrInconsistency
			if !errors.As(err, &inc) {
				t.Fatalf("Checkpoint = %v, want *ErrInconsistency", err)
			}
			if inc.Old.Size != tt.oldSize || inc.New.Size != tt.newSize ||
				!bytes.Equal(inc.Old.Note, old.Note) || inc.Err == nil {
				t.Fatalf("ErrInconsistency{Old: %d, New: %d, Err: %v}, want sizes %d, %d and the first checkpoint as Old",
					inc.Old.Size, inc.New.Size, inc.Err, tt.oldSize, tt.newSize)
			}
			if tt.wantProof != errors.Is(err, bulletin.ErrInvalidProof) {
				t.Fatalf("errors.Is(%v, ErrInvalidProof) = %v, want %v", err, !tt.wantProof, tt.wantProof)
			}
			// Both checkpoints are signed by the board: they are evidence for anyone.
			for _, sc := range []bulletin.SignedCheckpoint{inc.Old, inc.New} {
				size, root, err := bulletin.VerifyCheckpoint(b.vkey, sc.Note)
				if err != nil || size != sc.Size || root != sc.Hash {
					t.Fatalf("evidence checkpoint %d: %d, %x, %v", sc.Size, size, root, err)
				}
			}
			if inc.Old.Hash == inc.New.Hash && inc.Old.Size == inc.New.Size {
				t.Fatal("evidence checkpoints are identical")
			}
			if latest, _ := c.Latest(); !bytes.Equal(latest.Note, old.Note) {
				t.Fatalf("Latest after an inconsistency is the checkpoint of size %d, want the old one", latest.Size)
			}
		})
	}

	// A proof the board merely fails to serve (an outage) is not evidence.
	b := newBoard(t)
	c := b.client(t)
	b.appendN(0, 2)
	if _, err := c.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	b.appendN(2, 2)
	b.setTamper("/proof/consistency", func(*http.Request, int, []byte) (int, []byte) {
		return http.StatusInternalServerError, []byte(`{"error":"disk on fire","code":"internal"}`)
	})
	_, err := c.Checkpoint(t.Context())
	var inc *client.ErrInconsistency
	var he *client.HTTPError
	if err == nil || errors.As(err, &inc) || !errors.As(err, &he) || he.Status != 500 {
		t.Fatalf("Checkpoint with the proof endpoint down = %v, want an HTTP 500 error, not ErrInconsistency", err)
	}
}

// TestPostTampered has the board answer a POST with something else than the
// record posted and a valid receipt for it.
func TestPostTampered(t *testing.T) {
	b := newBoard(t)
	c := b.client(t)
	ctx := t.Context()
	b.appendN(0, 4)
	rec2, _ := b.log.Record(ctx, 2)
	enc2, _ := rec2.MarshalJSON()
	otherSigner, _ := boardKey(t, "another board")

	for i, tt := range []struct {
		name   string
		want   string // in the error: which check refused the response
		modify func(ar *bulletin.AppendResponse, rec *bulletin.Record, receipt *bulletin.Receipt)
	}{
		{"untouched", "", nil},
		{"another record", "is not the submission posted", func(ar *bulletin.AppendResponse, rec *bulletin.Record, receipt *bulletin.Receipt) {
			ar.Record = enc2
			rr, _ := bulletin.ParseReceipt([]byte(ar.Receipt))
			rr.Index, rr.LeafHash = 2, rec2.LeafHash()
			rr.Proof = mustInclusion(t, b.log, 2, receiptSize(t, rr))
			ar.Receipt = string(rr.Marshal())
		}},
		{"other payload", "is not the submission posted", func(ar *bulletin.AppendResponse, rec *bulletin.Record, receipt *bulletin.Receipt) {
			rec.Payload = []byte(`{"n":-1}`)
			ar.Record, _ = rec.MarshalJSON()
		}},
		{"receipt for another record", "receipt is for another record", func(ar *bulletin.AppendResponse, rec *bulletin.Record, receipt *bulletin.Receipt) {
			receipt.Index, receipt.LeafHash = 2, rec2.LeafHash()
			receipt.Proof = mustInclusion(t, b.log, 2, receiptSize(t, receipt))
			ar.Receipt = string(receipt.Marshal())
		}},
		{"bad inclusion proof", "invalid proof", func(ar *bulletin.AppendResponse, rec *bulletin.Record, receipt *bulletin.Receipt) {
			receipt.Proof[0][3] ^= 0x40
			ar.Receipt = string(receipt.Marshal())
		}},
		{"receipt signed by another key", "no verifiable signatures", func(ar *bulletin.AppendResponse, rec *bulletin.Record, receipt *bulletin.Receipt) {
			cp, err := bulletin.ParseCheckpoint(checkpointText(receipt.Checkpoint))
			if err != nil {
				t.Error(err)
			}
			receipt.Checkpoint = signed(t, otherSigner, cp.Size, cp.Hash)
			ar.Receipt = string(receipt.Marshal())
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.setTamper("/records", func(r *http.Request, status int, body []byte) (int, []byte) {
				if r.Method != http.MethodPost || tt.modify == nil {
					return status, body
				}
				var ar bulletin.AppendResponse
				if err := json.Unmarshal(body, &ar); err != nil {
					t.Errorf("POST response %s: %v", body, err)
					return status, body
				}
				rec, err1 := bulletin.ParseRecord(ar.Record)
				receipt, err2 := bulletin.ParseReceipt([]byte(ar.Receipt))
				if err1 != nil || err2 != nil {
					t.Errorf("POST response %s: %v, %v", body, err1, err2)
					return status, body
				}
				tt.modify(&ar, rec, receipt)
				return status, marshalJSON(t, ar)
			})
			defer b.setTamper("", nil)
			s := sub(100 + i)
			rec, receipt, err := c.Post(ctx, s)
			if tt.modify == nil {
				if err != nil || !bytes.Equal(rec.Payload, s.Payload) {
					t.Fatalf("Post through the untouched proxy = %v", err)
				}
				if _, err := receipt.Verify(b.vkey); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Post accepted a tampered response: record %d, receipt for %d", rec.Index, receipt.Index)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Post = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

// checkpointText returns the text of a signed note, without the signatures.
func checkpointText(signed []byte) []byte {
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	return append(text, '\n')
}

func TestRejections(t *testing.T) {
	b := newBoard(t)
	c := b.client(t)
	ctx := t.Context()
	if _, _, err := c.Post(ctx, sub(0)); err != nil {
		t.Fatal(err)
	}
	badSig := sub(1)
	badSig.Sig = bytes.Clone(badSig.Sig)
	badSig.Sig[0] ^= 1
	shortKey := sub(2)
	shortKey.Author = shortKey.Author[:31]
	badType := bulletin.Sign(author("voter"), "Ballot", []byte(`{}`))
	spaced := bulletin.Sign(author("voter"), "ballot", []byte(`{"a": 1}`))
	huge := bulletin.Sign(author("voter"), "ballot", fmt.Appendf(nil, `{"pad":%q}`, strings.Repeat("x", bulletin.DefaultMaxPayload)))

	for _, tt := range []struct {
		name   string
		sub    *bulletin.Submission
		status int
		code   string
	}{
		{"duplicate", sub(0), 409, bulletin.CodeDuplicate},
		{"bad signature", badSig, 400, bulletin.CodeBadSignature},
		{"short author", shortKey, 400, bulletin.CodeMalformed},
		{"bad type", badType, 400, bulletin.CodeMalformed},
		{"non-compact payload", spaced, 400, bulletin.CodeMalformed},
		{"too large", huge, 413, bulletin.CodeTooLarge},
	} {
		_, _, err := c.Post(ctx, tt.sub)
		var re *bulletin.RejectError
		if !errors.As(err, &re) || re.Code != tt.code || re.Reason == "" {
			t.Errorf("%s: Post = %v, want a *bulletin.RejectError with code %q", tt.name, err, tt.code)
		}
		var he *client.HTTPError
		if !errors.As(err, &he) || he.Status != tt.status || he.Code != tt.code {
			t.Errorf("%s: Post = %v, want HTTP %d", tt.name, err, tt.status)
		}
	}
	if size := b.log.Size(); size != 1 {
		t.Fatalf("after rejections the log has %d records, want 1", size)
	}

	// Errors that are not rejections of a submission do not unwrap to one.
	for _, tt := range []struct {
		name   string
		call   func() error
		status int
	}{
		{"not found", func() error { _, err := c.Record(ctx, 7); return err }, 404},
		{"bad request", func() error { _, err := c.Record(ctx, -1); return err }, 400},
		{"no proof", func() error { _, err := c.InclusionProof(ctx, 0, 5); return err }, 404},
	} {
		err := tt.call()
		var re *bulletin.RejectError
		var he *client.HTTPError
		if !errors.As(err, &he) || he.Status != tt.status || errors.As(err, &re) {
			t.Errorf("%s: error %v, want HTTP %d and no RejectError", tt.name, err, tt.status)
		}
	}
}

func TestFollow(t *testing.T) {
	b := newBoard(t)
	c := b.client(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b.appendN(0, 10)
	const from, total = 4, 25

	var got []*bulletin.Record
	var cps []int64
	posted := false
	var posters sync.WaitGroup
	defer posters.Wait()
	err := c.Follow(ctx, from, func(ev client.Event) error {
		switch {
		case ev.Record != nil:
			got = append(got, ev.Record)
			if !posted {
				// Live records arrive after the stored ones.
				posted = true
				posters.Add(1)
				go func() {
					defer posters.Done()
					for i := 10; i < total; i++ {
						if _, _, err := b.log.Append(ctx, sub(i)); err != nil {
							t.Errorf("Append(%d): %v", i, err)
						}
					}
				}()
			}
		case ev.Checkpoint != nil:
			if ev.Checkpoint.Size != from+int64(len(got)) {
				return fmt.Errorf("checkpoint of size %d after %d records", ev.Checkpoint.Size, len(got))
			}
			cps = append(cps, ev.Checkpoint.Size)
			if ev.Checkpoint.Size == total {
				return errDone
			}
		default:
			return errors.New("empty event")
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("Follow = %v", err)
	}
	if len(got) != total-from {
		t.Fatalf("Follow delivered %d records, want %d", len(got), total-from)
	}
	for j, r := range got {
		want, _ := b.log.Record(ctx, from+int64(j))
		if r.Index != uint64(from+j) || r.LeafHash() != want.LeafHash() {
			t.Fatalf("Follow record %d has index %d, want %d (the board's record)", j, r.Index, from+j)
		}
	}
	if latest, _ := c.Latest(); latest.Size != total {
		t.Fatalf("Latest after Follow has size %d, want %d", latest.Size, total)
	}
	t.Logf("checkpoints received: %v", cps)

	// Following from the end of the log waits for new records; ctx ends it.
	ctx2, cancel2 := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel2()
	if err := c.Follow(ctx2, total, func(ev client.Event) error {
		if ev.Record != nil {
			return fmt.Errorf("record %d past the end of the log", ev.Record.Index)
		}
		return nil
	}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Follow from the end = %v, want context.DeadlineExceeded", err)
	}
}

var errDone = errors.New("done")

// TestFollowTampered serves a feed whose records are out of order, repeated
// or off the hash chain, and expects Follow to stop before passing them on.
func TestFollowTampered(t *testing.T) {
	b := newBoard(t)
	b.appendN(0, 6)
	recs, err := b.log.Records(t.Context(), 0, 6)
	if err != nil {
		t.Fatal(err)
	}
	other := newBoard(t)
	other.appendN(100, 6)
	otherRecs, _ := other.log.Records(t.Context(), 0, 6)
	// Record 3 renumbered 9: on the hash chain, but at the wrong index.
	r3, _ := bulletin.ParseRecord(recs[3])
	r3.Index = 9
	renumbered, _ := r3.MarshalJSON()
	for _, tt := range []struct {
		name  string
		order [][]byte // records sent, in order, from index 1
		good  int      // records Follow passes on before the bad one
	}{
		{"skipped", [][]byte{recs[1], recs[2], recs[4]}, 2},
		{"repeated", [][]byte{recs[1], recs[2], recs[2]}, 2},
		{"other history", [][]byte{recs[1], otherRecs[2]}, 1},
		{"wrong index", [][]byte{recs[1], recs[2], renumbered}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.mu.Lock()
			b.feed = func(w http.ResponseWriter, r *http.Request) {
				conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
				if err != nil {
					return
				}
				defer conn.Close()
				for _, rec := range tt.order {
					if conn.WriteMessage(websocket.TextMessage, marshalJSON(t, bulletin.FeedMessage{Type: bulletin.FeedRecord, Record: rec})) != nil {
						return
					}
				}
				conn.ReadMessage() // until the client leaves
			}
			b.mu.Unlock()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var got []uint64
			err := b.client(t).Follow(ctx, 1, func(ev client.Event) error {
				if ev.Record != nil {
					got = append(got, ev.Record.Index)
				}
				return nil
			})
			if err == nil || errors.Is(err, context.DeadlineExceeded) || len(got) != tt.good {
				t.Fatalf("Follow = %v after records %v, want an error after %d records", err, got, tt.good)
			}
		})
	}
}
