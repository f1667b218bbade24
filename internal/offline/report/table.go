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

// Findings writes findings most severe first: a line each, then why and
// the witness connection (as trace's flags), indented.
func Findings(w io.Writer, fs []predictor.Finding) {
	for _, sev := range predictor.Severities() {
		for _, f := range fs {
			if f.Severity != sev {
				continue
			}
			fmt.Fprintf(w, "%-7s %-20s %s\n", strings.ToUpper(string(f.Severity)), f.Code, f.Message)
			if f.Why != "" {
				fmt.Fprintf(w, "        why: %s\n", f.Why)
			}
			if x := f.Witness; x != nil {
				on := x.Listener
				if x.Route != "" {
					on += ", route " + x.Route
				}
				fmt.Fprintf(w, "        witness: trace %s: meant for %s, goes to %s on %s\n", strings.Join(x.Flags(), " "), x.Meant, x.Destination, on)
			}
		}
	}
}

// Explain writes the prediction as prose: every listener with its reason,
// every chain with its reason, the route configurations, then the
// conflicts and findings.
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
	explainRoutes(w, p.Routes)
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
	var text strings.Builder
	for _, l := range p.Listeners {
		text.WriteString(l.Reason + "\n")
		for _, c := range l.FilterChains {
			text.WriteString(c.Reason + " " + c.Destination.String() + "\n")
		}
		if l.DefaultChain != nil {
			text.WriteString(l.DefaultChain.Reason + " " + l.DefaultChain.Destination.String() + "\n")
		}
	}
	for _, c := range p.Conflicts {
		text.WriteString(string(c.Kind) + "\n")
	}
	if terms := Terms(text.String()); len(terms) > 0 {
		fmt.Fprintf(w, "\nWhat pilot's terms above mean for traffic:\n")
		for _, t := range terms {
			fmt.Fprintf(w, "  %s: %s\n", t.Term, t.Meaning)
		}
	}
}

// Term is one of pilot's words in reasons, and what it means for the
// connections.
type Term struct {
	Term    string
	Meaning string
}

// terms says in plain words what pilot's words in listener and chain
// reasons mean for traffic, in the order explain lists them.
var terms = []Term{
	{"UnsupportedProtocol", "pilot's name for a port without a declared protocol, or a listener that mixes HTTP and TCP: the listener sniffs each connection (http_inspector); plaintext HTTP/1.1 and h2c go to the HTTP route, chosen by Host, anything else to the TCP chains"},
	{string(listener.AutoOverTCP), "an auto-detected port met a TCP listener on the same address and port: pilot merged them into one sniffed listener, so the TCP service keeps the non-HTTP bytes and HTTP goes to the route by Host"},
	{string(listener.HTTPOverTCP), "an HTTP port met a TCP listener on the same address and port: pilot merged them into one sniffed listener; HTTP goes to the route by Host, other bytes to the TCP chains"},
	{string(listener.TCPOverHTTP), "a TCP port met an HTTP listener on the same address and port: pilot merged them into one sniffed listener; HTTP goes to the route by Host, other bytes to the TCP chain"},
	{string(listener.TCPOverTCP), "two TCP ports on the same address and port: their chains share one listener; a chain whose match equals an earlier one's is dropped, and its connections go to the earlier service"},
	{string(listener.TCPOverCurrentTCP), "istiod's record of a dropped TCP chain: the rejected service's connections that match it go to the accepted service"},
	{string(listener.TCPOverAuto), "a TCP port met a sniffed listener: its chain is added beside the earlier ones (dropped if the match is the same)"},
	{string(listener.AutoOverHTTP), "an auto-detected port replaced an HTTP-only listener with a sniffed one: HTTP still goes to the route by Host, other bytes to the TCP chain"},
	{string(listener.AutoOverAuto), "an auto-detected port met a listener that already sniffs: pilot adds nothing, so its non-HTTP connections take the earlier service's chains"},
	{"PassthroughCluster", "the connection goes to its original destination, outside the mesh's routing (no mTLS, no retries)"},
	{"BlackHoleCluster", "the connection is closed: REGISTRY_ONLY refuses destinations that no service declares"},
	{"redis cluster", "the chain ends with Envoy's redis_proxy, not tcp_proxy (istiod's PILOT_ENABLE_REDIS_FILTER, on a Redis port): it reads the connection as Redis commands and sends each to the cluster named (its catch-all route); bytes that are not Redis commands are a protocol error"},
	{"outbound|", "outbound|PORT|SUBSET|HOST is the cluster of HOST's port: a connection sent there reaches that service's endpoints, whatever address it was opened to"},
	{"ORIGINAL_DST", "a cluster that connects to the connection's own destination address (resolution NONE): like passthrough, but counted as the service"},
}

// Terms returns the terms that occur in text, with their meaning.
func Terms(text string) []Term {
	var out []Term
	for _, t := range terms {
		if strings.Contains(text, t.Term) {
			out = append(out, t)
		}
	}
	return out
}
