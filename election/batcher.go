package election

import (
	"crypto/ed25519"
	"runtime"
	"sync"

	"github.com/evote/evote/ballot"
)

// maxBallotBatch bounds the ballots one worker verifies together.
const maxBallotBatch = 64

// ballotBatcher verifies the proofs of ballots that arrive concurrently in
// batches (VerifyBallots). Requests queue; up to GOMAXPROCS workers each
// take what is queued, verify it as one batch, and answer each request. Workers exit when the queue is
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
func (p *Policy) verifyBallot(author []byte, b *ballot.EncryptedBallot) error {
	e, err := p.state.ballotContext(author)
	if err != nil {
		return err
	}
	return p.batcher.verify(e, b, author)
}
