package flow

import (
	"hash/maphash"
	"math/rand"
	"net/netip"
	"testing"
)

func TestNewKeyCanonical(t *testing.T) {
	c := netip.MustParseAddr("10.0.2.15")
	s := netip.MustParseAddr("10.0.2.16")
	tests := []struct {
		name           string
		src            netip.Addr
		sport          uint16
		dst            netip.Addr
		dport          uint16
		wantA          netip.Addr
		wantPA, wantPB uint16
		wantSide       Side
	}{
		{"client to server", c, 49712, s, 135, c, 49712, 135, SideA},
		{"server to client", s, 135, c, 49712, c, 49712, 135, SideB},
		{"same address, lower port first", s, 49152, s, 135, s, 135, 49152, SideB},
		{"same address and port", s, 135, s, 135, s, 135, 135, SideA},
		{"mapped source is unmapped", netip.MustParseAddr("::ffff:10.0.2.15"), 49712, s, 135, c, 49712, 135, SideA},
		{"ipv4 sorts before ipv6", netip.MustParseAddr("::1"), 135, c, 5000, c, 5000, 135, SideB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, side := NewKey(TCP, tt.src, tt.sport, tt.dst, tt.dport)
			if k.A != tt.wantA || k.PortA != tt.wantPA || k.PortB != tt.wantPB || side != tt.wantSide || k.Proto != TCP {
				t.Fatalf("NewKey = %v side %v; want A=%v ports %d/%d side %v", k, side, tt.wantA, tt.wantPA, tt.wantPB, tt.wantSide)
			}
			// The reverse packet has the same key and the other side.
			k2, side2 := NewKey(TCP, tt.dst, tt.dport, tt.src, tt.sport)
			if k2 != k {
				t.Fatalf("reverse key %v != %v", k2, k)
			}
			if side2 != side.Other() && !(tt.src.Unmap() == tt.dst.Unmap() && tt.sport == tt.dport) {
				t.Fatalf("reverse side %v, want %v", side2, side.Other())
			}
			addr, port := k.Endpoint(side)
			if addr != tt.src.Unmap() || port != tt.sport {
				t.Fatalf("Endpoint(sender) = %v:%d, want %v:%d", addr, port, tt.src, tt.sport)
			}
		})
	}
}

func TestKeyLowPort(t *testing.T) {
	k, _ := NewKey(TCP, netip.MustParseAddr("10.0.0.1"), 49152, netip.MustParseAddr("10.0.0.2"), 135)
	if got := k.LowPort(); got != SideB {
		t.Fatalf("LowPort = %v, want b (port 135)", got)
	}
	if _, p := k.Endpoint(k.LowPort()); p != 135 {
		t.Fatalf("low port endpoint has port %d", p)
	}
}

func TestKeyString(t *testing.T) {
	k, _ := NewKey(UDP, netip.MustParseAddr("157.61.239.5"), 1039, netip.MustParseAddr("157.61.239.61"), 135)
	if got, want := k.String(), "udp 157.61.239.5:1039 <-> 157.61.239.61:135"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	if got := Proto(132).String(); got != "proto-132" {
		t.Fatalf("Proto(132) = %q", got)
	}
}

func TestKeyHashShard(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const shards, n = 4, 20000
	var count [shards]int
	for i := 0; i < n; i++ {
		var a, b [4]byte
		rng.Read(a[:])
		rng.Read(b[:])
		sp, dp := uint16(rng.Intn(65536)), uint16(rng.Intn(65536))
		k1, _ := NewKey(TCP, netip.AddrFrom4(a), sp, netip.AddrFrom4(b), dp)
		k2, _ := NewKey(TCP, netip.AddrFrom4(b), dp, netip.AddrFrom4(a), sp)
		if k1.Hash() != k2.Hash() || k1.Shard(shards) != k2.Shard(shards) {
			t.Fatalf("directions of %v hash differently", k1)
		}
		count[k1.Shard(shards)]++
	}
	for i, c := range count {
		if c < n/shards*9/10 || c > n/shards*11/10 {
			t.Errorf("shard %d got %d of %d keys; want within 10%% of %d", i, c, n, n/shards)
		}
	}
	// The hash is fixed (no per-process seed): workers in different
	// processes must agree.
	k, _ := NewKey(TCP, netip.MustParseAddr("10.0.2.15"), 49712, netip.MustParseAddr("10.0.2.16"), 135)
	if h1, h2 := k.Hash(), k.Hash(); h1 != h2 {
		t.Fatal("hash not deterministic")
	}
	// Protocol and ports change the hash.
	k2 := k
	k2.Proto = UDP
	k3 := k
	k3.PortB = 136
	if k.Hash() == k2.Hash() || k.Hash() == k3.Hash() {
		t.Fatal("hash ignores protocol or port")
	}
}

// TestNewKeyOrderIPv4 checks NewKey's IPv4 shortcut against netip's Compare
// order, including equal addresses (ports decide) and addresses that differ
// only in their high or low bytes.
func TestNewKeyOrderIPv4(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	addr := func() netip.Addr {
		var b [4]byte
		switch rng.Intn(3) {
		case 0:
			b = [4]byte{10, 0, 0, byte(rng.Intn(4))}
		case 1:
			b = [4]byte{byte(rng.Intn(4)) + 200, 0, 0, 1}
		default:
			rng.Read(b[:])
		}
		return netip.AddrFrom4(b)
	}
	for i := 0; i < 20000; i++ {
		src, dst := addr(), addr()
		sp, dp := uint16(rng.Intn(3)+134), uint16(rng.Intn(3)+134)
		k, side := NewKey(TCP, src, sp, dst, dp)
		c := src.Compare(dst)
		wantA := c < 0 || (c == 0 && sp <= dp)
		if (side == SideA) != wantA || (wantA && (k.A != src || k.PortA != sp)) || (!wantA && (k.A != dst || k.PortA != dp)) {
			t.Fatalf("NewKey(%v:%d, %v:%d) = %v side %v", src, sp, dst, dp, k, side)
		}
	}
}

// TestNewKeyReference checks NewKey against its definition (unmap both
// addresses, then order by netip's Compare and the ports) over IPv4,
// IPv4-mapped, IPv6, zoned and invalid addresses.
func TestNewKeyReference(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	addr := func() netip.Addr {
		var b [16]byte
		rng.Read(b[:])
		v4 := netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.Intn(3))})
		switch rng.Intn(6) {
		case 0:
			return v4
		case 1:
			return netip.AddrFrom16(v4.As16()) // mapped
		case 2:
			return netip.AddrFrom16(b)
		case 3:
			return netip.AddrFrom16(b).WithZone("eth0")
		case 4:
			return netip.Addr{}
		}
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	for i := 0; i < 50000; i++ {
		src, dst := addr(), addr()
		sp, dp := uint16(rng.Intn(3)+134), uint16(rng.Intn(3)+134)
		k, side := NewKey(UDP, src, sp, dst, dp)
		us, ud := src.Unmap(), dst.Unmap()
		c := us.Compare(ud)
		want, wantSide := Key{A: us, B: ud, PortA: sp, PortB: dp, Proto: UDP}, SideA
		if c > 0 || (c == 0 && sp > dp) {
			want, wantSide = Key{A: ud, B: us, PortA: dp, PortB: sp, Proto: UDP}, SideB
		}
		if k != want || side != wantSide {
			t.Fatalf("NewKey(%v:%d, %v:%d) = %v side %v, want %v side %v", src, sp, dst, dp, k, side, want, wantSide)
		}
	}
}

// TestKeyIndexHash checks the index hash of flow keys: equal keys hash
// equally in one table whatever their zone, every field changes it, and
// two tables hash differently.
func TestKeyIndexHash(t *testing.T) {
	h1, h2 := keyHasher(maphash.MakeSeed()), keyHasher(maphash.MakeSeed())
	v4, _ := NewKey(TCP, netip.MustParseAddr("10.0.2.15"), 49712, netip.MustParseAddr("10.0.2.16"), 135)
	v6, _ := NewKey(TCP, netip.MustParseAddr("fe80::1"), 49712, netip.MustParseAddr("fe80::2"), 135)
	for _, k := range []Key{v4, v6} {
		h := h1(k)
		if h1(k) != h {
			t.Fatalf("%v: hash not stable", k)
		}
		if h2(k) == h {
			t.Fatalf("%v: two seeds, one hash", k)
		}
		for i, mod := range []func(*Key){
			func(k *Key) { k.Proto = UDP },
			func(k *Key) { k.PortA++ },
			func(k *Key) { k.PortB++ },
			func(k *Key) { k.A = k.A.Next() },
			func(k *Key) { k.B = k.B.Prev() },
			func(k *Key) { k.A, k.B = k.B, k.A },
		} {
			k2 := k
			mod(&k2)
			if h1(k2) == h {
				t.Errorf("%v: change %d does not change the hash", k, i)
			}
		}
	}
	z := v6
	z.A = z.A.WithZone("eth0")
	if z == v6 || h1(z) != h1(v6) {
		t.Fatal("zones are hashed")
	}
}
