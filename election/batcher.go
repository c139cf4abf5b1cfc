package election

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"sync"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
)

// maxBallotBatch bounds the ballots one worker verifies together.
const maxBallotBatch = 64

// DefaultVerifyQueuePerCPU is the number of ballots per CPU that may be in
// hand at once (from their signature check to their verdict) before the board
// answers 503: two batches. A ballot costs the board about 2.5 ms of a CPU
// all told (a contest of ten options), so that is about half a second of
// work, and an admitted ballot waits little however many arrive.
const DefaultVerifyQueuePerCPU = 2 * maxBallotBatch

// ballotBatcher verifies the proofs of ballots that arrive concurrently in
// batches (VerifyBallots). Up to limit ballots may be in hand at once, from
// before they are decoded to their verdict (reserve): a ballot over that is
// refused before any costly work, so that a board flooded with ballots
// spends its CPUs on those it admitted. Requests queue; up to GOMAXPROCS
// workers each take what is queued, drop the requests whose poster has
// gone, verify the rest as one batch, and answer each request. Workers
// exit when the queue is empty, so an idle batcher holds no goroutines.
type ballotBatcher struct {
	limit int // ballots in hand at once; DefaultVerifyQueuePerCPU per CPU if 0

	mu      sync.Mutex
	inHand  int
	queue   []*ballotRequest
	workers int
}

type ballotRequest struct {
	ctx    context.Context
	e      *ballot.Election
	b      *ballot.EncryptedBallot
	signer ed25519.PublicKey
	done   chan error
}

// reserve takes one of the places of ballots in hand, or refuses at once,
// with an error wrapping bulletin.ErrQueueFull, if all are taken. release
// gives it back once the ballot has its verdict.
func (bb *ballotBatcher) reserve() (release func(), err error) {
	limit := bb.limit
	if limit <= 0 {
		limit = DefaultVerifyQueuePerCPU * runtime.GOMAXPROCS(0)
	}
	bb.mu.Lock()
	defer bb.mu.Unlock()
	if bb.inHand >= limit {
		return nil, fmt.Errorf("%d ballots are waiting for their proofs to be checked: %w", limit, bulletin.ErrQueueFull)
	}
	bb.inHand++
	return func() {
		bb.mu.Lock()
		bb.inHand--
		bb.mu.Unlock()
	}, nil
}

// verify checks b's proofs as signed by signer, batched with whatever else
// is waiting, and returns the ballot's own verdict, or ctx's error if ctx
// ends first.
func (bb *ballotBatcher) verify(ctx context.Context, e *ballot.Election, b *ballot.EncryptedBallot, signer ed25519.PublicKey) error {
	req := &ballotRequest{ctx: ctx, e: e, b: b, signer: signer, done: make(chan error, 1)}
	bb.mu.Lock()
	bb.queue = append(bb.queue, req)
	if bb.workers < runtime.GOMAXPROCS(0) {
		bb.workers++
		go bb.work()
	}
	bb.mu.Unlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("election: waiting for a ballot's proofs to be checked: %w", ctx.Err())
	}
}

func (bb *ballotBatcher) work() {
	for {
		bb.mu.Lock()
		n := min(len(bb.queue), maxBallotBatch)
		if n == 0 {
			bb.workers--
			bb.mu.Unlock()
			return
		}
		batch := bb.queue[:n:n]
		bb.queue = bb.queue[n:]
		bb.mu.Unlock()
		live := batch[:0:0]
		for _, r := range batch {
			if r.ctx.Err() == nil {
				live = append(live, r)
			}
		}
		if len(live) > 0 {
			verifyBallotBatch(live)
		}
	}
}

// verifyBallotBatch answers every request of one batch. All requests of a
// board share one election context; a request for another is checked on
// its own.
func verifyBallotBatch(reqs []*ballotRequest) {
	e := reqs[0].e
	var bs []*ballot.EncryptedBallot
	var signers []ed25519.PublicKey
	var same []*ballotRequest
	for _, r := range reqs {
		if r.e != e {
			r.done <- VerifyBallots(r.e, []*ballot.EncryptedBallot{r.b}, []ed25519.PublicKey{r.signer})[0]
			continue
		}
		bs, signers, same = append(bs, r.b), append(signers, r.signer), append(same, r)
	}
	for i, err := range VerifyBallots(e, bs, signers) {
		same[i].done <- err
	}
}

// verifyBallot is VerifyProofs for a ballot, with the proofs batched.
func (p *Policy) verifyBallot(ctx context.Context, author []byte, b *ballot.EncryptedBallot) error {
	e, err := p.state.ballotContext(author)
	if err != nil {
		return err
	}
	return p.batcher.verify(ctx, e, b, author)
}
