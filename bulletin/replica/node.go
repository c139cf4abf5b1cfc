package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
)

// Config says how to run an operator's replica.
type Config struct {
	// Home is the operator's CometBFT home directory, as InitNetwork
	// writes it: config/config.toml, config/genesis.json, the node key,
	// the validator key and its last-signed state, and CometBFT's
	// databases under data/.
	Home string
	// Store is the operator's board store (its SQLite database), which
	// the caller opens and closes. It holds the log and the last
	// committed block's height: an empty store starts at the genesis.
	Store store.MetaStore
	// NewPolicy is the board's policy constructor (bulletin.OpenLog).
	NewPolicy func() bulletin.Policy
	// Log configures the log; Start sets its Sequencer.
	Log bulletin.LogOptions
	// Logger receives CometBFT's messages, its errors as errors and its
	// information as debug messages, and Start's warnings about the
	// operator's configuration. Nothing is logged if nil.
	Logger *slog.Logger

	// Drop, if set, makes the operator byzantine, for tests and
	// demonstrations only (evote board serve's hidden --test-drop-ballots):
	// a submission posted to this operator for which Drop returns true
	// passes its checks and is then silently dropped, never put in the
	// mempool, so that its poster waits for a receipt that never comes
	// and must post it to another operator. An honest operator leaves it
	// nil.
	Drop func(sub *bulletin.Submission) bool

	// propose is the App's propose: tests set it to play a byzantine
	// proposer.
	propose func(txs [][]byte) [][]byte
}

// Node is one operator's running replica: its log, run by consensus, the
// application over it, and the CometBFT node that orders blocks with the
// other operators'.
type Node struct {
	// Log is the operator's board: serve it (bulletin/server) and post
	// to it as to a single board; Append returns once a committed block
	// has ordered the submission.
	Log *bulletin.Log
	// App is the ABCI application over Log.
	App *App

	node *nm.Node
	stop sync.Once
}

// Start opens the operator's log over cfg.Store, which replays its stored
// records, so that the application's state is the store's before CometBFT
// starts; then it starts a CometBFT node from cfg.Home with the
// application in-process, whose handshake replays any committed block the
// store lacks, and which connects to the other operators and takes part in
// consensus. Stop stops it.
func Start(ctx context.Context, c Config) (*Node, error) {
	conf, err := LoadConfig(c.Home)
	if err != nil {
		return nil, err
	}
	if conf.Mempool.CacheSize == 0 && c.Logger != nil {
		c.Logger.Warn(fmt.Sprintf("the mempool keeps no cache of the transactions it saw ([mempool] cache_size = 0, as evote wrote an operator's home before): two copies of a transaction gossiped at once may then both be added, and one stays in the mempool until the operator restarts; set cache_size = %d in %s", mempoolCache, configFile(c.Home)))
	}
	pv, err := loadValidator(conf)
	if err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("replica: loading the node key of %s: %w", c.Home, err)
	}
	seq := &mempoolSequencer{drop: c.Drop}
	opts := c.Log
	opts.Sequencer = seq
	l, err := bulletin.OpenLog(ctx, c.Store, c.NewPolicy, opts)
	if err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	seq.log.Store(l)
	app := NewApp(l)
	app.propose = c.propose
	logger := cmtlog.NewNopLogger()
	if c.Logger != nil {
		logger = slogLogger{c.Logger}
	}
	// Each ABCI connection (consensus, mempool, query) calls the app on
	// its own, so that checking a transaction never waits for a block.
	n, err := nm.NewNodeWithContext(ctx, conf, pv, nodeKey, proxy.NewConnSyncLocalClientCreator(app),
		nm.DefaultGenesisDocProviderFunc(conf), stoppableDBProvider, nm.DefaultMetricsProvider(conf.Instrumentation), logger)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("replica: creating the node of %s: %w", c.Home, err)
	}
	seq.node.Store(n)
	if err := n.Start(); err != nil {
		l.Close()
		return nil, fmt.Errorf("replica: starting the node of %s: %w", c.Home, err)
	}
	return &Node{Log: l, App: app, node: n}, nil
}

// loadValidator loads the validator key and its last-signed state, which
// keeps the operator from signing two votes at one height after a restart.
// privval exits the process on a file it cannot read, so the files are
// read here first.
func loadValidator(conf *cfg.Config) (*privval.FilePV, error) {
	var key privval.FilePVKey
	var state privval.FilePVLastSignState
	for _, f := range []struct {
		path string
		v    any
	}{{conf.PrivValidatorKeyFile(), &key}, {conf.PrivValidatorStateFile(), &state}} {
		b, err := os.ReadFile(f.path)
		if err == nil {
			err = cmtjson.Unmarshal(b, f.v)
		}
		if err != nil {
			return nil, fmt.Errorf("replica: loading the validator key: %w", err)
		}
	}
	return privval.LoadFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile()), nil
}

// Stop stops the node and closes the log (not the store): Appends still
// waiting fail with bulletin.ErrClosed. A block that was executed but not
// committed is executed again when the operator starts again.
func (n *Node) Stop() error {
	var err error
	n.stop.Do(func() {
		n.App.stopping.Store(true) // accept no peer from now on (App.Query)
		if serr := n.node.Stop(); serr != nil {
			err = fmt.Errorf("replica: stopping the node: %w", serr)
		}
		n.node.Wait()
		n.Log.Close()
	})
	return err
}

// Height returns the height of the last block the operator committed.
func (n *Node) Height() int64 {
	h, _ := n.Log.Consensus()
	return h
}

// MempoolSize returns the number of transactions in the operator's
// mempool, waiting for a block.
func (n *Node) MempoolSize() int { return n.node.Mempool().Size() }

// mempoolSequencer is the bulletin.Sequencer of an operator's log: it
// puts transactions in the node's mempool, whence CometBFT gossips them to
// the other operators and proposers take them into blocks.
type mempoolSequencer struct {
	node atomic.Pointer[nm.Node]      // set once the node is made
	log  atomic.Pointer[bulletin.Log] // set once the log is open
	drop func(*bulletin.Submission) bool
}

// Submit implements bulletin.Sequencer.
func (s *mempoolSequencer) Submit(ctx context.Context, tx []byte) error {
	n := s.node.Load()
	if n == nil {
		return errors.New("replica: the node has not started")
	}
	if s.drop != nil {
		if sub, err := bulletin.ParseSubmission(tx); err == nil && s.drop(sub) {
			return nil // byzantine: acknowledged to the log, sent nowhere
		}
	}
	done := make(chan *abci.ResponseCheckTx, 1)
	err := n.Mempool().CheckTx(tx, func(r *abci.ResponseCheckTx) { done <- r }, mempool.TxInfo{})
	if errors.Is(err, mempool.ErrTxInCache) {
		// The mempool saw the transaction already: it waits there for
		// its block, which the caller waits for, or it is a record, and
		// the log's admission refuses it as a duplicate naming it; or
		// the log refused its checks ahead, and says so.
		return s.log.Load().AdmitTx(ctx, tx) // stored before the node
	}
	if errors.As(err, new(mempool.ErrMempoolIsFull)) {
		return fmt.Errorf("replica: %v: %w", err, bulletin.ErrQueueFull)
	}
	if err != nil {
		return fmt.Errorf("replica: adding to the mempool: %w", err)
	}
	select {
	case r := <-done:
		switch r.Code {
		case CodeOK:
			return nil
		case CodeRefused:
			return &bulletin.RejectError{Code: string(r.Data), Reason: r.Log}
		case CodeBusy:
			return fmt.Errorf("replica: the transaction was not checked: %s: %w", r.Log, bulletin.ErrQueueFull)
		default:
			return fmt.Errorf("replica: the mempool refused the transaction (code %d): %s", r.Code, r.Log)
		}
	case <-ctx.Done():
		return fmt.Errorf("replica: adding to the mempool: %w", ctx.Err())
	}
}

// stoppableDBProvider opens CometBFT's databases as its default provider
// does, as stoppableDBs.
func stoppableDBProvider(ctx *cfg.DBContext) (dbm.DB, error) {
	db, err := cfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	return &stoppableDB{DB: db}, nil
}

// stoppableDB is a CometBFT database that, once closed, reads as empty
// instead of failing. A node of CometBFT v0.38 that stops closes its
// databases while goroutines of its consensus reactor may still read them
// (one sleeps up to peer_query_maj23_sleep_duration before reading the
// block store) and panic at the error, killing the process: for a process
// that exits anyway it goes unnoticed, for an operator that stops its node
// and then saves its state, or a test that restarts it, it does not.
type stoppableDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

// Get implements dbm.DB: nil once closed.
func (d *stoppableDB) Get(key []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, nil
	}
	return d.DB.Get(key)
}

// Has implements dbm.DB: false once closed.
func (d *stoppableDB) Has(key []byte) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false, nil
	}
	return d.DB.Has(key)
}

// Close implements dbm.DB.
func (d *stoppableDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.DB.Close()
}

// slogLogger is CometBFT's logger over a *slog.Logger. CometBFT reports
// every block and vote at its info level: they go to debug.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Debug(msg string, kv ...any) {}
func (s slogLogger) Info(msg string, kv ...any)  { s.l.Debug(msg, kv...) }
func (s slogLogger) Error(msg string, kv ...any) { s.l.Error(msg, kv...) }
func (s slogLogger) With(kv ...any) cmtlog.Logger {
	return slogLogger{s.l.With(kv...)}
}
