package detect

import (
	"encoding/binary"
	"hash/maphash"
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// bindIndex finds a learned binding by its key (responder address,
// interface, binding).
//
// A dissect.Binding holds two fixed 255-byte texts, so a Go map keyed by
// bkey hashed and compared about 600 bytes per binding event. The index
// instead files bindings by a 64-bit digest of the bytes that carry
// meaning: the address, the interface, the protocol sequence, the port and
// the used bytes of the two texts (their lengths included, so that "ab"+"c"
// and "a"+"bc" differ). The bytes past a dissect.Text's length are always
// zero, so two keys with the same used bytes are equal under ==.
//
// The digest is already a seeded hash, so it picks the bucket itself: a
// power-of-two table of chains indexed by the digest's low bits, without a
// Go map hashing the digest again.
//
// # Security
//
// Keys come from the wire. The digest is hash/maphash with a seed chosen at
// random per index, so no one can choose bindings that share a digest or a
// bucket: the index cannot be flooded into long chains. The table doubles
// when it holds as many bindings as buckets, so a chain holds about one
// binding. Bindings in one chain are told apart by their digest and then
// by comparing the stored key exactly: two bindings are never merged, even
// when their digests are equal (about one chance in 2^64 per pair). The
// index holds at most what learn puts in it, which Config.MaxBindings
// bounds.
//
// # Allocation
//
// digest, find and remove allocate nothing; insert may grow the table.
// digest writes the index's scratch buffer: the index is not safe for
// concurrent use (the Detector's mutex serialises it).
type bindIndex struct {
	seed    maphash.Seed
	buckets []*binding // the first binding of each chain; a power of two long
	n       int        // bindings indexed
	// mask is ANDed into every digest; all ones except in tests, which
	// clear bits to force collisions.
	mask uint64
	buf  [digestMax + 2*dissect.MaxText]byte // digest's scratch
}

// minBuckets is the table's initial size.
const minBuckets = 64

// digestMax is the largest fixed part of a digest's input.
const digestMax = 44

func newBindIndex() bindIndex {
	return bindIndex{seed: maphash.MakeSeed(), buckets: make([]*binding, minBuckets), mask: ^uint64(0)}
}

// len is the number of bindings indexed.
func (x *bindIndex) len() int { return x.n }

// digest hashes a key. It reads the used bytes of the texts only, copied
// after a fixed header into the index's scratch buffer and hashed in one
// call (a maphash.Hash fed piece by piece cost twice as much). Equal keys
// have equal digests; the address's zone is left out (find compares it).
func (x *bindIndex) digest(server netip.Addr, id *dissect.SyntaxID, b *dissect.Binding) uint64 {
	// Header: interface (20), address length in bits (1: tells the zero
	// address, IPv4 and IPv6 apart), protocol sequence, HasPort, text
	// lengths (2), port (2), address (16, or 4 for IPv4). Written in few
	// wide stores: the hash reads 16 bytes at a time, and a load that
	// spans several narrow stores stalls.
	buf := &x.buf
	*(*dissect.UUID)(buf[0:16]) = id.UUID
	binary.LittleEndian.PutUint32(buf[16:], uint32(id.Major)|uint32(id.Minor)<<16)
	var hasPort uint64
	if b.HasPort {
		hasPort = 1
	}
	binary.LittleEndian.PutUint64(buf[20:], uint64(server.BitLen())|uint64(b.Protseq)<<8|hasPort<<16|
		uint64(b.Addr.Len())<<24|uint64(b.Endpoint.Len())<<32|uint64(b.Port)<<40)
	n := 28
	if server.Is4() {
		*(*[4]byte)(buf[n:]) = server.As4()
		n += 4
	} else {
		*(*[16]byte)(buf[n:]) = server.As16()
		n += 16
	}
	n += copy(buf[n:], b.Addr.Bytes())
	n += copy(buf[n:], b.Endpoint.Bytes())
	return maphash.Bytes(x.seed, buf[:n]) & x.mask
}

// bucket returns the chain head digest h files under.
func (x *bindIndex) bucket(h uint64) **binding {
	return &x.buckets[h&uint64(len(x.buckets)-1)]
}

// find returns the binding with exactly this key, or nil; h is the key's
// digest.
func (x *bindIndex) find(h uint64, server netip.Addr, id *dissect.SyntaxID, b *dissect.Binding) *binding {
	for r := *x.bucket(h); r != nil; r = r.hnext {
		if r.hash == h && r.key.is(server, id, b) {
			return r
		}
	}
	return nil
}

// insert adds r, whose key is not indexed yet and whose hash is its
// key's digest.
func (x *bindIndex) insert(r *binding) {
	if x.n >= len(x.buckets) {
		x.grow()
	}
	p := x.bucket(r.hash)
	r.hnext = *p
	*p = r
	x.n++
}

// grow doubles the table, refiling every chain.
func (x *bindIndex) grow() {
	old := x.buckets
	x.buckets = make([]*binding, 2*len(old))
	for _, r := range old {
		for r != nil {
			next := r.hnext
			p := x.bucket(r.hash)
			r.hnext = *p
			*p = r
			r = next
		}
	}
}

// remove drops r (a no-op when r is not indexed).
func (x *bindIndex) remove(r *binding) {
	for p := x.bucket(r.hash); *p != nil; p = &(*p).hnext {
		if *p == r {
			*p = r.hnext
			r.hnext = nil
			x.n--
			return
		}
	}
}

// is reports whether k is the key (server, id, b): k == bkey{server, *id,
// *b}, comparing only the used bytes of the texts (the rest are zero).
func (k *bkey) is(server netip.Addr, id *dissect.SyntaxID, b *dissect.Binding) bool {
	kb := &k.b
	return k.server == server && k.iface == *id && kb.Protseq == b.Protseq && kb.Port == b.Port &&
		kb.HasPort == b.HasPort && kb.IP == b.IP && sameText(&kb.Addr, &b.Addr) && sameText(&kb.Endpoint, &b.Endpoint)
}

func sameText(a, b *dissect.Text) bool {
	return a.Len() == b.Len() && string(a.Bytes()) == string(b.Bytes())
}

// epMemo remembers the last endpoint lookup: consecutive PDUs of one
// conversation ask for the same endpoint. It is dropped whenever the
// endpoint map changes.
type epMemo struct {
	key   epkey
	ap    netip.AddrPort // the address asked for (key.ap is it unmapped)
	ep    *endpoint      // nil: no endpoint at key
	valid bool
}

// endpoint returns the endpoint at k, or nil.
func (d *Detector) endpoint(k epkey) *endpoint {
	if d.epMemo.valid && d.epMemo.key == k {
		return d.epMemo.ep
	}
	ep := d.endpoints[k]
	d.epMemo = epMemo{key: k, ap: k.ap, ep: ep, valid: true}
	return ep
}

// endpointAt returns the endpoint at ap (unmapped) and transport tr, or
// nil. A repeat of the last lookup costs two compares.
func (d *Detector) endpointAt(ap netip.AddrPort, tr uint8) *endpoint {
	if m := &d.epMemo; m.valid && m.ap == ap && m.key.tr == tr {
		return m.ep
	}
	ep := d.endpoint(epkey{unmap(ap), tr})
	d.epMemo.ap = ap
	return ep
}
