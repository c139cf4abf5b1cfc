package bulletin

import (
	"encoding/json"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Wire types of the HTTP API (docs/spec/bulletin.md §8). Records inside them
// are the canonical record encoding, copied verbatim: encode these with
// json.Encoder.SetEscapeHTML(false) so the record bytes are not re-escaped.

// AppendResponse is the body of a successful POST /records.
type AppendResponse struct {
	Record  json.RawMessage `json:"record"`           // canonical record
	Receipt string          `json:"receipt"`          // Receipt.Marshal
	Notice  string          `json:"notice,omitempty"` // what the record changed, from Config.Notice
}

// InclusionProofResponse is the body of GET /proof/inclusion.
type InclusionProofResponse struct {
	Index int64       `json:"index"`
	Size  int64       `json:"size"`
	Proof []tlog.Hash `json:"proof"`
}

// ConsistencyProofResponse is the body of GET /proof/consistency.
type ConsistencyProofResponse struct {
	Old   int64       `json:"old"`
	New   int64       `json:"new"`
	Proof []tlog.Hash `json:"proof"`
}

// ErrorResponse is the body of every HTTP error response.
type ErrorResponse struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// HealthResponse is the body of GET /healthz (Status "ok": the board is
// alive) and of a 200 GET /readyz (Status "ready": it can append).
type HealthResponse struct {
	Status string `json:"status"`
	Size   int64  `json:"size"`
}

// Feed message types.
const (
	FeedRecord     = "record"
	FeedCheckpoint = "checkpoint"
)

// FeedMessage is one websocket text message of GET /feed: either a record
// (Type FeedRecord) or a signed checkpoint note (Type FeedCheckpoint).
type FeedMessage struct {
	Type       string          `json:"type"`
	Record     json.RawMessage `json:"record,omitempty"`
	Checkpoint string          `json:"checkpoint,omitempty"`
}

// WitnessStatus is what a board reports of one of its witnesses (GET
// /witnesses).
type WitnessStatus struct {
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	Cosigned  int64     `json:"cosigned_size"` // the largest size it cosigned for this board
	LastOK    time.Time `json:"last_ok,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Failures  int       `json:"consecutive_failures"`
}

// WitnessesResponse is the body of GET /witnesses.
type WitnessesResponse struct {
	Size      int64           `json:"size"`          // the log's size
	Cosigned  int64           `json:"cosigned_size"` // the size of the checkpoint served at /checkpoint, cosigned by a quorum; 0 before one
	Witnesses []WitnessStatus `json:"witnesses"`
}
