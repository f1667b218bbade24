package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/meshconfig"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// fieldError is an error about one field of a document.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func fieldErr(field, format string, args ...any) error {
	return &fieldError{field: field, err: fmt.Errorf(format, args...)}
}

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// fieldOf extracts the offending field from an error, if it names one.
func fieldOf(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.field
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

// meshFieldErr places a meshconfig error at its field: the field's path
// for one error, meshConfig for several (each named in the message).
func meshFieldErr(err error) error {
	var fe *meshconfig.FieldError
	if errors.As(err, &fe) && fe == err {
		return &fieldError{field: fe.Path, err: errors.New(fe.Msg)}
	}
	return &fieldError{field: meshconfig.Root, err: err}
}

// decodeStrict decodes JSON into v, refusing unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func namespaced(kind string) bool {
	switch kind {
	case "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "IngressClass", "GatewayClass",
		"PersistentVolume", "StorageClass", "PriorityClass", "Node", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
		"APIService", "RuntimeClass", "CSIDriver", "VolumeAttachment", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
		return false
	}
	return true
}

// builtinKinds are the kinds of the API groups Kubernetes itself serves
// that the loader meets: another kind in one of these groups is a typo a
// cluster refuses ("no matches for kind"), not a custom resource.
var builtinKinds = map[string][]string{
	"":      {"Binding", "ConfigMap", "Endpoints", "Event", "LimitRange", "Namespace", "Node", "PersistentVolume", "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController", "ResourceQuota", "Secret", "Service", "ServiceAccount"},
	"apps":  {"ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"},
	"batch": {"CronJob", "Job"},
}

// decodeManifest decodes a Kubernetes or Istio object strictly into its
// typed form. A kind that cannot change a sidecar's outbound listeners is
// not decoded: skip holds the label the skip summary counts it under.
func decodeManifest(apiVersion, kind string, data []byte) (obj any, skip string, err error) {
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = ""
	}
	if kind == "" {
		return nil, "", fieldErr("kind", "missing kind")
	}
	if apiVersion == "" {
		return nil, "", fieldErr("apiVersion", "missing apiVersion")
	}
	if err := removedAPIError(apiVersion, kind); err != nil {
		return nil, "", err
	}
	switch {
	case apiVersion == "v1" && kind == "Service":
		return decodeKube(data, &corev1.Service{})
	case apiVersion == "v1" && kind == "Pod":
		return decodeKube(data, &corev1.Pod{})
	case apiVersion == "v1" && kind == "Namespace":
		return decodeKube(data, &corev1.Namespace{})
	case apiVersion == "v1" && kind == "Endpoints":
		//lint:ignore SA1019 clusters still accept v1 Endpoints; the resolver mirrors them into EndpointSlices.
		return decodeKube(data, &corev1.Endpoints{})
	case apiVersion == "v1" && kind == "ReplicationController":
		return decodeKube(data, &corev1.ReplicationController{})
	case apiVersion == "apps/v1" && kind == "Deployment":
		return decodeKube(data, &appsv1.Deployment{})
	case apiVersion == "apps/v1" && kind == "StatefulSet":
		return decodeKube(data, &appsv1.StatefulSet{})
	case apiVersion == "apps/v1" && kind == "DaemonSet":
		return decodeKube(data, &appsv1.DaemonSet{})
	case apiVersion == "apps/v1" && kind == "ReplicaSet":
		return decodeKube(data, &appsv1.ReplicaSet{})
	case apiVersion == "batch/v1" && kind == "Job":
		return decodeKube(data, &batchv1.Job{})
	case apiVersion == "batch/v1" && kind == "CronJob":
		return decodeKube(data, &batchv1.CronJob{})
	case apiVersion == "discovery.k8s.io/v1" && kind == "EndpointSlice":
		return decodeKube(data, &discoveryv1.EndpointSlice{})
	case group == "networking.istio.io" && kind == "ServiceEntry":
		se := &networkingv1.ServiceEntry{}
		return se, "", decodeIstio(data, &se.TypeMeta, &se.ObjectMeta, &se.Spec, &se.Status)
	case group == "networking.istio.io" && kind == "WorkloadEntry":
		we := &networkingv1.WorkloadEntry{}
		return we, "", decodeIstio(data, &we.TypeMeta, &we.ObjectMeta, &we.Spec, nil)
	case group == "networking.istio.io" && kind == "Sidecar":
		sc := &networkingv1.Sidecar{}
		return sc, "", decodeIstio(data, &sc.TypeMeta, &sc.ObjectMeta, &sc.Spec, nil)
	case group == "networking.istio.io" && kind == "VirtualService":
		vs, err := decodeVirtualService(data)
		return vs, "", err
	case group == "networking.istio.io" && kind == "DestinationRule":
		dr, err := decodeDestinationRule(data)
		return dr, "", err
	case group == "networking.istio.io" && kind == "EnvoyFilter":
		ef, err := decodeEnvoyFilter(data)
		return ef, "", err
	case handledElsewhere[group+"/"+kind]:
		// Kinds that can shape a sidecar's outbound listeners but are not
		// modelled yet: skipped and counted as "KIND (not modelled yet)".
		return nil, skipLabel(group, kind), nil
	}
	if known, ok := builtinKinds[group]; ok && !contains(known, kind) {
		return nil, "", fieldErr("kind", "%s %s does not exist in Kubernetes (a cluster refuses it: no matches for kind)", apiVersion, kind)
	}
	if _, ok := builtinKinds[group]; ok && group != "" && apiVersion != group+"/v1" {
		return nil, "", fieldErr("apiVersion", "%s %s is not served by a current cluster; use %s/v1", apiVersion, kind, group)
	}
	if w, ok := templatedWorkload(data); ok {
		return w, "", nil
	}
	return nil, skipLabel(group, kind), nil
}

func decodeKube[T any](data []byte, obj *T) (any, string, error) {
	return obj, "", decodeStrict(data, obj)
}

// decodeIstio decodes an Istio object: metadata strictly as Kubernetes
// metadata, spec and status strictly as their protobuf messages.
func decodeIstio(data []byte, tm *metav1.TypeMeta, om *metav1.ObjectMeta, spec, status proto.Message) error {
	var parts struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Metadata   json.RawMessage `json:"metadata"`
		Spec       json.RawMessage `json:"spec"`
		Status     json.RawMessage `json:"status"`
	}
	if err := decodeStrict(data, &parts); err != nil {
		return err
	}
	tm.APIVersion, tm.Kind = parts.APIVersion, parts.Kind
	if len(parts.Metadata) > 0 {
		if err := decodeStrict(parts.Metadata, om); err != nil {
			return &fieldError{field: "metadata." + fieldOf(err), err: err}
		}
	}
	if len(parts.Spec) > 0 {
		if err := protojson.Unmarshal(parts.Spec, spec); err != nil {
			return &fieldError{field: "spec", err: errors.New(strings.ReplaceAll(err.Error(), "\u00a0", " "))}
		}
	}
	if len(parts.Status) > 0 && status != nil {
		if err := protojson.Unmarshal(parts.Status, status); err != nil {
			return &fieldError{field: "status", err: errors.New(strings.ReplaceAll(err.Error(), "\u00a0", " "))}
		}
	}
	return nil
}

// validateObject checks what a real API server (or Istio's CRD schema and
// webhook) would refuse, and what listenerlab needs to be well formed.
func validateObject(obj any) error {
	switch o := obj.(type) {
	case *corev1.Service:
		return validateService(o)
	case *networkingv1.ServiceEntry:
		return validateServiceEntry(o)
	case *networkingv1.Sidecar:
		for i, eg := range o.Spec.Egress {
			for j, h := range eg.Hosts {
				if strings.Count(h, "/") != 1 {
					return fieldErr(fmt.Sprintf("spec.egress[%d].hosts[%d]", i, j), "host %q must be namespace/dnsName", h)
				}
			}
			if eg.Bind != "" && !strings.HasPrefix(eg.Bind, "unix://") {
				if _, err := netip.ParseAddr(eg.Bind); err != nil {
					return fieldErr(fmt.Sprintf("spec.egress[%d].bind", i), "invalid IP %q", eg.Bind)
				}
			}
		}
	case *discoveryv1.EndpointSlice:
		for i, ep := range o.Endpoints {
			for j, a := range ep.Addresses {
				if o.AddressType != discoveryv1.AddressTypeFQDN {
					if _, err := netip.ParseAddr(a); err != nil {
						return fieldErr(fmt.Sprintf("endpoints[%d].addresses[%d]", i, j), "invalid IP %q", a)
					}
				}
			}
		}
	//lint:ignore SA1019 clusters still accept v1 Endpoints; they are checked like EndpointSlices.
	case *corev1.Endpoints:
		for i, ss := range o.Subsets {
			for j, a := range append(append([]corev1.EndpointAddress(nil), ss.Addresses...), ss.NotReadyAddresses...) {
				if _, err := netip.ParseAddr(a.IP); err != nil {
					field := fmt.Sprintf("subsets[%d].addresses[%d].ip", i, j)
					if j >= len(ss.Addresses) {
						field = fmt.Sprintf("subsets[%d].notReadyAddresses[%d].ip", i, j-len(ss.Addresses))
					}
					return fieldErr(field, "invalid IP %q", a.IP)
				}
			}
		}
	case *corev1.Pod:
		return validatePodIPs(o.Status)
	}
	return nil
}

// validatePodIPs checks a Pod manifest's own addresses as the API server
// checks a pod's status: valid IPs, at most one per family, and podIP the
// first of podIPs when both are written.
func validatePodIPs(st corev1.PodStatus) error {
	if st.PodIP != "" {
		if _, err := netip.ParseAddr(st.PodIP); err != nil {
			return fieldErr("status.podIP", "invalid IP %q", st.PodIP)
		}
	}
	var v4, v6 bool
	for i, ip := range st.PodIPs {
		field := fmt.Sprintf("status.podIPs[%d].ip", i)
		a, err := netip.ParseAddr(ip.IP)
		if err != nil {
			return fieldErr(field, "invalid IP %q", ip.IP)
		}
		if a.Is4() && v4 || a.Is6() && v6 {
			return fieldErr(field, "%s: a pod has at most one address of each family", ip.IP)
		}
		v4, v6 = v4 || a.Is4(), v6 || a.Is6()
	}
	if st.PodIP != "" && len(st.PodIPs) > 0 && st.PodIPs[0].IP != st.PodIP {
		return fieldErr("status.podIP", "%s is not status.podIPs[0] (%s): the first of a pod's addresses is its podIP", st.PodIP, st.PodIPs[0].IP)
	}
	return nil
}

func validateService(s *corev1.Service) error {
	if s.Name == "" {
		return fieldErr("metadata.name", "missing name")
	}
	if s.Spec.Type == corev1.ServiceTypeExternalName && s.Spec.ExternalName == "" {
		return fieldErr("spec.externalName", "type ExternalName needs externalName")
	}
	if s.Spec.ClusterIP != "" && s.Spec.ClusterIP != corev1.ClusterIPNone {
		if _, err := netip.ParseAddr(s.Spec.ClusterIP); err != nil {
			return fieldErr("spec.clusterIP", "invalid IP %q", s.Spec.ClusterIP)
		}
	}
	for i, ip := range s.Spec.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			continue
		}
		if _, err := netip.ParseAddr(ip); err != nil {
			return fieldErr(fmt.Sprintf("spec.clusterIPs[%d]", i), "invalid IP %q", ip)
		}
	}
	seen := map[string]int{}
	for i, p := range s.Spec.Ports {
		field := fmt.Sprintf("spec.ports[%d]", i)
		if p.Port < 1 || p.Port > 65535 {
			return fieldErr(field+".port", "port number missing or out of range (got %d)", p.Port)
		}
		if len(s.Spec.Ports) > 1 && p.Name == "" {
			return fieldErr(field+".name", "a Service with several ports must name each one")
		}
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		key := fmt.Sprintf("%d/%s", p.Port, proto)
		if j, dup := seen[key]; dup {
			return fieldErr(field+".port", "duplicate port %s (also spec.ports[%d])", key, j)
		}
		seen[key] = i
	}
	return nil
}

func validateServiceEntry(se *networkingv1.ServiceEntry) error {
	if len(se.Spec.Hosts) == 0 {
		return fieldErr("spec.hosts", "a ServiceEntry needs at least one host (resolution %s)", se.Spec.Resolution)
	}
	for i, h := range se.Spec.Hosts {
		if h == "" {
			return fieldErr(fmt.Sprintf("spec.hosts[%d]", i), "empty host")
		}
	}
	for i, a := range se.Spec.Addresses {
		if _, err := netip.ParseAddr(a); err == nil {
			continue
		}
		if _, err := netip.ParsePrefix(a); err != nil {
			return fieldErr(fmt.Sprintf("spec.addresses[%d]", i), "invalid IP or CIDR %q", a)
		}
	}
	seen := map[uint32]int{}
	for i, p := range se.Spec.Ports {
		field := fmt.Sprintf("spec.ports[%d]", i)
		if p.Number < 1 || p.Number > 65535 {
			return fieldErr(field+".number", "port number missing or out of range (got %d)", p.Number)
		}
		if p.Name == "" {
			return fieldErr(field+".name", "a ServiceEntry port needs a name")
		}
		if j, dup := seen[p.Number]; dup {
			return fieldErr(field+".number", "duplicate port %d (also spec.ports[%d])", p.Number, j)
		}
		seen[p.Number] = i
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

func (h *Header) validate() error {
	if !nameRE.MatchString(h.Name) {
		return fieldErr("name", "name %q must be lower case letters, digits, '-' and '.'", h.Name)
	}
	mesh, err := meshconfig.Check(h.MeshConfig)
	if err != nil {
		return meshFieldErr(err)
	}
	h.MeshConfig = mesh
	c := h.Client
	switch c.IPFamily {
	case "", "IPv4", "IPv6", "DualStack":
	default:
		return fieldErr("client.ipFamily", "%q is not IPv4, IPv6 or DualStack", c.IPFamily)
	}
	if err := h.validateClientIPs(); err != nil {
		return err
	}
	if c.Pod != "" && (len(c.Pod) > 253 || !nameRE.MatchString(c.Pod)) {
		return fieldErr("client.pod", "%q: %v", c.Pod, errNoPod)
	}
	switch c.InterceptionMode {
	case "", "REDIRECT", "TPROXY", "NONE":
	default:
		return fieldErr("client.interceptionMode", "%q is not REDIRECT, TPROXY or NONE", c.InterceptionMode)
	}
	for i, ref := range h.CreationOrder {
		if n := strings.Count(ref, "/"); n < 1 || n > 2 {
			return fieldErr(fmt.Sprintf("creationOrder[%d]", i), "%q is not Kind/name or Kind/namespace/name", ref)
		}
	}
	if _, err := versions.ParseRange(h.Versions); err != nil {
		return fieldErr("versions", "%v", err)
	}
	for i, e := range h.Expect {
		if _, err := versions.ParseRange(e.Versions); err != nil {
			return fieldErr(fmt.Sprintf("expect[%d].versions", i), "%v", err)
		}
		for j, r := range e.Requests {
			if err := r.check(); err != nil {
				return fieldErr(fmt.Sprintf("expect[%d].requests[%d]", i, j), "%v", err)
			}
		}
	}
	return nil
}

// AppliesTo reports whether the scenario applies to the version.
func (h *Header) AppliesTo(v versions.Version) bool {
	r, err := versions.ParseRange(h.Versions)
	return err == nil && r.Includes(v)
}

// ClientNamespace is the client's namespace, "default" when unset.
func (h *Header) ClientNamespace() string {
	if h.Client.Namespace == "" {
		return "default"
	}
	return h.Client.Namespace
}

// ClientLabels are the client's labels, app=client when unset.
func (h *Header) ClientLabels() map[string]string {
	if len(h.Client.Labels) == 0 {
		return map[string]string{"app": "client"}
	}
	return h.Client.Labels
}

// PodLabels returns the labels of the pods a workload manifest makes, and
// whether the manifest makes pods at all.
func PodLabels(obj any) (map[string]string, bool) {
	t, ok := PodTemplate(obj)
	if !ok {
		return nil, false
	}
	return t.Labels, true
}

// PodTemplate returns the template of the pods a workload manifest makes
// (a Pod's own metadata and spec), and whether the manifest makes pods:
// Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController, Job, CronJob, and a TemplatedWorkload whose
// template is known.
func PodTemplate(obj any) (*corev1.PodTemplateSpec, bool) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}, true
	case *appsv1.Deployment:
		return &o.Spec.Template, true
	case *appsv1.StatefulSet:
		return &o.Spec.Template, true
	case *appsv1.DaemonSet:
		return &o.Spec.Template, true
	case *appsv1.ReplicaSet:
		return &o.Spec.Template, true
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return &corev1.PodTemplateSpec{}, true
		}
		return o.Spec.Template, true
	case *batchv1.Job:
		return &o.Spec.Template, true
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template, true
	case *TemplatedWorkload:
		return o.Spec.Template, o.Spec.Template != nil
	}
	return nil, false
}

// validate checks what spans documents: unique objects, creationOrder
// references, and a client that names one workload (validateClient).
func (s *Scenario) validate() error {
	seen := map[string]int{}
	if s.Headerless {
		// Plain manifests are applied in order: a later definition updates
		// the object the first one created (kubectl apply -f).
		position := map[string]int{}
		var kept []Manifest
		for _, m := range s.Manifests {
			if i, dup := position[m.Ref()]; dup {
				s.Replaced = append(s.Replaced, Replacement{Ref: m.Kind + " " + m.Namespace + "/" + m.Name, Index: kept[i].Index, By: m.Index})
				kept[i] = m
				continue
			}
			position[m.Ref()] = len(kept)
			kept = append(kept, m)
		}
		s.Manifests = kept
	}
	for _, m := range s.Manifests {
		if j, dup := seen[m.Ref()]; dup {
			return &Error{Index: m.Index, Kind: m.Kind, Name: m.Name, Field: "metadata.name", Err: fmt.Errorf("duplicate %s (also document %d)", m.Ref(), j)}
		}
		seen[m.Ref()] = m.Index
	}
	for i, ref := range s.Header.CreationOrder {
		if _, ok := s.Find(ref); !ok {
			return &Error{Index: 1, Kind: "Scenario", Name: s.Header.Name, Field: fmt.Sprintf("creationOrder[%d]", i), Err: fmt.Errorf("no manifest %s in the file", ref)}
		}
	}
	return s.validateClient()
}

// Find looks up a manifest by "Kind/namespace/name" or "Kind/name" (in the
// default namespace).
func (s *Scenario) Find(ref string) (Manifest, bool) {
	parts := strings.Split(ref, "/")
	if len(parts) == 2 {
		parts = []string{parts[0], "default", parts[1]}
	}
	for _, m := range s.Manifests {
		if m.Kind == parts[0] && m.Namespace == parts[1] && m.Name == parts[2] {
			return m, true
		}
	}
	return Manifest{}, false
}
