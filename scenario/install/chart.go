package install

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/listenerlab/listenerlab/scenario"
)

// chart renders an istiod chart install's values (of object o, at field)
// into the layer of its revision.
func (r *reader) chart(o scenario.InstallObject, values map[string]any, namespace, field string) (layer, bool) {
	return r.chartAs(o, values, namespace, field, where(o))
}

// chartAs is chart with the source named from.
func (r *reader) chartAs(o scenario.InstallObject, values map[string]any, namespace, field, from string) (layer, bool) {
	if namespace == "" {
		namespace = scenario.MeshNamespace
	}
	at := func(f string) string {
		if field == "" {
			return f
		}
		return field + "." + f
	}
	rev, _ := values["revision"].(string)
	l := layer{revision: revisionName(rev), from: from, chart: true, env: map[string]string{}}
	mesh, err := parseMeshMap(chartMesh(values, rev, namespace))
	if err != nil {
		// The cluster takes it: istiod reads what it can (mesh).
		r.fail(o, at("meshConfig"), err)
	}
	l.mesh = mesh
	for _, path := range [][]string{{"env"}, {"pilot", "env"}} {
		// pilot.* is copied over the top level (zzy_descope_legacy.yaml):
		// pilot.env wins; charts before 1.24 read pilot.env only.
		env := mapAt(values, path...)
		for _, k := range sortedKeys(env) {
			s, ok := scalar(env[k])
			if !ok {
				r.fail(o, at(fmt.Sprintf("%s.%s", joinPath(path), k)), fmt.Errorf("istiod env value must be a scalar, got %T", env[k]))
				return layer{}, false
			}
			l.env[k] = s
		}
		if len(path) == 1 && len(env) > 0 {
			r.note("%s: %s: istiod charts before 1.24 read pilot.env only", from, at("env"))
		}
	}
	if v, ok := scalar(values["traceSampling"]); ok && values["traceSampling"] != nil {
		l.env["PILOT_TRACE_SAMPLING"] = v
	}
	if v, ok := scalar(stringAt(values, "global", "externalIstiod")); ok && v != "" && l.env["EXTERNAL_ISTIOD"] == "" {
		l.env["EXTERNAL_ISTIOD"] = v
	}
	for _, t := range listAt(values, "revisionTags") {
		if s, ok := t.(string); ok {
			l.tags = append(l.tags, s)
		}
	}
	sort.Strings(l.tags)
	r.unreadValues(from, at, values)
	if len(mapAt(values, "pilot", "envVarFrom"))+len(listAt(values, "envVarFrom")) > 0 {
		r.note("not modelled: %s: %s: istiod env from envVarFrom is not in the input", from, at("envVarFrom"))
	}
	return l, true
}

// unreadValues names the values that change which sidecars exist or what
// traffic they capture (the injection template's, not istiod's), which
// listenerlab does not read from the install.
func (r *reader) unreadValues(from string, at func(string) string, values map[string]any) {
	for _, path := range [][]string{
		{"global", "proxy", "includeIPRanges"}, {"global", "proxy", "excludeIPRanges"},
		{"global", "proxy", "includeOutboundPorts"}, {"global", "proxy", "excludeOutboundPorts"},
		{"sidecarInjectorWebhook", "enableNamespacesByDefault"}, {"sidecarInjectorWebhook", "neverInjectSelector"},
		{"sidecarInjectorWebhook", "alwaysInjectSelector"}, {"global", "proxy", "autoInject"},
	} {
		if v, ok := mapAt(values, path[:len(path)-1]...)[path[len(path)-1]]; ok && v != nil && v != "" && v != false {
			r.note("not modelled: %s: %s=%v: the injector's setting (which pods get a sidecar, what it captures) is not read from the install", from, at(joinPath(path)), v)
		}
	}
}

// chartMesh is the mesh config the istiod chart (1.26's
// templates/configmap.yaml) renders: its "mesh" block from values, with
// values.meshConfig (whose chart default is enablePrometheusMerge: true)
// deep-merged over it (mergeOverwrite: maps merge, the rest replaces).
func chartMesh(values map[string]any, revision, namespace string) map[string]any {
	user := mapAt(values, "meshConfig")
	istioNS := stringAt(values, "global", "istioNamespace")
	if istioNS == "" {
		istioNS = scenario.MeshNamespace
	}
	root := stringAt(user, "rootNamespace")
	if root == "" {
		root = istioNS
	}
	istiod := "istiod"
	if revision != "" {
		istiod += "-" + revision
	}
	defaultConfig := map[string]any{"discoveryAddress": istiod + "." + namespace + ".svc:15012"}
	if id := stringAt(values, "global", "meshID"); id != "" {
		defaultConfig["meshId"] = id
	}
	variant := stringAt(values, "global", "proxy", "variant")
	if variant == "" {
		variant = stringAt(values, "global", "variant")
	}
	if variant != "" {
		defaultConfig["image"] = map[string]any{"imageType": variant}
	}
	base := map[string]any{
		"trustDomain":   "cluster.local",
		"rootNamespace": root,
		"defaultConfig": defaultConfig,
	}
	if user["defaultProviders"] == nil && boolAt(values, true, "telemetry", "enabled") &&
		boolAt(values, true, "telemetry", "v2", "enabled") && boolAt(values, true, "telemetry", "v2", "prometheus", "enabled") {
		base["defaultProviders"] = map[string]any{"metrics": []any{"prometheus"}}
	}
	mesh := mergeOverwrite(map[string]any{"enablePrometheusMerge": true}, user)
	return mergeOverwrite(base, mesh)
}

// mergeOverwrite deep-merges over onto a copy of base, as Helm's
// mergeOverwrite does: maps merge key by key, anything else replaces.
func mergeOverwrite(base, over map[string]any) map[string]any {
	out := deepCopy(base)
	for k, v := range over {
		if vm, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = mergeOverwrite(bm, vm)
				continue
			}
		}
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return deepCopy(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopyValue(e)
		}
		return out
	}
	return v
}

// mapAt is the map at path in m (nil when absent).
func mapAt(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := m[p].(map[string]any)
		m = next
	}
	return m
}

// listAt is the list at path in m.
func listAt(m map[string]any, path ...string) []any {
	l, _ := mapAt(m, path[:len(path)-1]...)[path[len(path)-1]].([]any)
	return l
}

// stringAt is the string at path in m ("" when absent).
func stringAt(m map[string]any, path ...string) string {
	s, _ := mapAt(m, path[:len(path)-1]...)[path[len(path)-1]].(string)
	return s
}

// boolAt is the bool at path in m, def when absent.
func boolAt(m map[string]any, def bool, path ...string) bool {
	b, ok := mapAt(m, path[:len(path)-1]...)[path[len(path)-1]].(bool)
	if !ok {
		return def
	}
	return b
}

// scalar renders a values scalar as the chart's "{{ $val }}" does.
func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case nil:
		return "", true
	}
	return "", false
}

func joinPath(p []string) string {
	out := p[0]
	for _, s := range p[1:] {
		out += "." + s
	}
	return out
}
