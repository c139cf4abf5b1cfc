// Package bulletin implements an election's bulletin board: an append-only,
// publicly verifiable log of signed records, as specified in
// docs/spec/bulletin.md.
//
// It holds the formats and their checks: the record and its signing
// message (Record, Submission, SigningMessage; §1, §2), the leaf hash and
// hash chain (§3), the Merkle tree over the records (CompactTree, on
// golang.org/x/mod/sumdb/tlog; §4), signed checkpoints as C2SP
// tlog-checkpoint notes (Checkpoint, on golang.org/x/mod/sumdb/note; §5)
// with the witnesses' cosignature quorum (CosignPolicy; §5.1), receipts
// (Receipt; §6), the export file (Export, ReadExport, VerifyExport; §7) and
// the HTTP API's wire types (§8). Chain checks, for a reader, that records
// form a log and match a checkpoint.
//
// Log is the board itself: a single writer appends what a Policy admits
// to a store.Store, in batches, and signs a checkpoint after each. Which
// records an election admits is election policy, in package election
// (docs/spec/election.md); this package is policy-agnostic, and OpenPolicy
// admits every well-signed record. A Log may instead be run by consensus
// (LogOptions.Sequencer): the operators of a replicated board each keep one,
// and a consensus engine orders the blocks that every operator's log
// executes (docs/spec/replicated-board.md).
//
// The HTTP server, the client, the stores, the witness client and the
// replicated board's operator (on CometBFT) are in the subpackages server,
// client, store, witness and replica.
package bulletin
