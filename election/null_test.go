package election_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/internal/strictjson"
)

// httpBoard is a board served over real HTTP by the bulletin server, with
// a handler that counts panics instead of letting net/http swallow them.
type httpBoard struct {
	*board
	url    string
	panics atomic.Int32
}

func serveBoard(t *testing.T, b *board) *httpBoard {
	t.Helper()
	srv := server.New(server.Config{Log: b.log})
	h := srv.Handler()
	hb := &httpBoard{board: b}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				hb.panics.Add(1)
				http.Error(w, "panic", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close)
	hb.url = ts.URL
	return hb
}

// post sends sub to POST /records and returns the status and body.
func (hb *httpBoard) post(t *testing.T, sub *bulletin.Submission) (int, []byte) {
	t.Helper()
	body, err := sub.MarshalJSON()
	must(t, err)
	resp, err := http.Post(hb.url+"/records", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /records: %v (did the server panic?)", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, out
}

// accept posts the canonical payload of v over HTTP and fails unless the
// board takes it in.
func (hb *httpBoard) accept(t *testing.T, s election.Signer, typ string, v any) {
	t.Helper()
	sub, err := election.NewSubmission(s, typ, v)
	must(t, err)
	if status, body := hb.post(t, sub); status != http.StatusCreated {
		t.Fatalf("valid %s: POST /records = %d %s, want 201", typ, status, body)
	}
}

// signRaw signs payload as a record of type typ by s.
func signRaw(s election.Signer, typ string, payload []byte) *bulletin.Submission {
	return &bulletin.Submission{Type: typ, Payload: payload, Author: s.PublicKey(), Sig: s.Sign(bulletin.SigningMessage(typ, payload))}
}

// nullVariants returns, for each member of the compact JSON object
// payload, payload with that member's value replaced by null, everything
// else (member order included) unchanged.
func nullVariants(tb testing.TB, payload []byte) map[string][]byte {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		tb.Fatalf("payload %.80s is not a JSON object", payload)
	}
	out := make(map[string][]byte)
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			tb.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			tb.Fatal(err)
		}
		end := int(dec.InputOffset())
		start := end - len(v) // the payload is compact: v is its bytes
		variant := append(append(bytes.Clone(payload[:start]), "null"...), payload[end:]...)
		out[key.(string)] = variant
	}
	return out
}

// wantNullsRefused posts, for each member of v's canonical payload, the
// payload with that member set to null, properly signed by s, and checks
// that the board refuses it as malformed, over HTTP and straight through
// its log (past the HTTP layer, to the election rules), that the election
// package's decoder refuses it, and that the board does not grow. It
// returns the members it tried. what names the record in subtest names.
func wantNullsRefused(t *testing.T, hb *httpBoard, what string, s election.Signer, typ string, v any) []string {
	t.Helper()
	valid, err := election.NewSubmission(s, typ, v)
	must(t, err)
	if _, err := election.Decode(typ, valid.Payload); err != nil {
		t.Fatalf("the valid %s payload does not decode: %v", typ, err)
	}
	variants := nullVariants(t, valid.Payload)
	fields := slices.Sorted(func(yield func(string) bool) {
		for k := range variants {
			if !yield(k) {
				return
			}
		}
	})
	for _, field := range fields {
		payload := variants[field]
		t.Run(what+"/"+field, func(t *testing.T) {
			if _, err := election.Decode(typ, payload); !errors.Is(err, election.ErrMalformed) || !errors.Is(err, strictjson.ErrNull) {
				t.Errorf("Decode(%s, %s) = %v, want ErrMalformed and strictjson.ErrNull", typ, payload, err)
			}
			// The board refuses a null in any payload before the election
			// rules see it (docs/spec/bulletin.md §1); the rules' own decoder
			// refuses it too (above), for records read from elsewhere.
			sub := signRaw(s, typ, payload)
			var rej *bulletin.RejectError
			if err := sub.Check(bulletin.DefaultMaxPayload); !errors.As(err, &rej) || rej.Code != bulletin.CodeMalformed || !strings.Contains(rej.Reason, "null") {
				t.Fatalf("the generic check of a payload with a null = %v, want malformed naming the null", err)
			}
			size := hb.log.Size()
			status, body := hb.post(t, sub)
			var resp bulletin.ErrorResponse
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatalf("POST %s with %q null: body %q is not a JSON error: %v", typ, field, body, err)
			}
			if status != http.StatusBadRequest || resp.Code != bulletin.CodeMalformed || !strings.Contains(resp.Error, "null") {
				t.Errorf("POST %s with %q null = %d %s, want 400 malformed naming the null", typ, field, status, body)
			}
			if got := hb.log.Size(); got != size {
				t.Errorf("POST %s with %q null: the board grew from %d to %d records", typ, field, size, got)
			}
			wantReject(t, hb.board, typ+" with "+field+" null, past HTTP", sub, bulletin.CodeMalformed)
		})
	}
	return fields
}

// TestNullFieldsRefused posts, over HTTP to a board running the election
// rules, every record type that package election decodes with its strict
// JSON decoder, each with one member null at a time, in a phase where the
// valid record is accepted, which the test then posts.
func TestNullFieldsRefused(t *testing.T) {
	ctx := context.Background()
	const voters = 3
	b := newBoard(t)
	hb := serveBoard(t, b)
	e := newElection(t, b, voters)
	must(t, e.Ceremony(ctx))
	st := b.tracker.State()

	client := st.ClientHashRecord("voter.wasm", sha256.Sum256([]byte("a client build")))
	wantNullsRefused(t, hb, "client hash", e.Official, election.TypeClientHash, client)
	hb.accept(t, e.Official, election.TypeClientHash, client)
	// Published once: posted again (after a lost answer, or replayed by
	// anyone), the same build is a duplicate; another build is published.
	hb.refuse(t, "the same client build again", e.Official, election.TypeClientHash, client, 409, bulletin.CodeDuplicate)
	hb.accept(t, e.Official, election.TypeClientHash, st.ClientHashRecord("voter.wasm", sha256.Sum256([]byte("the next client build"))))

	open := st.PhaseRecord(election.PhaseOpen)
	wantNullsRefused(t, hb, "opening", e.Official, election.TypePhase, open)
	hb.accept(t, e.Official, election.TypePhase, open)
	for v := range voters {
		_, _, err := e.Cast(ctx, v, e.RandomChoices())
		must(t, err)
	}
	closing := st.PhaseRecord(election.PhaseClosed)
	wantNullsRefused(t, hb, "closing", e.Official, election.TypePhase, closing)
	hb.accept(t, e.Official, election.TypePhase, closing)
	if st.Phase() != election.Closed {
		t.Fatalf("phase = %v, want closed", st.Phase())
	}

	for i := 1; i <= e.Manifest.Threshold; i++ {
		p, err := participant.PartialDecryption(st, e.Shares[i-1])
		must(t, err)
		signer := election.TrusteeSigner{Keys: e.Trustees[i-1]}
		if fields := wantNullsRefused(t, hb, fmt.Sprintf("partial decryption %d", i), signer, election.TypePartial, p); !slices.Contains(fields, "partial") {
			t.Fatalf("a partial decryption has no member \"partial\": %v", fields)
		}
		hb.accept(t, signer, election.TypePartial, p)
	}
	r, err := participant.ComputeResult(st)
	must(t, err)
	if fields := wantNullsRefused(t, hb, "result", e.Official, election.TypeResult, r); !slices.Contains(fields, "tally") {
		t.Fatalf("a result has no member \"tally\": %v", fields)
	}
	hb.accept(t, e.Official, election.TypeResult, r)
	if st.Phase() != election.Tallied {
		t.Errorf("phase = %v, want tallied", st.Phase())
	}

	if n := hb.panics.Load(); n != 0 {
		t.Errorf("the board's handlers panicked %d times", n)
	}
	resp, err := http.Get(hb.url + "/checkpoint")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /checkpoint = %d after the null records, want 200", resp.StatusCode)
	}
}
