package modgen

import (
	"strings"
	"testing"
	"time"
)

func TestMinor(t *testing.T) {
	apiPin := []byte("module istio.io/istio\n\nrequire (\n\tistio.io/api v1.30.0-alpha.1.0.20260415171154-7fa57afdea51\n)\n")
	for _, tc := range []struct {
		name        string
		versionFile string
		goMod       []byte
		want        int
		wantFrom    string
	}{
		// The 2026-04-23 master snapshot: VERSION already says 1.31 while
		// istio.io/api is still a 1.30 alpha; VERSION wins.
		{"VERSION file first", "1.31\n", apiPin, 31, "VERSION 1.31"},
		{"istio.io/api pin without VERSION", "", apiPin, 30, "the istio.io/api pin v1.30.0-alpha.1.0.20260415171154-7fa57afdea51"},
		{"single-line require", "", []byte("require istio.io/api v1.24.0\n"), 24, "the istio.io/api pin v1.24.0"},
		{"VERSION not 1.N falls back", "master\n", apiPin, 30, "the istio.io/api pin v1.30.0-alpha.1.0.20260415171154-7fa57afdea51"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from, err := Minor([]byte(tc.versionFile), tc.goMod)
			if err != nil || got != tc.want || from != tc.wantFrom {
				t.Errorf("Minor = %d, %q, %v; want %d, %q", got, from, err, tc.want, tc.wantFrom)
			}
		})
	}
	if _, _, err := Minor(nil, []byte("module x\n")); err == nil {
		t.Error("Minor with neither VERSION nor istio.io/api: no error")
	}
}

func TestVersionTime(t *testing.T) {
	for v, want := range map[string]string{
		"v0.0.0-20260423205519-b01690e6db7d":            "2026-04-23T20:55:19Z",
		"v1.37.1-0.20260713214202-ca8ce173c36f":         "2026-07-13T21:42:02Z",
		"v1.30.0-alpha.1.0.20260415171154-7fa57afdea51": "2026-04-15T17:11:54Z",
		"v1.30.8": "0001-01-01T00:00:00Z",
	} {
		if got := versionTime(v, "").Format(time.RFC3339); got != want {
			t.Errorf("versionTime(%s) = %s, want %s", v, got, want)
		}
	}
}

func TestSummary(t *testing.T) {
	p := Provenance{Module: "v0.0.0-20260826214018-9739e10eb9d7", Time: time.Date(2026, 8, 26, 21, 40, 18, 0, time.UTC), Minor: 30, MinorFrom: "VERSION 1.30",
		Replacements: []Replacement{{Path: "istio.io/api", Pinned: "v1.30.4-0.20260824163423-69099aec2678", PinnedTime: time.Date(2026, 8, 24, 16, 34, 23, 0, time.UTC),
			Used: "v1.30.8", UsedTime: time.Date(2026, 8, 25, 0, 0, 0, 0, time.UTC)}}}
	want := "istio.io/istio v0.0.0-20260826214018-9739e10eb9d7 of 2026-08-26, minor 1.30 from VERSION 1.30, replacements for pins the module proxy refused: " +
		"istio.io/api v1.30.8 of 2026-08-25 (pinned v1.30.4-0.20260824163423-69099aec2678 of 2026-08-24)"
	if got := p.Summary(); got != want {
		t.Errorf("Summary:\n got %s\nwant %s", got, want)
	}
	p.Replacements = nil
	if got := p.Summary(); !strings.HasSuffix(got, ", no replacements") {
		t.Errorf("Summary without replacements: %s", got)
	}
}

func TestEscapePath(t *testing.T) {
	if got := escapePath("github.com/BurntSushi/toml"); got != "github.com/!burnt!sushi/toml" {
		t.Errorf("escapePath = %s", got)
	}
}

func TestRank(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 7, d, 0, 0, 0, 0, time.UTC) }
	cands := []candidate{{"v1.0.0", day(1)}, {"v1.2.0", day(20)}, {"v1.1.0", day(10)}, {"v0.0.0-20260718000000-aaaaaaaaaaaa", day(18)}, {"v1.1.1", day(14)}}
	rank(cands, "v1.1.2-0.20260713230000-bbbbbbbbbbbb", day(14).Add(-time.Hour), nil)
	var got []string
	for _, c := range cands {
		got = append(got, c.version)
	}
	want := "v1.1.1 v1.1.0 v0.0.0-20260718000000-aaaaaaaaaaaa v1.2.0 v1.0.0" // 1h, 3d23h, 4d1h, 6d1h, 12d23h away
	if strings.Join(got, " ") != want {
		t.Errorf("rank: %v, want %s", got, want)
	}
	tie := []candidate{{"early", day(9)}, {"late", day(11)}}
	rank(tie, "v0.0.0-20260710000000-bbbbbbbbbbbb", day(10), nil)
	if tie[0].version != "late" {
		t.Errorf("tie: %v, want the later one first", tie)
	}
}

func TestSumVersions(t *testing.T) {
	sum := []byte(`github.com/agentgateway/agentgateway/api v0.0.0-20260408212224-34871c59e328 h1:a=
github.com/agentgateway/agentgateway/api v0.0.0-20260408212224-34871c59e328/go.mod h1:b=
github.com/agentgateway/agentgateway/api/sub v1.0.0/go.mod h1:c=
replace github.com/agentgateway/agentgateway/api => github.com/agentgateway/agentgateway/api v0.0.0-20260501213430-773586679f1c
`)
	got := strings.Join(SumVersions(sum, "github.com/agentgateway/agentgateway/api"), " ")
	if got != "v0.0.0-20260408212224-34871c59e328 v0.0.0-20260501213430-773586679f1c" {
		t.Errorf("SumVersions = %s", got)
	}
}

// TestRankLineAndSiblings replays the 1.30 branch's refusals: istio.io/api
// pinned at a v1.30.4 pre-release of 2026-08-24 goes to v1.30.8, not to the
// v1.31.0 of the same day; go-control-plane envoy follows contrib to the
// commit already chosen for it although another is nearer by date.
func TestRankLineAndSiblings(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	api := []candidate{{"v1.31.0", at("2026-08-24")}, {"v1.30.8", at("2026-08-28")}, {"v1.30.3", at("2026-08-01")}}
	rank(api, "v1.30.4-0.20260824163423-69099aec2678", at("2026-08-24"), nil)
	if api[0].version != "v1.30.8" {
		t.Errorf("istio.io/api: %v, want v1.30.8 first", api)
	}
	envoy := []candidate{{"v1.37.1-0.20260418153000-ae8637bdda9d", at("2026-04-18")}, {"v1.37.1-0.20260713214202-ca8ce173c36f", at("2026-07-13")}}
	rank(envoy, "v1.37.1-0.20260409083702-98966259b99a", at("2026-04-09"), map[string]bool{"ca8ce173c36f": true})
	if envoy[0].version != "v1.37.1-0.20260713214202-ca8ce173c36f" {
		t.Errorf("envoy: %v, want contrib's commit first", envoy)
	}
	rank(envoy, "v1.37.1-0.20260409083702-98966259b99a", at("2026-04-09"), nil)
	if envoy[0].version != "v1.37.1-0.20260418153000-ae8637bdda9d" {
		t.Errorf("envoy without a sibling: %v, want the nearest by date", envoy)
	}
	if repoOf("github.com/envoyproxy/go-control-plane/envoy") != repoOf("github.com/envoyproxy/go-control-plane/contrib") || repoOf("istio.io/api") == repoOf("istio.io/client-go") {
		t.Error("repoOf")
	}
}
