package dump

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Message names of the admin config dump parts that carry listeners. A full
// dump holds one ListenersConfigDump; config_dump?resource=dynamic_listeners
// (or static_listeners) holds one entry per listener instead.
const (
	listenersDumpName   = "envoy.admin.v3.ListenersConfigDump"
	dynamicListenerName = "envoy.admin.v3.ListenersConfigDump.DynamicListener"
	staticListenerName  = "envoy.admin.v3.ListenersConfigDump.StaticListener"
	listenerName        = "envoy.config.listener.v3.Listener"
	// The route part: a full dump holds one RoutesConfigDump;
	// config_dump?resource=dynamic_route_configs one entry per route
	// configuration.
	routesDumpName         = "envoy.admin.v3.RoutesConfigDump"
	dynamicRouteConfigName = "envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig"
)

// The raw* types mirror just enough of the admin protos to find the listener
// JSON. The whole dump is decoded in one pass: other configs (clusters,
// routes, secrets, a bootstrap full of extensions) only have their "@type"
// read, and their other fields are skipped. Envoy writes proto field names
// (dynamic_listeners), protojson's default is lowerCamelCase
// (dynamicListeners): both are read.

type rawRoot struct {
	Type    string      `json:"@type"`
	Configs []rawConfig `json:"configs"`
	rawListenersDump
}

// rawConfig is one entry of configs[]: a ListenersConfigDump, or, in the
// output of config_dump?resource=, one DynamicListener or StaticListener.
type rawConfig struct {
	Type string `json:"@type"`
	rawListenersDump
	rawDynamic
	Listener json.RawMessage `json:"listener"`
	rawRoutesDump
	rawDynamicRoute
}

// rawRoutesDump is a RoutesConfigDump's dynamic part. Its
// static_route_configs (the inline route configurations of the inbound
// chains and the bootstrap's) are not what RDS sends and are skipped.
type rawRoutesDump struct {
	DynamicRouteConfigs      []rawDynamicRoute `json:"dynamic_route_configs"`
	DynamicRouteConfigsCamel []rawDynamicRoute `json:"dynamicRouteConfigs"`
}

type rawDynamicRoute struct {
	RouteConfig      json.RawMessage `json:"route_config"`
	RouteConfigCamel json.RawMessage `json:"routeConfig"`
}

// rawRoute is the JSON of one route configuration and where it was found.
type rawRoute struct {
	where string
	json  json.RawMessage
}

type rawListenersDump struct {
	DynamicListeners      []rawDynamic `json:"dynamic_listeners"`
	DynamicListenersCamel []rawDynamic `json:"dynamicListeners"`
	StaticListeners       []rawStatic  `json:"static_listeners"`
	StaticListenersCamel  []rawStatic  `json:"staticListeners"`
}

type rawDynamic struct {
	Name              string      `json:"name"`
	ActiveState       *rawState   `json:"active_state"`
	ActiveStateCamel  *rawState   `json:"activeState"`
	WarmingState      *rawState   `json:"warming_state"`
	WarmingStateCamel *rawState   `json:"warmingState"`
	ErrorState        *rawFailure `json:"error_state"`
	ErrorStateCamel   *rawFailure `json:"errorState"`
}

type rawState struct {
	Listener json.RawMessage `json:"listener"`
}

type rawStatic struct {
	Listener json.RawMessage `json:"listener"`
}

type rawFailure struct {
	Details string `json:"details"`
}

// dynamics are the dynamic listeners under either field name (a dump has
// one of them).
func (d *rawListenersDump) dynamics() []rawDynamic {
	if d.DynamicListeners == nil {
		return d.DynamicListenersCamel
	}
	return append(d.DynamicListeners[:len(d.DynamicListeners):len(d.DynamicListeners)], d.DynamicListenersCamel...)
}

// statics are the static listeners under either field name.
func (d *rawListenersDump) statics() []rawStatic {
	if d.StaticListeners == nil {
		return d.StaticListenersCamel
	}
	return append(d.StaticListeners[:len(d.StaticListeners):len(d.StaticListeners)], d.StaticListenersCamel...)
}

func (d *rawListenersDump) empty() bool {
	return d.DynamicListeners == nil && d.DynamicListenersCamel == nil &&
		d.StaticListeners == nil && d.StaticListenersCamel == nil
}

func firstState(a, b *rawState) *rawState {
	if a != nil {
		return a
	}
	return b
}

func firstFailure(a, b *rawFailure) *rawFailure {
	if a != nil {
		return a
	}
	return b
}

// anyName returns the message name of the "@type" of the JSON object b, or ""
// when it has none. Envoy and protojson both write "@type" first, so that
// case is read without scanning the object; otherwise the object is decoded,
// if it has an "@type" anywhere.
func anyName(b []byte) string {
	if s, ok := leadingType(b); ok {
		return string(messageName(s))
	}
	if !bytes.Contains(b, []byte(`"@type"`)) {
		return ""
	}
	var v struct {
		Type string `json:"@type"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	return string(messageName(v.Type))
}

// leadingType reads `{ "@type": "..."` at the start of b.
func leadingType(b []byte) (string, bool) {
	b = skipSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return "", false
	}
	b = skipSpace(b[1:])
	const key = `"@type"`
	if !bytes.HasPrefix(b, []byte(key)) {
		return "", false
	}
	b = skipSpace(b[len(key):])
	if len(b) == 0 || b[0] != ':' {
		return "", false
	}
	b = skipSpace(b[1:])
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			s, err := strconv.Unquote(string(b[:i+1]))
			if err != nil {
				// JSON escapes that Go does not share (\/): let the decoder do it.
				return "", false
			}
			return s, true
		}
	}
	return "", false
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// rawListener is the JSON of one listener and where it was found.
type rawListener struct {
	where string // e.g. configs[2].dynamic_listeners[5].active_state
	name  string // the dynamic listener's name, when the dump gives one
	state State
	json  json.RawMessage
}

// collected is what walking the dump JSON found.
type collected struct {
	listeners []rawListener
	routes    []rawRoute
	// routesFound: the dump has a route part (a RoutesConfigDump, or
	// dynamic route configurations one by one), empty or not.
	routesFound bool
	rejected    []Failure
	unreadable  []Failure
	// found is false when the dump has no listeners part at all; types then
	// lists the message names of the configs it has.
	found bool
	types []string
}

// walk finds the listener JSON in a config dump: a ConfigDump (config_dump,
// pilot-agent request GET config_dump, istioctl proxy-config all -o json), a
// bare ListenersConfigDump, or a JSON array of listeners (istioctl
// proxy-config listeners -o json).
func walk(data []byte) (*collected, error) {
	data = skipSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(data) == 0 {
		return nil, errors.New("config dump: not JSON: empty input")
	}
	var c collected
	switch data[0] {
	case '[':
		var ls []json.RawMessage
		if err := json.Unmarshal(data, &ls); err != nil {
			return nil, decodeError(data, err)
		}
		c.found = true
		for i, l := range ls {
			c.listeners = append(c.listeners, rawListener{where: "[" + strconv.Itoa(i) + "]", state: Static, json: l})
		}
		return &c, nil
	case '{':
		var root rawRoot
		// A value of the wrong JSON type (a string for an object) is skipped
		// and the rest decoded; that error is kept to be reported.
		var typeErr *json.UnmarshalTypeError
		if err := json.Unmarshal(data, &root); errors.As(err, &typeErr) {
			c.unreadable = append(c.unreadable, Failure{Message: "config dump: " + err.Error()})
		} else if err != nil {
			return nil, decodeError(data, err)
		}
		if root.Configs == nil && (!root.empty() || string(messageName(root.Type)) == listenersDumpName) {
			c.found = true
			c.addDump("", &root.rawListenersDump)
		}
		for i := range root.Configs {
			c.addConfig("configs["+strconv.Itoa(i)+"]", &root.Configs[i])
		}
		switch {
		case !c.found && typeErr != nil:
			return nil, fmt.Errorf("config dump: unexpected structure: %w", typeErr)
		case !c.found && root.Configs == nil:
			return nil, fmt.Errorf("config dump: %w: the JSON object has no configs, dynamic_listeners or static_listeners", ErrNoListeners)
		}
		return &c, nil
	}
	if !json.Valid(data) {
		var v any
		return nil, decodeError(data, json.Unmarshal(data, &v))
	}
	return nil, fmt.Errorf("config dump: %w: the JSON is neither an object nor an array", ErrNoListeners)
}

// decodeError explains why the dump JSON could not be decoded, with the offset
// of a syntax error.
func decodeError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if se.Offset >= int64(len(data)) {
			return fmt.Errorf("config dump: not JSON: %w (truncated at offset %d)", err, se.Offset)
		}
		// Offset counts the bytes read, the offending one included.
		return fmt.Errorf("config dump: not JSON: %w (at byte offset %d)", err, se.Offset-1)
	}
	return fmt.Errorf("config dump: unexpected structure: %w", err)
}

func (c *collected) addConfig(where string, cfg *rawConfig) {
	name := string(messageName(cfg.Type))
	where += " (" + name + ")"
	switch name {
	case listenersDumpName:
		c.addDump(where, &cfg.rawListenersDump)
	case dynamicListenerName:
		c.addDynamic(where, &cfg.rawDynamic)
	case staticListenerName:
		c.addStatic(where, &rawStatic{Listener: cfg.Listener})
	case routesDumpName:
		c.types = append(c.types, name)
		c.routesFound = true
		both := append(cfg.DynamicRouteConfigs[:len(cfg.DynamicRouteConfigs):len(cfg.DynamicRouteConfigs)], cfg.DynamicRouteConfigsCamel...)
		for i := range both {
			c.addRoute(where+".dynamic_route_configs["+strconv.Itoa(i)+"]", &both[i])
		}
		return
	case dynamicRouteConfigName:
		c.types = append(c.types, name)
		c.routesFound = true
		c.addRoute(where, &cfg.rawDynamicRoute)
		return
	default:
		c.types = append(c.types, name)
		return
	}
	c.found = true
}

func (c *collected) addDump(where string, d *rawListenersDump) {
	if where != "" {
		where += "."
	}
	for i, s := range d.statics() {
		c.addStatic(where+"static_listeners["+strconv.Itoa(i)+"]", &s)
	}
	for i, dl := range d.dynamics() {
		c.addDynamic(where+"dynamic_listeners["+strconv.Itoa(i)+"]", &dl)
	}
}

func (c *collected) addStatic(where string, s *rawStatic) {
	c.listeners = append(c.listeners, rawListener{where: where, state: Static, json: s.Listener})
}

// addDynamic keeps the active state of a dynamic listener, or its warming
// state when it has no active one, and its error state apart. A listener
// that only drains (being removed) is left out.
func (c *collected) addDynamic(where string, d *rawDynamic) {
	if f := firstFailure(d.ErrorState, d.ErrorStateCamel); f != nil {
		c.rejected = append(c.rejected, Failure{Name: d.Name, Message: f.Details})
	}
	if s := firstState(d.ActiveState, d.ActiveStateCamel); s != nil {
		c.listeners = append(c.listeners, rawListener{where: where + ".active_state", name: d.Name, state: Active, json: s.Listener})
	} else if s := firstState(d.WarmingState, d.WarmingStateCamel); s != nil {
		c.listeners = append(c.listeners, rawListener{where: where + ".warming_state", name: d.Name, state: Warming, json: s.Listener})
	}
}

// addRoute keeps a dynamic route configuration's JSON.
func (c *collected) addRoute(where string, d *rawDynamicRoute) {
	js := d.RouteConfig
	if js == nil {
		js = d.RouteConfigCamel
	}
	c.routes = append(c.routes, rawRoute{where: where + ".route_config", json: js})
}
