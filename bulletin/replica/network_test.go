package replica

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/p2p/pex"

	"github.com/evote/evote/bulletin"
)

// TestResubmission: a submission posted again after its record was
// committed, to the operator that took it or to another, is refused as a
// duplicate naming its record before any block (each operator's mempool
// saw it, and its log answers for the mempool's cache), never taking a
// block's slot, even to an operator that restarted since; posted to two
// operators at once, it becomes one record,
// which both acknowledge. Record times are block times: never going back
// along the log.
func TestResubmission(t *testing.T) {
	nw := newNetwork(t, 4, func(int) func() bulletin.Policy { return bulletin.NewOpenPolicy }, nil)
	ctx := t.Context()
	key := testKey("alice")
	first := bulletin.Sign(key, "note", []byte(`{"n":1}`))
	rec, _, err := nw.post(ctx, 0, first)
	if err != nil || rec.Index != 0 {
		t.Fatalf("first post = %v, %v", rec, err)
	}
	for op := range 4 {
		// Posted again once the operator committed it (had it not yet, it
		// would answer with the record, as for two posts at once, below).
		nw.waitSize(op, 1)
		var re *bulletin.RejectError
		if _, _, err := nw.post(ctx, op, first); !errors.As(err, &re) || re.Code != bulletin.CodeDuplicate {
			t.Fatalf("the same submission posted again to operator %d = %v, want a duplicate", op+1, err)
		}
		if i, ok := bulletin.DuplicateOf(re.Reason); !ok || i != 0 {
			t.Errorf("operator %d's duplicate names record %d (%v): %q, want record 0", op+1, i, ok, re.Reason)
		}
		if _, block := nw.node(op).App.Refused(); block[bulletin.CodeDuplicate] != 0 {
			t.Errorf("operator %d's blocks refused %d duplicates, want none: the one posted again took a block's slot", op+1, block[bulletin.CodeDuplicate])
		}
	}
	// Restarted (after a crash, say), an operator remembers the records it
	// stored: posted again, the submission takes no block's slot either.
	const restarted = 3
	nw.stop(restarted)
	nw.start(restarted)
	var re *bulletin.RejectError
	if _, _, err := nw.post(ctx, restarted, first); !errors.As(err, &re) || re.Code != bulletin.CodeDuplicate {
		t.Fatalf("the same submission posted again to operator %d after its restart = %v, want a duplicate", restarted+1, err)
	}
	if _, block := nw.node(restarted).App.Refused(); block[bulletin.CodeDuplicate] != 0 {
		t.Errorf("after its restart, operator %d's blocks refused %d duplicates, want none: the one posted again took a block's slot", restarted+1, block[bulletin.CodeDuplicate])
	}
	second := bulletin.Sign(key, "note", []byte(`{"n":2}`))
	var wg sync.WaitGroup
	recs := make([]*bulletin.Record, 2)
	errs := make([]error, 2)
	for i, op := range []int{1, 2} {
		wg.Go(func() { recs[i], _, errs[i] = nw.post(ctx, op, second) })
	}
	wg.Wait()
	for i, err := range errs {
		var re *bulletin.RejectError
		switch {
		case err == nil && recs[i].Index == 1:
		case errors.As(err, &re) && re.Code == bulletin.CodeDuplicate:
		default:
			t.Fatalf("a submission posted to two operators at once: %v, %v", recs[i], err)
		}
	}
	exp := nw.sameExports(2)
	var last *bulletin.Record
	for _, line := range strings.SplitAfter(string(exp), "\n")[:2] {
		r, err := bulletin.ParseRecord([]byte(strings.TrimSuffix(line, "\n")))
		must(t, err)
		if last != nil && r.Time.Before(last.Time) {
			t.Fatalf("record %d is dated before record %d", r.Index, last.Index)
		}
		last = r
	}
}

// TestLoadConfig: an operator's home loads as InitNetwork wrote it, with
// the mempool's cache of the transactions it saw; one without that cache
// (as an earlier evote wrote it) loads too; but not one whose mempool does
// not recheck its transactions after each block, which would keep those
// whose checks ahead failed.
func TestLoadConfig(t *testing.T) {
	homes, err := InitNetwork(t.TempDir(), NetworkOptions{Operators: 4})
	must(t, err)
	conf, err := LoadConfig(homes[2])
	must(t, err)
	if conf.Moniker != "op3" || conf.Consensus.TimeoutCommit != timeoutCommit || len(strings.Split(conf.P2P.PersistentPeers, ",")) != 3 {
		t.Fatalf("op3's configuration: moniker %q, timeout_commit %v, peers %q", conf.Moniker, conf.Consensus.TimeoutCommit, conf.P2P.PersistentPeers)
	}
	if conf.Mempool.CacheSize != mempoolCache {
		t.Errorf("op3's mempool cache_size = %d, want %d", conf.Mempool.CacheSize, mempoolCache)
	}
	path := filepath.Join(homes[2], "config", "config.toml")
	rewrite := func(old, new string) {
		t.Helper()
		b, err := os.ReadFile(path)
		must(t, err)
		s := strings.Replace(string(b), old, new, 1)
		if s == string(b) {
			t.Fatalf("config.toml has no %q", old)
		}
		must(t, os.WriteFile(path, []byte(s), 0o600))
	}
	rewrite(fmt.Sprintf("cache_size = %d", mempoolCache), "cache_size = 0")
	if conf, err := LoadConfig(homes[2]); err != nil || conf.Mempool.CacheSize != 0 {
		t.Fatalf("LoadConfig without a mempool cache = %v", err)
	}
	rewrite("recheck = true", "recheck = false")
	if _, err := LoadConfig(homes[2]); err == nil || !strings.Contains(err.Error(), "recheck") {
		t.Fatalf("LoadConfig without rechecks = %v", err)
	}
	if _, err := InitNetwork(filepath.Dir(homes[0]), NetworkOptions{}); err == nil {
		t.Fatal("InitNetwork over existing homes succeeded")
	}
}

// TestNewHomeAcrossMachines: an operator's home for a p2p address that is
// not on loopback listens on every interface at its port, announces the
// address, and keeps CometBFT's timeouts, made for machines across a
// network; one on loopback listens there with the short timeouts. A p2p
// address without a port is refused before anything is written.
func TestNewHomeAcrossMachines(t *testing.T) {
	dir := t.TempDir()
	peer, err := NewHome(filepath.Join(dir, "far"), "vote.example.org/op1", "op1.example.org:26656")
	must(t, err)
	if peer.P2P != "op1.example.org:26656" || peer.check() != nil {
		t.Fatalf("NewHome's peer = %+v, %v", peer, peer.check())
	}
	conf, err := LoadConfig(filepath.Join(dir, "far"))
	must(t, err)
	def := cfg.DefaultConfig()
	if conf.P2P.ListenAddress != "tcp://0.0.0.0:26656" || conf.P2P.ExternalAddress != "op1.example.org:26656" ||
		conf.Consensus.TimeoutPropose != def.Consensus.TimeoutPropose || conf.Consensus.TimeoutCommit != def.Consensus.TimeoutCommit || conf.P2P.AllowDuplicateIP {
		t.Fatalf("a home across machines: listen %q, external %q, timeout_propose %v, timeout_commit %v, allow_duplicate_ip %v",
			conf.P2P.ListenAddress, conf.P2P.ExternalAddress, conf.Consensus.TimeoutPropose, conf.Consensus.TimeoutCommit, conf.P2P.AllowDuplicateIP)
	}
	// Operators on one private network (scripts/replica-machines.sh puts
	// them at 10.77.0.K): a strict address book refuses their addresses
	// and CometBFT logs an error for each peer at every start.
	private, err := NewHome(filepath.Join(dir, "private"), "op3", "10.77.0.3:26656")
	must(t, err)
	if private.P2P != "10.77.0.3:26656" {
		t.Fatalf("NewHome at 10.77.0.3:26656 returned the peer address %q", private.P2P)
	}
	conf, err = LoadConfig(filepath.Join(dir, "private"))
	must(t, err)
	peerAddr, err := p2p.NewNetAddressString(private.NodeID + "@10.77.0.2:26656")
	must(t, err)
	book := pex.NewAddrBook(filepath.Join(dir, "addrbook.json"), conf.P2P.AddrBookStrict)
	if err := book.AddAddress(peerAddr, peerAddr); err != nil {
		t.Fatalf("the address book of a home at a private address refuses a peer at 10.77.0.2 (addr_book_strict = %v): %v", conf.P2P.AddrBookStrict, err)
	}
	if _, err := NewHome(filepath.Join(dir, "near"), "op2", "127.0.0.1:26657"); err != nil {
		t.Fatal(err)
	}
	conf, err = LoadConfig(filepath.Join(dir, "near"))
	must(t, err)
	if conf.P2P.ListenAddress != "tcp://127.0.0.1:26657" || conf.Consensus.TimeoutPropose != timeoutPropose || conf.Consensus.TimeoutCommit != timeoutCommit {
		t.Fatalf("a home on loopback: listen %q, timeout_propose %v, timeout_commit %v", conf.P2P.ListenAddress, conf.Consensus.TimeoutPropose, conf.Consensus.TimeoutCommit)
	}
	if _, err := NewHome(filepath.Join(dir, "noport"), "op3", "op3.example.org"); err == nil || !strings.Contains(err.Error(), "is not HOST:PORT") {
		t.Fatalf("NewHome without a port = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "noport")); !os.IsNotExist(err) {
		t.Fatalf("NewHome that refused its address wrote its home (%v)", err)
	}

	// ApplyNetwork refuses a network that gives the home's validator
	// another node ID.
	other, err := NewHome(filepath.Join(dir, "other"), "op4", "127.0.0.1:26658")
	must(t, err)
	swapped := peer
	swapped.NodeID = other.NodeID
	peers := []Peer{swapped, {ValidatorKey: other.ValidatorKey, NodeID: peer.NodeID, P2P: other.P2P}}
	gen, err := NewGenesis("evote", time.Now(), []string{"a", "b"}, peers)
	must(t, err)
	if err := ApplyNetwork(filepath.Join(dir, "far"), gen, peers); err == nil || !strings.Contains(err.Error(), "not its own") {
		t.Fatalf("ApplyNetwork with another node ID = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "far", "config", "genesis.json")); !os.IsNotExist(err) {
		t.Fatalf("ApplyNetwork that refused wrote the genesis (%v)", err)
	}
}

// TestLoopbackAddrs: the addresses are distinct loopback addresses whose
// ports lie below the kernel's ephemeral range, where no outgoing
// connection takes them, and are free once returned.
func TestLoopbackAddrs(t *testing.T) {
	addrs, err := LoopbackAddrs(8)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 8 {
		t.Fatalf("%d addresses, want 8", len(addrs))
	}
	high := ephemeralPortsFrom()
	seen := map[string]bool{}
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || host != "127.0.0.1" || p < minLoopbackPort || p >= high {
			t.Errorf("address %s: want 127.0.0.1 and a port in [%d, %d)", a, minLoopbackPort, high)
		}
		if seen[a] {
			t.Errorf("address %s given twice", a)
		}
		seen[a] = true
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Errorf("address %s is not free: %v", a, err)
			continue
		}
		l.Close()
	}
}

// TestStartWarnsWithoutMempoolCache: an operator whose home has no
// mempool cache (as an earlier evote wrote it) starts, and is warned, with
// the setting that mends it.
func TestStartWarnsWithoutMempoolCache(t *testing.T) {
	nw := newNetwork(t, 1, func(int) func() bulletin.Policy { return bulletin.NewOpenPolicy }, nil)
	if strings.Contains(nw.logs.String(), "cache_size") {
		t.Fatalf("an operator with the mempool's cache was warned:\n%s", nw.logs.String())
	}
	nw.stop(0)
	path := configFile(nw.homes[0])
	b, err := os.ReadFile(path)
	must(t, err)
	must(t, os.WriteFile(path, []byte(strings.Replace(string(b), fmt.Sprintf("cache_size = %d", mempoolCache), "cache_size = 0", 1)), 0o600))
	nw.start(0)
	if want := fmt.Sprintf("set cache_size = %d in %s", mempoolCache, path); !strings.Contains(nw.logs.String(), want) {
		t.Fatalf("the operator's logs do not say %q:\n%s", want, nw.logs.String())
	}
	if _, _, err := nw.post(t.Context(), 0, bulletin.Sign(testKey("alice"), "note", []byte(`{"n":1}`))); err != nil {
		t.Fatalf("posting to the operator without a mempool cache: %v", err)
	}
}
