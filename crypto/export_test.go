package crypto

// Internal provers with an explicit random source, for comparison with the
// reference provers of package cryptotest.
var (
	ProveSchnorrFrom = proveSchnorr
	ProveDLEQFrom    = proveDLEQ
	ProveRangeFrom   = proveRange
)

// CombinedOK reports whether the weighted batch equation holds and no
// proof was left out of it, without the one-by-one fallback that would
// hide a wrong equation.
func (b *BatchVerifier) CombinedOK() bool {
	ok, bad := b.combined()
	return ok && bad == nil
}
