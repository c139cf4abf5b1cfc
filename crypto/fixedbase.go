package crypto

import "github.com/evote/evote/crypto/internal/edwards"

// FixedBaseTable holds precomputed multiples of one element (30 KB) so
// that multiplying it by a secret scalar costs about as much as
// ScalarBaseMult: the signed radix-16 method of edwards25519's
// ScalarBaseMult, with constant-time table scans (the cost model of
// docs/spec/crypto-proofs.md, section 8). A FixedBaseTable is safe for
// concurrent use.
type FixedBaseTable struct {
	enc   [ElementSize]byte // canonical encoding of the base
	table *edwards.Table
}

// NewFixedBaseTable precomputes the table of p.
func NewFixedBaseTable(p *Element) *FixedBaseTable {
	t := &FixedBaseTable{table: edwards.NewTable(&p.p)}
	p.appendBytes(t.enc[:0])
	return t
}

// FixedBaseMult sets e = s·P for the element P of table t and returns e.
// It is constant time in s.
func (e *Element) FixedBaseMult(s *Scalar, t *FixedBaseTable) *Element {
	edwards.FixedBaseMult(&e.p, &s.s, t.table)
	return e
}
