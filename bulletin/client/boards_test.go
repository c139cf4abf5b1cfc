package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/internal/networktest"
)

// failovers records the operators a Boards fell over from.
type failovers []string

func (f *failovers) note(from, _ *client.Client, _ error) { *f = append(*f, from.URL()) }

// submittedTo submits sub(1) through boards and checks that the answer is
// the receipt of on, its only record.
func submittedTo(t *testing.T, boards *client.Boards, on *board) {
	t.Helper()
	p, err := boards.Submit(t.Context(), sub(1), 0)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if _, err := p.Receipt.Verify(on.vkey); err != nil || on.log.Size() != 1 {
		t.Fatalf("the receipt of the operator that should have taken the post (%v); it holds %d records", err, on.log.Size())
	}
}

func newBoards(t *testing.T, f *failovers, attempt time.Duration, clients ...*client.Client) *client.Boards {
	t.Helper()
	b, err := client.NewBoards(clients, client.BoardsOptions{Attempt: attempt, OnFailover: f.note})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBoardsFailover: a post falls over to the next operator when the
// first gives no verified acknowledgement, and not when the first
// refuses by the rules, which every operator would; the receipt is
// always the answering operator's, verified.
func TestBoardsFailover(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // connection refused
	// hang reads a post and never answers, as an operator that drops it.
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	dead := func(url string) *client.Client {
		_, vkey := boardKey(t, "client test board")
		c, err := client.New(url, vkey, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name   string
		first  func(t *testing.T) *client.Client
		fellTo bool // the post reached the second operator
	}{
		{"connection refused", func(*testing.T) *client.Client { return dead(down.URL) }, true},
		{"no answer in time", func(*testing.T) *client.Client { return dead(hang.URL) }, true},
		{"5xx", func(t *testing.T) *client.Client {
			b := newBoard(t)
			b.setTamper("/records", func(r *http.Request, status int, body []byte) (int, []byte) {
				return http.StatusServiceUnavailable, []byte(`{"error":"down","code":"unavailable"}`)
			})
			return b.client(t)
		}, true},
		{"429", func(t *testing.T) *client.Client {
			b := newBoard(t)
			b.setTamper("/records", func(*http.Request, int, []byte) (int, []byte) {
				return http.StatusTooManyRequests, []byte(`{"error":"busy","code":"rate-limited"}`)
			})
			return b.client(t)
		}, true},
		{"receipt that does not verify", func(t *testing.T) *client.Client {
			b := newBoard(t)
			b.setTamper("/records", func(_ *http.Request, status int, body []byte) (int, []byte) {
				if status != http.StatusCreated {
					return status, body
				}
				var ar map[string]json.RawMessage
				var receipt string
				if json.Unmarshal(body, &ar) != nil || json.Unmarshal(ar["receipt"], &receipt) != nil {
					t.Fatalf("the board's answer %q", body)
				}
				// A character of the checkpoint's signature, at the end.
				c := []byte(receipt)
				if i := len(c) - 10; c[i] == 'A' {
					c[i] = 'B'
				} else {
					c[i] = 'A'
				}
				ar["receipt"], _ = json.Marshal(string(c))
				body, _ = json.Marshal(ar)
				return status, body
			})
			return b.client(t)
		}, true},
		{"refusal by the rules", func(t *testing.T) *client.Client {
			b := newBoard(t)
			b.setTamper("/records", func(*http.Request, int, []byte) (int, []byte) {
				return http.StatusUnprocessableEntity, []byte(`{"error":"voting is closed","code":"wrong-phase"}`)
			})
			return b.client(t)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			second := newBoard(t)
			first := tt.first(t)
			var f failovers
			boards := newBoards(t, &f, 2*time.Second, first, second.client(t))
			p, err := boards.Submit(t.Context(), sub(1), 0)
			if !tt.fellTo {
				var rej *bulletin.RejectError
				if !errors.As(err, &rej) || rej.Code != "wrong-phase" || len(f) != 0 || second.log.Size() != 0 {
					t.Fatalf("Submit = %v, %v after failovers %v, want the first operator's refusal and no failover", p, err, f)
				}
				return
			}
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if len(f) != 1 || f[0] != first.URL() {
				t.Fatalf("fell over from %v, want from %s only", f, first.URL())
			}
			if _, err := p.Receipt.Verify(second.vkey); err != nil || p.Record.Index != 0 || second.log.Size() != 1 {
				t.Fatalf("the second operator's record %d and receipt (%v); it holds %d records", p.Record.Index, err, second.log.Size())
			}
		})
	}
}

// TestBoardsResubmit: a submission the board already holds, posted again
// (its first answer lost), gets the receipt of its record; a board that
// claims to hold it as a record that is another submission gets no
// receipt out of the client, which reports the duplicate refusal.
func TestBoardsResubmit(t *testing.T) {
	b := newBoard(t)
	b.appendN(0, 3)
	var f failovers
	boards := newBoards(t, &f, 0, b.client(t))
	p, err := boards.Submit(t.Context(), sub(1), 0)
	if err != nil || p.Record.Index != 1 || !sub(1).Holds(p.Record) {
		t.Fatalf("Submit of record 1 again = %v, %v; want record 1", p, err)
	}
	if _, err := p.Receipt.Verify(b.vkey); err != nil || b.log.Size() != 3 {
		t.Fatalf("receipt: %v; the board holds %d records, want 3", err, b.log.Size())
	}

	b.setTamper("/records", func(r *http.Request, status int, body []byte) (int, []byte) {
		if r.Method != http.MethodPost {
			return status, body
		}
		return http.StatusConflict, []byte(`{"error":"identical submission is already record 2","code":"duplicate"}`)
	})
	p, err = boards.Submit(t.Context(), sub(7), 0)
	var rej *bulletin.RejectError
	if !errors.As(err, &rej) || rej.Code != bulletin.CodeDuplicate || p != nil {
		t.Fatalf("Submit with a lying duplicate = %v, %v; want the duplicate refusal and no receipt", p, err)
	}
}

// TestBoardsNoOperator: when every operator fails, the error says no
// operator acknowledged the submission and names each one's failure.
func TestBoardsNoOperator(t *testing.T) {
	b1, b2 := newBoard(t), newBoard(t)
	for _, b := range []*board{b1, b2} {
		b.setTamper("/records", func(*http.Request, int, []byte) (int, []byte) {
			return http.StatusInternalServerError, []byte(`{"error":"broken","code":"internal"}`)
		})
	}
	var f failovers
	boards := newBoards(t, &f, 0, b1.client(t), b2.client(t))
	_, err := boards.Submit(t.Context(), sub(1), 1)
	var oe *client.OperatorError
	if !errors.Is(err, client.ErrNoOperator) || !errors.As(err, &oe) || oe.URL != b2.ts.URL || len(f) != 1 || f[0] != b2.ts.URL {
		t.Fatalf("Submit = %v after failovers %v; want ErrNoOperator starting at the second operator", err, f)
	}
}

// TestBoardsAccept: an operator that BoardsOptions.Accept refuses is left
// out of the round, as one that failed, with Accept's reason: the post
// goes to the next operator, and the refused one is never posted to.
func TestBoardsAccept(t *testing.T) {
	b1, b2 := newBoard(t), newBoard(t)
	posted := false
	b1.setTamper("/records", func(_ *http.Request, status int, body []byte) (int, []byte) {
		posted = true
		return status, body
	})
	c1, c2 := b1.client(t), b2.client(t)
	refuse := errors.New("its key is not the one the definition names")
	var f failovers
	boards, err := client.NewBoards([]*client.Client{c1, c2}, client.BoardsOptions{OnFailover: f.note,
		Accept: func(_ context.Context, cl *client.Client) error {
			if cl == c1 {
				return refuse
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := boards.Submit(t.Context(), sub(1), 0)
	if err != nil || posted || len(f) != 1 || f[0] != b1.ts.URL {
		t.Fatalf("Submit = %v, %v (posted to the refused operator: %v, failovers %v); want the second operator's receipt", p, err, posted, f)
	}
	if _, err := p.Receipt.Verify(c2.Key()); err != nil {
		t.Fatalf("the receipt is not the second operator's: %v", err)
	}
	// With every operator refused, the error names Accept's reason.
	only, err := client.NewBoards([]*client.Client{c1}, client.BoardsOptions{Accept: func(context.Context, *client.Client) error { return refuse }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = only.Submit(t.Context(), sub(2), 0)
	if !errors.Is(err, client.ErrNoOperator) || !errors.Is(err, client.ErrNotAccepted) || !errors.Is(err, refuse) || posted {
		t.Fatalf("Submit with the only operator refused = %v, want ErrNoOperator naming the refusal", err)
	}
}

// TestBoardsUnresponsiveOperator: a post to an operator that answers no
// connection falls over to the next once connecting takes DialTimeout,
// not the whole attempt's time, which is for an operator that runs but
// answers late.
func TestBoardsUnresponsiveOperator(t *testing.T) {
	_, vkey := boardKey(t, "client test board")
	first, err := client.New("http://"+networktest.Unresponsive(t), vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := newBoard(t)
	var why error
	boards, err := client.NewBoards([]*client.Client{first, second.client(t)}, client.BoardsOptions{
		Attempt:    client.DefaultAttempt,
		OnFailover: func(_, _ *client.Client, err error) { why = err },
	})
	if err != nil {
		t.Fatal(err)
	}
	submittedTo(t, boards, second)
	var op *net.OpError
	if !errors.As(why, &op) || op.Op != "dial" || !op.Timeout() {
		t.Fatalf("fell over from the unresponsive operator for %v, want a connection that timed out", why)
	}
}

// TestBoardsHedge: a post that an operator took and does not answer (its
// machine or link died during the post, so no error arrives either) goes
// to the next operator as well after the hedge, long before the attempt's
// time is out, and the first acknowledgement counts; the hanging operator
// is given up. An operator that answers within the hedge is the only one
// posted to.
func TestBoardsHedge(t *testing.T) {
	posted := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		posted <- struct{}{}
		<-r.Context().Done() // given up by the client
	}))
	defer hang.Close()
	_, vkey := boardKey(t, "client test board")
	first, err := client.New(hang.URL, vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := newBoard(t)
	var hedged, fellOver failovers
	boards, err := client.NewBoards([]*client.Client{first, second.client(t)}, client.BoardsOptions{
		Attempt:    time.Hour, // never reached: the test would time out
		Hedge:      50 * time.Millisecond,
		OnHedge:    func(from, to *client.Client) { hedged.note(from, to, nil) },
		OnFailover: fellOver.note,
	})
	if err != nil {
		t.Fatal(err)
	}
	submittedTo(t, boards, second)
	if len(hedged) != 1 || hedged[0] != first.URL() || len(fellOver) != 0 {
		t.Fatalf("hedged from %v and fell over from %v, want hedged from %s only", hedged, fellOver, first.URL())
	}
	<-posted // the first operator had the post

	// An operator that answers within the hedge is the only one.
	third := newBoard(t)
	hedged = nil
	boards, err = client.NewBoards([]*client.Client{second.client(t), third.client(t)}, client.BoardsOptions{
		Attempt: time.Hour,
		Hedge:   time.Minute,
		OnHedge: func(from, to *client.Client) { hedged.note(from, to, nil) },
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := boards.Submit(t.Context(), sub(2), 0)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if _, err := p.Receipt.Verify(second.vkey); err != nil || second.log.Size() != 2 || third.log.Size() != 0 || len(hedged) != 0 {
		t.Fatalf("receipt %v; the operators hold %d and %d records; hedged from %v: want only the first posted to", err, second.log.Size(), third.log.Size(), hedged)
	}
}
