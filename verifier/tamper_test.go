package verifier_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/verifiertest"
)

// world is a record being tampered with: its parsed records and everyone's
// keys, so that a malicious board can re-sign what it changes.
type world struct {
	t     *testing.T
	e     *verifiertest.Election
	recs  []*bulletin.Record
	dirty map[*bulletin.Record]bool // payload changed: re-sign (malicious flavour)
}

func newWorld(t *testing.T) *world {
	e, export := smallElection(t)
	return newWorldOf(t, e, export)
}

func newWorldOf(t *testing.T, e *verifiertest.Election, export []byte) *world {
	w := &world{t: t, e: e, dirty: make(map[*bulletin.Record]bool)}
	for line := range bytes.Lines(export) {
		r, err := bulletin.ParseRecord(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			t.Fatal(err)
		}
		w.recs = append(w.recs, r)
	}
	return w
}

// find returns the position of the n-th (0-based) record of type typ.
func (w *world) find(typ string, n int) int {
	for i, r := range w.recs {
		if r.Type == typ {
			if n == 0 {
				return i
			}
			n--
		}
	}
	w.t.Fatalf("no %s record #%d", typ, n)
	return -1
}

// findBy returns the position of the n-th record of type typ by author.
func (w *world) findBy(typ string, author ed25519.PublicKey, n int) int {
	for i, r := range w.recs {
		if r.Type == typ && bytes.Equal(r.Author, author) {
			if n == 0 {
				return i
			}
			n--
		}
	}
	w.t.Fatalf("no %s record #%d by %x", typ, n, author[:4])
	return -1
}

func (w *world) decode(i int) any {
	v, err := election.Decode(w.recs[i].Type, w.recs[i].Payload)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// edit decodes record i, lets f change the value and encodes it back.
func edit[T any](w *world, i int, f func(v T)) {
	v := w.decode(i).(T)
	f(v)
	p, err := election.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	w.setPayload(i, p)
}

func (w *world) setPayload(i int, p []byte) {
	r := *w.recs[i]
	if bytes.Equal(r.Payload, p) {
		w.t.Fatalf("tampering left record %d unchanged", i)
	}
	r.Payload = p
	w.recs[i] = &r
	w.dirty[&r] = true
}

func (w *world) move(from, to int) {
	r := w.recs[from]
	w.recs = append(w.recs[:from], w.recs[from+1:]...)
	w.recs = append(w.recs[:to], append([]*bulletin.Record{r}, w.recs[to:]...)...)
}

func (w *world) drop(i int) { w.recs = append(w.recs[:i], w.recs[i+1:]...) }

// insertNew inserts at i a new record of type typ, payload v, by author;
// forge signs it.
func (w *world) insertNew(i int, typ string, author ed25519.PublicKey, v any) {
	p, err := election.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	r := &bulletin.Record{Type: typ, Payload: p, Author: author, Time: w.recs[i-1].Time}
	w.recs = append(w.recs[:i], append([]*bulletin.Record{r}, w.recs[i:]...)...)
	w.dirty[r] = true
}

func (w *world) insert(i int, r *bulletin.Record) {
	c := *r
	w.recs = append(w.recs[:i], append([]*bulletin.Record{&c}, w.recs[i:]...)...)
}

func (w *world) signer(author []byte) election.Signer {
	if bytes.Equal(author, w.e.Official.PublicKey()) {
		return w.e.Official
	}
	if bytes.Equal(author, w.e.Registrar.PublicKey()) {
		return w.e.Registrar
	}
	for _, k := range w.e.Trustees {
		if bytes.Equal(author, k.Public().SignKey) {
			return election.TrusteeSigner{Keys: k}
		}
	}
	for _, c := range w.e.Voters {
		if bytes.Equal(author, c.Public) {
			return election.KeySigner(c.Private)
		}
	}
	w.t.Fatalf("no key for author %x", author)
	return nil
}

// forge is what a malicious board does: re-sign every changed payload with
// its author's key, renumber and re-chain every record, and sign a
// checkpoint of the forged log.
func (w *world) forge() (export, checkpoint []byte) {
	var prev [bulletin.HashSize]byte
	var buf bytes.Buffer
	var last time.Time
	for i, r := range w.recs {
		c := *r
		if c.Time.Before(last) {
			c.Time = last // the board's clock never goes back
		}
		last = c.Time
		if w.dirty[r] {
			c.Sig = w.signer(c.Author).Sign(bulletin.SigningMessage(c.Type, c.Payload))
		}
		c.Index = uint64(i)
		c.Prev = append([]byte(nil), prev[:]...)
		prev = c.LeafHash()
		enc, err := c.MarshalJSON()
		if err != nil {
			w.t.Fatal(err)
		}
		buf.Write(enc)
		buf.WriteByte('\n')
	}
	v, err := bulletin.VerifyExport(bytes.NewReader(buf.Bytes()), w.e.MaxPayload)
	if err != nil {
		w.t.Fatalf("the forged log does not chain: %v", err)
	}
	root, err := v.TreeHash(v.Size())
	if err != nil {
		w.t.Fatal(err)
	}
	cp, err := bulletin.SignCheckpoint(bulletin.Checkpoint{Origin: w.e.BoardSigner.Name(), Size: v.Size(), Hash: root}, w.e.BoardSigner)
	if err != nil {
		w.t.Fatal(err)
	}
	return buf.Bytes(), cp
}

// forgery is one tampering with the record: edit tampers with the record and returns the
// position of the record the verifier must name first, at step, as of
// type typ, with a reason saying want.
type forgery struct {
	name string
	edit func(w *world) int
	typ  string
	step verifier.StepID
	want string
	only bool // the failure must be the only one (but for the closing record, see TestTamperMalicious)
}

// forgeAndVerify tampers with the record by edit, which returns the
// position of the record the verifier must name first, forges the
// result (forge) and verifies it.
func (w *world) forgeAndVerify(edit func(w *world) int) (int, *verifier.Report) {
	idx := edit(w)
	export, cp := w.forge()
	return idx, w.verify(export, cp)
}

// raw is plain tampering: the changed records keep their signature, index
// and prev.
func (w *world) raw() []byte {
	var buf bytes.Buffer
	for _, r := range w.recs {
		enc, err := r.MarshalJSON()
		if err != nil {
			w.t.Fatal(err)
		}
		buf.Write(enc)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func (w *world) verify(export []byte, checkpoints ...[]byte) *verifier.Report {
	return verifier.Verify(context.Background(), verifier.Export(bytes.NewReader(export), "tampered"), verifier.Options{
		BoardKey: w.e.BoardKey, Checkpoints: checkpoints, ChunkSize: 8, MaxPayload: w.e.MaxPayload,
	})
}

// wantFailure checks that r's first failure names record index at step,
// with a reason containing want, and logs the report's failures.
func wantFailure(t *testing.T, r *verifier.Report, index int64, typ string, step verifier.StepID, want string) {
	t.Helper()
	for _, f := range r.Failures {
		t.Logf("  %v", f)
	}
	if r.OK || r.Problems == 0 {
		t.Fatalf("the verifier found nothing wrong")
	}
	f := r.Failures[0]
	if f.Index != index || f.Step != step || (typ != "" && f.Type != typ) {
		t.Errorf("first failure: record %d (%s) step %s, want record %d (%s) step %s", f.Index, f.Type, f.Step, index, typ, step)
	}
	if !strings.Contains(f.Code+": "+f.Reason, want) {
		t.Errorf("first failure reason %q, want it to contain %q", f.Code+": "+f.Reason, want)
	}
	if r.Step(step).Status != verifier.Fail {
		t.Errorf("step %s status %s, want fail", step, r.Step(step).Status)
	}
}

// bumpScalar returns the encoding of the canonical scalar b plus one.
func bumpScalar(t *testing.T, b []byte) []byte {
	s, err := crypto.NewScalar().SetCanonicalBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return s.Add(s, crypto.NewScalar().SetUint64(1)).Bytes()
}

// TestTamperRaw changes records without re-signing or re-chaining them:
// step 1 must catch each change and name the record.
func TestTamperRaw(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(w *world) int // returns the position the verifier must name
		typ   string
		step  verifier.StepID
		want  string
		final bool // verify against the board's checkpoint
	}{
		{"definition title", func(w *world) int {
			edit(w, 0, func(m *ballot.Manifest) { m.Title += "!" })
			return 0
		}, election.TypeDefinition, verifier.StepChain, "bad-signature", false},
		{"commitments proof scalar", func(w *world) int {
			i := w.find(election.TypeCommitments, 1)
			edit(w, i, func(c *ceremony.Commitments) {
				b := c.Proofs[0].Bytes()
				copy(b[32:], bumpScalar(w.t, b[32:]))
				c.Proofs[0].SetBytes(b)
			})
			return i
		}, election.TypeCommitments, verifier.StepChain, "bad-signature", false},
		{"shares ciphertext byte", func(w *world) int {
			i := w.find(election.TypeShares, 2)
			edit(w, i, func(s *ceremony.Shares) { s.Shares[1].Ct[0] ^= 1 })
			return i
		}, election.TypeShares, verifier.StepChain, "bad-signature", false},
		{"verdict signature byte", func(w *world) int {
			i := w.find(election.TypeVerdict, 3)
			r := *w.recs[i]
			r.Sig = bytes.Clone(r.Sig)
			r.Sig[5] ^= 0x40
			w.recs[i] = &r
			return i
		}, election.TypeVerdict, verifier.StepChain, "bad-signature", false},
		{"joint key verification key", func(w *world) int {
			i := w.find(election.TypeJointKey, 0)
			edit(w, i, func(j *ceremony.JointKey) { j.VerificationKeys[1] = j.VerificationKeys[0] })
			return i
		}, election.TypeJointKey, verifier.StepChain, "bad-signature", false},
		{"phase", func(w *world) int {
			i := w.find(election.TypePhase, 0)
			edit(w, i, func(p *election.PhaseChange) { p.Phase = election.PhaseClosed })
			return i
		}, election.TypePhase, verifier.StepChain, "bad-signature", false},
		{"ballot ciphertext byte", func(w *world) int {
			i := w.find(election.TypeBallot, 7)
			p := bytes.Clone(w.recs[i].Payload)
			k := bytes.Index(p, []byte(`"contests":["`)) + 40
			p[k] ^= 'A' ^ 'B'
			w.setPayload(i, p)
			return i
		}, election.TypeBallot, verifier.StepChain, "bad-signature", false},
		{"challenged ballot choice", func(w *world) int {
			i := w.find(election.TypeChallenge, 1)
			edit(w, i, func(c *ballot.ChallengedBallot) { c.Choices[2][0] ^= 1 })
			return i
		}, election.TypeChallenge, verifier.StepChain, "bad-signature", false},
		{"partial decryption share", func(w *world) int {
			i := w.find(election.TypePartial, 0)
			edit(w, i, func(p *election.PartialRecord) {
				p.Partial.Shares[0].Add(p.Partial.Shares[0], crypto.NewGeneratorElement())
			})
			return i
		}, election.TypePartial, verifier.StepChain, "bad-signature", false},
		{"result count", func(w *world) int {
			i := w.find(election.TypeResult, 0)
			edit(w, i, func(r *election.ResultRecord) { r.Tally.Counts[0]++ })
			return i
		}, election.TypeResult, verifier.StepChain, "bad-signature", false},
		{"two ballots swapped", func(w *world) int {
			i := w.find(election.TypeBallot, 4)
			w.recs[i], w.recs[i+1] = w.recs[i+1], w.recs[i]
			return i
		}, election.TypeBallot, verifier.StepChain, "out of order", false},
		{"verdict dropped", func(w *world) int {
			i := w.find(election.TypeVerdict, 1)
			w.drop(i)
			return i
		}, election.TypeVerdict, verifier.StepChain, "is missing", false},
		{"duplicate ballot inserted", func(w *world) int {
			i := w.find(election.TypeBallot, 9)
			w.insert(i, w.recs[w.find(election.TypeBallot, 2)])
			return i
		}, election.TypeBallot, verifier.StepChain, "inserted, duplicated or moved", false},
		{"prev of a ballot", func(w *world) int {
			i := w.find(election.TypeBallot, 12)
			r := *w.recs[i]
			r.Prev = bytes.Repeat([]byte{7}, bulletin.HashSize)
			w.recs[i] = &r
			return i
		}, election.TypeBallot, verifier.StepChain, "prev does not match", false},
		{"result truncated away", func(w *world) int {
			w.drop(len(w.recs) - 1)
			return len(w.recs)
		}, "", verifier.StepCheckpoints, "are missing", true},
		{"time of a ballot moved back", func(w *world) int {
			i := w.find(election.TypeBallot, 3)
			r := *w.recs[i]
			r.Time = r.Time.Add(-time.Millisecond)
			w.recs[i] = &r
			return i + 1 // the time is not signed, but it is in the leaf hash
		}, "", verifier.StepChain, "prev does not match the leaf hash of record", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			idx := tt.edit(w)
			var cps [][]byte
			if tt.final {
				cps = append(cps, w.e.Checkpoint)
			}
			r := w.verify(w.raw(), cps...)
			wantFailure(t, r, int64(idx), tt.typ, tt.step, tt.want)
			if tt.step == verifier.StepChain && r.Records != int64(idx) {
				t.Errorf("report covers %d records, want the %d before the break", r.Records, idx)
			}
		})
	}
}

// TestTamperMalicious changes records the way a malicious board (or
// author) would: it re-signs every changed payload with its author's key,
// re-chains the whole log and signs a checkpoint of it, so that the chain,
// the signatures and the checkpoint all hold and only the proofs, the
// rules and the counts can catch the change.
func TestTamperMalicious(t *testing.T) {
	tests := []forgery{
		{"definition names another official", func(w *world) int {
			edit(w, 0, func(m *ballot.Manifest) { m.Official = w.e.Voters[0].Public })
			return 0
		}, election.TypeDefinition, verifier.StepDefinition, "unauthorized", true},
		{"roll record posted by the official", func(w *world) int {
			i := w.find(election.TypeRoll, 0)
			r := *w.recs[i]
			r.Author = w.e.Official.PublicKey()
			w.recs[i] = &r
			w.dirty[&r] = true
			return i
		}, election.TypeRoll, verifier.StepRoll, "unauthorized", false},
		{"a voter's key on the roll twice", func(w *world) int {
			i := w.find(election.TypeRollClose, 0)
			mh := w.decode(i).(*ballot.RollClose).Election
			w.insertNew(i, election.TypeRoll, w.e.Registrar.PublicKey(), &ballot.RollChunk{Election: mh, First: 30,
				Voters: []ballot.RollEntry{{Voter: "phantom", Key: w.e.Voters[7].Public}}})
			return i
		}, election.TypeRoll, verifier.StepRoll, "duplicate", true},
		{"a voter added after the roll closed", func(w *world) int {
			i := w.find(election.TypeRollClose, 0) + 1
			mh := w.decode(i - 1).(*ballot.RollClose).Election
			w.insertNew(i, election.TypeRoll, w.e.Registrar.PublicKey(), &ballot.RollChunk{Election: mh, First: 30,
				Voters: []ballot.RollEntry{{Voter: "late", Key: w.e.Official.PublicKey()}}})
			return i
		}, election.TypeRoll, verifier.StepRoll, "wrong-phase", true},
		{"the roll closed with a voter fewer", func(w *world) int {
			i := w.find(election.TypeRollClose, 0)
			edit(w, i, func(c *ballot.RollClose) { c.Size-- })
			return i
		}, election.TypeRollClose, verifier.StepRoll, "stale", false},
		{"the official votes with its own key", func(w *world) int {
			i := w.find(election.TypeBallot, 12)
			r := *w.recs[i]
			r.Author = w.e.Official.PublicKey()
			w.recs[i] = &r
			edit(w, i, func(b *ballot.EncryptedBallot) { b.Credential = w.e.Official.PublicKey() })
			return i
		}, election.TypeBallot, verifier.StepBallots, "ineligible", false},
		{"commitments proof scalar", func(w *world) int {
			i := w.find(election.TypeCommitments, 1)
			edit(w, i, func(c *ceremony.Commitments) {
				b := c.Proofs[1].Bytes()
				copy(b[32:], bumpScalar(w.t, b[32:]))
				c.Proofs[1].SetBytes(b)
			})
			return i
		}, election.TypeCommitments, verifier.StepCeremony, "bad-proof", false},
		{"commitments coefficients reordered", func(w *world) int {
			i := w.find(election.TypeCommitments, 3)
			edit(w, i, func(c *ceremony.Commitments) {
				c.Coefficients[1], c.Coefficients[2] = c.Coefficients[2], c.Coefficients[1]
			})
			return i
		}, election.TypeCommitments, verifier.StepCeremony, "bad-proof", false},
		{"shares for another election", func(w *world) int {
			i := w.find(election.TypeShares, 2)
			edit(w, i, func(s *ceremony.Shares) { s.Ctx = bytes.Clone(s.Ctx); s.Ctx[0] ^= 1 })
			return i
		}, election.TypeShares, verifier.StepCeremony, "ctx", false},
		{"shares with one share dropped", func(w *world) int {
			i := w.find(election.TypeShares, 1)
			edit(w, i, func(s *ceremony.Shares) { s.Shares = s.Shares[:len(s.Shares)-1] })
			return i
		}, election.TypeShares, verifier.StepCeremony, "", false},
		{"verdict posted for another trustee", func(w *world) int {
			i := w.find(election.TypeVerdict, 1)
			edit(w, i, func(v *ceremony.Verdict) { v.Trustee = 4 })
			return i
		}, election.TypeVerdict, verifier.StepCeremony, "unauthorized", false},
		{"joint key with a wrong verification key", func(w *world) int {
			i := w.find(election.TypeJointKey, 0)
			edit(w, i, func(j *ceremony.JointKey) { j.VerificationKeys[1] = j.VerificationKeys[0] })
			return i
		}, election.TypeJointKey, verifier.StepCeremony, "bad-proof", false},
		{"opening phase for another election", func(w *world) int {
			i := w.find(election.TypePhase, 0)
			edit(w, i, func(p *election.PhaseChange) { p.Election = strings.Repeat("0", 64) })
			return i
		}, election.TypePhase, verifier.StepBallots, "another election", false},
		{"ballot ciphertext changed to encrypt one more", func(w *world) int {
			i := w.find(election.TypeBallot, 10)
			edit(w, i, func(b *ballot.EncryptedBallot) {
				ct := b.Contests[1].Options[2].Ciphertext
				ct.B.Add(&ct.B, crypto.NewGeneratorElement())
			})
			return i
		}, election.TypeBallot, verifier.StepBallots, "bad-proof", false},
		{"ballot ciphertext byte", func(w *world) int {
			i := w.find(election.TypeBallot, 11)
			// The first byte of option 0's ciphertext B gets its top bit
			// set: not a canonical ristretto255 encoding.
			var j struct {
				Version    string   `json:"version"`
				Election   []byte   `json:"election"`
				Credential []byte   `json:"credential"`
				Prev       []byte   `json:"prev"`
				Contests   [][]byte `json:"contests"`
			}
			if err := json.Unmarshal(w.recs[i].Payload, &j); err != nil {
				w.t.Fatal(err)
			}
			j.Contests[0][8+63] |= 0x80
			p, err := json.Marshal(j)
			if err != nil {
				w.t.Fatal(err)
			}
			w.setPayload(i, p)
			return i
		}, election.TypeBallot, verifier.StepBallots, "malformed", false},
		{"ballot by another voter's key", func(w *world) int {
			i := w.find(election.TypeBallot, 12)
			r := *w.recs[i]
			r.Author = w.e.Voters[29].Public
			w.recs[i] = &r
			w.dirty[&r] = true
			return i
		}, election.TypeBallot, verifier.StepBallots, "credential", false},
		{"duplicate ballot inserted", func(w *world) int {
			i := w.find(election.TypeBallot, 20)
			w.insert(i, w.recs[w.find(election.TypeBallot, 15)])
			return i
		}, election.TypeBallot, verifier.StepBallots, "duplicate", true},
		{"superseded ballot moved after its successor", func(w *world) int {
			v := w.e.Voters[1].Public
			first, second := w.findBy(election.TypeBallot, v, 0), w.findBy(election.TypeBallot, v, 1)
			w.move(first, second) // now right after the re-vote
			return second
		}, election.TypeBallot, verifier.StepBallots, election.CodeWrongOrder, true},
		{"closing moved before the last ballot", func(w *world) int {
			i := w.find(election.TypePhase, 1)
			w.recs[i-1], w.recs[i] = w.recs[i], w.recs[i-1]
			return i - 1 // it names one record more than precede it now
		}, election.TypePhase, verifier.StepBallots, "stale", false},
		{"challenged ballot's claimed choice", func(w *world) int {
			i := w.find(election.TypeChallenge, 0)
			edit(w, i, func(c *ballot.ChallengedBallot) { c.Choices[2][1] ^= 1 })
			return i
		}, election.TypeChallenge, verifier.StepChallenges, "bad-proof", true},
		{"partial decryption of a wrong value, t honest ones present", func(w *world) int {
			i := w.findBy(election.TypePartial, w.e.Trustees[4].Public().SignKey, 0)
			edit(w, i, func(p *election.PartialRecord) {
				p.Partial.Shares[3].Add(p.Partial.Shares[3], crypto.NewGeneratorElement())
			})
			return i
		}, election.TypePartial, verifier.StepPartials, "bad-proof", true},
		{"partial decryption of a combined trustee dropped", func(w *world) int {
			w.drop(w.findBy(election.TypePartial, w.e.Trustees[0].Public().SignKey, 0))
			return w.find(election.TypeResult, 0)
		}, election.TypeResult, verifier.StepResult, "trustees", true},
		{"result count", func(w *world) int {
			i := w.find(election.TypeResult, 0)
			edit(w, i, func(r *election.ResultRecord) { r.Tally.Counts[5] += 2 })
			return i
		}, election.TypeResult, verifier.StepResult, "count", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			idx, r := w.forgeAndVerify(tt.edit)
			wantFailure(t, r, int64(idx), tt.typ, tt.step, tt.want)
			for _, id := range []verifier.StepID{verifier.StepChain, verifier.StepCheckpoints} {
				if s := r.Step(id); s.Status != verifier.Pass {
					t.Errorf("step %s: %s, want pass: the forgery should hold up there", id, s.Status)
				}
			}
			if tt.only {
				// The official's closing record names the history before
				// it: a forgery before it makes it stale, and nothing else.
				// (A definition that fails stops the replay there.)
				closing := w.find(election.TypePhase, 1)
				judged := idx > 0 && idx < closing
				if stale := closeNamesAnotherHistory(r); stale != judged {
					t.Errorf("closing record %d reported stale: %v, want %v (forged record %d)", closing, stale, judged, idx)
				}
				want := 1
				if judged {
					want = 2
				}
				if r.Problems != want {
					t.Errorf("%d problems, want only the tampered record (and the closing record before it)", r.Problems)
				}
			}
		})
	}
}

// closeNamesAnotherHistory reports whether r names the closing record as
// stale: made for another history than the record's.
func closeNamesAnotherHistory(r *verifier.Report) bool {
	for _, f := range r.Failures {
		if f.Type == election.TypePhase && f.Code == election.CodeStale {
			return true
		}
	}
	return false
}
