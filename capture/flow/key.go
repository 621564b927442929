package flow

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"
	"strconv"
)

// Proto is an IP protocol number as carried in the IPv4 protocol or IPv6
// next-header field.
type Proto uint8

// Protocols rpcwatch keys flows by.
const (
	ICMP   Proto = 1
	TCP    Proto = 6
	UDP    Proto = 17
	ICMPv6 Proto = 58
)

// String returns the lowercase protocol name, or "proto-N".
func (p Proto) String() string {
	switch p {
	case ICMP:
		return "icmp"
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case ICMPv6:
		return "icmpv6"
	}
	return "proto-" + strconv.Itoa(int(p))
}

// Side names one endpoint of a [Key]. A is the endpoint whose (address,
// port) sorts first; the side that sent a packet is the packet's direction.
type Side uint8

// The two endpoints of a key.
const (
	SideA Side = 0
	SideB Side = 1
)

// Other returns the opposite side.
func (s Side) Other() Side { return s ^ 1 }

// String returns "a" or "b".
func (s Side) String() string {
	if s == SideA {
		return "a"
	}
	return "b"
}

// Key identifies a transport conversation the same way for both directions:
// the endpoint (A) whose address, then port, sorts first comes first.
// IPv4-mapped IPv6 addresses are unmapped, so a conversation seen once over
// each form still has one key. Key is comparable and is meant to be used as
// a map key; build it with [NewKey] so that it is canonical.
type Key struct {
	A, B         netip.Addr
	PortA, PortB uint16
	Proto        Proto
}

// NewKey returns the canonical key of a packet sent from src:sport to
// dst:dport, and the side of the key that sent it.
func NewKey(proto Proto, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) (Key, Side) {
	if src.Is4() && dst.Is4() {
		// The common case, without Unmap (an IPv4 address is not a mapped
		// one) and without Compare's bit-length and zone steps: two IPv4
		// addresses order as their 32-bit values.
		a, b := src.As4(), dst.As4()
		x, y := binary.BigEndian.Uint32(a[:]), binary.BigEndian.Uint32(b[:])
		if x < y || (x == y && sport <= dport) {
			return Key{A: src, B: dst, PortA: sport, PortB: dport, Proto: proto}, SideA
		}
		return Key{A: dst, B: src, PortA: dport, PortB: sport, Proto: proto}, SideB
	}
	return newKeyAny(proto, src.Unmap(), sport, dst.Unmap(), dport)
}

// newKeyAny is NewKey for unmapped addresses of any kind.
func newKeyAny(proto Proto, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) (Key, Side) {
	c := src.Compare(dst)
	if c < 0 || (c == 0 && sport <= dport) {
		return Key{A: src, B: dst, PortA: sport, PortB: dport, Proto: proto}, SideA
	}
	return Key{A: dst, B: src, PortA: dport, PortB: sport, Proto: proto}, SideB
}

// Endpoint returns the address and port of side s.
func (k Key) Endpoint(s Side) (netip.Addr, uint16) {
	if s == SideA {
		return k.A, k.PortA
	}
	return k.B, k.PortB
}

// LowPort returns the side with the lower port (A when the ports are equal).
// When no handshake shows who called whom, the lower (well-known) port is
// the best guess for the server: 135 for the endpoint mapper, and dynamic
// RPC ports (49152 and up) usually sit below the client's ephemeral port.
func (k Key) LowPort() Side {
	if k.PortB < k.PortA {
		return SideB
	}
	return SideA
}

// Hash returns a deterministic 64-bit hash of the key, the same in every
// process and on every run, so that it can choose a worker shard. Equal keys
// hash equally; IPv6 zones are not hashed.
func (k Key) Hash() uint64 {
	a, b := k.A.As16(), k.B.As16()
	h := uint64(k.Proto)<<32 | uint64(k.PortA)<<16 | uint64(k.PortB)
	h = fmix64(h ^ binary.BigEndian.Uint64(a[:8]))
	h = fmix64(h ^ binary.BigEndian.Uint64(a[8:]))
	h = fmix64(h ^ binary.BigEndian.Uint64(b[:8]))
	h = fmix64(h ^ binary.BigEndian.Uint64(b[8:]))
	// Tell IPv4 from IPv4-mapped forms that Unmap left alone (zero Addr).
	return fmix64(h ^ uint64(k.A.BitLen())<<8 ^ uint64(k.B.BitLen()))
}

// mix multiplies a by b and folds the 128-bit product: the step of
// wyhash, which the Go runtime hashes with where the CPU lacks AES.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// keyHasher returns the default Table index hash for Key, keyed by six
// words drawn from seed: the key's words, each xored with a key word,
// multiplied pairwise and folded, then mixed once more. Unlike Hash it
// depends on the table's random seed, so that which keys collide in the
// index cannot be worked out from the keys. Two IPv4 addresses (the common
// case) are read as one word. Zones are not hashed (equal keys still hash
// equally).
func keyHasher(seed maphash.Seed) func(Key) uint64 {
	var s [6]uint64
	for i := range s {
		s[i] = maphash.Comparable(seed, uint64(i))
	}
	return func(k Key) uint64 {
		ports := uint64(k.Proto)<<32 | uint64(k.PortA)<<16 | uint64(k.PortB)
		if k.A.Is4() && k.B.Is4() {
			a, b := k.A.As4(), k.B.As4()
			x := uint64(binary.LittleEndian.Uint32(a[:]))<<32 | uint64(binary.LittleEndian.Uint32(b[:]))
			return mix(mix(x^s[0], ports^s[1])^s[2], s[3])
		}
		a, b := k.A.As16(), k.B.As16()
		ports |= uint64(k.A.BitLen())<<48 | uint64(k.B.BitLen())<<56
		h := mix(binary.LittleEndian.Uint64(a[:8])^s[0], binary.LittleEndian.Uint64(a[8:])^s[1])
		h ^= mix(binary.LittleEndian.Uint64(b[:8])^s[4], binary.LittleEndian.Uint64(b[8:])^s[5])
		return mix(h^s[2], ports^s[3])
	}
}

// fmix64 is the 64-bit finalizer of MurmurHash3: it spreads every input bit
// over the output.
func fmix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Shard returns the worker, in [0, n), that owns the key: every packet of a
// conversation, in either direction, maps to the same shard. n must be > 0.
func (k Key) Shard(n int) int {
	return int(k.Hash() % uint64(n))
}

// AppendTo appends "tcp 10.0.0.1:49152 <-> 10.0.0.2:135" to b.
func (k Key) AppendTo(b []byte) []byte {
	b = append(b, k.Proto.String()...)
	b = append(b, ' ')
	b = netip.AddrPortFrom(k.A, k.PortA).AppendTo(b)
	b = append(b, " <-> "...)
	return netip.AddrPortFrom(k.B, k.PortB).AppendTo(b)
}

// String returns the AppendTo form (allocates; not for hot paths).
func (k Key) String() string { return string(k.AppendTo(nil)) }
