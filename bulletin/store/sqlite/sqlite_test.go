package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/bulletin/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Create(context.Background(), filepath.Join(t.TempDir(), "board.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestCreateOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "board.db")
	if _, err := sqlite.Open(ctx, path); err == nil {
		t.Fatalf("Open of a missing file succeeded")
	}
	s, err := sqlite.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, 0, [][]byte{[]byte("a")}, nil); err == nil {
		t.Fatalf("Append with no hashes succeeded")
	}
	s.Close()
	if _, err := sqlite.Create(ctx, path); err == nil {
		t.Fatalf("Create over an existing file succeeded")
	}
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// Data committed before Close is there after reopening.
	hashes := []tlog.Hash{tlog.RecordHash([]byte("a"))}
	if err := s.Append(ctx, 0, [][]byte{[]byte("a")}, hashes); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Size(ctx); n != 1 || err != nil {
		t.Fatalf("Size after reopen = %d, %v", n, err)
	}
	if h, err := s.ReadHashes([]int64{0}); err != nil || h[0] != hashes[0] {
		t.Fatalf("ReadHashes after reopen = %v, %v", h, err)
	}
	// A file that is not a board database is refused.
	other := filepath.Join(t.TempDir(), "other.db")
	if err := os.WriteFile(other, []byte("not sqlite at all, not sqlite at all, not sqlite at all, not sqlite"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(ctx, other); err == nil {
		t.Fatalf("Open of a non-database succeeded")
	}
}

// appendOne appends data as the next record, with zero stored hashes.
func appendOne(t *testing.T, s store.Store, data string) {
	t.Helper()
	ctx := context.Background()
	n, err := s.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hashes := make([]tlog.Hash, tlog.StoredHashCount(n+1)-tlog.StoredHashCount(n))
	if err := s.Append(ctx, n, [][]byte{[]byte(data)}, hashes); err != nil {
		t.Fatalf("Append(%d): %v", n, err)
	}
}

// TestWriterLock checks that one Store at a time holds a database for
// appending: flock locks belong to the open file description, so a second
// Open in this very process conflicts as a second process would.
func TestWriterLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "board.db")
	first, err := sqlite.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	appendOne(t, first, "a")
	_, err = sqlite.Open(ctx, path)
	if !errors.Is(err, sqlite.ErrLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another board process holds the database") {
		t.Fatalf("second Open = %v, want ErrLocked naming %s", err, path)
	}
	// Create takes the lock before looking at the file.
	if _, err := sqlite.Create(ctx, path); !errors.Is(err, sqlite.ErrLocked) {
		t.Fatalf("Create of a locked database = %v, want ErrLocked", err)
	}
	// A reader needs no lock and sees the holder's appends.
	r, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly beside the lock holder: %v", err)
	}
	defer r.Close()
	appendOne(t, first, "b")
	if n, err := r.Size(ctx); n != 2 || err != nil {
		t.Fatalf("reader Size = %d, %v, want 2", n, err)
	}
	if err := r.Append(ctx, 2, [][]byte{[]byte("c")}, make([]tlog.Hash, 1)); err == nil {
		t.Fatalf("Append to a read-only store succeeded")
	}
	// Close releases the lock.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	defer second.Close()
	if _, err := sqlite.Open(ctx, path); !errors.Is(err, sqlite.ErrLocked) {
		t.Fatalf("Open of a database another Open holds = %v, want ErrLocked", err)
	}
}

func TestCheckWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "board.db")
	s, err := sqlite.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendOne(t, s, "a")
	for range 2 {
		if err := s.CheckWrite(ctx); err != nil {
			t.Fatalf("CheckWrite: %v", err)
		}
	}
	// The probe is committed to the file: another connection reads it.
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var probe string
	if err := db.QueryRow("SELECT value FROM evote_board WHERE key = 'probe'").Scan(&probe); err != nil {
		t.Fatalf("reading the probe from another connection: %v", err)
	}
	if _, err := time.Parse(time.RFC3339Nano, probe); err != nil {
		t.Fatalf("probe value %q is not a time: %v", probe, err)
	}
	// The log is unchanged.
	if n, err := s.Size(ctx); n != 1 || err != nil {
		t.Fatalf("Size after CheckWrite = %d, %v, want 1", n, err)
	}
	if recs, err := s.Records(ctx, 0, 1); err != nil || string(recs[0]) != "a" {
		t.Fatalf("Records after CheckWrite = %q, %v", recs, err)
	}
	if free, err := s.FreeSpace(); err != nil || free == 0 {
		t.Fatalf("FreeSpace = %d, %v", free, err)
	}

	// A read-only database fails the probe with SQLite's error.
	r, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.CheckWrite(ctx); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Fatalf("CheckWrite of a read-only store = %v, want SQLite's read-only error", err)
	}
}

// TestMetaKeepsOwnKeys: the values a replicated board keeps beside its
// records share table evote_board with the store's own, which they
// cannot overwrite: the database stays a board database.
func TestMetaKeepsOwnKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "board.db")
	s, err := sqlite.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema", "probe"} {
		if err := s.AppendMeta(ctx, 0, nil, nil, key, "x"); err == nil {
			t.Errorf("AppendMeta(%q) succeeded", key)
		}
	}
	if err := s.AppendMeta(ctx, 0, nil, nil, "consensus", "1 00"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("the database does not open after AppendMeta: %v", err)
	}
	defer r.Close()
	if v, err := r.Meta(ctx, "consensus"); v != "1 00" || err != nil {
		t.Fatalf("Meta(consensus) = %q, %v", v, err)
	}
}
