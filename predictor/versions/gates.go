package versions

import (
	"fmt"
	"slices"
)

// Version gates: each behaviour that differs between Istio versions is one
// method here, named after the behaviour, so a rule reads
// v.ServiceEntryServicePerAddress() instead of v.Minor >= 25. Each names the
// Istio source it was read from and the catalogued versions it was checked
// on; the scenarios pin the same differences against real pilot. Where the
// boundary falls between two catalogued versions (1.24 and 1.26), 1.25 was
// neither read nor run: the gate puts it with the newer versions.
//
// A catalogued version's gates follow its minor (byMinor below, checked on
// every catalogued version). A version on demand also has its Istio source
// read (ReadSource, source.go): a gate its source decides follows the
// source, because a development snapshot's minor says little; the
// 2026-04-23 master snapshot says VERSION 1.31 but has release-1.30's
// Sidecar lookup.

// Gate names one behaviour that differs between Istio versions; each has a
// method of Version named after it, and a scenario expectation may be
// limited to the versions that have it (versions: "SidecarExactHostLookup",
// or "!SidecarExactHostLookup" for those that lack it).
type Gate string

// The gates, named after their methods.
const (
	GateIPAutoallocateByDefault            Gate = "IPAutoallocateByDefault"
	GateServiceEntryServicePerAddress      Gate = "ServiceEntryServicePerAddress"
	GateHTTPInspectorAddsTLSInspector      Gate = "HTTPInspectorAddsTLSInspector"
	GateSidecarExactHostLookup             Gate = "SidecarExactHostLookup"
	GateVirtualServiceExclusions           Gate = "VirtualServiceExclusions"
	GateServiceEntryServicesByResourceName Gate = "ServiceEntryServicesByResourceName"
	GateSidecarHostExclusions              Gate = "SidecarHostExclusions"
	GateDualStackFirstFamily               Gate = "DualStackFirstFamily"
	GatePrivateServicesFirst               Gate = "PrivateServicesFirst"
	GateAbsoluteFQDNAltHosts               Gate = "AbsoluteFQDNAltHosts"
	GateDefaultExportToNamespaces          Gate = "DefaultExportToNamespaces"
	GateServiceEntryVisibility             Gate = "ServiceEntryVisibility"
	GateAutoOverAutoMergesTCP              Gate = "AutoOverAutoMergesTCP"
	GateHeadlessFilterChainFlag            Gate = "HeadlessFilterChainFlag"
	GateAllowAnyDynamicDNS                 Gate = "AllowAnyDynamicDNS"
	GateRedirectPrefixRewrite              Gate = "RedirectPrefixRewrite"
)

// byMinor is each gate's rule for a version whose source does not decide
// it: the minor versions that have the behaviour.
var byMinor = map[Gate]func(minor int) bool{
	GateIPAutoallocateByDefault:            func(m int) bool { return m >= 25 },
	GateServiceEntryServicePerAddress:      func(m int) bool { return m >= 25 },
	GateHTTPInspectorAddsTLSInspector:      func(m int) bool { return m <= 24 },
	GateSidecarExactHostLookup:             func(m int) bool { return m >= 31 },
	GateVirtualServiceExclusions:           func(m int) bool { return m >= 31 },
	GateServiceEntryServicesByResourceName: func(m int) bool { return m >= 30 },
	GateSidecarHostExclusions:              func(m int) bool { return m >= 31 },
	GateDualStackFirstFamily:               func(m int) bool { return m >= 25 },
	GatePrivateServicesFirst:               func(m int) bool { return m <= 27 },
	GateAbsoluteFQDNAltHosts:               func(m int) bool { return m >= 27 },
	GateDefaultExportToNamespaces:          func(m int) bool { return m >= 30 },
	GateServiceEntryVisibility:             func(m int) bool { return m >= 31 },
	GateAutoOverAutoMergesTCP:              func(m int) bool { return m >= 32 },
	GateHeadlessFilterChainFlag:            func(m int) bool { return m >= 32 },
	GateAllowAnyDynamicDNS:                 func(m int) bool { return m >= 31 },
	GateRedirectPrefixRewrite:              func(m int) bool { return m >= 31 },
}

// Gates lists every gate, sorted by name.
func Gates() []Gate {
	out := make([]Gate, 0, len(byMinor))
	for g := range byMinor {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// Has reports whether the version has the gate's behaviour: what its Istio
// source says where it was read (Source), else the rule by minor.
func (v Version) Has(g Gate) bool {
	if has, ok := v.Source[g]; ok {
		return has
	}
	rule, ok := byMinor[g]
	return ok && rule(v.Minor)
}

// FromSource lists the gates where the version's source says otherwise
// than its minor would, as "Gate=false", sorted: what a provenance note
// says about a version on demand.
func (v Version) FromSource() []string {
	var out []string
	for _, g := range Gates() {
		if has, ok := v.Source[g]; ok && has != byMinor[g](v.Minor) {
			out = append(out, fmt.Sprintf("%s=%t", g, has))
		}
	}
	return out
}

// IPAutoallocateByDefault reports whether istiod's ServiceEntry IP
// allocation controller runs when PILOT_ENABLE_IP_AUTOALLOCATE is not set:
// it writes allocated addresses to ServiceEntry status, and pilot no longer
// hashes 240.240.x.y addresses itself.
//
// Source: pilot/pkg/features/pilot.go EnableIPAutoallocate, default false in
// 1.24, true in 1.26, 1.27, 1.30 and 1.31-dev.
func (v Version) IPAutoallocateByDefault() bool { return v.Has(GateIPAutoallocateByDefault) }

// ServiceEntryServicePerAddress reports whether a ServiceEntry with several
// addresses becomes one service per host and address; before, one service
// per host holds every address as its VIPs (one listener, the other
// addresses as additional addresses).
//
// Source: pilot/pkg/serviceregistry/serviceentry/conversion.go
// convertServices: per host, all addresses in ClusterVIPs in 1.24; one
// service per serviceEntry.Addresses entry in 1.26, 1.27, 1.30 and 1.31-dev.
func (v Version) ServiceEntryServicePerAddress() bool {
	return v.Has(GateServiceEntryServicePerAddress)
}

// HTTPInspectorAddsTLSInspector reports whether a listener that gets the
// http_inspector also gets the tls_inspector, even with no chain matching
// on SNI.
//
// Source: pilot/pkg/networking/core/listener.go buildListenerFromEntry:
// "if needTLSInspector || needHTTPInspector" in 1.24; "if needTLSInspector"
// in 1.26, 1.27, 1.30 and 1.31-dev.
func (v Version) HTTPInspectorAddsTLSInspector() bool {
	return v.Has(GateHTTPInspectorAddsTLSInspector)
}

// SidecarExactHostLookup reports whether a Sidecar egress listener whose
// imports are all "namespace/exact-host" looks its services up by host and
// namespace: one (the oldest) service per pair, in creation order, with no
// private-first order.
//
// Source: pilot/pkg/model/sidecar.go servicesForExactHosts, present in
// 1.31-dev (master of 2026-08-27), absent in 1.24, 1.26, 1.27 and the 1.30
// branch.
func (v Version) SidecarExactHostLookup() bool { return v.Has(GateSidecarExactHostLookup) }

// VirtualServiceExclusions reports whether a Sidecar egress exclusion
// ("~ns/host") also keeps a VirtualService for that host out of the egress
// listener; before, exclusions removed services only.
//
// Source: pilot/pkg/model/virtualservice.go SelectVirtualServices: the
// "Excluded(h)" check in addVirtualService in 1.31-dev (master of
// 2026-08-27), absent in 1.24, 1.26, 1.27 and the 1.30 branch.
func (v Version) VirtualServiceExclusions() bool { return v.Has(GateVirtualServiceExclusions) }

// ServiceEntryServicesByResourceName reports whether a ServiceEntry's
// services are kept by resource name (namespace, ServiceEntry, host and
// address), so the same address listed twice (10.0.0.5 and 10.0.0.5/32) is
// one service; before, each entry of addresses was a service of its own,
// and the second one conflicted with the first on their listener.
//
// Source: pilot/pkg/serviceregistry/serviceentry/controller.go
// ServiceWithInstances.ResourceName (a krt collection keyed by
// model.Service.ResourceName) in 1.30 and 1.31-dev; servicesBySE, a plain
// list per ServiceEntry, in store.go of 1.24, 1.26 and 1.27. Pinned by the
// scenario serviceentry/same-address-twice.
func (v Version) ServiceEntryServicesByResourceName() bool {
	return v.Has(GateServiceEntryServicesByResourceName)
}

// SidecarHostExclusions reports whether a Sidecar egress host whose
// namespace starts with "~" excludes services ("~/*", "~ns/host");
// before, "~" is only the namespace of nothing: such an entry imports
// nothing and excludes nothing, so "istio-system/*" beside "~/*" still
// imports istiod.
//
// Source: pilot/pkg/model/sidecar.go excludePrefix and
// hostClassification.Excluded in 1.31-dev; absent in 1.24, 1.26, 1.27,
// the 1.30 branch and the 2026-04-23 master snapshot. Found by listenerlab
// fuzz (seed 30); pinned by the scenario
// sidecar/egress-tilde-namespace-excludes-from-1-31.
func (v Version) SidecarHostExclusions() bool { return v.Has(GateSidecarHostExclusions) }

// DualStackFirstFamily reports whether a dual-stack proxy takes a
// service's addresses of the family of its first address; before, it took
// the IPv4 addresses whenever the service had one, so a service listed
// IPv6 first listened on its first IPv4 address.
//
// Source: pilot/pkg/model/service.go filterAddresses, which
// GetAddressForProxy and getAllAddressesForProxy apply: IPv4 first in
// 1.24; the first address's family (firstAddrFamily) in 1.26 and 1.27,
// moved to pilot/pkg/util/network/ip.go FilterAddressesByIPFamily in 1.30
// and 1.31-dev.
func (v Version) DualStackFirstFamily() bool { return v.Has(GateDualStackFirstFamily) }

// AbsoluteFQDNAltHosts reports whether the other names istiod derives from
// a hostname (a Service's short forms, used for HTTP virtual hosts and for
// the server names an ExternalName alias adds to its target's SNI chain)
// include the hostname's absolute form, with a trailing dot
// ("db.prod.svc.cluster.local."), when PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN
// is not set: the flag exists and defaults to true. istiod's environment
// can still turn it off (the predictor reads it).
//
// Source: pilot/pkg/networking/core/httproute.go GenerateAltVirtualHosts
// reads features.EnableAbsoluteFqdnVhostDomain, registered in
// pilot/pkg/features/pilot.go with default true, in 1.27, 1.30 and
// 1.31-dev (and the 2026-04-23 master snapshot); 1.24 and 1.26 have no
// such flag and no trailing-dot name. Found by listenerlab fuzz (seed
// 20261590); pinned by the scenarios kubernetes/externalname-alias-sni-*.
func (v Version) AbsoluteFQDNAltHosts() bool { return v.Has(GateAbsoluteFQDNAltHosts) }

// PrivateServicesFirst reports whether the services a namespace sees list
// those of its own namespace exported privately ("." or its own name)
// before those other namespaces export to it by name, then the public
// ones; later, private and named exports are one list in creation order.
//
// Source: pilot/pkg/model/push_context.go servicesExportedToNamespace:
// privateByNamespace[ns] then exportedToNamespace[ns] in 1.24, 1.26, 1.27
// (and the 2026-04-23 master snapshot), and by the release table in every
// release up to 1.30.2; exportedToNamespace[ns] alone in 1.30 (the branch
// of 2026-08-26), 1.31-dev and from 1.30.3 (the backport of
// istio/istio#60726), so the rule by minor is wrong for 1.28.0-1.30.2. Found by listenerlab fuzz (seed 100002479); pinned by
// visibility/private-before-exported-by-name.
func (v Version) PrivateServicesFirst() bool { return v.Has(GatePrivateServicesFirst) }

// DefaultExportToNamespaces reports whether the mesh config's
// defaultServiceExportTo and defaultVirtualServiceExportTo are read as a
// whole exportTo list, as an object's own exportTo is ("." and named
// namespaces both count); before, only "." (the object's namespace, which
// wins over "*") or "*" was honoured, and a list holding neither, such as
// ["shared"], exported the objects to no namespace at all.
//
// Source: pilot/pkg/model/push_context.go initServiceRegistry and
// initVirtualServices: "exportToSet := ps.exportToDefaults.service" (the
// default taken as the exportTo set) in 1.30 (the branch of 2026-08-26),
// 1.31-dev and from 1.30.3 (istio/istio#60701 and its backport #60819);
// "exportToDefaults.service.Contains(visibility.Private)" in 1.24, 1.26,
// 1.27 and every release up to 1.30.2, so the rule by minor is wrong for
// 1.30.0-1.30.2. Pinned by the scenarios mesh/default-service-exportto-*.
func (v Version) DefaultExportToNamespaces() bool { return v.Has(GateDefaultExportToNamespaces) }

// ServiceEntryVisibility reports whether the mesh config's
// serviceEntryVisibility, with applyToSidecars, caps the exportTo of
// ServiceEntry services by the visibility its policies give their
// namespace (by namespace labels): NAMESPACE keeps them in their own
// namespace, NONE hides them.
//
// Source: pilot/pkg/model/push_context.go serviceExportTo
// ("GetServiceEntryVisibility().GetApplyToSidecars()") and
// pilot/pkg/model/serviceentry_visibility.go in 1.31-dev and every 1.31
// tag (istio/istio#60870); absent in 1.24, 1.26, 1.27 and 1.30, whose
// istio.io/api has no such field. Pinned by the scenarios
// mesh/serviceentry-visibility-*.
func (v Version) ServiceEntryVisibility() bool { return v.Has(GateServiceEntryVisibility) }

// AutoOverAutoMergesTCP reports whether an auto-detected port that meets
// a listener which already sniffs (auto over auto) has its TCP chains
// merged into it, as TCP over auto: a chain with a match of its own is
// added, one whose match an earlier chain has is dropped and recorded as
// a conflict. Before, istiod returned early and added nothing, recording
// no conflict.
//
// Source: pilot/pkg/networking/core/listener.go buildSidecarOutboundListener,
// the ListenerProtocolAuto case: "conflictType = TCPOverAuto" and "goto
// handleConflict" in master (1.32-dev, commit 86c9f01 of 2026-08-22;
// istio/istio#60642, commit 75893e6febb); "Exit early, listener already
// exists" in 1.24, 1.26, 1.27, 1.30, 1.31-dev and every 1.31 tag.
func (v Version) AutoOverAutoMergesTCP() bool { return v.Has(GateAutoOverAutoMergesTCP) }

// HeadlessFilterChainFlag reports whether istiod has
// PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER (default false): when set,
// a headless service's TCP port (TCP, TLS, HTTPS, Mongo, MySQL, Redis; not
// an auto-detected one) gets one chain per endpoint, matched by the
// endpoint's addresses, on the wildcard listener 0.0.0.0_PORT instead of
// one listener per endpoint, and a TLS port's chain matches no SNI.
//
// Source: pilot/pkg/features/pilot.go EnableHeadlessFilterChainListener,
// read by pilot/pkg/networking/core/listener.go
// buildSidecarOutboundListeners (headlessPodCIDR) and tls.go
// buildSidecarOutboundTLSFilterChainOpts, in master (1.32-dev;
// istio/istio#60642); absent in 1.24-1.31-dev and every 1.31 tag.
func (v Version) HeadlessFilterChainFlag() bool { return v.Has(GateHeadlessFilterChainFlag) }

// AllowAnyDynamicDNS reports whether pilot knows the mesh config's
// outboundTrafficPolicy mode ALLOW_ANY_DYNAMIC_DNS: a sidecar scope in
// that mode passes unmatched TCP and TLS through as ALLOW_ANY does. A
// version whose istio.io/api has the mode but whose pilot does not (the
// 1.30 branch) copies it into the sidecar scope as a mode that is not
// ALLOW_ANY, so IsAllowAnyOutbound is false and unmatched connections go
// to BlackHoleCluster, as under REGISTRY_ONLY.
//
// Source: pilot/pkg/networking/util/util.go IsAllowAnyDynamicDNSOutbound,
// read by pilot/pkg/networking/core/listener_builder.go, in 1.31-dev and
// the 1.31 tags; absent in 1.24-1.30 (only IsAllowAnyOutbound). Found by
// listenerlab fuzz on 1.30 (seed 14 of --seed 1).
func (v Version) AllowAnyDynamicDNS() bool { return v.Has(GateAllowAnyDynamicDNS) }

// RedirectPrefixRewrite reports whether an HTTPRedirect's prefixRewrite
// becomes the redirect's prefix_rewrite (the matched prefix replaced)
// instead of its uri becoming path_redirect.
//
// Source: pilot/pkg/networking/core/route/route.go ApplyRedirect, in
// 1.31-dev and the 1.31 tags; before, the field is not read (and
// "%PREFIX()%" in uri means the same for Gateway API routes only).
func (v Version) RedirectPrefixRewrite() bool { return v.Has(GateRedirectPrefixRewrite) }
