package meshconfig

// proxyAgent is why most ProxyConfig fields have no outbound effect: they
// configure pilot-agent and Envoy's bootstrap, not istiod's listeners.
const proxyAgent = "read by pilot-agent and the injector (Envoy's bootstrap, the agent, the pod spec); istiod's outbound listeners and routes do not use it"

// proxyAgentSrc is the source behind proxyAgent.
const proxyAgentSrc = "pkg/bootstrap/config.go; pkg/kube/inject/inject.go; pilot/pkg/networking/core (no use in listener*.go, httproute.go, route/)"

// ProxyFields are the ProxyConfig fields of defaultConfig, rows of their
// own (defaultConfig.X reaches every injected proxy unless its pod
// overrides it), in the proto's order.
var ProxyFields = []Field{
	{Name: "defaultConfig.configPath", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.binaryPath", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.serviceCluster", Kind: NoOutboundEffect, Why: proxyAgent + " (a tracing service name)", Source: proxyAgentSrc},
	{Name: "defaultConfig.tracingServiceName", Kind: NoOutboundEffect, Why: proxyAgent + " (a tracing service name)", Source: proxyAgentSrc},
	{Name: "defaultConfig.drainDuration", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.discoveryAddress", Kind: NoOutboundEffect, Why: proxyAgent + " (where the proxy connects for xDS)", Source: proxyAgentSrc},
	{Name: "defaultConfig.discoveryRefreshDelay", Kind: NoOutboundEffect, Why: "deprecated, unused", Source: "istio.io/api mesh/v1alpha1/proxy.proto"},
	{Name: "defaultConfig.zipkinAddress", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.statsdUdpAddress", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.envoyMetricsServiceAddress", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.proxyAdminPort", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.availabilityZone", Kind: NoOutboundEffect, Why: "deprecated; locality comes from node labels", Source: proxyAgentSrc},
	{Name: "defaultConfig.controlPlaneAuthPolicy", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.customConfigFile", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.statNameLength", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.concurrency", Kind: NoOutboundEffect, Why: proxyAgent + " (worker threads)", Source: proxyAgentSrc},
	{Name: "defaultConfig.proxyBootstrapTemplatePath", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.interceptionMode", Kind: Modelled,
		Why:    "REDIRECT, TPROXY or NONE: NONE binds each listener to its address and port (bind_to_port) and skips virtualOutbound",
		Source: "scenario/proxy.go ProxySettings; predictor (interception NONE); pilot/pkg/networking/core/listener.go"},
	{Name: "defaultConfig.tracing", Kind: NoOutboundEffect, Why: "tracer settings (bootstrap and connection managers' tracing)", Source: "pilot/pkg/networking/core/tracing.go; pkg/bootstrap/config.go"},
	{Name: "defaultConfig.sds", Kind: NoOutboundEffect, Why: "deprecated, unused", Source: "istio.io/api mesh/v1alpha1/proxy.proto"},
	{Name: "defaultConfig.envoyAccessLogService", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.envoyMetricsService", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.proxyMetadata", Kind: Modelled,
		Why:    "ISTIO_META_DNS_CAPTURE and ISTIO_META_DNS_AUTO_ALLOCATE (listeners on ServiceEntry addresses), ISTIO_META_UNPRIVILEGED_POD; other keys are not read",
		Source: "scenario/proxy.go ProxySettings; pilot/pkg/model/context.go NodeMetadata"},
	{Name: "defaultConfig.runtimeValues", Kind: NoOutboundEffect, Why: proxyAgent + " (Envoy runtime layer)", Source: proxyAgentSrc},
	{Name: "defaultConfig.statusPort", Kind: NoOutboundEffect, Why: proxyAgent + " (the agent's health port, an inbound listener)", Source: proxyAgentSrc},
	{Name: "defaultConfig.extraStatTags", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.gatewayTopology", Kind: NoOutboundEffect, Why: "gateways only (forwarded client cert, trusted hops)", Source: "pilot/pkg/networking/core/gateway.go"},
	{Name: "defaultConfig.terminationDrainDuration", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.meshId", Kind: NoOutboundEffect, Why: proxyAgent + " (metadata for telemetry)", Source: proxyAgentSrc},
	{Name: "defaultConfig.readinessProbe", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.proxyStatsMatcher", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.holdApplicationUntilProxyStarts", Kind: NoOutboundEffect, Why: proxyAgent, Source: proxyAgentSrc},
	{Name: "defaultConfig.caCertificatesPem", Kind: NoOutboundEffect, Why: proxyAgent + " (trust for the xDS connection)", Source: proxyAgentSrc},
	{Name: "defaultConfig.image", Kind: NoOutboundEffect, Why: proxyAgent + " (the proxy image type)", Source: proxyAgentSrc},
	{Name: "defaultConfig.privateKeyProvider", Kind: NoOutboundEffect, Why: proxyAgent + " (SDS key provider)", Source: proxyAgentSrc},
	{Name: "defaultConfig.proxyHeaders", Kind: NoOutboundEffect,
		Why:    "headers the HTTP connection managers add or keep (server, request id, x-forwarded-port): routes and chains unchanged",
		Source: "pilot/pkg/networking/core/listener_builder.go buildHTTPConnectionManager"},
	{Name: "defaultConfig.fileFlushInterval", Kind: NoOutboundEffect, Since: 29, Why: proxyAgent + " (access log flushing)", Source: proxyAgentSrc},
	{Name: "defaultConfig.fileFlushMinSizeKb", Kind: NoOutboundEffect, Since: 29, Why: proxyAgent + " (access log flushing)", Source: proxyAgentSrc},
	{Name: "defaultConfig.statsCompression", Kind: NoOutboundEffect, Since: 29, Why: proxyAgent + " (stats endpoint compression)", Source: proxyAgentSrc},
	{Name: "defaultConfig.connectionSettings", Kind: NoOutboundEffect, Since: 31,
		Why:    "HTTP connection manager and cluster connection options: routes, chains and listeners unchanged",
		Source: "pilot/pkg/networking/core/connection_settings.go applyConnectionSettingsToHCM"},
}

// Flag is an istiod environment flag (pilot/pkg/features) that outbound
// listener or route generation reads.
type Flag struct {
	Name string
	Kind Kind
	// Why is the rule that models it, or what it changes.
	Why    string
	Source string
	// Default is istiod's default value, as the env var would spell it.
	Default string
	// Since is the first minor whose istiod has the flag; 0 for 1.24 and
	// earlier.
	Since int
}

// Flags lists the istiod flags that can change a sidecar's outbound
// listeners or its HTTP routes (from pilot/pkg/features and their use in
// pilot/pkg/networking/core and pilot/pkg/model). A name not listed is
// not classified, and never reported.
var Flags = []Flag{
	{Name: "PILOT_ENABLE_IP_AUTOALLOCATE", Kind: Modelled, Default: "true", Why: "ServiceEntry addresses from the allocation controller (1.25 and later), else istiod's hash allocation",
		Source: "predictor/predictor.go allocFeature; pilot/pkg/features/pilot.go EnableIPAutoallocate"},
	{Name: "PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN", Kind: Modelled, Default: "true", Why: "an ExternalName alias's trailing-dot name in SNI chains (1.27 and later)",
		Source: "predictor/predictor.go absoluteFQDNFeature; pilot/pkg/networking/core/httproute.go GenerateAltVirtualHosts"},
	{Name: "ISTIO_DUAL_STACK", Kind: Modelled, Default: "false", Why: "dual-stack listeners (additional addresses)",
		Source: "predictor/predictor.go Predict; pilot/pkg/features/experimental.go EnableDualStack"},
	{Name: "PILOT_ENABLE_AMBIENT", Kind: Modelled, Default: "false", Why: "turns dual stack on as ISTIO_DUAL_STACK does",
		Source: "predictor/predictor.go Predict; pilot/pkg/model/context.go"},
	{Name: "PILOT_ENABLE_REDIS_FILTER", Kind: Modelled, Default: "false", Why: "redis_proxy instead of tcp_proxy on Redis ports",
		Source: "predictor/redis.go; pilot/pkg/networking/core/networkfilter.go buildNetworkFiltersStack"},
	{Name: "PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER", Kind: Modelled, Default: "false", Since: 32,
		Why:    "headless TCP services get one wildcard listener with per-pod /32 chains instead of a listener per pod",
		Source: "predictor gate HeadlessFilterChainFlag; pilot/pkg/networking/core/listener.go buildSidecarOutboundListeners (master)"},
	{Name: "PILOT_HTTP10", Kind: NotModelled, Default: "false", Why: "the HTTP chains of sniffed ports also match ALPN http/1.0, and HTTP chains accept HTTP/1.0 (otherwise Envoy answers 426)",
		Source: "pilot/pkg/networking/core/listener.go plaintextHTTPALPNs, buildSidecarOutboundHTTPListenerOpts"},
	{Name: "PILOT_ENABLE_MYSQL_FILTER", Kind: NotModelled, Default: "false", Why: "mysql_proxy before tcp_proxy on MySQL ports",
		Source: "pilot/pkg/networking/core/networkfilter.go buildNetworkFiltersStack"},
	{Name: "PILOT_ENABLE_MONGO_FILTER", Kind: NotModelled, Default: "true", Why: "mongo_proxy before tcp_proxy on Mongo ports",
		Source: "pilot/pkg/networking/core/networkfilter.go buildNetworkFiltersStack"},
	{Name: "PILOT_ENABLE_METADATA_EXCHANGE", Kind: NotModelled, Default: "true", Why: "metadata exchange filters in outbound chains and the istio-peer-exchange ALPN",
		Source: "pilot/pkg/networking/core/networkfilter.go, listener_builder.go"},
	{Name: "PILOT_ENABLE_ALPN_FILTER", Kind: NotModelled, Default: "true", Why: "Istio's ALPN filter in outbound HTTP chains (protocol sniffing upstream)",
		Source: "pilot/pkg/networking/core/listener_builder.go buildHTTPConnectionManager"},
	{Name: "PILOT_SIDECAR_USE_REMOTE_ADDRESS", Kind: NotModelled, Default: "false", Why: "use_remote_address of outbound HTTP connection managers",
		Source: "pilot/pkg/networking/core/listener.go buildSidecarOutboundHTTPListenerOpts"},
	{Name: "ENABLE_100_CONTINUE_HEADERS", Kind: NotModelled, Default: "true", Why: "proxy_100_continue of HTTP connection managers",
		Source: "pilot/pkg/networking/core/listener.go, listener_builder.go"},
	{Name: "DISABLE_SHADOW_HOST_SUFFIX", Kind: NotModelled, Default: "true", Since: 28, Why: "the host of mirrored requests in HTTP routes",
		Source: "pilot/pkg/networking/core/route/route.go"},
	{Name: "PILOT_UNIFIED_SIDECAR_SCOPE", Kind: NotModelled, Default: "true", Why: "how a SidecarScope is built (the services, hence listeners, a sidecar sees)",
		Source: "pilot/pkg/model/sidecar.go"},
	{Name: "PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE", Kind: NotModelled, Default: "true", Since: 30, Why: "which namespace's service a Sidecar egress host picks when several define it",
		Source: "pilot/pkg/model/sidecar.go"},
	{Name: "PILOT_ENABLE_SENDING_HBONE", Kind: NotModelled, Default: "false", Why: "adds the connect_originate listener and HBONE upstreams",
		Source: "pilot/pkg/networking/core/listener.go BuildListeners; listener_waypoint.go buildConnectOriginateListener"},
	{Name: "ISTIO_ENABLE_IPV4_OUTBOUND_LISTENER_FOR_IPV6_CLUSTERS", Kind: NotModelled, Default: "false", Why: "an IPv4 address on virtualOutbound of IPv6-only proxies",
		Source: "pilot/pkg/networking/core/listener_builder.go buildVirtualOutboundListener"},
	{Name: "PILOT_ALLOW_ANY_DYNAMIC_DNS_MAX_HOSTS", Kind: NotModelled, Default: "1024", Since: 31, Why: "the DNS cache size of ALLOW_ANY_DYNAMIC_DNS's dynamic forward proxy",
		Source: "pilot/pkg/networking/core/networkfilter.go"},
	{Name: "PILOT_ENABLE_PERSISTENT_SESSION_FILTER", Kind: NotModelled, Default: "false", Why: "the stateful session filter in HTTP chains",
		Source: "pilot/pkg/networking/core/listener_builder.go buildHTTPConnectionManager"},
	{Name: "PILOT_PERSISTENT_SESSION_LABEL", Kind: NotModelled, Default: "istio.io/persistent-session", Why: "the Service label that turns on persistent sessions (per-route stateful session)",
		Source: "pilot/pkg/model/service.go; pilot/pkg/networking/core/route/route.go"},
	{Name: "PILOT_PERSISTENT_SESSION_HEADER_LABEL", Kind: NotModelled, Default: "istio.io/persistent-session-header", Why: "the Service label that turns on header-based persistent sessions",
		Source: "pilot/pkg/model/service.go; pilot/pkg/networking/core/route/route.go"},
}
