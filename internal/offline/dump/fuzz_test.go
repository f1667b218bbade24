package dump

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"
)

// FuzzParse checks that no input makes Parse panic, and that Parse either
// fails or returns something to report. Run it with
// go test -fuzz=FuzzParse -parallel 1 ./dump.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	small := &adminv3.ListenersConfigDump{DynamicListeners: []*adminv3.ListenersConfigDump_DynamicListener{
		active(sniffedListener()), rejected("10.96.0.40_8443", rejectedDetails),
	}}
	f.Add(configDumpWith(f, protojson.MarshalOptions{}, small))
	f.Add(marshal(f, small))
	f.Add(marshal(f, prefixListener()))
	for _, s := range []string{"", "{}", "[]", `{"configs":[]}`, "null", `[{"name":"x"}]`, "\xef\xbb\xbf{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			if d != nil {
				t.Fatalf("Parse returned both %+v and %v", d, err)
			}
			return
		}
		if len(d.Listeners) == 0 && len(d.Rejected) == 0 {
			t.Fatalf("Parse returned no error and nothing to report: %+v", d)
		}
		d.Outbound()
		if _, err := json.Marshal(d); err != nil && !errors.Is(err, ErrNoListeners) {
			t.Fatalf("marshal the dump: %v", err)
		}
	})
}
