package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/bulletin"
)

// Event is one item of the feed: a record or a verified checkpoint.
type Event struct {
	Record     *bulletin.Record           // set for records
	Checkpoint *bulletin.SignedCheckpoint // set for checkpoints
}

// ErrFeedClosed is wrapped by Follow's error when the board closed the feed;
// the error text carries the board's close reason.
var ErrFeedClosed = errors.New("board: feed closed")

// Follow subscribes to the board's websocket feed from record index from and
// calls fn for every record, in order, and for every checkpoint. It checks
// that indexes are consecutive, that each record's Prev is the previous leaf
// hash (for from > 0 it first fetches record from-1), that signatures verify,
// that checkpoints are signed and consistent with every checkpoint the client
// saw, and that the last record received is included in each checkpoint.
//
// Follow returns when ctx ends (with ctx.Err()), when fn returns an error
// (that error), when a check fails, or when the connection ends. To resume,
// call Follow again from the index after the last record fn accepted.
func (c *Client) Follow(ctx context.Context, from int64, fn func(Event) error) error {
	chain := bulletin.NewChain(0)
	if from > 0 {
		r, err := c.Record(ctx, from-1)
		if err != nil {
			return fmt.Errorf("board: feed: anchoring at record %d: %w", from-1, err)
		}
		chain = bulletin.ResumeChain(r, 0)
	}
	u := *c.base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path += "/feed"
	u.RawQuery = fmt.Sprintf("from=%d", from)
	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment}
	conn, resp, err := dialer.DialContext(ctx, u.String(), nil)
	if err != nil {
		if resp != nil {
			defer resp.Body.Close()
			if _, herr := readResponse(resp, http.StatusSwitchingProtocols); herr != nil {
				return fmt.Errorf("board: feed: %w", herr)
			}
		}
		return fmt.Errorf("board: feed: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetReadLimit(2*bulletin.DefaultMaxPayload + 64<<10)

	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return fmt.Errorf("%w: %d %s", ErrFeedClosed, ce.Code, ce.Text)
			}
			return fmt.Errorf("board: feed: %w", err)
		}
		var m bulletin.FeedMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("board: feed: decoding message: %w", err)
		}
		switch m.Type {
		case bulletin.FeedRecord:
			rec, err := bulletin.ParseRecord(m.Record)
			if err != nil {
				return fmt.Errorf("board: feed: %w", err)
			}
			if err := chain.Append(rec); err != nil {
				return fmt.Errorf("board: feed: %w", err)
			}
			if err := fn(Event{Record: rec}); err != nil {
				return err
			}
		case bulletin.FeedCheckpoint:
			cp, err := c.VerifyCheckpoint(ctx, []byte(m.Checkpoint))
			if err != nil {
				return fmt.Errorf("board: feed: %w", err)
			}
			if cp.Size != chain.Size() {
				return fmt.Errorf("board: feed: checkpoint of size %d after record %d", cp.Size, chain.Size()-1)
			}
			if err := c.checkFeedCheckpoint(ctx, chain, from, cp); err != nil {
				return fmt.Errorf("board: feed: %w", err)
			}
			if err := fn(Event{Checkpoint: &cp}); err != nil {
				return err
			}
		default:
			return fmt.Errorf("board: feed: unknown message type %q", m.Type)
		}
	}
}

// checkFeedCheckpoint checks that the records the feed delivered are the
// ones cp signs: by the tree for a feed followed from record 0, else by
// the inclusion of the last record delivered.
func (c *Client) checkFeedCheckpoint(ctx context.Context, chain *bulletin.Chain, from int64, cp bulletin.SignedCheckpoint) error {
	if from == 0 {
		return chain.CheckCheckpoint(cp.Checkpoint)
	}
	if cp.Size == from {
		return nil
	}
	p, err := c.InclusionProof(ctx, cp.Size-1, cp.Size)
	if err != nil {
		return err
	}
	if err := bulletin.CheckInclusion(p, cp.Size-1, cp.Size, chain.Last(), cp.Hash); err != nil {
		return fmt.Errorf("record %d is not the one in checkpoint %d: %w", cp.Size-1, cp.Size, err)
	}
	return nil
}
