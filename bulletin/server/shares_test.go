package server

import "testing"

// TestClientShares checks that a client holds at most its share,
// independently of other clients, that all of them hold at most the total,
// and that a client's count goes with its last slot, so that the map does
// not grow with every client ever seen.
func TestClientShares(t *testing.T) {
	c := newClientShares(3, 5)
	for i := range 3 {
		if ok, _ := c.acquire("192.0.2.1"); !ok {
			t.Fatalf("acquire %d of 3 refused", i+1)
		}
	}
	if ok, full := c.acquire("192.0.2.1"); ok || full {
		t.Fatalf("a fourth slot for one client: ok %v, full %v; want refused as over its share", ok, full)
	}
	for i := range 2 {
		if ok, _ := c.acquire("192.0.2.2"); !ok {
			t.Fatalf("another client's slot %d refused while the first holds its share", i+1)
		}
	}
	if ok, full := c.acquire("192.0.2.3"); ok || !full {
		t.Fatalf("a sixth slot of 5: ok %v, full %v; want refused as full", ok, full)
	}
	c.release("192.0.2.1")
	if ok, _ := c.acquire("192.0.2.3"); !ok {
		t.Fatal("acquire refused after a release")
	}
	if c.inUse() != 5 {
		t.Errorf("in use = %d, want 5", c.inUse())
	}
	for _, client := range []string{"192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.2", "192.0.2.3"} {
		c.release(client)
	}
	if len(c.held) != 0 || c.inUse() != 0 {
		t.Errorf("after every slot was released, held = %v, in use %d; want none", c.held, c.inUse())
	}
}
