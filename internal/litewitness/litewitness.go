// Package litewitness runs real, independent witnesses for evote's demo,
// tests and benchmarks: litewitness from filippo.io/torchwood
// (c2sp.org/tlog-witness), as separate processes on loopback, each kept in
// a folder with its key (witness.key), its name (name) and its database
// (litewitness.db). litewitness takes its key from an ssh-agent; here an
// in-process agent (golang.org/x/crypto/ssh/agent) holds it. evote writes
// no witness of its own.
package litewitness

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Version is the torchwood release whose witness is run, as pinned by
// go.mod's tool directives.
const Version = "v0.6.1"

// Binaries are the paths of litewitness and witnessctl.
type Binaries struct{ Litewitness, Witnessctl string }

// ErrNoBinaries is wrapped by Tools' error when litewitness or witnessctl
// is not found.
var ErrNoBinaries = errors.New("no litewitness binaries")

// Tools returns the litewitness and witnessctl binaries: on $PATH, else
// built by `go tool` from this module's pinned version (which works inside
// the evote repository).
func Tools(ctx context.Context) (Binaries, error) {
	find := func(name string) (string, error) {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		out, err := exec.CommandContext(ctx, "go", "tool", "-n", name).Output()
		if err != nil {
			return "", fmt.Errorf("%w: %s is not on $PATH and `go tool` cannot build it here: %v", ErrNoBinaries, name, err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	var b Binaries
	var err error
	if b.Litewitness, err = find("litewitness"); err != nil {
		return b, err
	}
	b.Witnessctl, err = find("witnessctl")
	return b, err
}

// Witness is a litewitness process on loopback, kept in a folder.
type Witness struct {
	Name string // its name, in its cosignature lines
	URL  string // its add-checkpoint prefix, once started
	VKey string // its cosignature verifier key (c2sp.org/tlog-cosignature)

	dir    string
	bin    Binaries
	priv   ed25519.PrivateKey
	agent  net.Listener
	cmd    *exec.Cmd
	stop   context.CancelFunc
	exited chan struct{}
	log    *syncLog
}

// Create makes a witness named name in dir, with a fresh key, that knows
// the board whose origin and verifier key are given. Start runs it.
func Create(ctx context.Context, dir, name, origin, boardKey string, bin Binaries) (*Witness, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	seed := priv.Seed()
	if err := os.WriteFile(filepath.Join(dir, "witness.key"), []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "name"), []byte(name+"\n"), 0o644); err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "litewitness.db")
	for _, args := range [][]string{
		{"add-log", "-db", db, "-origin", origin},
		{"add-key", "-db", db, "-origin", origin, "-key", boardKey},
	} {
		if out, err := exec.CommandContext(ctx, bin.Witnessctl, args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("witnessctl %s: %v\n%s", args[0], err, out)
		}
	}
	return Open(dir, bin)
}

// Open loads the witness kept in dir.
func Open(dir string, bin Binaries) (*Witness, error) {
	keyHex, err := os.ReadFile(filepath.Join(dir, "witness.key"))
	if err != nil {
		return nil, err
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(keyHex)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a witness key", filepath.Join(dir, "witness.key"))
	}
	name, err := os.ReadFile(filepath.Join(dir, "name"))
	if err != nil {
		return nil, err
	}
	w := &Witness{Name: strings.TrimSpace(string(name)), dir: dir, bin: bin, priv: ed25519.NewKeyFromSeed(seed)}
	cs, err := torchwood.NewCosignatureSigner(w.Name, w.priv)
	if err != nil {
		return nil, fmt.Errorf("witness %q: %w", w.Name, err)
	}
	w.VKey = cs.Verifier().String()
	return w, nil
}

// Start runs the witness on addr ("127.0.0.1:0" picks a free port) and
// waits until it listens.
func (w *Witness) Start(addr string) error {
	if addr == "" || strings.HasSuffix(addr, ":0") {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	sock := filepath.Join(w.dir, "agent.sock")
	os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("witness %q: ssh-agent socket: %w", w.Name, err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: w.priv}); err != nil {
		ln.Close()
		return err
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				agent.ServeAgent(keyring, conn)
			}()
		}
	}()
	sshPub, err := ssh.NewPublicKey(w.priv.Public())
	if err != nil {
		ln.Close()
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, w.bin.Litewitness, "-db", filepath.Join(w.dir, "litewitness.db"), "-name", w.Name,
		"-key", ssh.FingerprintSHA256(sshPub), "-ssh-agent", sock, "-listen", addr)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	dieWithParent(cmd)
	w.log = &syncLog{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		stop()
		ln.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		stop()
		ln.Close()
		return fmt.Errorf("starting litewitness: %w", err)
	}
	w.cmd, w.stop, w.agent, w.URL, w.exited = cmd, stop, ln, "http://"+addr, make(chan struct{})
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		told := false
		for sc.Scan() {
			w.log.add(sc.Text())
			if !told && strings.Contains(sc.Text(), "listening") {
				close(listening)
				told = true
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(w.exited)
	}()
	select {
	case <-listening:
		return nil
	case <-w.exited:
		return fmt.Errorf("litewitness %q exited:\n%s", w.Name, w.log)
	case <-time.After(20 * time.Second):
		w.Stop()
		return fmt.Errorf("litewitness %q did not start in 20 s:\n%s", w.Name, w.log)
	}
}

// Stop ends the witness process; Start may run it again, on the same
// database.
func (w *Witness) Stop() {
	if w.cmd == nil {
		return
	}
	w.stop()
	<-w.exited
	w.agent.Close()
	w.cmd = nil
}

// Dir returns the folder the witness is kept in.
func (w *Witness) Dir() string { return w.dir }

// Addr returns the host:port the witness listens on.
func (w *Witness) Addr() string { return strings.TrimPrefix(w.URL, "http://") }

// WriteFile writes dir/witnesses.txt for the running witnesses ws, one
// URL=VKEY per line, for `evote board serve --witness @FILE`.
func WriteFile(dir string, ws []*Witness) error {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "%s=%s\n", w.URL, w.VKey)
	}
	return os.WriteFile(filepath.Join(dir, File), []byte(b.String()), 0o644)
}

// File is the name of the file WriteFile writes.
const File = "witnesses.txt"

// syncLog keeps a process's output lines.
type syncLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *syncLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
