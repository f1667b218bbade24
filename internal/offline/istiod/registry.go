package istiod

import (
	"encoding/json"
	"fmt"
)

// Hostnames lists the service hostnames of /debug/registryz: what istiod's
// service registry holds, Kubernetes Services and ServiceEntry hosts alike.
func Hostnames(registryzJSON []byte) (map[string]bool, error) {
	var svcs []struct {
		Hostname string `json:"hostname"`
	}
	if err := json.Unmarshal(registryzJSON, &svcs); err != nil {
		return nil, fmt.Errorf("istiod /debug/registryz: %w", err)
	}
	out := map[string]bool{}
	for _, s := range svcs {
		out[s.Hostname] = true
	}
	return out, nil
}

// Configs lists the Istio configs of /debug/configz as NAMESPACE/NAME keys
// with the raw JSON of each (to look for a marker generation).
func Configs(configzJSON []byte) (map[string]string, error) {
	var cfgs []json.RawMessage
	if err := json.Unmarshal(configzJSON, &cfgs); err != nil {
		return nil, fmt.Errorf("istiod /debug/configz: %w", err)
	}
	out := map[string]string{}
	for _, raw := range cfgs {
		// Kubernetes-shaped (metadata.name, as istiod writes its configs
		// since 1.10) or flat (name) for older writers.
		var meta struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
			Metadata  struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			continue
		}
		if meta.Metadata.Name != "" {
			meta.Name, meta.Namespace = meta.Metadata.Name, meta.Metadata.Namespace
		}
		out[meta.Namespace+"/"+meta.Name] += string(raw)
	}
	return out, nil
}

// EndpointAddresses lists the endpoint addresses of istiod's endpoint
// index (/debug/endpointShardz) by hostname and namespace, every shard
// (registry) together; a dual-stack endpoint's addresses are all listed.
func EndpointAddresses(shardzJSON []byte) (map[string]map[string]map[string]bool, error) {
	var index map[string]map[string]*struct {
		Shards map[string][]struct{ Addresses []string }
	}
	if err := json.Unmarshal(shardzJSON, &index); err != nil {
		return nil, fmt.Errorf("istiod %s: %w", EndpointShardzPath, err)
	}
	out := map[string]map[string]map[string]bool{}
	for host, byNS := range index {
		out[host] = map[string]map[string]bool{}
		for ns, shards := range byNS {
			addrs := map[string]bool{}
			if shards != nil {
				for _, eps := range shards.Shards {
					for _, ep := range eps {
						for _, a := range ep.Addresses {
							addrs[a] = true
						}
					}
				}
			}
			out[host][ns] = addrs
		}
	}
	return out, nil
}
