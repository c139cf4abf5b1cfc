// Package replica runs one operator's replica of a replicated bulletin
// board: a bulletin.Log run by consensus (bulletin.LogOptions.Sequencer),
// ordered with the other operators' by CometBFT (the v0.38 line, embedded
// as a library), each operator keeping the whole log in its own store
// (docs/spec/replicated-board.md).
//
// App is the ABCI application over the log; Start runs it in an
// in-process CometBFT node from an operator's home, which InitNetwork
// writes for a network of operators on one machine. No consensus code is
// our own: CometBFT orders blocks of transactions, and the log executes
// them by the board's rules.
package replica

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/evote/evote/bulletin"
)

// Result codes of CheckTx and of a block's transactions
// (docs/spec/replicated-board.md §1).
const (
	// CodeOK: the transaction passed (CheckTx) or became a record
	// (FinalizeBlock); a record's result data is its index, in decimal.
	CodeOK uint32 = abci.CodeTypeOK
	// CodeRefused: the board's rules refuse the transaction; its result
	// data is the rejection code (bulletin.RejectError.Code), its log the
	// reason. Query answers it to a query the App does not serve.
	CodeRefused uint32 = 1
	// CodeBusy: CheckTx could not check the transaction now (the operator
	// is at capacity or stopping); nothing is said of the transaction.
	// Query answers it to the peer filter while the operator stops.
	CodeBusy uint32 = 2
)

// Codespace is the codespace of the App's non-zero result codes.
const Codespace = "evote"

// AppVersion is the version of the application's state machine, which
// CometBFT records in every block header: the rules by which blocks
// become records (docs/spec/replicated-board.md).
const AppVersion = 1

// App is the ABCI application of an operator's replica: a state machine
// whose state is the board's log. Every check is the log's own
// (bulletin.Log.VerifyTx, VerifyBlock, ExecuteBlock, CommitBlock), so an
// operator's board admits exactly what a single board would, in the order
// the blocks give.
//
// Its methods are safe for concurrent use: CometBFT may call the mempool's
// CheckTx while the consensus connection executes a block.
type App struct {
	abci.BaseApplication // vote extensions and state sync: not used

	log *bulletin.Log

	// propose, if set, rewrites the transactions the operator proposes,
	// after the honest selection: tests use it to play a byzantine
	// proposer.
	propose func(txs [][]byte) [][]byte

	rejected atomic.Int64 // proposals ProcessProposal rejected
	stopping atomic.Bool  // set when the node stops: no peer is accepted (Query)

	refusedMu                    sync.Mutex
	checkTxRefused, blockRefused map[string]int64 // by rejection code (Refused)
}

var _ abci.Application = (*App)(nil)

// NewApp returns the application over l, which must be run by consensus.
func NewApp(l *bulletin.Log) *App {
	return &App{log: l, checkTxRefused: make(map[string]int64), blockRefused: make(map[string]int64)}
}

// Rejected returns the number of proposed blocks the App refused to vote
// for, because a transaction in them failed its checks: the mark of a
// byzantine proposer.
func (a *App) Rejected() int64 { return a.rejected.Load() }

// Refused returns how many transactions the App refused since it started,
// by rejection code (bulletin.RejectError.Code): new transactions that
// CheckTx kept out of the mempool (not those a recheck evicted), and
// transactions of decided blocks that the board's rules refused
// (FinalizeBlock), each of which took a slot of its block. The maps are
// the caller's.
func (a *App) Refused() (checkTx, block map[string]int64) {
	a.refusedMu.Lock()
	defer a.refusedMu.Unlock()
	return maps.Clone(a.checkTxRefused), maps.Clone(a.blockRefused)
}

// countRefused adds n refusals of code to counts, one of the maps of
// Refused.
func (a *App) countRefused(counts map[string]int64, code string, n int64) {
	a.refusedMu.Lock()
	counts[code] += n
	a.refusedMu.Unlock()
}

// Info returns the height and app hash of the last block the log
// committed, so that CometBFT's handshake replays the blocks after it.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	height, hash := a.log.Consensus()
	res := &abci.ResponseInfo{Data: "evote board", AppVersion: AppVersion, LastBlockHeight: height}
	if height > 0 {
		res.LastBlockAppHash = hash[:]
	}
	return res, nil
}

// Query answers CometBFT's peer filter (config filter_peers, which
// InitNetwork turns on), the only query the App serves (the board's HTTP
// API serves the log): it accepts every peer, except once the operator is
// stopping. CometBFT v0.38 leaves a connection that arrives while its
// switch stops open but unserved, and the peer that made it, taking it for
// live, refuses the operator's next connection as a duplicate until it
// times out, a minute later: refused here, the connection is closed.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	switch {
	case !strings.HasPrefix(req.Path, "/p2p/filter/"):
		return &abci.ResponseQuery{Code: CodeRefused, Codespace: Codespace, Log: "no such query: read the board's HTTP API"}, nil
	case a.stopping.Load():
		return &abci.ResponseQuery{Code: CodeBusy, Codespace: Codespace, Log: "the operator is stopping"}, nil
	}
	return &abci.ResponseQuery{Code: CodeOK}, nil
}

// InitChain starts the chain with the log's tree hash as its app hash: the
// empty tree's, since a log that has records has committed blocks.
func (a *App) InitChain(context.Context, *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	height, hash := a.log.Consensus()
	if height != 0 {
		return nil, fmt.Errorf("replica: InitChain after block %d", height)
	}
	return &abci.ResponseInitChain{AppHash: hash[:]}, nil
}

// CheckTx admits a new transaction to the mempool after the log's cheap
// checks (bulletin.Log.AdmitTx): the canonical encoding of a well-formed,
// correctly signed submission, not already a record of a committed block
// (refused as a duplicate naming the record, if the rules are sure to
// refuse its replay); its proofs and the policy's checks run in
// the background, batched, and every block verifies in full the
// transactions it holds (ProcessProposal, FinalizeBlock). CometBFT calls
// CheckTx serially, so a ballot's proofs checked here would be checked one
// by one. A recheck, after each block, evicts a transaction whose
// verification in the background was refused (bulletin.Log.RecheckTx).
func (a *App) CheckTx(ctx context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	var err error
	if req.Type == abci.CheckTxType_Recheck {
		err = a.log.RecheckTx(req.Tx)
	} else {
		err = a.log.AdmitTx(ctx, req.Tx)
	}
	var rej *bulletin.RejectError
	switch {
	case err == nil:
		return &abci.ResponseCheckTx{Code: CodeOK}, nil
	case errors.As(err, &rej):
		if req.Type == abci.CheckTxType_New {
			a.countRefused(a.checkTxRefused, rej.Code, 1)
		}
		return &abci.ResponseCheckTx{Code: CodeRefused, Codespace: Codespace, Data: []byte(rej.Code), Log: rej.Reason}, nil
	default:
		// CometBFT stops at an error of CheckTx: answer that the
		// transaction was not checked.
		return &abci.ResponseCheckTx{Code: CodeBusy, Codespace: Codespace, Log: err.Error()}, nil
	}
}

// PrepareProposal proposes the mempool's transactions that pass their
// checks in the log's current state (bulletin.Log.VerifyBlock), in the
// mempool's order, as many as the block has room for. It leaves out what
// the block would refuse for sure as a duplicate: a second copy of a
// transaction, and a transaction that already became a record
// (bulletin.Log.Replayed), both of which CometBFT's mempool can hand it
// when two peers gossip a transaction at once, if it keeps no cache of
// the transactions it saw (a home an earlier evote wrote: LoadConfig).
func (a *App) PrepareProposal(ctx context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	refusals, err := a.log.VerifyBlock(ctx, req.Txs)
	if err != nil {
		// CometBFT then proposes nothing this round.
		return nil, fmt.Errorf("replica: preparing a proposal: %w", err)
	}
	txs := make([][]byte, 0, len(req.Txs))
	proposed := make(map[[sha256.Size]byte]bool, len(req.Txs))
	var size int64
	for i, tx := range req.Txs {
		h := sha256.Sum256(tx)
		if refusals[i] != nil || proposed[h] || a.log.Replayed(tx) != nil {
			continue
		}
		proposed[h] = true
		if size += int64(len(tx)); size > req.MaxTxBytes {
			break
		}
		txs = append(txs, tx)
	}
	if a.propose != nil {
		txs = a.propose(txs)
	}
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}

// ProcessProposal accepts a proposed block only if every transaction in it
// passes its checks in the log's current state (bulletin.Log.VerifyBlock),
// the state every operator has at this height: an honest proposer's block
// always does, and a block with an invalid transaction gets no vote from
// an honest operator, so it is never decided.
func (a *App) ProcessProposal(ctx context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	refusals, err := a.log.VerifyBlock(ctx, req.Txs)
	if err != nil {
		// CometBFT stops at an error here. The log is closing, or a check
		// failed without a verdict: vote for nothing this round.
		return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
	}
	for _, r := range refusals {
		if r != nil {
			a.rejected.Add(1)
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes a decided block through the log
// (bulletin.Log.ExecuteBlock): each transaction becomes the next record,
// at the block's time, or gets the rules' refusal; the app hash is the
// log's new tree hash. Nothing is stored until Commit.
func (a *App) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	res, err := a.log.ExecuteBlock(ctx, req.Height, req.Time, req.Txs)
	if err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	out := &abci.ResponseFinalizeBlock{TxResults: make([]*abci.ExecTxResult, len(res.Txs)), AppHash: res.AppHash[:]}
	refused := make(map[string]int64)
	for i, r := range res.Txs {
		if r.Record != nil {
			out.TxResults[i] = &abci.ExecTxResult{Code: CodeOK, Data: strconv.AppendUint(nil, r.Record.Index, 10)}
			continue
		}
		// A policy's refusal that is not a *RejectError still refuses.
		code, reason := "refused", r.Err.Error()
		var rej *bulletin.RejectError
		if errors.As(r.Err, &rej) {
			code, reason = rej.Code, rej.Reason
		}
		refused[code]++
		out.TxResults[i] = &abci.ExecTxResult{Code: CodeRefused, Codespace: Codespace, Data: []byte(code), Log: reason}
	}
	for code, n := range refused {
		a.countRefused(a.blockRefused, code, n)
	}
	return out, nil
}

// Commit stores the executed block's records, their hashes and the
// block's height and app hash in the operator's store, in one transaction
// (bulletin.Log.CommitBlock), then answers the posters waiting for them.
func (a *App) Commit(ctx context.Context, _ *abci.RequestCommit) (*abci.ResponseCommit, error) {
	if err := a.log.CommitBlock(ctx); err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	return &abci.ResponseCommit{}, nil
}
