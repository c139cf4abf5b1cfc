// Package simulate drives a whole election through a bulletin board: an
// official, a registrar, n trustees and many voters, each doing what the
// real participants do, through the same steps (package participant), and
// posting signed records through a Post function (the board's Log in tests,
// the HTTP client in the demo). It keeps the plaintext choices of the
// counted ballots so that the result can be compared with what was cast.
package simulate

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
)

// PostFunc appends a submission to the board and returns the record and
// the board's receipt. bulletin.Log.Append and client.Client.Post fit.
type PostFunc = participant.PostFunc

// StateFunc returns the election state as of the board's latest records,
// as a participant sees it (follow.Follower.Sync, or the board's own state
// in tests).
type StateFunc func(ctx context.Context) (*election.State, error)

// Election is one simulated election and everyone's secrets.
type Election struct {
	Post  PostFunc
	State StateFunc

	Manifest  *ballot.Manifest
	Official  election.KeySigner
	Registrar election.KeySigner
	Trustees  []*ceremony.TrusteeKeys
	Voters    []*ballot.Credential // voter v's identifier is VoterID(v)
	Roll      []ballot.RollEntry   // voter v's roll entry, with its style and weight

	keystores []*ceremony.TrusteeState // by trustee index − 1: each trustee's keystore, kept in memory
	Shares    []*ceremony.TrusteeShare // by trustee index − 1, after the ceremony

	mu      sync.Mutex                      // guards counted and prev: voters may cast concurrently
	counted map[int]ballot.Choices          // voter → choices of its last cast ballot
	prev    map[int]ballot.ConfirmationCode // voter → its device's last confirmation code
}

// Options shape the simulated election.
type Options struct {
	Title string
	// Language and Translations are the definition's language and its
	// title's translations (docs/spec/ballot.md §1.7); none if empty.
	Language     string
	Translations ballot.Translations
	Voters       int
	Trustees     int
	Threshold    int
	Contests     []ballot.Contest // empty: SampleContests()
	// Styles are the definition's ballot styles (none if empty), and
	// Assign gives voter v its style and weight (0 for 1); nil gives every
	// voter style "" and weight 1.
	Styles []ballot.Style
	Assign func(v int) (style string, weight uint64)
	// MinCounted is the definition's privacy floor; its default if 0.
	MinCounted int
	// Board, Witnesses, WitnessQuorum and Operators are the definition's
	// trust policy (ballot.Manifest); none if nil and empty.
	Board         *ballot.Board
	Witnesses     []ballot.Witness
	WitnessQuorum int
	Operators     []ballot.Operator
	// VoterHeld has each voter make its own credential and send the
	// registrar a registration request, which the registrar checks before
	// posting the key; otherwise the registrar generates the credentials.
	VoterHeld bool
	// LeaveRollOpen has New post the roll's entries but not close it.
	LeaveRollOpen bool
	// Opens and Closes are the definition's voting window; if zero, it
	// opens now (to the second) and closes a day later.
	Opens, Closes time.Time
}

// VoterID returns the identifier the simulated registrar gives voter v.
func VoterID(v int) string { return fmt.Sprintf("voter-%06d", v+1) }

// SampleContests returns one contest of each kind: plurality, k-of-n,
// approval and cumulative.
func SampleContests() []ballot.Contest {
	opts := func(ids ...string) []ballot.Option {
		out := make([]ballot.Option, len(ids))
		for i, id := range ids {
			out[i] = ballot.Option{ID: id, Title: "Option " + id}
		}
		return out
	}
	return []ballot.Contest{
		{ID: "mayor", Title: "Mayor (pick one)", Kind: ballot.KindPlurality, MinSelections: 0, MaxSelections: 1, OptionMax: 1, Options: opts("alice", "bob", "carol")},
		{ID: "council", Title: "Council (pick up to 3)", Kind: ballot.KindKOfN, MinSelections: 0, MaxSelections: 3, OptionMax: 1, Options: opts("dan", "erin", "frank", "grace", "heidi", "ivan", "judy", "ken", "leo", "mallory")},
		{ID: "parks", Title: "Parks to renovate (approve any)", Kind: ballot.KindApproval, MinSelections: 0, MaxSelections: 4, OptionMax: 1, Options: opts("north", "lake", "gorge", "square")},
		{ID: "budget", Title: "Spread 5 points", Kind: ballot.KindCumulative, MinSelections: 5, MaxSelections: 5, OptionMax: 3, Options: opts("schools", "roads", "safety")},
	}
}

// NewManifest builds the definition and the keys of the official, the
// registrar and the trustees for opts.
func NewManifest(opts Options) (m *ballot.Manifest, official, registrar election.KeySigner, trustees []*ceremony.TrusteeKeys, err error) {
	if official, err = newSigner(); err != nil {
		return nil, nil, nil, nil, err
	}
	if registrar, err = newSigner(); err != nil {
		return nil, nil, nil, nil, err
	}
	contests := opts.Contests
	if len(contests) == 0 {
		contests = SampleContests()
	}
	title := opts.Title
	if title == "" {
		title = "Simulated election"
	}
	opens, closes := opts.Opens, opts.Closes
	if opens.IsZero() {
		opens = time.Now().UTC().Truncate(time.Second)
	}
	if closes.IsZero() {
		closes = opens.Add(24 * time.Hour)
	}
	m = &ballot.Manifest{
		Version:       ballot.Version,
		ID:            "sim-election",
		Title:         title,
		Language:      opts.Language,
		Translations:  opts.Translations,
		Official:      official.PublicKey(),
		Registrar:     registrar.PublicKey(),
		Opens:         opens,
		Closes:        closes,
		Contests:      contests,
		Styles:        opts.Styles,
		Threshold:     opts.Threshold,
		MinCounted:    opts.MinCounted,
		Board:         opts.Board,
		Witnesses:     opts.Witnesses,
		WitnessQuorum: opts.WitnessQuorum,
		Operators:     opts.Operators,
	}
	trustees = make([]*ceremony.TrusteeKeys, opts.Trustees)
	for i := range trustees {
		if trustees[i], err = ceremony.GenerateTrusteeKeys(); err != nil {
			return nil, nil, nil, nil, err
		}
		pub := trustees[i].Public()
		m.Trustees = append(m.Trustees, ballot.Trustee{Name: fmt.Sprintf("trustee-%d", i+1), SignKey: pub.SignKey, EncKey: pub.EncKey})
	}
	return m, official, registrar, trustees, nil
}

// newSigner returns a fresh Ed25519 signing key.
func newSigner() (election.KeySigner, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return election.KeySigner(priv), err
}

// New creates the participants, posts the election definition, and has
// the registrar post the roll of opts.Voters voters and close it (unless
// opts.LeaveRollOpen).
func New(ctx context.Context, post PostFunc, state StateFunc, opts Options) (*Election, error) {
	m, official, registrar, trustees, err := NewManifest(opts)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	e := &Election{
		Post: post, State: state, Manifest: m, Official: official, Registrar: registrar, Trustees: trustees,
		keystores: make([]*ceremony.TrusteeState, len(trustees)),
		Shares:    make([]*ceremony.TrusteeShare, len(trustees)),
		counted:   make(map[int]ballot.Choices),
		prev:      make(map[int]ballot.ConfirmationCode),
	}
	for i, k := range trustees {
		e.keystores[i] = &ceremony.TrusteeState{Keys: k}
	}
	rec, err := e.post(ctx, official, election.TypeDefinition, m)
	if err != nil {
		return nil, err
	}
	mh := ballot.ManifestHash(rec.Payload)
	entries := make([]ballot.RollEntry, opts.Voters)
	e.Voters = make([]*ballot.Credential, opts.Voters)
	for v := range e.Voters {
		// Made by the registrar, or by the voter, who then sends only a
		// signed registration request, which the registrar checks.
		c, err := ballot.NewCredential(m.ID, VoterID(v))
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		e.Voters[v], entries[v] = c, c.Entry()
		if opts.VoterHeld {
			r, err := ballot.ParseRegistration(ballot.NewRegistration(c, mh).Marshal())
			if err != nil {
				return nil, fmt.Errorf("simulate: voter %d's registration: %w", v, err)
			}
			entries[v] = r.Entry()
		}
		if opts.Assign != nil {
			// The registrar, not the voter, says which ballot and weight.
			entries[v].Style, entries[v].Weight = opts.Assign(v)
		}
	}
	e.Roll = entries
	if err := e.PostRoll(ctx, 0, entries); err != nil {
		return nil, err
	}
	if opts.LeaveRollOpen {
		return e, nil
	}
	return e, e.CloseRoll(ctx)
}

// PostRoll has the registrar post entries to a roll of first entries.
func (e *Election) PostRoll(ctx context.Context, first int64, entries []ballot.RollEntry) error {
	mh, err := e.Manifest.Hash()
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	for _, c := range ballot.RollChunks(mh, first, entries) {
		if _, err := e.post(ctx, e.Registrar, election.TypeRoll, c); err != nil {
			return err
		}
	}
	return nil
}

// CloseRoll has the registrar close the roll as the board has it.
func (e *Election) CloseRoll(ctx context.Context) error {
	st, err := e.State(ctx)
	if err != nil {
		return err
	}
	c, err := st.RollCloseRecord()
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	_, err = e.post(ctx, e.Registrar, election.TypeRollClose, c)
	return err
}

func (e *Election) post(ctx context.Context, s election.Signer, typ string, v any) (*bulletin.Record, error) {
	sub, err := election.NewSubmission(s, typ, v)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	rec, _, err := e.Post(ctx, sub)
	if err != nil {
		return nil, fmt.Errorf("simulate: posting %s: %w", typ, err)
	}
	return rec, nil
}

// Deal posts trustee i's (1-based) commitments and shares.
func (e *Election) Deal(ctx context.Context, i int) error { return e.deal(ctx, i, 0) }

// DealCorrupt is Deal by a dishonest trustee i that sends victim a share
// of another polynomial than the one it committed to, correctly encrypted.
// It exists to exercise the complaint path.
func (e *Election) DealCorrupt(ctx context.Context, i, victim int) error {
	return e.deal(ctx, i, victim)
}

// deal has trustee i deal, save its dealer secret and post its
// commitments and shares (participant.Trustee.Deal); if victim is not 0,
// the share for trustee victim comes from another polynomial.
func (e *Election) deal(ctx context.Context, i, victim int) error {
	st, err := e.State(ctx)
	if err != nil {
		return err
	}
	t := e.trustee(i)
	if victim != 0 {
		post := t.Post
		t.Post = func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
			if sub.Type != election.TypeShares {
				return post(ctx, sub)
			}
			corrupt, err := e.corruptShares(st, i, victim, sub)
			if err != nil {
				return nil, nil, err
			}
			return post(ctx, corrupt)
		}
	}
	if _, err := t.Deal(ctx, st); err != nil {
		return fmt.Errorf("simulate: trustee %d: %w", i, err)
	}
	return nil
}

// corruptShares returns trustee i's shares message sub with the share for
// trustee victim replaced by one of another polynomial, correctly
// encrypted, and signed again.
func (e *Election) corruptShares(st *election.State, i, victim int, sub *bulletin.Submission) (*bulletin.Submission, error) {
	sh, err := ceremony.ParseShares(sub.Payload)
	if err != nil {
		return nil, err
	}
	_, other, _, err := participant.Deal(st, uint32(i))
	if err != nil {
		return nil, err
	}
	for k := range sh.Shares {
		if sh.Shares[k].To == uint32(victim) {
			sh.Shares[k] = other.Shares[k]
		}
	}
	return election.NewSubmission(election.TrusteeSigner{Keys: e.Trustees[i-1]}, election.TypeShares, sh)
}

// trustee returns trustee i (1-based) acting on the board. Its keystore is
// kept in memory: Save has nothing to write.
func (e *Election) trustee(i int) *participant.Trustee {
	return &participant.Trustee{
		State: e.keystores[i-1],
		Save:  func(*ceremony.TrusteeState) error { return nil },
		Post: func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
			rec, receipt, err := e.Post(ctx, sub)
			if err != nil {
				return nil, nil, fmt.Errorf("posting %s: %w", sub.Type, err)
			}
			return rec, receipt, nil
		},
	}
}

// Accept has trustee i open its shares and post its verdict
// (participant.Trustee.Receive).
func (e *Election) Accept(ctx context.Context, i int) error {
	st, err := e.State(ctx)
	if err != nil {
		return err
	}
	t := e.trustee(i)
	_, err = t.Receive(ctx, st)
	e.Shares[i-1] = t.State.Share
	if err != nil {
		return fmt.Errorf("simulate: trustee %d: %w", i, err)
	}
	return nil
}

// FinishCeremony has the official post the joint key.
func (e *Election) FinishCeremony(ctx context.Context) error {
	st, err := e.State(ctx)
	if err != nil {
		return err
	}
	jk, err := participant.JointKeyRecord(st)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	_, err = e.post(ctx, e.Official, election.TypeJointKey, jk)
	return err
}

// Ceremony runs the whole key ceremony with every trustee honest.
func (e *Election) Ceremony(ctx context.Context) error {
	for i := range e.Trustees {
		if err := e.Deal(ctx, i+1); err != nil {
			return err
		}
	}
	for i := range e.Trustees {
		if err := e.Accept(ctx, i+1); err != nil {
			return err
		}
	}
	return e.FinishCeremony(ctx)
}

// SetPhase has the official open or close voting.
func (e *Election) SetPhase(ctx context.Context, phase string) error {
	st, err := e.State(ctx)
	if err != nil {
		return err
	}
	_, err = e.post(ctx, e.Official, election.TypePhase, st.PhaseRecord(phase))
	return err
}

// VoterChoices returns valid random choices for voter v's ballot: for
// the contests of its style, nil for the others.
func (e *Election) VoterChoices(v int) ballot.Choices {
	c := e.RandomChoices()
	on, err := e.Manifest.StyleContests(e.Roll[v].Style)
	if err != nil {
		panic(fmt.Sprintf("simulate: voter %d: %v", v, err))
	}
	for i := range c {
		if !slices.Contains(on, i) {
			c[i] = nil
		}
	}
	return c
}

// RandomChoices returns valid random choices for every contest of the
// election: for a ballot of a definition without styles.
func (e *Election) RandomChoices() ballot.Choices {
	c := ballot.NewChoices(e.Manifest)
	for i, contest := range e.Manifest.Contests {
		if contest.Ranked() {
			c[i] = RandomRanking(&contest)
			continue
		}
		total := contest.MinSelections + randInt(contest.MaxSelections-contest.MinSelections+1)
		for placed := 0; placed < total; {
			k := randInt(len(contest.Options))
			if c[i][k] < uint64(contest.OptionMax) {
				c[i][k]++
				placed++
			}
		}
	}
	return c
}

// RandomRanking returns the ranks of a random valid ranking of a ranked
// contest (docs/spec/ranked.md §2): m random candidates, m from 0 to its
// max_selections, ranked 1 … m.
func RandomRanking(c *ballot.Contest) []uint64 {
	ranks := make([]uint64, len(c.Options))
	m := randInt(c.MaxSelections + 1)
	for r := 1; r <= m; {
		if k := randInt(len(ranks)); ranks[k] == 0 {
			ranks[k] = uint64(r)
			r++
		}
	}
	return ranks
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err)
	}
	return int(v.Int64())
}

// Encrypt encrypts choices for voter v (0-based) on the voter's device,
// chaining its confirmation codes.
func (e *Election) Encrypt(ctx context.Context, v int, choices ballot.Choices) (*ballot.EncryptedBallot, *ballot.BallotSecrets, error) {
	st, err := e.State(ctx)
	if err != nil {
		return nil, nil, err
	}
	e.mu.Lock()
	prev := e.prev[v]
	e.mu.Unlock()
	b, secrets, err := participant.EncryptBallot(st, e.Voters[v].Public, choices, e.writeIns(v, choices), prev)
	if err != nil {
		return nil, nil, fmt.Errorf("simulate: voter %d: %w", v, err)
	}
	e.mu.Lock()
	e.prev[v] = b.ConfirmationCode()
	e.mu.Unlock()
	return b, secrets, nil
}

// writeInNames are the names that simulated voters write in, voter v the
// name v mod 3.
var writeInNames = []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"}

// writeIns returns the write-ins of voter v's ballot of choices: in every
// contest with a write-in whose slot choices select, writeInNames[v mod
// 3]; nil if there is none.
func (e *Election) writeIns(v int, choices ballot.Choices) ballot.WriteIns {
	var out ballot.WriteIns
	for i, mc := range e.Manifest.Contests {
		if mc.WriteIn == nil || len(choices[i]) == 0 || choices[i][mc.WriteIn.Option] == 0 {
			continue
		}
		if out == nil {
			out = make(ballot.WriteIns, len(e.Manifest.Contests))
		}
		out[i] = writeInNames[v%len(writeInNames)]
	}
	return out
}

// Cast encrypts and casts choices for voter v and returns the record and
// receipt. A later Cast by the same voter supersedes the earlier one.
// Different voters may cast concurrently.
func (e *Election) Cast(ctx context.Context, v int, choices ballot.Choices) (*bulletin.Record, *bulletin.Receipt, error) {
	b, _, err := e.Encrypt(ctx, v, choices)
	if err != nil {
		return nil, nil, err
	}
	sub, err := election.NewSubmission(election.KeySigner(e.Voters[v].Private), election.TypeBallot, b)
	if err != nil {
		return nil, nil, err
	}
	rec, receipt, err := e.Post(ctx, sub)
	if err != nil {
		return nil, nil, fmt.Errorf("simulate: voter %d casting: %w", v, err)
	}
	e.mu.Lock()
	e.counted[v] = choices
	e.mu.Unlock()
	return rec, receipt, nil
}

// Challenge encrypts choices for voter v and posts the Benaloh challenge
// of that ballot instead of casting it.
func (e *Election) Challenge(ctx context.Context, v int, choices ballot.Choices) (*bulletin.Record, error) {
	b, secrets, err := e.Encrypt(ctx, v, choices)
	if err != nil {
		return nil, err
	}
	return e.post(ctx, election.KeySigner(e.Voters[v].Private), election.TypeChallenge, ballot.Challenge(b, secrets))
}

// Expected returns the plaintext totals of the counted ballots, each
// counted its voter's weight times, in the order of the encrypted sums:
// contest by contest, option by option.
func (e *Election) Expected() []uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]uint64, e.Manifest.OptionCount())
	for v, c := range e.counted {
		AddChoices(e.Manifest, out, c, e.Roll[v].Weight)
	}
	return out
}

// AddChoices adds weight times (once for 0) the counts of choices to
// totals, which has a position per option of every contest of m; contests
// without choices (not on the ballot) add nothing.
func AddChoices(m *ballot.Manifest, totals []uint64, choices ballot.Choices, weight uint64) {
	k := 0
	for i, mc := range m.Contests {
		for o := range mc.Options {
			if len(choices[i]) > 0 {
				totals[k] += max(1, weight) * choices[i][o]
			}
			k++
		}
	}
}

// Decrypt has trustee i post its partial decryption of the sums
// (participant.Trustee.Decrypt).
func (e *Election) Decrypt(ctx context.Context, i int) error {
	return e.act(ctx, i, "", func(t *participant.Trustee, st *election.State) error {
		_, err := t.Decrypt(ctx, st)
		return err
	})
}

// act has trustee i take a step on the current state, and names the
// trustee (and what it was doing, if not "") in an error.
func (e *Election) act(ctx context.Context, i int, doing string, step func(*participant.Trustee, *election.State) error) error {
	st, err := e.State(ctx)
	if err != nil {
		return err
	}
	if err := step(e.trustee(i), st); err != nil {
		return fmt.Errorf("simulate: trustee %d%s: %w", i, doing, err)
	}
	return nil
}

// Mix has trustee i mix every ranked contest it has not mixed yet
// (participant.Trustee.Mix).
func (e *Election) Mix(ctx context.Context, i int) error {
	return e.act(ctx, i, " mixing", func(t *participant.Trustee, st *election.State) error {
		_, err := t.Mix(ctx, st)
		return err
	})
}

// DecryptMixes has trustee i post its partial decryption of every ranked
// contest's mixed ballots (participant.Trustee.DecryptMixes).
func (e *Election) DecryptMixes(ctx context.Context, i int) error {
	return e.act(ctx, i, " decrypting mixes", func(t *participant.Trustee, st *election.State) error {
		_, err := t.DecryptMixes(ctx, st)
		return err
	})
}

// CountRanked has the official post the count of every ranked contest
// (participant.ComputeRankedResult), and checks that its decrypted ballots
// are, in some order, the rank vectors counted.
func (e *Election) CountRanked(ctx context.Context) ([]*election.RankedResultRecord, error) {
	st, err := e.State(ctx)
	if err != nil {
		return nil, err
	}
	var out []*election.RankedResultRecord
	for i, c := range e.Manifest.Contests {
		if !c.Ranked() {
			continue
		}
		r, err := participant.ComputeRankedResult(st, i)
		if err != nil {
			return out, fmt.Errorf("simulate: %w", err)
		}
		if _, err := e.post(ctx, e.Official, election.TypeRankedResult, r); err != nil {
			return out, err
		}
		if err := e.checkRanks(i, r.Ranks.Counts); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// checkRanks checks that the decrypted ranks of contest i, ballot after
// ballot, are the rank vectors of the counted ballots carrying it, in any
// order.
func (e *Election) checkRanks(i int, counts []uint64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	w := len(e.Manifest.Contests[i].Options)
	want := map[string]int{}
	for _, c := range e.counted {
		if len(c[i]) > 0 {
			want[fmt.Sprint(c[i])]++
		}
	}
	for k := 0; k+w <= len(counts); k += w {
		want[fmt.Sprint(counts[k:k+w])]--
	}
	for r, n := range want {
		if n != 0 {
			return fmt.Errorf("simulate: contest %q: the decrypted ballots hold ranks %s %d times fewer than cast", e.Manifest.Contests[i].ID, r, n)
		}
	}
	return nil
}

// CountWriteIns has the official post the count of the write-ins of every
// contest with one (participant.ComputeWriteInResult), and checks that it
// counts the names the counted ballots wrote in.
func (e *Election) CountWriteIns(ctx context.Context) ([]*election.WriteInResultRecord, error) {
	st, err := e.State(ctx)
	if err != nil {
		return nil, err
	}
	var out []*election.WriteInResultRecord
	for i, c := range e.Manifest.Contests {
		if c.WriteIn == nil {
			continue
		}
		r, err := participant.ComputeWriteInResult(st, i)
		if err != nil {
			return out, fmt.Errorf("simulate: %w", err)
		}
		if _, err := e.post(ctx, e.Official, election.TypeWriteInResult, r); err != nil {
			return out, err
		}
		if err := e.checkWriteIns(i, r); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// checkWriteIns checks that the write-in count r of contest i counts the
// names that the counted ballots wrote in, and discards none.
func (e *Election) checkWriteIns(i int, r *election.WriteInResultRecord) error {
	var got election.WriteInCount
	if err := json.Unmarshal(r.Count, &got); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	want := map[string]int{}
	for v, c := range e.counted {
		if w := e.writeIns(v, c); w != nil && w[i] != "" {
			want[w[i]]++
		}
	}
	for _, t := range got.Texts {
		want[t.Text] -= t.Count
	}
	for text, n := range want {
		if n != 0 {
			return fmt.Errorf("simulate: contest %q: the write-in count has %q %d times fewer than written", e.Manifest.Contests[i].ID, text, n)
		}
	}
	if len(got.Discarded) > 0 {
		return fmt.Errorf("simulate: contest %q: the write-in count discards %v", e.Manifest.Contests[i].ID, got.Discarded)
	}
	return nil
}

// Tally has the official combine the partial decryptions and post the
// result, and checks it against the plaintext choices cast.
func (e *Election) Tally(ctx context.Context) (*election.ResultRecord, error) {
	st, err := e.State(ctx)
	if err != nil {
		return nil, err
	}
	r, err := participant.ComputeResult(st)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	if _, err := e.post(ctx, e.Official, election.TypeResult, r); err != nil {
		return nil, err
	}
	want := e.Expected()
	for k, got := range r.Tally.Counts {
		if got != want[k] {
			return r, fmt.Errorf("simulate: %w: position %d counted %d, but %d were cast", ErrMismatch, k, got, want[k])
		}
	}
	return r, nil
}

// ErrMismatch is returned when a result does not match the choices cast.
var ErrMismatch = errors.New("result does not match the choices cast")
