package controlplane

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
)

// Binaries are the programs Start runs.
type Binaries struct {
	// Kubernetes runs etcd, kube-apiserver or kube-controller-manager
	// (BuildKubernetes).
	Kubernetes string
	// Etcd, when set, is an etcd binary to run instead of the one built
	// into Kubernetes (the ETCD variable; see EtcdFromEnv).
	Etcd string
}

const (
	// NodeName is the one node, run in-process (node.go).
	NodeName = "listenerlab-node"
	// KubeContext is the context of the kubeconfig Start writes.
	KubeContext = "listenerlab-local"
	// dirPrefix names Start's temporary folders.
	dirPrefix = "listenerlab-local-"
)

// ControlPlane is a running local control plane.
type ControlPlane struct {
	// Dir holds every process's data and log; Stop removes it.
	Dir string
	// Kubeconfig is the path of a kubeconfig with cluster-admin rights.
	Kubeconfig string
	// REST is the client config of the same.
	REST *rest.Config
	// Family is the control plane's address families.
	Family IPFamily
	// NodePodCIDRs are the pod ranges the controller manager gave the
	// node (its pods take their IPs from them), primary family first.
	NodePodCIDRs []string

	log   io.Writer
	procs []*process
	stop  context.CancelFunc
	wg    sync.WaitGroup
}

// Options tunes Start.
type Options struct {
	// Log receives one line per step; nil discards them.
	Log io.Writer
	// Family is the service and pod ranges' families; IPv4 when empty.
	Family IPFamily
}

// Start runs etcd, the API server and the controller manager, creates the
// node, binds pending pods to it and runs them (node.go) until Stop. On
// error nothing is left running and the folder is removed.
func Start(ctx context.Context, bins Binaries, o Options) (cp *ControlPlane, err error) {
	sweepStale()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("local control plane: %w", err)
	}
	if o.Family == "" {
		o.Family = IPv4
	}
	cp = &ControlPlane{Dir: dir, log: o.Log, Family: o.Family}
	if cp.log == nil {
		cp.log = io.Discard
	}
	defer func() {
		if err != nil {
			cp.Stop()
			cp = nil
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return cp, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return cp, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	if err := cp.startEtcd(ctx, bins, etcdClient, etcdPeer); err != nil {
		return cp, err
	}
	cs, err := cp.startAPIServer(ctx, bins, etcdClient, apiPort)
	if err != nil {
		return cp, err
	}
	if err := cp.startControllerManager(ctx, bins, cs); err != nil {
		return cp, err
	}
	node, err := cp.createNode(ctx, cs)
	if err != nil {
		return cp, err
	}
	runner, err := newPodRunner(cs, node)
	if err != nil {
		return cp, err
	}
	cp.step("node %s is Ready (pods get IPs from %s)", NodeName, strings.Join(cp.NodePodCIDRs, ","))
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cp.stop = cancel
	cp.wg.Add(2)
	go func() {
		defer cp.wg.Done()
		bindPending(bctx, cs)
	}()
	go func() {
		defer cp.wg.Done()
		runner.run(bctx)
	}()
	cp.step("ready: %s (kubeconfig %s)", "https://"+hostPort(apiPort), cp.Kubeconfig)
	return cp, nil
}

// startEtcd runs etcd (the Kubernetes binary's, or bins.Etcd) on the two
// ports and waits until its client port answers.
func (cp *ControlPlane) startEtcd(ctx context.Context, bins Binaries, client, peer int) error {
	cp.step("starting etcd on %s", hostPort(client))
	etcdBin, etcdArgs := bins.Kubernetes, []string{"etcd"}
	if bins.Etcd != "" {
		etcdBin, etcdArgs = bins.Etcd, nil
	}
	etcd, err := start(cp.Dir, "etcd", etcdBin, append(etcdArgs,
		"--name", "listenerlab", "--data-dir", filepath.Join(cp.Dir, "etcd"),
		"--listen-client-urls", "http://"+hostPort(client), "--advertise-client-urls", "http://"+hostPort(client),
		"--listen-peer-urls", "http://"+hostPort(peer), "--initial-advertise-peer-urls", "http://"+hostPort(peer),
		"--initial-cluster", "listenerlab=http://"+hostPort(peer),
		"--unsafe-no-fsync", "--quota-backend-bytes", strconv.Itoa(2<<30),
	), nil)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, etcd)
	return etcd.waitReady(ctx, 30*time.Second, func(ctx context.Context) error { return dialable(ctx, hostPort(client)) })
}

// startAPIServer runs kube-apiserver on apiPort over etcd, writes the
// kubeconfig and waits until the server is ready; it returns a client of
// it.
func (cp *ControlPlane) startAPIServer(ctx context.Context, bins Binaries, etcdClient, apiPort int) (*kubernetes.Clientset, error) {
	token, err := cp.writeSecrets()
	if err != nil {
		return nil, err
	}
	ranges := cp.Family.Ranges()
	cp.step("starting kube-apiserver on %s (%s, services %s)", hostPort(apiPort), cp.Family, flag(ranges.Services))
	api, err := start(cp.Dir, "kube-apiserver", bins.Kubernetes, []string{"kube-apiserver",
		"--etcd-servers", "http://" + hostPort(etcdClient),
		"--bind-address", "127.0.0.1", "--advertise-address", cp.Family.advertiseAddress(), "--secure-port", strconv.Itoa(apiPort),
		"--cert-dir", filepath.Join(cp.Dir, "pki"),
		"--token-auth-file", filepath.Join(cp.Dir, "tokens.csv"),
		"--authorization-mode", "RBAC",
		"--service-cluster-ip-range", flag(ranges.Services),
		"--service-account-issuer", "https://kubernetes.default." + clusterdefaults.ServiceDomain,
		"--service-account-key-file", filepath.Join(cp.Dir, "sa.key"),
		"--service-account-signing-key-file", filepath.Join(cp.Dir, "sa.key"),
		// No token controller runs: pods need no ServiceAccount object.
		// TaintNodesByCondition would taint the new node
		// node.kubernetes.io/not-ready:NoSchedule, a taint only the node
		// lifecycle controller removes once the node is Ready; it does not
		// run here (without kubelet heartbeats it would taint the node
		// unreachable), and DaemonSet pods do not tolerate that taint, so
		// the DaemonSet controller made no pod for the node.
		"--disable-admission-plugins", "ServiceAccount,TaintNodesByCondition",
		"--allow-privileged",
		"--endpoint-reconciler-type", "lease",
	}, nil)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, api)
	if err := cp.writeKubeconfig("https://"+hostPort(apiPort), token); err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cp.REST)
	if err != nil {
		return nil, err
	}
	return cs, api.waitReady(ctx, 60*time.Second, func(ctx context.Context) error {
		b, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(b)))
		}
		_, err = cs.CoreV1().ServiceAccounts("default").List(ctx, metav1.ListOptions{})
		return err
	})
}

// startControllerManager runs kube-controller-manager with the
// controllers the scenarios need and waits until it made kube-system's
// default ServiceAccount.
func (cp *ControlPlane) startControllerManager(ctx context.Context, bins Binaries, cs *kubernetes.Clientset) error {
	ranges := cp.Family.Ranges()
	cp.step("starting kube-controller-manager (node pod ranges from %s, EndpointSlices, Deployments, StatefulSets, DaemonSets, Jobs, namespaces)", flag(ranges.Pods))
	kcm, err := start(cp.Dir, "kube-controller-manager", bins.Kubernetes, []string{"kube-controller-manager",
		"--kubeconfig", cp.Kubeconfig, "--leader-elect=false", "--secure-port=0",
		"--controllers", strings.Join([]string{"endpointslice-controller", "endpointslice-mirroring-controller", "endpoints-controller",
			"deployment-controller", "replicaset-controller", "statefulset-controller", "daemonset-controller",
			"job-controller", "cronjob-controller", "namespace-controller",
			"garbage-collector-controller", "serviceaccount-controller", "node-ipam-controller"}, ","),
		// The node's pod ranges, as kind's kube-controller-manager
		// allocates them: a /24 of each IPv4 range, a /64 of each IPv6 one
		// (the default mask sizes).
		"--allocate-node-cidrs", "--cluster-cidr", flag(ranges.Pods), "--service-cluster-ip-range", flag(ranges.Services),
		"--concurrent-endpoint-syncs=10", "--concurrent-service-endpoint-syncs=10",
	}, nil)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, kcm)
	return kcm.waitReady(ctx, 60*time.Second, func(ctx context.Context) error {
		_, err := cs.CoreV1().ServiceAccounts("kube-system").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
}

func (cp *ControlPlane) step(format string, args ...any) {
	fmt.Fprintf(cp.log, "local control plane: "+format+"\n", args...)
}

// writeSecrets writes the service account signing key and the token file
// of the one admin user, and returns the token.
func (cp *ControlPlane) writeSecrets() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(cp.Dir, "sa.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	line := token + `,listenerlab-admin,listenerlab-admin,"system:masters"` + "\n"
	return token, os.WriteFile(filepath.Join(cp.Dir, "tokens.csv"), []byte(line), 0o600)
}

// writeKubeconfig writes the kubeconfig (the API server's certificate is
// self-signed, generated at its start: not verified) and sets REST.
func (cp *ControlPlane) writeKubeconfig(server, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: server, InsecureSkipTLSVerify: true}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[KubeContext] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "admin"}
	cfg.CurrentContext = KubeContext
	cp.Kubeconfig = filepath.Join(cp.Dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, cp.Kubeconfig); err != nil {
		return err
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 200, 400
	cp.REST = rc
	return nil
}

// bindPending stands in for the scheduler: every pod without a node is
// bound to the one node.
func bindPending(ctx context.Context, cs kubernetes.Interface) {
	sel := fields.OneTermEqualSelector("spec.nodeName", "").String()
	for ctx.Err() == nil {
		pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err == nil {
			for _, p := range pods.Items {
				if p.DeletionTimestamp != nil {
					continue
				}
				b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
					Target: corev1.ObjectReference{Kind: "Node", Name: NodeName}}
				_ = cs.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{})
			}
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// Stop ends every process (newest first) and removes the folder.
func (cp *ControlPlane) Stop() {
	cp.halt()
	_ = os.RemoveAll(cp.Dir)
}

// Keep ends every process but leaves the folder with the logs and etcd's
// data, and returns it.
func (cp *ControlPlane) Keep() string {
	cp.halt()
	_ = os.Remove(filepath.Join(cp.Dir, "owner.pid"))
	return cp.Dir
}

// halt ends the node's loops and every process, newest first.
func (cp *ControlPlane) halt() {
	if cp.stop != nil {
		cp.stop()
		cp.wg.Wait()
	}
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].stop(10 * time.Second)
	}
	cp.procs = nil
}

// sweepStale removes the folders of earlier Starts whose process is gone
// (killed before it could Stop; its children died with it).
func sweepStale() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range matches {
		b, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue // kept on purpose, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(d)
		}
	}
}
