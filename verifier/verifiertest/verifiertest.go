// Package verifiertest generates complete election records, with every
// participant's keys, for the tests and benchmarks of package verifier and
// for scripts/bench-verify.sh. It is not for production use: the records
// are real (a bulletin.Log over a memory store runs the election policy),
// but Parallel mode lets the board skip the proofs of ballots it generated
// itself, to make large records affordable.
package verifiertest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
)

// Options shape a generated election.
type Options struct {
	// Voters is the size of the roll; each voter casts one ballot.
	Voters int
	// Trustees and Threshold are n and t of the key ceremony.
	Trustees, Threshold int
	// Contests of the election; empty means simulate.SampleContests().
	Contests []ballot.Contest
	// Styles and Assign give the definition ballot styles and the voters
	// their styles and weights (simulate.Options).
	Styles []ballot.Style
	Assign func(v int) (style string, weight uint64)
	// Challenges: voters 0 … Challenges−1 first challenge a ballot
	// (Benaloh), then cast.
	Challenges int
	// Revotes: voters 0 … Revotes−1 cast a second ballot after everyone
	// voted, superseding their first.
	Revotes int
	// Absent lists the trustees (1-based) that post no partial decryption.
	Absent []int
	// Parallel encrypts the voters' first ballots on Workers goroutines
	// and has the board admit them without re-verifying their proofs. Off,
	// every ballot goes through simulate.Election.Cast and the board's
	// full checks, one at a time.
	Parallel bool
	// Workers is the number of encrypting goroutines; runtime.NumCPU() if 0.
	Workers int
	// Progress, if set, is called as ballots are cast.
	Progress func(cast, total int)
	// Title of the election; empty means a default.
	Title string
	// Language and Translations are the definition's language and its
	// title's translations (simulate.Options).
	Language     string
	Translations ballot.Translations
	// Tick, if set, runs the board on a clock that starts at Start and
	// advances by Tick at every reading, so that the records' times are
	// spread out (for turnout charts), and voting opens at Start;
	// otherwise the board reads time.Now.
	Tick  time.Duration
	Start time.Time
	// Witnesses is the number of witnesses the definition names, with the
	// board itself; WitnessQuorum of them (the first) cosign the
	// checkpoint Generate returns.
	Witnesses, WitnessQuorum int
}

// Election is a generated election: the simulation with everyone's keys,
// the board's checkpoint and key, and the counts the result must show.
type Election struct {
	*simulate.Election
	// Records is the number of records on the board.
	Records int64
	// Checkpoint is the board's latest signed checkpoint note.
	Checkpoint []byte
	// BoardKey is the board's note verifier key.
	BoardKey string
	// BoardSigner signs checkpoints with the board's key.
	BoardSigner note.Signer
	// BoardSecretKey is that key in note.NewSigner format, for a board
	// that serves the record again.
	BoardSecretKey string
	// Counts are the totals of the counted ballots' plaintext choices,
	// contest by contest, option by option.
	Counts []uint64
	// MaxPayload is the payload limit the board ran with.
	MaxPayload int
	// Store holds the board's records, to open a bulletin.Log (and serve
	// it) over them again.
	Store store.Store
}

// Generate runs a whole election on an in-memory board (definition, key
// ceremony, voting with challenges and re-votes, partial decryptions, the
// result) and writes the board's export to w.
func Generate(ctx context.Context, opts Options, w io.Writer) (*Election, error) {
	if opts.Voters < 1 || opts.Trustees < 1 || opts.Threshold < 1 {
		return nil, errors.New("verifiertest: Voters, Trustees and Threshold must be positive")
	}
	if opts.Challenges > opts.Voters || opts.Revotes > opts.Voters {
		return nil, errors.New("verifiertest: more challenges or re-votes than voters")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "verifiertest-board")
	if err != nil {
		return nil, fmt.Errorf("verifiertest: board key: %w", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("verifiertest: board key: %w", err)
	}
	// The roll is in the definition: 44 bytes of base64 and 3 of JSON per voter.
	maxPayload := max(bulletin.DefaultMaxPayload, 64*opts.Voters+1<<20)
	tracker := new(election.Tracker)
	var fast *trustingPolicy
	newPolicy := func() bulletin.Policy {
		fast = &trustingPolicy{Policy: tracker.New().(*election.Policy), trusted: make(map[string]any)}
		return fast
	}
	ms := store.NewMemory()
	log, err := bulletin.OpenLog(ctx, ms, newPolicy, bulletin.LogOptions{Signer: signer, MaxPayload: maxPayload, Now: opts.clock()})
	if err != nil {
		return nil, fmt.Errorf("verifiertest: %w", err)
	}
	defer log.Close()

	sopts := simulate.Options{
		Title: opts.Title, Language: opts.Language, Translations: opts.Translations, Voters: opts.Voters, Trustees: opts.Trustees, Threshold: opts.Threshold, Contests: opts.Contests,
		Styles: opts.Styles, Assign: opts.Assign,
	}
	if opts.Tick > 0 {
		sopts.Opens = opts.Start.UTC().Truncate(time.Second)
	}
	cosigners, err := witnesses(&sopts, opts, signer.Name(), vkey)
	if err != nil {
		return nil, err
	}
	e, err := simulate.New(ctx, log.Append, tracker.Current, sopts)
	if err != nil {
		return nil, err
	}
	if err := e.Ceremony(ctx); err != nil {
		return nil, err
	}
	if err := e.SetPhase(ctx, election.PhaseOpen); err != nil {
		return nil, err
	}
	for v := range opts.Challenges {
		if _, err := e.Challenge(ctx, v, e.VoterChoices(v)); err != nil {
			return nil, err
		}
	}
	// bulk holds the choices of first ballots cast in parallel, by voter.
	var bulk []ballot.Choices
	if opts.Parallel {
		if bulk, err = castParallel(ctx, e, tracker.State(), log, fast, opts); err != nil {
			return nil, err
		}
	} else {
		for v := range opts.Voters {
			if _, _, err := e.Cast(ctx, v, e.VoterChoices(v)); err != nil {
				return nil, err
			}
			if opts.Progress != nil {
				opts.Progress(v+1, opts.Voters)
			}
		}
	}
	for v := range opts.Revotes {
		if _, _, err := e.Cast(ctx, v, e.VoterChoices(v)); err != nil {
			return nil, err
		}
	}
	if err := e.SetPhase(ctx, election.PhaseClosed); err != nil {
		return nil, err
	}
	absent := make(map[int]bool)
	for _, i := range opts.Absent {
		absent[i] = true
	}
	for i := 1; i <= opts.Trustees; i++ {
		if !absent[i] {
			if err := e.Decrypt(ctx, i); err != nil {
				return nil, err
			}
		}
	}
	if err := mixAndCount(ctx, e, opts.Trustees, absent); err != nil {
		return nil, err
	}
	// simulate.Election.Expected knows only the ballots it cast.
	counts := e.Expected()
	for v, c := range bulk {
		if v < opts.Revotes {
			continue // superseded by a ballot simulate cast
		}
		simulate.AddChoices(e.Manifest, counts, c, e.Roll[v].Weight)
	}
	r, err := participant.ComputeResult(tracker.State())
	if err != nil {
		return nil, fmt.Errorf("verifiertest: %w", err)
	}
	sub, err := election.NewSubmission(e.Official, election.TypeResult, r)
	if err != nil {
		return nil, fmt.Errorf("verifiertest: %w", err)
	}
	if _, _, err := log.Append(ctx, sub); err != nil {
		return nil, fmt.Errorf("verifiertest: posting the result: %w", err)
	}
	for k, got := range r.Tally.Counts {
		if got != counts[k] {
			return nil, fmt.Errorf("verifiertest: position %d counted %d, but %d were cast", k, got, counts[k])
		}
	}
	n, err := bulletin.Export(ctx, ms, w)
	if err != nil {
		return nil, fmt.Errorf("verifiertest: %w", err)
	}
	cp := log.Checkpoint()
	if len(cosigners) > 0 {
		if cp.Note, err = note.Sign(&note.Note{Text: string(cp.Text())}, append([]note.Signer{signer}, cosigners...)...); err != nil {
			return nil, fmt.Errorf("verifiertest: cosigning the checkpoint: %w", err)
		}
	}
	return &Election{
		Election:       e,
		Records:        n,
		Checkpoint:     cp.Note,
		BoardKey:       vkey,
		BoardSigner:    signer,
		BoardSecretKey: skey,
		Counts:         counts,
		MaxPayload:     maxPayload,
		Store:          ms,
	}, nil
}

// castParallel has every voter cast one ballot, encrypting on several
// goroutines, and returns the choices by voter.
func castParallel(ctx context.Context, e *simulate.Election, st *election.State, log *bulletin.Log, fast *trustingPolicy, opts Options) ([]ballot.Choices, error) {
	el := st.Election()
	el.PublicKey.Table() // build the fixed-base table once, not per goroutine
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	choices := make([]ballot.Choices, opts.Voters)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		wg.Go(func() {
			for {
				v := int(next.Add(1) - 1)
				if v >= opts.Voters || ctx.Err() != nil {
					return
				}
				ch := e.VoterChoices(v)
				cred := e.Voters[v]
				b, _, err := ballot.Encrypt(el, cred.Public, ch, ballot.ConfirmationCode{})
				if err == nil {
					var sub *bulletin.Submission
					if sub, err = election.NewSubmission(election.KeySigner(cred.Private), election.TypeBallot, b); err == nil {
						fast.trust(sub.Sig, b)
						_, _, err = log.Append(ctx, sub)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("verifiertest: voter %d: %w", v, err)
					cancel()
					return
				}
				choices[v] = ch
				if d := int(done.Add(1)); opts.Progress != nil && (d%max(1, opts.Voters/100) == 0 || d == opts.Voters) {
					opts.Progress(d, opts.Voters)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return choices, nil
}

// trustingPolicy is the election policy, except that it admits the
// ballots the generator encrypted itself without decoding or verifying
// them again.
type trustingPolicy struct {
	*election.Policy

	mu      sync.Mutex
	trusted map[string]any // by signature
}

func (p *trustingPolicy) trust(sig []byte, v any) {
	p.mu.Lock()
	p.trusted[string(sig)] = v
	p.mu.Unlock()
}

func (p *trustingPolicy) take(sig []byte) (any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.trusted[string(sig)]
	delete(p.trusted, string(sig))
	return v, ok
}

func (p *trustingPolicy) Verify(ctx context.Context, s *bulletin.Submission) error {
	p.mu.Lock()
	_, ok := p.trusted[string(s.Sig)]
	p.mu.Unlock()
	if ok {
		return nil
	}
	return p.Policy.Verify(ctx, s)
}

func (p *trustingPolicy) Admit(rec *bulletin.Record) error {
	if v, ok := p.take(rec.Sig); ok {
		return p.Policy.State().Admit(rec, v)
	}
	return p.Policy.Admit(rec)
}

// KofN returns a contest of n options in which a voter picks up to k, the
// shape of the benchmarks (docs/spec/ballot.md §1.2).
func KofN(n, k int) []ballot.Contest {
	opts := make([]ballot.Option, n)
	for i := range opts {
		opts[i] = ballot.Option{ID: fmt.Sprintf("o%d", i+1), Title: fmt.Sprintf("Option %d", i+1)}
	}
	return []ballot.Contest{{ID: "council", Title: fmt.Sprintf("Council (pick up to %d)", k), Kind: ballot.KindKOfN,
		MinSelections: 0, MaxSelections: k, OptionMax: 1, Options: opts}}
}

// clock returns the board's clock: nil (time.Now) unless Tick is set.
func (opts Options) clock() func() time.Time {
	if opts.Tick <= 0 {
		return nil
	}
	var mu sync.Mutex
	now := opts.Start.UTC()
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(opts.Tick)
		return now
	}
}

// witnesses names the board and opts.Witnesses witnesses in the definition
// simulate will post, and returns the signers of the first
// opts.WitnessQuorum of them.
func witnesses(sopts *simulate.Options, opts Options, origin, vkey string) ([]note.Signer, error) {
	if opts.Witnesses == 0 {
		return nil, nil
	}
	if opts.WitnessQuorum < 1 || opts.WitnessQuorum > opts.Witnesses {
		return nil, errors.New("verifiertest: WitnessQuorum must be between 1 and Witnesses")
	}
	sopts.Board = &ballot.Board{Origin: origin, Key: vkey}
	sopts.WitnessQuorum = opts.WitnessQuorum
	var signers []note.Signer
	for i := range opts.Witnesses {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		cs, err := torchwood.NewCosignatureSigner(fmt.Sprintf("witness-%d.example", i+1), priv)
		if err != nil {
			return nil, fmt.Errorf("verifiertest: witness: %w", err)
		}
		sopts.Witnesses = append(sopts.Witnesses, ballot.Witness{Name: cs.Name(), Key: cs.Verifier().String()})
		if i < opts.WitnessQuorum {
			signers = append(signers, cs)
		}
	}
	return signers, nil
}

// mixAndCount has every trustee present mix the mix-net contests (ranked,
// or with a write-in) in turn, then decrypt their last mixes, and the
// official post their counts. It does nothing for an election without
// mix-net contests.
func mixAndCount(ctx context.Context, e *simulate.Election, trustees int, absent map[int]bool) error {
	if !slices.ContainsFunc(e.Manifest.Contests, func(c ballot.Contest) bool { return c.Mixed() }) {
		return nil
	}
	for i := 1; i <= trustees; i++ {
		if !absent[i] {
			if err := e.Mix(ctx, i); err != nil {
				return err
			}
		}
	}
	for i := 1; i <= trustees; i++ {
		if !absent[i] {
			if err := e.DecryptMixes(ctx, i); err != nil {
				return err
			}
		}
	}
	if _, err := e.CountRanked(ctx); err != nil {
		return err
	}
	_, err := e.CountWriteIns(ctx)
	return err
}
