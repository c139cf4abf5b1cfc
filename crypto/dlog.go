package crypto

import "errors"

// ErrDlogOutOfRange is returned when a discrete logarithm is not in the
// solver's range.
var ErrDlogOutOfRange = errors.New("discrete logarithm out of range")

// DlogSolver finds v in [0, max] from v·G by baby-step giant-step.
// It is safe for concurrent use once built.
type DlogSolver struct{}

// NewDlogSolver precomputes the baby steps for values up to max.
func NewDlogSolver(max uint64) *DlogSolver { panic("unimplemented") }

// Max returns the largest value the solver finds.
func (d *DlogSolver) Max() uint64 { panic("unimplemented") }

// Solve returns v with e = v·G, or an error wrapping ErrDlogOutOfRange.
// It runs in variable time: use only on public values.
func (d *DlogSolver) Solve(e *Element) (uint64, error) { panic("unimplemented") }
