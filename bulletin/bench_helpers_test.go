package bulletin_test

import "golang.org/x/mod/sumdb/tlog"

type tlogHash = tlog.Hash

func storedHashCount(n int64) int64 { return tlog.StoredHashCount(n) }
