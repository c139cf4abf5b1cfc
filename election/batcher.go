package election

import (
	"crypto/ed25519"
	"errors"
	"runtime"
	"sync"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
)

// maxBallotBatch bounds the ballots one worker verifies together.
const maxBallotBatch = 64

// ballotBatcher verifies the proofs of ballots that arrive concurrently in
// batches (ballot.BallotBatch: one multi-scalar multiplication for many
// ballots, several times cheaper per ballot than one by one). Requests
// queue; up to GOMAXPROCS workers each take what is queued, verify it as
// one batch, and answer each request; a failing batch names its culprits,
// so a bad ballot never fails a good one. Workers exit when the queue is
// empty, so an idle batcher holds no goroutines.
type ballotBatcher struct {
	mu      sync.Mutex
	queue   []*ballotRequest
	workers int
}

type ballotRequest struct {
	e      *ballot.Election
	b      *ballot.EncryptedBallot
	signer ed25519.PublicKey
	done   chan error
}

// verify checks b's proofs as signed by signer, batched with whatever else
// is waiting, and returns the ballot's own verdict.
func (bb *ballotBatcher) verify(e *ballot.Election, b *ballot.EncryptedBallot, signer ed25519.PublicKey) error {
	req := &ballotRequest{e: e, b: b, signer: signer, done: make(chan error, 1)}
	bb.mu.Lock()
	bb.queue = append(bb.queue, req)
	if bb.workers < runtime.GOMAXPROCS(0) {
		bb.workers++
		go bb.work()
	}
	bb.mu.Unlock()
	return <-req.done
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
		verifyBallotBatch(batch)
	}
}

// verifyBallotBatch answers every request of one batch. All requests of a
// board share one election context.
func verifyBallotBatch(reqs []*ballotRequest) {
	batch := ballot.NewBallotBatch(reqs[0].e)
	queued := make([]*ballotRequest, 0, len(reqs))
	for _, r := range reqs {
		if r.e != reqs[0].e {
			r.done <- ballot.VerifyBallot(r.e, r.b, r.signer)
			continue
		}
		if _, err := batch.Add(r.b, r.signer); err != nil {
			r.done <- err
			continue
		}
		queued = append(queued, r)
	}
	err := batch.Verify()
	failed := make(map[int]error)
	var be *ballot.BatchError
	switch {
	case err == nil:
	case errors.As(err, &be):
		for _, f := range be.Failures {
			if failed[f.Ballot] == nil {
				failed[f.Ballot] = f.Err
			}
		}
	default:
		// Not a proof failure: check each ballot on its own.
		for _, r := range queued {
			r.done <- ballot.VerifyBallot(r.e, r.b, r.signer)
		}
		return
	}
	for i, r := range queued {
		r.done <- failed[i]
	}
}

// verifyBallot is VerifyProofs for a ballot, with the proofs batched.
func (p *Policy) verifyBallot(author []byte, b *ballot.EncryptedBallot) error {
	e, err := p.state.ballotContext(author)
	if err != nil {
		return err
	}
	if err := p.batcher.verify(e, b, author); err != nil {
		return bulletin.Reject(bulletin.CodeBadProof, "%v", err)
	}
	return nil
}
