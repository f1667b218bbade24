// Package gitopsgen writes generated GitOps repositories (plain manifests,
// one file per namespace) for benchmarks and tests of analyze at monorepo
// scale: the files go through the same loading path as a user's folder.
package gitopsgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Shape says what a generated repository holds.
type Shape struct {
	// Namespaces is how many application namespaces (ns-0000, ns-0001, ...)
	// the repository has.
	Namespaces int
	// ServicesPerNamespace is how many Services each namespace has (0: 10).
	// They cycle through four kinds: an HTTP port 80 named http, an
	// http-named port on 8080 onwards, a tcp-named port on 5432 onwards and
	// an unnamed (auto-detected) port on 9000 onwards.
	ServicesPerNamespace int
	// ServiceEntries is how many address-less TCP ServiceEntries (resolution
	// DNS, one host each, on four ports) are spread over the namespaces
	// (negative: none; 0: one per five namespaces, 200 at 1,000).
	ServiceEntries int
	// WithoutWorkloadEvery leaves every k-th namespace without its
	// Deployment (0: every namespace has one), so analyze checks it with
	// the standard client.
	WithoutWorkloadEvery int
}

// Standard is the shape of issue 14's measurements: n namespaces, each with
// one Deployment and ten Services, and n/5 ServiceEntries.
func Standard(n int) Shape { return Shape{Namespaces: n} }

func (s Shape) services() int {
	if s.ServicesPerNamespace == 0 {
		return 10
	}
	return s.ServicesPerNamespace
}

func (s Shape) entries() int {
	switch {
	case s.ServiceEntries < 0:
		return 0
	case s.ServiceEntries == 0:
		return s.Namespaces / 5
	}
	return s.ServiceEntries
}

// Counts returns how many Services, ServiceEntries and workloads the shape
// writes.
func (s Shape) Counts() (services, entries, workloads int) {
	workloads = s.Namespaces
	if s.WithoutWorkloadEvery > 0 {
		workloads -= (s.Namespaces + s.WithoutWorkloadEvery - 1) / s.WithoutWorkloadEvery
	}
	return s.Namespaces * s.services(), s.entries(), workloads
}

// Write writes the repository into dir (which must exist), one file
// ns-NNNN.yaml per namespace holding its Deployment, Services and
// ServiceEntries. The same shape always writes the same bytes.
func Write(dir string, s Shape) error {
	if s.Namespaces <= 0 {
		return fmt.Errorf("gitopsgen: %d namespaces, want at least one", s.Namespaces)
	}
	width := len(fmt.Sprint(s.Namespaces - 1))
	if width < 4 {
		width = 4
	}
	entries := make([][]int, s.Namespaces)
	for i := 0; i < s.entries(); i++ {
		// Spread the entries evenly over the namespaces.
		ns := i * s.Namespaces / s.entries()
		entries[ns] = append(entries[ns], i)
	}
	for n := 0; n < s.Namespaces; n++ {
		ns := fmt.Sprintf("ns-%0*d", width, n)
		var b strings.Builder
		if s.WithoutWorkloadEvery == 0 || n%s.WithoutWorkloadEvery != 0 {
			fmt.Fprintf(&b, deployment, ns)
		}
		for i := 0; i < s.services(); i++ {
			b.WriteString("---\n")
			fmt.Fprintf(&b, "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-%d\n  namespace: %s\nspec:\n  selector:\n    app: web\n  ports:\n", i, ns)
			switch k := i / 4; i % 4 {
			case 0:
				b.WriteString("  - name: http\n    port: 80\n    targetPort: 8080\n")
			case 1:
				fmt.Fprintf(&b, "  - name: http-api\n    port: %d\n    targetPort: 8080\n", 8080+k)
			case 2:
				fmt.Fprintf(&b, "  - name: tcp-db\n    port: %d\n", 5432+k)
			default:
				fmt.Fprintf(&b, "  - port: %d\n", 9000+k)
			}
		}
		for _, e := range entries[n] {
			b.WriteString("---\n")
			fmt.Fprintf(&b, "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext-%d\n  namespace: %s\nspec:\n  hosts:\n  - ext-%d.example.com\n  ports:\n  - number: %d\n    name: tcp\n    protocol: TCP\n  resolution: DNS\n",
				e, ns, e, 3306+e%4)
		}
		doc := strings.TrimPrefix(b.String(), "---\n")
		if err := os.WriteFile(filepath.Join(dir, ns+".yaml"), []byte(doc), 0o644); err != nil {
			return fmt.Errorf("gitopsgen: %w", err)
		}
	}
	return nil
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.0
        ports:
        - containerPort: 8080
`
