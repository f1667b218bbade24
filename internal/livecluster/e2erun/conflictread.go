package e2erun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/listener"
)

// conflictRead is one scenario's request to read istiod's conflict
// records, served by whichever waiting scenario takes the quiet window
// first.
type conflictRead struct {
	r    *Run
	step deploy.Step
	// set by the window that served it, read after the window ends
	done       bool
	together   int // how many scenarios shared the window (1: alone)
	conflicts  []listener.Conflict
	gauges     map[string]float64
	pushStatus []byte
	err        error
}

// conflictQueue holds the reads waiting for a quiet window.
type conflictQueue struct {
	mu      sync.Mutex
	waiting []*conflictRead
}

func (q *conflictQueue) add(c *conflictRead) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.waiting = append(q.waiting, c)
}

func (q *conflictQueue) take() []*conflictRead {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.waiting
	q.waiting = nil
	return out
}

// maxWindows is how many windows a read may take before it gives up:
// each retry follows a window whose records another push replaced.
const maxWindows = 6

// readConflicts reads the conflict records of the client's push, and the
// conflict gauges, in a window shared with every scenario that reached
// this step meanwhile (serveWindows).
func (r *Run) readConflicts(ctx context.Context, s deploy.Step) ([]listener.Conflict, map[string]float64, error) {
	req := &conflictRead{r: r, step: s}
	r.s.reads.add(req)
	r.s.windows.Lock()
	if !req.done {
		r.s.serveWindows(ctx, r.s.reads.take())
	}
	r.s.windows.Unlock()
	r.pushStatus = req.pushStatus
	if req.together > 1 {
		r.s.step("%s: conflict records read in one window with %d other scenarios", r.p.Scenario, req.together-1)
	}
	return req.conflicts, req.gauges, req.err
}

// serveWindows serves reads in windows until each has its records or an
// error: all together first, then, of those a window could not serve
// exactly, the ones that collided with another client each alone.
func (s *Suite) serveWindows(ctx context.Context, reqs []*conflictRead) {
	for attempt := 1; len(reqs) > 0; attempt++ {
		left, err := s.readTogether(ctx, reqs)
		if err != nil || attempt == maxWindows {
			if err == nil {
				err = fmt.Errorf("after %d windows, istiod's records still lack the scenario's push (other pushes replaced them, or another client's records sit on its listener names)", attempt)
			}
			for _, q := range left {
				q.done, q.err = true, err
			}
			return
		}
		if len(left) > 1 && len(left) == len(reqs) {
			for _, q := range left[1:] { // they collide with each other: one at a time
				s.reads.add(q)
			}
			left = left[:1]
		}
		reqs = left
	}
}

// readTogether is one window. /debug/push_status shows the records of one
// push context, the one before the current (istiod publishes a context's
// records when the next push starts, or at its 10 s metrics refresh:
// DiscoveryServer.Push calls OnConfigChange on the old context), and pilot
// keeps one record per listener name across proxies. So the window
// changes the sync marker of every client of reqs and of the sentinel at
// once, waits until all of them acknowledged one push, does so again, and
// reads the records: they are the window's when the sentinel's own
// conflict record is among them (no other scenario's push reaches the
// sentinel). It returns, unserved, every read when the records are not
// the window's or the clients took different pushes, and each read whose
// client has a listener on whose name the records show another proxy
// (its own record may have been replaced: istiod.Records).
func (s *Suite) readTogether(ctx context.Context, reqs []*conflictRead) ([]*conflictRead, error) {
	if s.sentinel == nil {
		return reqs, fmt.Errorf("no sentinel scenario runs: conflict records cannot be told from other pushes'")
	}
	runs := []*Run{s.sentinel}
	var timeout time.Duration
	for _, q := range reqs {
		runs = append(runs, q.r)
		timeout = max(timeout, q.step.Timeout)
	}
	for range 2 {
		p, err := s.pushAll(ctx, runs, timeout)
		if err != nil {
			return reqs, err
		}
		if p == 0 {
			return reqs, nil // not one push for all: try again
		}
	}
	ps, gauges, err := s.readStatus(ctx, s.sentinel)
	if err != nil {
		return reqs, err
	}
	mine, err := istiod.Conflicts(ps, s.sentinel.ownsProxy)
	if err != nil {
		return reqs, err
	}
	if len(mine) == 0 {
		s.step("conflict records of another push: reading again")
		return reqs, nil
	}
	records, err := istiod.Records(ps)
	if err != nil {
		return reqs, err
	}
	var left []*conflictRead
	for _, q := range reqs {
		if q.r.mayHaveLostRecords(records) {
			s.step("%s: another proxy's conflict record is on one of its listener names: read again", q.r.p.Scenario)
			left = append(left, q)
			continue
		}
		q.conflicts, q.err = istiod.Conflicts(ps, q.r.ownsProxy)
		q.done, q.together, q.pushStatus, q.gauges = true, len(reqs), ps, gauges
	}
	return left, nil
}

// mayHaveLostRecords says whether a record on one of the client's
// listener names belongs to another proxy.
func (r *Run) mayHaveLostRecords(records []istiod.Record) bool {
	d, err := dump.Parse(r.configDump)
	if err != nil {
		return true
	}
	names := map[string]bool{}
	for _, l := range d.Outbound() {
		names[l.Name] = true
	}
	for _, rec := range records {
		if names[rec.Listener] && !r.ownsProxy(rec.Proxy) {
			return true
		}
	}
	return false
}

// ownsProxy says whether a proxy ID is of a pod in the client's namespace.
func (r *Run) ownsProxy(id string) bool { return strings.HasSuffix(id, "."+r.clientNS()) }

// readStatus reads /debug/push_status and the conflict gauges.
func (s *Suite) readStatus(ctx context.Context, r *Run) ([]byte, map[string]float64, error) {
	b, err := r.istiod(ctx, istiod.PushStatusPath)
	if err != nil {
		return nil, nil, err
	}
	m, err := r.istiod(ctx, istiod.MetricsPath)
	if err != nil {
		return nil, nil, err
	}
	gs, err := istiod.ParseConflictGauges(m)
	if err != nil {
		return nil, nil, err
	}
	return b, istiod.ByKind(gs), nil
}

func (s *Suite) latestPush(ctx context.Context, r *Run) (uint64, error) {
	b, err := r.istiod(ctx, istiod.SynczPath)
	if err != nil {
		return 0, err
	}
	all, err := istiod.ParseSyncz(b)
	if err != nil {
		return 0, err
	}
	return istiod.LatestPush(all), nil
}

// pushAll changes the sync marker of every run's client namespace and
// waits until each client acknowledged CDS, LDS and RDS of a push built
// after the changes. It returns the push all of them acknowledged LDS of,
// or 0 when they acknowledged different pushes.
func (s *Suite) pushAll(ctx context.Context, runs []*Run, timeout time.Duration) (uint64, error) {
	before, err := s.latestPush(ctx, runs[0])
	if err != nil {
		return 0, fmt.Errorf("istiod sync status: %w", err)
	}
	// All at once, so that istiod's debounce makes one push of them.
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Go(func() {
			if err := r.bumpMarker(ctx); err != nil {
				errs[i] = fmt.Errorf("%s: changing the sync marker: %w", r.p.Scenario, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = istiod.ProxyID(r.clientPod, r.clientNS())
	}
	acked := map[uint64]bool{}
	var took []string
	what := fmt.Sprintf("proxies %s to acknowledge a push after push %d", strings.Join(ids, ", "), before)
	err = kindcluster.Wait(ctx, what, timeout, runs[0].poll(500*time.Millisecond), func(ctx context.Context) (bool, string, error) {
		b, err := runs[0].istiod(ctx, istiod.SynczPath)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		all, err := istiod.ParseSyncz(b)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		clear(acked)
		took = took[:0]
		for _, id := range ids {
			st, ok := istiod.Find(all, id)
			if !ok {
				return false, "proxy " + id + " is not connected to istiod", nil
			}
			if done, why := st.SyncedAfter(before); !done {
				return false, st.String() + ": " + why, nil
			}
			n, _ := istiod.PushCounter(st.ListenerAcked)
			acked[n] = true
			took = append(took, fmt.Sprintf("%s:%d", id, n))
		}
		return true, "", nil
	})
	if err != nil {
		return 0, err
	}
	if len(acked) != 1 {
		s.step("the clients took different pushes after push %d: %s", before, strings.Join(took, " "))
		return 0, nil
	}
	for n := range acked {
		return n, nil
	}
	return 0, nil
}
