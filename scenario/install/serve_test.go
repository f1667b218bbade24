package install

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/predictor/versions"
)

// TestServing follows the istiod chart's webhooks (1.26
// mutatingwebhook.yaml, revision-tags.yaml): namespace
// istio-injection=enabled before any revision label, a namespace's
// istio.io/rev before the pod's, tags to their revision.
func TestServing(t *testing.T) {
	in := &Install{Tags: map[string]string{"prod-stable": "1-26", "default": "1-26"}}
	ns := func(l map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: l}}
	}
	tests := []struct {
		name string
		ns   *corev1.Namespace
		pod  map[string]string
		want string
	}{
		{"no labels: default tag's revision", nil, nil, "1-26"},
		{"istio-injection=enabled wins over pod rev", ns(map[string]string{"istio-injection": "enabled"}), map[string]string{"istio.io/rev": "canary"}, "1-26"},
		{"namespace rev", ns(map[string]string{"istio.io/rev": "canary"}), nil, "canary"},
		{"namespace rev over pod rev", ns(map[string]string{"istio.io/rev": "canary"}), map[string]string{"istio.io/rev": "other"}, "canary"},
		{"pod rev in unlabelled namespace", ns(nil), map[string]string{"istio.io/rev": "canary"}, "canary"},
		{"tag", ns(map[string]string{"istio.io/rev": "prod-stable"}), nil, "1-26"},
		{"rev default is the default tag's", ns(map[string]string{"istio.io/rev": "default"}), nil, "1-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, why := in.Serving(tt.ns, tt.pod); got != tt.want {
				t.Errorf("Serving = %s (%s), want %s", got, why, tt.want)
			}
		})
	}
	// Without a default tag, the default revision is "default".
	if got, _ := (&Install{}).Serving(ns(map[string]string{"istio-injection": "enabled"}), nil); got != DefaultRevision {
		t.Errorf("no tags: Serving = %s, want default", got)
	}
}

// TestRevisionTagsAndChoose: revisionTags values and a tag webhook map
// tags to revisions; Choose gives each revision its version.
func TestRevisionTagsAndChoose(t *testing.T) {
	in := read(t, "/f.yaml", `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: canary, namespace: istio-system}
spec:
  revision: canary
  values: {revisionTags: [prod-canary]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-revision-tag-prod-stable
  labels: {istio.io/tag: prod-stable, istio.io/rev: stable}
webhooks: []
`)
	want := map[string]string{"prod-canary": "canary", "prod-stable": "stable"}
	for tag, rev := range want {
		if in.Tags[tag] != rev {
			t.Errorf("tag %s -> %q, want %s", tag, in.Tags[tag], rev)
		}
	}
	old, _, _ := versions.Resolve("1.26")
	if err := in.Choose(versions.Newest(), map[string]versions.Version{"stable": old}, []string{"default"}); err != nil {
		t.Fatal(err)
	}
	if got := in.Planes["stable"].Version.Label; got != old.Label {
		t.Errorf("stable: version %s, want %s", got, old.Label)
	}
	if got := in.Planes["canary"].Version.Label; got != versions.Newest().Label {
		t.Errorf("canary: version %s, want the default %s", got, versions.Newest().Label)
	}
	if err := in.Choose(versions.Newest(), map[string]versions.Version{"canry": old}, nil); err == nil {
		t.Error("Choose accepted a revision nothing uses")
	}
}
