package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/listenerlab/listenerlab/route"
)

// Routes writes route configurations compactly, one row per route: the
// configuration, the virtual host, its domains (the first and how many
// more), the match and the action.
func Routes(w io.Writer, cs []route.Config) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTE\tVIRTUAL HOST\tDOMAINS\tMATCH\tACTION")
	for _, c := range cs {
		if len(c.VirtualHosts) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t404 (no virtual host)\n", c.Name)
		}
		for _, vh := range c.VirtualHosts {
			domains := "-"
			if len(vh.Domains) > 0 {
				domains = vh.Domains[0]
			}
			if len(vh.Domains) > 1 {
				domains += fmt.Sprintf(" +%d", len(vh.Domains)-1)
			}
			for _, r := range vh.Routes {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, vh.Name, domains, r.Match.String(), actionText(r.Action))
			}
		}
	}
	return tw.Flush()
}

// actionText is an action with its rewrite and mirrors.
func actionText(a route.Action) string {
	s := a.String()
	if a.Rewrite != "" {
		s += " (rewrite " + a.Rewrite + ")"
	}
	if len(a.Mirrors) > 0 {
		s += " (mirror " + strings.Join(a.Mirrors, ", ") + ")"
	}
	return s
}

// explainRoutes writes route configurations as prose: each configuration,
// virtual host (all its domains) and route with its reason, then the
// virtual hosts and domains istiod dropped as duplicates.
func explainRoutes(w io.Writer, cs []route.Config) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nRoute configurations (RDS):\n")
	for _, c := range cs {
		fmt.Fprintf(w, "\nroute %s\n  why: %s\n", c.Name, c.Reason)
		for _, vh := range c.VirtualHosts {
			fmt.Fprintf(w, "  virtual host %s: %s\n      %s\n", vh.Name, strings.Join(vh.Domains, ", "), vh.Reason)
			for _, r := range vh.Routes {
				name := ""
				if r.Name != "" {
					name = " [" + r.Name + "]"
				}
				fmt.Fprintf(w, "    - %s -> %s%s\n        %s\n", r.Match.String(), actionText(r.Action), name, r.Reason)
			}
		}
		for _, d := range c.Duplicates {
			what := "virtual host " + d.VirtualHost
			if d.Domain != "" {
				what = "domain " + d.Domain + " of " + d.VirtualHost
			}
			fmt.Fprintf(w, "  dropped: %s (%s), kept by %s: %s\n", what, d.Dropped, d.Kept, d.Reason)
		}
	}
}
