package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
)

// Table writes listeners the way `istioctl proxy-config listeners` does:
// one row per filter chain, the default chain last.
func Table(w io.Writer, ls []listener.Listener) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LISTENER\tADDRESSES\tPORT\tBIND\tMATCH\tDESTINATION")
	for _, l := range ls {
		addrs := strings.Join(append([]string{l.Address}, l.AdditionalAddresses...), ",")
		bind := "-"
		if l.BindToPort {
			bind = "bind"
		}
		row := func(match, dest string) {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", l.Name, addrs, l.Port, bind, match, dest)
		}
		for _, c := range l.FilterChains {
			row(c.Match.String(), c.Destination.String())
		}
		if l.DefaultChain != nil {
			row("default", l.DefaultChain.Destination.String())
		}
	}
	return tw.Flush()
}

// Findings writes findings one per line, most severe first.
func Findings(w io.Writer, fs []predictor.Finding) {
	for _, sev := range predictor.Severities() {
		for _, f := range fs {
			if f.Severity == string(sev) {
				fmt.Fprintf(w, "%-7s %-20s %s\n", strings.ToUpper(f.Severity), f.Code, f.Message)
			}
		}
	}
}

// Explain writes the prediction as prose: every listener with its reason,
// every chain with its reason, then the findings.
func Explain(w io.Writer, title string, p *predictor.Prediction) {
	fmt.Fprintf(w, "%s: %d outbound listeners (Istio %s rules)\n", title, len(p.Listeners), p.Version)
	for _, l := range p.Listeners {
		fmt.Fprintf(w, "\n%s\n  why: %s\n", l.Name, l.Reason)
		if len(l.ListenerFilters) > 0 {
			fmt.Fprintf(w, "  listener filters: %s\n", strings.Join(l.ListenerFilters, ", "))
		}
		for _, c := range l.FilterChains {
			fmt.Fprintf(w, "  - %s -> %s\n      %s\n", c.Match.String(), c.Destination.String(), c.Reason)
		}
		if l.DefaultChain != nil {
			fmt.Fprintf(w, "  - default -> %s\n      %s\n", l.DefaultChain.Destination.String(), l.DefaultChain.Reason)
		}
	}
	if len(p.Conflicts) > 0 {
		fmt.Fprintf(w, "\nConflicts istiod records:\n")
		for _, c := range p.Conflicts {
			fmt.Fprintf(w, "  %s: %s rejected, %s kept (%s)\n", c.Listener, c.Rejected, c.Accepted, c.Kind)
		}
	}
	if len(p.Findings) > 0 {
		fmt.Fprintf(w, "\nFindings:\n")
		Findings(w, p.Findings)
	}
}
