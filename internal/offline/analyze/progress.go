package analyze

import (
	"fmt"
	"io"
	"time"
)

// progressAfter is how long a run goes before it reports progress on its
// own; progressEvery is the time between two lines.
const (
	progressAfter = 2 * time.Second
	progressEvery = time.Second
)

// progress reports how many sidecars have been predicted. A nil *progress
// reports nothing.
type progress struct {
	w       io.Writer
	always  bool
	total   int
	n       int
	start   time.Time
	last    time.Time
	printed bool
	// lastN is the count the last line gave.
	lastN int
	now   func() time.Time
}

// newProgress starts the clock: the run starts with loading the files.
func newProgress(o options) *progress {
	if o.progress == nil {
		return nil
	}
	p := &progress{w: o.progress, always: o.progressAlways, now: time.Now}
	p.start = p.now()
	return p
}

// loaded reports the files read and sets how many sidecars there are.
func (p *progress) loaded(manifests, total int) {
	if p == nil {
		return
	}
	p.total = total
	if t := p.now(); p.always || t.Sub(p.start) >= progressAfter {
		fmt.Fprintf(p.w, "analyze: %d manifests read, %.1fs\n", manifests, t.Sub(p.start).Seconds())
		p.printed, p.last = true, t
	}
}

// client counts one more predicted sidecar.
func (p *progress) client() {
	if p == nil {
		return
	}
	p.n++
	t := p.now()
	if !p.always && t.Sub(p.start) < progressAfter || p.printed && t.Sub(p.last) < progressEvery {
		return
	}
	p.line(t)
}

// done writes the final count when lines were written and the last one
// did not already say it.
func (p *progress) done() {
	if p == nil || !p.printed || p.lastN == p.n {
		return
	}
	p.line(p.now())
}

func (p *progress) line(t time.Time) {
	fmt.Fprintf(p.w, "analyze: %d/%d sidecars predicted, %.1fs\n", p.n, p.total, t.Sub(p.start).Seconds())
	p.printed, p.last, p.lastN = true, t, p.n
}
