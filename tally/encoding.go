package tally

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/evote/evote/internal/strictjson"

	"github.com/evote/evote/crypto"
)

// Format versions, the first field of each JSON object
// (docs/spec/tally.md §4, §6).
const (
	partialVersion = "evote/v1/tally/partial-decryption"
	resultVersion  = "evote/v1/tally/result"
)

// partialJSON is the wire form of a PartialDecryption. Field order is the
// canonical key order; []byte fields are standard padded base64.
type partialJSON struct {
	Version string   `json:"version"`
	Trustee uint32   `json:"trustee"`
	Shares  [][]byte `json:"shares"`
	Proofs  [][]byte `json:"proofs"`
}

type rejectionJSON struct {
	Trustee uint32 `json:"trustee"`
	Reason  string `json:"reason"`
}

// resultJSON is the wire form of a Result.
type resultJSON struct {
	Version  string          `json:"version"`
	Counts   []uint64        `json:"counts"`
	Trustees []uint32        `json:"trustees"`
	Rejected []rejectionJSON `json:"rejected"`
	Combined [][]byte        `json:"combined"`
}

// Marshal returns the canonical JSON encoding of p (docs/spec/tally.md §4).
// It fails if p is malformed: trustee 0, no positions, Shares and Proofs of
// different lengths, or nil entries.
func (p *PartialDecryption) Marshal() ([]byte, error) {
	b, err := marshalPartial(p)
	if err != nil {
		return nil, fmt.Errorf("tally: marshal partial decryption: %w", err)
	}
	return b, nil
}

func marshalPartial(p *PartialDecryption) ([]byte, error) {
	if p.Trustee == 0 {
		return nil, errors.New("trustee index 0")
	}
	if len(p.Shares) == 0 || len(p.Shares) != len(p.Proofs) {
		return nil, fmt.Errorf("%w: %d shares and %d proofs", ErrLengthMismatch, len(p.Shares), len(p.Proofs))
	}
	w := partialJSON{
		Version: partialVersion,
		Trustee: p.Trustee,
		Shares:  make([][]byte, len(p.Shares)),
		Proofs:  make([][]byte, len(p.Proofs)),
	}
	for k := range p.Shares {
		if p.Shares[k] == nil || p.Proofs[k] == nil {
			return nil, fmt.Errorf("nil share or proof at position %d", k)
		}
		w.Shares[k] = p.Shares[k].Bytes()
		w.Proofs[k] = p.Proofs[k].Bytes()
	}
	return json.Marshal(w)
}

// MarshalJSON implements json.Marshaler with Marshal. It has a value
// receiver so that values, not only pointers, encode canonically.
func (p PartialDecryption) MarshalJSON() ([]byte, error) { return p.Marshal() }

// UnmarshalJSON implements json.Unmarshaler with ParsePartialDecryption.
// On error p is unchanged.
func (p *PartialDecryption) UnmarshalJSON(b []byte) error {
	q, err := ParsePartialDecryption(b)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// decodeStrict decodes the single JSON value b into v, rejecting unknown
// fields and trailing data, then checks that b is exactly canon(v): the
// one canonical encoding.
func decodeStrict(b []byte, v any, canon func() ([]byte, error)) error {
	if err := strictjson.Unmarshal(b, v); err != nil {
		return err
	}
	// Trailing data, duplicate keys, other spellings of keys, whitespace
	// and non-canonical base64 all fail the comparison below.
	c, err := canon()
	if err != nil {
		return err
	}
	if !bytes.Equal(c, b) {
		return errors.New("not the canonical encoding")
	}
	return nil
}

// ParsePartialDecryption parses the canonical JSON encoding of a partial
// decryption (docs/spec/tally.md §4). It rejects unknown or missing
// fields, another version, trustee 0, an empty or uneven Shares/Proofs
// pair, non-canonical elements and proofs, and any byte string that is not
// exactly what Marshal produces. Errors wrap ErrInvalidEncoding.
//
// Parsing does not verify the proofs: see VerifyPartial.
func ParsePartialDecryption(b []byte) (*PartialDecryption, error) {
	p, err := parsePartial(b)
	if err != nil {
		return nil, fmt.Errorf("tally: parse partial decryption: %w: %w", ErrInvalidEncoding, err)
	}
	return p, nil
}

func parsePartial(b []byte) (*PartialDecryption, error) {
	var w partialJSON
	var p *PartialDecryption
	err := decodeStrict(b, &w, func() ([]byte, error) {
		if w.Version != partialVersion {
			return nil, fmt.Errorf("version %q, want %q", w.Version, partialVersion)
		}
		if w.Trustee == 0 {
			return nil, errors.New("trustee index 0")
		}
		if len(w.Shares) == 0 || len(w.Shares) != len(w.Proofs) {
			return nil, fmt.Errorf("%d shares and %d proofs", len(w.Shares), len(w.Proofs))
		}
		p = &PartialDecryption{
			Trustee: w.Trustee,
			Shares:  make([]*crypto.Element, len(w.Shares)),
			Proofs:  make([]*crypto.DLEQProof, len(w.Proofs)),
		}
		for k := range w.Shares {
			e, err := crypto.NewElement().SetCanonicalBytes(w.Shares[k])
			if err != nil {
				return nil, fmt.Errorf("share %d: %w", k, err)
			}
			pr, err := new(crypto.DLEQProof).SetBytes(w.Proofs[k])
			if err != nil {
				return nil, fmt.Errorf("proof %d: %w", k, err)
			}
			p.Shares[k], p.Proofs[k] = e, pr
		}
		return marshalPartial(p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// checkResult checks the structure of r (docs/spec/tally.md §6).
func checkResult(r *Result) error {
	if len(r.Counts) == 0 || len(r.Counts) != len(r.Combined) {
		return fmt.Errorf("%w: %d counts and %d combined elements", ErrLengthMismatch, len(r.Counts), len(r.Combined))
	}
	if len(r.Trustees) == 0 {
		return errors.New("no trustees")
	}
	for i, j := range r.Trustees {
		if j == 0 || i > 0 && j <= r.Trustees[i-1] {
			return fmt.Errorf("trustees %v not increasing from 1", r.Trustees)
		}
	}
	for _, rj := range r.Rejected {
		if !validReason(rj.Reason) {
			return fmt.Errorf("rejection reason %q", rj.Reason)
		}
	}
	for k, e := range r.Combined {
		if e == nil {
			return fmt.Errorf("nil combined element at position %d", k)
		}
	}
	return nil
}

// Marshal returns the canonical JSON encoding of r (docs/spec/tally.md §6).
// It fails if r is malformed (see ParseResult).
func (r *Result) Marshal() ([]byte, error) {
	b, err := marshalResult(r)
	if err != nil {
		return nil, fmt.Errorf("tally: marshal result: %w", err)
	}
	return b, nil
}

func marshalResult(r *Result) ([]byte, error) {
	if err := checkResult(r); err != nil {
		return nil, err
	}
	w := resultJSON{
		Version:  resultVersion,
		Counts:   r.Counts,
		Trustees: r.Trustees,
		Rejected: make([]rejectionJSON, len(r.Rejected)),
		Combined: make([][]byte, len(r.Combined)),
	}
	for i, rj := range r.Rejected {
		w.Rejected[i] = rejectionJSON(rj)
	}
	for k, e := range r.Combined {
		w.Combined[k] = e.Bytes()
	}
	return json.Marshal(w)
}

// MarshalJSON implements json.Marshaler with Marshal. It has a value
// receiver so that values, not only pointers, encode canonically.
func (r Result) MarshalJSON() ([]byte, error) { return r.Marshal() }

// UnmarshalJSON implements json.Unmarshaler with ParseResult.
// On error r is unchanged.
func (r *Result) UnmarshalJSON(b []byte) error {
	q, err := ParseResult(b)
	if err != nil {
		return err
	}
	*r = *q
	return nil
}

// ParseResult parses the canonical JSON encoding of a result
// (docs/spec/tally.md §6). It rejects unknown or missing fields, another
// version, counts and combined elements of different or zero length,
// trustees not strictly increasing from 1, unknown rejection reasons,
// non-canonical elements, and any byte string that is not exactly what
// Marshal produces. Errors wrap ErrInvalidEncoding.
//
// Parsing does not check the result against the tally: see VerifyResult.
func ParseResult(b []byte) (*Result, error) {
	var w resultJSON
	var r *Result
	err := decodeStrict(b, &w, func() ([]byte, error) {
		if w.Version != resultVersion {
			return nil, fmt.Errorf("version %q, want %q", w.Version, resultVersion)
		}
		r = &Result{
			Counts:   w.Counts,
			Trustees: w.Trustees,
			Rejected: make([]Rejection, len(w.Rejected)),
			Combined: make([]*crypto.Element, len(w.Combined)),
		}
		for i, rj := range w.Rejected {
			r.Rejected[i] = Rejection(rj)
		}
		for k, c := range w.Combined {
			e, err := crypto.NewElement().SetCanonicalBytes(c)
			if err != nil {
				return nil, fmt.Errorf("combined element %d: %w", k, err)
			}
			r.Combined[k] = e
		}
		return marshalResult(r)
	})
	if err != nil {
		return nil, fmt.Errorf("tally: parse result: %w: %w", ErrInvalidEncoding, err)
	}
	return r, nil
}
