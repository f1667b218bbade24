package scenariogen

import (
	"reflect"
	"testing"
)

// TestHTTPRoutesKeepOldCases: the http routes come from a stream of their
// own after every other draw, so a seed's case is the case it made before
// them plus the VirtualServices and DestinationRule they add; and some
// seeds get them.
func TestHTTPRoutesKeepOldCases(t *testing.T) {
	with := 0
	for seed := uint64(0); seed < 500; seed++ {
		old, now := scenario(seed, false), scenario(seed, true)
		if !reflect.DeepEqual(old.Header, now.Header) {
			t.Fatalf("seed %d: the header changed", seed)
		}
		if len(now.Objects) < len(old.Objects) || !reflect.DeepEqual(old.Objects, now.Objects[:len(old.Objects)]) {
			t.Fatalf("seed %d: the objects drawn before the http routes changed", seed)
		}
		added := now.Objects[len(old.Objects):]
		for _, o := range added {
			if k := o["kind"]; k != "VirtualService" && k != "DestinationRule" {
				t.Errorf("seed %d: http routes added a %v", seed, k)
			}
		}
		if len(added) > 0 {
			with++
		}
	}
	if with < 100 {
		t.Errorf("%d of 500 cases have http routes, want at least 100", with)
	}
	t.Logf("%d of 500 cases have http routes", with)
}
