package app

import (
	"fmt"
	"io"
	"strings"

	"github.com/listenerlab/listenerlab/trace"
)

// headerList is the repeatable --header flag: NAME=VALUE, the name
// lower-cased as HTTP/2 and Envoy's matcher see it.
type headerList map[string]string

func (l *headerList) String() string {
	if l == nil {
		return ""
	}
	return trace.Request{Headers: *l}.String()
}

func (l *headerList) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	name = strings.ToLower(strings.TrimSpace(name))
	switch {
	case !ok || name == "":
		return fmt.Errorf("%q is not NAME=VALUE", s)
	case strings.ContainsAny(name, " :\t"):
		return fmt.Errorf("%q: a header name has no spaces or colons (give the method with --method, the path with --path)", s)
	case name == "host":
		return fmt.Errorf("%q: give the Host header with --host", s)
	}
	if *l == nil {
		*l = headerList{}
	}
	(*l)[name] = value
	return nil
}

// requestFlags checks --path and --method.
func requestFlags(path, method string) error {
	if path != "" && !strings.HasPrefix(path, "/") {
		return fmt.Errorf("--path %q: a path starts with /", path)
	}
	for _, r := range method {
		if r < 'A' || r > 'Z' {
			return fmt.Errorf("--method %q: a method is upper-case letters (GET, POST, ...)", method)
		}
	}
	return nil
}

// writeRouted prints a request followed through a route configuration:
// the virtual host, each route skipped and why, the route taken.
func writeRouted(w io.Writer, rt *trace.Routed) {
	fmt.Fprintf(w, "request %s, route configuration %s:\n", rt.Request, rt.Config)
	if rt.Missing {
		fmt.Fprintf(w, "  no route configuration %s is known: Envoy has not received it over RDS and the listener does not serve\n", rt.Config)
		return
	}
	if rt.VirtualHost == "" {
		fmt.Fprintf(w, "  virtual host: none: %s; Envoy answers 404\n", rt.VirtualHostWhy)
		return
	}
	fmt.Fprintf(w, "  virtual host: %s (%s)\n", rt.VirtualHost, rt.VirtualHostWhy)
	if rt.VirtualHostReason != "" {
		fmt.Fprintf(w, "    why: %s\n", rt.VirtualHostReason)
	}
	for _, s := range rt.Skipped {
		fmt.Fprintf(w, "  route %d%s %s: skipped, %s\n", s.Index+1, quotedName(s.Name), s.Match, s.Why)
	}
	if rt.Route == nil {
		fmt.Fprintln(w, "  no route matches: Envoy answers 404")
		return
	}
	fmt.Fprintf(w, "  route %d%s %s: taken\n", rt.Route.Index+1, quotedName(rt.Route.Name), rt.Route.Match)
	if rt.Route.Reason != "" {
		fmt.Fprintf(w, "    why: %s\n", rt.Route.Reason)
	}
	if rt.Route.Action.Rewrite != "" {
		fmt.Fprintf(w, "    rewrite: %s (where the request goes is unchanged)\n", rt.Route.Action.Rewrite)
	}
	if len(rt.Route.Action.Mirrors) > 0 {
		fmt.Fprintf(w, "    mirrored to: %s\n", strings.Join(rt.Route.Action.Mirrors, ", "))
	}
	fmt.Fprintf(w, "  action: %s\n", rt.Route.Action)
}

func quotedName(name string) string {
	if name == "" {
		return ""
	}
	return fmt.Sprintf(" %q", name)
}
