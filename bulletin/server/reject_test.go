package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
)

// statusPolicy refuses every record with its own code, "no-<n>" for the
// record whose payload is {"n":<n>, …}; the rejection of n carries status
// n, 0 for none; the error is wrapped, as a policy may.
type statusPolicy struct{}

func (statusPolicy) Verify(context.Context, *bulletin.Submission) error { return nil }

func (statusPolicy) Admit(rec *bulletin.Record) error {
	var n int
	if _, err := fmt.Sscanf(string(rec.Payload), `{"n":%d`, &n); err != nil {
		return bulletin.Reject(bulletin.CodeMalformed, "no n")
	}
	rej := bulletin.Reject(fmt.Sprintf("no-%d", n), "refused")
	rej.Status = n
	return fmt.Errorf("test policy: %w", rej)
}

// TestPolicyRejectStatus: the server answers a policy's own code with the
// status the policy set in RejectError.Status, and with 422 if it set none
// (docs/spec/bulletin.md §8); the client hands the status back.
func TestPolicyRejectStatus(t *testing.T) {
	b := newPolicyBoard(t, store.NewMemory(), func() bulletin.Policy { return statusPolicy{} }, server.Config{}, bulletin.LogOptions{})
	for _, tt := range []struct{ n, status int }{
		{403, 403},
		{409, 409},
		{0, 422},
	} {
		body, _ := sub(tt.n).MarshalJSON()
		resp, er := post(t, b.ts.URL, body)
		if code := fmt.Sprintf("no-%d", tt.n); resp.StatusCode != tt.status || er.Code != code {
			t.Errorf("POST of a record refused with status %d = %d %q, want %d %q", tt.n, resp.StatusCode, er.Code, tt.status, code)
		}
		_, _, err := b.cl.Post(context.Background(), sub(tt.n))
		var rej *bulletin.RejectError
		if !errors.As(err, &rej) || rej.Status != tt.status {
			t.Errorf("client Post of a record refused with status %d = %v, want a RejectError with Status %d", tt.n, err, tt.status)
		}
	}
	if b.log.Size() != 0 {
		t.Errorf("log size after refused posts = %d, want 0", b.log.Size())
	}
}
