package scenario

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TemplatedWorkload is an object of a custom resource whose spec carries a
// pod template (spec.template with containers), or refers to a Deployment
// for one (spec.workloadRef): Argo Rollouts' Rollout, OpenKruise's
// CloneSet and Advanced StatefulSet, and any controller of that shape. Its
// controller runs pods from the template, so they get sidecars and are
// clients like a Deployment's. Recognized by shape, not by kind.
type TemplatedWorkload struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              TemplatedWorkloadSpec `json:"spec"`
}

// TemplatedWorkloadSpec is the part of such a spec listenerlab reads.
type TemplatedWorkloadSpec struct {
	Replicas *int32                  `json:"replicas,omitempty"`
	Template *corev1.PodTemplateSpec `json:"template,omitempty"`
	// WorkloadRef names a Deployment of the same namespace whose template
	// the controller runs (Argo Rollouts' workloadRef).
	WorkloadRef *WorkloadRef `json:"workloadRef,omitempty"`
}

// WorkloadRef is a reference to the object that holds a workload's pod
// template.
type WorkloadRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// templatedWorkload decodes an object of a kind outside Kubernetes' and
// Istio's groups when it has a pod template's shape; ok is false for any
// other object (skipped as today). Decoding is lenient: the rest of a
// custom resource's spec is its controller's business.
func templatedWorkload(data []byte) (*TemplatedWorkload, bool) {
	var w TemplatedWorkload
	if json.Unmarshal(data, &w) != nil {
		return nil, false
	}
	switch {
	case w.Spec.Template != nil && len(w.Spec.Template.Spec.Containers) > 0:
		return &w, true
	case w.Spec.Template == nil && w.Spec.WorkloadRef != nil && w.Spec.WorkloadRef.Kind == "Deployment" && w.Spec.WorkloadRef.Name != "":
		return &w, true
	}
	return nil, false
}

// ResolveWorkloadRefs gives each templated workload that refers to a
// Deployment (workloadRef) the template of that Deployment in its
// namespace, as Argo Rollouts runs it. A reference to a Deployment not in
// ms leaves the workload without a template (WorkloadRefMissing says so).
func ResolveWorkloadRefs(ms []Manifest) {
	for _, m := range ms {
		w, ok := m.Object.(*TemplatedWorkload)
		if !ok || w.Spec.Template != nil || w.Spec.WorkloadRef == nil {
			continue
		}
		for _, d := range ms {
			if d.Kind == "Deployment" && d.Namespace == m.Namespace && d.Name == w.Spec.WorkloadRef.Name {
				if t, ok := PodTemplate(d.Object); ok {
					w.Spec.Template = t.DeepCopy()
				}
			}
		}
	}
}

// WorkloadRefMissing explains a templated workload whose workloadRef names
// a Deployment the input lacks: it runs no pod listenerlab can check.
func WorkloadRefMissing(obj any) (string, bool) {
	w, ok := obj.(*TemplatedWorkload)
	if !ok || w.Spec.Template != nil || w.Spec.WorkloadRef == nil {
		return "", false
	}
	return "its workloadRef names Deployment " + w.Namespace + "/" + w.Spec.WorkloadRef.Name + ", which the input does not hold", true
}
