// Package predictor predicts the outbound listeners Istio's control plane
// builds for a sidecar, with the reason for each listener and chain and
// every conflict. It is pure: a World and a version in, listeners, reasons,
// conflicts and findings out; no Kubernetes client, no Istio module, no I/O.
//
// # Rule index
//
// One row per rule, roughly in the order a listener is built: what the rule
// decides; here, the file and functions of this package; the Istio function
// it models, under istio.io/istio, with the catalogued versions whose source
// holds it in brackets (checked in the module cache); the versions it
// applies to, with the predictor/versions gate that selects it; the finding
// codes it raises (described in finding.go). TestRuleIndex fails when a
// function named here does not exist, when a function that models Istio or
// raises a finding has no row, or when a code or gate is unknown.
//
//	| rule | here | Istio [source checked in] | applies to | finding |
//	|---|---|---|---|---|
//	| A Kubernetes Service is one service: its ClusterIPs, ports and exportTo annotation; headless is passthrough, ExternalName an alias | services.go kubeServices | pilot/pkg/serviceregistry/kube/conversion.go ConvertService [all] | all | - |
//	| A Service's endpoints come from its EndpointSlices, paired with its ports by name | services.go kubeServices, slicePortMatches | pilot/pkg/serviceregistry/kube/controller/endpointslice.go updateEndpointCacheForSlice [all] | all | - |
//	| A Kubernetes port's protocol: UDP, then appProtocol, then the name before its first dash; an unknown name is TCP on 25, 53, 3306 and 27017, else auto-detect | protocol.go kubeProtocol | pkg/config/kube/conversion.go ConvertProtocol, wellKnownPorts [all] | all | - |
//	| A protocol name parses case-insensitively; an unknown one means auto-detect | protocol.go parseProtocol | pkg/config/protocol/instance.go Parse [all] | all | - |
//	| A port's protocol picks its listener class: HTTP, TCP, auto-detect, or none (UDP) | protocol.go class | pilot/pkg/networking/networking.go ModelProtocolToListenerProtocol [all] | all | - |
//	| A ServiceEntry is one service per host and address; a /32 or /128 CIDR is an IP; no address is 0.0.0.0 plus the allocation controller's status addresses | services.go serviceEntryServices | pilot/pkg/serviceregistry/serviceentry/conversion.go convertServices [all] | >=1.25 (ServiceEntryServicePerAddress) | - |
//	| A ServiceEntry is one service per host holding all its addresses as VIPs | services.go serviceEntryServices | pilot/pkg/serviceregistry/serviceentry/conversion.go convertServices [all] | <=1.24 (!ServiceEntryServicePerAddress) | - |
//	| A ServiceEntry's endpoints: its inline endpoints, then the WorkloadEntries and pods its workloadSelector picks in its namespace | services.go serviceEntryEndpoints | pilot/pkg/serviceregistry/serviceentry/conversion.go convertServiceEntryToInstances, convertWorkloadEntryToWorkloadInstance [all] | all | - |
//	| The ServiceEntry IP allocation controller runs unless PILOT_ENABLE_IP_AUTOALLOCATE says otherwise | predictor.go Predict | pilot/pkg/features/pilot.go EnableIPAutoallocate [all] | >=1.25 (IPAutoallocateByDefault) | - |
//	| Without the controller, pilot hashes each address-less ServiceEntry host to 240.240.x.y | autoalloc.go hashAllocate | pilot/pkg/serviceregistry/serviceentry/controller.go autoAllocateIPs [1.24-1.27]; pilot/pkg/serviceregistry/serviceentry/auto_allocation.go autoAllocateIPs [1.30, 1.31-dev] | controller off: <=1.24 by default (!IPAutoallocateByDefault) | - |
//	| Services are processed oldest first, then by name, then by namespace | services.go sortByCreation | pilot/pkg/model/push_context.go SortServicesByCreationTime [all] | all | - |
//	| Wildcard and localhost addresses follow the proxy's IP families | scope.go wildcards, localhosts | pilot/pkg/networking/core/listener_address.go getWildcardsAndLocalHost [all] | all | - |
//	| A proxy uses auto-allocated addresses only with allocation on and DNS capture on | scope.go usesAutoIPs | pilot/pkg/model/service.go nodeUsesAutoallocatedIPs [all] | all | - |
//	| Addresses keep the proxy's families; a dual-stack proxy without ISTIO_DUAL_STACK keeps the first address's family | scope.go family | pilot/pkg/model/service.go filterAddresses [1.24-1.27]; pilot/pkg/util/network/ip.go FilterAddressesByIPFamily [1.30, 1.31-dev] | all | - |
//	| A service's address for the proxy: its ClusterIP, else its auto-allocated VIP, else its default address; the rest are extra addresses | scope.go address, extraAddresses | pilot/pkg/model/service.go GetAddressForProxy, GetExtraAddressesForProxy [all] | all | - |
//	| Visibility by exportTo; services exported privately or by name come before public ones | scope.go visibleTo | pilot/pkg/model/push_context.go servicesExportedToNamespace [all] | all | - |
//	| The Sidecar that applies: the oldest whose selector matches in the proxy's namespace, else the namespace's without selector, else the root namespace's | scope.go selectSidecar | pilot/pkg/model/push_context.go getSidecarScope [all] | all | - |
//	| Egress listeners: one per Sidecar egress entry; no Sidecar or no egress is one catch-all importing */* | scope.go egressListeners | pilot/pkg/model/sidecar.go convertToSidecarScope, convertIstioListenerToWrapper [all]; pilot/pkg/model/sidecar.go initSidecarScopeInternalIndexes [1.27-1.31-dev] | all | - |
//	| Imports that are all exact namespace/host pairs are looked up per pair: the oldest service each, in creation order | scope.go exactHostServices, allExact | pilot/pkg/model/sidecar.go servicesForExactHosts [1.31-dev] | >=1.31 (SidecarExactHostLookup) | - |
//	| Imports by namespace/host with ~ exclusions and host wildcards; one namespace per hostname (the proxy's, else a Kubernetes Service) | scope.go selectServices, hostMatches | pilot/pkg/model/sidecar.go selectServices [all] | all | - |
//	| An egress port imports a service only if it has that port, and only with that port | scope.go trimToPort | pilot/pkg/model/sidecar.go serviceMatchingListenerPort [all] | all | - |
//	| Unmatched traffic goes to PassthroughCluster, or BlackHoleCluster under REGISTRY_ONLY (the Sidecar's policy, else the mesh's) | predictor.go registryOnly; virtual.go VirtualOutbound | pilot/pkg/networking/core/listener_builder.go buildVirtualOutboundListener [all]; pilot/pkg/model/sidecar.go convertToSidecarScope [all] | all | - |
//	| Egress entries in order: a bind or capture NONE binds to the port; a catch-all entry locks the listeners explicit ports built | build.go run | pilot/pkg/networking/core/listener.go buildSidecarOutboundListeners [all] | all | - |
//	| A port the proxy cannot bind (unprivileged, below 1024) or a reserved sidecar port gets no listener | build.go canBind | pilot/pkg/model/context.go CanBindToPort [all] | all | PortSkipped |
//	| A passthrough service without a VIP gets one listener per endpoint for its TCP and auto-detected ports | build.go perEndpoint | pilot/pkg/networking/core/listener.go buildSidecarOutboundListeners [all] | all | NoEndpoints, EndpointSkipped, ManyEndpointListeners |
//	| An ExternalName alias and a UDP port get no listener | build.go add | pilot/pkg/networking/core/listener.go buildSidecarOutboundListener [all] | all | AliasNoListener, UDPNoListener |
//	| TCP and auto-detected ports listen on the service's address (a CIDR: the wildcard with a prefix match); HTTP ports share the wildcard | build.go chooseBinds, addressReason | pilot/pkg/networking/core/listener.go buildSidecarOutboundListener [all] | all | AutoAddressUnused |
//	| A port meeting a listener of the same name: the conflict type, from the incoming and existing protocols | build.go classify | pilot/pkg/networking/core/listener.go buildSidecarOutboundListener [all] | all | SniffedListenerTaken |
//	| A server-first protocol (MySQL, Mongo) never shares a listener with another protocol | build.go add | pilot/pkg/networking/core/listener.go isConflictWithWellKnownPort [all] | all | ServerFirstConflict |
//	| HTTP chains route by port (host:port for a sniffed service on its own address); on the wildcard they match HTTP ALPNs behind the http_inspector | build.go buildChains, httpChains | pilot/pkg/networking/core/listener.go buildSidecarOutboundHTTPListenerOpts [all] | all | - |
//	| TCP chains go to outbound|PORT||HOST; TLS without a VIP of its own is matched by SNI | build.go tcpChains | pilot/pkg/networking/core/listener.go buildSidecarOutboundTCPListenerOpts [all] | all | - |
//	| A conflict makes a new entry, a merge that turns the listener sniffed, or a merge of TCP chains | build.go apply | pilot/pkg/networking/core/listener.go buildSidecarOutboundListener [all] | all | - |
//	| A chain whose match equals an existing chain's is dropped: the service processed first wins | build.go merge, conflictsWith, whyFirst | pilot/pkg/networking/core/listener.go mergeTCPFilterChains, conflictsWith [all] | all | Shadowed |
//	| A match-all chain becomes the default chain; without one the default is the catch-all; a wildcard listener's match-all takes every connection | predictor.go finalize | pilot/pkg/networking/core/listener.go buildListenerFromEntry [all] | all | Hijack |
//	| The tls_inspector is added wherever the http_inspector is | predictor.go finalize | pilot/pkg/networking/core/listener.go buildListenerFromEntry [all] | <=1.24 (HTTPInspectorAddsTLSInspector) | - |
//	| Overlapping prefix ranges on one listener: Envoy picks the longest prefix | overlap.go cidrOverlaps | Envoy FilterChainManagerImpl::findFilterChainForDestinationIP (Envoy, not read here) | all | CIDROverlap |
//	| A ServiceEntry address or CIDR containing a ClusterIP on the same port: where Envoy sends that connection | overlap.go clusterIPOverlaps, clusterIPOverlap; route.go route, pickChain | Envoy findActiveListenerByAddress, FilterChainManagerImpl::findFilterChain (Envoy, not read here) | all | ClusterIPOverlap |
//	| A server-first port on a listener with the http_inspector stalls until detection times out | sniff.go serverFirstSniffed, serverFirstPort | pilot/pkg/networking/core/listener.go buildListenerFromEntry [all]; pkg/config/kube/conversion.go wellKnownPorts [all] | all | ServerFirstSniffed |
package predictor
