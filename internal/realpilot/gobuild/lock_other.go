//go:build !unix

package gobuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockDir takes dir/.lock by creating it exclusively (no flock here: a lock
// left by a crashed process must be removed by hand; the error says where).
func lockDir(ctx context.Context, dir string, waiting func()) (unlock func(), err error) {
	p := filepath.Join(dir, ".lock")
	told := false
	for {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_ = f.Close()
			return func() { _ = os.Remove(p) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("taking build lock: %w", err)
		}
		if !told {
			waiting()
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for build lock %s (remove it if no build is running): %w", p, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
