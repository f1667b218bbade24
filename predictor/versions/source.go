package versions

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
)

// sourceMarker is how a gate is read from an istio.io/istio source tree:
// the file that holds the behaviour and a pattern that finds it. A file
// that exists without the pattern lacks the behaviour, unless absent says
// the pattern that shows the older behaviour (then finding neither leaves
// the gate undecided: the code moved).
type sourceMarker struct {
	file    string
	present *regexp.Regexp
	absent  *regexp.Regexp
	// value, when set, reads the gate from the present pattern's first
	// group ("true" or "false") instead of from its presence.
	value bool
	// flag, for a marker that reads a flag's registration, is the flag's
	// name: a file that never mentions it lacks the behaviour (the flag
	// does not exist yet), while one that mentions it in a form the
	// pattern cannot read leaves the gate to the minor.
	flag string
}

// markers are read from the same files and functions each gate's doc
// comment names.
var markers = map[Gate]sourceMarker{
	// The default of PILOT_ENABLE_IP_AUTOALLOCATE.
	GateIPAutoallocateByDefault: {
		file:    "pilot/pkg/features/pilot.go",
		present: regexp.MustCompile(`"PILOT_ENABLE_IP_AUTOALLOCATE",\s*(true|false)\s*,`),
		value:   true,
	},
	// convertServices' HostAddress holds one address (one service per
	// address) or a list (one service per host).
	GateServiceEntryServicePerAddress: {
		file:    "pilot/pkg/serviceregistry/serviceentry/conversion.go",
		present: regexp.MustCompile(`type [Hh]ostAddress struct \{[^}]*\n\s*address\s+string\s*\n`),
		absent:  regexp.MustCompile(`type [Hh]ostAddress struct \{[^}]*\n\s*addresses\s+\[\]string\s*\n`),
	},
	// buildListenerFromEntry adds the tls_inspector for the http_inspector too.
	GateHTTPInspectorAddsTLSInspector: {
		file:    "pilot/pkg/networking/core/listener.go",
		present: regexp.MustCompile(`if needTLSInspector \|\| needHTTPInspector \{`),
		absent:  regexp.MustCompile(`if needTLSInspector \{`),
	},
	// The exact-host fast path of the Sidecar egress import lookup.
	GateSidecarExactHostLookup: {
		file:    "pilot/pkg/model/sidecar.go",
		present: regexp.MustCompile(`func \(ps \*PushContext\) servicesForExactHosts\(`),
	},
	// SelectVirtualServices skips hosts a "~" egress entry excludes.
	GateVirtualServiceExclusions: {
		file:    "pilot/pkg/model/virtualservice.go",
		present: regexp.MustCompile(`\.Excluded\(h\)`),
	},
	// The "~" exclusion prefix of Sidecar egress hosts.
	GateSidecarHostExclusions: {
		file:    "pilot/pkg/model/sidecar.go",
		present: regexp.MustCompile(`excludePrefix\s*=\s*"~"`),
	},
	// The default of PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN, which
	// GenerateAltVirtualHosts (httproute.go) reads; no flag, no
	// trailing-dot name.
	GateAbsoluteFQDNAltHosts: {
		file:    "pilot/pkg/features/pilot.go",
		present: regexp.MustCompile(`"PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN",(?:[ \t]*//[^\n]*)?\s*(true|false)\s*,`),
		value:   true,
		flag:    "PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN",
	},
	// Auto over auto: master merges the later port's TCP chains
	// (TCPOverAuto, goto handleConflict); before, an early return.
	GateAutoOverAutoMergesTCP: {
		file:    "pilot/pkg/networking/core/listener.go",
		present: regexp.MustCompile(`conflictType = TCPOverAuto\s*\n\s*opts = buildSidecarOutboundTCPListenerOpts\(listenerOpts, virtualServices\)\s*\n\s*goto handleConflict`),
		absent:  regexp.MustCompile(`// Exit early, listener already exists\s*\n\s*return\s*\n\s*\}\s*\n\s*\}\s*\n\s*// Add tcp filter chain`),
	},
	// PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER registered with default
	// false; the predictor turns it on only where istiod's env does. A
	// registration with another default leaves the gate to the minor.
	GateHeadlessFilterChainFlag: {
		file:    "pilot/pkg/features/pilot.go",
		present: regexp.MustCompile(`"PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER",\s*false\s*,`),
		flag:    "PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER",
	},
	// pilot knows the ALLOW_ANY_DYNAMIC_DNS mode (its own test of the
	// sidecar scope), or tests for ALLOW_ANY alone.
	GateAllowAnyDynamicDNS: {
		file:    "pilot/pkg/networking/util/util.go",
		present: regexp.MustCompile(`func IsAllowAnyDynamicDNSOutbound\(`),
		absent:  regexp.MustCompile(`func IsAllowAnyOutbound\(`),
	},
	// ApplyRedirect reads HTTPRedirect.PrefixRewrite, or only the Gateway
	// API's "%PREFIX()%" uri.
	GateRedirectPrefixRewrite: {
		file:    "pilot/pkg/networking/core/route/route.go",
		present: regexp.MustCompile(`redirect\.PrefixRewrite != ""`),
		absent:  regexp.MustCompile(`cutPrefix\(redirect\.Uri, "%PREFIX\(\)%"\)`),
	},
	// ServiceEntry services in a krt collection keyed by ResourceName, or
	// the older store's plain list per ServiceEntry.
	GateServiceEntryServicesByResourceName: {
		file:    "pilot/pkg/serviceregistry/serviceentry/controller.go",
		present: regexp.MustCompile(`func \(swi ServiceWithInstances\) ResourceName\(\) string`),
		absent:  regexp.MustCompile(`servicesBySE:`),
	},
	// filterAddresses keeps the first address's family for a dual-stack
	// proxy (firstAddrFamily), or the code moved to network.
	// FilterAddressesByIPFamily, which does; the older filter prefers IPv4.
	GateDualStackFirstFamily: {
		file:    "pilot/pkg/model/service.go",
		present: regexp.MustCompile(`firstAddrFamily|netutil\.FilterAddressesByIPFamily\(`),
		absent:  regexp.MustCompile(`func filterAddresses\(`),
	},
	// servicesExportedToNamespace lists privateByNamespace before
	// exportedToNamespace, or one exportedToNamespace list.
	GatePrivateServicesFirst: {
		file:    "pilot/pkg/model/push_context.go",
		present: regexp.MustCompile(`append\(out, ps\.ServiceIndex\.privateByNamespace\[ns\]\.\.\.\)`),
		absent:  regexp.MustCompile(`exportedServices := ps\.ServiceIndex\.exportedToNamespace\[ns\]`),
	},
	// initServiceRegistry takes the mesh default as the exportTo set, or
	// honours only its "." and "*".
	GateDefaultExportToNamespaces: {
		file:    "pilot/pkg/model/push_context.go",
		present: regexp.MustCompile(`exportToSet := ps\.exportToDefaults\.service\b`),
		absent:  regexp.MustCompile(`ps\.exportToDefaults\.service\.Contains\(visibility\.Private\)`),
	},
	// serviceExportTo caps a service's exportTo by its ServiceEntry
	// visibility when applyToSidecars is set.
	GateServiceEntryVisibility: {
		file:    "pilot/pkg/model/push_context.go",
		present: regexp.MustCompile(`GetServiceEntryVisibility\(\)\.GetApplyToSidecars\(\)`),
		absent:  regexp.MustCompile(`ps\.exportToDefaults\.service\b`),
	},
}

// ReadSource decides the gates from an istio.io/istio source tree (its
// module directory, as `go mod download -json` names it): each gate whose
// file exists and whose marker decides it. A gate left out follows the
// minor version.
func ReadSource(src fs.FS) (map[Gate]bool, error) {
	out := map[Gate]bool{}
	for _, g := range Gates() {
		m := markers[g]
		b, err := fs.ReadFile(src, m.file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s for the gate %s: %w", m.file, g, err)
		}
		switch found := m.present.FindSubmatch(b); {
		case found != nil && m.value:
			out[g] = string(found[1]) == "true"
		case found != nil:
			out[g] = true
		case m.flag != "" && !bytes.Contains(b, []byte(m.flag)):
			out[g] = false
		case m.value || m.flag != "":
			// the value or registration is unreadable: leave the gate
			// to the minor
		case m.absent == nil || m.absent.Match(b):
			out[g] = false
		}
	}
	return out, nil
}
