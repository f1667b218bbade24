package xdsclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
)

// ConfigDump renders the listeners and route configurations the client
// holds as Envoy's admin /config_dump does: one ListenersConfigDump with a
// dynamic listener per name, active_state for accepted listeners and
// error_state for refused ones, in name order, then one RoutesConfigDump
// with the route configurations RDS sent, in name order. Extension configs
// whose types this binary does not link (Istio's own filters, say) keep
// only their "@type".
func (c *Client) ConfigDump() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := map[string]bool{}
	for n := range c.listeners {
		names[n] = true
	}
	for n := range c.rejected {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	ld := &adminv3.ListenersConfigDump{VersionInfo: c.version}
	for _, n := range sorted {
		d := &adminv3.ListenersConfigDump_DynamicListener{Name: n}
		if l, ok := c.listeners[n]; ok {
			a, err := anypb.New(l)
			if err != nil {
				return nil, fmt.Errorf("config dump: listener %s: %w", n, err)
			}
			d.ActiveState = &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: c.version, Listener: a}
		}
		if f, ok := c.rejected[n]; ok {
			a, err := anypb.New(f.listener)
			if err != nil {
				return nil, fmt.Errorf("config dump: listener %s: %w", n, err)
			}
			d.ErrorState = &adminv3.UpdateFailureState{FailedConfiguration: a, LastUpdateAttempt: timestamppb.New(f.at), Details: f.details, VersionInfo: c.version}
		}
		ld.DynamicListeners = append(ld.DynamicListeners, d)
	}
	a, err := anypb.New(ld)
	if err != nil {
		return nil, err
	}
	ra, err := c.routesDump()
	if err != nil {
		return nil, err
	}
	raw, err := protojson.MarshalOptions{UseProtoNames: true, Resolver: resolver{}}.Marshal(&adminv3.ConfigDump{Configs: []*anypb.Any{a, ra}})
	if err != nil {
		return nil, fmt.Errorf("config dump of %s: %w", c.node.ID(), err)
	}
	// protojson varies its whitespace on purpose; indent it again so that
	// the same listeners give the same bytes.
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("config dump of %s: %w", c.node.ID(), err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// routesDump is the RoutesConfigDump of the route configurations held, in
// name order. Callers hold c.mu.
func (c *Client) routesDump() (*anypb.Any, error) {
	names := make([]string, 0, len(c.routeConfigs))
	for n := range c.routeConfigs {
		names = append(names, n)
	}
	sort.Strings(names)
	rd := &adminv3.RoutesConfigDump{}
	for _, n := range names {
		a, err := anypb.New(c.routeConfigs[n])
		if err != nil {
			return nil, fmt.Errorf("config dump: route configuration %s: %w", n, err)
		}
		rd.DynamicRouteConfigs = append(rd.DynamicRouteConfigs, &adminv3.RoutesConfigDump_DynamicRouteConfig{VersionInfo: c.version, RouteConfig: a})
	}
	return anypb.New(rd)
}

// resolver finds linked types in the global registry and gives
// dump.Opaque for every other type URL.
type resolver struct{}

func (resolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if t, err := protoregistry.GlobalTypes.FindMessageByName(name); err == nil {
		return t, nil
	}
	return dump.Opaque, nil
}

func (resolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if t, err := protoregistry.GlobalTypes.FindMessageByURL(url); err == nil {
		return t, nil
	}
	return dump.Opaque, nil
}

func (resolver) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

func (resolver) FindExtensionByNumber(m protoreflect.FullName, n protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByNumber(m, n)
}
