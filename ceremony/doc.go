// Package ceremony implements the threshold key ceremony of evote: a
// joint-Feldman distributed key generation (Pedersen 1991, "A threshold
// cryptosystem without a trusted party") among n trustees, any t of whom
// can later decrypt, with the share transport carried over the public
// bulletin board under HPKE (RFC 9180).
//
// The protocol, message formats, HPKE parameters and keystore format are
// specified in docs/spec/ceremony.md; section numbers in comments refer to
// that document. In short:
//
//  1. Each trustee runs GenerateTrusteeKeys once and hands the public part
//     (TrusteePublicKey) to the official, who lists it in the election
//     definition. The private part is kept only inside a Seal'ed keystore.
//  2. Each trustee runs Deal and posts its Commitments and Shares messages.
//  3. Once all n of each are on the board, each trustee runs Receive and
//     posts the resulting Verdict.
//  4. If every Verdict accepts, anyone runs ComputeJointKey; otherwise
//     CheckVerdicts reports who accused whom and the ceremony stops.
//
// The package is pure: it does no file or network I/O, and all randomness
// comes from crypto/rand. Every message has exactly one encoding, a compact
// JSON object with fields in a fixed order; Parse functions reject every
// other byte string, so that Parse followed by Marshal returns the input.
//
// The Joint-Feldman protocol lets a rushing adversary bias the distribution
// of the joint key (Gennaro, Jarecki, Krawczyk, Rabin 1999); for ElGamal
// encryption this bias does not help the adversary (GJKR 2003, "Secure
// applications of Pedersen's distributed key generation protocol").
// See section 7 of the spec.
package ceremony
