package dump

import (
	"strings"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	redisv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// typeURLPrefix is the prefix Envoy writes before every message name in an
// Any's "@type".
const typeURLPrefix = "type.googleapis.com/"

// Type URLs of the terminal network filters this package interprets, taken
// from the generated messages so that they cannot drift from go-control-plane.
var (
	hcmType      = typeURL(&hcmv3.HttpConnectionManager{})
	tcpProxyType = typeURL(&tcpv3.TcpProxy{})
	redisType    = typeURL(&redisv3.RedisProxy{})
)

func typeURL(m proto.Message) string {
	return typeURLPrefix + string(proto.MessageName(m))
}

// messageName is the full message name of a type URL: everything after its
// last "/", as protobuf's own resolvers do.
func messageName(url string) protoreflect.FullName {
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		url = url[i+1:]
	}
	return protoreflect.FullName(url)
}

// decoded are the only Any payloads worth decoding: the terminal filters that
// name a route or a cluster. Any other payload is kept opaque (see opaque).
var decoded = map[protoreflect.FullName]protoreflect.MessageType{
	messageName(hcmType):      (&hcmv3.HttpConnectionManager{}).ProtoReflect().Type(),
	messageName(tcpProxyType): (&tcpv3.TcpProxy{}).ProtoReflect().Type(),
	messageName(redisType):    (&redisv3.RedisProxy{}).ProtoReflect().Type(),
}

// Opaque is an empty message that stands in for every other Any payload:
// decoding the payload into it with DiscardUnknown drops its fields, so the Any
// keeps only its type URL. It is deliberately not a well-known type, whose
// JSON form protojson would expect as {"@type": ..., "value": ...}.
var Opaque = func() protoreflect.MessageType {
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        proto.String("listenerlab/dump/opaque.proto"),
		Package:     proto.String("listenerlab.dump"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Opaque")}},
	}, nil)
	if err != nil {
		panic("dump: building the opaque message: " + err.Error())
	}
	return dynamicpb.NewMessageType(fd.Messages().Get(0))
}()

// resolver resolves the three terminal filter types to their real messages and
// every other type URL, known to this binary or not, to Opaque. Decoding
// only what is interpreted keeps the result independent of which Envoy
// extensions the binary happens to link, and one odd extension config (an
// Istio or contrib filter, a newer Envoy's) cannot fail its listener.
type resolver struct{}

var _ interface {
	protoregistry.MessageTypeResolver
	protoregistry.ExtensionTypeResolver
} = resolver{}

func (resolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if t, ok := decoded[name]; ok {
		return t, nil
	}
	return Opaque, nil
}

func (r resolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	return r.FindMessageByName(messageName(url))
}

func (resolver) FindExtensionByName(protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return nil, protoregistry.NotFound
}

func (resolver) FindExtensionByNumber(protoreflect.FullName, protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return nil, protoregistry.NotFound
}
