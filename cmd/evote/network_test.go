package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
)

// TestNetworkCLI: evote network init writes four operators' homes; each
// runs with evote board serve --network; a record posted to one operator
// is on every operator's board, signed by each with its own key, and the
// operators' databases export the same record.
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
			if cp.Size == 2 {
				break
			}
			select {
			case <-post.Done():
				t.Fatalf("operator %d has %d records, want 2", i+1, cp.Size)
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
// the network in dir, with the flags flags(op) gives (op from 0), until
// ctx ends; it returns their URLs and where their results will be sent.
func startOperators(t *testing.T, ctx context.Context, dir string, flags func(op int) []string) ([]string, []<-chan error) {
	t.Helper()
	urls := make([]string, 4)
	dones := make([]<-chan error, 4)
	for i := range urls {
		urls[i], dones[i] = startBoard(t, ctx, append([]string{"--network", filepath.Join(dir, fmt.Sprintf("op%d", i+1))}, flags(i)...)...)
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
