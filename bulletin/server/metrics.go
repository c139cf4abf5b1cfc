package server

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// ReplicaMetrics are the counters of one operator of a replicated board
// since it started (docs/spec/replicated-board.md §1), which GET /metrics
// serves when Config.Replica is set.
type ReplicaMetrics struct {
	// CheckTxRefused counts, by rejection code, the new transactions
	// CheckTx refused, keeping them out of the operator's mempool.
	CheckTxRefused map[string]int64
	// BlockRefused counts, by rejection code, the transactions of decided
	// blocks that the board's rules refused: each took a slot of its block.
	BlockRefused map[string]int64
	// ProposalsRejected counts the proposed blocks the operator voted
	// against, because a transaction in them failed its checks.
	ProposalsRejected int64
	// Mempool is the number of transactions in the operator's mempool,
	// waiting for a block.
	Mempool int
}

// labelEscaper escapes a label value of the Prometheus text exposition
// format: backslash, double quote and newline.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// getMetrics serves the board's gauges in the Prometheus text exposition
// format (version 0.0.4), for an operator's monitoring: the log's size,
// the open feeds, the pages of records being sent and, with witnesses, the size a quorum cosigned and each
// witness's latest cosigned size and consecutive failures; and, for an
// operator of a replicated board, its counters of refused transactions and
// rejected proposals (ReplicaMetrics). It is written by hand: a few gauges
// and counters do not warrant a metrics library.
func (s *Server) getMetrics(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	help := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	gauge := func(name, h string) { help(name, "gauge", h) }
	gauge("evote_board_size", "Records in the board's log.")
	fmt.Fprintf(&b, "evote_board_size %d\n", s.log.Size())
	gauge("evote_board_feeds", "Open websocket feeds.")
	fmt.Fprintf(&b, "evote_board_feeds %d\n", s.gate.slots.inUse())
	gauge("evote_board_pages", "Pages of records (GET /records) being sent.")
	fmt.Fprintf(&b, "evote_board_pages %d\n", s.pages.inUse())
	if s.cfg.Witnesses != nil {
		var cosigned int64
		if c := s.cfg.Witnesses.Checkpoint(); c != nil {
			cosigned = c.Size
		}
		gauge("evote_board_cosigned_size", "Size of the newest checkpoint a quorum of witnesses cosigned (served at /checkpoint).")
		fmt.Fprintf(&b, "evote_board_cosigned_size %d\n", cosigned)
		status := s.cfg.Witnesses.Status()
		gauge("evote_witness_cosigned_size", "Largest size the witness cosigned for this board.")
		for _, st := range status {
			fmt.Fprintf(&b, "evote_witness_cosigned_size{witness=\"%s\"} %d\n", labelEscaper.Replace(st.Name), st.Cosigned)
		}
		gauge("evote_witness_consecutive_failures", "Failed requests to the witness since its last success.")
		for _, st := range status {
			fmt.Fprintf(&b, "evote_witness_consecutive_failures{witness=\"%s\"} %d\n", labelEscaper.Replace(st.Name), st.Failures)
		}
	}
	if s.cfg.Replica != nil {
		m := s.cfg.Replica()
		byCode := func(name, h string, counts map[string]int64) {
			help(name, "counter", h)
			for _, code := range slices.Sorted(maps.Keys(counts)) {
				fmt.Fprintf(&b, "%s{code=\"%s\"} %d\n", name, labelEscaper.Replace(code), counts[code])
			}
		}
		byCode("evote_replica_checktx_refused_total", "New transactions CheckTx refused, keeping them out of the mempool, by rejection code.", m.CheckTxRefused)
		byCode("evote_replica_block_refused_total", "Transactions of decided blocks that the board's rules refused, by rejection code.", m.BlockRefused)
		help("evote_replica_proposals_rejected_total", "counter", "Proposed blocks this operator voted against: a transaction in them failed its checks.")
		fmt.Fprintf(&b, "evote_replica_proposals_rejected_total %d\n", m.ProposalsRejected)
		gauge("evote_replica_mempool_txs", "Transactions in this operator's mempool, waiting for a block.")
		fmt.Fprintf(&b, "evote_replica_mempool_txs %d\n", m.Mempool)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}
