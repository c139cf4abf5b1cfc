// Package networktest sets up elections on the operators of a replicated
// board (docs/spec/replicated-board.md) for tests: the set-up that the
// tests of the CLI and of the voter pages share. Only tests import it.
package networktest

import (
	"slices"
	"testing"
	"time"

	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/election/simulate"
)

// Clients returns a client of each operator's board: of the board at
// urls[i], whose checkpoints verify with the board key vkeys[i].
func Clients(t testing.TB, urls, vkeys []string) []*client.Client {
	t.Helper()
	clients := make([]*client.Client, len(urls))
	for i := range clients {
		var err error
		if clients[i], err = client.New(urls[i], vkeys[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	return clients
}

// Options says what election OpenElection sets up.
type Options struct {
	// Voters is the number of voters on the roll.
	Voters int
	// Hints are the url hints of the definition's operators, by name
	// (replica.DefinitionOperators); none if nil.
	Hints map[string]string
	// Serving are the operators, by index in the clients, that serve the
	// opening of voting when OpenElection returns; every operator if nil.
	Serving []int
}

// OpenElection sets up an election on the network of operators ops, of
// whose boards clients holds one client each, in the operators' order: it
// posts through operator 2, then the others in turn (client.Boards), and
// acts on operator 2's verified view (follow.Acting). The definition names
// the operators, with opts.Hints, so that every checkpoint needs their
// quorum; three trustees, any two of whom decrypt, and opts.Voters voters.
// It runs the key ceremony, opens voting, and returns the election once
// operator 2's view covers the opening and every operator of opts.Serving
// serves a checkpoint that covers it.
func OpenElection(t testing.TB, clients []*client.Client, ops []replica.Operator, opts Options) *simulate.Election {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	boards, err := client.NewBoards(slices.Concat(clients[1:], clients[:1]), client.BoardsOptions{})
	must(err)
	post, state := follow.New(clients[1]).Acting(boards.Post, time.Minute)
	e, err := simulate.New(t.Context(), post, state, simulate.Options{Voters: opts.Voters, Trustees: 3, Threshold: 2,
		Operators: replica.DefinitionOperators(ops, opts.Hints)})
	must(err)
	must(e.Ceremony(t.Context()))
	must(e.SetPhase(t.Context(), election.PhaseOpen))
	// Once operator 2's view covers the opening, its checkpoint does.
	_, err = state(t.Context())
	must(err)
	opened, err := clients[1].Checkpoint(t.Context())
	must(err)
	serving := opts.Serving
	if serving == nil {
		for i := range clients {
			serving = append(serving, i)
		}
	}
	for _, i := range serving {
		for {
			cp, err := clients[i].Checkpoint(t.Context())
			must(err)
			if cp.Size >= opened.Size {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return e
}
