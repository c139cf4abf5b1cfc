package crypto

import "bytes"

// TranscriptBytes returns the transcript T of t so far (docs/spec/
// crypto-proofs.md §2), for the test vectors of docs/spec/vectors.
func TranscriptBytes(t *Transcript) []byte { return bytes.Clone(t.buf) }
