package election

import "testing"

// SpillCountedBallots makes the states created during the test keep their
// counted ballots' ciphertexts in a temporary file from the first ballot.
func SpillCountedBallots(t *testing.T) {
	old := spillAt
	spillAt = 0
	t.Cleanup(func() { spillAt = old })
}
