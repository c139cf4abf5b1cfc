// Package voterclient is the voter's side of an evote election: it rebuilds
// the election context from the bulletin board's records, encrypts the
// voter's choices on the voter's own device, signs the ballot (to cast) or
// its Benaloh challenge (to audit), finds out from the board's signed
// records whether the board took a ballot whose answer was lost (Delivery),
// checks what a challenged ballot reveals and checks the board's receipts. It is specified in
// docs/spec/voter-client.md.
//
// The package is pure: it does no I/O, reads no clock and draws randomness
// only from crypto/rand (through packages ballot and crypto). Callers fetch
// records, checkpoints and proofs from the board themselves: the web page's
// JavaScript with fetch(), through the WebAssembly bridge in
// cmd/voterclient-wasm, and tests with the board in-process.
//
// The board formats (records, signing messages, leaf hashes, checkpoints,
// receipts, submissions: docs/spec/bulletin.md §1–§6) are package
// bulletin's, and the syncer replays the records through package election's
// State, the same rules the board and the verifier apply, so the client has
// no copy of either to drift. Neither package links net/http, database/sql
// or SQLite (the SQLite store is package bulletin/store/sqlite), which keeps
// the WebAssembly module free of them.
//
// Every error meant for the voter is a *Problem: a machine-readable code and
// an explanation in plain words.
package voterclient
