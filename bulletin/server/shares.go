package server

import "sync"

// clientShares counts what each client holds of a resource the board
// shares out (pages of records being sent, websocket feeds), so that no
// client holds more than perClient of it, and all of them no more than
// total (0: no total).
type clientShares struct {
	perClient, total int

	mu   sync.Mutex
	n    int
	held map[string]int // per client key; never 0: an entry goes with its client's last slot
}

func newClientShares(perClient, total int) *clientShares {
	return &clientShares{perClient: perClient, total: total, held: make(map[string]int)}
}

// acquire takes a slot for client. It fails, taking nothing, if the client
// holds its share (full false) or all slots are taken (full true).
func (c *clientShares) acquire(client string) (ok, full bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[client] >= c.perClient {
		return false, false
	}
	if c.total > 0 && c.n >= c.total {
		return false, true
	}
	c.n++
	c.held[client]++
	return true, false
}

// release gives back a slot acquire took.
func (c *clientShares) release(client string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n--
	if n := c.held[client]; n > 1 {
		c.held[client] = n - 1
	} else {
		delete(c.held, client)
	}
}

// inUse returns the slots taken.
func (c *clientShares) inUse() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
