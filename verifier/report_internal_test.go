package verifier

import "testing"

// TestCountText checks that the text report reads "1 checkpoint", not
// "1 checkpoints", for every count name Verify uses, and leaves other
// counts plural.
func TestCountText(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		name string
		want string
	}{
		{1, "checkpoints", "1 checkpoint"},
		{2, "checkpoints", "2 checkpoints"},
		{0, "checkpoints", "0 checkpoints"},
		{1, "records", "1 record"},
		{1, "client hashes", "1 client hash"},
		{1, "roll records", "1 roll record"},
		{1, "Schnorr proofs", "1 Schnorr proof"},
		{1, "share messages", "1 share message"},
		{1, "joint keys", "1 joint key"},
		{1, "trustees combined", "1 trustee combined"},
		{1, "ballots summed", "1 ballot summed"},
		{1, "needed to decrypt", "1 needed to decrypt"},
		{1, "counted", "1 counted"},
		{1, "superseded", "1 superseded"},
		{1, "witnesses", "1 witness"},
	} {
		if got := countText(tt.n, tt.name); got != tt.want {
			t.Errorf("countText(%d, %q) = %q, want %q", tt.n, tt.name, got, tt.want)
		}
	}
}
