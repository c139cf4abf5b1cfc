// Package sqlite is a bulletin board store (store.Store) in a SQLite
// database file, through github.com/mattn/go-sqlite3 (cgo and
// database/sql). It is a package of its own so that importers of package
// bulletin and package store, such as the voter's WebAssembly client, do
// not link SQLite.
//
// The database has an explicit, versioned schema (docs/spec/bulletin.md
// §10) and runs in WAL mode with synchronous=FULL. Create makes a new
// database; Open never creates a database or a schema. Both take the
// database's writer lock, so that one process at a time appends;
// OpenReadOnly reads a database beside the process that holds it. The
// alternative for tests and ephemeral boards is store.Memory.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/evote/evote/bulletin/store"
)

// schemaVersion identifies the layout below; Open refuses others.
const schemaVersion = "evote-board-v1"

// schema is the explicit schema of a board database.
const schema = `
CREATE TABLE evote_board (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
CREATE TABLE records (
	idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
	data BLOB NOT NULL
) STRICT;
CREATE TABLE hashes (
	idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
	hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
INSERT INTO evote_board (key, value) VALUES ('schema', '` + schemaVersion + `');
`

// maxHashesPerQuery bounds the number of bound parameters in one ReadHashes query.
const maxHashesPerQuery = 500

// ErrLocked is wrapped by the error of Create and Open when another store,
// in this process or another, holds the database's writer lock.
var ErrLocked = errors.New("another board process holds the database")

// Store is a store.Store in a SQLite database file, in WAL mode with
// synchronous=FULL, so that a committed Append survives a power loss.
// Several processes may read the file; only the one holding the writer lock
// (Create, Open) appends.
type Store struct {
	db   *sql.DB
	path string
	lock *os.File // the held writer lock; nil if opened read-only
}

var _ store.MetaStore = (*Store)(nil)

// Create creates a new board database at path, with the schema, and opens
// it with the writer lock (see Open). It fails if the file already exists.
func Create(ctx context.Context, path string) (*Store, error) {
	lock, err := lockDatabase(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("sqlite: creating database: %w", err)
	}
	f.Close()
	s, err := open(path, "rw")
	if err != nil {
		lock.Close()
		os.Remove(path)
		return nil, err
	}
	s.lock = lock
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		s.Close()
		os.Remove(path)
		return nil, fmt.Errorf("sqlite: creating schema in %s: %w", path, err)
	}
	return s, nil
}

// Open opens an existing board database created by Create, to append to
// it. It never creates a database or a schema: a missing file or a database
// with a different schema is an error.
//
// Open takes the database's writer lock, an exclusive flock(2) on the file
// path+".lock" beside it (created if missing, never removed), held until
// Close: while one Store holds it, Create and Open of the same database fail
// with an error wrapping ErrLocked, in this process or another. A second
// board on one database would otherwise run with a view of the log that
// the first one's appends make stale. The lock is advisory: it binds only
// this package. On systems without flock(2), such as Windows, the lock file
// is created but not locked, and nothing stops a second board.
func Open(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: opening database: %w", err)
	}
	lock, err := lockDatabase(path)
	if err != nil {
		return nil, err
	}
	s, err := openExisting(ctx, path, "rw")
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// OpenReadOnly opens an existing board database for reading only, without
// the writer lock: for example to export it while a board serves it. Its
// Append and CheckWrite fail, with SQLite's read-only error.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: opening database: %w", err)
	}
	return openExisting(ctx, path, "ro")
}

// lockDatabase takes the writer lock of the database at path (see Open).
func lockDatabase(path string) (*os.File, error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening the lock file of %s: %w", path, err)
	}
	ok, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: locking %s: %w", lockPath, err)
	}
	if !ok {
		f.Close()
		return nil, fmt.Errorf("sqlite: %s: %w (lock file %s)", path, ErrLocked, lockPath)
	}
	return f, nil
}

// openExisting opens the database at path in the given SQLite access mode
// ("rw" or "ro") and checks its schema.
func openExisting(ctx context.Context, path, access string) (*Store, error) {
	s, err := open(path, access)
	if err != nil {
		return nil, err
	}
	var v string
	err = s.db.QueryRowContext(ctx, "SELECT value FROM evote_board WHERE key = 'schema'").Scan(&v)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: %s is not a board database: %w", path, err)
	}
	if v != schemaVersion {
		s.Close()
		return nil, fmt.Errorf("sqlite: %s has schema %q, want %q", path, v, schemaVersion)
	}
	return s, nil
}

// open opens the database at path in SQLite access mode ("rw" or "ro") and
// checks its journal mode and synchronous setting.
func open(path, access string) (*Store, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q must not contain '?' or '#'", path)
	}
	// mode=rw or ro: never create here. _txlock=immediate: writers take the lock
	// at BEGIN, so busy_timeout applies instead of failing at COMMIT.
	dsn := "file:" + path + "?mode=" + access + "&_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_txlock=immediate&_foreign_keys=1"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := &Store{db: db, path: path}
	var mode string
	var sync int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	if mode != "wal" || sync != 2 {
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", path, mode, sync)
	}
	return s, nil
}

// Size implements store.Store.
func (s *Store) Size(ctx context.Context) (int64, error) {
	return readSize(ctx, s.db)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readSize(ctx context.Context, q queryer) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(idx) + 1, 0) FROM records").Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: reading size: %w", err)
	}
	return n, nil
}

// Append implements store.Store. The batch is one transaction.
func (s *Store) Append(ctx context.Context, start int64, records [][]byte, hashes []tlog.Hash) error {
	return s.append(ctx, start, records, hashes, func(tx *sql.Tx, size int64) error {
		return store.CheckAppend(size, start, records, hashes)
	})
}

// AppendMeta implements store.MetaStore: the batch and the value of key,
// a row of table evote_board, are one transaction. The keys the store
// uses itself, schema and probe, are refused.
func (s *Store) AppendMeta(ctx context.Context, start int64, records [][]byte, hashes []tlog.Hash, key, value string) error {
	if key == "schema" || key == "probe" {
		return fmt.Errorf("sqlite: the key %q is the store's own", key)
	}
	return s.append(ctx, start, records, hashes, func(tx *sql.Tx, size int64) error {
		if err := store.CheckAppendMeta(size, start, records, hashes, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO evote_board (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value); err != nil {
			return fmt.Errorf("sqlite: setting %q: %w", key, err)
		}
		return nil
	})
}

// append stores records and hashes from start in one transaction. First,
// in it, before checks the arguments against the current size and writes
// whatever else the transaction holds.
func (s *Store) append(ctx context.Context, start int64, records [][]byte, hashes []tlog.Hash, before func(tx *sql.Tx, size int64) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: beginning append: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	size, err := readSize(ctx, tx)
	if err != nil {
		return err
	}
	if err := before(tx, size); err != nil {
		return err
	}
	if err := insertRows(ctx, tx, "records", "data", start, len(records), func(i int) any { return records[i] }); err != nil {
		return err
	}
	hstart := tlog.StoredHashCount(start)
	if err := insertRows(ctx, tx, "hashes", "hash", hstart, len(hashes), func(i int) any { return hashes[i][:] }); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: committing records [%d, %d): %w", start, start+int64(len(records)), err)
	}
	return nil
}

// Meta implements store.MetaStore.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT value FROM evote_board WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: reading %q: %w", key, err)
	}
	return v, nil
}

// insertRows inserts n rows (first+i, value(i)) into table with multi-row
// INSERT statements.
func insertRows(ctx context.Context, tx *sql.Tx, table, col string, first int64, n int, value func(int) any) error {
	const chunk = 200
	var full *sql.Stmt
	for done := 0; done < n; {
		k := min(chunk, n-done)
		var stmt *sql.Stmt
		var err error
		if k == chunk && full != nil {
			stmt = full
		} else {
			q := "INSERT INTO " + table + " (idx, " + col + ") VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?),", k), ",")
			stmt, err = tx.PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("sqlite: preparing insert into %s: %w", table, err)
			}
			if k == chunk {
				full = stmt
			} else {
				defer stmt.Close()
			}
		}
		args := make([]any, 0, 2*k)
		for i := done; i < done+k; i++ {
			args = append(args, first+int64(i), value(i))
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("sqlite: inserting into %s at %d: %w", table, first+int64(done), err)
		}
		done += k
	}
	if full != nil {
		full.Close()
	}
	return nil
}

// Records implements store.Store.
func (s *Store) Records(ctx context.Context, start, end int64) ([][]byte, error) {
	if start < 0 || start > end {
		return nil, store.CheckRange(end, start, end)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT idx, data FROM records WHERE idx >= ? AND idx < ? ORDER BY idx", start, end)
	if err != nil {
		return nil, fmt.Errorf("sqlite: reading records [%d, %d): %w", start, end, err)
	}
	defer rows.Close()
	out := make([][]byte, 0, end-start)
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, fmt.Errorf("sqlite: reading records [%d, %d): %w", start, end, err)
		}
		if idx != start+int64(len(out)) {
			return nil, fmt.Errorf("sqlite: records table has a gap before index %d", idx)
		}
		out = append(out, data)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: reading records [%d, %d): %w", start, end, err)
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("%w: records [%d, %d), only %d stored", store.ErrNotFound, start, end, start+int64(len(out)))
	}
	return out, nil
}

// ReadHashes implements store.Store and tlog.HashReader.
func (s *Store) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	pos := make(map[int64][]int, len(indexes))
	for i, x := range indexes {
		pos[x] = append(pos[x], i)
	}
	uniq := make([]any, 0, len(pos))
	for x := range pos {
		uniq = append(uniq, x)
	}
	found := 0
	for len(uniq) > 0 {
		k := min(len(uniq), maxHashesPerQuery)
		q := "SELECT idx, hash FROM hashes WHERE idx IN (" + strings.TrimSuffix(strings.Repeat("?,", k), ",") + ")"
		rows, err := s.db.Query(q, uniq[:k]...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: reading hashes: %w", err)
		}
		for rows.Next() {
			var idx int64
			var h []byte
			if err := rows.Scan(&idx, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: reading hashes: %w", err)
			}
			if len(h) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("sqlite: stored hash %d has %d bytes", idx, len(h))
			}
			for _, i := range pos[idx] {
				copy(out[i][:], h)
			}
			found++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("sqlite: reading hashes: %w", err)
		}
		uniq = uniq[k:]
	}
	if found != len(pos) {
		return nil, fmt.Errorf("%w: %d of %d stored hashes missing", store.ErrNotFound, len(pos)-found, len(pos))
	}
	return out, nil
}

// CheckWrite commits a small write to the database, the current time under
// the key 'probe' of table evote_board, to find out whether an Append could
// commit now: it fails as an Append would if the database or its file
// system turned read-only, full or faulty. Records and hashes are
// untouched. Each call writes and syncs the write-ahead log, so callers
// should space their calls out (the server checks at most once a second).
func (s *Store) CheckWrite(ctx context.Context) error {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	_, err := s.db.ExecContext(ctx, "INSERT INTO evote_board (key, value) VALUES ('probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", now)
	if err != nil {
		return fmt.Errorf("sqlite: probing a write to %s: %w", s.path, err)
	}
	return nil
}

// FreeSpace returns the bytes available to this process on the file system
// of the database (and of its write-ahead log, beside it). It returns an
// error wrapping errors.ErrUnsupported on systems where the package cannot
// tell (see fs_other.go).
func (s *Store) FreeSpace() (uint64, error) {
	n, err := freeSpace(filepath.Dir(s.path))
	if err != nil {
		return 0, fmt.Errorf("sqlite: free space beside %s: %w", s.path, err)
	}
	return n, nil
}

// Close implements store.Store. It releases the writer lock.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.lock != nil {
		s.lock.Close() // closing the descriptor releases the flock
	}
	if err != nil {
		return fmt.Errorf("sqlite: closing %s: %w", s.path, err)
	}
	return nil
}
