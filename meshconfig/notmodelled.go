package meshconfig

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

// Unmodelled lists what of mesh (MeshConfig's JSON shape) and env
// (istiod's environment) the prediction for Istio minor does not take
// into account, sorted, one line each:
//
//   - "meshConfig.FIELD (what it changes)": a NotModelled field whose value
//     is not Istio's default (a field set to its default changes nothing);
//   - "meshConfig.FIELD (Istio 1.M's MeshConfig has no such field ...)": a
//     field newer than the version, which its istiod ignores;
//   - "istiod env NAME=VALUE (what it changes)": a NotModelled flag set to
//     another value than istiod's default (in a version that has it).
//
// minor 0 skips the version checks.
func Unmodelled(mesh map[string]any, env map[string]string, minor int) []string {
	var out []string
	dc, _ := mesh["defaultConfig"].(map[string]any)
	for _, f := range append(append([]Field{}, Fields...), ProxyFields...) {
		parent, name, md := mesh, f.Name, descriptor()
		if rest, ok := strings.CutPrefix(f.Name, "defaultConfig."); ok {
			parent, name, md = dc, rest, (&meshv1alpha1.ProxyConfig{}).ProtoReflect().Descriptor()
		}
		v, ok := parent[name]
		if !ok {
			continue
		}
		switch {
		case minor > 0 && f.Since > minor:
			out = append(out, fmt.Sprintf("%s.%s (Istio 1.%d's MeshConfig has no such field: its istiod ignores unknown fields, pkg/util/protomarshal ApplyJSON)", Root, f.Name, minor))
		case f.Kind == NotModelled && !isDefault(md, name, v, f.Default):
			out = append(out, fmt.Sprintf("%s.%s (%s)", Root, f.Name, f.Why))
		}
	}
	for _, f := range Flags {
		v, ok := env[f.Name]
		if !ok || f.Kind != NotModelled || minor > 0 && f.Since > minor || sameFlagValue(v, f.Default) {
			continue
		}
		out = append(out, fmt.Sprintf("istiod env %s=%s (%s)", f.Name, v, f.Why))
	}
	sort.Strings(out)
	return out
}

// isDefault reports whether value v of field name of message md equals
// def (JSON; "" for unset), compared as protos: 0s and 0.000s, 15001
// and "15001" are the same value. A value that does not decode is not
// the default.
func isDefault(md protoreflect.MessageDescriptor, name string, v any, def string) bool {
	got, err := decodeField(md, name, v)
	if err != nil {
		return false
	}
	want := newMessage(md)
	if def != "" {
		var dv any
		if json.Unmarshal([]byte(def), &dv) != nil {
			return false
		}
		if want, err = decodeField(md, name, dv); err != nil {
			return false
		}
	}
	fd := md.Fields().ByJSONName(name)
	if fd == nil {
		return false
	}
	// A list or scalar set to its zero value is unset in proto3; compare
	// the field's value, presence aside, unless it is a message.
	if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
		return got.Get(fd).Equal(want.Get(fd))
	}
	return proto.Equal(got, want)
}

// decodeField decodes {name: v} into a new message md.
func decodeField(md protoreflect.MessageDescriptor, name string, v any) (*dynamicpb.Message, error) {
	js, err := json.Marshal(map[string]any{name: v})
	if err != nil {
		return nil, err
	}
	m := newMessage(md)
	return m, protojsonUnmarshal(js, m)
}

// sameFlagValue compares an env value with a default the way Istio's env
// package reads booleans (strconv.ParseBool); other values as strings.
func sameFlagValue(v, def string) bool {
	if b, err := strconv.ParseBool(def); err == nil {
		got, err := strconv.ParseBool(v)
		// An unparsable value falls back to the default in istiod.
		return err != nil || got == b
	}
	return v == def
}
