// Package worldgen generates large Worlds for benchmarks of the predictor
// and the pilot backend (Generate). The small seeded scenarios of
// listenerlab fuzz are internal/offline/scenariogen's.
package worldgen

import (
	"fmt"
	"time"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/world"
)

// Generate builds a World with n Kubernetes Services of mixed protocols
// (HTTP, TCP, auto-detect), a headless Service with endpoints endpoints,
// and entries address-less ServiceEntries.
func Generate(n, endpoints, entries int) *world.World {
	w := &world.World{Format: world.Format, Scenario: "bench",
		Client: world.Client{Name: "client", Namespace: "default", IPs: []string{"10.244.0.2"}, InterceptionMode: "REDIRECT"}}
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	names := []string{"http-web", "tcp-db", "api"}
	for i := 0; i < n; i++ {
		ip := fmt.Sprintf("10.96.%d.%d", 1+i/250, 1+i%250)
		w.Services = append(w.Services, corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%d", i), Namespace: fmt.Sprintf("ns-%d", i%50), CreationTimestamp: created},
			Spec: corev1.ServiceSpec{ClusterIP: ip, ClusterIPs: []string{ip}, Ports: []corev1.ServicePort{
				{Name: names[i%3], Port: int32(8000 + i%40)}, {Name: "tcp-metrics", Port: 9100}}},
		})
	}
	for i := 0; i < 50; i++ {
		w.Namespaces = append(w.Namespaces, corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns-%d", i)}})
	}
	w.Namespaces = append(w.Namespaces, corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: "default"}})
	w.Services = append(w.Services, corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "headless", Namespace: "default", CreationTimestamp: created},
		Spec:       corev1.ServiceSpec{ClusterIP: "None", Ports: []corev1.ServicePort{{Name: "tcp", Port: 9092}}},
	})
	slice := discoveryv1.EndpointSlice{TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"}, ObjectMeta: metav1.ObjectMeta{Name: "headless-x", Namespace: "default",
		Labels: map[string]string{"kubernetes.io/service-name": "headless"}}, AddressType: discoveryv1.AddressTypeIPv4}
	for i := 0; i < endpoints; i++ {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.245.%d.%d", i/250, 1+i%250)}})
	}
	w.EndpointSlices = append(w.EndpointSlices, slice)
	for i := 0; i < entries; i++ {
		w.ServiceEntries = append(w.ServiceEntries, &networkingv1.ServiceEntry{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "ServiceEntry"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("se-%d", i), Namespace: "default", CreationTimestamp: created},
			Spec: apiv1alpha3.ServiceEntry{Hosts: []string{fmt.Sprintf("h%d.example.com", i)}, Resolution: apiv1alpha3.ServiceEntry_DNS,
				Ports: []*apiv1alpha3.ServicePort{{Number: uint32(5000 + i%20), Name: "tcp", Protocol: "TCP"}}},
		})
	}
	return w
}
