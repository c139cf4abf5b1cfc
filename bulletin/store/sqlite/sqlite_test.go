package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

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
