// Package storetest provides a conformance suite for store.Store
// implementations, and wrappers for testing their users: one that injects
// faults (Faulty) and one that holds back long reads (Gated).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/store"
)

// record returns the deterministic test record with index i.
func record(i int64) []byte {
	return fmt.Appendf(nil, `{"test-record":%d,"pad":"%s"}`, i, bytes.Repeat([]byte{'x'}, int(i%7)))
}

// batch returns records [start, end) and their stored hashes, computed with
// tlog over the previously stored hashes read from r.
func batch(t testing.TB, r tlog.HashReader, start, end int64) ([][]byte, []tlog.Hash) {
	t.Helper()
	var recs [][]byte
	var hashes []tlog.Hash
	base := tlog.StoredHashCount(start)
	overlay := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= base {
				out[i] = hashes[x-base]
				continue
			}
			h, err := r.ReadHashes([]int64{x})
			if err != nil {
				return nil, err
			}
			out[i] = h[0]
		}
		return out, nil
	})
	for i := start; i < end; i++ {
		rec := record(i)
		hs, err := tlog.StoredHashes(i, rec, overlay)
		if err != nil {
			t.Fatalf("StoredHashes(%d): %v", i, err)
		}
		recs = append(recs, rec)
		hashes = append(hashes, hs...)
	}
	return recs, hashes
}

// Run runs the conformance suite against stores returned by newStore, which
// must return a new, empty store each time it is called. The suite closes them.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	open := func(t *testing.T) store.Store {
		s := newStore(t)
		t.Cleanup(func() { s.Close() })
		return s
	}

	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		if n, err := s.Size(ctx); n != 0 || err != nil {
			t.Fatalf("Size() = %d, %v, want 0, nil", n, err)
		}
		if recs, err := s.Records(ctx, 0, 0); err != nil || len(recs) != 0 {
			t.Fatalf("Records(0, 0) = %d records, %v, want 0, nil", len(recs), err)
		}
		if _, err := s.Records(ctx, 0, 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Records(0, 1) error = %v, want ErrNotFound", err)
		}
		if _, err := s.ReadHashes([]int64{0}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ReadHashes([0]) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("AppendRead", func(t *testing.T) {
		s := open(t)
		var size int64
		for _, k := range []int64{1, 1, 2, 5, 1, 17, 300, 3} {
			recs, hashes := batch(t, s, size, size+k)
			if err := s.Append(ctx, size, recs, hashes); err != nil {
				t.Fatalf("Append(%d, %d records): %v", size, k, err)
			}
			size += k
			if n, err := s.Size(ctx); n != size || err != nil {
				t.Fatalf("Size() = %d, %v, want %d, nil", n, err, size)
			}
		}
		all, err := s.Records(ctx, 0, size)
		if err != nil {
			t.Fatalf("Records(0, %d): %v", size, err)
		}
		for i, r := range all {
			if !bytes.Equal(r, record(int64(i))) {
				t.Fatalf("Records(0, %d)[%d] = %q, want %q", size, i, r, record(int64(i)))
			}
		}
		for _, rg := range [][2]int64{{0, 0}, {0, 1}, {5, 9}, {size - 1, size}, {size, size}} {
			got, err := s.Records(ctx, rg[0], rg[1])
			if err != nil || int64(len(got)) != rg[1]-rg[0] {
				t.Fatalf("Records(%d, %d) = %d records, %v", rg[0], rg[1], len(got), err)
			}
			for i, r := range got {
				if !bytes.Equal(r, record(rg[0]+int64(i))) {
					t.Fatalf("Records(%d, %d)[%d] = %q", rg[0], rg[1], i, r)
				}
			}
		}
		for _, rg := range [][2]int64{{0, size + 1}, {size, size + 1}, {size + 5, size + 9}} {
			if _, err := s.Records(ctx, rg[0], rg[1]); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Records(%d, %d) error = %v, want ErrNotFound", rg[0], rg[1], err)
			}
		}
		if _, err := s.Records(ctx, 5, 4); err == nil {
			t.Fatalf("Records(5, 4) succeeded")
		}
		// The stored hashes must be those of the tree: compare with a fresh computation.
		_, want := batch(t, nil, 0, size)
		idx := make([]int64, len(want))
		for i := range idx {
			idx[len(idx)-1-i] = int64(i) // reverse order: ReadHashes must keep the caller's order
		}
		got, err := s.ReadHashes(idx)
		if err != nil {
			t.Fatalf("ReadHashes(all): %v", err)
		}
		for i, x := range idx {
			if got[i] != want[x] {
				t.Fatalf("ReadHashes: hash %d = %v, want %v", x, got[i], want[x])
			}
		}
		if got, err := s.ReadHashes([]int64{3, 3, 0}); err != nil || got[0] != want[3] || got[1] != want[3] || got[2] != want[0] {
			t.Fatalf("ReadHashes([3 3 0]) = %v, %v", got, err)
		}
		if _, err := s.ReadHashes([]int64{0, int64(len(want))}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ReadHashes(past end) error = %v, want ErrNotFound", err)
		}
		th, err := tlog.TreeHash(size, s)
		if err != nil {
			t.Fatalf("TreeHash: %v", err)
		}
		wantTH, _ := tlog.TreeHash(size, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				out[i] = want[x]
			}
			return out, nil
		}))
		if th != wantTH {
			t.Fatalf("TreeHash(%d) over store = %v, want %v", size, th, wantTH)
		}
	})

	t.Run("Conflict", func(t *testing.T) {
		s := open(t)
		recs, hashes := batch(t, s, 0, 3)
		if err := s.Append(ctx, 0, recs, hashes); err != nil {
			t.Fatal(err)
		}
		// Re-appending at 0, or appending past the end, must fail and change nothing.
		if err := s.Append(ctx, 0, recs, hashes); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Append(0) again error = %v, want ErrConflict", err)
		}
		r4, h4 := batch(t, s, 3, 4)
		if err := s.Append(ctx, 4, r4, h4); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Append(4) with size 3 error = %v, want ErrConflict", err)
		}
		// Wrong number of hashes.
		if err := s.Append(ctx, 3, r4, h4[:len(h4)-1]); err == nil || errors.Is(err, store.ErrConflict) {
			t.Fatalf("Append with short hashes error = %v, want a non-conflict error", err)
		}
		if err := s.Append(ctx, 3, nil, nil); err == nil {
			t.Fatalf("Append of no records succeeded")
		}
		if n, _ := s.Size(ctx); n != 3 {
			t.Fatalf("Size() after failed appends = %d, want 3", n)
		}
		if _, err := s.ReadHashes([]int64{tlog.StoredHashCount(3)}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("hash of failed append is readable: %v", err)
		}
	})

	t.Run("Meta", func(t *testing.T) {
		s, ok := open(t).(store.MetaStore)
		if !ok {
			t.Skip("not a store.MetaStore")
		}
		meta := func(want string) {
			t.Helper()
			if got, err := s.Meta(ctx, "k"); got != want || err != nil {
				t.Fatalf("Meta(k) = %q, %v, want %q, nil", got, err, want)
			}
		}
		meta("")
		recs, hashes := batch(t, s, 0, 3)
		if err := s.AppendMeta(ctx, 0, recs, hashes, "k", "v1"); err != nil {
			t.Fatalf("AppendMeta(0, 3 records): %v", err)
		}
		meta("v1")
		if err := s.AppendMeta(ctx, 3, nil, nil, "k", "v2"); err != nil {
			t.Fatalf("AppendMeta(3, no records): %v", err)
		}
		meta("v2")
		if n, _ := s.Size(ctx); n != 3 {
			t.Fatalf("Size() = %d, want 3", n)
		}
		// A refused append sets no value.
		if err := s.AppendMeta(ctx, 2, nil, nil, "k", "v3"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("AppendMeta(2) with size 3 error = %v, want ErrConflict", err)
		}
		r4, h4 := batch(t, s, 3, 4)
		if err := s.AppendMeta(ctx, 3, r4, h4[:len(h4)-1], "k", "v3"); err == nil {
			t.Fatalf("AppendMeta with short hashes succeeded")
		}
		if err := s.AppendMeta(ctx, 3, nil, h4, "k", "v3"); err == nil {
			t.Fatalf("AppendMeta of hashes without records succeeded")
		}
		meta("v2")
		if err := s.AppendMeta(ctx, 3, r4, h4, "k", "v4"); err != nil {
			t.Fatalf("AppendMeta(3, 1 record): %v", err)
		}
		meta("v4")
		if got, err := s.Records(ctx, 3, 4); err != nil || !bytes.Equal(got[0], r4[0]) {
			t.Fatalf("Records(3, 4) = %q, %v", got, err)
		}
		if got, err := s.Meta(ctx, "other"); got != "" || err != nil {
			t.Fatalf("Meta(other) = %q, %v, want empty", got, err)
		}
	})

	t.Run("Copies", func(t *testing.T) {
		s := open(t)
		recs, hashes := batch(t, s, 0, 2)
		want := bytes.Clone(recs[0])
		if err := s.Append(ctx, 0, recs, hashes); err != nil {
			t.Fatal(err)
		}
		recs[0][0] = 'X' // the store must not alias the caller's slices
		got, _ := s.Records(ctx, 0, 1)
		if !bytes.Equal(got[0], want) {
			t.Fatalf("store aliases Append input: got %q", got[0])
		}
		got[0][0] = 'Y'
		again, _ := s.Records(ctx, 0, 1)
		if !bytes.Equal(again[0], want) {
			t.Fatalf("store aliases Records output: got %q", again[0])
		}
	})

	t.Run("ConcurrentReads", func(t *testing.T) {
		s := open(t)
		const total = 200
		var wg sync.WaitGroup
		stop := make(chan struct{})
		errc := make(chan error, 4)
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					n, err := s.Size(ctx)
					if err != nil {
						errc <- err
						return
					}
					if n == 0 {
						continue
					}
					// A visible record always has its hashes.
					if _, err := s.ReadHashes([]int64{tlog.StoredHashCount(n) - 1}); err != nil {
						errc <- fmt.Errorf("size %d but last hash unreadable: %w", n, err)
						return
					}
					recs, err := s.Records(ctx, n-1, n)
					if err != nil || !bytes.Equal(recs[0], record(n-1)) {
						errc <- fmt.Errorf("Records(%d, %d) = %q, %v", n-1, n, recs, err)
						return
					}
				}
			}()
		}
		for size := int64(0); size < total; size += 5 {
			recs, hashes := batch(t, s, size, size+5)
			if err := s.Append(ctx, size, recs, hashes); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
		select {
		case err := <-errc:
			t.Fatal(err)
		default:
		}
	})
}
