package verifier

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
)

// Source supplies the public record of an election: a JSON Lines export
// (docs/spec/bulletin.md §7) and the signed checkpoints that come with it.
// Export and Board are the two sources; tests may write their own.
type Source interface {
	// Open starts reading the record. The stream must be read to its end or
	// closed; Verify does both. Open is called once per Verify.
	Open(ctx context.Context) (*Stream, error)
}

// Stream is an opened Source.
type Stream struct {
	// Name describes the source in the report: a file name or a URL.
	Name string
	// Records is the export, one canonical record per line, in index order.
	Records io.ReadCloser
	// Checkpoints are signed checkpoint notes (docs/spec/bulletin.md §5)
	// that the source brings, such as a board's latest; Verify checks them
	// with Options.Checkpoints.
	Checkpoints [][]byte
	// Total is how far Progress counts: the export's size in bytes if
	// TotalRecords is 0; either is 0 if unknown.
	Total int64
	// TotalRecords is the number of records the stream will yield, if
	// known (a board source knows it from its checkpoint).
	TotalRecords int64
	// Read returns the number of bytes of Records read so far; nil if
	// unknown. It is called concurrently with reads.
	Read func() int64
}

// Export returns the source for an export read from r, named name in the
// report. If r is an *os.File of a regular file its size drives the
// progress estimate.
func Export(r io.Reader, name string) Source {
	return exportSource{r: r, name: name}
}

type exportSource struct {
	r    io.Reader
	name string
}

func (s exportSource) Open(ctx context.Context) (*Stream, error) {
	cr := &countingReader{r: s.r}
	st := &Stream{Name: s.name, Records: io.NopCloser(cr), Read: cr.n.Load}
	if f, ok := s.r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			off, _ := f.Seek(0, io.SeekCurrent)
			st.Total = fi.Size() - off
		}
	}
	return st, nil
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Board returns the source for the board that c talks to: its latest
// checkpoint (verified by the client with the board key it was created
// with) and every record that checkpoint covers, fetched page by page.
// Records appended after the checkpoint are not verified.
func Board(c *client.Client, name string) Source {
	return boardSource{c: c, name: name}
}

type boardSource struct {
	c    *client.Client
	name string
}

// retry calls f until it succeeds, ctx ends or the board answers other
// than "busy" (HTTP 429 or 503), waiting as the board asks.
func retry[T any](ctx context.Context, f func() (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := f()
		var he *client.HTTPError
		if err == nil || attempt >= 20 || !errors.As(err, &he) ||
			(he.Status != http.StatusTooManyRequests && he.Status != http.StatusServiceUnavailable) {
			return v, err
		}
		wait := he.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("%w (after: %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

func (s boardSource) Open(ctx context.Context) (*Stream, error) {
	cp, err := retry(ctx, func() (bulletin.SignedCheckpoint, error) { return s.c.Checkpoint(ctx) })
	if err != nil {
		return nil, fmt.Errorf("fetching the board's checkpoint: %w", err)
	}
	pr, pw := io.Pipe()
	cr := &countingReader{r: pr}
	ctx, cancel := context.WithCancel(ctx)
	go pageRecords(ctx, s.c, cp.Size, pw)
	return &Stream{
		Name:         s.name,
		Records:      &pipeCloser{Reader: cr, pr: pr, cancel: cancel},
		Checkpoints:  [][]byte{cp.Note},
		TotalRecords: cp.Size,
		Read:         cr.n.Load,
	}, nil
}

type pipeCloser struct {
	io.Reader
	pr     *io.PipeReader
	cancel context.CancelFunc
}

func (p *pipeCloser) Close() error {
	p.cancel()
	return p.pr.Close()
}

// pageRecords writes records [0, size) of the board to w as an export,
// re-encoding each (the encoding is canonical, so these are the board's
// bytes), and closes w.
func pageRecords(ctx context.Context, c *client.Client, size int64, w *io.PipeWriter) {
	bw := bufio.NewWriterSize(w, 1<<16)
	for next := int64(0); next < size; {
		end := min(size, next+1000)
		recs, err := retry(ctx, func() ([]*bulletin.Record, error) { return c.Records(ctx, next, end) })
		if err == nil && len(recs) == 0 {
			err = errors.New("the board returned no records")
		}
		if err != nil {
			w.CloseWithError(fmt.Errorf("fetching records [%d, %d) of %d: %w", next, end, size, err))
			return
		}
		for _, r := range recs {
			enc, err := r.MarshalJSON()
			if err != nil {
				w.CloseWithError(fmt.Errorf("record %d from the board: %w", r.Index, err))
				return
			}
			bw.Write(enc)
			if err := bw.WriteByte('\n'); err != nil {
				w.CloseWithError(err)
				return
			}
		}
		next += int64(len(recs))
	}
	w.CloseWithError(bw.Flush())
}
