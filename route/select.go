package route

import (
	"net"
	"regexp"
	"strings"
)

// Request is an HTTP request as a route configuration sees it.
type Request struct {
	// Host is the Host or :authority header, with its port if it has one.
	Host string
	// Path is the path with its query string, e.g. "/api?x=1".
	Path string
	// Method is the :method; "" means GET.
	Method string
	// Headers are request headers by lower-case name.
	Headers map[string]string
}

// Skipped is a route a request did not take, and why.
type Skipped struct {
	Index int
	Why   string
}

// Selection is what a route configuration does with a request: the
// virtual host its Host picked (nil: none, Envoy answers 404), why, the
// route taken (nil: no route matched, 404) and the routes before it that
// did not match.
type Selection struct {
	VirtualHost *VirtualHost
	HostWhy     string
	Route       *Route
	RouteIndex  int
	Skipped     []Skipped
}

// Select models Envoy's RouteMatcher: the virtual host whose domains match
// the request's Host (lower-cased) exactly, else the longest suffix
// wildcard ("*.example.com"), else the longest prefix wildcard
// ("example.*"), else "*"; then its first route whose match the request
// meets (ConfigImpl::route).
//
// With IgnorePortInHostMatching the Host's port is dropped first
// (RouteMatcher::findVirtualHost with HeaderUtility::getPortStart).
func Select(c *Config, req Request) Selection {
	host := strings.ToLower(req.Host)
	stripped := ""
	if c.IgnorePortInHostMatching {
		if h := withoutPort(host); h != host {
			host, stripped = h, "; the Host's port is ignored (ignore_port_in_host_matching)"
		}
	}
	vh, why := findVirtualHost(c, host)
	why += stripped
	sel := Selection{VirtualHost: vh, HostWhy: why, RouteIndex: -1}
	if vh == nil {
		return sel
	}
	for i := range vh.Routes {
		if ok, why := vh.Routes[i].Match.Matches(req); !ok {
			sel.Skipped = append(sel.Skipped, Skipped{Index: i, Why: why})
			continue
		}
		sel.Route, sel.RouteIndex = &vh.Routes[i], i
		break
	}
	return sel
}

func findVirtualHost(c *Config, host string) (*VirtualHost, string) {
	var suffix, prefix, any *VirtualHost
	suffixLen, prefixLen := -1, -1
	for i := range c.VirtualHosts {
		vh := &c.VirtualHosts[i]
		for _, d := range vh.Domains {
			d = strings.ToLower(d)
			switch {
			case d == host:
				return vh, "domain " + d + " equals the Host"
			case d == "*":
				if any == nil {
					any = vh
				}
			case strings.HasPrefix(d, "*") && strings.HasSuffix(host, d[1:]) && len(host) > len(d)-1 && len(d) > suffixLen:
				suffix, suffixLen = vh, len(d)
			case strings.HasSuffix(d, "*") && strings.HasPrefix(host, d[:len(d)-1]) && len(host) > len(d)-1 && len(d) > prefixLen:
				prefix, prefixLen = vh, len(d)
			}
		}
	}
	switch {
	case suffix != nil:
		return suffix, "the longest suffix wildcard domain matching the Host"
	case prefix != nil:
		return prefix, "the longest prefix wildcard domain matching the Host"
	case any != nil:
		return any, "no domain names the Host: the catch-all domain *"
	}
	return nil, "no virtual host has a domain matching the Host"
}

// Matches says whether a request meets the match, and if not, the first
// condition it fails.
func (m Match) Matches(req Request) (bool, string) {
	path, query, _ := strings.Cut(req.Path, "?")
	if path == "" {
		path = "/"
	}
	if !m.pathMatches(path) {
		return false, "path " + path + " is not " + string(m.PathKind) + " " + m.Path
	}
	for _, h := range m.Headers {
		v, ok := header(req, h.Name)
		if !ok && h.MissingAsEmpty {
			ok = true
		}
		if !h.holds(v, ok) {
			return false, "header " + h.String() + " does not hold"
		}
	}
	params := parseQuery(query)
	for _, q := range m.QueryParams {
		v, ok := params[q.Name]
		if !q.holds(v, ok) {
			return false, "query " + q.String() + " does not hold"
		}
	}
	return true, ""
}

func (m Match) pathMatches(path string) bool {
	p, want := path, m.Path
	if m.CaseInsensitive {
		p, want = strings.ToLower(p), strings.ToLower(want)
	}
	switch m.PathKind {
	case Prefix:
		return strings.HasPrefix(p, want)
	case Exact:
		return p == want
	case SeparatedPrefix:
		return p == want || strings.HasPrefix(p, strings.TrimSuffix(want, "/")+"/")
	case Regex:
		return fullMatch(m.Path, path)
	}
	return false
}

func (h HeaderMatch) holds(v string, present bool) bool {
	var ok bool
	switch h.Kind {
	case ValuePresent:
		ok = present
	case ValueExact:
		ok = present && v == h.Value
	case ValuePrefix:
		ok = present && strings.HasPrefix(v, h.Value)
	case ValueSuffix:
		ok = present && strings.HasSuffix(v, h.Value)
	case ValueRegex:
		ok = present && fullMatch(h.Value, v)
	}
	return ok != h.Invert
}

func header(req Request, name string) (string, bool) {
	name = strings.ToLower(name)
	switch name {
	case ":method":
		if req.Method == "" {
			return "GET", true
		}
		return req.Method, true
	case ":authority", "host":
		return req.Host, true
	case ":path":
		return req.Path, true
	}
	v, ok := req.Headers[name]
	return v, ok
}

func parseQuery(q string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if _, seen := out[k]; !seen {
			out[k] = v
		}
	}
	return out
}

// fullMatch is RE2 full-string matching, as Envoy's safe_regex does; an
// expression Go cannot compile matches nothing.
func fullMatch(expr, s string) bool {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	return err == nil && re.MatchString(s)
}

// HostPort splits a Host header into host and port ("" when it has none).
func HostPort(host string) (string, string) {
	if h, p, err := net.SplitHostPort(host); err == nil {
		return h, p
	}
	return host, ""
}

// withoutPort drops a Host's port as Envoy's HeaderUtility::getPortStart
// finds it: from the last colon on, unless a "]" follows it (a bracketed
// IPv6 address without port). The port is not checked to be digits.
func withoutPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.LastIndexByte(host, ']') > i {
		return host
	}
	return host[:i]
}
