// Package install reads the Istio install from the input: the control
// plane revisions it runs, each one's mesh config and istiod environment,
// and which revision injects each namespace and pod.
//
// Sources, per revision REV ("default" for the install without one):
//
//   - the ConfigMap istio (default) or istio-REV of istio-system, key
//     mesh: what istiod of that revision reads (pilot/pkg/bootstrap/mesh.go
//     getMeshConfigMapName);
//   - an IstioOperator (install.istio.io): spec.meshConfig merged over
//     spec.values.meshConfig, spec.revision, spec.values (the istiod
//     chart's values, pilot.env among them) and
//     spec.components.pilot.k8s.env, patched onto the discovery container
//     (operator/pkg/render manifest.go translateIstioOperatorToHelm,
//     postprocess.go);
//   - istiod Helm values: --values FILE, a Flux HelmRelease of chart
//     istiod (spec.valuesFrom ConfigMaps in order, then spec.values over
//     them) or an Argo CD Application of chart istiod
//     (spec.source(s).helm.values, then valuesObject over it). The chart
//     (manifests/charts/istio-control/istio-discovery, 1.26) renders the
//     mesh ConfigMap from its own defaults deep-merged with
//     values.meshConfig (templates/configmap.yaml mergeOverwrite), and
//     istiod's env from values.env and pilot.env (pilot.* is copied over
//     the top level, templates/zzy_descope_legacy.yaml, 1.24 and later);
//   - the istiod Deployment (istiod or istiod-REV in istio-system,
//     container discovery): its env as written.
//
// Precedence, when several say different things about one revision:
// what istiod reads wins. A mesh ConfigMap in the input is the object
// istiod reads, so it wins over mesh config rendered from an
// IstioOperator or Helm values; an istiod Deployment's env wins over
// rendered env. Both cases are ambiguous in a real cluster (the operator
// or Helm controller rewrites the object it owns on its next reconcile),
// so each is said as a note. Two chart installs of one revision (an
// IstioOperator and a HelmRelease, say) fight the same way: the later in
// input order is taken, with a note. --values FILE replaces the input's
// chart values of its revision; --mesh-config FILE replaces the mesh
// config of every revision.
package install
