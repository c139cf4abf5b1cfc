package store_test

import (
	"testing"

	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/storetest"
)

// The SQLite store's conformance and file tests are in package
// bulletin/store/sqlite.

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.NewMemory() })
}

func TestFaultyPassesWhenUnarmed(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.NewFaulty(store.NewMemory()) })
}
