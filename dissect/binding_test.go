package dissect

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// TestSetIPPort checks the in-place dotted quad and port rendering against
// netip and strconv (every port, every octet value in every position), and
// that a reused Binding equals a fresh one (the bytes past a Text's length
// stay zero, so == works).
func TestSetIPPort(t *testing.T) {
	var used Binding
	used.Addr.SetString(strings.Repeat("x", MaxText))
	used.Endpoint.SetString(strings.Repeat("y", 40))
	for p := 0; p <= 0xffff; p++ {
		var fresh Binding
		fresh.SetPort(uint16(p))
		if got := fresh.Endpoint.String(); got != strconv.Itoa(p) || fresh.Port != uint16(p) || !fresh.HasPort {
			t.Fatalf("SetPort(%d): %q", p, got)
		}
		used.SetPort(uint16(p))
		if used.Endpoint != fresh.Endpoint {
			t.Fatalf("SetPort(%d) on a used Binding differs from a fresh one", p)
		}
	}
	for pos := 0; pos < 4; pos++ {
		for v := 0; v < 256; v++ {
			a := [4]byte{10, 200, 3, 99}
			a[pos] = byte(v)
			ip := netip.AddrFrom4(a)
			var fresh Binding
			fresh.SetIP(ip)
			if got := fresh.Addr.String(); got != ip.String() || fresh.IP != ip {
				t.Fatalf("SetIP(%v): %q", ip, got)
			}
			used.SetIP(ip)
			if used.Addr != fresh.Addr {
				t.Fatalf("SetIP(%v) on a used Binding differs from a fresh one", ip)
			}
		}
	}
	for _, s := range []string{"2001:db8::1", "fe80::1%eth0", "::ffff:10.0.0.1"} {
		ip := netip.MustParseAddr(s)
		var fresh Binding
		fresh.SetIP(ip)
		used.SetIP(ip)
		if fresh.Addr.String() != ip.String() || used.Addr != fresh.Addr {
			t.Fatalf("SetIP(%v): %q", ip, fresh.Addr.String())
		}
	}
	// Set after a longer and after a shorter content.
	var a, b Text
	a.SetString("a longer text")
	a.SetString("short")
	b.SetString("short")
	if a != b || !a.Equal("short") {
		t.Fatalf("Set over a longer text: %q", a.String())
	}
	if a.Set([]byte(strings.Repeat("z", MaxText+1))) || a.Len() != MaxText {
		t.Fatal("Set of an over-long text")
	}
}

func TestBindingNoAllocs(t *testing.T) {
	ip4, ip6 := netip.MustParseAddr("157.61.239.5"), netip.MustParseAddr("2001:db8::1")
	var b Binding
	if n := testing.AllocsPerRun(100, func() {
		b.SetIP(ip4)
		b.SetPort(1039)
		b.SetIP(ip6)
	}); n != 0 {
		t.Fatalf("%v allocs per run", n)
	}
}
