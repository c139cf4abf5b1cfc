package participant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// PostFunc appends a signed submission to the board and returns the record
// and the board's receipt. bulletin.Log.Append and client.Client.Post fit.
type PostFunc func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error)

// A PostError is a step's failure to post a record it computed: the board
// refused it or could not be reached. What the step saved before posting
// stands. An error of a step that is not a PostError came before the step
// posted anything. Its message is Err's (the Post function names the
// record).
type PostError struct {
	Type string // the record's type, such as election.TypeCommitments
	Err  error
}

// Error returns Err's message.
func (e *PostError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *PostError) Unwrap() error { return e.Err }

// Errors of a Trustee's steps whose state does not fit the board's.
var (
	// ErrNotTrustee: the definition does not list the trustee's keys.
	ErrNotTrustee = errors.New("this trustee is not in the election definition")
	// ErrCeremonyDone: the trustee's state holds a share already, and the
	// board has the trustee's verdict or is another election's.
	ErrCeremonyDone = errors.New("this keystore already holds a share from a completed ceremony")
	// ErrNoDealerSecret: the board has commitments the state cannot serve.
	ErrNoDealerSecret = errors.New("the board has this trustee's commitments but the keystore has no dealer secret: was another keystore used?")
	// ErrOtherCommitments: the board has commitments of the trustee other
	// than those saved with the state's dealer secret.
	ErrOtherCommitments = errors.New("the board has other commitments of this trustee than those saved in the keystore with its dealer secret: was another keystore used?")
	// ErrDealtLost: the state holds a dealer secret without the messages
	// dealt with it (a keystore written before they were saved), and the
	// board lacks some of them, which cannot be made again.
	ErrDealtLost = errors.New("the keystore holds a dealer secret but not the commitments and shares dealt with it, and the board lacks some of them: this trustee cannot complete the ceremony")
	// ErrNoShare: the trustee's state holds no share to decrypt with.
	ErrNoShare = errors.New("this keystore holds no share: the trustee has not completed the ceremony")
)

// Trustee is a trustee acting on the board (docs/spec/ceremony.md §6): the
// key ceremony (Deal, then Receive) and the partial decryption (Decrypt).
// Its steps save a secret, and what they will post with it, before they
// post a record that depends on it, so that a crash never leaves on the
// board a record whose secret the keystore lost (ceremony.md §8.1), and a
// trustee run again after a crash at any point posts what the board lacks
// and completes the ceremony. The CLI's trustee commands and the
// simulation both act through it.
type Trustee struct {
	// State is the trustee's private state, the plaintext of its keystore.
	// Deal and Receive update it.
	State *ceremony.TrusteeState
	// Save stores a new State durably, as the keystore file (the CLI seals
	// it and replaces the file atomically): once Save returns nil, the state
	// must survive a crash. Deal and Receive call it before they post; on
	// failure they leave State as it was. Decrypt does not call it.
	Save func(*ceremony.TrusteeState) error
	// Post appends the trustee's signed records to the board.
	Post PostFunc
}

// Deal is the trustee's first ceremony step, in its crash-safe order. If the
// board has no commitments of this trustee and State no dealer secret, it
// deals (package function Deal) and saves the dealer secret together with
// the commitments and shares it dealt (State.Dealt), and only then posts
// them. If State already holds a dealer secret, saved by an earlier run,
// Deal never deals again: it posts those of the saved commitments and
// shares that the board lacks, in that order, so that a run stopped
// between saving and posting is completed. It returns whether it posted.
//
// It fails with ErrNoDealerSecret if the board has the trustee's
// commitments but State has no dealer secret, with ErrOtherCommitments if
// they are not the saved ones, with ErrDealtLost if State holds a dealer
// secret without its messages and the board lacks some, and with
// ErrNotTrustee if st's definition does not list the trustee. If State
// holds a share already, Deal has nothing to do: it returns false and a
// nil error if the board lacks the trustee's verdict (Receive posts it),
// and ErrCeremonyDone otherwise.
func (t *Trustee) Deal(ctx context.Context, st *election.State) (posted bool, err error) {
	index, ok := st.TrusteeIndex(t.State.Keys.Public().SignKey)
	if t.State.Share != nil {
		if ok && t.verdictPending(st, index) {
			return false, nil
		}
		return false, ErrCeremonyDone
	}
	if !ok {
		return false, ErrNotTrustee
	}
	if t.State.Dealer == nil {
		if commitments, _, _ := st.Ceremony(); commitments[index-1] != nil {
			return false, ErrNoDealerSecret
		}
		cm, sh, dealer, err := Deal(st, index)
		if err != nil {
			return false, err
		}
		next := *t.State
		next.Dealer = dealer
		next.Dealt = &ceremony.DealtMessages{Commitments: cm, Shares: sh}
		if err := t.Save(&next); err != nil {
			return false, err
		}
		*t.State = next
	}
	return t.postDealt(ctx, st, index)
}

// postDealt posts those of the messages saved with State's dealer secret
// that the board lacks, commitments first, and reports whether it posted.
func (t *Trustee) postDealt(ctx context.Context, st *election.State, index uint32) (posted bool, err error) {
	d, dealt := t.State.Dealer, t.State.Dealt
	if mh := st.ManifestHash(); !bytes.Equal(d.Ctx(), mh[:]) || d.Index() != index {
		return false, fmt.Errorf("deal: the keystore's dealer secret is from another ceremony than this election's (manifest hash %x)", mh)
	}
	commitments, shares, _ := st.Ceremony()
	onBoard := commitments[index-1]
	if dealt == nil {
		if onBoard == nil || shares[index-1] == nil {
			return false, ErrDealtLost
		}
		return false, nil
	}
	if onBoard != nil {
		same, err := sameEncoding(onBoard, dealt.Commitments)
		if err != nil {
			return false, fmt.Errorf("deal: %w", err)
		}
		if !same {
			return false, ErrOtherCommitments
		}
	} else {
		if _, err := t.post(ctx, election.TypeCommitments, dealt.Commitments); err != nil {
			return false, err
		}
		posted = true
	}
	if shares[index-1] == nil {
		if _, err := t.post(ctx, election.TypeShares, dealt.Shares); err != nil {
			return false, err
		}
		posted = true
	}
	return posted, nil
}

// sameEncoding reports whether a and b have the same canonical encoding.
func sameEncoding(a, b interface{ Marshal() ([]byte, error) }) (bool, error) {
	ab, err := a.Marshal()
	if err != nil {
		return false, err
	}
	bb, err := b.Marshal()
	if err != nil {
		return false, err
	}
	return bytes.Equal(ab, bb), nil
}

// Receive is the trustee's second ceremony step, once every trustee's
// commitments and shares are on the board (State.CeremonyComplete): it
// opens and checks the shares addressed to it (package function Receive)
// and posts its verdict. If it accepts, it first saves its secret share,
// erasing the dealer secret and the messages dealt with it, so that an
// accepting verdict on the board always has its share in the keystore. It
// returns the verdict: a complaint is posted and returned with a nil
// error, and State is then left unchanged; the ceremony cannot complete.
//
// If State holds a share already, an earlier run saved it and stopped
// before the board took its accepting verdict: Receive posts that verdict
// again (see acceptedVerdict), or fails with ErrCeremonyDone if the board
// has the trustee's verdict or is another election's.
func (t *Trustee) Receive(ctx context.Context, st *election.State) (*ceremony.Verdict, error) {
	var verdict *ceremony.Verdict
	var err error
	if t.State.Share != nil {
		verdict, err = t.acceptedVerdict(st)
	} else {
		verdict, err = t.receive(st)
	}
	if err != nil {
		return nil, err
	}
	if _, err := t.post(ctx, election.TypeVerdict, verdict); err != nil {
		return nil, err
	}
	return verdict, nil
}

// receive opens and checks the shares addressed to the trustee and returns
// its verdict, after saving its share if it accepts.
func (t *Trustee) receive(st *election.State) (*ceremony.Verdict, error) {
	share, verdict, err := Receive(st, t.State.Keys, t.State.Dealer)
	if err != nil {
		return nil, err
	}
	if verdict.Accept {
		next := *t.State
		next.Share, next.Dealer, next.Dealt = share, nil, nil
		if err := t.Save(&next); err != nil {
			return nil, err
		}
		*t.State = next
	}
	return verdict, nil
}

// acceptedVerdict returns the accepting verdict of the share in State, for
// the board to take. A verdict holds only the ceremony's ctx, the
// trustee's index and acceptance (ceremony.Verdict), and the share was
// saved only because every check of Receive passed on the board's
// messages, which the board never changes: so the verdict is recomputed
// here, once the share is checked to be this trustee's for the board's
// election and to come from the commitments on the board (its joint key is
// theirs). It fails with ErrCeremonyDone if the board has the trustee's
// verdict already or is another election's.
func (t *Trustee) acceptedVerdict(st *election.State) (*ceremony.Verdict, error) {
	index, ok := st.TrusteeIndex(t.State.Keys.Public().SignKey)
	if !ok || !t.verdictPending(st, index) {
		return nil, ErrCeremonyDone
	}
	m, mh := st.Manifest(), st.ManifestHash()
	commitments, _, _ := st.Ceremony()
	jk, err := ceremony.ComputeJointKey(mh[:], m.Threshold, len(m.Trustees), commitments)
	if err != nil {
		return nil, fmt.Errorf("receive: the keystore holds a share, but the board's commitments give no joint key: %w", err)
	}
	same, err := sameEncoding(jk, t.State.Share.JointKey())
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	if !same {
		return nil, errors.New("receive: the keystore's share does not come from the commitments on the board: was another keystore used?")
	}
	return &ceremony.Verdict{Ctx: mh[:], Trustee: index, Accept: true}, nil
}

// verdictPending reports whether State's share is trustee index's in st's
// election and the board lacks the trustee's verdict: an earlier run saved
// the share and stopped before posting the verdict.
func (t *Trustee) verdictPending(st *election.State, index uint32) bool {
	sh, mh := t.State.Share, st.ManifestHash()
	_, _, verdicts := st.Ceremony()
	return bytes.Equal(sh.Ctx(), mh[:]) && sh.Index() == index && verdicts[index-1] == nil
}

// Decrypt posts the trustee's partial decryption of st's encrypted sums
// (PartialDecryption) and returns its record. It fails with ErrNoShare if
// State holds no share.
func (t *Trustee) Decrypt(ctx context.Context, st *election.State) (*bulletin.Record, error) {
	if t.State.Share == nil {
		return nil, ErrNoShare
	}
	p, err := PartialDecryption(st, t.State.Share)
	if err != nil {
		return nil, err
	}
	return t.post(ctx, election.TypePartial, p)
}

// Mix posts the trustee's mix (package function Mix) of every mix-net
// contest of st's election (ranked, or with a write-in) that it has not
// mixed yet and whose mixing is still open (MixOpen), and returns their
// records. Each mix takes the last one on the board as its input, so
// trustees mix in turn: call it with a state that has caught up with the
// board.
func (t *Trustee) Mix(ctx context.Context, st *election.State) ([]*bulletin.Record, error) {
	index, ok := st.TrusteeIndex(t.State.Keys.Public().SignKey)
	if !ok {
		return nil, ErrNotTrustee
	}
	return t.postMixed(ctx, st, election.TypeMix,
		func(i int) bool { return MixOpen(st, i) && !slices.Contains(st.Mixes(i), index) },
		func(i int) (any, error) { return Mix(st, index, i) })
}

// MixOpen reports whether the mix-net contest at manifest index contest
// takes more mixes: none of its mixed ballots is decrypted yet, so no
// count of it is posted either (the board refuses a mix after the first
// decryption, election.md §2.5).
func MixOpen(st *election.State, contest int) bool {
	return len(st.MixPartials(contest)) == 0 && !st.MixCounted(contest)
}

// DecryptMixes posts the trustee's partial decryption (package function
// MixDecryption) of every mix-net contest of st's election that has its
// threshold of mixes, is not counted yet and that the trustee has not
// decrypted, and returns their records. It fails with ErrNoShare if State
// holds no share.
func (t *Trustee) DecryptMixes(ctx context.Context, st *election.State) ([]*bulletin.Record, error) {
	if t.State.Share == nil {
		return nil, ErrNoShare
	}
	index := t.State.Share.Index()
	return t.postMixed(ctx, st, election.TypeMixDecryption,
		func(i int) bool {
			return len(st.Mixes(i)) >= st.Manifest().Threshold && !st.MixCounted(i) &&
				!slices.ContainsFunc(st.MixPartials(i), func(p *tally.PartialDecryption) bool { return p.Trustee == index })
		},
		func(i int) (any, error) { return MixDecryption(st, t.State.Share, i) })
}

// postMixed posts, for every mix-net contest i of st's election for which
// pending(i) holds, the record of type typ that build(i) makes, and
// returns the records posted; it stops at the first failure.
func (t *Trustee) postMixed(ctx context.Context, st *election.State, typ string, pending func(i int) bool, build func(i int) (any, error)) ([]*bulletin.Record, error) {
	var out []*bulletin.Record
	for i, c := range st.Manifest().Contests {
		if !c.Mixed() || !pending(i) {
			continue
		}
		v, err := build(i)
		if err != nil {
			return out, err
		}
		rec, err := t.post(ctx, typ, v)
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// post signs v as a record of type typ with the trustee's keys and posts
// it, wrapping a failure to post in a PostError.
func (t *Trustee) post(ctx context.Context, typ string, v any) (*bulletin.Record, error) {
	sub, err := election.NewSubmission(election.TrusteeSigner{Keys: t.State.Keys}, typ, v)
	if err != nil {
		return nil, err
	}
	rec, _, err := t.Post(ctx, sub)
	if err != nil {
		return nil, &PostError{Type: typ, Err: err}
	}
	return rec, nil
}
