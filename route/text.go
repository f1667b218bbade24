package route

import (
	"fmt"
	"io"
	"strings"
)

// Write renders configurations compactly, one line per configuration,
// virtual host and route, each route with its position, name, match and
// action:
//
//	route 9080 (port ignored in Host)
//	  vhost reviews.bookinfo.svc.cluster.local:9080: reviews.bookinfo.svc.cluster.local reviews.bookinfo ...
//	    1 jason: prefix / header end-user=jason -> cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local
//
// indent goes before every line.
func Write(w io.Writer, cs []Config, indent string) error {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(indent + "route " + c.Name)
		if c.IgnorePortInHostMatching {
			b.WriteString(" (port ignored in Host)")
		}
		b.WriteString("\n")
		for _, vh := range c.VirtualHosts {
			fmt.Fprintf(&b, "%s  vhost %s: %s\n", indent, vh.Name, strings.Join(vh.Domains, " "))
			for i, r := range vh.Routes {
				fmt.Fprintf(&b, "%s    %d %s\n", indent, i+1, r.String())
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String renders a route as "NAME: MATCH -> ACTION" with its rewrite and
// mirrors ("-" for a route without a name).
func (r Route) String() string {
	name := r.Name
	if name == "" {
		name = "-"
	}
	s := name + ": " + r.Match.String() + " -> " + r.Action.String()
	if r.Action.Rewrite != "" {
		s += " (rewrite " + r.Action.Rewrite + ")"
	}
	if len(r.Action.Mirrors) > 0 {
		s += " (mirror " + strings.Join(r.Action.Mirrors, ",") + ")"
	}
	return s
}
