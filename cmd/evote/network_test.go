package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
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
)

// TestNetworkCLI: evote network init writes four operators' homes and the
// definition's operators; each runs with evote board serve --network and
// the others as --peer; a record posted to one operator is on every
// operator's board, signed by each with its own key and served cosigned by
// more than two thirds of the operators, as the definition's trust policy
// demands; and the operators' databases export the same record.
func TestNetworkCLI(t *testing.T) {
	dir, vkeys := initNetworkCLI(t, "--origin", "vote.example.org/test")
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
	clients := operatorClients(t, urls, vkeys)
	seed := sha256.Sum256([]byte("network cli test"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	post, cancelPost := context.WithTimeout(t.Context(), time.Minute)
	defer cancelPost()
	for i, cl := range clients[:2] {
		if _, _, err := cl.Post(post, bulletin.Sign(priv, "note", fmt.Appendf(nil, `{"i":%d}`, i))); err != nil {
			t.Fatalf("posting to operator %d: %v", i+1, err)
		}
	}
	for i, cl := range clients {
		for {
			cp, err := cl.Checkpoint(post)
			if err != nil {
				t.Fatalf("operator %d's checkpoint: %v", i+1, err)
			}
			c, perr := policy.Check(cp.Note)
			if cp.Size == 2 && perr == nil {
				if len(c.Names) < 3 {
					t.Fatalf("operator %d's checkpoint is cosigned by %v", i+1, c.Names)
				}
				break
			}
			select {
			case <-post.Done():
				t.Fatalf("operator %d has %d records, want 2 cosigned by 3 operators: %v", i+1, cp.Size, perr)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
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
	urls := make([]string, len(ops))
	for i := range urls {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		urls[i] = "http://" + l.Addr().String()
		l.Close()
	}
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

// operatorClients returns a client per operator.
func operatorClients(t *testing.T, urls, vkeys []string) []*client.Client {
	t.Helper()
	clients := make([]*client.Client, len(urls))
	for i := range clients {
		var err error
		if clients[i], err = client.New(urls[i], vkeys[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	return clients
}
