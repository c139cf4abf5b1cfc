package store

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Memory is a Store kept in memory, for tests and ephemeral boards.
// It is not durable.
type Memory struct {
	mu      sync.RWMutex
	records [][]byte
	hashes  []tlog.Hash
	meta    map[string]string
	closed  bool
}

// NewMemory returns an empty memory store.
func NewMemory() *Memory { return new(Memory) }

var _ MetaStore = (*Memory)(nil)

// Size implements Store.
func (m *Memory) Size(ctx context.Context) (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return 0, errClosed
	}
	return int64(len(m.records)), nil
}

// Append implements Store.
func (m *Memory) Append(ctx context.Context, start int64, records [][]byte, hashes []tlog.Hash) error {
	return m.append(ctx, records, hashes, func(size int64) error {
		return CheckAppend(size, start, records, hashes)
	})
}

// AppendMeta implements MetaStore.
func (m *Memory) AppendMeta(ctx context.Context, start int64, records [][]byte, hashes []tlog.Hash, key, value string) error {
	return m.append(ctx, records, hashes, func(size int64) error {
		if err := CheckAppendMeta(size, start, records, hashes, key); err != nil {
			return err
		}
		if m.meta == nil {
			m.meta = make(map[string]string)
		}
		m.meta[key] = value
		return nil
	})
}

// append adds records and hashes, once before, given the current size,
// has checked them and done whatever else goes with them, under m.mu.
func (m *Memory) append(ctx context.Context, records [][]byte, hashes []tlog.Hash, before func(size int64) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: append: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	if err := before(int64(len(m.records))); err != nil {
		return err
	}
	for _, r := range records {
		m.records = append(m.records, bytes.Clone(r))
	}
	m.hashes = append(m.hashes, hashes...)
	return nil
}

// Meta implements MetaStore.
func (m *Memory) Meta(ctx context.Context, key string) (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return "", errClosed
	}
	return m.meta[key], nil
}

// Records implements Store.
func (m *Memory) Records(ctx context.Context, start, end int64) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, errClosed
	}
	if err := CheckRange(int64(len(m.records)), start, end); err != nil {
		return nil, err
	}
	out := make([][]byte, 0, end-start)
	for _, r := range m.records[start:end] {
		out = append(out, bytes.Clone(r))
	}
	return out, nil
}

// ReadHashes implements Store and tlog.HashReader.
func (m *Memory) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, errClosed
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("%w: stored hash %d", ErrNotFound, x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
