// Package decode turns captured frames into flat Packet values: link layer
// (Ethernet with 802.1Q/802.1ad/0x9100 tags, Linux cooked SLL and SLL2, BSD
// NULL and LOOP, raw IPv4/IPv6), IPv4, IPv6 with extension and fragment
// headers, TCP, UDP, ICMPv4 and ICMPv6, including the datagram an ICMP error
// quotes (so a port unreachable says which endpoint refused).
//
// A Decoder keeps one gopacket.DecodingLayerParser per link type, created on
// first use, over a shared set of DecodingLayers with IgnoreUnsupported set;
// it never calls gopacket.NewPacket. Ethernet, 802.1Q, IPv4, UDP, ICMPv4 and
// ICMPv6 are gopacket's layers behind length pre-checks; SLL, SLL2, the
// loopback header, raw IP, the fixed IPv6 header, IPv6 extension/fragment
// headers and TCP are this package's DecodingLayers (gopacket's SLL panics
// on a long address length, its IPv6 allocates per hop-by-hop option, it has
// no SLL2 or IPv6-fragment DecodingLayer, and it drops a whole TCP segment
// over one malformed option).
//
// Most frames on a span port are the clean case: untagged Ethernet, IPv4
// without options or IPv6 without extension headers, not fragmented, a
// whole TCP or UDP header, consistent lengths. Decode reads those directly
// (fast.go) and hands everything else to the layered parser; the two agree
// on every frame the fast path takes (TestFastPathMatches over samples, real
// frames and corruptions of both; FuzzFastPath).
//
// Link types: pcapng files may mix interfaces of different link types, so
// Decode judges the link type per frame and returns ErrLinkType for one it
// does not support; CheckLinkType builds the message naming it
// ("unsupported link type 147 (USER0)") once per file or interface.
//
// Tunnels (IPIP, 6in4, GRE) are not followed: such packets decode as
// ProtoOther with the IP payload. IP fragments are reported as
// ProtoFragment; package ipfrag reassembles them and DecodeTransport decodes
// the result.
//
// # Allocation
//
// Decode does not allocate: Packet is a flat value with inline arrays
// (VLAN IDs, anomalies), addresses are netip.Addr values, and Payload
// aliases the frame. Header errors are package-level sentinels. TestNoAllocs
// checks testing.AllocsPerRun == 0 for Ethernet, 802.1Q, QinQ, SLL, SLL2,
// NULL (both byte orders), LOOP and raw links × IPv4/IPv6 × TCP/UDP/ICMP
// port unreachable, for truncated and malformed frames, and for
// DecodeTransport. The one path that still allocates is a malformed IPv4
// option, where gopacket's IPv4 layer builds an error with fmt (decoding
// goes on; the option is recorded as an anomaly).
//
// # Security
//
// Every length in a frame is untrusted. Each layer checks its header
// length before reading it; a header cut by the snap length returns
// ErrTruncated, an inconsistent one ErrMalformed, and both are recorded in
// Packet.Anomalies with the byte offset from the start of the frame. VLAN
// tags are capped at MaxVLANTags and IPv6 extension headers at 8 (also in
// quoted datagrams), so the work per frame is bounded by its length.
// FuzzDecode (link type and bytes) and FuzzSLL2 check that no input panics.
package decode
