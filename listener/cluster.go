package listener

import (
	"strconv"
	"strings"
)

// ServiceCluster is the outbound cluster of a service port, or of one
// subset of it: Envoy's cluster outbound|PORT|SUBSET|HOST (Istio's
// model.BuildSubsetKey with TrafficDirectionOutbound). A connection sent
// to it reaches HOST's endpoints on PORT, whatever address it was opened
// to.
type ServiceCluster struct {
	Port int
	// Subset is the DestinationRule subset; "" for the whole service.
	Subset string
	// Host is the service's hostname, as written (a wildcard host keeps
	// its "*").
	Host string
}

// outboundPrefix starts every outbound service cluster's name.
const outboundPrefix = "outbound|"

// Name is the cluster's name: outbound|PORT|SUBSET|HOST.
func (c ServiceCluster) Name() string {
	// Appended into one buffer: one allocation, where the port's own
	// string and the concatenation would be two (a prediction names tens
	// of thousands of clusters).
	b := make([]byte, 0, len(outboundPrefix)+5+2+len(c.Subset)+len(c.Host))
	b = append(b, outboundPrefix...)
	b = strconv.AppendInt(b, int64(c.Port), 10)
	b = append(b, '|')
	b = append(b, c.Subset...)
	b = append(b, '|')
	b = append(b, c.Host...)
	return string(b)
}

// ParseServiceCluster reads an outbound|PORT|SUBSET|HOST cluster name; false
// for anything else: other clusters (PassthroughCluster, inbound|...),
// several names joined by "," (weighted clusters), a port that is not a
// decimal number, or no host.
func ParseServiceCluster(name string) (ServiceCluster, bool) {
	rest, ok := strings.CutPrefix(name, outboundPrefix)
	if !ok {
		return ServiceCluster{}, false
	}
	parts := strings.Split(rest, "|")
	if len(parts) != 3 || parts[2] == "" || !isDecimal(parts[0]) {
		return ServiceCluster{}, false
	}
	port, err := strconv.Atoi(parts[0])
	if err != nil {
		return ServiceCluster{}, false
	}
	return ServiceCluster{Port: port, Subset: parts[1], Host: parts[2]}, true
}

// isDecimal reports whether s is a non-empty run of ASCII digits (no sign).
func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
