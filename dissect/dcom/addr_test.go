package dcom_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect/dcom"
)

func TestClassifyAddress(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind dcom.AddrKind
		ip   string
	}{
		{"157.61.239.5", dcom.AddrIPv4, "157.61.239.5"},
		{"0.0.0.0", dcom.AddrIPv4, "0.0.0.0"},
		{"fe80::1", dcom.AddrIPv6, "fe80::1"},
		{"fe80::1%12", dcom.AddrIPv6, "fe80::1"},
		{"::ffff:10.1.2.3", dcom.AddrIPv6, "::ffff:10.1.2.3"},
		{"SRV20", dcom.AddrHostName, ""},
		{"SERVER-1", dcom.AddrHostName, ""},
		{"01566s-win16-ir", dcom.AddrHostName, ""},
		{"WORKSTATION6", dcom.AddrHostName, ""},
		{"host.example.com.", dcom.AddrHostName, ""},
		{"MY_PC", dcom.AddrHostName, ""},
		{"x1.2", dcom.AddrInvalid, ""}, // all-numeric last label
		{"157.61.239.61157.61.239.5", dcom.AddrInvalid, ""},
		{"1.2.3", dcom.AddrInvalid, ""},
		{"1234", dcom.AddrInvalid, ""},
		{"010.1.1.1", dcom.AddrInvalid, ""},
		{"256.1.1.1", dcom.AddrInvalid, ""},
		{"", dcom.AddrInvalid, ""},
		{"-srv", dcom.AddrInvalid, ""},
		{"srv-", dcom.AddrInvalid, ""},
		{"a..b", dcom.AddrInvalid, ""},
		{"srv 20", dcom.AddrInvalid, ""},
		{"fe80::1%", dcom.AddrInvalid, ""},
		{"fe80:::1", dcom.AddrInvalid, ""},
		{"h\xc3\xa9", dcom.AddrInvalid, ""},
		{strings.Repeat("a", 64), dcom.AddrInvalid, ""},
		{strings.Repeat("a", 63), dcom.AddrHostName, ""},
		{strings.Repeat("abc.", 64) + "x", dcom.AddrInvalid, ""},
	} {
		k, ip := dcom.ClassifyAddress([]byte(tc.in))
		var want netip.Addr
		if tc.ip != "" {
			want = netip.MustParseAddr(tc.ip)
		}
		if k != tc.kind || ip != want {
			t.Errorf("%q: %v %v, want %v %v", tc.in, k, ip, tc.kind, want)
		}
	}
}

// TestParseIPMatchesNetip compares the allocation-free parser with
// net/netip on a table; FuzzParseIP does the same on random input.
func TestParseIPMatchesNetip(t *testing.T) {
	for _, s := range []string{
		"1.2.3.4", "255.255.255.255", "1.2.3.04", "1.2.3", "1.2.3.4.5", "1..3.4", "", "::", "::1", "1::",
		"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6::7:8",
		"::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:1.2.3.4", "::1.2.3.4", "1::1.2.3.4", ":1", "1:",
		"1:::2", "12345::", "fe80::1%eth0", "a:b:c:d:e:f:a:b", "g::", "1:2:3:4:5:6:7:8:", ":::", "1.2.3.4:",
		"::1.2.3", "::1.2.3.4.5", "0:0:0:0:0:0:0:0", "1::2::3",
	} {
		checkParseIP(t, s)
	}
}

func checkParseIP(t *testing.T, s string) {
	t.Helper()
	got, ok := dcom.ParseIP([]byte(s))
	want, err := netip.ParseAddr(s)
	if err == nil && want.Zone() != "" {
		err = errZone
	}
	if ok != (err == nil) || (ok && got != want) {
		t.Errorf("ParseIP(%q) = %v %v; netip %v %v", s, got, ok, want, err)
	}
}

type zoneError struct{}

func (zoneError) Error() string { return "zone" }

var errZone = zoneError{}

func FuzzParseIP(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "::1", "fe80::1:2", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "157.61.239.61157.61.239.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkParseIP(t, s) })
}

func TestSplitFused(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want []string
	}{
		{"157.61.239.61157.61.239.5", 2, []string{"157.61.239.61", "157.61.239.5"}},
		{"10.0.0.110.0.0.2", 2, []string{"10.0.0.1", "10.0.0.2"}}, // 10.0.0.11 + 0.0.0.2 is implausible
		{"1.1.1.12.2.2.23.3.3.3", 3, []string{"1.1.1.1", "2.2.2.2", "3.3.3.3"}},
		{"192.168.1.1010.0.0.1", 2, []string{"192.168.1.10", "10.0.0.1"}},
		{"1.2.3.1231.2.3.4", dcom.FusedAmbiguous, nil}, // .1|231 .12|31 .123|1
		{"fe80::1fe80::2", dcom.FusedAmbiguous, nil},
		{"2001:db8::12001:db8::2", dcom.FusedAmbiguous, nil},
		{"157.61.239.5", 0, nil}, // one address is not fused
		{"SRV20", 0, nil},
		{"", 0, nil},
		{"1.2.3.41.2.3.5garbage", 0, nil},
		{"1.1.1.12.2.2.23.3.3.34.4.4.45.5.5.5", 0, nil}, // five parts: more than MaxFusedParts
		{"1.1.1.12.2.2.23.3.3.34.4.4.4", 4, []string{"1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"}},
		{"224.0.0.110.0.0.1", 0, nil}, // multicast is no interface address
	} {
		var out [dcom.MaxFusedParts]netip.Addr
		n := dcom.SplitFused([]byte(tc.in), &out)
		if n != tc.n {
			t.Errorf("%q: n = %d, want %d (%v)", tc.in, n, tc.n, out)
			continue
		}
		for i, w := range tc.want {
			if out[i] != netip.MustParseAddr(w) {
				t.Errorf("%q: part %d = %v, want %s", tc.in, i, out[i], w)
			}
		}
		if n <= 0 && out != [dcom.MaxFusedParts]netip.Addr{} {
			t.Errorf("%q: out not zeroed: %v", tc.in, out)
		}
	}
}

// FuzzSplitFused checks that SplitFused never panics, and that a unique
// reading glues back to the input.
func FuzzSplitFused(f *testing.F) {
	for _, s := range []string{"157.61.239.61157.61.239.5", "10.0.0.110.0.0.2", "fe80::1fe80::2", "1.2.3.4", strings.Repeat("1:", 90)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var out [dcom.MaxFusedParts]netip.Addr
		n := dcom.SplitFused([]byte(s), &out)
		if n > 0 {
			if n < 2 || n > dcom.MaxFusedParts {
				t.Fatalf("n = %d", n)
			}
			var glued string
			for _, a := range out[:n] {
				glued += a.String()
			}
			// netip prints IPv6 canonically, so only IPv4 round-trips byte
			// for byte
			if !strings.Contains(s, ":") && glued != s {
				t.Fatalf("%q split into %v", s, out[:n])
			}
		}
	})
}

func BenchmarkSplitFused(b *testing.B) {
	for _, tc := range []struct{ name, in string }{
		{"kb224460", "157.61.239.61157.61.239.5"},
		{"hostname", "WORKSTATION6"},
		{"ipv6-worst", strings.Repeat("1:", 89) + "1"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			in := []byte(tc.in)
			var out [dcom.MaxFusedParts]netip.Addr
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				dcom.SplitFused(in, &out)
			}
		})
	}
}
