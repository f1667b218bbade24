package istiod_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/listener"
)

const uuid = "0b6f1c2e-3a4b-4c5d-8e9f-001122334455"

func TestCommandsAreArgumentVectors(t *testing.T) {
	if got := istiod.ConfigDumpCommand(); !reflect.DeepEqual(got, []string{"pilot-agent", "request", "GET", "config_dump"}) {
		t.Errorf("config dump command %q", got)
	}
	if got := istiod.DebugCommand(istiod.SynczPath); !reflect.DeepEqual(got, []string{"pilot-discovery", "request", "GET", "/debug/syncz"}) {
		t.Errorf("debug command %q", got)
	}
	if istiod.ProxyID("client-abc", "ns1") != "client-abc.ns1" {
		t.Error("proxy ID")
	}
}

func TestSyncz(t *testing.T) {
	v := func(n string) string { return "2026-08-27T10:00:00Z/" + n + uuid }
	b := []byte(`[{"proxy":"client-abc.ns1","cluster_sent":"` + v("7") + `","cluster_acked":"` + v("7") + `",
	  "listener_sent":"` + v("7") + `","listener_acked":"` + v("7") + `","route_sent":"` + v("7") + `","route_acked":"` + v("6") + `"},
	 {"proxy":"other.ns2","cluster_sent":"` + v("9") + `","cluster_acked":"` + v("9") + `","listener_sent":"` + v("12") + `","listener_acked":"` + v("12") + `"}]`)
	all, err := istiod.ParseSyncz(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := istiod.LatestPush(all); got != 12 {
		t.Errorf("LatestPush = %d", got)
	}
	s, ok := istiod.Find(all, "client-abc.ns1")
	if !ok {
		t.Fatal("not found")
	}
	if ok, why := s.Synced(); ok || !strings.Contains(why, "RDS sent 2026-08-27T10:00:00Z/7") {
		t.Errorf("Synced = %t %q", ok, why)
	}
	o, _ := istiod.Find(all, "other.ns2")
	if ok, why := o.SyncedAfter(11); !ok {
		t.Errorf("SyncedAfter(11) = false: %s", why)
	}
	if ok, why := o.SyncedAfter(12); ok || !strings.Contains(why, "waiting for a push after 12") {
		t.Errorf("SyncedAfter(12) = %t %q", ok, why)
	}
	if _, ok := istiod.Find(all, "missing.ns"); ok {
		t.Error("found a missing proxy")
	}
	if _, err := istiod.ParseSyncz([]byte("no json")); err == nil {
		t.Error("no error for bad JSON")
	}
	if _, ok := istiod.PushCounter("short"); ok {
		t.Error("counter from a short nonce")
	}
}

func TestConflictsFromPushStatus(t *testing.T) {
	b := []byte(`{
	  "pilot_conflict_outbound_listener_tcp_over_current_tcp": {
	    "0.0.0.0_3306": {"proxy": "client-abc.ns1", "message": "Listener=0.0.0.0_3306 Accepted=TCP Rejected=TCP (sql-b.example.com)"},
	    "0.0.0.0_5432": {"proxy": "client-x.other", "message": "Listener=0.0.0.0_5432 Accepted=TCP Rejected=TCP (pg.example.com)"}
	  },
	  "pilot_conflict_inbound_listener": {"client-abc.ns1": {"proxy": "client-abc.ns1", "message": "Conflicting inbound listener:8080. existing: a, incoming: b"}},
	  "pilot_eds_no_instances": {"x": {"message": "no instances"}}
	}`)
	got, err := istiod.Conflicts(b, func(id string) bool { return strings.HasSuffix(id, ".ns1") })
	if err != nil {
		t.Fatal(err)
	}
	want := []listener.Conflict{{Listener: "0.0.0.0_3306", Kind: "tcp over current tcp", Rejected: "sql-b.example.com"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	all, _ := istiod.Conflicts(b, nil)
	if len(all) != 2 {
		t.Errorf("all = %+v", all)
	}
	if none, err := istiod.Conflicts(nil, nil); err != nil || none != nil {
		t.Errorf("empty push status: %v %v", none, err)
	}
	recs, err := istiod.Records(b)
	if err != nil {
		t.Fatal(err)
	}
	wantRecs := []istiod.Record{{Listener: "0.0.0.0_3306", Proxy: "client-abc.ns1"}, {Listener: "0.0.0.0_5432", Proxy: "client-x.other"}}
	if !reflect.DeepEqual(recs, wantRecs) {
		t.Errorf("Records = %+v, want %+v (inbound and non-conflict metrics left out)", recs, wantRecs)
	}
}

func TestConflictGauges(t *testing.T) {
	text := []byte(`# HELP pilot_conflict_outbound_listener_tcp_over_current_tcp Number of conflicting tcp listeners with current tcp listener.
# TYPE pilot_conflict_outbound_listener_tcp_over_current_tcp gauge
pilot_conflict_outbound_listener_tcp_over_current_tcp 2
pilot_conflict_outbound_listener_http_over_current_tcp{revision="default"} 1 1712000000000
pilot_xds_pushes{type="lds"} 120
pilot_conflict_inbound_listener 0
`)
	gs, err := istiod.ParseConflictGauges(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 3 || gs[0].Name != "pilot_conflict_inbound_listener" || gs[1].Labels != `revision="default"` || gs[2].Value != 2 {
		t.Errorf("gauges %+v", gs)
	}
	k := istiod.ByKind(gs)
	if k["tcp over current tcp"] != 2 || k["http over current tcp"] != 1 {
		t.Errorf("by kind %v", k)
	}
	if _, err := istiod.ParseConflictGauges([]byte("pilot_conflict_x{a=\"b\" 3\n")); err == nil {
		t.Error("no error for unterminated labels")
	}
	if _, err := istiod.ParseConflictGauges([]byte("pilot_conflict_x notanumber\n")); err == nil {
		t.Error("no error for a bad value")
	}
}

func TestRegistryAndConfigs(t *testing.T) {
	h, err := istiod.Hostnames([]byte(`[{"hostname":"web.ns1.svc.cluster.local","clusterVIPs":{}},{"hostname":"db.example.com"}]`))
	if err != nil || !h["db.example.com"] || !h["web.ns1.svc.cluster.local"] {
		t.Errorf("hostnames %v %v", h, err)
	}
	c, err := istiod.Configs([]byte(`[{"kind":"Sidecar","metadata":{"name":"default","namespace":"ns2"}},{"kind":"EnvoyFilter","name":"listenerlab-sync","namespace":"ns1","spec":{"workloadSelector":{"labels":{"listenerlab.io/sync":"generation-3"}}}}]`))
	if err != nil || !strings.Contains(c["ns1/listenerlab-sync"], "generation-3") || c["ns2/default"] == "" {
		t.Errorf("configs %v %v", c, err)
	}
}

// TestEndpointAddresses: the endpoint index as istiod writes it (1.26):
// hostname, namespace, shards by registry, each endpoint with its
// addresses, a dual-stack one with both.
func TestEndpointAddresses(t *testing.T) {
	got, err := istiod.EndpointAddresses([]byte(`{
  "cassandra.db.svc.cluster.local": {"db": {"Shards": {
    "Kubernetes/Kubernetes": [{"Labels": {"app": "cassandra"}, "Addresses": ["10.244.0.4", "fd00:10:244::4"], "ServicePortName": "tcp-cql", "EndpointPort": 9042}],
    "External/Kubernetes": [{"Addresses": ["10.244.0.5"]}]},
    "ServiceAccounts": {}}},
  "empty.db.svc.cluster.local": {"db": {"Shards": {}}}
}`))
	if err != nil {
		t.Fatal(err)
	}
	c := got["cassandra.db.svc.cluster.local"]["db"]
	if len(c) != 3 || !c["10.244.0.4"] || !c["fd00:10:244::4"] || !c["10.244.0.5"] {
		t.Errorf("cassandra's addresses %v", c)
	}
	if e, ok := got["empty.db.svc.cluster.local"]["db"]; !ok || len(e) != 0 {
		t.Errorf("empty's addresses %v (listed: %v)", e, ok)
	}
	if _, err := istiod.EndpointAddresses([]byte(`[]`)); err == nil || !strings.Contains(err.Error(), istiod.EndpointShardzPath) {
		t.Errorf("a list: err = %v, want one naming %s", err, istiod.EndpointShardzPath)
	}
}
