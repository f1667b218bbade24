package e2erun

import (
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// TestFlags checks the flag names make e2e, make e2e-local and
// scripts/e2e.sh pass, and that each lands in its field.
func TestFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if c != DefaultConfig() {
		t.Errorf("RegisterFlags left %+v, want the defaults %+v", c, DefaultConfig())
	}
	err := fs.Parse([]string{"-provider=local", "-istio=1.31-dev", "-scenarios=scenarios/serviceentry", "-artifacts=out",
		"-max-parallel=8", "-suite-timeout=70m", "-keep-cluster", "-cluster-name=x", "-kind-config=k.yaml",
		"-kubecontext=kind-x", "-allow-context=kind-x", "-ip-family=DualStack", "-image=img"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Istio: "1.31-dev", Scenarios: "scenarios/serviceentry", KeepCluster: true, ClusterName: "x", KindConfig: "k.yaml",
		KubeContext: "kind-x", AllowContext: "kind-x", Artifacts: "out", MaxParallel: 8, IPFamily: DualStack, Image: "img",
		SuiteTimeout: 70 * time.Minute, Provider: ProviderLocal}
	if c != want {
		t.Errorf("parsed %+v\nwant   %+v", c, want)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // substring of the error; empty: valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"local", func(c *Config) { c.Provider = ProviderLocal }, ""},
		{"unknown provider", func(c *Config) { c.Provider = "docker" }, `-provider="docker": want kind or local`},
		{"empty provider", func(c *Config) { c.Provider = "" }, `-provider=""`},
		{"ip family", func(c *Config) { c.IPFamily = "ipv4" }, `-ip-family="ipv4"`},
		{"no scenarios", func(c *Config) { c.Scenarios = " " }, "-scenarios is empty"},
		{"parallel", func(c *Config) { c.MaxParallel = 0 }, "-max-parallel=0"},
		{"timeout", func(c *Config) { c.SuiteTimeout = 0 }, "-suite-timeout=0s"},
		{"allow alone", func(c *Config) { c.AllowContext = "prod" }, "-allow-context=\"prod\" without -kubecontext"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// kubeconfig is a kubeconfig with a local kind context and a remote one.
func kubeconfig() (*clientcmdapi.Config, error) {
	return &clientcmdapi.Config{
		Clusters: map[string]*clientcmdapi.Cluster{
			"kind-dev": {Server: "https://127.0.0.1:40000"},
			"prod":     {Server: "https://prod.example.com:6443"},
		},
		Contexts: map[string]*clientcmdapi.Context{
			"kind-dev": {Cluster: "kind-dev"},
			"prod":     {Cluster: "prod"},
		},
	}, nil
}

// TestNewPicksProvider checks provider selection and what New refuses
// before anything runs.
func TestNewPicksProvider(t *testing.T) {
	root := t.TempDir()
	noKubeconfig := func() (*clientcmdapi.Config, error) { return nil, errors.New("no kubeconfig in this test") }
	for _, tc := range []struct {
		name        string
		edit        func(*Config)
		kubeconfig  func() (*clientcmdapi.Config, error)
		wantErr     string
		wantWhere   string
		wantContext string
	}{
		{name: "kind creates a cluster", edit: func(c *Config) { c.ClusterName = "ll" }, kubeconfig: noKubeconfig,
			wantWhere: "kind", wantContext: "kind-ll"},
		{name: "local", edit: func(c *Config) { c.Provider = ProviderLocal }, kubeconfig: noKubeconfig,
			wantWhere: "a local control plane (no Envoy: xDS client)"},
		{name: "local runs versions without images", edit: func(c *Config) { c.Provider, c.Istio = ProviderLocal, "1.31-dev" }, kubeconfig: noKubeconfig,
			wantWhere: "a local control plane (no Envoy: xDS client)"},
		{name: "kind needs release images", edit: func(c *Config) { c.Istio = "1.31-dev" }, kubeconfig: noKubeconfig,
			wantErr: "no release images of Istio 1.31-dev"},
		{name: "kind dry run of a version without images", edit: func(c *Config) { c.Istio, c.DryRun = "1.31-dev", true }, kubeconfig: noKubeconfig,
			wantWhere: "kind", wantContext: "kind-listenerlab"},
		{name: "unknown version", edit: func(c *Config) { c.Istio = "0.9" }, kubeconfig: noKubeconfig,
			wantErr: "-istio:"},
		{name: "bad flag", edit: func(c *Config) { c.Provider = "docker" }, kubeconfig: noKubeconfig,
			wantErr: "-provider"},
		{name: "existing kind context", edit: func(c *Config) { c.KubeContext = "kind-dev" }, kubeconfig: kubeconfig,
			wantWhere: "kind", wantContext: "kind-dev"},
		{name: "remote context refused", edit: func(c *Config) { c.KubeContext = "prod" }, kubeconfig: kubeconfig,
			wantErr: `refusing to deploy test scenarios into kubeconfig context "prod"`},
		{name: "remote context named twice", edit: func(c *Config) { c.KubeContext, c.AllowContext = "prod", "prod" }, kubeconfig: kubeconfig,
			wantWhere: "kind", wantContext: "prod"},
		{name: "unreadable kubeconfig", edit: func(c *Config) { c.KubeContext = "kind-dev" }, kubeconfig: noKubeconfig,
			wantErr: "reading kubeconfig: no kubeconfig in this test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			s, err := newSuite(c, root, tc.kubeconfig)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.provider.where(); got != tc.wantWhere {
				t.Errorf("provider %q, want %q", got, tc.wantWhere)
			}
			if s.context != tc.wantContext {
				t.Errorf("context %q, want %q", s.context, tc.wantContext)
			}
			if (s.kind != nil) != (c.Provider == ProviderKind && c.KubeContext == "") {
				t.Errorf("kind cluster %v for provider %s, context %q", s.kind, c.Provider, c.KubeContext)
			}
			if want := filepath.Join(root, "artifacts", "istio-"+c.Istio); s.artifacts.Dir() != want {
				t.Errorf("artifacts in %s, want %s", s.artifacts.Dir(), want)
			}
			if c.Provider == ProviderKind && s.cfg.KindConfig != filepath.Join(root, c.KindConfig) {
				t.Errorf("kind config %s is not made absolute under %s", s.cfg.KindConfig, root)
			}
			// kind: create or reuse the cluster, build istioctl, collect
			// garbage; local: build (control planes start per IP family).
			want := 1
			if c.Provider == ProviderKind {
				want = 3
			}
			if n := len(s.Setup()); n < want {
				t.Errorf("Setup has %d steps, want at least %d", n, want)
			}
		})
	}
}

// testSuite is a suite on the module's scenarios that writes nothing to
// the terminal.
func testSuite(t *testing.T, edit func(*Config)) *Suite {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Provider = ProviderLocal
	c.Artifacts = t.TempDir()
	if edit != nil {
		edit(&c)
	}
	s, err := newSuite(c, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.log = io.Discard
	return s
}
