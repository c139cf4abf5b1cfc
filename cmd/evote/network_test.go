package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/networktest"
)

// TestNetworkCLI: evote network init writes four operators' homes and the
// definition's operators; each runs with evote board serve --network and
// the others as --peer, and with --addr, which win over the operators'
// urls of network init --url (where nothing listens: an operator that
// listened there, or asked its peers there, would fail the test); a record posted to one operator is on every
// operator's board, signed by each with its own key and served cosigned by
// more than two thirds of the operators, as the definition's trust policy
// demands; and the operators' databases export the same record.
func TestNetworkCLI(t *testing.T) {
	dir, vkeys := initNetworkCLI(t, "--origin", "vote.example.org/test", "--url", "http://127.0.0.1:1")
	if !strings.HasPrefix(vkeys[2], "vote.example.org/test/op3+") {
		t.Fatalf("network init printed %q, want the four operators' keys", vkeys)
	}
	if _, _, err := runBoard(t.Context(), "network", "init", "--dir", dir); err == nil {
		t.Fatal("network init over an existing network succeeded")
	}
	if _, _, err := runBoard(t.Context(), "board", "serve", "--network", filepath.Join(dir, "op1"), "--init"); err == nil {
		t.Fatal("board serve --network --init succeeded")
	}

	ops, err := replica.ReadOperators(filepath.Join(dir, replica.OperatorsFile))
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		Operators []struct {
			Name     string `json:"name"`
			Key      string `json:"key"`
			BoardKey string `json:"board_key"`
		} `json:"operators"`
	}
	data, err := os.ReadFile(filepath.Join(dir, definitionOperators))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &def); err != nil || len(def.Operators) != 4 {
		t.Fatalf("%s: %v, %s", definitionOperators, err, data)
	}
	m := &ballot.Manifest{}
	for i, o := range def.Operators {
		if o.Name != ops[i].Name || o.Key != ops[i].CosignKey || o.BoardKey != ops[i].BoardKey || o.BoardKey != vkeys[i] || o.Name != fmt.Sprintf("vote.example.org/test/op%d", i+1) {
			t.Fatalf("%s names operator %d %+v, operators.json %+v", definitionOperators, i+1, o, ops[i])
		}
		m.Operators = append(m.Operators, ballot.Operator{Name: o.Name, Key: o.Key, BoardKey: o.BoardKey})
	}
	policy, err := election.TrustPolicy(m)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	urls, dones := startOperators(t, ctx, dir, func(int) []string { return []string{"--policy", "open"} })
	clients := networktest.Clients(t, urls, vkeys)
	seed := sha256.Sum256([]byte("network cli test"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	post, cancelPost := context.WithTimeout(t.Context(), time.Minute)
	defer cancelPost()
	for i, cl := range clients[:2] {
		if _, _, err := cl.Post(post, bulletin.Sign(priv, "note", fmt.Appendf(nil, `{"i":%d}`, i))); err != nil {
			t.Fatalf("posting to operator %d: %v", i+1, err)
		}
	}
	awaitCosigned(t, post, clients, policy, 2)
	cancel()
	for i, done := range dones {
		if err := <-done; err != nil {
			t.Fatalf("operator %d: %v", i+1, err)
		}
	}
	var first []byte
	for i := range 4 {
		export := filepath.Join(dir, fmt.Sprintf("op%d.jsonl", i+1))
		if _, _, err := runBoard(t.Context(), "board", "export", "--db", filepath.Join(dir, fmt.Sprintf("op%d", i+1), operatorDB), "--out", export); err != nil {
			t.Fatalf("exporting operator %d: %v", i+1, err)
		}
		b, err := os.ReadFile(export)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("operator %d's export differs from operator 1's", i+1)
		}
	}
	if n := strings.Count(string(first), "\n"); n != 2 {
		t.Fatalf("the export holds %d records, want 2", n)
	}
}

// awaitCosigned waits until every client's operator serves a checkpoint
// of size records that policy accepts, cosigned by at least three
// operators, failing the test if ctx ends first.
func awaitCosigned(t *testing.T, ctx context.Context, clients []*client.Client, policy bulletin.TrustPolicy, size int64) {
	t.Helper()
	for i, cl := range clients {
		for {
			cp, err := cl.Checkpoint(ctx)
			if err != nil {
				t.Fatalf("operator %d's checkpoint: %v", i+1, err)
			}
			c, perr := policy.Check(cp.Note)
			if cp.Size == size && perr == nil {
				if len(c.Names) < 3 {
					t.Fatalf("operator %d's checkpoint is cosigned by %v", i+1, c.Names)
				}
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("operator %d has %d records, want %d cosigned by 3 operators: %v", i+1, cp.Size, size, perr)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// initNetworkCLI runs evote network init --operators 4 with the extra
// flags in a temporary directory, and returns it and the operators' keys.
func initNetworkCLI(t *testing.T, extra ...string) (string, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "net")
	out, _, err := runBoard(t.Context(), append([]string{"network", "init", "--operators", "4", "--dir", dir}, extra...)...)
	if err != nil {
		t.Fatalf("network init: %v", err)
	}
	vkeys := strings.Fields(out)
	if len(vkeys) != 4 {
		t.Fatalf("network init printed %q, want the four operators' keys", out)
	}
	return dir, vkeys
}

// startOperators runs evote board serve --network for each operator of
// the network in dir, each with the others as --peer and with the flags
// flags(op) gives (op from 0), until ctx ends; it returns their URLs and
// where their results will be sent.
func startOperators(t *testing.T, ctx context.Context, dir string, flags func(op int) []string) ([]string, []<-chan error) {
	t.Helper()
	ops, err := replica.ReadOperators(filepath.Join(dir, replica.OperatorsFile))
	if err != nil {
		t.Fatal(err)
	}
	// Each operator listens at a port chosen beforehand, so that the
	// others know its URL.
	urls := freeURLs(t, len(ops))
	dones := make([]<-chan error, len(ops))
	for i := range urls {
		args := []string{"--network", filepath.Join(dir, fmt.Sprintf("op%d", i+1)), "--addr", strings.TrimPrefix(urls[i], "http://")}
		for j, op := range ops {
			if j != i {
				args = append(args, "--peer", op.Name+"="+urls[j])
			}
		}
		_, dones[i] = startBoard(t, ctx, append(args, flags(i)...)...)
	}
	return urls, dones
}

// TestNetworkServeFromURLs: evote network init --url writes each
// operator's board URL in operators.json (the network's and each home's)
// and in definition-operators.json, whose "operators" member makes a
// definition that parses with those url hints; evote board serve
// --network HOME alone then listens at its operator's URL and gathers the
// other operators' cosignatures at theirs (it says both on stderr), so
// that the election's participants, who take only checkpoints cosigned by
// three of the four, can run it; and a voter who names only the first
// operator, which drops every ballot, has it cast through another one at
// the address the definition gives.
func TestNetworkServeFromURLs(t *testing.T) {
	// The boards' ports are held while network init picks CometBFT's, so
	// that no port is both.
	urls, release := heldURLs(t, 4)
	var urlFlags []string
	for _, u := range urls {
		urlFlags = append(urlFlags, "--url", u)
	}
	dir, vkeys := initNetworkCLI(t, urlFlags...)
	release()
	for _, path := range []string{filepath.Join(dir, replica.OperatorsFile), filepath.Join(dir, "op3", replica.OperatorsFile)} {
		ops, err := replica.ReadOperators(path)
		mustOK(t, err)
		for i, op := range ops {
			if op.URL != urls[i] {
				t.Fatalf("%s gives operator %d the url %q, want %q", path, i+1, op.URL, urls[i])
			}
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	var dones []<-chan error
	for i := range urls {
		home := filepath.Join(dir, fmt.Sprintf("op%d", i+1))
		args := []string{"--network", home}
		if i == 0 {
			args = append(args, "--test-drop-ballots")
		}
		url, done, stderr := serveBoard(t, ctx, args...)
		dones = append(dones, done)
		if url != urls[i] {
			t.Fatalf("operator %d listens on %s, want its url %s", i+1, url, urls[i])
		}
		var peers []string
		for j, u := range urls {
			if j != i {
				peers = append(peers, fmt.Sprintf("evote-board/op%d at %s", j+1, u))
			}
		}
		for _, want := range []string{
			fmt.Sprintf("operator %q listens at %s, the address of its url %s in %s", fmt.Sprintf("evote-board/op%d", i+1), strings.TrimPrefix(urls[i], "http://"), urls[i], filepath.Join(home, replica.OperatorsFile)),
			fmt.Sprintf("gathering cosignatures from the operators %s (from the operators' urls in %s)", strings.Join(peers, ", "), filepath.Join(home, replica.OperatorsFile)),
		} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("operator %d did not say %q:\n%s", i+1, want, stderr)
			}
		}
	}
	defer stopBoards(t, cancel, dones)

	// The definition names the operators as operators.json does, url hints
	// and all: the participants' follower demands three cosignatures on
	// every checkpoint, so the election runs only if the operators gather
	// each other's at their urls.
	e, ops := openOperatorsElection(t, dir, urls, vkeys, nil)
	canonical, err := e.Manifest.MarshalCanonical()
	mustOK(t, err)
	var def, member map[string]json.RawMessage
	mustOK(t, json.Unmarshal(canonical, &def))
	data, err := os.ReadFile(filepath.Join(dir, definitionOperators))
	mustOK(t, err)
	mustOK(t, json.Unmarshal(data, &member))
	def["operators"] = member["operators"]
	spliced, err := json.Marshal(def)
	mustOK(t, err)
	m, err := ballot.ParseManifest(spliced)
	if err != nil {
		t.Fatalf("a definition with the operators of %s: %v", definitionOperators, err)
	}
	for i, o := range m.Operators {
		if o != e.Manifest.Operators[i] || o.URL != urls[i] {
			t.Fatalf("%s names operator %d %+v, want %+v at %s", definitionOperators, i+1, o, e.Manifest.Operators[i], urls[i])
		}
	}

	work := t.TempDir()
	keyArgs := keyFiles(t, work, vkeys)
	stdout, stderr, err := castCLI(t, e, work, 0, []string{"--board", urls[0], "--board-key", keyArgs[0], "--board-timeout", "1s"})
	if err != nil {
		t.Fatalf("vote cast through the first operator: %v\n%s%s", err, stdout, stderr)
	}
	if want := fmt.Sprintf("posting it to the operator %q at %s, the address the election's definition gives for it,", ops[1].Name, urls[1]); !strings.Contains(stderr, want) {
		t.Errorf("vote cast did not say %q:\n%s", want, stderr)
	}
	castReceipt(t, work, 0, stdout, 2, vkeys[1])
}

// TestNetworkURLs: the --url values of evote network init make one URL
// per operator, counting a single base URL's port up; a count that fits
// neither, a URL that is not http(s), that has a path, query, fragment or
// user, or two operators at one address are refused, each saying why.
func TestNetworkURLs(t *testing.T) {
	for _, tt := range []struct {
		values []string
		n      int
		want   string
	}{
		{[]string{"http://127.0.0.1:8081"}, 4, "http://127.0.0.1:8081 http://127.0.0.1:8082 http://127.0.0.1:8083 http://127.0.0.1:8084"},
		{[]string{"http://[::1]:9000"}, 2, "http://[::1]:9000 http://[::1]:9001"},
		{[]string{"https://op1.example.org", "https://op2.example.org:8443", "http://10.0.0.3:80"}, 3, "https://op1.example.org https://op2.example.org:8443 http://10.0.0.3:80"},
		{[]string{"http://127.0.0.1:8081"}, 1, "http://127.0.0.1:8081"},
		{nil, 4, ""},
	} {
		got, err := networkURLs(tt.values, tt.n)
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("networkURLs(%q, %d) = %q, %v; want %s", tt.values, tt.n, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		values []string
		n      int
		want   string
	}{
		{[]string{"http://127.0.0.1:8081", "http://127.0.0.1:8082"}, 4, "--url given 2 times for 4 operators"},
		{[]string{"http://a:1", "http://b:1", "http://c:1", "http://d:1", "http://e:1"}, 4, "--url given 5 times for 4 operators"},
		{[]string{"ftp://127.0.0.1:8081"}, 4, `--url "ftp://127.0.0.1:8081": the scheme is not http or https`},
		{[]string{"127.0.0.1:8081"}, 4, `--url "127.0.0.1:8081"`},
		{[]string{"http://127.0.0.1:8081/board"}, 4, `--url "http://127.0.0.1:8081/board" has a path ("/board")`},
		{[]string{"http://127.0.0.1:8081/"}, 4, `--url "http://127.0.0.1:8081/" has a path ("/")`},
		{[]string{"http://127.0.0.1:8081?x=1"}, 4, `--url "http://127.0.0.1:8081?x=1" has a query or fragment`},
		{[]string{"http://127.0.0.1:8081#x"}, 4, `--url "http://127.0.0.1:8081#x" has a query or fragment`},
		{[]string{"http://me@127.0.0.1:8081"}, 4, `--url "http://me@127.0.0.1:8081" names a user`},
		{[]string{"http://:8081"}, 4, `--url "http://:8081" has no host`},
		{[]string{"http://127.0.0.1"}, 4, "a single URL for 4 operators needs a port to count up from"},
		{[]string{"http://127.0.0.1:65534"}, 4, "operator 4's port would be 65537, past 65535"},
		{[]string{"http://127.0.0.1:8081", "http://127.0.0.1:8082", "https://127.0.0.1:8081"}, 3, `--url "https://127.0.0.1:8081": operators 1 and 3 would share the address 127.0.0.1:8081`},
		{[]string{"http://op.example.org", "http://OP.example.org:80"}, 2, `operators 1 and 2 would share the address op.example.org:80`},
	} {
		got, err := networkURLs(tt.values, tt.n)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("networkURLs(%q, %d) = %q, %v; want an error saying %q", tt.values, tt.n, got, err, tt.want)
		}
	}
	// The CLI refuses before it writes anything.
	dir := filepath.Join(t.TempDir(), "net")
	if _, _, err := runBoard(t.Context(), "network", "init", "--dir", dir, "--url", "http://127.0.0.1:8081/x"); err == nil || !strings.Contains(err.Error(), "has a path") {
		t.Fatalf("network init with a URL with a path = %v, want it refused", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("network init that refused its --url left %s (%v)", dir, err)
	}
}

// TestBoardServeAddress: board serve --network listens at the host and
// port of its operator's url, unless --addr is given; it refuses to guess
// the address behind an https:// url or a path, telling to pass --addr.
func TestBoardServeAddress(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"http://127.0.0.1:8081", "127.0.0.1:8081"},
		{"http://[::1]:8081", "[::1]:8081"},
		{"http://op1.example.org", "op1.example.org:80"},
	} {
		if got, err := urlListenAddr(tt.url); err != nil || got != tt.want {
			t.Errorf("urlListenAddr(%q) = %q, %v; want %s", tt.url, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ url, want string }{
		{"https://op1.example.org", "is not http://"},
		{"http://127.0.0.1:8081/board", "is not a host and port alone"},
	} {
		if got, err := urlListenAddr(tt.url); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("urlListenAddr(%q) = %q, %v; want an error saying %q", tt.url, got, err, tt.want)
		}
	}
}
