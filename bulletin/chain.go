package bulletin

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// ChainError names the first record at which a log stops being valid as
// a log (docs/spec/bulletin.md §7): out of place, not chained to the
// record before it, malformed, or not signed by its author. Nothing after
// it can be placed, so whoever reads the log stops there.
type ChainError struct {
	Index  int64
	Code   string // a rejection code such as CodeBadSignature, or "" for a sequencing fault
	Reason string
}

// Error implements error; it names the record.
func (e *ChainError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("record %d: %s: %s", e.Index, e.Code, e.Reason)
	}
	return fmt.Sprintf("record %d: %s", e.Index, e.Reason)
}

// Checked is a record with the outcome of the checks that need no other
// record (Precheck): its leaf hash, and whether it is well-formed and
// signed by its author.
type Checked struct {
	Record *Record
	Leaf   tlog.Hash
	err    error // a *RejectError, or nil
}

// Precheck runs the checks of rec that need no other record: the fields'
// forms, the payload's size (at most maxPayload; DefaultMaxPayload if 0)
// and the signature; and it hashes the record. The payload's encoding is
// left to ParseRecord, where every record read from outside comes from. It is safe for concurrent use, so that a reader
// can spread this, the costly part of following a log, over every core
// before Chain.Add places the records in order.
func Precheck(rec *Record, maxPayload int) *Checked {
	if maxPayload == 0 {
		maxPayload = DefaultMaxPayload
	}
	c := &Checked{Record: rec}
	if err := rec.checkFields(); err != nil {
		c.err = Reject(CodeMalformed, "%v", err)
		return c
	}
	if err := rec.Submission().check(maxPayload, true); err != nil {
		c.err = err
	}
	c.Leaf = rec.LeafHash()
	return c
}

// Chain follows a log record by record, checking what makes a sequence of
// records a log (docs/spec/bulletin.md §1–§3): indexes run 0, 1, 2, …, each
// Prev is the leaf hash of the record before, times never go backwards,
// and every record is well-formed and signed by its author. It builds the
// Merkle tree of the records taken in, to check signed checkpoints against.
// Every reader of a board — the verifier, the participants' follower, the
// export checker, the feed client — takes records in through a Chain, so
// that they all hold the board to one standard.
//
// Once a record fails, the Chain is broken and refuses every later one. A
// Chain is not safe for concurrent use.
type Chain struct {
	maxPayload int
	size       int64
	prev       tlog.Hash
	last       time.Time
	hashes     hashBlocks // every stored hash; none for a resumed chain
	resumed    bool
	broken     *ChainError
}

// NewChain returns a Chain that expects record 0 first. maxPayload bounds
// payload sizes; DefaultMaxPayload if 0.
func NewChain(maxPayload int) *Chain {
	return &Chain{maxPayload: maxPayload}
}

// ResumeChain returns a Chain that expects the record after last, which
// the caller has from elsewhere (and checks against a checkpoint by an
// inclusion proof). A resumed Chain checks the records that follow but has
// no tree: TreeHash fails.
func ResumeChain(last *Record, maxPayload int) *Chain {
	return &Chain{maxPayload: maxPayload, size: int64(last.Index) + 1, prev: last.LeafHash(), last: last.Time, resumed: true}
}

// Size returns the number of records taken in (for a resumed chain, the
// index of the next record expected).
func (c *Chain) Size() int64 { return c.size }

// Last returns the leaf hash of the last record taken in: the next
// record's Prev.
func (c *Chain) Last() tlog.Hash { return c.prev }

// Err returns the failure that broke the chain, or nil.
func (c *Chain) Err() error {
	if c.broken == nil {
		return nil
	}
	return c.broken
}

// Append checks rec (Precheck) and takes it in; see Add.
func (c *Chain) Append(rec *Record) error { return c.Add(Precheck(rec, c.maxPayload)) }

// Add takes in the next record, checked by Precheck with the same payload
// limit. It returns a *ChainError naming the record if it does not belong
// next in the log or failed Precheck; the chain is then broken.
func (c *Chain) Add(p *Checked) error {
	if c.broken != nil {
		return c.broken
	}
	fail := func(code, format string, args ...any) error {
		c.broken = &ChainError{Index: c.size, Code: code, Reason: fmt.Sprintf(format, args...)}
		return c.broken
	}
	rec := p.Record
	switch idx := int64(rec.Index); {
	case idx > c.size:
		return fail("", "has index %d, want %d: record %d is missing or records are out of order", idx, c.size, c.size)
	case idx < c.size:
		return fail("", "has index %d, want %d: a record was inserted, duplicated or moved", idx, c.size)
	}
	if !bytes.Equal(rec.Prev, c.prev[:]) {
		if c.size == 0 {
			return fail("", "prev is not 32 zero bytes")
		}
		return fail("", "prev does not match the leaf hash of record %d: record %d or %d was modified", c.size-1, c.size-1, c.size)
	}
	if c.size > 0 && rec.Time.Before(c.last) {
		return fail("", "time %s is before record %d's time %s", rec.Time.Format(timeLayout), c.size-1, c.last.Format(timeLayout))
	}
	if p.err != nil {
		var re *RejectError
		if errors.As(p.err, &re) {
			return fail(re.Code, "%s", re.Reason)
		}
		return fail("", "%v", p.err)
	}
	if !c.resumed {
		hs, err := tlog.StoredHashesForRecordHash(c.size, p.Leaf, c)
		if err != nil {
			return fail("", "hashing into the tree: %v", err)
		}
		c.hashes.append(hs)
	}
	c.prev, c.last = p.Leaf, rec.Time
	c.size++
	return nil
}

// ReadHashes implements tlog.HashReader over the tree of the records taken
// in.
func (c *Chain) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= c.hashes.n {
			return nil, fmt.Errorf("bulletin: stored hash %d not in a log of size %d", x, c.size)
		}
		out[i] = c.hashes.at(x)
	}
	return out, nil
}

// TreeHash returns the root hash of the tree of the first size records.
func (c *Chain) TreeHash(size int64) (tlog.Hash, error) {
	if c.resumed {
		return tlog.Hash{}, errors.New("bulletin: a chain resumed in the middle of a log has no tree")
	}
	if size < 0 || size > c.size {
		return tlog.Hash{}, fmt.Errorf("bulletin: the log has %d valid records, fewer than checkpoint size %d", c.size, size)
	}
	return tlog.TreeHash(size, c)
}

// CheckCheckpoint checks that the tree of the first cp.Size records has
// root cp.Hash.
func (c *Chain) CheckCheckpoint(cp Checkpoint) error {
	h, err := c.TreeHash(cp.Size)
	if err != nil {
		return err
	}
	if h != cp.Hash {
		return fmt.Errorf("bulletin: root hash of the first %d records is %v, the checkpoint says %v: the log or the board's history differs from what was signed", cp.Size, h, cp.Hash)
	}
	return nil
}

// hashBlock is the number of hashes in each block of a hashBlocks: 2 MiB.
const hashBlock = 1 << 16

// hashBlocks is a list of stored hashes kept in fixed-size blocks, so that
// it grows without copying what it holds (a log of a million records has
// two million of them) or holding a doubled slice's spare half.
type hashBlocks struct {
	blocks [][]tlog.Hash
	n      int64
}

func (h *hashBlocks) append(hs []tlog.Hash) {
	for _, x := range hs {
		switch {
		case h.n == 0:
			h.blocks = append(h.blocks, nil) // grows as a small log needs
		case h.n%hashBlock == 0:
			h.blocks = append(h.blocks, make([]tlog.Hash, 0, hashBlock))
		}
		last := len(h.blocks) - 1
		h.blocks[last] = append(h.blocks[last], x)
		h.n++
	}
}

func (h *hashBlocks) at(i int64) tlog.Hash { return h.blocks[i/hashBlock][i%hashBlock] }
