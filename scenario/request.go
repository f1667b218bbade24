package scenario

import (
	"errors"
	"fmt"
	"strings"

	"github.com/listenerlab/listenerlab/trace"
)

// wantPrefixes are the outcomes a request expectation may name; the
// first four are route.Action's words.
var wantPrefixes = []string{"cluster ", "clusters ", "redirect ", "direct response ", trace.NoVirtualHost, trace.NoRoute}

// check says what is wrong with a request expectation, naming the field.
func (r RequestExpectation) check() error {
	switch {
	case (r.To == "") == (r.RouteConfig == ""):
		return errors.New("give exactly one of to (IP:PORT) and routeConfig")
	case r.Host == "":
		return errors.New("host: the Host header is required")
	case r.Path != "" && !strings.HasPrefix(r.Path, "/"):
		return fmt.Errorf("path %q: a path starts with /", r.Path)
	}
	if r.To != "" {
		if _, err := trace.ParseAddress(r.To); err != nil {
			return fmt.Errorf("to: %w", err)
		}
	}
	for name := range r.Headers {
		if name == "" || strings.ContainsAny(name, " :") || strings.EqualFold(name, "host") {
			return fmt.Errorf("headers: %q is not a header this field takes (the Host is host, the method method)", name)
		}
	}
	for _, p := range wantPrefixes {
		if strings.HasPrefix(r.Want, p) && (len(r.Want) > len(p) || !strings.HasSuffix(p, " ")) {
			return nil
		}
	}
	return fmt.Errorf("want %q: not one of %q", r.Want, []string{"cluster NAME", "clusters NAME=WEIGHT,...", "redirect STATUS URL", "direct response STATUS", trace.NoVirtualHost, trace.NoRoute})
}
