package crypto

// Transcript accumulates the statement of a Fiat–Shamir proof: a domain
// label, then labelled, length-prefixed items. Every challenge in evote is
// derived by ChallengeScalar on a Transcript: this is the one place.
type Transcript struct{}

// NewTranscript starts a transcript with a domain-separation label such as
// "evote/v1/proof/range".
func NewTranscript(label string) *Transcript { panic("unimplemented") }

// AppendMessage adds a labelled byte string.
func (t *Transcript) AppendMessage(label string, msg []byte) { panic("unimplemented") }

// AppendElement adds a labelled group element (its canonical encoding).
func (t *Transcript) AppendElement(label string, e *Element) { panic("unimplemented") }

// AppendScalar adds a labelled scalar (its canonical encoding).
func (t *Transcript) AppendScalar(label string, s *Scalar) { panic("unimplemented") }

// AppendUint64 adds a labelled integer.
func (t *Transcript) AppendUint64(label string, v uint64) { panic("unimplemented") }

// Clone returns an independent copy of the transcript so far.
func (t *Transcript) Clone() *Transcript { panic("unimplemented") }

// ChallengeScalar derives a uniform scalar from everything appended so far.
func (t *Transcript) ChallengeScalar(label string) *Scalar { panic("unimplemented") }

// HashToElement maps msg to a group element under a domain label, with no
// known discrete logarithm (SHA-512 then the RFC 9496 one-way map).
func HashToElement(label string, msg []byte) *Element { panic("unimplemented") }

// HashToScalar maps the length-prefixed parts to a uniform scalar under a
// domain label (SHA-512 reduced mod ℓ).
func HashToScalar(label string, parts ...[]byte) *Scalar { panic("unimplemented") }
