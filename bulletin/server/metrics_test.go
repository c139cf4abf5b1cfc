package server_test

import (
	"strings"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
)

// TestReplicaMetrics: an operator of a replicated board serves its
// counters of refused transactions, by code in code order, with a label
// value escaped, of rejected proposals, and the size of its mempool; a
// single board serves none.
func TestReplicaMetrics(t *testing.T) {
	single := newBoard(t, store.NewMemory(), server.Config{}, bulletin.LogOptions{})
	if m := do(t, "GET", single.ts.URL+"/metrics", nil).body; strings.Contains(m, "evote_replica_") {
		t.Errorf("a single board's /metrics has replica counters:\n%s", m)
	}
	b := newBoard(t, store.NewMemory(), server.Config{Replica: func() server.ReplicaMetrics {
		return server.ReplicaMetrics{
			CheckTxRefused:    map[string]int64{bulletin.CodeDuplicate: 7, bulletin.CodeBadSignature: 2},
			BlockRefused:      map[string]int64{"wrong-phase": 3, `a"b`: 1},
			ProposalsRejected: 4,
			Mempool:           5,
		}
	}}, bulletin.LogOptions{})
	m := do(t, "GET", b.ts.URL+"/metrics", nil).body
	want := "# HELP evote_replica_checktx_refused_total New transactions CheckTx refused, keeping them out of the mempool, by rejection code.\n" +
		"# TYPE evote_replica_checktx_refused_total counter\n" +
		`evote_replica_checktx_refused_total{code="bad-signature"} 2` + "\n" +
		`evote_replica_checktx_refused_total{code="duplicate"} 7` + "\n" +
		"# HELP evote_replica_block_refused_total Transactions of decided blocks that the board's rules refused, by rejection code.\n" +
		"# TYPE evote_replica_block_refused_total counter\n" +
		`evote_replica_block_refused_total{code="a\"b"} 1` + "\n" +
		`evote_replica_block_refused_total{code="wrong-phase"} 3` + "\n" +
		"# HELP evote_replica_proposals_rejected_total Proposed blocks this operator voted against: a transaction in them failed its checks.\n" +
		"# TYPE evote_replica_proposals_rejected_total counter\n" +
		"evote_replica_proposals_rejected_total 4\n" +
		"# HELP evote_replica_mempool_txs Transactions in this operator's mempool, waiting for a block.\n" +
		"# TYPE evote_replica_mempool_txs gauge\n" +
		"evote_replica_mempool_txs 5\n"
	if !strings.Contains(m, want) {
		t.Errorf("/metrics lacks the replica counters %q:\n%s", want, m)
	}
}
