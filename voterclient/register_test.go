package voterclient_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient"
)

// jsonSession drives a Session through Call, as the page does.
type jsonSession struct {
	t    *testing.T
	s    *voterclient.Session
	b    *board
	next int64 // records read
}

func newJSONSession(t *testing.T, b *board) *jsonSession {
	return &jsonSession{t: t, s: voterclient.NewSession(), b: b}
}

// call runs name with arg (a string as is, anything else as JSON) and
// returns the decoded envelope.
func (j *jsonSession) call(name string, arg any) map[string]any {
	j.t.Helper()
	a, ok := arg.(string)
	if !ok && arg != nil {
		enc, err := json.Marshal(arg)
		must(j.t, err)
		a = string(enc)
	}
	var out map[string]any
	must(j.t, json.Unmarshal([]byte(j.s.Call(name, a)), &out))
	return out
}

// ok runs name and returns its result, failing the test on an error.
func (j *jsonSession) ok(name string, arg any) map[string]any {
	j.t.Helper()
	out := j.call(name, arg)
	if out["ok"] != true {
		j.t.Fatalf("%s: %v", name, out["error"])
	}
	return out["result"].(map[string]any)
}

// fails runs name and checks that it fails with code; it returns the
// message.
func (j *jsonSession) fails(name string, arg any, code string) string {
	j.t.Helper()
	out := j.call(name, arg)
	e, _ := out["error"].(map[string]any)
	if out["ok"] != false || e["code"] != code {
		j.t.Fatalf("%s: got %v, want error %q", name, out, code)
	}
	msg := e["message"].(string)
	if msg == "" || strings.Contains(msg, "%!") {
		j.t.Fatalf("%s: bad message %q", name, msg)
	}
	j.t.Logf("%s: %s", name, msg)
	return msg
}

// sync reads the board's new records, and anchors them unless told not to.
func (j *jsonSession) sync(anchor bool) map[string]any {
	j.t.Helper()
	r := j.ok("sync", string(j.b.page(j.t, j.next)))
	j.next = int64(r["next"].(float64))
	if anchor {
		j.ok("anchor", j.b.anchorArgs(j.t, j.next))
	}
	return r
}

// openRoll posts a definition and a roll of voters voters to a fresh board,
// leaving the roll open.
func openRoll(t *testing.T, voters int) (*board, *simulate.Election) {
	t.Helper()
	b := newBoard(t)
	sim, err := simulate.New(context.Background(), b.log.Append, b.tracker.Current,
		simulate.Options{Voters: voters, Trustees: 3, Threshold: 2, LeaveRollOpen: true})
	must(t, err)
	return b, sim
}

// TestMakeCredential is the voter-held credential's life on the page: made
// while the roll is open, its registration request posted by the
// registrar, the roll check before and after, the roll closed, a ballot
// cast with it.
func TestMakeCredential(t *testing.T) {
	ctx := context.Background()
	b, sim := openRoll(t, 2)
	mh := b.tracker.State().ManifestHash()
	j := newJSONSession(t, b)

	// Nothing is made before the records read are tied to the checkpoint.
	r := j.sync(false)
	if r["done"] != false {
		t.Fatalf("sync with the roll open: %v", r)
	}
	if el := r["election"].(map[string]any); el["voters"] != float64(2) || el["roll_closed"] != false {
		t.Fatalf("election info: voters %v, roll_closed %v", el["voters"], el["roll_closed"])
	}
	j.fails("newCredential", map[string]string{"voter": "alice.7"}, voterclient.CodeBadBoard)
	j.ok("anchor", b.anchorArgs(t, j.next))

	for _, bad := range []string{"", "   ", "alice smith", "élise", strings.Repeat("a", ballot.MaxVoterIDLen+1)} {
		j.fails("newCredential", map[string]string{"voter": bad}, voterclient.CodeBadVoterID)
	}
	made := j.ok("newCredential", map[string]string{"voter": " alice.7\n"})
	other := j.ok("newCredential", map[string]string{"voter": "alice.7"})
	if made["public"] == other["public"] || made["credential"] == other["credential"] {
		t.Fatal("two credentials made for the same voter have the same key")
	}

	// The credential parses, and the request names this election's
	// manifest hash, the voter and the credential's key.
	cred, err := ballot.ParseCredential([]byte(made["credential"].(string)))
	must(t, err)
	if cred.Election != sim.Manifest.ID || cred.Voter != "alice.7" || hex.EncodeToString(cred.Public) != made["public"] ||
		made["voter"] != "alice.7" || made["election"] != sim.Manifest.ID || made["manifest_hash"] != hex.EncodeToString(mh[:]) {
		t.Fatalf("made %v, credential %+v", made, cred)
	}
	reg, err := ballot.ParseRegistration([]byte(made["registration"].(string)))
	must(t, err)
	if reg.Election != mh || reg.Voter != "alice.7" || !reg.Key.Equal(cred.Public) {
		t.Fatalf("registration request for %x, voter %q, key %x; want %x, alice.7, %x", reg.Election, reg.Voter, reg.Key, mh, cred.Public)
	}
	if strings.Contains(made["registration"].(string), `"private"`) || bytes.Contains([]byte(made["registration"].(string)), []byte(hex.EncodeToString(cred.Private.Seed()))) {
		t.Fatal("the registration request holds the private key")
	}

	// Not on the roll yet: the check says so, and offers the same request.
	check := j.ok("checkRoll", made["credential"])
	if check["on_roll"] != false || check["roll_closed"] != false || check["voters"] != float64(2) || check["voter"] != "alice.7" ||
		check["registration"] != made["registration"] || !strings.Contains(check["message"].(string), "is not on the roll of") ||
		!strings.Contains(check["message"].(string), "still open") {
		t.Fatalf("checkRoll before registering = %v", check)
	}
	msg := j.fails("credential", made["credential"], voterclient.CodeIneligible)
	if !strings.Contains(msg, "not on the voter roll") || !strings.Contains(msg, "yet") {
		t.Errorf("loading a credential not yet on the open roll: %q", msg)
	}
	e, err := voterclient.Sync(b.records(t))
	must(t, err)
	if _, ok := e.RollEntry(cred.Public); ok {
		t.Fatal("RollEntry found the key before the registrar posted it")
	}

	// The registrar checks the request and posts the key as entry 2.
	must(t, sim.PostRoll(ctx, 2, []ballot.RollEntry{reg.Entry()}))
	e, err = voterclient.Sync(b.records(t))
	must(t, err)
	if n, ok := e.RollEntry(cred.Public); !ok || n != 2 || e.RollSize != 3 || e.RollClosed {
		t.Fatalf("RollEntry after the registrar posted it = %d, %v (roll of %d, closed %v)", n, ok, e.RollSize, e.RollClosed)
	}
	// The page reads the new record; until it anchors again, it does not
	// rely on it.
	j.sync(false)
	j.fails("checkRoll", made["credential"], voterclient.CodeBadBoard)
	j.ok("anchor", b.anchorArgs(t, j.next))
	check = j.ok("checkRoll", made["credential"])
	if want := "Your credential (voter alice.7) is on the roll as entry 2 of 3 voters so far. The roll is still open"; check["on_roll"] != true ||
		check["entry"] != float64(2) || check["voters"] != float64(3) || check["registration"] != nil || !strings.HasPrefix(check["message"].(string), want) {
		t.Fatalf("checkRoll after registering = %v, want a message starting %q", check, want)
	}
	// The other credential made for alice.7 is not on the roll.
	if c := j.ok("checkRoll", other["credential"]); c["on_roll"] != false {
		t.Fatalf("checkRoll of the other key = %v", c)
	}

	// The roll closes: no more credentials are made, and the check says it
	// is closed.
	must(t, sim.CloseRoll(ctx))
	j.sync(true)
	msg = j.fails("newCredential", map[string]string{"voter": "bob"}, voterclient.CodeRollClosed)
	if !strings.HasPrefix(msg, "Registration is over") || !strings.Contains(msg, "3 voters") {
		t.Errorf("newCredential after the roll closed: %q", msg)
	}
	check = j.ok("checkRoll", made["credential"])
	if want := "Your credential (voter alice.7) is on the roll as entry 2 of 3 voters. The roll is closed. You can vote with this credential once voting opens"; check["roll_closed"] != true || !strings.HasPrefix(check["message"].(string), want) {
		t.Fatalf("checkRoll after the roll closed = %v, want a message starting %q", check, want)
	}
	check = j.ok("checkRoll", other["credential"])
	if check["on_roll"] != false || check["registration"] != nil || !strings.Contains(check["message"].(string), "registration is over") {
		t.Fatalf("checkRoll of a key left off the closed roll = %v", check)
	}

	// Voting opens; the page loads the credential and casts a ballot the
	// board accepts.
	must(t, sim.Ceremony(ctx))
	must(t, sim.SetPhase(ctx, election.PhaseOpen))
	if r := j.sync(true); r["done"] != true {
		t.Fatalf("sync after opening: %v", r)
	}
	info := j.ok("credential", made["credential"])
	roll, _ := info["roll"].(map[string]any)
	if info["voter"] != "alice.7" || info["public"] != made["public"] || roll == nil || roll["entry"] != float64(2) ||
		!strings.Contains(roll["message"].(string), "Voting is open") {
		t.Fatalf("credential = %v", info)
	}
	if c := j.ok("checkRoll", ""); c["public"] != made["public"] || c["on_roll"] != true {
		t.Fatalf("checkRoll of the loaded credential = %v", c)
	}
	j.ok("prepare", map[string]any{"choices": sim.RandomChoices(), "prev": ""})
	sub := j.ok("cast", nil)
	status, body := b.post(t, mustSubmission(t, sub["submission"].(string)))
	posted := j.ok("posted", map[string]any{"status": status, "body": string(body), "board_key": b.vkey})
	if idx, ok := b.tracker.State().CastBallot(cred.Public); !ok || float64(idx) != posted["index"] {
		t.Fatalf("the board counts record %d (%v) of the voter, the page cast %v", idx, ok, posted["index"])
	}
	j.fails("newCredential", map[string]string{"voter": "carol"}, voterclient.CodeRollClosed)
}

// TestMakeCredentialRefusals: nothing to register for, a damaged or
// foreign credential to look up, nothing loaded.
func TestMakeCredentialRefusals(t *testing.T) {
	b, sim := openRoll(t, 1)
	j := newJSONSession(t, b)
	j.fails("newCredential", map[string]string{"voter": "alice"}, voterclient.CodeNotOpen)
	j.fails("newCredential", `{"voter":`, voterclient.CodeBadInput)
	j.fails("checkRoll", "", voterclient.CodeBadCredential)
	j.sync(true)
	j.fails("checkRoll", "", voterclient.CodeBadCredential)
	j.fails("checkRoll", "not a credential", voterclient.CodeBadCredential)
	foreign, err := ballot.NewCredential("another-election", "alice")
	must(t, err)
	f, err := foreign.Marshal()
	must(t, err)
	j.fails("checkRoll", string(f), voterclient.CodeWrongElection)
	// The registrar's credential of voter 0 is on the open roll.
	f, err = sim.Voters[0].Marshal()
	must(t, err)
	if c := j.ok("checkRoll", string(f)); c["on_roll"] != true || c["entry"] != float64(0) || c["voters"] != float64(1) {
		t.Fatalf("checkRoll of voter 0 = %v", c)
	}
	// The package functions refuse the same way.
	_, _, err = voterclient.MakeCredential(nil, "alice")
	wantProblem(t, "no election", err, voterclient.CodeNotOpen)
	_, err = voterclient.CheckRoll(nil, sim.Voters[0])
	wantProblem(t, "no election", err, voterclient.CodeNotOpen)
}

// TestCredentialText loads a credential from pasted text: what a phone's QR
// code scanner gives, with stray space or line breaks; and explains text
// that is not a credential.
func TestCredentialText(t *testing.T) {
	b, sim := openElection(t, nil)
	j := newJSONSession(t, b)
	j.sync(true)
	f, err := sim.Voters[1].Marshal()
	must(t, err)
	var wrapped bytes.Buffer
	must(t, json.Indent(&wrapped, f, "", "  "))
	for name, text := range map[string]string{
		"as scanned":        string(f),
		"with line breaks":  "\r\n  " + string(f) + "\n\n",
		"reformatted":       wrapped.String(),
		"with a byte order": "\ufeff" + string(f),
	} {
		info := j.ok("credentialText", text)
		roll, _ := info["roll"].(map[string]any)
		if info["voter"] != simulate.VoterID(1) || info["public"] != hex.EncodeToString(sim.Voters[1].Public) || roll == nil ||
			!strings.HasPrefix(roll["message"].(string), "Your credential (voter voter-000002) is on the roll as entry 1 of 4 voters. The roll is closed.") {
			t.Fatalf("%s: credentialText = %v", name, info)
		}
	}
	// Plain words for what is not a credential.
	if msg := j.fails("credentialText", "  \n", voterclient.CodeBadCredential); !strings.HasPrefix(msg, "Paste the text") {
		t.Errorf("empty paste: %q", msg)
	}
	if msg := j.fails("credentialText", string(f[:len(f)-20]), voterclient.CodeBadCredential); !strings.Contains(msg, "This text is not a voter credential") {
		t.Errorf("truncated paste: %q", msg)
	}
	if msg := j.fails("credential", string(f[:len(f)-20]), voterclient.CodeBadCredential); !strings.HasPrefix(msg, "This file is not a voter credential") || !strings.Contains(msg, "registrar") {
		t.Errorf("truncated file: %q", msg)
	}
	altered := strings.Replace(string(f), `"version":"evote/v1"`, `"version":"evote/v2"`, 1)
	j.fails("credentialText", altered, voterclient.CodeBadCredential)
	reg := ballot.NewRegistration(sim.Voters[1], b.tracker.State().ManifestHash()).Marshal()
	if msg := j.fails("credentialText", string(reg), voterclient.CodeBadCredential); !strings.HasPrefix(msg, "This text is a registration request, not a credential") {
		t.Errorf("pasted registration request: %q", msg)
	}
	if msg := j.fails("credential", string(reg), voterclient.CodeBadCredential); !strings.HasPrefix(msg, "This file is a registration request") {
		t.Errorf("registration request as the file: %q", msg)
	}
	stranger, err := ballot.NewCredential(sim.Manifest.ID, "stranger")
	must(t, err)
	f, err = stranger.Marshal()
	must(t, err)
	if msg := j.fails("credentialText", string(f), voterclient.CodeIneligible); strings.Contains(msg, "yet") {
		t.Errorf("a credential off the closed roll: %q", msg)
	}
	foreign, err := ballot.NewCredential("another-election", "alice")
	must(t, err)
	f, err = foreign.Marshal()
	must(t, err)
	j.fails("credentialText", string(f), voterclient.CodeWrongElection)
}
