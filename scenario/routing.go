package scenario

import (
	"fmt"
	"net/netip"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
)

// decodeVirtualService decodes a VirtualService strictly (spec through
// protojson, like a ServiceEntry) and refuses what Istio's validation
// (pkg/config/validation ValidateVirtualService) refuses among the fields
// outbound listeners and routes depend on: a delegate (no hosts) with
// gateways, tls or tcp routes, a route without destination host, a tls
// match without sniHosts, a destination subnet that is not an IP or CIDR.
func decodeVirtualService(data []byte) (*networkingv1.VirtualService, error) {
	vs := &networkingv1.VirtualService{}
	if err := decodeIstio(data, &vs.TypeMeta, &vs.ObjectMeta, &vs.Spec, nil); err != nil {
		return vs, err
	}
	return vs, validateVirtualService(&vs.Spec)
}

func validateVirtualService(spec *apiv1alpha3.VirtualService) error {
	if len(spec.Hosts) == 0 {
		// A delegate, merged into the root VirtualServices naming it.
		switch {
		case len(spec.Gateways) > 0:
			return fieldErr("spec.gateways", "a delegate VirtualService (no hosts) has no gateways")
		case len(spec.Tls) > 0:
			return fieldErr("spec.tls", "a delegate VirtualService (no hosts) has no tls routes")
		case len(spec.Tcp) > 0:
			return fieldErr("spec.tcp", "a delegate VirtualService (no hosts) has no tcp routes")
		}
	}
	for i, h := range spec.Hosts {
		if h == "" {
			return fieldErr(fmt.Sprintf("spec.hosts[%d]", i), "empty host")
		}
	}
	for i, r := range spec.Tcp {
		field := fmt.Sprintf("spec.tcp[%d]", i)
		if err := validateRouteDestinations(field, r.Route); err != nil {
			return err
		}
		for j, m := range r.Match {
			if err := validateSubnets(fmt.Sprintf("%s.match[%d].destinationSubnets", field, j), m.DestinationSubnets); err != nil {
				return err
			}
		}
	}
	for i, r := range spec.Tls {
		field := fmt.Sprintf("spec.tls[%d]", i)
		if err := validateRouteDestinations(field, r.Route); err != nil {
			return err
		}
		if len(r.Match) == 0 {
			return fieldErr(field+".match", "a tls route needs at least one match")
		}
		for j, m := range r.Match {
			mf := fmt.Sprintf("%s.match[%d]", field, j)
			if len(m.SniHosts) == 0 {
				return fieldErr(mf+".sniHosts", "a tls match needs at least one SNI host")
			}
			if err := validateSubnets(mf+".destinationSubnets", m.DestinationSubnets); err != nil {
				return err
			}
		}
	}
	return nil
}

// routeDestination is what tcp and tls routes share.
type routeDestination interface {
	GetDestination() *apiv1alpha3.Destination
	GetWeight() int32
}

func validateRouteDestinations[R routeDestination](field string, routes []R) error {
	if len(routes) == 0 {
		return fieldErr(field+".route", "a route needs at least one destination")
	}
	total := int32(0)
	for i, r := range routes {
		if r.GetDestination().GetHost() == "" {
			return fieldErr(fmt.Sprintf("%s.route[%d].destination.host", field, i), "missing destination host")
		}
		if r.GetWeight() < 0 {
			return fieldErr(fmt.Sprintf("%s.route[%d].weight", field, i), "negative weight %d", r.GetWeight())
		}
		total += r.GetWeight()
	}
	if len(routes) > 1 && total == 0 {
		return fieldErr(field+".route", "several destinations need weights (all are 0)")
	}
	return nil
}

func validateSubnets(field string, subnets []string) error {
	for i, s := range subnets {
		if _, err := netip.ParsePrefix(s); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(s); err != nil {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "invalid IP or CIDR %q", s)
		}
	}
	return nil
}

// decodeDestinationRule decodes a DestinationRule strictly; its subsets
// name clusters (outbound|PORT|SUBSET|HOST).
func decodeDestinationRule(data []byte) (*networkingv1.DestinationRule, error) {
	dr := &networkingv1.DestinationRule{}
	if err := decodeIstio(data, &dr.TypeMeta, &dr.ObjectMeta, &dr.Spec, nil); err != nil {
		return dr, err
	}
	if dr.Spec.Host == "" {
		return dr, fieldErr("spec.host", "a DestinationRule needs a host")
	}
	for i, s := range dr.Spec.Subsets {
		if s.Name == "" {
			return dr, fieldErr(fmt.Sprintf("spec.subsets[%d].name", i), "a subset needs a name")
		}
	}
	return dr, nil
}

// decodeEnvoyFilter decodes an EnvoyFilter strictly (v1alpha3 is its only
// version); the predictor reports the patches that can touch the client's
// outbound listeners and applies none.
func decodeEnvoyFilter(data []byte) (*networkingv1alpha3.EnvoyFilter, error) {
	ef := &networkingv1alpha3.EnvoyFilter{}
	if err := decodeIstio(data, &ef.TypeMeta, &ef.ObjectMeta, &ef.Spec, nil); err != nil {
		return ef, err
	}
	for i, p := range ef.Spec.ConfigPatches {
		if p.GetPatch() == nil {
			return ef, fieldErr(fmt.Sprintf("spec.configPatches[%d].patch", i), "missing patch")
		}
	}
	return ef, nil
}
