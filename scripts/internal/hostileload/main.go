// Command hostileload attacks a running bulletin board (`evote board serve`)
// over loopback and measures how it holds up, for scripts/hostile-load.sh
// and the issue "The board under hostile load". Each subcommand is one
// phase; it prints one result line per measurement and appends the
// headline numbers to a summary file (-summary), which the summary
// subcommand prints as a table. The phases measure and report; they do not
// assert the aims. A phase fails (exit status 1) only when the
// harness cannot do its job, and with exit status 3 when the board's process
// is gone or its /healthz no longer answers.
//
//	hostileload setup     -url U -vkey K -voters N -ballots M -out FILE [-more FILE -more-out FILE]
//	hostileload capacity  -url U -ballots FILE -n M
//	hostileload readers   -url U -pid P -n 150 -hold 15s
//	hostileload feeds     -url U -pid P -n 200 -hold 15s
//	hostileload overload  -url U -ballots FILE -capacity R -factors 3,10 -durations 3s,2s [-pid P]
//	hostileload feedslots -url U -max 1000 -observers 20
//	hostileload proxy     -url U -clients 50 -requests 500
//	hostileload summary   -summary FILE
//
// Run a subcommand with -h for its flags. Everything is loopback only:
// URLs must name 127.0.0.0/8 or ::1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// errBoardDown is returned by a phase that found the board's process gone
// or its /healthz silent; main exits 3 for it.
var errBoardDown = errors.New("board down")

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string) error
}

var commands = []command{
	{"setup", "set up an election on the board and encrypt one ballot per voter into a file", cmdSetup},
	{"capacity", "post ballots closed loop and report the board's ballots/s with full validation", cmdCapacity},
	{"readers", "phase 1a: connections that ask for big pages of records and never read them", cmdReaders},
	{"feeds", "phase 1b: websocket feed subscribers from index 0 that never read", cmdFeeds},
	{"overload", "phase 2: ballots posted open loop at 3x and 10x the board's capacity", cmdOverload},
	{"feedslots", "phase 3: one address holds the feed slots; do other observers get served?", cmdFeedSlots},
	{"proxy", "phase 4: do clients behind one proxy share one rate-limit bucket?", cmdProxy},
	{"summary", "print the summary file as a table", cmdSummary},
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("hostileload: ")
	if len(os.Args) < 2 {
		usage()
	}
	for _, c := range commands {
		if c.name != os.Args[1] {
			continue
		}
		err := c.run(context.Background(), os.Args[2:])
		switch {
		case errors.Is(err, errBoardDown):
			log.Printf("%s: %v", c.name, err)
			os.Exit(3)
		case err != nil:
			log.Fatalf("%s: %v", c.name, err)
		}
		return
	}
	usage()
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: hostileload COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.usage)
	}
	os.Exit(2)
}

// common holds the flags every attacking phase shares.
type common struct {
	url     string
	summary string
	timeout time.Duration
}

// newPhase returns the flag set of the phase name with the flags every
// phase shares registered into c; its -timeout defaults to timeout.
func newPhase(name string, timeout time.Duration) (fs *flag.FlagSet, c *common) {
	fs, c = flag.NewFlagSet(name, flag.ExitOnError), new(common)
	c.register(fs, timeout)
	return fs, c
}

func (c *common) register(fs *flag.FlagSet, timeout time.Duration) {
	fs.StringVar(&c.url, "url", "", "board base URL (loopback)")
	fs.StringVar(&c.summary, "summary", "", "append the headline numbers to this `FILE` (tab-separated)")
	fs.DurationVar(&c.timeout, "timeout", timeout, "bound on the whole phase")
}

// run parses args into fs, which holds c's flags and the phase's own,
// checks that the URL is loopback, and runs phase with a context bounded
// by -timeout.
func (c *common) run(ctx context.Context, fs *flag.FlagSet, args []string, phase func(ctx context.Context) error) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := checkLoopback(c.url); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return phase(ctx)
}

// checkLoopback refuses a board URL that is not on loopback: these are
// attacks, to be aimed only at a board of our own.
func checkLoopback(raw string) error {
	if raw == "" {
		return errors.New("-url is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-url %q: %v", raw, err)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Scheme != "http" || ip == nil || !ip.IsLoopback() || u.Port() == "" {
		return fmt.Errorf("-url %q: want http://LOOPBACK-IP:PORT", raw)
	}
	return nil
}

// hostPort returns the host:port of a board URL.
func hostPort(raw string) string {
	u, _ := url.Parse(raw)
	return u.Host
}

// addSummary appends one row (measure, value, aim) to the summary file.
func addSummary(path, measure, value, aim string) {
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		log.Printf("summary: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\t%s\t%s\n", measure, value, aim)
}

// cmdSummary prints the rows of the summary file as an aligned table.
func cmdSummary(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("summary", flag.ExitOnError)
	path := fs.String("summary", "", "summary `FILE` written by the phases")
	fs.Parse(args)
	data, err := os.ReadFile(*path)
	if err != nil {
		return err
	}
	rows := [][]string{{"measurement", "result", "aim"}}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		if line != "" {
			rows = append(rows, strings.SplitN(line+"\t\t", "\t", 3))
		}
	}
	width := make([]int, 3)
	for _, r := range rows {
		for i := range 3 {
			r[i] = strings.TrimRight(r[i], "\t")
			width[i] = max(width[i], len(r[i]))
		}
	}
	for i, r := range rows {
		fmt.Printf("%-*s  %-*s  %s\n", width[0], r[0], width[1], r[1], r[2])
		if i == 0 {
			fmt.Printf("%s  %s  %s\n", strings.Repeat("-", width[0]), strings.Repeat("-", width[1]), strings.Repeat("-", width[2]))
		}
	}
	return nil
}

// rssMB returns the resident set size of process pid in MiB, from
// /proc/PID/status (Linux).
func rssMB(pid int) (float64, error) {
	return procStatusMB(pid, "VmRSS:")
}

func procStatusMB(pid int, field string) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("%w: process %d: %v", errBoardDown, pid, err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb); err != nil {
				return 0, fmt.Errorf("parsing %s %q: %v", field, line, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// resetPeakRSS resets the kernel's peak RSS (VmHWM) of pid, so that it
// reads the peak of the phase; it reports whether that worked.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// watch samples a board while an attack holds: its RSS every 100 ms and
// its /healthz every 500 ms.
type watch struct {
	pid     int
	url     string
	hwm     bool // VmHWM was reset at the start: it holds the true peak
	peak    float64
	probes  int
	failed  int
	worst   time.Duration
	lastErr error
	gone    error // the process vanished
	stop    chan struct{}
	done    chan struct{}
}

func startWatch(pid int, board string) *watch {
	w := &watch{pid: pid, url: board, stop: make(chan struct{}), done: make(chan struct{})}
	w.hwm = resetPeakRSS(pid)
	go w.run()
	return w
}

func (w *watch) run() {
	defer close(w.done)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		if rss, err := rssMB(w.pid); err != nil {
			w.gone = err
			return
		} else {
			w.peak = max(w.peak, rss)
		}
		if n%5 == 0 {
			t0 := time.Now()
			err := healthz(hc, w.url)
			w.probes++
			w.worst = max(w.worst, time.Since(t0))
			if err != nil {
				w.failed++
				w.lastErr = err
			}
		}
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
	}
}

// end stops the watch and returns the peak RSS in MiB.
func (w *watch) end() (float64, error) {
	close(w.stop)
	<-w.done
	if w.gone != nil {
		return 0, w.gone
	}
	if w.hwm {
		if hwm, err := procStatusMB(w.pid, "VmHWM:"); err == nil {
			w.peak = max(w.peak, hwm)
		}
	}
	return w.peak, nil
}

// health describes the /healthz probes made during the watch.
func (w *watch) health() string {
	s := fmt.Sprintf("/healthz %d/%d ok, slowest %v", w.probes-w.failed, w.probes, w.worst.Round(time.Millisecond))
	if w.lastErr != nil {
		s += fmt.Sprintf(" (last failure: %v)", w.lastErr)
	}
	return s
}

// healthz asks the board's /healthz once.
func healthz(hc *http.Client, board string) error {
	resp, err := hc.Get(board + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz: %s", resp.Status)
	}
	return nil
}

// checkAlive fails with errBoardDown unless the board answers /healthz
// within 10 s (tries of 3 s each).
func checkAlive(ctx context.Context, board string) error {
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := healthz(hc, board)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%w: %v", errBoardDown, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// settle waits d (or until ctx ends) and returns the board's RSS in MiB.
func settle(ctx context.Context, pid int, d time.Duration) (float64, error) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	return rssMB(pid)
}

// percentile returns the p-quantile (0..1) of sorted durations, or 0.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p*float64(len(sorted)-1))]
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
}

// counts formats a map of counts, largest first: "409×3 timeout×2".
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// sortedCopy returns the durations sorted.
func sortedCopy(d []time.Duration) []time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

// verdict says whether a measured value meets an aim.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
