package dissect

import "net/netip"

// Protseq is an RPC protocol sequence (transport), derived from tower floors
// or from a DCOM string binding's tower id.
type Protseq uint8

// Protocol sequences named by C706 and MS-RPCE.
const (
	ProtseqUnknown Protseq = iota
	NcacnIPTCP             // ncacn_ip_tcp: CO over TCP/IP
	NcadgIPUDP             // ncadg_ip_udp: CL over UDP/IP
	NcacnNP                // ncacn_np: CO over SMB named pipes
	Ncalrpc                // ncalrpc: local RPC (ALPC port name)
	NcacnHTTP              // ncacn_http: CO over RPC-over-HTTP
	NcacnNbTCP             // ncacn_nb_tcp: CO over NetBIOS over TCP
	NcacnNbIPX             // ncacn_nb_ipx: CO over NetBIOS over IPX
	NcacnNbNb              // ncacn_nb_nb: CO over NetBEUI
	NcacnSPX               // ncacn_spx: CO over SPX
	NcadgIPX               // ncadg_ipx: CL over IPX
	NcacnDnetNSP           // ncacn_dnet_nsp: CO over DECnet
	NcacnOsiDna            // ncacn_osi_dna: CO over OSI/DECnet phase V
	NcadgOsiClns           // CL over OSI CLNS (C706 tower id 0x06)
	NcacnAtDSP             // ncacn_at_dsp: CO over AppleTalk DSP
	NcadgAtDDP             // ncadg_at_ddp: CL over AppleTalk DDP
	NcacnVnsSPP            // ncacn_vns_spp: CO over Banyan VINES SPP
	NcadgMQ                // ncadg_mq: CL over MSMQ
	NcacnHvsocket          // ncacn_hvsocket: CO over Hyper-V sockets
	protseqCount
)

var protseqNames = [protseqCount]string{
	ProtseqUnknown: "unknown",
	NcacnIPTCP:     "ncacn_ip_tcp",
	NcadgIPUDP:     "ncadg_ip_udp",
	NcacnNP:        "ncacn_np",
	Ncalrpc:        "ncalrpc",
	NcacnHTTP:      "ncacn_http",
	NcacnNbTCP:     "ncacn_nb_tcp",
	NcacnNbIPX:     "ncacn_nb_ipx",
	NcacnNbNb:      "ncacn_nb_nb",
	NcacnSPX:       "ncacn_spx",
	NcadgIPX:       "ncadg_ipx",
	NcacnDnetNSP:   "ncacn_dnet_nsp",
	NcacnOsiDna:    "ncacn_osi_dna",
	NcadgOsiClns:   "ncadg_osi_clns",
	NcacnAtDSP:     "ncacn_at_dsp",
	NcadgAtDDP:     "ncadg_at_ddp",
	NcacnVnsSPP:    "ncacn_vns_spp",
	NcadgMQ:        "ncadg_mq",
	NcacnHvsocket:  "ncacn_hvsocket",
}

// String returns the protocol sequence's name, e.g. "ncadg_ip_udp".
func (p Protseq) String() string {
	if p < protseqCount {
		return protseqNames[p]
	}
	return "unknown"
}

// Connectionless reports whether the protocol sequence carries v4 (CL) RPC.
func (p Protseq) Connectionless() bool {
	return p == NcadgIPUDP || p == NcadgIPX || p == NcadgAtDDP || p == NcadgMQ || p == NcadgOsiClns
}

// MaxText is the capacity of a [Text]; longer wire strings are truncated and
// the decoder reports an anomaly.
const MaxText = 255

// Text is a short byte string held by value (no pointer into the packet), so
// that a [Binding] can outlive its packet and key a map. The zero value is
// empty.
//
// The bytes past the length are always zero, so that equal texts compare
// equal with ==; every method keeps that true, which lets Set clear only
// the bytes the previous content used.
type Text struct {
	n uint8
	b [MaxText]byte
}

// Set copies s, truncating at MaxText; it reports whether all of s fit.
func (t *Text) Set(s []byte) bool {
	old := int(t.n)
	n := copy(t.b[:], s)
	t.n = uint8(n)
	if old > n {
		clear(t.b[n:old])
	}
	return n == len(s)
}

// SetString is Set for a string.
func (t *Text) SetString(s string) bool {
	old := int(t.n)
	n := copy(t.b[:], s)
	t.n = uint8(n)
	if old > n {
		clear(t.b[n:old])
	}
	return n == len(s)
}

// AppendByte appends one byte; it reports false (and drops c) when full.
func (t *Text) AppendByte(c byte) bool {
	if int(t.n) >= MaxText {
		return false
	}
	t.b[t.n] = c
	t.n++
	return true
}

// Len is the length in bytes.
func (t *Text) Len() int { return int(t.n) }

// Bytes returns the content; the slice aliases t and is valid while t is.
func (t *Text) Bytes() []byte { return t.b[:t.n] }

// String returns the content as a string (allocates).
func (t Text) String() string { return string(t.b[:t.n]) }

// Equal reports whether t holds exactly s.
func (t *Text) Equal(s string) bool { return string(t.b[:t.n]) == s }

// Binding is one place a server says an interface can be reached: a protocol
// sequence, a network address and an endpoint. It holds no pointers into the
// packet it came from, is comparable, and can key a map.
type Binding struct {
	Protseq Protseq
	// Addr is the network address exactly as the wire had it: an IP floor
	// rendered as a dotted quad, a DCOM network address transcoded from
	// UTF-16 (a fused address stays fused), a NetBIOS or host name.
	Addr Text
	// IP is Addr parsed when Addr is one IPv4 or IPv6 address (or came from
	// an IP floor); otherwise the zero Addr.
	IP netip.Addr
	// Endpoint is the endpoint as text: a port in decimal, a pipe name, an
	// LRPC port name. Empty when the binding names none.
	Endpoint Text
	// Port is the endpoint as a TCP/UDP/HTTP port, when it is one.
	Port uint16
	// HasPort reports whether Port is set (port 0 is legitimate in EPM
	// requests).
	HasPort bool
}

// AppendTo appends the Windows string-binding form,
// "ncadg_ip_udp:157.61.239.5[1039]", to dst. Without an endpoint the
// brackets are left out. It does not allocate when dst has room.
func (b *Binding) AppendTo(dst []byte) []byte {
	dst = append(dst, b.Protseq.String()...)
	dst = append(dst, ':')
	dst = append(dst, b.Addr.Bytes()...)
	if b.Endpoint.Len() > 0 {
		dst = append(dst, '[')
		dst = append(dst, b.Endpoint.Bytes()...)
		dst = append(dst, ']')
	}
	return dst
}

// String returns the string-binding form (allocates).
func (b Binding) String() string { return string(b.AppendTo(nil)) }

// SetIP sets Addr and IP from an address (an IP floor, for example). An
// IPv4 address is written as a dotted quad straight into Addr.
func (b *Binding) SetIP(ip netip.Addr) {
	b.IP = ip
	if ip.Is4() {
		b.Addr.setQuad(ip.As4())
		return
	}
	var buf [64]byte
	b.Addr.Set(ip.AppendTo(buf[:0]))
}

// SetPort sets Port, HasPort and the decimal Endpoint.
func (b *Binding) SetPort(p uint16) {
	b.Port, b.HasPort = p, true
	b.Endpoint.setDecimal(p)
}

// setQuad sets t to a as a dotted quad ("157.61.239.5"), writing the
// digits in place: formatting into a buffer and copying it costs a call to
// memmove and a store-forwarding stall, and bindings are rendered per tower.
func (t *Text) setQuad(a [4]byte) {
	old, n := int(t.n), 0
	for i, c := range a {
		if i > 0 {
			t.b[n] = '.'
			n++
		}
		if c >= 100 {
			t.b[n] = '0' + c/100
			n++
		}
		if c >= 10 {
			t.b[n] = '0' + c/10%10
			n++
		}
		t.b[n] = '0' + c%10
		n++
	}
	t.n = uint8(n)
	if old > n {
		clear(t.b[n:old])
	}
}

// setDecimal sets t to v in decimal, in place (see setQuad).
func (t *Text) setDecimal(v uint16) {
	old, n := int(t.n), 1
	for x := v; x >= 10; x /= 10 {
		n++
	}
	for i := n - 1; i >= 0; i-- {
		t.b[i] = byte('0' + v%10)
		v /= 10
	}
	t.n = uint8(n)
	if old > n {
		clear(t.b[n:old])
	}
}
