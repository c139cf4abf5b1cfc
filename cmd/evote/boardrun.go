package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/bulletin/witness"
	"github.com/evote/evote/election"
	"github.com/evote/evote/voterclient/web"
)

// boardConfig is what a board process runs with: `evote board serve`
// builds it from its flags, the demo from what it made.
type boardConfig struct {
	db     string // the SQLite database
	create bool   // create db, which must not exist, rather than open it
	vkey   string // the verifier key of log.Signer, for the election's trust policy
	// network, if set, is the home of an operator of a replicated board:
	// the log is run by consensus with the other operators (replica.Start).
	network string
	// drop, if set, makes the operator drop the posts it returns true
	// for (replica.Config.Drop): test only.
	drop func(*bulletin.Submission) bool

	// openPolicy admits any well-signed record (for load tests) instead of
	// the election's rules.
	openPolicy  bool
	verifyQueue int // election.Tracker.VerifyQueue

	// log holds the log's options, with its Signer.
	log bulletin.LogOptions
	// witnesses are asked to cosign the board's checkpoints; quorum of
	// them must have before the board serves one. None if empty.
	witnesses []witness.Witness
	quorum    int
	// cosignKey, if set, is the cosignature signer key of an operator of
	// a replicated board, and operators the network's operators: the
	// operator answers add-checkpoint for them (replica.Cosigner) and,
	// given peers (the other operators' board URLs, by name), gathers
	// their cosignatures, with the witnesses', before it serves a
	// checkpoint.
	cosignKey string
	operators []replica.Operator
	peers     map[string]string
	// server holds the HTTP API's options; openBoard sets its Log,
	// Witnesses, Notice and Storage.
	server server.Config
	// webDir, if set, holds the voter and observer pages to serve
	// (web.Register), showing webKey as the board's verifier key.
	webDir, webKey string
	// webOperators are the other operators the voter page falls over to,
	// webAttempt how long it waits for each, and webHedge how long before
	// it posts a ballot to the next as well (web.Options).
	webOperators []web.Operator
	webAttempt   time.Duration
	webHedge     time.Duration
	// logger receives the witness collector's lines; slog.Default() if nil.
	logger *slog.Logger
}

// runningBoard is a board that openBoard opened: its store, log, election
// state and HTTP API.
type runningBoard struct {
	store   *sqlite.Store
	node    *replica.Node // an operator's replica; nil for a single board
	log     *bulletin.Log
	tracker *election.Tracker
	server  *server.Server
}

// openBoard opens (or creates) the board's database, opens its log under
// the election's rules (or the open policy), starts collecting its
// witnesses' cosignatures until ctx ends, and builds its HTTP API. If it
// fails after creating the database, it removes it, so that creating it
// again can succeed.
func openBoard(ctx context.Context, cfg boardConfig) (_ *runningBoard, err error) {
	var st *sqlite.Store
	if cfg.create {
		st, err = sqlite.Create(ctx, cfg.db)
	} else {
		st, err = sqlite.Open(ctx, cfg.db)
	}
	switch {
	case errors.Is(err, sqlite.ErrLocked):
		return nil, withHint(err, "stop the other \"evote board serve\" on %s first (\"evote board export\" reads a database while it is served)", cfg.db)
	case err != nil && cfg.create:
		return nil, withHint(err, "--init creates a new board; to serve an existing one, drop --init")
	case errors.Is(err, os.ErrNotExist):
		return nil, withHint(err, "pass --init to create a new board database")
	case err != nil:
		return nil, err
	}
	// The operators of a replicated board must admit by the same rules,
	// and each has its own key: none checks the definition's board key.
	boardKey := cfg.vkey
	if cfg.network != "" {
		boardKey = ""
	}
	b := &runningBoard{store: st, tracker: &election.Tracker{BoardKey: boardKey, VerifyQueue: cfg.verifyQueue}}
	defer func() {
		if err != nil {
			b.close()
			if cfg.create {
				removeNewDatabase(cfg.db)
			}
		}
	}()
	newPolicy := b.tracker.New
	if cfg.openPolicy {
		newPolicy = bulletin.NewOpenPolicy
	}
	if cfg.network == "" {
		if b.log, err = bulletin.OpenLog(ctx, st, newPolicy, cfg.log); err != nil {
			return nil, err
		}
	} else {
		opts := cfg.log
		opts.Background = false // the log's state must be the store's when consensus starts
		b.node, err = replica.Start(ctx, replica.Config{Home: cfg.network, Store: st, NewPolicy: newPolicy, Log: opts, Logger: cfg.logger, Drop: cfg.drop})
		if err != nil {
			return nil, withHint(err, "is %s the home of an operator, made by evote network init?", cfg.network)
		}
		b.log = b.node.Log
	}
	witnesses, quorums := cfg.witnesses, []witness.Quorum{{N: cfg.quorum}}
	for _, w := range cfg.witnesses {
		quorums[0].Names = append(quorums[0].Names, w.Verifier.Name())
	}
	var cosigner *replica.Cosigner
	if cfg.cosignKey != "" {
		if cosigner, err = replica.NewCosigner(b.log, cfg.cosignKey, cfg.operators); err != nil {
			return nil, err
		}
		if len(cfg.peers) > 0 {
			ws, q, err := replica.OperatorWitnesses(cosigner, cfg.operators, cfg.peers)
			if err != nil {
				return nil, withHint(err, "give each other operator as --peer NAME=URL, NAME as in %s", replica.OperatorsFile)
			}
			witnesses, quorums = append(witnesses, ws...), append(quorums, q)
		}
	}
	var collector *witness.Collector
	if len(witnesses) > 0 {
		collector = witness.New(b.log, witnesses, witness.Options{Quorums: quorums, Logger: cfg.logger})
		go collector.Run(ctx)
	}
	sc := cfg.server
	sc.Log, sc.Storage, sc.Witnesses = b.log, st, collector
	sc.Notice = func(rec *bulletin.Record) string { return b.tracker.State().Notice(rec.Index) }
	sc.OperatorURLs = func() []string { return operatorURLs(b.tracker.State().Manifest()) }
	if b.node != nil {
		node := b.node
		sc.Replica = func() server.ReplicaMetrics {
			checkTx, block := node.App.Refused()
			return server.ReplicaMetrics{CheckTxRefused: checkTx, BlockRefused: block, ProposalsRejected: node.App.Rejected(), Mempool: node.MempoolSize()}
		}
	}
	b.server = server.New(sc)
	if cosigner != nil {
		b.server.Mux().Handle("POST /add-checkpoint", cosigner)
	}
	if cfg.webDir != "" {
		if err := web.Register(b.server.Mux(), web.Options{WasmDir: cfg.webDir, State: b.tracker.State, BoardKey: cfg.webKey,
			Operators: cfg.webOperators, Attempt: cfg.webAttempt, Hedge: cfg.webHedge}); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// operatorURLs returns the url hints the election's definition m gives for
// its operators, whose pages fall over to this board (server.Config
// OperatorURLs); none before the definition.
func operatorURLs(m *ballot.Manifest) []string {
	if m == nil {
		return nil
	}
	var urls []string
	for _, op := range m.Operators {
		if op.URL != "" {
			urls = append(urls, op.URL)
		}
	}
	return urls
}

// httpServer returns the HTTP server of the board's API.
func (b *runningBoard) httpServer() *http.Server {
	return &http.Server{
		Handler:           b.server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second, // pages of records extend it chunk by chunk
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// close closes the board's API, log and store; the HTTP server serving
// the API must be closed first.
func (b *runningBoard) close() {
	if b.server != nil {
		b.server.Close()
	}
	switch {
	case b.node != nil:
		b.node.Stop() // and the log
	case b.log != nil:
		b.log.Close()
	}
	b.store.Close()
}
