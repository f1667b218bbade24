package trace

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	good := map[string]string{
		"1.2.3.4:443":           "1.2.3.4:443",
		"10.96.0.10:53":         "10.96.0.10:53",
		"[fd00::1]:80":          "[fd00::1]:80",
		"[::]:65535":            "[::]:65535",
		"0.0.0.0:1":             "0.0.0.0:1",
		"[::ffff:1.2.3.4]:3306": "1.2.3.4:3306",
		"1.2.3.4:0080":          "1.2.3.4:80",
	}
	for in, want := range good {
		got, err := ParseAddress(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseAddress(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                                "no port",
		"1.2.3.4":                         "no port",
		"1.2.3.4:":                        "no port",
		"[fd00::1]":                       "no port",
		"1.2.3.4:0":                       "out of range",
		"1.2.3.4:65536":                   "out of range",
		"1.2.3.4:99999999999999999999999": "out of range",
		"1.2.3.4:-1":                      "not a number",
		"1.2.3.4:+80":                     "not a number",
		"1.2.3.4:http":                    "not a number",
		"fd00::1:80":                      "brackets",
		"[1.2.3.4]:80":                    "brackets are for IPv6",
		"[fe80::1%eth0]:80":               "zones",
		"example.com:443":                 "not an IP address",
		"1.2.3.04:80":                     "not an IP address",
		" 1.2.3.4:80":                     "not an IP address",
		":80":                             "no IP address",
		"[]:80":                           "no IP address",
		"[fd00::1:80":                     "unbalanced",
		"fd00::1]:80":                     "unbalanced",
	}
	for in, want := range bad {
		_, err := ParseAddress(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAddress(%q) error %v, want one saying %q", in, err, want)
		}
	}
}

// FuzzParseAddress checks that ParseAddress never panics, that what it
// accepts is a valid, zone-free, unmapped address with a port in 1-65535,
// and that it reads its own output back unchanged. The corpus is kept
// under testdata/fuzz/FuzzParseAddress as regression seeds.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"1.2.3.4:443", "[fd00::1]:80", "[::ffff:1.2.3.4]:1", "1.2.3.4:0", "fd00::1:80", "[fe80::1%eth0]:80", "a:b:c", "[:]:1", "1.2.3.4:65536"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, err := ParseAddress(s)
		if err != nil {
			if !strings.Contains(err.Error(), "want IP:PORT or [IPv6]:PORT") {
				t.Errorf("error %q does not say what is wanted", err)
			}
			return
		}
		a := ap.Addr()
		if !a.IsValid() || a.Zone() != "" || a.Is4In6() || ap.Port() == 0 {
			t.Fatalf("ParseAddress(%q) = %v: invalid, zoned, mapped or port 0", s, ap)
		}
		again, err := ParseAddress(ap.String())
		if err != nil || again != ap {
			t.Fatalf("ParseAddress(%q) = %v, but its String %q reads back as %v, %v", s, ap, ap.String(), again, err)
		}
		if want, err := netip.ParseAddrPort(ap.String()); err != nil || want != ap {
			t.Fatalf("netip disagrees on %q: %v, %v", ap.String(), want, err)
		}
	})
}
