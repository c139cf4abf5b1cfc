package ceremony

import (
	"fmt"

	"github.com/evote/evote/crypto"
)

// TrusteeState is a trustee's private state, the plaintext of its keystore
// (Seal, Open): its keys, the dealer secret and the messages dealt with it
// between Deal and Receive, and its share after a successful ceremony (spec
// section 8.1).
type TrusteeState struct {
	// Keys are the trustee's long-term keys; required.
	Keys *TrusteeKeys
	// Dealer is set between Deal and Receive, and nil otherwise.
	Dealer *DealerSecret
	// Dealt holds the messages that Deal returned with Dealer, saved with
	// it before either is posted, so that a trustee restarted after a crash
	// posts these very messages rather than dealing again (spec section 6,
	// step 2). It may be set only with Dealer, and is nil otherwise and in
	// keystores written before it existed.
	Dealt *DealtMessages
	// Share is set after a successful ceremony, and nil before.
	Share *TrusteeShare
}

type trusteeStateJSON struct {
	Type       string             `json:"type"`
	SignSeed   []byte             `json:"sign_seed"`
	EncPrivate []byte             `json:"enc_private"`
	Dealer     *dealerSecretJSON  `json:"dealer,omitempty"`
	Dealt      *dealtMessagesJSON `json:"dealt,omitempty"`
	Share      *trusteeShareJSON  `json:"share,omitempty"`
}

// DealtMessages are a dealer's Commitments and Shares messages, the
// payloads of the two records it posts in step 2 (spec section 6). They
// hold no secret: the shares are sealed to their recipients.
type DealtMessages struct {
	// Commitments is the dealer's Commitments message.
	Commitments *Commitments
	// Shares is the dealer's Shares message.
	Shares *Shares
}

// dealtMessagesJSON holds the canonical encodings of the messages.
type dealtMessagesJSON struct {
	Commitments []byte `json:"commitments"`
	Shares      []byte `json:"shares"`
}

type dealerSecretJSON struct {
	Ctx       []byte `json:"ctx"`
	Trustee   uint32 `json:"trustee"`
	Threshold int    `json:"threshold"`
	Trustees  int    `json:"trustees"`
	OwnShare  []byte `json:"own_share"`
}

type trusteeShareJSON struct {
	Ctx              []byte   `json:"ctx"`
	Trustee          uint32   `json:"trustee"`
	Threshold        int      `json:"threshold"`
	Secret           []byte   `json:"secret"`
	PublicKey        []byte   `json:"public_key"`
	VerificationKeys [][]byte `json:"verification_keys"`
}

// Marshal returns the canonical JSON encoding of s. The result holds
// secrets: pass it only to Seal.
func (s *TrusteeState) Marshal() ([]byte, error) {
	if s.Keys == nil {
		return nil, fmt.Errorf("ceremony: trustee state: %w", malformed("missing keys"))
	}
	seed, encPriv := s.Keys.bytes()
	w := trusteeStateJSON{Type: typeTrusteeState, SignSeed: seed, EncPrivate: encPriv}
	if d := s.Dealer; d != nil {
		if err := checkDealerSecret(d); err != nil {
			return nil, fmt.Errorf("ceremony: trustee state: dealer: %w", err)
		}
		w.Dealer = &dealerSecretJSON{Ctx: d.ctx, Trustee: d.index, Threshold: d.t, Trustees: d.n, OwnShare: d.own.Bytes()}
	}
	if m := s.Dealt; m != nil {
		var err error
		if w.Dealt, err = marshalDealt(s.Dealer, m); err != nil {
			return nil, fmt.Errorf("ceremony: trustee state: dealt: %w", err)
		}
	}
	if sh := s.Share; sh != nil {
		if err := checkTrusteeShare(sh); err != nil {
			return nil, fmt.Errorf("ceremony: trustee state: share: %w", err)
		}
		w.Share = &trusteeShareJSON{Ctx: sh.joint.Ctx, Trustee: sh.index, Threshold: sh.t,
			Secret: sh.secret.Bytes(), PublicKey: sh.joint.PublicKey.Bytes(),
			VerificationKeys: make([][]byte, len(sh.joint.VerificationKeys))}
		for j, v := range sh.joint.VerificationKeys {
			w.Share.VerificationKeys[j] = v.Bytes()
		}
	}
	return marshalJSON(w)
}

func checkDealerSecret(d *DealerSecret) error {
	if err := checkParams(d.ctx, d.t, d.n); err != nil {
		return malformed("%w", err)
	}
	if err := checkIndex(d.index, d.n); err != nil {
		return malformed("%w", err)
	}
	return nil
}

// marshalDealt checks that m are the messages dealt with d, and encodes
// them: both present, valid for d's ceremony (VerifyCommitments,
// VerifyShares), from d's trustee, and d's own share f(i) on the committed
// polynomial.
func marshalDealt(d *DealerSecret, m *DealtMessages) (*dealtMessagesJSON, error) {
	if d == nil {
		return nil, malformed("messages without a dealer secret")
	}
	if m.Commitments == nil || m.Shares == nil {
		return nil, malformed("missing commitments or shares")
	}
	if err := verifyCommitments(d.ctx, d.t, d.n, m.Commitments); err != nil {
		return nil, malformed("commitments: %w", err)
	}
	if err := verifyShares(d.ctx, d.n, m.Shares); err != nil {
		return nil, malformed("shares: %w", err)
	}
	if m.Commitments.Trustee != d.index || m.Shares.Trustee != d.index {
		return nil, malformed("messages of trustee %d and %d, the dealer secret is trustee %d's",
			m.Commitments.Trustee, m.Shares.Trustee, d.index)
	}
	if err := crypto.VerifyShare(m.Commitments.Coefficients, d.index, &d.own); err != nil {
		return nil, malformed("the dealer secret does not match the commitments")
	}
	cm, err := m.Commitments.Marshal()
	if err != nil {
		return nil, err
	}
	sh, err := m.Shares.Marshal()
	if err != nil {
		return nil, err
	}
	return &dealtMessagesJSON{Commitments: cm, Shares: sh}, nil
}

func checkTrusteeShare(s *TrusteeShare) error {
	if s.joint == nil {
		return malformed("missing joint key")
	}
	if err := s.joint.check(); err != nil {
		return err
	}
	n := len(s.joint.VerificationKeys)
	if err := checkParams(s.joint.Ctx, s.t, n); err != nil {
		return malformed("%w", err)
	}
	if err := checkIndex(s.index, n); err != nil {
		return malformed("%w", err)
	}
	if crypto.NewElement().ScalarBaseMult(&s.secret).Equal(s.joint.VerificationKeys[s.index-1]) != 1 {
		return malformed("secret share does not match its verification key")
	}
	return nil
}

// ParseTrusteeState parses the canonical encoding of a TrusteeState, as
// returned by Open, and checks its consistency. Errors never include secret
// values.
func ParseTrusteeState(b []byte) (*TrusteeState, error) {
	return parse(b, "trustee state", typeTrusteeState, func(w *trusteeStateJSON) (*TrusteeState, string, error) {
		keys, err := newTrusteeKeys(w.SignSeed, w.EncPrivate)
		if err != nil {
			return nil, "", malformed("keys: %w", err)
		}
		s := &TrusteeState{Keys: keys}
		if wd := w.Dealer; wd != nil {
			d := &DealerSecret{ctx: wd.Ctx, index: wd.Trustee, t: wd.Threshold, n: wd.Trustees}
			if _, err := d.own.SetCanonicalBytes(wd.OwnShare); err != nil {
				return nil, "", malformed("dealer: own_share: not a canonical scalar")
			}
			s.Dealer = d
		}
		if wm := w.Dealt; wm != nil {
			cm, err := ParseCommitments(wm.Commitments)
			if err != nil {
				return nil, "", fmt.Errorf("dealt: %w", err)
			}
			sh, err := ParseShares(wm.Shares)
			if err != nil {
				return nil, "", fmt.Errorf("dealt: %w", err)
			}
			s.Dealt = &DealtMessages{Commitments: cm, Shares: sh}
		}
		if ws := w.Share; ws != nil {
			jk := &JointKey{Ctx: ws.Ctx, VerificationKeys: make([]*crypto.Element, len(ws.VerificationKeys))}
			if ws.PublicKey != nil {
				if jk.PublicKey, err = crypto.NewPublicKey(ws.PublicKey); err != nil {
					return nil, "", malformed("share: public_key: %w", err)
				}
			}
			for j, v := range ws.VerificationKeys {
				if jk.VerificationKeys[j], err = crypto.NewElement().SetCanonicalBytes(v); err != nil {
					return nil, "", malformed("share: verification key %d: %w", j+1, err)
				}
			}
			sh := &TrusteeShare{index: ws.Trustee, t: ws.Threshold, joint: jk}
			if _, err := sh.secret.SetCanonicalBytes(ws.Secret); err != nil {
				return nil, "", malformed("share: secret: not a canonical scalar")
			}
			s.Share = sh
		}
		return s, w.Type, nil
	})
}
