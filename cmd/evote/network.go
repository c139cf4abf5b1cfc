package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/bulletin/store/sqlite"
)

// Files of an operator's home besides CometBFT's (replica.InitNetwork):
// its board's database and checkpoint key.
const (
	operatorDB   = "board.db"
	operatorSKey = "board.skey"
	operatorVKey = "board.vkey"
)

// networkCommand is "evote network": a board kept by several operators.
func networkCommand() *cli.Command {
	return &cli.Command{
		Name:  "network",
		Usage: "set up a board kept by several operators (docs/spec/replicated-board.md)",
		Subcommands: []*cli.Command{
			{
				Name:  "init",
				Usage: "write the homes of a network of operators on this machine's loopback interface",
				Description: `Writes DIR/op1, DIR/op2, …: each operator's CometBFT home (node key,
validator key, the genesis naming every operator, a config.toml that
connects it to the others on loopback ports), its board's checkpoint key
(board.skey, board.vkey) and its empty board database (board.db). Run each
operator with "evote board serve --network DIR/opN".

For operators on several machines, each writes its own home the same way and
they exchange what config/genesis.json and persistent_peers need: every
validator key, and each node's ID and routable address; the timeouts of
config.toml want about ten times the loopback values
(docs/spec/replicated-board.md §6).`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Usage: "`DIR` to write the operators' homes in", Required: true},
					&cli.IntFlag{Name: "operators", Usage: "number of operators: 3f+1 of them tolerate f faulty ones", Value: 4},
					&cli.StringFlag{Name: "origin", Usage: "the board's `NAME`: operator N's checkpoint origin is NAME/opN", Value: "evote-board"},
				},
				Action: networkInit,
			},
		},
	}
}

// networkInit writes the homes of a network of operators.
func networkInit(c *cli.Context) error {
	dir, origin, n := c.String("dir"), c.String("origin"), c.Int("operators")
	_, vkeys, err := initNetwork(c.Context, dir, origin, n)
	if err != nil {
		return err
	}
	for _, vkey := range vkeys {
		fmt.Fprintf(c.App.Writer, "%s\n", vkey)
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: wrote the homes of %d operators in %s (their board keys above); run each with \"evote board serve --network %s --addr ADDR\"\n",
		n, dir, filepath.Join(dir, "op1"))
	return nil
}

// initNetwork writes the homes of n operators in dir, each with its board
// key (origin/opN) and empty database, and returns the homes and the
// operators' board verifier keys. If it fails after writing the homes, it
// removes them.
func initNetwork(ctx context.Context, dir, origin string, n int) (homes, vkeys []string, err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("--operators %d: want at least 1", n)
	}
	if !ballot.ValidLogName(origin + "/op1") {
		return nil, nil, withHint(fmt.Errorf("--origin %q is not a log name", origin), "use a schema-less URL-like name without spaces or '+', such as vote.example.org/2026-municipal")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	homes, err = replica.InitNetwork(dir, replica.NetworkOptions{Operators: n})
	if errors.Is(err, os.ErrExist) {
		return nil, nil, withHint(err, "the network is already there; choose another --dir")
	}
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			for _, home := range homes {
				os.RemoveAll(home)
			}
		}
	}()
	for i, home := range homes {
		skey, vkey, err := note.GenerateKey(boardRand, fmt.Sprintf("%s/op%d", origin, i+1))
		if err != nil {
			return nil, nil, fmt.Errorf("generating operator %d's board key: %w", i+1, err)
		}
		err = writeNewFile(filepath.Join(home, operatorSKey), []byte(skey+"\n"), 0o600)
		if err == nil {
			err = writeNewFile(filepath.Join(home, operatorVKey), []byte(vkey+"\n"), 0o644)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("writing operator %d's board key: %w", i+1, err)
		}
		st, err := sqlite.Create(ctx, filepath.Join(home, operatorDB))
		if err != nil {
			return nil, nil, err
		}
		st.Close()
		vkeys = append(vkeys, vkey)
	}
	return homes, vkeys, nil
}
