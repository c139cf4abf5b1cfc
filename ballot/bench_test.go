package ballot

import (
	"crypto/ed25519"
	"fmt"
	"testing"

	"filippo.io/edwards25519"
)

func bench10of3(b *testing.B) (*Election, []*Credential, Choices) {
	vs := voters(100)
	e := newTestElection(b, manifestKofN(b, 10, 3), vs)
	e.PublicKey.Table() // built once per election, not per ballot
	return e, vs, Choices{{0, 1, 0, 0, 1, 0, 0, 0, 1, 0}}
}

// BenchmarkEncryptBallot10of3 encrypts and proves a ballot of one contest
// of 10 options, choose up to 3.
func BenchmarkEncryptBallot10of3(b *testing.B) {
	e, vs, ch := bench10of3(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Encrypt(e, vs[0].Public, ch, ConfirmationCode{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyBallot10of3 verifies such ballots one by one.
func BenchmarkVerifyBallot10of3(b *testing.B) {
	e, vs, ch := bench10of3(b)
	bal, _, err := Encrypt(e, vs[0].Public, ch, ConfirmationCode{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyBallot(e, bal, vs[0].Public); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatchVerifyBallots10of3 verifies batches of 100 such ballots
// and reports the time per ballot. The ballots are parsed from their JSON
// encoding first, as a board and the verifier have them: the batch then
// hashes the ciphertexts' encodings as parsed instead of encoding them
// again (BenchmarkParseEncryptedBallot10of3 measures the parse).
func BenchmarkBatchVerifyBallots10of3(b *testing.B) {
	e, vs, ch := bench10of3(b)
	const n = 100
	ballots := make([]*EncryptedBallot, n)
	for i := range ballots {
		bal, _, err := Encrypt(e, vs[i].Public, ch, ConfirmationCode{})
		if err != nil {
			b.Fatal(err)
		}
		if ballots[i], err = ParseEncryptedBallot(bal.Marshal()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		bb := NewBallotBatch(e)
		for _, bal := range ballots {
			if _, err := bb.Add(bal, bal.Credential); err != nil {
				b.Fatal(err)
			}
		}
		if err := bb.Verify(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/ballot")
}

// BenchmarkParseEncryptedBallot10of3 parses the JSON encoding.
func BenchmarkParseEncryptedBallot10of3(b *testing.B) {
	e, vs, ch := bench10of3(b)
	bal, _, err := Encrypt(e, vs[0].Public, ch, ConfirmationCode{})
	if err != nil {
		b.Fatal(err)
	}
	data := bal.Marshal()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEncryptedBallot(data); err != nil {
			b.Fatal(err)
		}
	}
}

// rollKeys returns n distinct deterministic Ed25519 public keys: the
// encodings of (i+1)·B, found by point additions, which is much faster
// than n key generations and just as valid a roll.
func rollKeys(n int) []ed25519.PublicKey {
	keys := make([]ed25519.PublicKey, n)
	p := edwards25519.NewIdentityPoint()
	for i := range keys {
		p.Add(p, edwards25519.NewGeneratorPoint())
		keys[i] = p.Bytes()
	}
	return keys
}

// BenchmarkRollChunk parses a full roll record (MaxRollChunk voters) and
// takes it into a roll, as the board and the verifier do, and reports the
// time per voter.
func BenchmarkRollChunk(b *testing.B) {
	keys := rollKeys(MaxRollChunk)
	c := &RollChunk{Election: [32]byte{1}}
	for i, k := range keys {
		c.Voters = append(c.Voters, RollEntry{Voter: fmt.Sprintf("voter-%07d", i), Key: k})
	}
	data := c.Marshal()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		parsed, err := ParseRollChunk(data)
		if err != nil {
			b.Fatal(err)
		}
		r := NewRollBuilder(c.Election)
		if err := r.Check(parsed); err != nil {
			b.Fatal(err)
		}
		r.Add(parsed)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxRollChunk), "ns/voter")
}

// benchWriteIn returns an election of the 10-of-3 contest whose tenth
// option is a write-in of up to 40 bytes (2 text ciphertexts), and choices
// writing a name in.
func benchWriteIn(b *testing.B) (*Election, []*Credential, Choices, WriteIns) {
	vs := voters(100)
	m := manifestKofN(b, 10, 3)
	m.Contests[0].WriteIn = &WriteIn{Option: 9, MaxBytes: 40}
	e := newTestElection(b, revalidate(b, m), vs)
	e.PublicKey.Table()
	return e, vs, Choices{{0, 1, 0, 0, 1, 0, 0, 0, 0, 1}}, WriteIns{"Ada Lovelace"}
}

// BenchmarkEncryptBallotWriteIn encrypts the 10-of-3 ballot with a name
// written in: BenchmarkEncryptBallot10of3 plus two text ciphertexts and
// their proofs of knowledge.
func BenchmarkEncryptBallotWriteIn(b *testing.B) {
	e, vs, ch, w := benchWriteIn(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := EncryptWriteIns(e, vs[0].Public, ch, w, ConfirmationCode{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyBallotWriteIn verifies such ballots one by one.
func BenchmarkVerifyBallotWriteIn(b *testing.B) {
	e, vs, ch, w := benchWriteIn(b)
	bal, _, err := EncryptWriteIns(e, vs[0].Public, ch, w, ConfirmationCode{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyBallot(e, bal, vs[0].Public); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bal.Marshal())), "bytes/ballot")
}
