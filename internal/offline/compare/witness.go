package compare

import (
	"fmt"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/trace"
)

// Witnesses replays every finding's witness connection on a real config
// dump (its serving listeners and virtualOutbound, Dump.Handoff) and
// returns a difference for each one that does not go where the witness
// says: another listener, another destination, or a listener that does
// (not) sniff. A request witness is followed on into the dump's route
// configurations (trace.Follow), and its route and outcome are compared
// too; a dump without a route part (Dump.RoutesRead false) can check only
// its listener. Want is the witness, Got what the real listeners and
// routes do.
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
		rt := ""
		if w.IsRequest() {
			if !d.RoutesRead {
				if l != w.Listener || sniffed != w.Sniffed {
					out = append(out, Difference{Level: LevelWitness, Listener: w.Listener,
						Want: head + " -> " + outcome(w.Listener, "", w.Sniffed),
						Got:  describe(w) + " -> " + outcome(l, dest, sniffed) + " (the dump has no routes)"})
				}
				continue
			}
			if name, routed, ok := predictor.RouteTaken(r); ok {
				rt, dest = name, routed
			}
		}
		if l == w.Listener && dest == w.Destination && sniffed == w.Sniffed && rt == w.Route {
			continue
		}
		out = append(out, Difference{Level: LevelWitness, Listener: w.Listener,
			Want: head + " -> " + outcome(w.Listener, via(w.Route, w.Destination), w.Sniffed),
			Got:  describe(w) + " -> " + outcome(l, via(rt, dest), sniffed)})
	}
	return out
}

// describe is a witness connection as trace's flags would write it.
func describe(w *predictor.Witness) string {
	return strings.Join(w.Flags(), " ") + " (meant for " + w.Meant + ")"
}

// via is a request's destination with the route it took.
func via(route, dest string) string {
	if route == "" {
		return dest
	}
	return dest + " via " + route
}

func outcome(l, dest string, sniffed bool) string {
	s := l + " " + dest
	if sniffed {
		s += " (http_inspector)"
	}
	return s
}
