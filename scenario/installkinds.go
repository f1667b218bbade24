package scenario

import (
	"encoding/json"
	"strings"
)

// InstallKind says what the loader does with an object that may describe
// the Istio install.
type InstallKind int

const (
	// InstallNone is any other object.
	InstallNone InstallKind = iota
	// InstallRead is read as the install only (never a skipped object):
	// an IstioOperator, an istiod HelmRelease or Argo CD Application, a
	// mesh ConfigMap istio-REV of istio-system, a revision tag webhook.
	InstallRead
	// InstallMaybe is kept for the install (a ConfigMap a HelmRelease's
	// valuesFrom may name) and also loaded or skipped as usual.
	InstallMaybe
)

// IstiodChart is the name of Istio's control plane Helm chart.
const IstiodChart = "istiod"

// InstallKindOf classifies an object by apiVersion, kind, namespace and
// name, and for HelmReleases and Applications by the chart they install.
func InstallKindOf(apiVersion, kind, namespace, name string, data []byte) InstallKind {
	group, _, _ := strings.Cut(apiVersion, "/")
	switch {
	case group == "install.istio.io" && kind == "IstioOperator":
		return InstallRead
	case group == "helm.toolkit.fluxcd.io" && kind == "HelmRelease", group == "argoproj.io" && kind == "Application":
		if installsIstiod(data) {
			return InstallRead
		}
	case apiVersion == "v1" && kind == "ConfigMap":
		// istio-REV of istio-system with a mesh key is a revision's mesh
		// config (istio-ca-root-cert, istio-sidecar-injector and the
		// leader election ConfigMaps have none); the istio ConfigMap
		// itself is read by the loader as well.
		if namespace == MeshNamespace && strings.HasPrefix(name, MeshConfigMap+"-") && hasMeshKey(data) {
			return InstallRead
		}
		return InstallMaybe
	case group == "admissionregistration.k8s.io" && kind == "MutatingWebhookConfiguration":
		if strings.HasPrefix(name, "istio-revision-tag-") || strings.HasPrefix(name, "istio-sidecar-injector") {
			return InstallRead
		}
	}
	return InstallNone
}

// installsIstiod reports whether a Flux HelmRelease (spec.chart.spec.chart)
// or an Argo CD Application (spec.source.chart, spec.sources[].chart)
// installs the istiod chart.
func installsIstiod(data []byte) bool {
	var o struct {
		Spec struct {
			Chart struct {
				Spec struct {
					Chart string `json:"chart"`
				} `json:"spec"`
			} `json:"chart"`
			Source  *struct{ Chart string }  `json:"source"`
			Sources []struct{ Chart string } `json:"sources"`
		} `json:"spec"`
	}
	if json.Unmarshal(data, &o) != nil {
		return false
	}
	if o.Spec.Chart.Spec.Chart == IstiodChart || o.Spec.Source != nil && o.Spec.Source.Chart == IstiodChart {
		return true
	}
	for _, src := range o.Spec.Sources {
		if src.Chart == IstiodChart {
			return true
		}
	}
	return false
}

// hasMeshKey reports whether a ConfigMap has data.mesh.
func hasMeshKey(data []byte) bool {
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if json.Unmarshal(data, &cm) != nil {
		return false
	}
	_, ok := cm.Data["mesh"]
	return ok
}
