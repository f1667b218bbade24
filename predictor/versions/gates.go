package versions

// Version gates: each behaviour that differs between Istio versions is one
// method here, named after the behaviour, so a rule reads
// v.ServiceEntryServicePerAddress() instead of v.Minor >= 25. Each names the
// Istio source it was read from and the catalogued versions it was checked
// on; the scenarios pin the same differences against real pilot. Where the
// boundary falls between two catalogued versions (1.24 and 1.26), 1.25 was
// neither read nor run: the gate puts it with the newer versions.

// IPAutoallocateByDefault reports whether istiod's ServiceEntry IP
// allocation controller runs when PILOT_ENABLE_IP_AUTOALLOCATE is not set:
// it writes allocated addresses to ServiceEntry status, and pilot no longer
// hashes 240.240.x.y addresses itself.
//
// Source: pilot/pkg/features/pilot.go EnableIPAutoallocate, default false in
// 1.24, true in 1.26, 1.27, 1.30 and 1.31-dev.
func (v Version) IPAutoallocateByDefault() bool { return v.Minor >= 25 }

// ServiceEntryServicePerAddress reports whether a ServiceEntry with several
// addresses becomes one service per host and address; before, one service
// per host holds every address as its VIPs (one listener, the other
// addresses as additional addresses).
//
// Source: pilot/pkg/serviceregistry/serviceentry/conversion.go
// convertServices: per host, all addresses in ClusterVIPs in 1.24; one
// service per serviceEntry.Addresses entry in 1.26, 1.27, 1.30 and 1.31-dev.
func (v Version) ServiceEntryServicePerAddress() bool { return v.Minor >= 25 }

// HTTPInspectorAddsTLSInspector reports whether a listener that gets the
// http_inspector also gets the tls_inspector, even with no chain matching
// on SNI.
//
// Source: pilot/pkg/networking/core/listener.go buildListenerFromEntry:
// "if needTLSInspector || needHTTPInspector" in 1.24; "if needTLSInspector"
// in 1.26, 1.27, 1.30 and 1.31-dev.
func (v Version) HTTPInspectorAddsTLSInspector() bool { return v.Minor <= 24 }

// SidecarExactHostLookup reports whether a Sidecar egress listener whose
// imports are all "namespace/exact-host" looks its services up by host and
// namespace: one (the oldest) service per pair, in creation order, with no
// private-first order.
//
// Source: pilot/pkg/model/sidecar.go servicesForExactHosts, present in
// 1.31-dev (master of 2026-08-27), absent in 1.24, 1.26, 1.27 and the 1.30
// branch.
func (v Version) SidecarExactHostLookup() bool { return v.Minor >= 31 }

// VirtualServiceExclusions reports whether a Sidecar egress exclusion
// ("~ns/host") also keeps a VirtualService for that host out of the egress
// listener; before, exclusions removed services only.
//
// Source: pilot/pkg/model/virtualservice.go SelectVirtualServices: the
// "Excluded(h)" check in addVirtualService in 1.31-dev (master of
// 2026-08-27), absent in 1.24, 1.26, 1.27 and the 1.30 branch.
func (v Version) VirtualServiceExclusions() bool { return v.Minor >= 31 }

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
func (v Version) ServiceEntryServicesByResourceName() bool { return v.Minor >= 30 }
