package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/internal/testlog"
)

// waitFor bounds every wait of these tests: generous, since the machine
// running them may be slow and shared.
const waitFor = 60 * time.Second

// network is a network of operators on loopback, each with its own home,
// SQLite store and board key, in a test's temporary directory.
type network struct {
	t         *testing.T
	homes     []string
	signers   []note.Signer
	vkeys     []string
	newPolicy func(op int) func() bulletin.Policy
	byzantine func(op int, c *Config)
	logs      testlog.Buffer // CometBFT's errors, Start's warnings and the logs' reports, shown if the test fails

	mu     sync.Mutex
	stores []*sqlite.Store
	nodes  []*Node // nil: stopped
	next   int     // round robin of post
}

// newNetwork writes the homes of n operators and starts them all, with
// the policy newPolicy(op) gives each operator op.
// byzantine, if not nil, sets the test hooks of operator op's Config
// (propose, Drop) before it starts.
func newNetwork(t *testing.T, n int, newPolicy func(op int) func() bulletin.Policy, byzantine func(op int, c *Config)) *network {
	t.Helper()
	dir := t.TempDir()
	homes, err := InitNetwork(dir, NetworkOptions{Operators: n, ChainID: "evote-test"})
	if err != nil {
		t.Fatal(err)
	}
	nw := &network{t: t, homes: homes, newPolicy: newPolicy, byzantine: byzantine, stores: make([]*sqlite.Store, n), nodes: make([]*Node, n)}
	for i := range homes {
		skey, vkey, err := note.GenerateKey(rand.Reader, fmt.Sprintf("op%d.board.example", i+1))
		if err != nil {
			t.Fatal(err)
		}
		signer, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		nw.signers, nw.vkeys = append(nw.signers, signer), append(nw.vkeys, vkey)
		st, err := sqlite.Create(t.Context(), nw.db(i))
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	t.Cleanup(func() {
		for i := range homes {
			nw.stop(i)
		}
		if t.Failed() {
			t.Logf("the operators' logs:\n%s", nw.logs.String())
		}
	})
	for i := range homes {
		nw.start(i)
	}
	return nw
}

func (nw *network) db(op int) string {
	return filepath.Join(filepath.Dir(nw.homes[op]), fmt.Sprintf("op%d.db", op+1))
}

// start opens operator op's store and starts its replica.
func (nw *network) start(op int) {
	nw.t.Helper()
	st, err := sqlite.Open(nw.t.Context(), nw.db(op))
	if err != nil {
		nw.t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(&nw.logs, &slog.HandlerOptions{Level: slog.LevelWarn})).With("op", op+1)
	c := Config{
		Home:      nw.homes[op],
		Store:     st,
		NewPolicy: nw.newPolicy(op),
		Log: bulletin.LogOptions{
			Signer:   nw.signers[op],
			Snapshot: strings.TrimSuffix(nw.db(op), ".db") + ".state",
			Logf: func(format string, args ...any) {
				fmt.Fprintf(&nw.logs, "op%d: "+format+"\n", append([]any{op + 1}, args...)...)
			},
		},
		Logger: logger,
	}
	if nw.byzantine != nil {
		nw.byzantine(op, &c)
	}
	n, err := Start(nw.t.Context(), c)
	if err != nil {
		st.Close()
		nw.t.Fatalf("starting operator %d: %v", op+1, err)
	}
	nw.mu.Lock()
	nw.stores[op], nw.nodes[op] = st, n
	nw.mu.Unlock()
}

// stop stops operator op's replica, if it runs, and closes its store.
func (nw *network) stop(op int) {
	nw.mu.Lock()
	n, st := nw.nodes[op], nw.stores[op]
	nw.nodes[op], nw.stores[op] = nil, nil
	nw.mu.Unlock()
	if n == nil {
		return
	}
	if err := n.Stop(); err != nil {
		nw.t.Errorf("stopping operator %d: %v", op+1, err)
	}
	if err := st.Close(); err != nil {
		nw.t.Errorf("closing operator %d's store: %v", op+1, err)
	}
}

// node returns operator op's running replica, or nil.
func (nw *network) node(op int) *Node {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.nodes[op]
}

// pick returns the next running operator, round robin.
func (nw *network) pick() int {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for {
		op := nw.next % len(nw.nodes)
		nw.next++
		if nw.nodes[op] != nil {
			return op
		}
	}
}

// post appends sub through operator op, waiting at most waitFor.
func (nw *network) post(ctx context.Context, op int, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	return nw.node(op).Log.Append(ctx, sub)
}

// waitSize waits until operator op's log has at least size records.
func (nw *network) waitSize(op int, size int64) {
	nw.t.Helper()
	l := nw.node(op).Log
	deadline := time.After(waitFor)
	for {
		changed := l.Changed()
		if l.Size() >= size {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			nw.t.Fatalf("operator %d has %d records after %v, want %d", op+1, l.Size(), waitFor, size)
		}
	}
}

// export returns operator op's database exported as evote board export
// does it: opened read-only beside the running operator.
func (nw *network) export(op int) []byte {
	nw.t.Helper()
	st, err := sqlite.OpenReadOnly(nw.t.Context(), nw.db(op))
	if err != nil {
		nw.t.Fatal(err)
	}
	defer st.Close()
	var b bytes.Buffer
	if _, err := bulletin.Export(nw.t.Context(), st, &b); err != nil {
		nw.t.Fatalf("exporting operator %d: %v", op+1, err)
	}
	return b.Bytes()
}

// sameExports waits until every running operator has size records and
// checks that their exports are the same bytes; it returns the export.
func (nw *network) sameExports(size int64) []byte {
	nw.t.Helper()
	var first []byte
	for op := range nw.homes {
		if nw.node(op) == nil {
			continue
		}
		nw.waitSize(op, size)
		exp := nw.export(op)
		if first == nil {
			first = exp
		} else if !bytes.Equal(exp, first) {
			nw.t.Fatalf("operator %d's export (%d bytes) differs from operator 1's (%d bytes)", op+1, len(exp), len(first))
		}
	}
	return first
}

// testKey returns a deterministic Ed25519 author key.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("evote replica test author " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}
