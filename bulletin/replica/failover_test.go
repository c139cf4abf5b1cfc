package replica

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/election"
)

// TestByzantineDropper: one operator drops every ballot posted to it
// (Config.Drop): it takes the post and never orders it. Another operator
// loses its answer to every ballot posted to it, after the ballot's block
// committed (a 502 from a failing front end). The clients post over HTTP
// to each operator in turn through client.Boards, which falls over to the
// next operator: from the dropper once no answer came in time, from the
// lossy one at once, where the next operator refuses the ballot as a
// duplicate of its record and the client turns that into a verified
// receipt. The election completes; every ballot is on the board once;
// the dropper holds the same log as the others.
func TestByzantineDropper(t *testing.T) {
	skipUnderRace(t)
	const dropper, lossy = 0, 1
	var dropped, lost atomic.Int64
	en := newElectionNetwork(t, func(op int, c *Config) {
		if op == dropper {
			c.Drop = func(sub *bulletin.Submission) bool {
				if sub.Type != election.TypeBallot {
					return false
				}
				dropped.Add(1)
				return true
			}
		}
	})
	clients := make([]*client.Client, len(en.homes))
	for op := range clients {
		srv := server.New(server.Config{Log: en.node(op).Log})
		t.Cleanup(srv.Close)
		h := srv.Handler()
		if op == lossy {
			h = loseBallotAnswers(h, &lost)
		}
		hs := httptest.NewServer(h)
		t.Cleanup(hs.Close)
		var err error
		if clients[op], err = client.New(hs.URL, en.vkeys[op], nil); err != nil {
			t.Fatal(err)
		}
	}
	var failovers [4]atomic.Int64
	boards, err := client.NewBoards(clients, client.BoardsOptions{
		// Long enough for a block on a slow machine; the dropper's posts
		// wait this long each.
		Attempt: 5 * time.Second,
		OnFailover: func(from, _ *client.Client, _ error) {
			for op, cl := range clients {
				if cl == from {
					failovers[op].Add(1)
				}
			}
		},
	})
	must(t, err)
	en.send = func(ctx context.Context, op int, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
		p, err := boards.Submit(ctx, sub, op)
		if err != nil {
			return nil, nil, err
		}
		return p.Record, p.Receipt, nil
	}
	const voters = 16
	en.runElection(electionPlan{voters: voters})
	exp := en.checkRecord()

	if dropped.Load() == 0 || lost.Load() == 0 {
		t.Fatalf("the dropper dropped %d ballots and the lossy operator lost %d answers: the test posted none to them", dropped.Load(), lost.Load())
	}
	if got := failovers[dropper].Load(); got != dropped.Load() {
		t.Errorf("posts fell over from the dropper %d times, it dropped %d ballots", got, dropped.Load())
	}
	if got := failovers[lossy].Load(); got != lost.Load() {
		t.Errorf("posts fell over from the lossy operator %d times, it lost %d answers", got, lost.Load())
	}
	// Each ballot is on the board once: voters ballots, no duplicate of
	// the ones posted twice.
	ballots := bytes.Count(exp, []byte(`"type":"`+election.TypeBallot+`"`))
	if ballots != voters {
		t.Fatalf("the board holds %d ballots, %d were cast", ballots, voters)
	}
	for op := range clients {
		if got := en.node(op).Log.Size(); got != en.size {
			t.Fatalf("operator %d holds %d records, want %d", op+1, got, en.size)
		}
	}
	t.Logf("%d records; the dropper dropped %d ballots, the lossy operator lost %d answers", en.size, dropped.Load(), lost.Load())
}

// loseBallotAnswers serves h, but answers every ballot that h took
// (201 Created) with 502 Bad Gateway, as a front end that fails after
// forwarding the post: the ballot is on the board, its poster does not
// know it.
func loseBallotAnswers(h http.Handler, lost *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		sub, err := bulletin.ParseSubmission(body)
		if err == nil && sub.Type == election.TypeBallot && rec.Code == http.StatusCreated {
			lost.Add(1)
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}
