package bulletin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"

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

// ReadExport reads a JSON Lines export (docs/spec/bulletin.md §7) and
// calls fn with each record, in file order, once it has parsed: every line
// must be a record in the canonical encoding and end in a newline. It does
// not check that the records form a log; VerifyExport does, and so do the
// verifier and the participants through a Chain, so that a log of any
// length is read without holding it in memory. The records passed to fn
// are not retained.
//
// A line that does not parse is a *ChainError naming its record (line
// number from 0), returned after fn has seen every record before it. If fn
// returns an error, ReadExport stops and returns it unwrapped. It returns
// the number of records read.
func ReadExport(r io.Reader, fn func(*Record) error) (int64, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var n int64
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			return n, nil
		}
		if err != nil && err != io.EOF {
			return n, fmt.Errorf("bulletin: reading export: %w", err)
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			return n, &ChainError{Index: n, Code: CodeMalformed, Reason: "last line does not end in a newline (truncated export?)"}
		}
		rec, perr := ParseRecord(line[:len(line)-1])
		if perr != nil {
			return n, &ChainError{Index: n, Code: CodeMalformed, Reason: fmt.Sprintf("not a canonical record: %v", perr)}
		}
		if err := fn(rec); err != nil {
			return n, err
		}
		n++
	}
}

// VerifyExport reads a JSON Lines export and checks that every line is a
// canonical record and that the records form a log (Chain): indexes run
// 0, 1, 2, … without gaps, each Prev is the leaf hash of the record
// before, times never go backwards, every record is well-formed and
// correctly signed. It returns the Chain, whose tree checks checkpoints.
// The first failure is a *ChainError naming the record; the Chain then
// covers the valid records before it, so that checkpoints of that prefix
// can still be checked. It does not apply any election rules.
// maxPayload 0 means DefaultMaxPayload.
func VerifyExport(r io.Reader, maxPayload int) (*Chain, error) {
	c := NewChain(maxPayload)
	if _, err := ReadExport(r, c.Append); err != nil {
		return c, err
	}
	return c, nil
}
