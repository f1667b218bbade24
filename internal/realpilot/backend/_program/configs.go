package main

import (
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	kubescheme "k8s.io/client-go/kubernetes/scheme"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pkg/config"
	kubelib "istio.io/istio/pkg/kube"
)

// clusterDomain is the cluster's DNS domain, the fake discovery server's
// default DomainSuffix and the one the World's hostnames use.
const clusterDomain = "cluster.local"

// istioConfigs turns the World's Istio objects into pilot configs.
//
// Decision: each object goes through crd.ParseInputs, the very parser behind
// FakeOptions.ConfigString, one object at a time. That runs Istio's
// validation (what a real cluster's CRD schema and validating webhook would
// refuse, e.g. a ServiceEntry port without a name, is refused here too), and
// parsing one object at a time lets the error name the object, which
// ConfigString's single "configuration is invalid" does not. The parsed
// configs are then passed as FakeOptions.Configs.
//
// ParseInputs keeps status (StatusJSONFromMap into the schema's status type),
// so ServiceEntry status.addresses reach pilot's auto-allocation lookup, and
// keeps metadata.creationTimestamp. An object without a timestamp gets t0,
// the same instant for all of them (as one `kubectl apply` would), because
// the in-memory store would otherwise stamp each with its own time.Now() and
// pilot's service order (creation time, then name, then namespace) would
// follow insertion order instead of names.
func istioConfigs(w *world, t0 time.Time) ([]config.Config, error) {
	lists := []struct {
		field, kind string
		raws        []json.RawMessage
	}{
		{"serviceEntries", "ServiceEntry", w.ServiceEntries},
		{"workloadEntries", "WorkloadEntry", w.WorkloadEntries},
		{"sidecars", "Sidecar", w.Sidecars},
		{"virtualServices", "VirtualService", w.VirtualServices},
		{"destinationRules", "DestinationRule", w.DestinationRules},
		{"envoyFilters", "EnvoyFilter", w.EnvoyFilters},
	}
	var out []config.Config
	for _, l := range lists {
		for i, raw := range l.raws {
			cfg, err := istioConfig(raw, l.kind)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", l.field, i, err)
			}
			if cfg.CreationTimestamp.IsZero() {
				cfg.CreationTimestamp = t0
			}
			// A cluster's config store (crdclient's TranslateObject) stamps
			// every config with the cluster domain; ParseInputs leaves it
			// empty, and ResolveShortnameToFQDN would then turn a
			// VirtualService's short host "echo" into "echo.NS" instead of
			// "echo.NS.svc.cluster.local".
			if cfg.Domain == "" {
				cfg.Domain = clusterDomain
			}
			out = append(out, cfg)
		}
	}
	return out, nil
}

func istioConfig(raw json.RawMessage, kind string) (config.Config, error) {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return config.Config{}, fmt.Errorf("%s: not a JSON object: %w", kind, err)
	}
	if obj == nil {
		return config.Config{}, fmt.Errorf("%s: null object", kind)
	}
	if s, _ := obj["apiVersion"].(string); s == "" {
		obj["apiVersion"] = "networking.istio.io/v1"
		if kind == "EnvoyFilter" { // EnvoyFilter has no v1
			obj["apiVersion"] = "networking.istio.io/v1alpha3"
		}
	}
	if s, _ := obj["kind"].(string); s == "" {
		obj["kind"] = kind
	}
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	// The same default as ConfigString (and kubectl without -n).
	if s, _ := meta["namespace"].(string); s == "" {
		meta["namespace"] = "default"
	}
	name, _ := meta["name"].(string)
	id := fmt.Sprintf("%s %s/%s", obj["kind"], meta["namespace"], name)
	if name == "" {
		return config.Config{}, fmt.Errorf("%s: metadata.name is required", id)
	}
	js, err := json.Marshal(obj)
	if err != nil {
		return config.Config{}, fmt.Errorf("%s: %w", id, err)
	}
	cfgs, others, err := crd.ParseInputs(string(js))
	if err != nil {
		return config.Config{}, fmt.Errorf("%s is invalid for this Istio version: %w", id, err)
	}
	if len(others) > 0 {
		return config.Config{}, fmt.Errorf("%s: apiVersion %v is not a kind this Istio version knows", id, obj["apiVersion"])
	}
	if len(cfgs) != 1 {
		return config.Config{}, fmt.Errorf("%s: parsed into %d configs, want 1", id, len(cfgs))
	}
	// ParseInputs only logs a status it cannot decode and drops it; a
	// dropped ServiceEntry status would silently lose its addresses.
	if st, _ := obj["status"].(map[string]any); len(st) > 0 && cfgs[0].Status == nil {
		return config.Config{}, fmt.Errorf("%s: status could not be read by this Istio version", id)
	}
	return cfgs[0], nil
}

// kubernetesObjects returns the World's Kubernetes objects for the fake
// client. An object without a creationTimestamp gets t0, the same instant as
// the Istio objects (Services take part in the same creation-time order as
// ServiceEntries). The kube registry copies the timestamp into
// model.Service.CreationTime.
func kubernetesObjects(w *world, t0 time.Time) []runtime.Object {
	stamp := func(m *metav1.ObjectMeta) {
		if m.CreationTimestamp.IsZero() {
			m.CreationTimestamp = metav1.NewTime(t0)
		}
	}
	var objs []runtime.Object
	for i := range w.Namespaces {
		stamp(&w.Namespaces[i].ObjectMeta)
		objs = append(objs, &w.Namespaces[i])
	}
	for i := range w.Services {
		stamp(&w.Services[i].ObjectMeta)
		objs = append(objs, &w.Services[i])
	}
	for i := range w.Pods {
		stamp(&w.Pods[i].ObjectMeta)
		objs = append(objs, &w.Pods[i])
	}
	for i := range w.EndpointSlices {
		stamp(&w.EndpointSlices[i].ObjectMeta)
		objs = append(objs, &w.EndpointSlices[i])
	}
	return objs
}

// fakeKubeClient is the fake Kubernetes client the fake discovery server
// reads, holding objs.
//
// Decision: the objects are put in the clientset's tracker with Add, the
// way client-go's own fake.NewClientset(objs...) seeds a clientset, not
// with the Create that NewFakeClient's setupFakeClient uses. Create goes
// through the field-managed tracker, which in client-go 0.35 and later
// (Istio 1.30 on) builds a REST mapper of the whole Kubernetes scheme
// for every object: about 40% of a batch's CPU on those versions, for
// managedFields that listener generation never reads. Add files each
// object under the resource its kind guesses (services, pods, namespaces,
// endpointslices: the same resources Create is given) and, like Create,
// refuses a second object of the same name. The kind and apiVersion are
// stamped as Create stamps them. The informers start later, in the
// server, so they list exactly these objects either way.
func fakeKubeClient(objs []runtime.Object) (kubelib.Client, error) {
	c := kubelib.NewFakeClientWithVersion("")
	cs, ok := c.Kube().(*kubefake.Clientset)
	if !ok {
		return nil, fmt.Errorf("the fake kube client's clientset is a %T, not client-go's fake", c.Kube())
	}
	tracker := cs.Tracker()
	for _, o := range objs {
		o = o.DeepCopyObject()
		gvks, _, err := kubescheme.Scheme.ObjectKinds(o)
		if err != nil || len(gvks) == 0 {
			return nil, fmt.Errorf("%T: no Kubernetes kind: %v", o, err)
		}
		o.GetObjectKind().SetGroupVersionKind(gvks[0])
		if err := tracker.Add(o); err != nil {
			m := o.(metav1.Object)
			return nil, fmt.Errorf("%s %s/%s: %w", gvks[0].Kind, m.GetNamespace(), m.GetName(), err)
		}
	}
	return c, nil
}
