package ui

import (
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// Dates on the pages are local: the goldens are drawn in UTC.
	time.Local = time.UTC
	code := m.Run()
	if dataDir != "" {
		_ = os.RemoveAll(dataDir)
	}
	os.Exit(code)
}
