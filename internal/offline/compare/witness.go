package compare

import (
	"fmt"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/trace"
)

// Witnesses replays every finding's witness connection on a real config
// dump (its serving listeners and virtualOutbound, Dump.Handoff) and
// returns a difference for each one that does not go where the witness
// says: another listener, another destination, or a listener that does
// (not) sniff. Want is the witness, Got what the real listeners do.
func Witnesses(fs []predictor.Finding, d *dump.Dump) []Difference {
	ls, opts := d.Handoff()
	var out []Difference
	for _, f := range fs {
		w := f.Witness
		if w == nil {
			continue
		}
		head := fmt.Sprintf("%s %s: %s", f.Severity, f.Code, describe(w))
		call, err := w.Call()
		if err != nil {
			out = append(out, Difference{Level: LevelWitness, Listener: w.Listener, Want: head, Got: "unreadable witness: " + err.Error()})
			continue
		}
		r := trace.Trace(ls, call, opts)
		l, dest, sniffed := predictor.Outcome(ls, r)
		if l == w.Listener && dest == w.Destination && sniffed == w.Sniffed {
			continue
		}
		out = append(out, Difference{Level: LevelWitness, Listener: w.Listener,
			Want: head + " -> " + outcome(w.Listener, w.Destination, w.Sniffed),
			Got:  describe(w) + " -> " + outcome(l, dest, sniffed)})
	}
	return out
}

// describe is a witness connection as trace's flags would write it.
func describe(w *predictor.Witness) string {
	s := "--to " + w.To
	switch {
	case w.SNI != "":
		s += " --sni " + w.SNI
	case w.TLS:
		s += " --tls"
	}
	if w.Host != "" {
		s += " --host " + w.Host
	}
	return s + " (meant for " + w.Meant + ")"
}

func outcome(l, dest string, sniffed bool) string {
	s := l + " " + dest
	if sniffed {
		s += " (http_inspector)"
	}
	return s
}
