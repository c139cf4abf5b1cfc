// Package store holds the durable state of a bulletin board: the encoded
// records and the tlog stored hashes of the Merkle tree over them.
//
// The store does not interpret records: each is an opaque byte string (the
// board writes the canonical JSON encoding of a bulletin.Record). This keeps
// implementations small. Memory is here; the durable SQLite store is in
// package bulletin/store/sqlite, apart so that this package and package
// bulletin link no cgo or database/sql (the voter's WebAssembly client
// imports them). A replicated database (for example PostgreSQL through
// github.com/jackc/pgx/v5) can implement the same interface.
//
// Every implementation must pass storetest.Run.
package store

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// ErrConflict is returned by Append when start is not the current size:
// another writer appended, or the caller's view of the log is stale.
var ErrConflict = errors.New("store: append does not start at the current size")

// ErrNotFound is returned when a read asks for records or hashes that are
// not stored.
var ErrNotFound = errors.New("store: not found")

var errClosed = errors.New("store: closed")

// Store is the durable, append-only storage of a log.
//
// Consistency: the records form a contiguous sequence 0, 1, …, Size()-1, and
// the stored hashes a contiguous sequence 0, 1, …, tlog.StoredHashCount(Size())-1.
// Append adds records and their hashes atomically: a reader sees all of a
// batch or none of it, and never a record without its hashes. Stored data is
// never modified or removed.
//
// Durability: when Append returns nil, the batch survives a crash of the
// process (SIGKILL) and, for stores that promise it (SQLite with
// synchronous=FULL), of the machine. When Append returns an error, the batch
// may or may not have been stored; the caller must re-read Size to find out.
//
// Concurrency: all methods are safe for concurrent use. Reads run concurrently
// with an Append and see either the state before or after it. The log calls
// Append from a single goroutine; an implementation rejects a concurrent
// conflicting Append with ErrConflict rather than interleaving.
type Store interface {
	// Size returns the number of records stored.
	Size(ctx context.Context) (int64, error)

	// Append stores records as indexes start, start+1, … together with
	// hashes, the tlog stored hashes with indexes
	// tlog.StoredHashCount(start) up to tlog.StoredHashCount(start+len(records)).
	// It returns an error wrapping ErrConflict, changing nothing, if start
	// is not the current size.
	Append(ctx context.Context, start int64, records [][]byte, hashes []tlog.Hash) error

	// Records returns the records with indexes start up to (not including)
	// end. It returns an error wrapping ErrNotFound if end > Size().
	// The caller owns the returned slices.
	Records(ctx context.Context, start, end int64) ([][]byte, error)

	// ReadHashes returns the stored hashes with the given indexes, in the
	// same order (implementing tlog.HashReader). It returns an error
	// wrapping ErrNotFound if any of them is not stored.
	ReadHashes(indexes []int64) ([]tlog.Hash, error)

	// Close releases the store's resources. Other methods must not be
	// called after Close.
	Close() error
}

// MetaStore is a Store that also keeps named values beside the log, each
// written in the same transaction as a batch of records. A replicated board
// keeps there the consensus height and app hash its records reached
// (docs/spec/replicated-board.md §4), so that the two never disagree after
// a crash.
//
// Consistency, durability and concurrency are those of Store: AppendMeta
// is atomic (a reader sees the records, their hashes and the value
// together, or none of them), durable when it returns nil, and a
// concurrent conflicting AppendMeta or Append fails with ErrConflict.
type MetaStore interface {
	Store

	// AppendMeta is Append that also sets the value of key, in the same
	// transaction. records may be empty (and hashes then too): only the
	// value is set, provided start is the current size.
	AppendMeta(ctx context.Context, start int64, records [][]byte, hashes []tlog.Hash, key, value string) error

	// Meta returns the value of key, or "" if it was never set.
	Meta(ctx context.Context, key string) (string, error)
}

// CheckAppendMeta validates the arguments of MetaStore.AppendMeta against
// the current size; implementations call it inside their transaction.
func CheckAppendMeta(size, start int64, records [][]byte, hashes []tlog.Hash, key string) error {
	if key == "" {
		return errors.New("store: append with an empty key")
	}
	if len(records) > 0 {
		return CheckAppend(size, start, records, hashes)
	}
	if start != size {
		return fmt.Errorf("%w: start %d, size %d", ErrConflict, start, size)
	}
	if len(hashes) != 0 {
		return fmt.Errorf("store: append of no records with %d hashes", len(hashes))
	}
	return nil
}

// CheckAppend validates the arguments of Store.Append against the current
// size; implementations call it inside their transaction.
func CheckAppend(size, start int64, records [][]byte, hashes []tlog.Hash) error {
	if start != size {
		return fmt.Errorf("%w: start %d, size %d", ErrConflict, start, size)
	}
	if len(records) == 0 {
		return errors.New("store: append of no records")
	}
	want := tlog.StoredHashCount(start+int64(len(records))) - tlog.StoredHashCount(start)
	if int64(len(hashes)) != want {
		return fmt.Errorf("store: append of %d records with %d hashes, want %d", len(records), len(hashes), want)
	}
	return nil
}

// CheckRange validates the arguments of Store.Records against the current size.
func CheckRange(size, start, end int64) error {
	if start < 0 || start > end {
		return fmt.Errorf("store: bad record range [%d, %d)", start, end)
	}
	if end > size {
		return fmt.Errorf("%w: records [%d, %d) with size %d", ErrNotFound, start, end, size)
	}
	return nil
}

// copyPage is how many records Copy moves per Append.
const copyPage = 1000

// Copy appends records [0, n) of src, with their stored hashes, to dst,
// which must be empty: a snapshot of a board as it was at size n, which a
// board can serve again (it re-signs a checkpoint when it opens). src may
// be in use by a running board.
func Copy(ctx context.Context, dst, src Store, n int64) error {
	if size, err := dst.Size(ctx); err != nil || size != 0 {
		return fmt.Errorf("store: copy: the destination is not empty (size %d, %v)", size, err)
	}
	for start := int64(0); start < n; start += copyPage {
		end := min(n, start+copyPage)
		recs, err := src.Records(ctx, start, end)
		if err != nil {
			return fmt.Errorf("store: copy: %w", err)
		}
		first, last := tlog.StoredHashCount(start), tlog.StoredHashCount(end)
		idx := make([]int64, 0, last-first)
		for i := first; i < last; i++ {
			idx = append(idx, i)
		}
		hashes, err := src.ReadHashes(idx)
		if err != nil {
			return fmt.Errorf("store: copy: %w", err)
		}
		if err := dst.Append(ctx, start, recs, hashes); err != nil {
			return fmt.Errorf("store: copy: %w", err)
		}
	}
	return nil
}
