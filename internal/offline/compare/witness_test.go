package compare

import (
	"os"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/predictor"
)

// TestWitnessesReplayRequests replays request witnesses on a real 1.26
// config dump of Bookinfo's request routing (reviews: end-user jason to
// v2, every other request to v1): a witness that says where real pilot's
// routes send the request passes, one that names another route or
// cluster is a difference, and a dump without a route part checks the
// listener alone.
func TestWitnessesReplayRequests(t *testing.T) {
	data, err := os.ReadFile("../dump/testdata/pilot-1.26-bookinfo-jason.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := dump.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	const (
		v1 = "cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"
		v2 = "cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local"
		rt = "9080 vhost reviews.bookinfo.svc.cluster.local:9080 route "
	)
	witness := func(headers map[string]string, route, dest string) []predictor.Finding {
		return []predictor.Finding{{Code: predictor.UnreachableRoute, Severity: predictor.SeverityError, Witness: &predictor.Witness{
			To: "10.96.90.80:9080", Host: "reviews.bookinfo", Path: "/reviews/1", Headers: headers,
			Meant: v2, Listener: "0.0.0.0_9080", Route: route, Destination: dest, Sniffed: true}}}
	}
	jason := map[string]string{"end-user": "jason"}
	tests := []struct {
		name   string
		fs     []predictor.Finding
		noRDS  bool
		want   string
		wantIn string
	}{
		{name: "jason to v2", fs: witness(jason, rt+"1", v2)},
		{name: "others to v1", fs: witness(nil, rt+"2", v1)},
		{name: "wrong cluster", fs: witness(nil, rt+"2", v2),
			want:   "-error UnreachableRoute: --to 10.96.90.80:9080 --host reviews.bookinfo --path /reviews/1 (meant for " + v2 + ") -> 0.0.0.0_9080 " + v2 + " via " + rt + "2 (http_inspector)",
			wantIn: "+--to 10.96.90.80:9080 --host reviews.bookinfo --path /reviews/1 (meant for " + v2 + ") -> 0.0.0.0_9080 " + v1 + " via " + rt + "2 (http_inspector)"},
		{name: "wrong route", fs: witness(jason, rt+"2", v2), wantIn: "-> 0.0.0.0_9080 " + v2 + " via " + rt + "1"},
		{name: "no route part: the listener alone", fs: witness(nil, rt+"2", v2), noRDS: true},
		{name: "no route part, wrong listener", fs: func() []predictor.Finding {
			fs := witness(nil, rt+"2", v2)
			fs[0].Witness.Listener = "10.96.90.80_9080"
			return fs
		}(), noRDS: true, wantIn: "(the dump has no routes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dd := *d
			if tt.noRDS {
				dd.Routes, dd.RoutesRead = nil, false
			}
			diffs := Witnesses(tt.fs, &dd)
			if tt.want == "" && tt.wantIn == "" {
				if len(diffs) != 0 {
					t.Fatalf("differences %v, want none", diffs)
				}
				return
			}
			if len(diffs) != 1 || diffs[0].Level != LevelWitness {
				t.Fatalf("differences %v, want one witness difference", diffs)
			}
			got := diffs[0].String()
			if tt.want != "" && !strings.Contains(got, tt.want) || !strings.Contains(got, tt.wantIn) {
				t.Errorf("difference:\n%s\nwant it to hold:\n%s\n%s", got, tt.want, tt.wantIn)
			}
		})
	}
}
