package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.NewMemory() })
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.CreateSQLite(context.Background(), filepath.Join(t.TempDir(), "board.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFaultyPassesWhenUnarmed(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.NewFaulty(store.NewMemory()) })
}

func TestSQLiteCreateOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "board.db")
	if _, err := store.OpenSQLite(ctx, path); err == nil {
		t.Fatalf("OpenSQLite of a missing file succeeded")
	}
	s, err := store.CreateSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, 0, [][]byte{[]byte("a")}, nil); err == nil {
		t.Fatalf("Append with no hashes succeeded")
	}
	s.Close()
	if _, err := store.CreateSQLite(ctx, path); err == nil {
		t.Fatalf("CreateSQLite over an existing file succeeded")
	}
	s, err = store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	// Data committed before Close is there after reopening.
	hashes := []tlog.Hash{tlog.RecordHash([]byte("a"))}
	if err := s.Append(ctx, 0, [][]byte{[]byte("a")}, hashes); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = store.OpenSQLite(ctx, path)
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
	os.WriteFile(other, []byte("not sqlite at all, not sqlite at all, not sqlite at all, not sqlite"), 0o644)
	if _, err := store.OpenSQLite(ctx, other); err == nil {
		t.Fatalf("OpenSQLite of a non-database succeeded")
	}
}
