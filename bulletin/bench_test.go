package bulletin_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store/sqlite"
)

// BenchmarkLogAppendSQLite measures Log.Append throughput on a SQLite store
// (WAL, synchronous=FULL) with concurrent appenders, so the writer groups
// them into transactions; ns/op is per record. Submissions are signed
// before the timer starts.
func BenchmarkLogAppendSQLite(b *testing.B) {
	for _, par := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("appenders=%d", par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.Create(ctx, filepath.Join(b.TempDir(), "board.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			l := openTestLog(b, s, bulletin.NewOpenPolicy)
			seed := sha256.Sum256([]byte("bench"))
			priv := ed25519.NewKeyFromSeed(seed[:])
			subs := make([]*bulletin.Submission, b.N)
			for i := range subs {
				subs[i] = bulletin.Sign(priv, "ballot", fmt.Appendf(nil, `{"seq":%d,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`, i))
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(par) // par × GOMAXPROCS goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					if _, _, err := l.Append(ctx, subs[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if l.Size() != int64(b.N) {
				b.Fatalf("size %d, want %d", l.Size(), b.N)
			}
		})
	}
}

// BenchmarkStoreAppendSQLite measures raw store batch appends (one
// transaction per batch) for several batch sizes; ns/op is per record.
func BenchmarkStoreAppendSQLite(b *testing.B) {
	for _, batch := range []int{1, 64, 1024} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.Create(ctx, filepath.Join(b.TempDir(), "board.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			rec := []byte(`{"index":0,"payload":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)
			b.ReportAllocs()
			b.ResetTimer()
			var size int64
			for done := 0; done < b.N; done += batch {
				k := min(batch, b.N-done)
				recs := make([][]byte, k)
				for i := range recs {
					recs[i] = rec
				}
				// Hash values do not matter to the store; only their count does.
				hashes := make([]tlogHash, storedHashCount(size+int64(k))-storedHashCount(size))
				if err := s.Append(ctx, size, recs, hashes); err != nil {
					b.Fatal(err)
				}
				size += int64(k)
			}
		})
	}
}

// BenchmarkSubmissionCheck measures Submission.Check, the generic checks
// (the payload's JSON, the Ed25519 signature) every board and every
// operator of a replicated board runs on each submission, on a payload the
// size of a ballot of one contest of 10 options, choose up to 3 (as
// scripts/bench-replica.sh posts); ns/op is per submission.
func BenchmarkSubmissionCheck(b *testing.B) {
	seed := sha256.Sum256([]byte("bench"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	payload := fmt.Appendf(nil, `{"pad":%q}`, strings.Repeat("x", 4690))
	sub := bulletin.Sign(priv, "ballot", payload)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := sub.Check(0); err != nil {
			b.Fatal(err)
		}
	}
}
