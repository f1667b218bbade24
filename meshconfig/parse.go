// Package meshconfig is Istio's mesh config as listenerlab reads it: a
// strict decoder checked against istio.io/api's MeshConfig (the newest API
// go.mod pins), the table of every MeshConfig field and of the istiod
// flags that can change a sidecar's outbound listeners (modelled, no
// outbound effect, not modelled), and the settings of an input that the
// prediction does not model.
//
// The decoded form stays what the World carries: map[string]any in
// MeshConfig's JSON shape (camelCase field names, enum values by name).
package meshconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"sigs.k8s.io/yaml"
)

// Root is the name error paths start with: the field the mesh config is
// under in an IstioOperator or a scenario header.
const Root = "meshConfig"

// FieldError is a mesh config field that MeshConfig does not accept.
type FieldError struct {
	// Path is the field, from Root: meshConfig.defaultConfig.proxyMetdata.
	Path string
	// Msg says what is wrong: "unknown field", "want a list, got a string".
	Msg string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

// Parse decodes mesh config YAML or JSON (the istio ConfigMap's data.mesh,
// a --mesh-config file, a scenario header's meshConfig) strictly against
// MeshConfig: an unknown field, a value of the wrong type and an enum
// value MeshConfig does not define are errors naming the field. For the
// mesh config of a cluster's objects, AsIstiod reads what istiod uses.
// Empty input is an empty config (nil).
func Parse(data []byte) (map[string]any, error) {
	obj, err := decode(data)
	if err != nil || obj == nil {
		return nil, err
	}
	return Check(obj)
}

// decode reads YAML or JSON into a mapping (nil for empty input).
func decode(data []byte) (map[string]any, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not valid mesh config YAML: %w", err)
	}
	var raw any
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("not valid mesh config YAML: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, &FieldError{Path: Root, Msg: "want a mapping of MeshConfig fields, got " + jsonType(raw)}
	}
	return obj, nil
}

// Check checks an already decoded mesh config (MeshConfig's JSON or YAML
// shape, as a scenario header holds it) strictly, as Parse does, and
// returns it in MeshConfig's JSON shape: field names camelCase (protojson
// also takes the proto names, default_config), enum numbers as names.
func Check(obj map[string]any) (map[string]any, error) {
	out, errs := check(obj)
	if len(errs) > 0 {
		return nil, joined(errs)
	}
	return out, nil
}

// check is Check's walk: the config with unknown fields left out, and
// every problem found, sorted by path.
func check(obj map[string]any) (map[string]any, []*FieldError) {
	if obj == nil {
		return nil, nil
	}
	var errs []*FieldError
	out := walkMessage(descriptor(), obj, Root, &errs)
	if len(errs) == 0 {
		// The whole document through protojson, unknown fields not
		// discarded: what the walk does not check by field (a oneof
		// set twice).
		js, err := json.Marshal(out)
		if err == nil {
			err = protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(js, &meshv1alpha1.MeshConfig{})
		}
		if err != nil {
			errs = append(errs, &FieldError{Path: Root, Msg: protoMsg(err)})
		}
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Path < errs[j].Path })
	return out, errs
}

// joined is one error for errs: the FieldError itself when alone.
func joined(errs []*FieldError) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return Errors(errs)
}

// AsIstiod decodes mesh config as istiod reads it from the istio
// ConfigMap, and says what is wrong with it. istiod drops unknown fields
// (pkg/util/protomarshal ApplyJSON retries a failed decode with unknown
// fields allowed), so a config whose only problems are unknown fields is
// returned without them; a config that still does not decode (a value of
// the wrong type, an unknown enum value) is not used at all (istiod logs
// it and keeps its last good mesh config: pkg/config/mesh/meshwatcher
// collection.go; listenerlab assumes a fresh istiod, so Istio's
// defaults), and the config returned is nil. The error is nil when the
// config is clean.
func AsIstiod(data []byte) (map[string]any, error) {
	obj, err := decode(data)
	if err != nil || obj == nil {
		return nil, err
	}
	out, errs := check(obj)
	if len(errs) == 0 {
		return out, nil
	}
	for _, e := range errs {
		if !strings.HasPrefix(e.Msg, unknownField) {
			return nil, fmt.Errorf("%w (istiod does not use a mesh config it cannot decode: predicted with Istio's default mesh config)", joined(errs))
		}
	}
	return out, fmt.Errorf("%w (istiod ignores unknown fields: predicted without them)", joined(errs))
}

// unknownField begins the message of a field MeshConfig does not have.
const unknownField = "unknown field"

// Errors are several FieldErrors of one mesh config, sorted by path.
type Errors []*FieldError

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the FieldErrors, for errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// descriptor is MeshConfig's message descriptor (the newest API).
func descriptor() protoreflect.MessageDescriptor {
	return (&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor()
}

// walkMessage checks obj against message md and returns it with field
// names in JSON form; problems are appended to errs.
func walkMessage(md protoreflect.MessageDescriptor, obj map[string]any, path string, errs *[]*FieldError) map[string]any {
	out := make(map[string]any, len(obj))
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fd := md.Fields().ByJSONName(k)
		if fd == nil {
			fd = md.Fields().ByName(protoreflect.Name(k))
		}
		if fd == nil {
			*errs = append(*errs, &FieldError{Path: path + "." + k, Msg: unknownField + suggest(md, k)})
			continue
		}
		out[fd.JSONName()] = walkField(md, fd, obj[k], path+"."+fd.JSONName(), errs)
	}
	return out
}

// walkField checks the value v of field fd (of message md).
func walkField(md protoreflect.MessageDescriptor, fd protoreflect.FieldDescriptor, v any, path string, errs *[]*FieldError) any {
	if v == nil {
		return nil
	}
	switch {
	case fd.IsMap():
		m, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, &FieldError{Path: path, Msg: "want a mapping, got " + jsonType(v)})
			return v
		}
		out := make(map[string]any, len(m))
		for k, ev := range m {
			out[k] = walkValue(md, fd, fd.MapValue(), ev, path+"."+k, errs)
		}
		return out
	case fd.IsList():
		l, ok := v.([]any)
		if !ok {
			*errs = append(*errs, &FieldError{Path: path, Msg: "want a list, got " + jsonType(v)})
			return v
		}
		out := make([]any, len(l))
		for i, ev := range l {
			out[i] = walkValue(md, fd, fd, ev, fmt.Sprintf("%s[%d]", path, i), errs)
		}
		return out
	}
	return walkValue(md, fd, fd, v, path, errs)
}

// walkValue checks one value (an element of a list or map, or a singular
// field's value) of kind vd, in field fd of message md.
func walkValue(md protoreflect.MessageDescriptor, fd, vd protoreflect.FieldDescriptor, v any, path string, errs *[]*FieldError) any {
	switch {
	case v == nil:
		return nil
	case vd.Kind() == protoreflect.MessageKind && !wellKnown(vd.Message()):
		obj, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, &FieldError{Path: path, Msg: "want a mapping of " + string(vd.Message().Name()) + " fields, got " + jsonType(v)})
			return v
		}
		return walkMessage(vd.Message(), obj, path, errs)
	case vd.Kind() == protoreflect.EnumKind && vd.Enum().FullName() != "google.protobuf.NullValue":
		name, err := enumName(vd.Enum(), v)
		if err != nil {
			*errs = append(*errs, &FieldError{Path: path, Msg: err.Error()})
			return v
		}
		return name
	}
	if err := checkScalar(md, fd, v); err != nil {
		*errs = append(*errs, &FieldError{Path: path, Msg: err.Error()})
	}
	return v
}

// checkScalar checks a scalar or well-known-type value of field fd by
// decoding {"field": [v]} (or v, or {"k": v}) into a message md with
// protojson.
func checkScalar(md protoreflect.MessageDescriptor, fd protoreflect.FieldDescriptor, v any) error {
	wrapped := v
	switch {
	case fd.IsMap():
		wrapped = map[string]any{"k": v}
	case fd.IsList():
		wrapped = []any{v}
	}
	js, err := json.Marshal(map[string]any{fd.JSONName(): wrapped})
	if err != nil {
		return err
	}
	return protojsonUnmarshal(js, newMessage(md))
}

// wellKnown reports whether md is a google.protobuf type with a JSON form
// of its own (Duration "1s", BoolValue true, Struct, ...), checked whole.
func wellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf"
}

// enumName is v (a name or a number) as the enum's value name.
func enumName(ed protoreflect.EnumDescriptor, v any) (string, error) {
	var ev protoreflect.EnumValueDescriptor
	switch x := v.(type) {
	case string:
		ev = ed.Values().ByName(protoreflect.Name(x))
	case float64:
		if x == float64(int32(x)) {
			ev = ed.Values().ByNumber(protoreflect.EnumNumber(int32(x)))
		}
	default:
		return "", fmt.Errorf("want one of %s, got %s", enumNames(ed), jsonType(v))
	}
	if ev == nil {
		return "", fmt.Errorf("unknown value %v (one of %s)", v, enumNames(ed))
	}
	return string(ev.Name()), nil
}

func enumNames(ed protoreflect.EnumDescriptor) string {
	var ns []string
	for i := 0; i < ed.Values().Len(); i++ {
		ns = append(ns, string(ed.Values().Get(i).Name()))
	}
	return strings.Join(ns, ", ")
}

// protoMsg is a protojson error without its "proto: (line 1:12): " prefix,
// which points into JSON the user did not write.
func protoMsg(err error) string {
	s := strings.TrimPrefix(err.Error(), "proto:")
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " "))
	if strings.HasPrefix(s, "(line ") {
		if _, rest, ok := strings.Cut(s, "): "); ok {
			s = rest
		}
	}
	return s
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// suggest names the field of md nearest to the unknown name k, when one
// is close (a typo).
func suggest(md protoreflect.MessageDescriptor, k string) string {
	best, bestD := "", 3
	for i := 0; i < md.Fields().Len(); i++ {
		n := md.Fields().Get(i).JSONName()
		if d := distance(strings.ToLower(k), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// newMessage is an empty message of type md.
func newMessage(md protoreflect.MessageDescriptor) *dynamicpb.Message {
	return dynamicpb.NewMessage(md)
}

// protojsonUnmarshal decodes js into m strictly (unknown fields are
// errors), with the error's JSON position left out.
func protojsonUnmarshal(js []byte, m proto.Message) error {
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, m); err != nil {
		return errors.New(protoMsg(err))
	}
	return nil
}
