package meshconfig

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the README's mesh config tables")

// TestFieldsComplete walks MeshConfig's and ProxyConfig's descriptors: every
// field has exactly one row, in the proto's order, and every row is a field.
func TestFieldsComplete(t *testing.T) {
	check := func(md protoreflect.MessageDescriptor, prefix string, rows []Field) {
		var want, got []string
		for i := 0; i < md.Fields().Len(); i++ {
			want = append(want, prefix+md.Fields().Get(i).JSONName())
		}
		for _, r := range rows {
			got = append(got, r.Name)
			if r.Kind != Modelled && r.Kind != NoOutboundEffect && r.Kind != NotModelled {
				t.Errorf("%s: kind %q", r.Name, r.Kind)
			}
			if r.Why == "" || r.Source == "" {
				t.Errorf("%s: no why or no source", r.Name)
			}
			if r.Default != "" && r.Kind != NotModelled {
				t.Errorf("%s: a default on a %s row (only not modelled rows compare with it)", r.Name, r.Kind)
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%sfields:\n got %v\nwant %v (the descriptor's, in its order)", prefix, got, want)
		}
	}
	check(descriptor(), "", Fields)
	check((&meshv1alpha1.ProxyConfig{}).ProtoReflect().Descriptor(), "defaultConfig.", ProxyFields)
	seen := map[string]bool{}
	for _, f := range Flags {
		if seen[f.Name] || f.Why == "" || f.Source == "" || f.Kind == NoOutboundEffect {
			t.Errorf("flag %s: duplicate, no why/source, or of kind %q", f.Name, f.Kind)
		}
		seen[f.Name] = true
	}
}

// TestFieldsSince checks each row's Since against the MeshConfig of each
// minor's istio.io/api pin: the go.mod of its .0 tag (1.31.0-rc.0 for 1.31,
// master for 1.32) in an istio/istio clone, the API from the module cache.
// It says what it skipped where either is missing.
func TestFieldsSince(t *testing.T) {
	gitDir := os.Getenv("ISTIO_GIT_DIR")
	if gitDir == "" {
		gitDir = "/work/.mirror/istio+istio/repo"
	}
	modCache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env GOMODCACHE: %v", err)
	}
	tags := map[int]string{24: "1.24.0", 25: "1.25.0", 26: "1.26.0", 27: "1.27.0", 28: "1.28.0", 29: "1.29.0", 30: "1.30.0", 31: "1.31.0-rc.0", 32: "master"}
	pin := regexp.MustCompile(`(?m)^\s*istio\.io/api (\S+)`)
	checked := 0
	for minor := 24; minor <= 32; minor++ {
		gomod, err := exec.Command("git", "--git-dir="+gitDir, "show", tags[minor]+":go.mod").Output()
		m := pin.FindSubmatch(gomod)
		if err != nil || m == nil {
			t.Logf("skipped 1.%d: no go.mod of %s in %s", minor, tags[minor], gitDir)
			continue
		}
		dir := filepath.Join(strings.TrimSpace(string(modCache)), "istio.io", "api@"+string(m[1]), "mesh", "v1alpha1")
		mesh, err1 := structFields(filepath.Join(dir, "config.pb.go"), "MeshConfig")
		proxy, err2 := structFields(filepath.Join(dir, "proxy.pb.go"), "ProxyConfig")
		if err1 != nil || err2 != nil {
			t.Logf("skipped 1.%d: istio.io/api %s not in the module cache", minor, m[1])
			continue
		}
		checked++
		for _, f := range append(append([]Field{}, Fields...), ProxyFields...) {
			name, has := f.Name, mesh
			if rest, ok := strings.CutPrefix(f.Name, "defaultConfig."); ok {
				name, has = rest, proxy
			}
			if want := f.Since <= minor; has[name] != want {
				t.Errorf("%s: Since %d, but 1.%d's MeshConfig (istio.io/api %s) has it: %v", f.Name, f.Since, minor, m[1], has[name])
			}
		}
	}
	t.Logf("checked %d minors", checked)
}

// structFields lists the JSON names of the fields of the generated Go
// struct name in a .pb.go file, with its oneof members (fields of the
// wrapper structs name_X).
func structFields(path, name string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	block := regexp.MustCompile(`(?s)\ntype ` + name + `(_[A-Za-z0-9]+_?)? struct \{(.*?)\n\}\n`)
	tag := regexp.MustCompile(`protobuf:"[^"]*?name=(\w+)(?:,json=(\w+))?[^"]*"`)
	for _, b := range block.FindAllSubmatch(data, -1) {
		for _, m := range tag.FindAllSubmatch(b[2], -1) {
			if len(b[1]) > 0 && !bytes.Contains(m[0], []byte(",oneof")) {
				continue
			}
			n := m[1]
			if len(m[2]) > 0 {
				n = m[2]
			}
			out[string(n)] = true
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no struct %s", path, name)
	}
	return out, nil
}

func TestUnmodelled(t *testing.T) {
	tests := []struct {
		name  string
		mesh  string
		env   map[string]string
		minor int
		want  []string
	}{
		{name: "modelled and no-effect fields say nothing",
			mesh: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}\nconnectTimeout: 1s\nenableAutoMtls: false\ndefaultConfig: {proxyMetadata: {ISTIO_META_DNS_CAPTURE: \"true\"}}"},
		{name: "a not modelled field at its default says nothing",
			mesh: "proxyListenPort: 15001\nprotocolDetectionTimeout: 0.000s\ndiscoverySelectors: []"},
		{name: "a not modelled field set",
			mesh: "proxyHttpPort: 15080\ndefaultHttpRetryPolicy: {attempts: 0}",
			want: []string{
				"meshConfig.defaultHttpRetryPolicy (the retry policy of every outbound HTTP route without its own)",
				"meshConfig.proxyHttpPort (adds an outbound HTTP proxy listener on that port)",
			}},
		{name: "a field newer than the version", minor: 26,
			mesh: "serviceEntryVisibility: {applyToSidecars: true}\nzoneAwareLbSetting: {}",
			want: []string{
				"meshConfig.serviceEntryVisibility (Istio 1.26's MeshConfig has no such field: its istiod ignores unknown fields, pkg/util/protomarshal ApplyJSON)",
				"meshConfig.zoneAwareLbSetting (Istio 1.26's MeshConfig has no such field: its istiod ignores unknown fields, pkg/util/protomarshal ApplyJSON)",
			}},
		{name: "flags: modelled, default, unparsable, unknown names say nothing",
			env: map[string]string{"PILOT_ENABLE_IP_AUTOALLOCATE": "false", "PILOT_HTTP10": "0", "PILOT_ENABLE_MONGO_FILTER": "maybe", "PILOT_SOMETHING_ELSE": "1"}},
		{name: "flags set", minor: 32,
			env: map[string]string{"PILOT_HTTP10": "1", "PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER": "true"},
			want: []string{
				"istiod env PILOT_HTTP10=1 (the HTTP chains of sniffed ports also match ALPN http/1.0, and HTTP chains accept HTTP/1.0 (otherwise Envoy answers 426))",
			}},
		{name: "a flag the version does not have", minor: 31,
			env: map[string]string{"PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER": "true"}},
		{name: "a modelled flag set", minor: 32,
			env: map[string]string{"PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mesh, err := Parse([]byte(tt.mesh))
			if err != nil {
				t.Fatal(err)
			}
			got := Unmodelled(mesh, tt.env, tt.minor)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Unmodelled:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestReadmeTables checks README's mesh config and istiod flag tables are
// Markdown()'s; -update rewrites them.
func TestReadmeTables(t *testing.T) {
	const begin, end = "<!-- meshconfig:begin -->\n", "<!-- meshconfig:end -->"
	path := filepath.Join("..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(data, []byte(begin)), bytes.Index(data, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q markers", path, strings.TrimSpace(begin), end)
	}
	want := Markdown()
	if got := string(data[i+len(begin) : j]); got == want {
		return
	} else if !*update {
		t.Fatalf("%s: the mesh config tables differ from meshconfig's; run: go test ./meshconfig -run TestReadmeTables -update\n got:\n%s\nwant:\n%s", path, got, want)
	}
	out := append(append(append([]byte(nil), data[:i+len(begin)]...), want...), data[j:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
