package ceremony_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/evote/evote/ceremony"
)

func TestKeystoreTrusteeState(t *testing.T) {
	r := newRun(t, 2, 3)
	share, v := r.receive(t, 2)
	if !v.Accept {
		t.Fatal("ceremony failed")
	}
	pass := []byte("correct horse battery staple")
	dealt := &ceremony.DealtMessages{Commitments: r.cms[1], Shares: r.shs[1]}
	for _, st := range []*ceremony.TrusteeState{
		{Keys: r.keys[1]},
		{Keys: r.keys[1], Dealer: r.dealers[1]}, // as written before Dealt existed
		{Keys: r.keys[1], Dealer: r.dealers[1], Dealt: dealt},
		{Keys: r.keys[1], Share: share},
	} {
		pt := mustMarshal(t, st)
		sealed, err := ceremony.Seal(pass, pt)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, pt[20:40]) {
			t.Fatal("plaintext visible in the keystore")
		}
		opened, err := ceremony.Open(pass, sealed)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ceremony.ParseTrusteeState(opened)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mustMarshal(t, got), pt) {
			t.Fatal("state changed through the keystore")
		}
		if !got.Keys.Public().Equal(r.pubs[1]) {
			t.Fatal("keys changed through the keystore")
		}
		if st.Dealer != nil {
			// The restored dealer secret still completes the ceremony.
			s, v, err := ceremony.Receive(r.ctx, got.Keys, got.Dealer, r.cms, r.shs)
			if err != nil || !v.Accept || s.Secret().Equal(share.Secret()) != 1 {
				t.Fatalf("Receive with restored state = %v, %+v", err, v)
			}
		}
		switch {
		case st.Dealt == nil && got.Dealt != nil:
			t.Fatal("dealt messages appeared through the keystore")
		case st.Dealt != nil && (got.Dealt == nil ||
			!bytes.Equal(mustMarshal(t, got.Dealt.Commitments), mustMarshal(t, r.cms[1])) ||
			!bytes.Equal(mustMarshal(t, got.Dealt.Shares), mustMarshal(t, r.shs[1]))):
			t.Fatal("dealt messages changed through the keystore")
		}
		if st.Share != nil && got.Share.Secret().Equal(share.Secret()) != 1 {
			t.Fatal("secret share changed through the keystore")
		}
	}
	if _, err := (&ceremony.TrusteeState{}).Marshal(); err == nil {
		t.Error("state without keys marshals")
	}
}

// TestTrusteeStateDealt: the messages saved with a dealer secret must be
// that dealer's, from the polynomial of its own share; a state that breaks
// this does not marshal, so no keystore holds it.
func TestTrusteeStateDealt(t *testing.T) {
	r := newRun(t, 2, 3)
	other := newRun(t, 2, 3)
	for _, tt := range []struct {
		name   string
		dealer *ceremony.DealerSecret
		dealt  *ceremony.DealtMessages
	}{
		{"no dealer secret", nil, &ceremony.DealtMessages{Commitments: r.cms[0], Shares: r.shs[0]}},
		{"no shares", r.dealers[0], &ceremony.DealtMessages{Commitments: r.cms[0]}},
		{"no commitments", r.dealers[0], &ceremony.DealtMessages{Shares: r.shs[0]}},
		{"another trustee's commitments", r.dealers[0], &ceremony.DealtMessages{Commitments: r.cms[1], Shares: r.shs[0]}},
		{"another trustee's shares", r.dealers[0], &ceremony.DealtMessages{Commitments: r.cms[0], Shares: r.shs[1]}},
		{"another polynomial", r.dealers[0], &ceremony.DealtMessages{Commitments: other.cms[0], Shares: other.shs[0]}},
	} {
		st := &ceremony.TrusteeState{Keys: r.keys[0], Dealer: tt.dealer, Dealt: tt.dealt}
		if _, err := st.Marshal(); !errors.Is(err, ceremony.ErrMalformed) {
			t.Errorf("%s: Marshal = %v, want ErrMalformed", tt.name, err)
		}
	}
}

func TestKeystore(t *testing.T) {
	pass := []byte("passphrase")
	pt := []byte(`{"secret":"the plaintext"}`)
	sealed, err := ceremony.Seal(pass, pt)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ceremony.Open(pass, sealed); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if !bytes.HasPrefix(sealed, []byte("evote/v1/keystore\n\x01")) {
		t.Errorf("keystore starts with %q", sealed[:19])
	}
	if len(sealed) != ceremony.KeystoreHeaderLen+len(pt)+16 {
		t.Errorf("keystore is %d bytes, want %d", len(sealed), ceremony.KeystoreHeaderLen+len(pt)+16)
	}
	again, err := ceremony.Seal(pass, pt)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sealed[28:56], again[28:56]) {
		t.Error("two keystores share salt and nonce")
	}
	if got, err := ceremony.Seal(pass, nil); err != nil {
		t.Error(err)
	} else if pt2, err := ceremony.Open(pass, got); err != nil || len(pt2) != 0 {
		t.Errorf("empty plaintext: Open = %q, %v", pt2, err)
	}

	for _, wrong := range [][]byte{[]byte("passphrasf"), []byte("passphras"), []byte("passphrase "), nil} {
		if _, err := ceremony.Open(wrong, sealed); !errors.Is(err, ceremony.ErrKeystoreAuth) {
			t.Errorf("Open with passphrase %q = %v, want ErrKeystoreAuth", wrong, err)
		}
	}
	if _, err := ceremony.Seal(nil, pt); err == nil {
		t.Error("Seal with an empty passphrase succeeded")
	}

	// Every byte change, truncation and extension fails.
	for i := range sealed {
		for _, x := range []byte{0x01, 0x80} {
			b := bytes.Clone(sealed)
			b[i] ^= x
			if _, err := ceremony.Open(pass, b); err == nil {
				t.Errorf("byte %d ^ %#x: Open succeeded", i, x)
			} else if !errors.Is(err, ceremony.ErrKeystoreAuth) && !errors.Is(err, ceremony.ErrKeystoreFormat) {
				t.Errorf("byte %d ^ %#x: Open = %v", i, x, err)
			}
		}
	}
	for n := range len(sealed) {
		if _, err := ceremony.Open(pass, sealed[:n]); err == nil {
			t.Errorf("truncation to %d bytes: Open succeeded", n)
		}
	}
	if _, err := ceremony.Open(pass, append(bytes.Clone(sealed), 0)); !errors.Is(err, ceremony.ErrKeystoreAuth) {
		t.Errorf("extension: Open = %v, want ErrKeystoreAuth", err)
	}

	// Header errors say what is wrong before any key derivation.
	hdr := func(f func(b []byte)) []byte { b := bytes.Clone(sealed); f(b); return b }
	for name, b := range map[string][]byte{
		"label":         hdr(func(b []byte) { b[6] = '2' }),
		"kdf":           hdr(func(b []byte) { b[18] = 2 }),
		"time 0":        hdr(func(b []byte) { binary.BigEndian.PutUint32(b[19:], 0) }),
		"time huge":     hdr(func(b []byte) { binary.BigEndian.PutUint32(b[19:], 1<<20) }),
		"memory huge":   hdr(func(b []byte) { binary.BigEndian.PutUint32(b[23:], 1<<30) }),
		"memory tiny":   hdr(func(b []byte) { binary.BigEndian.PutUint32(b[23:], 7) }),
		"threads 0":     hdr(func(b []byte) { b[27] = 0 }),
		"threads huge":  hdr(func(b []byte) { b[27] = 200 }),
		"short":         sealed[:ceremony.KeystoreHeaderLen+15],
		"no tag at all": sealed[:ceremony.KeystoreHeaderLen],
	} {
		if _, err := ceremony.Open(pass, b); !errors.Is(err, ceremony.ErrKeystoreFormat) {
			t.Errorf("%s: Open = %v, want ErrKeystoreFormat", name, err)
		}
	}
}

// TestKeystoreDefaultParameters seals with the production Argon2id
// parameters (64 MiB) and checks they are what the header records.
func TestKeystoreDefaultParameters(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB Argon2id")
	}
	defer ceremony.UseDefaultKDF()()
	sealed, err := ceremony.Seal([]byte("pass"), []byte("pt"))
	if err != nil {
		t.Fatal(err)
	}
	if tm, mem, th := binary.BigEndian.Uint32(sealed[19:]), binary.BigEndian.Uint32(sealed[23:]), sealed[27]; tm != 2 || mem != 64*1024 || th != 2 {
		t.Errorf("default parameters t=%d m=%d KiB p=%d, want 2, 65536, 2", tm, mem, th)
	}
	if pt, err := ceremony.Open([]byte("pass"), sealed); err != nil || string(pt) != "pt" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
}
