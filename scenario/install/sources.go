package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/listenerlab/listenerlab/meshconfig"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/scenario"
)

// revisionName is how a revision value reads: "" is the default revision.
func revisionName(rev string) string {
	if rev == "" {
		return DefaultRevision
	}
	return rev
}

// istioOperator reads an IstioOperator: spec.meshConfig over
// spec.values.meshConfig, spec.revision, spec.values as the istiod
// chart's values, spec.components.pilot.k8s.env over the rendered env.
func (r *reader) istioOperator(o scenario.InstallObject) {
	var iop struct {
		Metadata struct {
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Spec struct {
			Profile    string         `json:"profile"`
			Revision   string         `json:"revision"`
			Tag        any            `json:"tag"`
			MeshConfig map[string]any `json:"meshConfig"`
			Values     map[string]any `json:"values"`
			Components struct {
				Pilot struct {
					Enabled *bool `json:"enabled"`
					K8s     struct {
						Env []corev1.EnvVar `json:"env"`
					} `json:"k8s"`
				} `json:"pilot"`
			} `json:"components"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(o.JSON, &iop); err != nil {
		r.fail(o, "spec", err)
		return
	}
	s := iop.Spec
	if enabled := s.Components.Pilot.Enabled; enabled != nil && !*enabled || enabled == nil && s.Profile == "empty" {
		// Installs no istiod: the empty profile (manifests/profiles/
		// empty.yaml) disables pilot, as gateway-only operators use it.
		return
	}
	values := deepCopy(s.Values)
	if s.MeshConfig != nil {
		values["meshConfig"] = mergeOverwrite(mapAt(values, "meshConfig"), s.MeshConfig)
	}
	if s.Revision != "" {
		values["revision"] = s.Revision
	}
	switch s.Profile {
	case "", "default", "minimal", "demo", "empty", "remote", "preview", "ambient", "openshift", "openshift-ambient":
	default:
		r.note("%s: spec.profile %s: the profile's own values are not read", where(o), s.Profile)
	}
	if s.Tag != nil {
		r.note("%s: spec.tag %v: give --istio %s=VERSION to predict with that Istio version", where(o), s.Tag, revisionName(s.Revision))
	}
	ns := iop.Metadata.Namespace
	if g := stringAt(values, "global", "istioNamespace"); g != "" {
		ns = g
	}
	l, ok := r.chart(o, values, ns, "spec.values")
	if !ok {
		return
	}
	env, err := envOf(s.Components.Pilot.K8s.Env)
	if err != nil {
		r.fail(o, "spec.components.pilot.k8s.env", err)
		return
	}
	r.notUnread(o, "spec.components.pilot.k8s.env", s.Components.Pilot.K8s.Env)
	for k, v := range env {
		l.env[k] = v // a strategic merge patch by name
	}
	r.charts = append(r.charts, l)
}

// helmRelease reads a Flux HelmRelease of the istiod chart: its valuesFrom
// ConfigMaps in order, then spec.values merged over them.
func (r *reader) helmRelease(o scenario.InstallObject) {
	var hr struct {
		Metadata struct {
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Spec struct {
			TargetNamespace string         `json:"targetNamespace"`
			Values          map[string]any `json:"values"`
			ValuesFrom      []struct {
				Kind       string `json:"kind"`
				Name       string `json:"name"`
				ValuesKey  string `json:"valuesKey"`
				TargetPath string `json:"targetPath"`
				Optional   bool   `json:"optional"`
			} `json:"valuesFrom"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(o.JSON, &hr); err != nil {
		r.fail(o, "spec", err)
		return
	}
	values := map[string]any{}
	for i, vf := range hr.Spec.ValuesFrom {
		field := fmt.Sprintf("spec.valuesFrom[%d]", i)
		if vf.Kind != "ConfigMap" || vf.TargetPath != "" {
			r.note("not modelled: %s: %s (%s %s, targetPath %q) is not read: only whole ConfigMap values are", where(o), field, vf.Kind, vf.Name, vf.TargetPath)
			continue
		}
		key := vf.ValuesKey
		if key == "" {
			key = "values.yaml"
		}
		data, found, err := r.configMapKey(o.Namespace, vf.Name, key)
		switch {
		case err != nil:
			r.fail(o, field, err)
			return
		case !found && !vf.Optional:
			r.note("not modelled: %s: %s: ConfigMap %s/%s key %s is not in the input", where(o), field, o.Namespace, vf.Name, key)
			continue
		case !found:
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(data), &m); err != nil {
			r.fail(o, field, fmt.Errorf("ConfigMap %s key %s: not YAML: %w", vf.Name, key, err))
			return
		}
		values = mergeOverwrite(values, m)
	}
	values = mergeOverwrite(values, hr.Spec.Values)
	ns := hr.Spec.TargetNamespace
	if ns == "" {
		ns = hr.Metadata.Namespace
	}
	if l, ok := r.chart(o, values, ns, "spec.values"); ok {
		r.charts = append(r.charts, l)
	}
}

// configMapKey finds key of ConfigMap ns/name among the install objects.
func (r *reader) configMapKey(ns, name, key string) (string, bool, error) {
	o, ok := r.objects["v1|ConfigMap|"+ns+"|"+name]
	if !ok {
		return "", false, nil
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(o.JSON, &cm); err != nil {
		return "", false, fmt.Errorf("ConfigMap %s/%s: %w", ns, name, err)
	}
	v, ok := cm.Data[key]
	return v, ok, nil
}

// application reads an Argo CD Application of the istiod chart:
// helm.values (a YAML string), then helm.valuesObject over it.
func (r *reader) application(o scenario.InstallObject) {
	type source struct {
		Chart string `json:"chart"`
		Helm  *struct {
			Values       string         `json:"values"`
			ValuesObject map[string]any `json:"valuesObject"`
			ValueFiles   []string       `json:"valueFiles"`
			Parameters   []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"parameters"`
		} `json:"helm"`
	}
	var app struct {
		Spec struct {
			Source      *source  `json:"source"`
			Sources     []source `json:"sources"`
			Destination struct {
				Namespace string `json:"namespace"`
			} `json:"destination"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(o.JSON, &app); err != nil {
		r.fail(o, "spec", err)
		return
	}
	field, src := "spec.source", app.Spec.Source
	for i := range app.Spec.Sources {
		if app.Spec.Sources[i].Chart == scenario.IstiodChart {
			field, src = fmt.Sprintf("spec.sources[%d]", i), &app.Spec.Sources[i]
		}
	}
	if src == nil {
		return
	}
	values := map[string]any{}
	if h := src.Helm; h != nil {
		if err := yaml.Unmarshal([]byte(h.Values), &values); err != nil {
			r.fail(o, field+".helm.values", fmt.Errorf("not YAML: %w", err))
			return
		}
		if values == nil {
			values = map[string]any{}
		}
		values = mergeOverwrite(values, h.ValuesObject)
		if len(h.ValueFiles) > 0 {
			r.note("not modelled: %s: %s.helm.valueFiles %s are not read (give them with --values)", where(o), field, strings.Join(h.ValueFiles, ", "))
		}
		for _, p := range h.Parameters {
			r.note("not modelled: %s: %s.helm.parameters %s=%s is not read", where(o), field, p.Name, p.Value)
		}
	}
	if l, ok := r.chart(o, values, app.Spec.Destination.Namespace, field+".helm"); ok {
		r.charts = append(r.charts, l)
	}
}

// valuesFile reads --values FILE.
func (r *reader) valuesFile(v ValuesFile) {
	o := scenario.InstallObject{File: v.Path}
	var values map[string]any
	if err := yaml.Unmarshal(v.Data, &values); err != nil {
		r.errs = append(r.errs, &scenario.Error{File: v.Path, Err: fmt.Errorf("not Helm values YAML: %w", err)})
		return
	}
	if values == nil {
		values = map[string]any{}
	}
	l, ok := r.chartAs(o, values, scenario.MeshNamespace, "", "--values "+v.Path)
	if ok {
		r.charts = append(r.charts, l)
	}
}

// meshConfigMap reads the ConfigMap istio or istio-REV of istio-system.
func (r *reader) meshConfigMap(o scenario.InstallObject) {
	rev, ok := strings.CutPrefix(o.Name, scenario.MeshConfigMap+"-")
	if o.Name == scenario.MeshConfigMap {
		rev, ok = DefaultRevision, true
	}
	if !ok {
		return
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(o.JSON, &cm); err != nil {
		r.fail(o, "data", err)
		return
	}
	data, has := cm.Data["mesh"]
	if !has {
		return
	}
	mesh, err := meshconfig.AsIstiod([]byte(data))
	if err != nil && rev != DefaultRevision {
		// The cluster takes it: istiod reads what it can (mesh). The
		// scenario loader reports the default revision's ConfigMap,
		// which it reads too.
		r.fail(o, "data.mesh", err)
	}
	r.configMaps = append(r.configMaps, layer{revision: rev, from: where(o), mesh: mesh})
}

// tagWebhook reads a revision tag webhook (istio-revision-tag-TAG, labels
// istio.io/tag and istio.io/rev), as revision-tags.yaml and istioctl tag
// make it.
func (r *reader) tagWebhook(o scenario.InstallObject) {
	var wh struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(o.JSON, &wh); err != nil {
		r.fail(o, "metadata.labels", err)
		return
	}
	tag, rev := wh.Metadata.Labels["istio.io/tag"], wh.Metadata.Labels[scenario.LabelRevision]
	if tag == "" || rev == "" {
		return // a revision's own injector webhook
	}
	r.addTag(tag, rev, where(o))
}

// deployment reads the env of an istiod Deployment's discovery container.
func (r *reader) deployment(m *scenario.Manifest, locate func(*scenario.Manifest) string) {
	d, ok := m.Object.(*appsv1.Deployment)
	if !ok || m.Namespace != scenario.MeshNamespace || m.Name != "istiod" && !strings.HasPrefix(m.Name, "istiod-") {
		return
	}
	o := scenario.InstallObject{Index: m.Index, Kind: m.Kind, Namespace: m.Namespace, Name: m.Name}
	if locate != nil {
		o.File, _, _ = strings.Cut(locate(m), "#")
	}
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name != "discovery" {
			continue
		}
		env, err := envOf(c.Env)
		if err != nil {
			//lint:ignore ST1005 Deployment is a kind's name
			r.errs = append(r.errs, fmt.Errorf("Deployment %s/%s: spec.template.spec.containers[%d].env: %w", m.Namespace, m.Name, i, err))
			return
		}
		rev := revisionName(env["REVISION"])
		if env["REVISION"] == "" && m.Name != "istiod" {
			rev = strings.TrimPrefix(m.Name, "istiod-")
		}
		r.notUnread(o, fmt.Sprintf("spec.template.spec.containers[%d].env", i), c.Env)
		from := "Deployment " + m.Namespace + "/" + m.Name
		if locate != nil {
			from = locate(m) + " (" + from + ")"
		}
		r.deployments = append(r.deployments, layer{revision: rev, from: from, env: env})
	}
}

// chartEnvFromRefs are the env names the istiod chart sets from the pod
// (fieldRef, resourceFieldRef); none changes outbound listeners.
var chartEnvFromRefs = map[string]bool{"POD_NAME": true, "POD_NAMESPACE": true, "SERVICE_ACCOUNT": true, "GOMEMLIMIT": true, "GOMAXPROCS": true}

// notUnread names env entries set with valueFrom: their value is not in
// the input.
func (r *reader) notUnread(o scenario.InstallObject, field string, env []corev1.EnvVar) {
	for _, e := range env {
		if e.ValueFrom != nil && !chartEnvFromRefs[e.Name] {
			r.note("not modelled: %s: %s: istiod env %s is set with valueFrom; its value is not in the input", where(o), field, e.Name)
		}
	}
}

// envOf is the literal values of an env list (valueFrom entries left out).
func envOf(list []corev1.EnvVar) (map[string]string, error) {
	out := map[string]string{}
	for _, e := range list {
		if e.Name == "" {
			return nil, errors.New("an entry without name")
		}
		if e.ValueFrom == nil {
			out[e.Name] = e.Value
		}
	}
	return out, nil
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
