package isolate

import "strings"

// virtualService renames the namespaces a VirtualService names: its hosts
// and the destination hosts of its routes (NAME.NS.svc.cluster.local; a
// short name resolves in the VirtualService's own namespace, which is
// renamed with it), SNI hosts, exportTo, gateways "ns/name", match
// sourceNamespace and delegate namespaces.
func (r *rewriter) virtualService(spec map[string]any) {
	spec["hosts"] = mapStrings(spec["hosts"], r.host)
	if v, ok := spec["exportTo"]; ok {
		spec["exportTo"] = r.exportTo(toStrings(v))
	}
	if v, ok := spec["gateways"]; ok {
		spec["gateways"] = mapStrings(v, r.gateway)
	}
	for _, kind := range []string{"http", "tcp", "tls"} {
		routes, _ := spec[kind].([]any)
		for _, rt := range routes {
			rm, ok := rt.(map[string]any)
			if !ok {
				continue
			}
			for _, m := range objects(rm["match"]) {
				if v, ok := m["gateways"]; ok {
					m["gateways"] = mapStrings(v, r.gateway)
				}
				if ns, ok := m["sourceNamespace"].(string); ok {
					m["sourceNamespace"] = r.ns(ns)
				}
				if v, ok := m["sniHosts"]; ok {
					m["sniHosts"] = mapStrings(v, r.host)
				}
			}
			for _, d := range objects(rm["route"]) {
				r.destination(d["destination"])
			}
			r.destination(rm["mirror"])
			for _, mi := range objects(rm["mirrors"]) {
				r.destination(mi["destination"])
			}
			if del, ok := rm["delegate"].(map[string]any); ok {
				if ns, ok := del["namespace"].(string); ok {
					del["namespace"] = r.ns(ns)
				}
			}
		}
	}
}

// destinationRule renames the namespaces of a DestinationRule's host and
// exportTo.
func (r *rewriter) destinationRule(spec map[string]any) {
	if h, ok := spec["host"].(string); ok {
		spec["host"] = r.host(h)
	}
	if v, ok := spec["exportTo"]; ok {
		spec["exportTo"] = r.exportTo(toStrings(v))
	}
}

func (r *rewriter) destination(v any) {
	d, ok := v.(map[string]any)
	if !ok {
		return
	}
	if h, ok := d["host"].(string); ok {
		d["host"] = r.host(h)
	}
}

// gateway renames the namespace of "ns/name"; "mesh" and names without a
// namespace (the VirtualService's own) stay.
func (r *rewriter) gateway(g string) string {
	ns, name, ok := strings.Cut(g, "/")
	if !ok {
		return g
	}
	return r.ns(ns) + "/" + name
}

// objects is the JSON objects of a decoded JSON list (nil for anything else).
func objects(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
