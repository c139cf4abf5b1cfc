// Package verifier re-verifies an election from its public record alone:
// the bulletin board's export or the board itself, and nothing secret.
//
// Verify replays the record through election.Replay, the one replay that
// every participant of an election also acts on: the hash chain, the
// signatures and the Merkle tree, every proof and the rules the board runs.
// It checks the signed checkpoints against the tree, and reports, step by
// step, what it checked and every record at fault, going on past a refused
// record to list them all. What is checked, in which order, and the
// report's JSON format are specified in docs/spec/verifier.md.
//
// Ballot proofs, which dominate the cost, are verified in batches on every
// CPU, and records are decoded in parallel and replayed in chunks, so that
// memory stays bounded by the chunk size plus the election state (one entry
// per voter) for records of millions of ballots.
package verifier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
)

// Defaults of Options.
const (
	// DefaultMaxPayload is the largest record payload Verify accepts
	// unless told otherwise: the replay's (election.DefaultMaxPayload).
	DefaultMaxPayload = election.DefaultMaxPayload
	// DefaultChunkSize is the number of records decoded and replayed
	// together.
	DefaultChunkSize = 2048
	// DefaultBatchSize is the largest number of ballots whose proofs are
	// checked in one batch.
	DefaultBatchSize = 256
	// DefaultMaxFailures bounds the failures listed in a report.
	DefaultMaxFailures = 1000
)

// Options configures Verify. The zero value verifies a record without
// checkpoints.
type Options struct {
	// BoardKey is the board's checkpoint verifier key, in
	// note.NewVerifier format. It is needed to check checkpoints.
	BoardKey string
	// Checkpoints are signed checkpoint notes to check against the record,
	// besides those the source brings.
	Checkpoints [][]byte
	// Origin is the log every checkpoint must be for (its first line); the
	// name of BoardKey if empty, as C2SP tlog-checkpoint recommends.
	Origin string
	// MaxPayload is the largest payload accepted; DefaultMaxPayload if 0.
	MaxPayload int
	// Workers is the number of goroutines decoding records and verifying
	// proofs; runtime.NumCPU() if 0.
	Workers int
	// ChunkSize is the number of records replayed together;
	// DefaultChunkSize if 0.
	ChunkSize int
	// BatchSize bounds the ballots of one proof batch; DefaultBatchSize if 0.
	BatchSize int
	// MaxFailures bounds the failures listed in the report (the rest are
	// counted); DefaultMaxFailures if 0.
	MaxFailures int
	// Progress, if set, is called from Verify's goroutine every
	// ProgressInterval while records are replayed, and once at the end.
	Progress func(Progress)
	// ProgressInterval is the time between Progress calls; 200ms if 0.
	ProgressInterval time.Duration
}

// Verify verifies the record src supplies and returns the report. It never
// returns nil; a source that cannot be read is a failure in the report.
// Verify stops early only if ctx is cancelled, reporting that as a failure.
func Verify(ctx context.Context, src Source, opts Options) *Report {
	v := newVerifier(opts)
	stream, err := src.Open(ctx)
	if err != nil {
		v.failure(-1, "", StepChain, "", fmt.Sprintf("opening the record: %v", err))
		v.stop("the record could not be read")
		return v.finish()
	}
	defer stream.Records.Close()
	v.report.Source = stream.Name
	v.stream = stream

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	v.cancel = cancel
	sniff := &typeSniffer{r: stream.Records, types: make(map[int64]string)}
	chunks := make(chan []*bulletin.Record, 1)
	prepared := make(chan chunk, 1)
	var readErr error
	go func() {
		defer close(chunks)
		var cur []*bulletin.Record
		send := func() error {
			select {
			case chunks <- cur:
				cur = nil
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		_, readErr = bulletin.ReadExport(sniff, func(r *bulletin.Record) error {
			cur = append(cur, r)
			if len(cur) == v.chunkSize {
				return send()
			}
			return nil
		})
		if len(cur) > 0 {
			send()
		}
	}()
	go func() {
		defer close(prepared)
		for c := range chunks {
			var entries []*election.Entry
			if !v.stopped.Load() {
				entries = v.replay.Prepare(c)
			}
			prepared <- chunk{recs: c, entries: entries}
		}
	}()
	for c := range prepared {
		switch {
		case v.chainBroken:
		case c.entries != nil && !v.stopped.Load():
			v.replay.Admit(c.entries, v.outcome)
		default:
			v.chainOnly(c.recs)
		}
		v.progress(false)
	}
	// The reader has finished: chunks is closed only after ReadExport returned.
	v.readResult(readErr, sniff)
	v.checkpoints()
	return v.finish()
}

// chunk is a run of records read from the export and, unless the replay
// stopped, prepared for it.
type chunk struct {
	recs    []*bulletin.Record
	entries []*election.Entry
}

type verifier struct {
	opts                               Options
	chunkSize                          int
	maxFailures                        int
	start, lastProgress                time.Time
	stream                             *Stream
	replay                             *election.Replay
	st                                 *election.State
	cancel                             context.CancelFunc
	report                             *Report
	steps                              map[StepID]*Step
	folded                             map[string]*Failure
	stopped                            atomic.Bool // no more replay (the rules cannot go on)
	chainBroken                        bool        // nor any more reading
	stopNote                           string
	records, ballots, bytesReplayed    int64
	definitionAdmitted, resultAdmitted bool
	turnout                            turnoutCounter
}

func newVerifier(opts Options) *verifier {
	replay := election.NewReplay(election.ReplayOptions{
		MaxPayload: orDefault(opts.MaxPayload, DefaultMaxPayload),
		Workers:    opts.Workers,
		BatchSize:  opts.BatchSize,
		KeepGoing:  true,
	})
	v := &verifier{
		opts:        opts,
		chunkSize:   orDefault(opts.ChunkSize, DefaultChunkSize),
		maxFailures: orDefault(opts.MaxFailures, DefaultMaxFailures),
		start:       time.Now(),
		replay:      replay,
		st:          replay.State(),
		report:      &Report{Version: ReportVersion, Failures: []*Failure{}},
		steps:       make(map[StepID]*Step),
		folded:      make(map[string]*Failure),
	}
	v.lastProgress = v.start
	v.st.SetBoard(opts.BoardKey)
	counts := map[StepID][]string{
		StepChain:       {"records", "signatures"},
		StepCheckpoints: {"checkpoints"},
		StepDefinition:  {"trustees", "needed to decrypt", "contests", "positions", "client hashes"},
		StepRoll:        {"roll records", "voters"},
		StepCeremony:    {"commitments", "Schnorr proofs", "share messages", "sealed shares", "verdicts", "joint keys", "verification keys"},
		StepBallots:     {"ballots", "counted", "superseded", "range proofs", "phase changes"},
		StepChallenges:  {"challenged ballots"},
		StepSums:        {"positions", "ballots summed"},
		StepPartials:    {"partial decryptions", "decryption proofs"},
		StepResult:      {"positions", "trustees combined"},
		StepMix:         {"mixes", "shuffled ciphertexts", "mix decryptions", "decryption proofs", "ranked counts", "write-in counts"},
	}
	for i, s := range stepInfo {
		st := &Step{N: i + 1, ID: s.id, Title: s.title, Spec: s.spec, Status: Pass}
		for _, name := range counts[s.id] {
			st.Counts = append(st.Counts, Count{Name: name})
		}
		v.steps[s.id] = st
		v.report.Steps = append(v.report.Steps, st)
	}
	return v
}

func orDefault(x, def int) int {
	if x > 0 {
		return x
	}
	return def
}

func (v *verifier) add(step StepID, name string, n int64) {
	s := v.steps[step]
	s.Counts.set(name, s.Counts.Get(name)+n)
}

// failure records a problem. Failures identical but for the record index
// are folded into the first.
func (v *verifier) failure(index int64, typ string, step StepID, code, reason string) {
	v.report.Problems++
	v.steps[step].Failures++
	key := strings.Join([]string{string(step), typ, code, reason}, "\x00")
	if f, ok := v.folded[key]; ok && index >= 0 && f.Index >= 0 {
		f.Repeats++
		if len(f.Also) < 10 {
			f.Also = append(f.Also, index)
		}
		return
	}
	if len(v.report.Failures) >= v.maxFailures {
		v.report.Omitted++
		return
	}
	f := &Failure{Index: index, Type: typ, Step: step, Code: code, Reason: reason, Spec: v.steps[step].Spec}
	v.folded[key] = f
	v.report.Failures = append(v.report.Failures, f)
}

// fail records err as the failure of rec.
func (v *verifier) fail(rec *bulletin.Record, step StepID, err error) {
	var re *bulletin.RejectError
	if errors.As(err, &re) {
		v.failure(int64(rec.Index), rec.Type, step, re.Code, re.Reason)
		return
	}
	v.failure(int64(rec.Index), rec.Type, step, "", err.Error())
}

// stepOf returns the step that checks records of type typ.
func stepOf(typ string) StepID {
	switch typ {
	case election.TypeRoll, election.TypeRollClose:
		return StepRoll
	case election.TypeCommitments, election.TypeShares, election.TypeVerdict, election.TypeJointKey:
		return StepCeremony
	case election.TypeBallot, election.TypePhase:
		return StepBallots
	case election.TypeChallenge:
		return StepChallenges
	case election.TypePartial:
		return StepPartials
	case election.TypeResult:
		return StepResult
	case election.TypeMix, election.TypeMixDecryption, election.TypeRankedResult, election.TypeWriteInResult:
		return StepMix
	}
	return StepDefinition // the definition, client hashes, unknown types
}

// outcome takes the replay's verdict on one record into the report. It
// goes on after a record the rules refuse, to list every failure, but not
// after a break in the chain, after which no record has a place.
func (v *verifier) outcome(e *election.Entry, err error) bool {
	rec := e.Record
	var ce *bulletin.ChainError
	if errors.As(err, &ce) {
		v.breakChain(ce, rec.Type)
		return false
	}
	if v.stopped.Load() {
		return true // only the chain goes on
	}
	v.records++
	v.bytesReplayed += lineLen(rec)
	if rec.Type == election.TypeBallot {
		v.ballots++
	}
	if err != nil {
		v.fail(rec, stepOf(rec.Type), err)
	} else {
		v.count(e.Value)
		if rec.Type == election.TypeBallot {
			v.turnout.add(rec.Time)
		}
	}
	if rec.Index == 0 && v.st.Phase() == election.Empty {
		v.stop("the first record is not a valid election definition, so nothing after it can be checked")
	}
	return true
}

// count adds an admitted record to its step's counts.
func (v *verifier) count(x any) {
	switch x := x.(type) {
	case *ballot.Manifest:
		v.definitionAdmitted = true
		d := v.steps[StepDefinition]
		d.Counts.set("trustees", int64(len(x.Trustees)))
		d.Counts.set("needed to decrypt", int64(x.Threshold))
		d.Counts.set("contests", int64(len(x.Contests)))
		d.Counts.set("positions", int64(x.OptionCount()))
	case *election.ClientHash:
		v.add(StepDefinition, "client hashes", 1)
	case *ballot.RollChunk:
		v.add(StepRoll, "roll records", 1)
		v.add(StepRoll, "voters", int64(len(x.Voters)))
	case *ceremony.Commitments:
		v.add(StepCeremony, "commitments", 1)
		v.add(StepCeremony, "Schnorr proofs", int64(len(x.Proofs)))
	case *ceremony.Shares:
		v.add(StepCeremony, "share messages", 1)
		v.add(StepCeremony, "sealed shares", int64(len(x.Shares)))
	case *ceremony.Verdict:
		v.add(StepCeremony, "verdicts", 1)
	case *ceremony.JointKey:
		v.add(StepCeremony, "joint keys", 1)
		v.add(StepCeremony, "verification keys", int64(len(x.VerificationKeys)))
	case *election.PhaseChange:
		v.add(StepBallots, "phase changes", 1)
	case *ballot.EncryptedBallot:
		v.add(StepBallots, "ballots", 1)
		n := 0
		for _, c := range x.Contests {
			n += len(c.Options) + 1
		}
		v.add(StepBallots, "range proofs", int64(n))
	case *ballot.ChallengedBallot:
		v.add(StepChallenges, "challenged ballots", 1)
	case *election.PartialRecord:
		v.add(StepPartials, "partial decryptions", 1)
		v.add(StepPartials, "decryption proofs", int64(len(x.Partial.Proofs)))
	case *election.MixRecord:
		v.add(StepMix, "mixes", 1)
		v.add(StepMix, "shuffled ciphertexts", int64(len(x.Output)/crypto.CiphertextSize))
	case *election.MixDecryptionRecord:
		v.add(StepMix, "mix decryptions", 1)
		v.add(StepMix, "decryption proofs", int64(len(x.Partial.Proofs)))
	case *election.RankedResultRecord:
		v.add(StepMix, "ranked counts", 1)
	case *election.WriteInResultRecord:
		v.add(StepMix, "write-in counts", 1)
	case *election.ResultRecord:
		v.resultAdmitted = true
		v.steps[StepResult].Counts.set("positions", int64(len(x.Tally.Counts)))
		v.steps[StepResult].Counts.set("trustees combined", int64(len(x.Tally.Trustees)))
	}
}

// stop ends the replay: no later record can be judged. The chain is still
// followed, so that the checkpoints can be checked.
func (v *verifier) stop(note string) {
	if !v.stopped.Load() {
		v.stopNote = note
		v.stopped.Store(true)
	}
}

// breakChain reports a break in the chain and stops reading: no record
// after it has a place in the log.
func (v *verifier) breakChain(ce *bulletin.ChainError, typ string) {
	v.failure(ce.Index, typ, StepChain, ce.Code, ce.Reason)
	v.stop(fmt.Sprintf("the chain breaks at record %d; records from there on were not replayed", ce.Index))
	v.chainBroken = true
	if v.cancel != nil {
		v.cancel()
	}
}

// chainOnly takes records into the chain alone, once the replay stopped.
func (v *verifier) chainOnly(recs []*bulletin.Record) {
	for _, rec := range recs {
		var ce *bulletin.ChainError
		if err := v.replay.Chain().Append(rec); errors.As(err, &ce) {
			v.breakChain(ce, rec.Type)
			return
		}
	}
}

// lineLen returns the length of rec's line in an export: its canonical
// encoding (bulletin.Record.MarshalJSON) and the newline.
func lineLen(rec *bulletin.Record) int64 {
	const fixed = len(`{"index":,"time":"2006-01-02T15:04:05.000Z","type":"","payload":,"author":"","sig":"","prev":""}` + "\n")
	return int64(fixed + len(strconv.FormatUint(rec.Index, 10)) + len(rec.Type) + len(rec.Payload) +
		base64.StdEncoding.EncodedLen(len(rec.Author)) + base64.StdEncoding.EncodedLen(len(rec.Sig)) +
		base64.StdEncoding.EncodedLen(len(rec.Prev)))
}

func (v *verifier) progress(final bool) {
	if v.opts.Progress == nil {
		return
	}
	now := time.Now()
	interval := v.opts.ProgressInterval
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	if !final && now.Sub(v.lastProgress) < interval {
		return
	}
	v.lastProgress = now
	p := Progress{Records: v.records, Ballots: v.ballots, Done: v.records, Elapsed: now.Sub(v.start), Final: final}
	if s := v.stream; s != nil {
		switch {
		case s.TotalRecords > 0:
			p.Total = s.TotalRecords
		case s.Total > 0:
			p.Done, p.Total = v.bytesReplayed, s.Total
		}
	}
	v.opts.Progress(p)
}

// readResult reports how reading the export ended (step 1): a line that
// is not a record breaks the chain there.
func (v *verifier) readResult(err error, sniff *typeSniffer) {
	chain := v.replay.Chain()
	v.steps[StepChain].Counts.set("records", chain.Size())
	v.steps[StepChain].Counts.set("signatures", chain.Size())
	if err == nil || v.chainBroken {
		return
	}
	var ce *bulletin.ChainError
	if errors.As(err, &ce) {
		v.breakChain(ce, sniff.typeOf(ce.Index))
		return
	}
	v.failure(-1, "", StepChain, "", fmt.Sprintf("reading the record stopped after %d records: %v", v.records, err))
	v.stop("the record could not be read to its end")
}

// checkpoints checks every signed checkpoint against the tree (step 2):
// its signature by the board key, its origin, and the root of the records
// it covers.
func (v *verifier) checkpoints() {
	var cps [][]byte
	cps = append(cps, v.opts.Checkpoints...)
	if v.stream != nil {
		cps = append(cps, v.stream.Checkpoints...)
	}
	s := v.steps[StepCheckpoints]
	if len(cps) == 0 {
		s.Status = Skipped
		s.Note = "no checkpoint given: nothing ties this record to what the board signed (use --checkpoint or --board)"
		return
	}
	if v.opts.BoardKey == "" {
		v.failure(-1, "", StepCheckpoints, "", countText(int64(len(cps)), "checkpoints")+" given but no board key to verify their signatures")
		return
	}
	nv, err := note.NewVerifier(v.opts.BoardKey)
	if err != nil {
		v.failure(-1, "", StepCheckpoints, "", fmt.Sprintf("board key: %v", err))
		return
	}
	origin := v.opts.Origin
	if origin == "" {
		origin = nv.Name()
	}
	chain := v.replay.Chain()
	var sizes []string
	for i, signed := range cps {
		c, _, err := bulletin.OpenCheckpoint(signed, note.VerifierList(nv))
		if err != nil {
			v.failure(-1, "", StepCheckpoints, "", fmt.Sprintf("checkpoint %d: %v", i+1, err))
			continue
		}
		switch {
		case c.Origin != origin:
			v.failure(-1, "", StepCheckpoints, "", fmt.Sprintf("checkpoint %d is for the log %q, not %q: it is another board's, or the board changed its origin", i+1, c.Origin, origin))
		case c.Size > chain.Size():
			v.failure(chain.Size(), "", StepCheckpoints, "", fmt.Sprintf(
				"checkpoint %d signs %d records, but the record has only %d valid ones: records from %d on are missing (truncated or broken)", i+1, c.Size, chain.Size(), chain.Size()))
		default:
			if err := chain.CheckCheckpoint(c); err != nil {
				v.failure(-1, "", StepCheckpoints, "", fmt.Sprintf("checkpoint %d: %v", i+1, err))
				continue
			}
			cosigned, err := v.st.CheckCheckpoint(signed, c)
			for _, name := range cosigned.Faulty {
				v.failure(-1, "", StepCheckpoints, "", fmt.Sprintf(
					"checkpoint %d: the cosignature line of %s does not verify: it signed another tree or time, or it is forged (it counts for nothing)", i+1, name))
			}
			if err != nil {
				v.failure(-1, "", StepCheckpoints, "", fmt.Sprintf("checkpoint %d: %v", i+1, err))
				continue
			}
			cosigners := cosigned.Names
			s.Counts.set("checkpoints", s.Counts.Get("checkpoints")+1)
			v.report.Checkpoints = append(v.report.Checkpoints, CheckpointResult{
				Origin: c.Origin, Size: c.Size, Hash: base64.StdEncoding.EncodeToString(c.Hash[:]), Cosigners: cosigners, Faulty: cosigned.Faulty})
			size := strconv.FormatInt(c.Size, 10)
			if len(cosigners) > 0 {
				size += " (cosigned by " + strings.Join(cosigners, ", ") + ")"
			}
			sizes = append(sizes, size)
		}
	}
	if len(sizes) > 0 {
		s.Note = "verified checkpoints of sizes " + strings.Join(sizes, ", ") + " of the log " + strconv.Quote(origin)
	}
}

// finish completes the steps and the report.
func (v *verifier) finish() *Report {
	r := v.report
	chain := v.replay.Chain()
	r.Records = chain.Size()
	if root, err := chain.TreeHash(chain.Size()); err == nil {
		r.TreeHash = base64.StdEncoding.EncodeToString(root[:])
	}
	st := v.st
	sum := st.Summary()
	if m := st.Manifest(); m != nil {
		r.Election = &sum
		for _, w := range m.Witnesses {
			r.Witnesses = append(r.Witnesses, w.Name)
		}
		r.WitnessQuorum = m.WitnessQuorum
		for _, o := range m.Operators {
			r.Operators = append(r.Operators, o.Name)
		}
		r.OperatorQuorum = m.OperatorQuorum()
	}
	r.Turnout = v.turnout.result()
	phase := st.Phase()
	skip := func(id StepID, note string) {
		if s := v.steps[id]; s.Failures == 0 {
			s.Status = Skipped
			if v.stopNote != "" {
				note = "not checked: " + v.stopNote
			}
			s.Note = note
		}
	}
	if !v.definitionAdmitted && v.steps[StepDefinition].Failures == 0 && v.stopNote == "" {
		v.failure(0, "", StepDefinition, "", "the record has no election definition")
	}
	v.rollNote(sum)
	if st.Election() == nil {
		skip(StepCeremony, "the key ceremony is not complete: no joint key yet")
	}
	b := v.steps[StepBallots]
	b.Counts.set("counted", int64(sum.Counted))
	b.Counts.set("superseded", int64(sum.Superseded))
	if phase < election.Open {
		skip(StepBallots, "voting has not opened")
		skip(StepChallenges, "voting has not opened")
	}
	if phase < election.Closed {
		skip(StepSums, "voting has not closed: the sums are not final")
		skip(StepPartials, "voting has not closed")
	} else {
		v.checkSums(sum)
		if len(st.Partials()) == 0 {
			skip(StepPartials, "no partial decryption on the board yet")
		} else {
			v.steps[StepPartials].Note = missingTrustees(st)
		}
	}
	if v.resultAdmitted {
		v.resultTable()
	} else {
		skip(StepResult, "no result on the board yet")
	}
	switch mixed := mixedContests(st.Manifest()); {
	case mixed == 0:
		// Nothing to mix: the step holds, as the challenges' step does
		// for an election without challenged ballots.
	case phase < election.Closed:
		skip(StepMix, "voting has not closed")
	default:
		v.steps[StepMix].Note = mixedNote(st, mixed)
	}
	for _, s := range r.Steps {
		if s.Failures > 0 {
			s.Status = Fail
		}
	}
	slices.SortStableFunc(r.Failures, func(a, b *Failure) int {
		switch {
		case a.Index < b.Index:
			return -1
		case a.Index > b.Index:
			return 1
		}
		return 0
	})
	r.OK = r.Problems == 0
	r.Elapsed = time.Since(v.start).Seconds()
	v.progress(true)
	return r
}

// rollNote says who keeps the roll, whether it is closed, and the turnout.
func (v *verifier) rollNote(sum election.Summary) {
	s := v.steps[StepRoll]
	if sum.Registrar == "" || s.Failures > 0 {
		return
	}
	switch {
	case !sum.RollClosed:
		s.Note = fmt.Sprintf("registrar %s; the roll is not closed yet (%d voters so far)", sum.Registrar, sum.Voters)
	case sum.Voters > 0:
		s.Note = fmt.Sprintf("registrar %s; closed with %d voters; turnout %d counted ballots (%.1f%%)",
			sum.Registrar, sum.Voters, sum.Counted, 100*float64(sum.Counted)/float64(sum.Voters))
	}
}

// checkSums checks the bookkeeping of the encrypted sums (step 7): every
// admitted ballot is either counted or superseded, and there is one sum
// per position. The sums themselves are recomputed by the replay and bind
// the partial decryptions (step 8) and the result (step 9).
func (v *verifier) checkSums(sum election.Summary) {
	s := v.steps[StepSums]
	sums := v.st.Sums()
	s.Counts.set("positions", int64(len(sums)))
	s.Counts.set("ballots summed", int64(sum.Counted))
	if m := v.st.Manifest(); len(sums) != m.OptionCount() {
		v.failure(-1, "", StepSums, "", fmt.Sprintf("%d sums for %d positions", len(sums), m.OptionCount()))
	}
	if sum.Counted+sum.Superseded != sum.Ballots {
		v.failure(-1, "", StepSums, "", fmt.Sprintf("%d ballots admitted, but %d counted and %d superseded", sum.Ballots, sum.Counted, sum.Superseded))
	}
	h := sha256.New()
	for _, c := range sums {
		h.Write(c.Bytes())
	}
	s.Note = "SHA-256 of the sums: " + hex.EncodeToString(h.Sum(nil))
}

func missingTrustees(st *election.State) string {
	posted := make(map[uint32]bool)
	for _, p := range st.Partials() {
		posted[p.Trustee] = true
	}
	var missing []string
	for i := range st.Manifest().Trustees {
		if !posted[uint32(i+1)] {
			missing = append(missing, strconv.Itoa(i+1))
		}
	}
	if len(missing) == 0 {
		return "every trustee posted"
	}
	return "no partial decryption from trustee " + strings.Join(missing, ", ")
}

func (v *verifier) resultTable() {
	table, err := v.st.ResultTable()
	if err != nil {
		return
	}
	res := v.st.Result()
	var used []string
	for _, t := range res.Trustees {
		used = append(used, strconv.FormatUint(uint64(t), 10))
	}
	v.steps[StepResult].Note = "combined the partial decryptions of trustees " + strings.Join(used, ", ")
	m := v.st.Manifest()
	perContest := v.st.ResultContests() // the result's own, which the state checked
	k := 0
	for i, c := range m.Contests {
		cr := ContestResult{ID: c.ID, Title: c.Title}
		if perContest != nil {
			cr.Ballots, cr.Weight = perContest[i].Ballots, perContest[i].Weight
		}
		for range c.Options {
			oc := table[k]
			cr.Options = append(cr.Options, OptionResult{ID: oc.Option, Title: oc.Title, Count: oc.Count})
			k++
		}
		cr.WriteIns = writeInsOf(v.st, i)
		if c.Ranked() {
			cr.Method = c.Method
			cr.Outcome = rankedOutcomeOf(v.st, i)
		}
		v.report.Result = append(v.report.Result, cr)
	}
}

// writeInsOf returns the names written in contest i with their counts, as
// the state recomputed them from the decrypted rows when it admitted the
// writein-result; nil if the contest has no write-in or no count yet.
func writeInsOf(st *election.State, i int) []WriteInResult {
	r := st.WriteInResult(i)
	if r == nil {
		return nil
	}
	var count election.WriteInCount
	if err := json.Unmarshal(r.Count, &count); err != nil { // the state admitted it as its own encoding
		return nil
	}
	out := make([]WriteInResult, 0, len(count.Texts))
	for _, t := range count.Texts {
		out = append(out, WriteInResult(t))
	}
	return out
}

// rankedOutcomeOf returns the outcome of ranked contest i from the
// ranked-result that the state recomputed from the decrypted ballots when
// it admitted it; nil if there is none yet.
func rankedOutcomeOf(st *election.State, i int) *RankedOutcome {
	r := st.RankedResult(i)
	if r == nil {
		return nil
	}
	var count election.RankedCount
	if err := json.Unmarshal(r.Count, &count); err != nil { // the state admitted it as its own encoding
		return nil
	}
	c := &st.Manifest().Contests[i]
	ref := func(k int) OptionRef {
		if k < 0 || k >= len(c.Options) {
			return OptionRef{ID: strconv.Itoa(k), Title: fmt.Sprintf("candidate %d", k)}
		}
		return OptionRef{ID: c.Options[k].ID, Title: c.Options[k].Title}
	}
	name := func(k int) string { return ref(k).Title }
	refs := func(ks []int) []OptionRef {
		out := make([]OptionRef, len(ks))
		for j, k := range ks {
			out[j] = ref(k)
		}
		return out
	}
	o := &RankedOutcome{Method: count.Method, Ballots: count.Ballots, Discarded: len(count.Discarded),
		Seats: max(1, c.Seats), Elected: refs(count.Elected())}
	switch {
	case count.IRV != nil:
		out := make(map[int]bool)
		for _, rd := range count.IRV.Rounds {
			row := OutcomeRound{Exhausted: strconv.FormatInt(rd.Exhausted, 10), Then: rd.Outcome(name)}
			for k, n := range rd.Counts {
				if out[k] {
					row.Counts = append(row.Counts, "")
				} else {
					row.Counts = append(row.Counts, strconv.FormatInt(n, 10))
				}
			}
			if rd.Excluded >= 0 {
				out[rd.Excluded] = true
			}
			o.Rounds = append(o.Rounds, row)
		}
	case count.STV != nil:
		for _, sg := range count.STV.Stages {
			row := OutcomeRound{Action: sg.Describe(name), Exhausted: sg.NonTransferable.String()}
			for _, n := range sg.Counts {
				row.Counts = append(row.Counts, n.String())
			}
			if len(sg.Elected) > 0 {
				titles := make([]string, len(sg.Elected))
				for j, k := range sg.Elected {
					titles[j] = name(k)
				}
				row.Then = strings.Join(titles, ", ") + " elected"
			}
			o.Rounds = append(o.Rounds, row)
		}
	case count.Schulze != nil:
		o.Order = refs(count.Schulze.Order)
	case count.Borda != nil:
		o.Order = refs(count.Borda.Order)
	}
	return o
}

// typeSniffer passes an export through and remembers the type of each of
// the most recent lines, so that a record that fails to parse or to chain
// can still be named by its type.
type typeSniffer struct {
	r     io.Reader
	line  int64
	head  []byte // the first bytes of the current line
	types map[int64]string
}

const sniffHead = 160 // the type is within the first 80 bytes of a record

func (s *typeSniffer) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	data := p[:n]
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		part := data
		if i >= 0 {
			part = data[:i]
		}
		if room := sniffHead - len(s.head); room > 0 {
			s.head = append(s.head, part[:min(len(part), room)]...)
		}
		if i < 0 {
			break
		}
		s.types[s.line] = sniffType(s.head)
		delete(s.types, s.line-4096)
		s.line++
		s.head = s.head[:0]
		data = data[i+1:]
	}
	return n, err
}

// typeOf returns the type of line i, if it was seen recently.
func (s *typeSniffer) typeOf(i int64) string {
	if i == s.line {
		return sniffType(s.head)
	}
	return s.types[i]
}

func sniffType(head []byte) string {
	_, rest, ok := bytes.Cut(head, []byte(`,"type":"`))
	if !ok {
		return ""
	}
	t, _, ok := bytes.Cut(rest, []byte(`"`))
	if !ok || !bulletin.ValidType(string(t)) {
		return ""
	}
	return string(t)
}

// mixedContests returns the number of mix-net contests of m (ranked, or
// with a write-in; nil: none).
func mixedContests(m *ballot.Manifest) int {
	n := 0
	if m != nil {
		for i := range m.Contests {
			if m.Contests[i].Mixed() {
				n++
			}
		}
	}
	return n
}

// mixedNote says how many of the mix-net contests are counted.
func mixedNote(st *election.State, mixed int) string {
	counted := 0
	for i := range st.Manifest().Contests {
		if st.RankedResult(i) != nil || st.WriteInResult(i) != nil {
			counted++
		}
	}
	if counted == mixed {
		return ""
	}
	return fmt.Sprintf("%d of %d mix-net contests (ranked, or with a write-in) counted", counted, mixed)
}
