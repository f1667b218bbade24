package kindcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// Hub is where the release images of Istio are published.
const Hub = "docker.io/istio"

// ConfigAnnotation on istio-system records the istiod settings installed,
// so a kept cluster is reinstalled only when a scenario group needs other
// settings.
const ConfigAnnotation = "listenerlab.io/istiod-config"

// IstiodConfig is what scenarios may change about istiod: feature flags
// (environment) and mesh config. Scenarios with equal settings share one
// install.
type IstiodConfig struct {
	Env        map[string]string `json:"env,omitempty"`
	MeshConfig map[string]any    `json:"meshConfig,omitempty"`
}

// Key identifies the settings: equal settings, equal keys.
func (c IstiodConfig) Key() string {
	b, _ := json.Marshal(c) // maps marshal with sorted keys
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:12]
}

// String is the settings for messages: "defaults" or the JSON.
func (c IstiodConfig) String() string {
	if len(c.Env) == 0 && len(c.MeshConfig) == 0 {
		return "defaults"
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// Overlay is the IstioOperator file istioctl install reads beside the
// --set flags: the minimal profile, small proxy requests so that many
// scenarios fit a laptop, one istiod replica (its debug endpoints then
// know every proxy), and the scenario group's env and mesh config.
func (c IstiodConfig) Overlay() ([]byte, error) {
	env := map[string]any{}
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env[k] = c.Env[k]
	}
	op := map[string]any{
		"apiVersion": "install.istio.io/v1alpha1",
		"kind":       "IstioOperator",
		"metadata":   map[string]any{"name": "listenerlab", "namespace": clusterdefaults.IstioNamespace},
		"spec": map[string]any{
			"profile": "minimal",
			"components": map[string]any{"pilot": map[string]any{"k8s": map[string]any{
				"replicaCount": 1,
				"resources":    map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "256Mi"}},
			}}},
			"values": map[string]any{
				"pilot": map[string]any{"autoscaleEnabled": false, "env": env},
				"global": map[string]any{"proxy": map[string]any{"resources": map[string]any{
					"requests": map[string]any{"cpu": "10m", "memory": "40Mi"},
				}}},
			},
		},
	}
	if len(c.MeshConfig) > 0 {
		op["spec"].(map[string]any)["meshConfig"] = c.MeshConfig
	}
	return yaml.Marshal(op)
}

// InstallArgs is istioctl's argument vector installing Istio v with the
// overlay file: the images are named explicitly (hub and the release tag)
// because istioctl built from the module does not know its own release.
func InstallArgs(v versions.Version, overlayFile string) ([]string, error) {
	if v.Image == "" {
		return nil, fmt.Errorf("no release images of Istio %s (%s): it can be checked with make verify, not in kind", v.Label, v.Note)
	}
	return []string{"install", "-y", "-f", overlayFile,
		"--set", "hub=" + Hub, "--set", "tag=" + v.Image,
		"--readiness-timeout", "5m"}, nil
}
