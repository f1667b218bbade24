package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// worldFormat is the only World interchange format this program reads. It
// must equal world.Format in the main module.
const worldFormat = "listenerlab.world/v1"

// resultFormat names what this program writes on stdout. It must equal
// backend.ResultFormat in the main module. v2: the push's records travel
// raw as pushStatus, no longer parsed into conflicts here.
const resultFormat = "listenerlab.pilot-result/v2"

// world mirrors world.World of the main module (this program is its own
// module and cannot import it). Kubernetes objects decode into this Istio
// version's own Kubernetes types; Istio objects stay raw JSON so that they go
// through Istio's own CRD parsing and validation (see configs.go).
type world struct {
	Format     string            `json:"format"`
	Scenario   string            `json:"scenario"`
	Client     client            `json:"client"`
	Env        map[string]string `json:"env,omitempty"`
	MeshConfig map[string]any    `json:"meshConfig,omitempty"`

	Namespaces      []corev1.Namespace          `json:"namespaces,omitempty"`
	Services        []corev1.Service            `json:"services,omitempty"`
	Pods            []corev1.Pod                `json:"pods,omitempty"`
	EndpointSlices  []discoveryv1.EndpointSlice `json:"endpointSlices,omitempty"`
	ServiceEntries  []json.RawMessage           `json:"serviceEntries,omitempty"`
	WorkloadEntries []json.RawMessage           `json:"workloadEntries,omitempty"`
	Sidecars        []json.RawMessage           `json:"sidecars,omitempty"`

	VirtualServices  []json.RawMessage `json:"virtualServices,omitempty"`
	DestinationRules []json.RawMessage `json:"destinationRules,omitempty"`
	EnvoyFilters     []json.RawMessage `json:"envoyFilters,omitempty"`
}

// client mirrors world.Client.
type client struct {
	Name             string            `json:"name"`
	Namespace        string            `json:"namespace"`
	Labels           map[string]string `json:"labels,omitempty"`
	IPs              []string          `json:"ips"`
	ServiceAccount   string            `json:"serviceAccount,omitempty"`
	InterceptionMode string            `json:"interceptionMode"`
	DNSCapture       bool              `json:"dnsCapture,omitempty"`
	DNSAutoAllocate  bool              `json:"dnsAutoAllocate,omitempty"`
	Unprivileged     bool              `json:"unprivileged,omitempty"`
}

// decodeWorld checks the format first, so that a World of another format is
// refused by name instead of being half decoded.
func decodeWorld(data []byte) (*world, error) {
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("reading World: not a JSON object: %w", err)
	}
	if head.Format != worldFormat {
		return nil, fmt.Errorf("reading World: format %q is not supported: this backend reads only %q "+
			"(rebuild the backend from the same listenerlab version that wrote the World)", head.Format, worldFormat)
	}
	// Strict: a field this mirror does not know (the main module's World
	// grew one, or an object carries a field this version's Kubernetes types
	// lack) is an error, never silently dropped.
	w := &world{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(w); err != nil {
		return nil, fmt.Errorf("reading World (format %s): %w", worldFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("reading World (format %s): data after the World object", worldFormat)
	}
	if w.Client.Name == "" || w.Client.Namespace == "" {
		return nil, fmt.Errorf("reading World: client.name and client.namespace are required")
	}
	if len(w.Client.IPs) == 0 {
		return nil, fmt.Errorf("reading World: client %s.%s has no ips", w.Client.Name, w.Client.Namespace)
	}
	return w, nil
}
