package kindcluster

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WaitError is a wait that ended without its condition: what was waited
// for, for how long, and what was seen last.
type WaitError struct {
	What     string
	Waited   time.Duration
	LastSeen string
	// Err is the context's error (deadline or interrupt) or the last error
	// of the check.
	Err error
}

func (e *WaitError) Error() string {
	seen := e.LastSeen
	if seen == "" {
		seen = "nothing yet"
	}
	why := "gave up"
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		why = "deadline reached"
	case errors.Is(e.Err, context.Canceled):
		why = "interrupted"
	case e.Err != nil:
		why = e.Err.Error()
	}
	return fmt.Sprintf("waited %s for %s (%s); last seen: %s", e.Waited.Round(100*time.Millisecond), e.What, why, seen)
}

func (e *WaitError) Unwrap() error { return e.Err }

// Check is one look at a condition: done, and a short description of what
// it saw. An error ends the wait at once unless it is marked Retryable.
type Check func(ctx context.Context) (done bool, seen string, err error)

// Retryable marks a check error as transient: the wait goes on and the
// error becomes what was seen last.
type Retryable struct{ Err error }

func (r Retryable) Error() string { return r.Err.Error() }
func (r Retryable) Unwrap() error { return r.Err }

// Wait polls check every interval until it is done, fails, or timeout
// passes (or ctx ends). It never sleeps past ctx: an interrupt ends the
// wait at once.
func Wait(ctx context.Context, what string, timeout, interval time.Duration, check Check) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	last := ""
	for {
		done, seen, err := check(ctx)
		if seen != "" {
			last = seen
		}
		var r Retryable
		switch {
		case err != nil && errors.As(err, &r):
			last = r.Error()
		case err != nil:
			return &WaitError{What: what, Waited: time.Since(start), LastSeen: last, Err: err}
		case done:
			return nil
		}
		select {
		case <-ctx.Done():
			return &WaitError{What: what, Waited: time.Since(start), LastSeen: last, Err: ctx.Err()}
		case <-ticker.C:
		}
	}
}

// Until blocks until t or the end of ctx: the pause between creationOrder
// objects. It is a timer, not a sleep: an interrupt ends it at once.
func Until(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
