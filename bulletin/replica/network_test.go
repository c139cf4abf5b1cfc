package replica

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evote/evote/bulletin"
)

// TestResubmission: a submission posted again after its record was
// committed, to the operator that took it or to another, reaches a block,
// which refuses it as a duplicate; posted to two operators at once, it
// becomes one record, which both acknowledge. Record times are block
// times: never going back along the log.
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
		var re *bulletin.RejectError
		if _, _, err := nw.post(ctx, op, first); !errors.As(err, &re) || re.Code != bulletin.CodeDuplicate {
			t.Fatalf("the same submission posted again to operator %d = %v, want a duplicate", op+1, err)
		}
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

// TestLoadConfig: an operator's home loads as InitNetwork wrote it, and
// not once its mempool keeps a cache, which would leave the poster of a
// resubmitted submission waiting for a block that never comes.
func TestLoadConfig(t *testing.T) {
	homes, err := InitNetwork(t.TempDir(), NetworkOptions{Operators: 4})
	must(t, err)
	conf, err := LoadConfig(homes[2])
	must(t, err)
	if conf.Moniker != "op3" || conf.Consensus.TimeoutCommit != timeoutCommit || len(strings.Split(conf.P2P.PersistentPeers, ",")) != 3 {
		t.Fatalf("op3's configuration: moniker %q, timeout_commit %v, peers %q", conf.Moniker, conf.Consensus.TimeoutCommit, conf.P2P.PersistentPeers)
	}
	path := filepath.Join(homes[2], "config", "config.toml")
	b, err := os.ReadFile(path)
	must(t, err)
	cached := strings.Replace(string(b), "cache_size = 0", "cache_size = 10000", 1)
	if cached == string(b) {
		t.Fatal("config.toml has no cache_size = 0")
	}
	must(t, os.WriteFile(path, []byte(cached), 0o600))
	if _, err := LoadConfig(homes[2]); err == nil || !strings.Contains(err.Error(), "cache_size") {
		t.Fatalf("LoadConfig with a mempool cache = %v", err)
	}
	if _, err := InitNetwork(filepath.Dir(homes[0]), NetworkOptions{}); err == nil {
		t.Fatal("InitNetwork over existing homes succeeded")
	}
}
