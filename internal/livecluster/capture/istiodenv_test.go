package capture_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/internal/livecluster/capture"
	"github.com/listenerlab/listenerlab/meshconfig"
)

// TestCaptureReadsIstiodEnv: the header's istiod env is what the install
// set on the discovery container of the istiod Deployment serving the
// client (istiod, or istiod-REV for its istio.io/rev label): every flag
// the predictor models, as written, and no other.
func TestCaptureReadsIstiodEnv(t *testing.T) {
	modelled := map[string]string{}
	var all []corev1.EnvVar
	for _, f := range meshconfig.Flags {
		if f.Kind == meshconfig.Modelled {
			modelled[f.Name] = "true"
			all = append(all, corev1.EnvVar{Name: f.Name, Value: "true"})
		}
	}
	for _, tc := range []struct {
		name string
		// rev is the client's istio.io/rev label; deployment the name of
		// istiod's Deployment.
		rev, deployment string
		env             []corev1.EnvVar
		want            map[string]string
		// warning is part of a warning capture must give ("" for none).
		warning string
	}{
		{name: "ISTIO_DUAL_STACK", deployment: "istiod",
			env:  []corev1.EnvVar{{Name: "ISTIO_DUAL_STACK", Value: "true"}, {Name: "PILOT_TRACE_SAMPLING", Value: "1"}},
			want: map[string]string{"ISTIO_DUAL_STACK": "true"}},
		{name: "every modelled flag", deployment: "istiod", env: all, want: modelled},
		{name: "a flag the predictor models only for a newer Istio", deployment: "istiod",
			env:  []corev1.EnvVar{{Name: "PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER", Value: "true"}},
			want: map[string]string{"PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER": "true"}},
		{name: "no modelled flag", deployment: "istiod", env: []corev1.EnvVar{{Name: "PILOT_TRACE_SAMPLING", Value: "1"}}},
		{name: "a flag set from a reference", deployment: "istiod",
			env:     []corev1.EnvVar{{Name: "ISTIO_DUAL_STACK", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "dual"}}}},
			warning: "env ISTIO_DUAL_STACK: set from a reference"},
		{name: "a revision's istiod", rev: "canary", deployment: "istiod-canary",
			env:  []corev1.EnvVar{{Name: "ISTIO_DUAL_STACK", Value: "true"}},
			want: map[string]string{"ISTIO_DUAL_STACK": "true"}},
		{name: "a revision without its istiod", rev: "canary", deployment: "istiod",
			env:     []corev1.EnvVar{{Name: "ISTIO_DUAL_STACK", Value: "true"}},
			warning: "Deployment/istio-system/istiod-canary: not read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dualStackCluster(nil)
			ctx := context.Background()
			deps := c.Kube.AppsV1().Deployments("istio-system")
			if err := deps.Delete(ctx, "istiod", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: tc.deployment},
				Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "discovery", Image: "docker.io/istio/pilot:1.26.0", Env: tc.env}}}}}}
			if _, err := deps.Create(ctx, dep, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if tc.rev != "" {
				pods := c.Kube.CoreV1().Pods("app")
				p, err := pods.Get(ctx, "sleep", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				p.Labels["istio.io/rev"] = tc.rev
				if _, err := pods.Update(ctx, p, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
				cms := c.Kube.CoreV1().ConfigMaps("istio-system")
				if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: "istio-" + tc.rev}, Data: map[string]string{"mesh": "{}\n"}}, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			res, err := capture.Capture(ctx, c, capture.Options{Namespace: "app", Pod: "sleep", Now: func() time.Time { return at }})
			if err != nil {
				t.Fatal(err)
			}
			if got := load(t, res).Header.Istiod.Env; !maps.Equal(got, tc.want) {
				t.Errorf("istiod env %v, want %v", got, tc.want)
			}
			var warnings []string
			for _, w := range res.Warnings {
				warnings = append(warnings, w.String())
			}
			joined := strings.Join(warnings, "\n")
			if tc.warning == "" && joined != "" || tc.warning != "" && !strings.Contains(joined, tc.warning) {
				t.Errorf("warnings:\n%s\nwant one with %q", joined, tc.warning)
			}
		})
	}
}
