// Package loadelection sets up the election that the load generators in
// scripts/internal (ballotload, hostileload) post ballots to, on a running
// bulletin board, and encrypts those ballots in advance.
//
// The election has 5 trustees with threshold 3 and one contest of 10
// options, pick up to 3; its ballots are valid in full (signature,
// eligibility, every range proof), so a board spends on each what it would
// on a real voter's.
package loadelection

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/progress"
)

// lookTimeout bounds each look at the board during Open.
const lookTimeout = time.Minute

// Open sets up an election titled title with a roll of voters voters on the
// board at url, whose checkpoints vkey verifies: the definition and the
// roll, the trustees' ceremony, and the opening. It returns the simulated
// participants and the board's election state once the election is open.
func Open(ctx context.Context, url, vkey, title string, voters int) (*simulate.Election, *election.State, error) {
	cl, err := client.New(url, vkey, nil)
	if err != nil {
		return nil, nil, err
	}
	// The setup's steps act on the records before them: each look at the
	// board waits for them (a board with witnesses serves the newest
	// checkpoint they cosigned, a moment after its latest record).
	post, state := follow.New(cl).Acting(cl.Post, lookTimeout)
	e, err := simulate.New(ctx, post, state, simulate.Options{
		Title: title, Voters: voters, Trustees: 5, Threshold: 3, Contests: tenPickThree(),
	})
	if err != nil {
		return nil, nil, err
	}
	if err := e.Ceremony(ctx); err != nil {
		return nil, nil, err
	}
	if err := e.SetPhase(ctx, election.PhaseOpen); err != nil {
		return nil, nil, err
	}
	st, err := state(ctx)
	if err != nil {
		return nil, nil, err
	}
	return e, st, nil
}

// tenPickThree is the election's one contest: 10 options, pick up to 3.
func tenPickThree() []ballot.Contest {
	c := ballot.Contest{ID: "council", Title: "Council", Kind: ballot.KindKOfN, MaxSelections: 3, OptionMax: 1}
	for i := range 10 {
		c.Options = append(c.Options, ballot.Option{ID: fmt.Sprintf("o%d", i), Title: fmt.Sprintf("Option %d", i)})
	}
	return []ballot.Contest{c}
}

// EncryptOptions tune EncryptBallots.
type EncryptOptions struct {
	// Progress, if not nil, receives a progress bar of the encryption.
	Progress io.Writer
	// LowPriority runs the encryption on threads at the lowest CPU
	// priority (nice 19 on Linux; no change elsewhere), so that it takes
	// little CPU from a board on the same machine.
	LowPriority bool
}

// EncryptBallots encrypts and signs one ballot of random choices for each
// of voters, in election e whose state is st, on all cores. It returns the
// submissions in the order of voters, marshalled as JSON, ready to post. It
// stops at the first failure, or when ctx ends.
func EncryptBallots(ctx context.Context, st *election.State, e *simulate.Election, voters []*ballot.Credential, opts EncryptOptions) ([][]byte, error) {
	n := len(voters)
	bodies := make([][]byte, n)
	var bar *progress.Bar
	if opts.Progress != nil {
		bar = progress.New(opts.Progress, "encrypting ballots")
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex // guards firstErr, done and bar
	var firstErr error
	done := 0
	for range runtime.NumCPU() {
		wg.Go(func() {
			if opts.LowPriority {
				// The thread ends with the goroutine, and its priority with it.
				runtime.LockOSThread()
				lowerThreadPriority()
			}
			for {
				v := int(next.Add(1) - 1)
				if v >= n || ctx.Err() != nil {
					return
				}
				body, err := encryptBallot(st, e, voters[v])
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("voter %s: %w", voters[v].Voter, err)
				}
				done++
				if bar != nil {
					bar.Show(float64(done)/float64(n), fmt.Sprintf("%d/%d", done, n))
				}
				failed := firstErr != nil
				mu.Unlock()
				if failed {
					return
				}
				bodies[v] = body
			}
		})
	}
	wg.Wait()
	if bar != nil {
		bar.Done(fmt.Sprintf("%d ballots", done))
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return bodies, ctx.Err()
}

// encryptBallot encrypts, signs and marshals one ballot of random choices
// for voter.
func encryptBallot(st *election.State, e *simulate.Election, voter *ballot.Credential) ([]byte, error) {
	b, _, err := participant.EncryptBallot(st, voter.Public, e.RandomChoices(), nil, ballot.ConfirmationCode{})
	if err != nil {
		return nil, err
	}
	sub, err := election.NewSubmission(election.KeySigner(voter.Private), election.TypeBallot, b)
	if err != nil {
		return nil, err
	}
	return sub.MarshalJSON()
}
