package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/election"
)

// TestBoardCheck: "evote board check" replays a board database and finds
// its saved state to match; a state file that is well formed, names the
// right records and carries a good checksum but holds another state (here
// one more ballot than the board has) is caught by the comparison with
// the replay, and so is a damaged one.
func TestBoardCheck(t *testing.T) {
	e, _, _, _ := verifyFiles(t)
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "board.db")
	st, err := sqlite.Create(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Copy(ctx, st, e.Store, e.Records); err != nil {
		t.Fatal(err)
	}
	log, err := bulletin.OpenLog(ctx, st, new(election.Tracker).New, bulletin.LogOptions{
		Signer: e.BoardSigner, MaxPayload: e.MaxPayload, Snapshot: db + ".state",
	})
	if err != nil {
		t.Fatal(err)
	}
	log.Close()
	st.Close()

	stdout, stderr, err := runEvote(t, "board", "check", "--db", db)
	if err != nil {
		t.Fatalf("board check: %v\n%s%s", err, stdout, stderr)
	}
	if want := "records hold; the state saved after " + strconv.FormatInt(e.Records, 10) + " records"; !strings.Contains(stdout, want) {
		t.Errorf("board check said %q, want %q", stdout, want)
	}

	good, err := os.ReadFile(db + ".state")
	if err != nil {
		t.Fatal(err)
	}
	// The election state ends with the number of challenged ballots and
	// of ballots, then comes the file's SHA-256.
	forged := append([]byte(nil), good[:len(good)-sha256.Size]...)
	n := binary.BigEndian.Uint64(forged[len(forged)-8:])
	binary.BigEndian.PutUint64(forged[len(forged)-8:], n+1)
	sum := sha256.Sum256(forged)
	forged = append(forged, sum[:]...)
	if err := os.WriteFile(db+".state", forged, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runEvote(t, "board", "check", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "differs from the state replayed from the first "+strconv.FormatInt(e.Records, 10)+" records") {
		t.Errorf("board check of a forged state file: %v, want it found to differ from the replay", err)
	}

	damaged := append([]byte(nil), good...)
	damaged[len(damaged)/2] ^= 0x40
	if err := os.WriteFile(db+".state", damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runEvote(t, "board", "check", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "cannot be used") {
		t.Errorf("board check of a damaged state file: %v, want it refused", err)
	}

	// Without a state file, the records alone are checked.
	stdout, _, err = runEvote(t, "board", "check", "--db", db, "--state", "off")
	if err != nil || !strings.Contains(stdout, strconv.FormatInt(e.Records, 10)+" records hold\n") {
		t.Errorf("board check --state off: %v\n%s", err, stdout)
	}
}
