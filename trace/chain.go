package trace

import (
	"fmt"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
)

// stepValue is the connection's value for a criterion, as a step shows it.
func stepValue(c listener.Criterion, k Connection) string {
	switch c {
	case listener.ByDestinationPort:
		return fmt.Sprint(k.Port)
	case listener.ByDestinationIP:
		return k.Address.String()
	case listener.ByServerName:
		return orNone(k.ServerName)
	case listener.ByTransportProtocol:
		return k.Transport
	case listener.ByApplicationProtocols:
		return orNone(strings.Join(k.ALPN, ","))
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// selectChain runs Envoy's filter chain match (listener.SelectChain) over
// l's filter chains and explains each step; when no chain is left the
// default chain takes the connection (nil when there is none).
func selectChain(l *listener.Listener, k Connection) (*listener.FilterChain, []Step, []string) {
	matches := make([]listener.Match, len(l.FilterChains))
	for i, fc := range l.FilterChains {
		matches[i] = fc.Match
	}
	chosen, cs := listener.SelectChain(matches, k.Match())
	var steps []Step
	var notes []string
	alive := len(matches)
	for _, c := range cs {
		step := Step{Step: string(c.Criterion), Value: stepValue(c.Criterion, k), Kept: []string{}}
		for _, i := range c.Kept {
			step.Kept = append(step.Kept, chainString(&l.FilterChains[i]))
		}
		kept := len(c.Kept)
		switch {
		case alive == 0:
			step.Why = "no filter chain left"
		case kept == 0:
			step.Why = fmt.Sprintf("none of the %d chains accepts %s %s", alive, c.Criterion, step.Value)
		case alive == 1 && kept == 1:
			step.Why = c.How + ": the only chain"
		case kept == alive:
			step.Why = fmt.Sprintf("%s: all %d chains", c.How, alive)
		default:
			step.Why = fmt.Sprintf("%s: %d of %d chains (the most specific)", c.How, kept, alive)
		}
		steps = append(steps, step)
		alive = kept
	}
	def := Step{Step: "default chain", Value: "-", Kept: []string{}}
	switch {
	case chosen >= 0:
		if alive > 1 {
			notes = append(notes, fmt.Sprintf("%d chains match identically, which Envoy refuses in one listener: the first is shown", alive))
		}
		return &l.FilterChains[chosen], steps, notes
	case l.DefaultChain != nil:
		def.Kept = []string{chainString(l.DefaultChain)}
		def.Why = "no filter chain matched: the default_filter_chain takes the connection"
		steps = append(steps, def)
		return l.DefaultChain, steps, notes
	}
	def.Why = "no filter chain matched and the listener has no default_filter_chain"
	steps = append(steps, def)
	return nil, steps, notes
}

func chainString(fc *listener.FilterChain) string {
	return fc.Match.String() + " -> " + fc.Destination.String()
}
