package web_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient/web"
)

// TestOperators: GET /election/operators lists the serving board first
// (URL ""), then the other operators in order with their board keys; the
// pages may connect to exactly those operators' origins (connect-src);
// a hedge shorter than the attempt is passed on (hedge_ms); an operator
// URL that is not an origin, or a key that is not a board
// key, is refused at Register.
func TestOperators(t *testing.T) {
	dir, _ := fakeBuild(t)
	key := func(name string) string {
		_, vkey, err := note.GenerateKey(nil, name)
		must(t, err)
		return vkey
	}
	self, op2, op3 := key("op1"), key("op2"), key("op3")
	others := []web.Operator{{Name: "op2", URL: "http://127.0.0.1:8082", BoardKey: op2}, {Name: "op3", URL: "https://op3.example", BoardKey: op3}}
	h, err := pages(web.Options{WasmDir: dir, State: new(election.Tracker).State, BoardKey: self, Operators: others})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, body := get(t, srv, "/election/operators")
	var got web.Operators
	must(t, json.Unmarshal(body, &got))
	want := append([]web.Operator{{Name: "op1", BoardKey: self}}, others...)
	if resp.StatusCode != 200 || len(got.Operators) != len(want) || got.AttemptMS != 20000 || got.HedgeMS != 0 {
		t.Fatalf("GET /election/operators = %d %s, want %v with attempt_ms 20000 and no hedge", resp.StatusCode, body, want)
	}
	// A hedge shorter than the attempt is passed on; another is none.
	for hedge, want := range map[time.Duration]int64{5 * time.Second: 5000, time.Minute: 0} {
		h, err := pages(web.Options{WasmDir: dir, State: new(election.Tracker).State, BoardKey: self, Operators: others, Hedge: hedge})
		must(t, err)
		hs := httptest.NewServer(h)
		_, body := get(t, hs, "/election/operators")
		hs.Close()
		var ops web.Operators
		must(t, json.Unmarshal(body, &ops))
		if ops.HedgeMS != want {
			t.Errorf("with a hedge of %v, hedge_ms = %d, want %d", hedge, ops.HedgeMS, want)
		}
	}
	for i := range want {
		if got.Operators[i] != want[i] {
			t.Errorf("operator %d = %+v, want %+v", i, got.Operators[i], want[i])
		}
	}
	resp, _ = get(t, srv, "/")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:8082 https://op3.example ws://127.0.0.1:8082 wss://op3.example;") {
		t.Errorf("Content-Security-Policy %q does not allow exactly the operators' origins", csp)
	}

	for _, bad := range []web.Operator{
		{Name: "op2", URL: "http://127.0.0.1:8082/board", BoardKey: op2},
		{Name: "op2", URL: "127.0.0.1:8082", BoardKey: op2},
		{Name: "op2", URL: "javascript:alert(1)", BoardKey: op2},
		{Name: "op2", URL: "http://127.0.0.1:8082", BoardKey: "op2+nokey"},
	} {
		if _, err := pages(web.Options{WasmDir: dir, State: new(election.Tracker).State, BoardKey: self, Operators: []web.Operator{bad}}); err == nil {
			t.Errorf("Register with operator %+v succeeded, want an error", bad)
		}
	}
}

// TestOperatorsHinted: once the election's definition is on the board,
// GET /election/operators lists, after this board and the peers of
// Options.Operators, the other operators that the definition gives a url
// hint for, in the definition's order from the one after this board's,
// each with its hint and the board key the definition names for it; not
// this board's operator nor a peer again (whatever their hint), nor an
// operator without a hint. The pages may connect to those operators'
// origins, and their websocket feeds, and no others.
func TestOperatorsHinted(t *testing.T) {
	dir, _ := fakeBuild(t)
	tracker := new(election.Tracker)
	log := openLog(t, tracker)
	var operators []ballot.Operator
	keys := map[string]string{}
	for i := range 5 {
		name := fmt.Sprintf("op%d", i+1)
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		must(t, err)
		cs, err := torchwood.NewCosignatureSigner(name, priv)
		must(t, err)
		_, keys[name], err = note.GenerateKey(rand.Reader, name)
		must(t, err)
		operators = append(operators, ballot.Operator{Name: name, Key: cs.Verifier().String(), BoardKey: keys[name]})
	}
	operators[2].URL = "https://op3.example"           // this board
	operators[1].URL = "https://op2.example/board"     // hinted
	operators[0].URL = "https://op1-elsewhere.example" // a peer, at another address
	operators[4].URL = "http://op5.example:8085"       // hinted, before op2: after this board's, in turn
	peers := []web.Operator{{Name: "op1", URL: "http://127.0.0.1:8081", BoardKey: keys["op1"]}}
	h, err := pages(web.Options{WasmDir: dir, State: tracker.State, BoardKey: keys["op3"], Operators: peers})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	check := func(when string, want []web.Operator, connect string) {
		t.Helper()
		resp, body := get(t, srv, "/election/operators")
		var got web.Operators
		must(t, json.Unmarshal(body, &got))
		if resp.StatusCode != 200 || !slices.Equal(got.Operators, want) {
			t.Errorf("%s: GET /election/operators = %d %s, want %+v", when, resp.StatusCode, body, want)
		}
		for _, path := range []string{"/", "/observe", "/static/observe.js"} {
			resp, _ = get(t, srv, path)
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src "+connect+";") {
				t.Errorf("%s: GET %s: Content-Security-Policy %q, want connect-src %s", when, path, csp, connect)
			}
		}
	}
	self := web.Operator{Name: "op3", BoardKey: keys["op3"]}
	check("before the definition", []web.Operator{self, peers[0]}, "'self' http://127.0.0.1:8081 ws://127.0.0.1:8081")

	_, err = simulate.New(t.Context(), log.Append, tracker.Current, simulate.Options{Voters: 1, Trustees: 1, Threshold: 1, Operators: operators})
	must(t, err)
	check("with the definition", []web.Operator{self, peers[0],
		{Name: "op5", URL: "http://op5.example:8085", BoardKey: keys["op5"]},
		{Name: "op2", URL: "https://op2.example/board", BoardKey: keys["op2"]}},
		"'self' http://127.0.0.1:8081 http://op5.example:8085 https://op2.example ws://127.0.0.1:8081 ws://op5.example:8085 wss://op2.example")
}
