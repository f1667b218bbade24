package analyze

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/scenario/install"
)

// captureAnnotations are the pod annotations with which Istio's injector
// narrows what the sidecar captures (istio-iptables' -o, -x, -q and -i
// flags, the same for istio-cni).
var captureAnnotations = []string{
	"traffic.sidecar.istio.io/excludeOutboundPorts",
	"traffic.sidecar.istio.io/excludeOutboundIPRanges",
	"traffic.sidecar.istio.io/includeOutboundPorts",
	"traffic.sidecar.istio.io/includeOutboundIPRanges",
}

// captureFlags are istio-iptables' flags for the same, as kube-inject
// output writes them into the istio-init container's arguments: each short
// and long form, by its long name.
var captureFlags = map[string]string{
	"-o": "--outbound-ports-exclude", "--outbound-ports-exclude": "--outbound-ports-exclude",
	"-x": "--outbound-ip-ranges-exclude", "--outbound-ip-ranges-exclude": "--outbound-ip-ranges-exclude",
	"-q": "--outbound-ports-include", "--outbound-ports-include": "--outbound-ports-include",
	"-i": "--outbound-ip-ranges-include", "--outbound-ip-ranges-include": "--outbound-ip-ranges-include",
}

// captureNotModelled names what narrows a client's outbound capture:
// connections it leaves out bypass the sidecar, so a finding about them
// may not hold for traffic. listenerlab does not model capture rules yet;
// it says so instead of answering as if all traffic were captured.
func captureNotModelled(tmpl *corev1.PodTemplateSpec) []string {
	var out []string
	for _, a := range captureAnnotations {
		if v, ok := tmpl.Annotations[a]; ok && narrows(a, v) {
			out = append(out, fmt.Sprintf("annotation %s=%s", a, v))
		}
	}
	for _, c := range tmpl.Spec.InitContainers {
		if c.Name != "istio-init" {
			continue
		}
		args := append(append([]string{}, c.Command...), c.Args...)
		for i, a := range args {
			name, value, _ := strings.Cut(a, "=")
			long, ok := captureFlags[name]
			if !ok {
				continue
			}
			if value == "" && i+1 < len(args) {
				value = args[i+1]
			}
			if !narrows(long, value) {
				continue
			}
			out = append(out, fmt.Sprintf("istio-init %s %s", long, value))
		}
	}
	sort.Strings(out)
	return out
}

// includes are the capture settings that list what is captured; the rest
// list what is left out.
var includes = map[string]bool{
	"traffic.sidecar.istio.io/includeOutboundPorts":    true,
	"traffic.sidecar.istio.io/includeOutboundIPRanges": true,
	"--outbound-ports-include":                         true,
	"--outbound-ip-ranges-include":                     true,
}

// narrows reports whether a capture setting's value leaves traffic out:
// an empty one does not, nor an include of everything ("*", the default).
func narrows(setting, value string) bool {
	value = strings.Trim(value, `"' `)
	return value != "" && !(includes[setting] && value == "*")
}

// NotModelled is an input setting listenerlab met and does not model, on
// the client it applies to; mesh-wide ones (predictor.NotModelled: mesh
// config fields, istiod flags, the version) have no Client, and their
// Setting says what they change.
type NotModelled struct {
	Client  string `json:"client,omitempty"`
	Setting string `json:"setting"`
	// Effect says what the setting does to traffic that the findings do
	// not account for.
	Effect string `json:"effect,omitempty"`
}

// String is the note as every output prints it after "not modelled: ".
func (n NotModelled) String() string {
	s := n.Setting
	if n.Client != "" {
		s = n.Client + ": " + s
	}
	if n.Effect != "" {
		s += " (" + n.Effect + ")"
	}
	return s
}

// meshNotModelled is folder f's mesh-wide NotModelled notes, those not
// already noted (seen): for each client, the mesh config, istiod env and
// version of the control plane serving it (the folder's own when the
// install names none). A note of a revision other than the default says
// which.
func meshNotModelled(f *folder, o options, seen map[string]bool) []NotModelled {
	var out []NotModelled
	note := func(rev string, mesh map[string]any, env map[string]string, v versions.Version) {
		for _, s := range predictor.NotModelled(mesh, env, v) {
			if rev != "" && rev != install.DefaultRevision {
				s = "revision " + rev + ": " + s
			}
			if !seen[s] {
				seen[s] = true
				out = append(out, NotModelled{Setting: s})
			}
		}
	}
	planeless := len(f.clients) == 0
	for _, c := range f.clients {
		if p := c.plane; p != nil {
			note(p.Revision, p.MeshConfig, p.Env, p.Version)
		} else {
			planeless = true
		}
	}
	if planeless {
		note("", f.sc.Header.MeshConfig, f.sc.Header.Istiod.Env, o.version)
	}
	return out
}

// captureEffect is what narrowed capture means for the findings.
const captureEffect = "connections it leaves out bypass the sidecar: a finding about them may not hold for traffic"

// notModelled lists, for each checked client, what it carries that the
// prediction does not model.
func notModelled(clients []Client) []NotModelled {
	var out []NotModelled
	for _, c := range clients {
		if c.workload == nil {
			continue
		}
		tmpl, ok := scenario.PodTemplate(c.workload.Object)
		if !ok {
			continue
		}
		for _, s := range captureNotModelled(tmpl) {
			out = append(out, NotModelled{Client: c.Name, Setting: s, Effect: captureEffect})
		}
	}
	return out
}
