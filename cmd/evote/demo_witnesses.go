package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/urfave/cli/v2"

	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/bulletin/witness"
	"github.com/evote/evote/internal/litewitness"
)

// demoOrigin is the demo board's name: its checkpoint origin and key name.
const demoOrigin = "evote-demo/board"

// startWitnesses creates and starts n witnesses in the demo folder
// (witness-1, …) that know the demo board.
func (d *demo) startWitnesses(ctx context.Context, n int) error {
	if n == 0 {
		return nil
	}
	bin, err := witnessTools(ctx)
	if err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		w, err := litewitness.Create(ctx, filepath.Join(d.dir, fmt.Sprintf("witness-%d", i)), fmt.Sprintf("witness-%d.evote-demo", i), d.origin, d.vkey, bin)
		if err != nil {
			d.stopWitnesses()
			return err
		}
		if err := w.Start("127.0.0.1:0"); err != nil {
			d.stopWitnesses()
			return err
		}
		d.witnesses = append(d.witnesses, w)
	}
	if err := litewitness.WriteFile(d.dir, d.witnesses); err != nil {
		d.stopWitnesses()
		return err
	}
	var names []string
	for _, w := range d.witnesses {
		names = append(names, w.Name+" ("+w.URL+")")
	}
	d.step("%d witnesses (litewitness) running: %s; every participant demands %d cosignatures", n, strings.Join(names, ", "), d.quorum)
	return nil
}

func (d *demo) stopWitnesses() {
	for _, w := range d.witnesses {
		w.Stop()
	}
}

// witnessList returns the demo's witnesses as the board collects their
// cosignatures, or none.
func (d *demo) witnessList() []witness.Witness {
	var list []witness.Witness
	for _, w := range d.witnesses {
		v, err := fnote.NewVerifierForCosignatureV1(w.VKey)
		if err != nil {
			panic("demo: a witness key we made does not parse: " + err.Error())
		}
		list = append(list, witness.Witness{URL: w.URL, Verifier: v})
	}
	return list
}

// snapshotAtClose copies the board and its witnesses, as they are now,
// into the folder's at-close/, so that the tally can be played again by
// hand on the copy (its witnesses know the history only up to here).
func (d *demo) snapshotAtClose(ctx context.Context) error {
	dir := filepath.Join(d.dir, "at-close")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dst, err := sqlite.Create(ctx, filepath.Join(dir, "board.db"))
	if err != nil {
		return err
	}
	if err := store.Copy(ctx, dst, d.store, d.log.Size()); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	for i, w := range d.witnesses {
		// The witness's database is copied while it is stopped; the
		// board retries it meanwhile.
		w.Stop()
		err := copyFiles(w.Dir(), filepath.Join(dir, fmt.Sprintf("witness-%d", i+1)), "witness.key", "name", "litewitness.db", "litewitness.db-wal", "litewitness.db-shm")
		if serr := w.Start(w.Addr()); serr != nil {
			return errors.Join(err, serr)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// copyFiles copies the named files of src that exist into dst.
func copyFiles(src, dst string, names ...string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	for _, name := range names {
		in, err := os.Open(filepath.Join(src, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		info, err := in.Stat()
		if err != nil {
			in.Close()
			return err
		}
		out, err := os.OpenFile(filepath.Join(dst, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			in.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if err := errors.Join(err, out.Close()); err != nil {
			return err
		}
	}
	return nil
}

// witnessTools finds the witness binaries, or says how to install them.
func witnessTools(ctx context.Context) (litewitness.Binaries, error) {
	bin, err := litewitness.Tools(ctx)
	if err != nil {
		return bin, withHint(err, "install the witness with `go install filippo.io/torchwood/cmd/litewitness@%s filippo.io/torchwood/cmd/witnessctl@%s`, or run from the evote repository, where `go tool` builds it",
			litewitness.Version, litewitness.Version)
	}
	return bin, nil
}

func demoWitnessesCommand() *cli.Command {
	return &cli.Command{
		Name:  "witnesses",
		Usage: "run again the witnesses the demo left in a folder, until interrupted",
		Description: `Starts litewitness for each witness-N folder of --dir, with the key and the
database the demo left there, on the addresses of --listen (in order; a free
port for those not given), and writes --dir/witnesses.txt for
"evote board serve --witness @DIR/witnesses.txt".`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Usage: "the demo's folder (or a copy of its at-close folder)", Value: "evote-demo"},
			&cli.StringSliceFlag{Name: "listen", Usage: "an address for the next witness (repeatable)"},
		},
		Action: runDemoWitnesses,
	}
}

func runDemoWitnesses(c *cli.Context) error {
	dir := c.String("dir")
	dirs, err := filepath.Glob(filepath.Join(dir, "witness-*"))
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return withHint(fmt.Errorf("%s holds no witness-N folder", dir), "run the demo first, or name its folder with --dir")
	}
	sort.Strings(dirs)
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	bin, err := witnessTools(ctx)
	if err != nil {
		return err
	}
	listen := c.StringSlice("listen")
	var ws []*litewitness.Witness
	defer func() {
		for _, w := range ws {
			w.Stop()
		}
	}()
	for i, wd := range dirs {
		w, err := litewitness.Open(wd, bin)
		if err != nil {
			return err
		}
		addr := "127.0.0.1:0"
		if i < len(listen) {
			addr = listen[i]
		}
		if err := w.Start(addr); err != nil {
			return err
		}
		ws = append(ws, w)
	}
	if err := litewitness.WriteFile(dir, ws); err != nil {
		return err
	}
	var urls []string
	for _, w := range ws {
		urls = append(urls, w.Name+" "+w.URL)
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: witnesses listening on %s; %s lists them\n", strings.Join(urls, ", "), filepath.Join(dir, litewitness.File))
	<-ctx.Done()
	return nil
}
