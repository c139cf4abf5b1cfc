package web_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/election"
	"github.com/evote/evote/voterclient/web"
)

// TestOperators: GET /election/operators lists the serving board first
// (URL ""), then the other operators in order with their board keys; the
// pages may connect to exactly those operators' origins (connect-src);
// an operator URL that is not an origin, or a key that is not a board
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
	if resp.StatusCode != 200 || len(got.Operators) != len(want) || got.AttemptMS != 20000 {
		t.Fatalf("GET /election/operators = %d %s, want %v with attempt_ms 20000", resp.StatusCode, body, want)
	}
	for i := range want {
		if got.Operators[i] != want[i] {
			t.Errorf("operator %d = %+v, want %+v", i, got.Operators[i], want[i])
		}
	}
	resp, _ = get(t, srv, "/")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:8082 https://op3.example;") {
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
