package meshconfig

// Kind classifies a mesh config field or an istiod flag by what it does to
// a sidecar's outbound listeners and the routes of its HTTP chains.
type Kind string

const (
	// Modelled: the predictor applies it (Why names the rule).
	Modelled Kind = "modelled"
	// NoOutboundEffect: Istio's source shows it does not change a sidecar's
	// outbound listeners (listener set, addresses, filter chain matches,
	// destinations) nor the routes of its HTTP chains.
	NoOutboundEffect Kind = "no outbound effect"
	// NotModelled: it can change them, and listenerlab does not model it;
	// a set value is named on every output.
	NotModelled Kind = "not modelled"
)

// Field is one MeshConfig field (top-level, or a ProxyConfig field of
// defaultConfig) of the newest API.
type Field struct {
	// Name is the field's path below meshConfig, in JSON form:
	// "outboundTrafficPolicy", "defaultConfig.proxyMetadata".
	Name string
	Kind Kind
	// Why is the rule that models it (Modelled), why it has no outbound
	// effect, or what it changes (NotModelled).
	Why string
	// Source is the Istio source (istio/istio, master) that shows it.
	Source string
	// Since is the first minor whose MeshConfig has the field (from each
	// minor's .0 tag's istio.io/api pin); 0 for fields 1.24 already has.
	Since int
	// Default is Istio's default value as JSON (pkg/config/mesh/mesh.go
	// DefaultMeshConfig), for NotModelled fields: a value equal to it is
	// not reported. Empty: unset (a zero value is the default).
	Default string
}

const (
	clusterOnly  = "changes clusters (CDS) only, not listeners or routes"
	bootstrapSrc = "pkg/bootstrap/config.go, pilot-agent: read by the agent into Envoy's bootstrap"
	inboundOnly  = "inbound listeners only"
	visibility   = "predictor/visibility.go (meshvis)"
)

// Fields lists every MeshConfig field of the newest API, in the proto's
// order; TestFieldsComplete walks the descriptor against it.
var Fields = []Field{
	{Name: "proxyListenPort", Kind: NotModelled, Default: "15001",
		Why:    "the port of virtualOutbound, where iptables sends outbound traffic; 0 builds no sidecar listeners at all",
		Source: "pilot/pkg/networking/core/listener.go buildSidecarListeners; listener_builder.go buildVirtualOutboundListener"},
	{Name: "proxyInboundListenPort", Kind: NoOutboundEffect, Why: "the port of virtualInbound: " + inboundOnly,
		Source: "pilot/pkg/networking/core/listener_inbound.go inboundVirtualListener"},
	{Name: "proxyHttpPort", Kind: NotModelled, Default: "0",
		Why:    "adds an outbound HTTP proxy listener on that port",
		Source: "pilot/pkg/networking/core/listener.go buildHTTPProxy; listener_builder.go buildHTTPProxyListener"},
	{Name: "connectTimeout", Kind: NoOutboundEffect, Why: "cluster connect_timeout: " + clusterOnly,
		Source: "pilot/pkg/networking/core/cluster_builder.go, cluster_traffic_policy.go"},
	{Name: "hboneIdleTimeout", Kind: NoOutboundEffect, Since: 29, Why: "idle timeout of HBONE clusters: " + clusterOnly,
		Source: "pilot/pkg/networking/core/cluster_waypoint.go"},
	{Name: "protocolDetectionTimeout", Kind: NotModelled, Default: `"0s"`,
		Why:    "listener_filters_timeout of outbound listeners: a sniffed port gives up waiting for a server-first protocol's first bytes",
		Source: "pilot/pkg/networking/core/listener.go buildListenerFromEntry"},
	{Name: "tcpKeepalive", Kind: NoOutboundEffect, Why: "upstream keepalive: " + clusterOnly,
		Source: "pilot/pkg/networking/core/cluster.go"},
	{Name: "ingressClass", Kind: NoOutboundEffect, Why: "selects Ingress objects, which bind to the ingress gateway only",
		Source: "pilot/pkg/config/kube/ingress/controller.go, virtualservices.go"},
	{Name: "ingressService", Kind: NoOutboundEffect, Why: "the ingress gateway Service of Ingress objects (gateway only)",
		Source: "pilot/pkg/config/kube/ingress/gateways.go"},
	{Name: "ingressControllerMode", Kind: NoOutboundEffect, Why: "whether Ingress objects are read (gateway only)",
		Source: "pilot/pkg/config/kube/ingress/controller.go"},
	{Name: "ingressSelector", Kind: NoOutboundEffect, Why: "the ingress gateway's selector of Ingress objects (gateway only)",
		Source: "pilot/pkg/config/kube/ingress/gateways.go"},
	{Name: "enableTracing", Kind: NoOutboundEffect, Why: "tracing settings inside HTTP connection managers; routes and chains unchanged",
		Source: "pilot/pkg/networking/core/tracing.go"},
	{Name: "accessLogFile", Kind: NoOutboundEffect, Why: "access log settings inside filters",
		Source: "pilot/pkg/networking/core/accesslog.go"},
	{Name: "accessLogFormat", Kind: NoOutboundEffect, Why: "access log settings inside filters",
		Source: "pilot/pkg/model/telemetry_logging.go"},
	{Name: "accessLogEncoding", Kind: NoOutboundEffect, Why: "access log settings inside filters",
		Source: "pilot/pkg/model/telemetry_logging.go"},
	{Name: "enableEnvoyAccessLogService", Kind: NoOutboundEffect, Why: "access log settings inside filters",
		Source: "pilot/pkg/networking/core/accesslog.go"},
	{Name: "disableEnvoyListenerLog", Kind: NoOutboundEffect, Why: "listener access log (no chain matched) only",
		Source: "pilot/pkg/networking/core/accesslog.go"},
	{Name: "defaultConfig", Kind: NoOutboundEffect,
		Why:    "the proxies' default ProxyConfig, applied by injection and pilot-agent; its fields are rows of their own (defaultConfig.*)",
		Source: "pkg/config/mesh/mesh.go ApplyMeshConfig (merged, not replaced)"},
	{Name: "outboundTrafficPolicy", Kind: Modelled,
		Why:    "REGISTRY_ONLY blackholes the catch-all chains, ALLOW_ANY passes through, ALLOW_ANY_DYNAMIC_DNS (1.31) resolves by DNS; a policy without a mode (`outboundTrafficPolicy: {}`) is REGISTRY_ONLY, since the user's mesh config replaces the default's policy whole (`mesh/outbound-traffic-policy-without-mode`, every version)",
		Source: "predictor/predictor.go outboundCatchAll, predictor/mesh.go meshMode; pilot/pkg/model/sidecar.go; pkg/config/mesh/mesh.go ApplyMeshConfig"},
	{Name: "inboundTrafficPolicy", Kind: NoOutboundEffect, Why: inboundOnly + " (and the inbound passthrough cluster)",
		Source: "pilot/pkg/networking/core/cluster.go"},
	{Name: "configSources", Kind: NotModelled, Default: "[]",
		Why:    "where istiod reads its config from: other sources add or hide the Services and Istio config that listeners come from",
		Source: "pilot/pkg/bootstrap/configcontroller.go initConfigSources"},
	{Name: "enableAutoMtls", Kind: NoOutboundEffect, Why: "upstream TLS of clusters: " + clusterOnly,
		Source: "pilot/pkg/networking/core/cluster_traffic_policy.go"},
	{Name: "trustDomain", Kind: NoOutboundEffect, Why: "identities: upstream SANs (clusters) and inbound authorization",
		Source: "pilot/pkg/networking/plugin/authz/authorization.go; pilot/pkg/networking/plugin/authn/util.go"},
	{Name: "trustDomainAliases", Kind: NoOutboundEffect, Why: "service account SANs of clusters",
		Source: "pilot/pkg/model/push_context.go addServiceAccounts"},
	{Name: "caCertificates", Kind: NoOutboundEffect, Why: "trust bundles (SDS) and inbound TLS",
		Source: "pilot/pkg/trustbundle/trustbundle.go; pilot/pkg/networking/plugin/authn/util.go"},
	{Name: "defaultServiceExportTo", Kind: Modelled, Why: "exportTo of Services and ServiceEntries without their own",
		Source: visibility + "; pilot/pkg/model/push_context.go initDefaultExportMaps"},
	{Name: "defaultVirtualServiceExportTo", Kind: Modelled, Why: "exportTo of VirtualServices without their own",
		Source: visibility + "; pilot/pkg/model/push_context.go initDefaultExportMaps"},
	{Name: "defaultDestinationRuleExportTo", Kind: NoOutboundEffect, Why: "which DestinationRules a sidecar sees: they shape clusters only; tcp, tls and http route destinations name a subset as written, whether a visible DestinationRule defines it or not",
		Source: "pilot/pkg/model/push_context.go initDefaultExportMaps; pilot/pkg/networking/core/route/route.go GetDestinationCluster (tcp, tls and http routes)"},
	{Name: "rootNamespace", Kind: Modelled, Why: "the namespace of the mesh-default Sidecar and of EnvoyFilters that apply everywhere",
		Source: visibility + "; pilot/pkg/model/push_context.go, sidecar.go"},
	{Name: "localityLbSetting", Kind: NoOutboundEffect, Why: "endpoint priorities: " + clusterOnly + " (and EDS)",
		Source: "pilot/pkg/networking/core/cluster_traffic_policy.go; pilot/pkg/xds/endpoints/endpoint_builder.go"},
	{Name: "zoneAwareLbSetting", Kind: NoOutboundEffect, Since: 31, Why: "endpoint priorities: " + clusterOnly + " (and EDS)",
		Source: "pilot/pkg/networking/core/cluster_traffic_policy.go; pilot/pkg/xds/endpoints/endpoint_builder.go"},
	{Name: "dnsRefreshRate", Kind: NoOutboundEffect, Why: "DNS clusters' refresh rate: " + clusterOnly,
		Source: "pilot/pkg/networking/core/cluster_builder.go"},
	{Name: "h2UpgradePolicy", Kind: NoOutboundEffect, Why: "HTTP/2 upgrade of upstream connections: " + clusterOnly,
		Source: "pilot/pkg/networking/core/cluster_traffic_policy.go"},
	{Name: "inboundClusterStatName", Kind: NoOutboundEffect, Why: "stat names of inbound chains",
		Source: "pilot/pkg/networking/core/listener_inbound.go"},
	{Name: "outboundClusterStatName", Kind: NoOutboundEffect,
		Why:    "the stat_prefix of outbound TCP and TLS chains' filters: no listener, match, destination or route changes",
		Source: "pilot/pkg/networking/core/networkfilter.go buildOutboundNetworkFilters; tls.go"},
	{Name: "certificates", Kind: NoOutboundEffect, Why: "DNS certificates istiod issues for itself",
		Source: "pilot/pkg/bootstrap/server.go"},
	{Name: "serviceSettings", Kind: NotModelled, Default: "[]",
		Why:    "cluster-local hosts: in a multicluster mesh, which clusters' endpoints a host has (headless services' per-endpoint listeners come from endpoints); listenerlab models one cluster",
		Source: "pilot/pkg/model/cluster_local.go"},
	{Name: "serviceScopeConfigs", Kind: NotModelled, Since: 27, Default: "[]",
		Why:    "multicluster service scope (local or global services); listenerlab models one cluster",
		Source: "pilot/pkg/serviceregistry/ambient/services.go"},
	{Name: "enablePrometheusMerge", Kind: NoOutboundEffect, Why: "injection of the metrics merge annotations",
		Source: "pkg/kube/inject/inject.go"},
	{Name: "verifyCertificateAtClient", Kind: NoOutboundEffect, Why: "upstream TLS verification of DestinationRules (clusters)",
		Source: "pkg/config/mesh/mesh.go; pilot/pkg/networking/core/cluster_tls.go"},
	{Name: "ca", Kind: NoOutboundEffect, Why: "the external CA istiod uses for workload certificates",
		Source: "pilot/pkg/bootstrap/istio_ca.go"},
	{Name: "extensionProviders", Kind: NoOutboundEffect,
		Why:    "telemetry, ext_authz and tracing providers: filters inside chains when a Telemetry or AuthorizationPolicy selects them; their services go to gateways' and waypoints' clusters",
		Source: "pilot/pkg/model/push_context.go extraServicesForProxy; pilot/pkg/model/telemetry.go"},
	{Name: "defaultProviders", Kind: NoOutboundEffect, Why: "which extension providers telemetry uses (filters inside chains)",
		Source: "pilot/pkg/model/telemetry.go"},
	{Name: "discoverySelectors", Kind: NotModelled, Default: "[]",
		Why:    "the namespaces istiod watches: Services and config outside them are not seen, so their listeners are missing",
		Source: "pkg/kube/namespace/filter.go (the namespace filter of every informer)"},
	{Name: "pathNormalization", Kind: NoOutboundEffect,
		Why:    "path normalization of HTTP connection managers: routes unchanged (a request's path is normalized before matching them)",
		Source: "pilot/pkg/networking/core/listener_builder.go buildHTTPConnectionManager"},
	{Name: "defaultHttpRetryPolicy", Kind: NotModelled,
		Why:    "the retry policy of every outbound HTTP route without its own",
		Source: "pilot/pkg/networking/core/route/route.go applyHTTPRouteDestination, BuildDefaultHTTPOutboundRoute"},
	{Name: "defaultInboundHttpRetryPolicy", Kind: NoOutboundEffect, Since: 32, Why: "retry policy of inbound routes only",
		Source: "pilot/pkg/networking/core/route/route.go BuildDefaultHTTPInboundRoute"},
	{Name: "meshMTLS", Kind: NoOutboundEffect, Why: "minimum TLS version and ciphers of inbound mTLS",
		Source: "pilot/pkg/security/authn/policy_applier.go"},
	{Name: "tlsDefaults", Kind: NoOutboundEffect, Why: "TLS parameters of server (inbound, gateway) and upstream TLS contexts",
		Source: "pilot/pkg/networking/core/listener.go BuildListenerTLSContext; cluster_tls.go"},
	{Name: "defaultTrafficPolicy", Kind: NoOutboundEffect, Since: 31, Why: "a mesh-wide DestinationRule traffic policy baseline: " + clusterOnly,
		Source: "pilot/pkg/networking/core/cluster_builder.go, cluster_traffic_policy.go applyDefaultTrafficPolicy"},
	{Name: "serviceEntryVisibility", Kind: Modelled, Since: 31, Why: "which namespaces see ServiceEntries (applyToSidecars)",
		Source: visibility + "; pilot/pkg/model/push_context.go, serviceentry_visibility.go"},
}
