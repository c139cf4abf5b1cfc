package witness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
)

// fixedLog is a log whose checkpoint never changes.
type fixedLog struct{ cp *bulletin.SignedCheckpoint }

func (l fixedLog) Checkpoint() *bulletin.SignedCheckpoint { return l.cp }
func (l fixedLog) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	return nil, nil
}
func (l fixedLog) Changed() <-chan struct{} { return nil }

// cosigningWitness answers add-checkpoint with its cosignature of the
// checkpoint, or 503 if it is down.
func cosigningWitness(t *testing.T, name string, down bool) Witness {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		_, signed, _ := bytes.Cut(body, []byte("\n\n"))
		text := signed[:bytes.Index(signed, []byte("\n\n"))+1]
		n, err := note.Sign(&note.Note{Text: string(text)}, s)
		if err != nil {
			t.Error(err)
		}
		w.Write(n[len(text)+1:])
	}))
	t.Cleanup(srv.Close)
	return Witness{URL: srv.URL, Verifier: s.Verifier()}
}

// TestQuorums: with several groups (an election's witnesses and its
// board's operators), a checkpoint is served only once every group has its
// own quorum; cosigners of one group do not count for another.
func TestQuorums(t *testing.T) {
	skey, _, err := note.GenerateKey(rand.Reader, "board.example")
	if err != nil {
		t.Fatal(err)
	}
	board, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	c := bulletin.Checkpoint{Origin: "board.example", Size: 3, Hash: [32]byte{7}}
	signed, err := bulletin.SignCheckpoint(c, board)
	if err != nil {
		t.Fatal(err)
	}
	log := fixedLog{&bulletin.SignedCheckpoint{Checkpoint: c, Note: signed}}
	for _, tt := range []struct {
		what   string
		down   []string // witnesses that answer 503
		served bool
	}{
		{"every cosigner up", nil, true},
		{"one witness and two operators", []string{"w1", "op3"}, true},
		{"no witness", []string{"w1", "w2"}, false},
		{"one operator", []string{"op1", "op2"}, false},
	} {
		t.Run(tt.what, func(t *testing.T) {
			var ws []Witness
			for _, name := range []string{"w1", "w2", "op1", "op2", "op3"} {
				ws = append(ws, cosigningWitness(t, name, slices.Contains(tt.down, name)))
			}
			col := New(log, ws, Options{Quorums: []Quorum{{Names: []string{"w1", "w2"}, N: 1}, {Names: []string{"op1", "op2", "op3"}, N: 2}},
				MaxBackoff: 50 * time.Millisecond})
			go col.Run(t.Context())
			if !tt.served {
				// Once every cosigner that is up has answered, no quorum
				// can come.
				waitAnswered(t, col, 5-len(tt.down))
				if got := col.Checkpoint(); got != nil {
					t.Fatalf("served a checkpoint without every quorum:\n%s", got.Note)
				}
				return
			}
			// Served, with the cosignature of every cosigner that is up.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				got, missing := col.Checkpoint(), ""
				for _, w := range ws {
					name := w.Verifier.Name()
					if !slices.Contains(tt.down, name) && (got == nil || !strings.Contains(string(got.Note), "— "+name+" ")) {
						missing = name
					}
				}
				if missing == "" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no checkpoint served with %s's cosignature (status %+v)", missing, col.Status())
				}
			}
		})
	}
}

// waitAnswered waits until n witnesses have cosigned.
func waitAnswered(t *testing.T, col *Collector, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ok := 0
		for _, s := range col.Status() {
			if s.Cosigned > 0 {
				ok++
			}
		}
		if ok >= n {
			return
		}
	}
	t.Fatalf("fewer than %d witnesses cosigned: %+v", n, col.Status())
}
