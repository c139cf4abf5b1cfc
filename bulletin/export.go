package bulletin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/store"
)

// Export writes every record of s, in index order, as JSON Lines: the
// canonical encoding of each record followed by "\n" (docs/spec/bulletin.md §7).
// It returns the number of records written.
func Export(ctx context.Context, s store.Store, w io.Writer) (int64, error) {
	n, err := s.Size(ctx)
	if err != nil {
		return 0, fmt.Errorf("bulletin: exporting: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	const page = 1000
	for start := int64(0); start < n; start += page {
		recs, err := s.Records(ctx, start, min(n, start+page))
		if err != nil {
			return start, fmt.Errorf("bulletin: exporting: %w", err)
		}
		for _, r := range recs {
			bw.Write(r)
			bw.WriteByte('\n')
		}
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("bulletin: exporting: %w", err)
	}
	return n, nil
}

// ExportError names the first bad record of an export: Index is the
// position (0-based line number) at which the export stops being valid.
type ExportError struct {
	Index  int64
	Reason string
}

// Error implements error; it names the record and its line.
func (e *ExportError) Error() string {
	return fmt.Sprintf("record %d (line %d): %s", e.Index, e.Index+1, e.Reason)
}

// VerifiedLog is the result of verifying an export: its size, root hash and
// the tree, to check checkpoints against.
type VerifiedLog struct {
	Size   int64
	Hash   tlog.Hash
	hashes []tlog.Hash
}

// ReadHashes implements tlog.HashReader over the verified tree.
func (v *VerifiedLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(v.hashes)) {
			return nil, fmt.Errorf("bulletin: stored hash %d not in a log of size %d", x, v.Size)
		}
		out[i] = v.hashes[x]
	}
	return out, nil
}

// TreeHash returns the root hash of the tree of the first size records.
func (v *VerifiedLog) TreeHash(size int64) (tlog.Hash, error) {
	if size < 0 || size > v.Size {
		return tlog.Hash{}, fmt.Errorf("bulletin: the export has %d records, fewer than checkpoint size %d", v.Size, size)
	}
	return tlog.TreeHash(size, v)
}

// CheckCheckpoint checks that the export's tree of size c.Size has root c.Hash.
func (v *VerifiedLog) CheckCheckpoint(c Checkpoint) error {
	h, err := v.TreeHash(c.Size)
	if err != nil {
		return err
	}
	if h != c.Hash {
		return fmt.Errorf("bulletin: root hash of the first %d records is %v, the checkpoint says %v: the export or the board's history differs from what was signed", c.Size, h, c.Hash)
	}
	return nil
}

// VerifyExport reads a JSON Lines export and checks that every line is a
// canonical record, that indexes run 0, 1, 2, … without gaps, that each
// Prev is the leaf hash of the record before, that times never go
// backwards, that every record is well-formed and correctly signed, and
// builds the Merkle tree. The first failure is returned as an *ExportError
// naming the record. It does not apply any election policy.
func VerifyExport(r io.Reader, maxPayload int) (*VerifiedLog, error) {
	v, err := ReadExport(r, maxPayload, nil)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ReadExport is VerifyExport for a stream: it runs the same checks, one
// record at a time and in index order, and calls fn (if not nil) with each
// record once it has passed them, so that a caller can replay a log of any
// length without holding it in memory. The records passed to fn are not
// retained by ReadExport.
//
// If fn returns an error, ReadExport stops and returns it unwrapped. On an
// *ExportError, the returned VerifiedLog covers the valid records before
// the bad one (so checkpoints of that prefix can still be checked); on any
// other error it is nil. maxPayload 0 means DefaultMaxPayload.
func ReadExport(r io.Reader, maxPayload int, fn func(*Record) error) (*VerifiedLog, error) {
	if maxPayload == 0 {
		maxPayload = DefaultMaxPayload
	}
	br := bufio.NewReaderSize(r, 1<<16)
	v := &VerifiedLog{}
	var prev tlog.Hash
	var last *Record
	fail := func(format string, args ...any) (*VerifiedLog, error) {
		err := &ExportError{Index: v.Size, Reason: fmt.Sprintf(format, args...)}
		h, herr := tlog.TreeHash(v.Size, v)
		if herr != nil {
			return nil, err
		}
		v.Hash = h
		return v, err
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("bulletin: reading export: %w", err)
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			return fail("last line does not end in a newline (truncated export?)")
		}
		line = line[:len(line)-1]
		rec, perr := ParseRecord(line)
		if perr != nil {
			return fail("not a canonical record: %v", perr)
		}
		if int64(rec.Index) != v.Size {
			switch {
			case int64(rec.Index) > v.Size:
				return fail("has index %d, want %d: record %d is missing or records are out of order", rec.Index, v.Size, v.Size)
			default:
				return fail("has index %d, want %d: a record was inserted, duplicated or moved", rec.Index, v.Size)
			}
		}
		if !bytes.Equal(rec.Prev, prev[:]) {
			if v.Size == 0 {
				return fail("prev is not 32 zero bytes")
			}
			return fail("prev does not match the leaf hash of record %d: record %d or %d was modified", v.Size-1, v.Size-1, v.Size)
		}
		if last != nil && rec.Time.Before(last.Time) {
			return fail("time %s is before record %d's time %s", rec.Time.Format(timeLayout), v.Size-1, last.Time.Format(timeLayout))
		}
		// ParseRecord checked the payload's encoding (Record.check).
		if err := rec.Submission().check(maxPayload, true); err != nil {
			var re *RejectError
			if errors.As(err, &re) {
				return fail("%s: %s", re.Code, re.Reason)
			}
			return fail("%v", err)
		}
		leaf := rec.LeafHash()
		hs, err := tlog.StoredHashesForRecordHash(v.Size, leaf, v)
		if err != nil {
			return nil, fmt.Errorf("bulletin: hashing record %d: %w", v.Size, err)
		}
		v.hashes = append(v.hashes, hs...)
		prev, last = leaf, rec
		v.Size++
		if fn != nil {
			if err := fn(rec); err != nil {
				return nil, err
			}
		}
	}
	h, err := tlog.TreeHash(v.Size, v)
	if err != nil {
		return nil, fmt.Errorf("bulletin: computing root hash: %w", err)
	}
	v.Hash = h
	return v, nil
}
