package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/networktest"
)

// joinOperators runs evote network join for n operators, each in its own
// directory under root (as on its own machine), named
// vote.example.org/2026/opN, at free loopback p2p addresses and the board
// URLs urls (none if nil); it returns their homes and public entries.
func joinOperators(t *testing.T, root string, n int, urls []string) (homes, pubs []string) {
	t.Helper()
	addrs, err := replica.LoopbackAddrs(n)
	mustOK(t, err)
	for i := range n {
		home := filepath.Join(root, fmt.Sprintf("machine%d", i+1), "home")
		args := []string{"network", "join", "--dir", home, "--name", fmt.Sprintf("vote.example.org/2026/op%d", i+1), "--p2p", addrs[i]}
		if urls != nil {
			args = append(args, "--url", urls[i])
		}
		stdout, stderr, err := runBoard(t.Context(), args...)
		if err != nil {
			t.Fatalf("network join of operator %d: %v\n%s", i+1, err, stderr)
		}
		pub := filepath.Join(home, operatorPublic)
		data, err := os.ReadFile(pub)
		mustOK(t, err)
		if strings.TrimSpace(stdout) != strings.TrimSpace(string(data)) {
			t.Fatalf("network join printed %q, want its %s, %q", stdout, operatorPublic, data)
		}
		homes, pubs = append(homes, home), append(pubs, pub)
	}
	return homes, pubs
}

// privateKeys returns the encodings of the private keys in an operator's
// home: its board and cosignature signer keys, as written and as the
// bytes they hold, and its CometBFT node and validator private keys, in
// base64, in hex and raw, whole and their 32-byte seeds.
func privateKeys(t *testing.T, home string) [][]byte {
	t.Helper()
	var keys [][]byte
	for _, f := range []string{operatorSKey, operatorCosignSKey} {
		skey, err := readBoardKeyFile(filepath.Join(home, f))
		mustOK(t, err)
		// PRIVATE+KEY+<name>+<hash>+<base64>: the name holds no '+',
		// the base64 may.
		parts := strings.SplitN(skey, "+", 5)
		raw, err := base64.StdEncoding.DecodeString(parts[4])
		mustOK(t, err)
		keys = append(keys, []byte(skey), []byte(parts[4]), raw[1:], []byte(base64.StdEncoding.EncodeToString(raw[1:])))
	}
	for _, f := range []string{"config/node_key.json", "config/priv_validator_key.json"} {
		data, err := os.ReadFile(filepath.Join(home, f))
		mustOK(t, err)
		var k struct {
			PrivKey struct {
				Value []byte `json:"value"`
			} `json:"priv_key"`
		}
		mustOK(t, json.Unmarshal(data, &k))
		if len(k.PrivKey.Value) != ed25519.PrivateKeySize {
			t.Fatalf("%s: a private key of %d bytes", f, len(k.PrivKey.Value))
		}
		for _, b := range [][]byte{k.PrivKey.Value, k.PrivKey.Value[:32]} {
			keys = append(keys, b, []byte(base64.StdEncoding.EncodeToString(b)), []byte(hex.EncodeToString(b)))
		}
	}
	return keys
}

// TestNetworkJoin: four operators each run evote network join in their
// own directory, as on four machines; evote network assemble makes the
// network's description from their public operator.json files alone (the
// same files again give the same bytes), and no public file holds any
// operator's private key; each operator applies the description with
// evote network apply, and evote board serve --network HOME alone then
// runs it: a record posted to one operator is committed by all four and
// served in a checkpoint cosigned by three, as the definition's operators
// demand, and no copy of it stays in an operator's mempool (GET /metrics).
func TestNetworkJoin(t *testing.T) {
	root := t.TempDir()
	urls, release := heldURLs(t, 4)
	homes, pubs := joinOperators(t, root, 4, urls)
	release()
	if _, _, err := runBoard(t.Context(), "network", "join", "--dir", homes[0], "--name", "vote.example.org/2026/op9"); err == nil {
		t.Fatal("network join over an existing home succeeded")
	}
	for _, home := range homes {
		if _, err := os.Stat(filepath.Join(home, "config", "genesis.json")); !os.IsNotExist(err) {
			t.Fatalf("network join wrote a genesis in %s (%v)", home, err)
		}
	}

	official := filepath.Join(root, "official")
	assemble := func(out string) {
		t.Helper()
		if _, stderr, err := runBoard(t.Context(), append([]string{"network", "assemble", "--out", out, "--chain-id", "vote-2026", "--genesis-time", "2026-12-01T08:00:00Z"}, pubs...)...); err != nil {
			t.Fatalf("network assemble: %v\n%s", err, stderr)
		}
	}
	assemble(filepath.Join(official, "net"))
	assemble(filepath.Join(official, "again"))
	described := []string{networkGenesis, replica.OperatorsFile, definitionOperators}
	for _, f := range described {
		a, err := os.ReadFile(filepath.Join(official, "net", f))
		mustOK(t, err)
		b, err := os.ReadFile(filepath.Join(official, "again", f))
		mustOK(t, err)
		if !bytes.Equal(a, b) {
			t.Fatalf("network assemble wrote two different %s from the same operators", f)
		}
	}
	genesis, err := os.ReadFile(filepath.Join(official, "net", networkGenesis))
	mustOK(t, err)
	for _, want := range []string{`"chain_id": "vote-2026"`, `"genesis_time": "2026-12-01T08:00:00Z"`} {
		if !bytes.Contains(genesis, []byte(want)) {
			t.Fatalf("the genesis has no %s:\n%s", want, genesis)
		}
	}

	public := append([]string(nil), pubs...)
	for _, f := range described {
		public = append(public, filepath.Join(official, "net", f))
	}
	for i, home := range homes {
		for _, key := range privateKeys(t, home) {
			for _, f := range public {
				data, err := os.ReadFile(f)
				mustOK(t, err)
				if bytes.Contains(data, key) {
					t.Fatalf("%s holds a private key of operator %d", f, i+1)
				}
			}
		}
	}

	var fingerprints string
	for i, home := range homes {
		stdout, stderr, err := runBoard(t.Context(), "network", "apply", "--dir", home, filepath.Join(official, "net"))
		if err != nil {
			t.Fatalf("network apply of operator %d: %v\n%s", i+1, err, stderr)
		}
		if want := fmt.Sprintf("%x  %s\n", sha256.Sum256(genesis), networkGenesis); !strings.HasPrefix(stdout, want) {
			t.Fatalf("network apply of operator %d printed %q, want it to start with %q", i+1, stdout, want)
		}
		if i > 0 && stdout != fingerprints {
			t.Fatalf("network apply printed %q for operator %d, %q for operator 1", stdout, i+1, fingerprints)
		}
		fingerprints = stdout
	}
	ops, err := replica.ReadOperators(filepath.Join(homes[2], replica.OperatorsFile))
	mustOK(t, err)
	policy, err := election.TrustPolicy(&ballot.Manifest{Operators: replica.DefinitionOperators(ops, nil)})
	mustOK(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	var dones []<-chan error
	for i, home := range homes {
		url, done, _ := serveBoard(t, ctx, "--network", home, "--policy", "open")
		dones = append(dones, done)
		if url != urls[i] {
			t.Fatalf("operator %d listens on %s, want its url %s", i+1, url, urls[i])
		}
	}
	defer stopBoards(t, cancel, dones)
	vkeys := make([]string, len(ops))
	for i, op := range ops {
		vkeys[i] = op.BoardKey
	}
	clients := networktest.Clients(t, urls, vkeys)
	seed := sha256.Sum256([]byte("network join test"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	post, cancelPost := context.WithTimeout(t.Context(), time.Minute)
	defer cancelPost()
	if _, _, err := clients[2].Post(post, bulletin.Sign(priv, "note", []byte(`{"machines":4}`))); err != nil {
		t.Fatalf("posting to operator 3: %v", err)
	}
	awaitCosigned(t, post, clients, policy, 1)
	// No copy of it is left in a mempool: every operator's /metrics comes
	// to count none there.
	for i, u := range urls {
		for {
			var m []byte
			resp, err := http.Get(u + "/metrics")
			if err == nil {
				m, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil && bytes.Contains(m, []byte("\nevote_replica_mempool_txs 0\n")) {
				break
			}
			select {
			case <-post.Done():
				t.Fatalf("operator %d's /metrics does not come to count 0 transactions in its mempool (%v):\n%s", i+1, err, m)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// TestNetworkAssembleRefuses: evote network assemble refuses operators'
// entries that repeat a name, a key, a node ID or a p2p address, whose
// keys are not of their name, whose validator key is not one, or that
// carry a member it does not know (such as a private key), naming the
// fault, and writes nothing; evote network apply refuses a description
// that leaves out the home's operator, gives it another board key, or
// whose genesis lacks its validator or gives a validator more power, and
// installs nothing.
func TestNetworkAssembleRefuses(t *testing.T) {
	root := t.TempDir()
	homes, pubs := joinOperators(t, root, 4, nil)
	ops := make([]replica.Operator, len(pubs))
	for i, p := range pubs {
		var err error
		ops[i], err = replica.ReadOperator(p)
		mustOK(t, err)
	}
	// edited writes operator i's entry as edit changes it.
	n := 0
	edited := func(i int, edit func(op *replica.Operator)) string {
		op := ops[i]
		edit(&op)
		n++
		path := filepath.Join(root, fmt.Sprintf("edited%d.json", n))
		mustOK(t, writeJSONFile(path, op))
		return path
	}
	_, otherKey, err := note.GenerateKey(rand.Reader, ops[1].Name)
	mustOK(t, err)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"same operator twice", []string{pubs[0], pubs[1], pubs[0]}, `operator 3 ("vote.example.org/2026/op1") has the name of operator 1`},
		{"same name", []string{pubs[0], edited(1, func(op *replica.Operator) { op.Name = ops[0].Name })}, `edited1.json: operator 1 ("vote.example.org/2026/op1"): board_key is not a board key of that name`},
		{"board key of another name", []string{pubs[0], edited(1, func(op *replica.Operator) { op.BoardKey = ops[2].BoardKey })}, `edited2.json: operator 1 ("vote.example.org/2026/op2"): board_key is not a board key of that name`},
		{"bad validator key", []string{pubs[0], edited(1, func(op *replica.Operator) { op.ValidatorKey = "AAAA" })}, `validator_key "AAAA" is not the base64 of an Ed25519 public key`},
		{"same validator key", []string{pubs[0], edited(1, func(op *replica.Operator) { op.ValidatorKey = ops[0].ValidatorKey })}, `operator 2 ("vote.example.org/2026/op2") has the validator_key of operator 1`},
		{"same node ID", []string{pubs[0], edited(1, func(op *replica.Operator) { op.NodeID = ops[0].NodeID })}, `operator 2 ("vote.example.org/2026/op2") has the node_id of operator 1`},
		{"bad node ID", []string{pubs[0], edited(1, func(op *replica.Operator) { op.NodeID = strings.ToUpper(op.NodeID) })}, `is not a node ID`},
		{"same p2p address", []string{pubs[0], edited(1, func(op *replica.Operator) { op.P2P = ops[0].P2P })}, `operator 2 ("vote.example.org/2026/op2") has the p2p of operator 1`},
		{"bad p2p address", []string{pubs[0], edited(1, func(op *replica.Operator) { op.P2P = "127.0.0.1" })}, `p2p "127.0.0.1" is not HOST:PORT`},
		{"no peer", []string{pubs[0], edited(1, func(op *replica.Operator) { op.Peer = replica.Peer{} })}, `operator 2 ("vote.example.org/2026/op2") has no validator_key, node_id or p2p`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(root, "out-"+strings.ReplaceAll(tt.name, " ", "-"))
			_, _, err := runBoard(t.Context(), append([]string{"network", "assemble", "--out", out}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("network assemble = %v, want an error saying %q", err, tt.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("network assemble that refused wrote %s (%v)", out, err)
			}
		})
	}
	withPrivate := filepath.Join(root, "private.json")
	data, err := os.ReadFile(pubs[1])
	mustOK(t, err)
	mustOK(t, os.WriteFile(withPrivate, bytes.Replace(data, []byte("{"), []byte(`{"board_skey": "PRIVATE+KEY+x",`), 1), 0o644))
	if _, _, err := runBoard(t.Context(), "network", "assemble", "--out", filepath.Join(root, "out-private"), pubs[0], withPrivate); err == nil || !strings.Contains(err.Error(), `unknown field "board_skey"`) {
		t.Fatalf("network assemble of an entry with an unknown member = %v", err)
	}

	// A dishonest assembler's descriptions, each refused by the operator
	// it cheats.
	describe := func(name string, args ...string) string {
		out := filepath.Join(root, name)
		_, stderr, err := runBoard(t.Context(), append([]string{"network", "assemble", "--out", out}, args...)...)
		if err != nil {
			t.Fatalf("network assemble %s: %v\n%s", name, err, stderr)
		}
		return out
	}
	rewrite := func(dir string, edit func([]byte) []byte) {
		path := filepath.Join(dir, networkGenesis)
		b, err := os.ReadFile(path)
		mustOK(t, err)
		changed := edit(b)
		if bytes.Equal(changed, b) {
			t.Fatalf("the edit left %s as it was", path)
		}
		mustOK(t, os.WriteFile(path, changed, 0o644))
	}
	withoutOp4 := describe("without-op4", pubs[:3]...)
	swapped := describe("swapped", pubs[0], edited(1, func(op *replica.Operator) { op.BoardKey = otherKey }), pubs[2], pubs[3])
	otherValidator := describe("other-validator", pubs...)
	// Its genesis names another validator for op2, at its own address.
	other, _, err := ed25519.GenerateKey(rand.Reader)
	mustOK(t, err)
	names, peers := make([]string, len(ops)), make([]replica.Peer, len(ops))
	for i, op := range ops {
		names[i], peers[i] = op.Name, op.Peer
	}
	peers[1].ValidatorKey = base64.StdEncoding.EncodeToString(other)
	forged, err := replica.NewGenesis("evote", time.Now(), names, peers)
	mustOK(t, err)
	mustOK(t, os.WriteFile(filepath.Join(otherValidator, networkGenesis), forged, 0o644))
	morePower := describe("more-power", pubs...)
	rewrite(morePower, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"power": "1"`), []byte(`"power": "3"`), 1)
	})
	for _, tt := range []struct {
		name string
		home string
		dir  string
		want string
	}{
		{"left out", homes[3], withoutOp4, `leaves out this operator, "vote.example.org/2026/op4"`},
		{"another board key", homes[1], swapped, `gives this operator, "vote.example.org/2026/op2", another board_key than its own`},
		{"another validator", homes[1], otherValidator, `validator 2 ("vote.example.org/2026/op2") is not operator 2's validator key`},
		{"more power", homes[1], morePower, `validator 1 ("vote.example.org/2026/op1") has voting power 3, not 1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runBoard(t.Context(), "network", "apply", "--dir", tt.home, tt.dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("network apply = %v, want an error saying %q", err, tt.want)
			}
			for _, f := range []string{filepath.Join("config", "genesis.json"), replica.OperatorsFile} {
				if _, err := os.Stat(filepath.Join(tt.home, f)); !os.IsNotExist(err) {
					t.Fatalf("network apply that refused wrote %s (%v)", f, err)
				}
			}
		})
	}
	// The honest operators of the description that swapped op2's key
	// would run it: only op2 itself, and the definition's keys, which
	// observers check, catch it.
	if _, _, err := runBoard(t.Context(), "network", "apply", "--dir", homes[0], swapped); err != nil {
		t.Fatalf("network apply of op1 = %v", err)
	}
}
