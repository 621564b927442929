package decode

import (
	"encoding/binary"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rpcwatch/rpcwatch/dissect"
)

// EtherTypes of VLAN tags: 802.1Q, 802.1ad (QinQ service tag) and the
// pre-standard QinQ value some switches still send.
const (
	etherTypeDot1Q    layers.EthernetType = 0x8100
	etherTypeQinQ     layers.EthernetType = 0x88a8
	etherType9100     layers.EthernetType = 0x9100
	etherTypeIPv4     layers.EthernetType = 0x0800
	etherTypeIPv6     layers.EthernetType = 0x86dd
	ethernetHdrLen                        = 14
	vlanTagLen                            = 4
	sllHdrLen                             = 16
	loopHdrLen                            = 4
	ipv4MinHdrLen                         = 20
	ipv6HdrLen                            = 40
	tcpMinHdrLen                          = 20
	udpHdrLen                             = 8
	icmpHdrLen                            = 8
	maxIPv6ExtHeaders                     = 8
)

// etherNext maps an EtherType to the next layer the Decoder handles. Types
// it does not follow (ARP, LLC, MPLS, ...) end decoding without an error.
func etherNext(t layers.EthernetType) gopacket.LayerType {
	switch t {
	case etherTypeIPv4:
		return layers.LayerTypeIPv4
	case etherTypeIPv6:
		return layers.LayerTypeIPv6
	case etherTypeDot1Q, etherTypeQinQ, etherType9100:
		return layers.LayerTypeDot1Q
	}
	return gopacket.LayerTypeZero
}

// ethernetLayer is gopacket's Ethernet with a length pre-check (so a short
// frame costs no allocation) and a NextLayerType that knows all three VLAN
// EtherTypes (gopacket maps 0x9100 to nothing).
type ethernetLayer struct {
	layers.Ethernet
	d *Decoder
}

func (l *ethernetLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < ethernetHdrLen {
		return l.d.truncated(df, data, ethernetHdrLen)
	}
	if err := l.Ethernet.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.linkDone(l.NextLayerType(), l.Payload)
	return nil
}

func (l *ethernetLayer) NextLayerType() gopacket.LayerType { return etherNext(l.EthernetType) }

// vlanLayer is gopacket's Dot1Q; it records each tag's VLAN ID in the
// Decoder (the one layer value is reused for every tag of a QinQ stack) and
// stops after MaxVLANTags tags.
type vlanLayer struct {
	layers.Dot1Q
	d *Decoder
}

func (l *vlanLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < vlanTagLen {
		return l.d.truncated(df, data, vlanTagLen)
	}
	if int(l.d.nvlan) >= MaxVLANTags {
		l.d.anoms.Add(dissect.AnomLimit, l.d.off(data), MaxVLANTags+1, MaxVLANTags)
		return ErrMalformed
	}
	if err := l.Dot1Q.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.vlans[l.d.nvlan] = l.VLANIdentifier
	l.d.nvlan++
	l.d.linkDone(l.NextLayerType(), l.Payload)
	return nil
}

func (l *vlanLayer) NextLayerType() gopacket.LayerType { return etherNext(l.Type) }

// sllLayer decodes the 16-byte Linux cooked-capture v1 header (LINKTYPE
// 113). gopacket's LinuxSLL slices data[6:6+addrlen] with the wire's address
// length and panics when it exceeds the frame; this one keeps the address
// inline and caps it at 8 bytes.
//
//	offset  0: packet type (u16)      offset  2: ARPHRD_ type (u16)
//	offset  4: address length (u16)   offset  6: address (8 bytes)
//	offset 14: protocol type (u16)
type sllLayer struct {
	layers.BaseLayer
	PacketType uint16
	ARPHRDType uint16
	AddrLen    uint16
	Addr       [8]byte
	Protocol   layers.EthernetType
	d          *Decoder
}

func (l *sllLayer) LayerType() gopacket.LayerType     { return layers.LayerTypeLinuxSLL }
func (l *sllLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypeLinuxSLL }
func (l *sllLayer) NextLayerType() gopacket.LayerType { return etherNext(l.Protocol) }

func (l *sllLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < sllHdrLen {
		return l.d.truncated(df, data, sllHdrLen)
	}
	l.PacketType = binary.BigEndian.Uint16(data[0:2])
	l.ARPHRDType = binary.BigEndian.Uint16(data[2:4])
	l.AddrLen = binary.BigEndian.Uint16(data[4:6])
	copy(l.Addr[:], data[6:14])
	l.Protocol = layers.EthernetType(binary.BigEndian.Uint16(data[14:16]))
	l.BaseLayer = layers.BaseLayer{Contents: data[:sllHdrLen], Payload: data[sllHdrLen:]}
	l.d.linkDone(l.NextLayerType(), l.Payload)
	return nil
}

// sll2Layer wraps SLL2 so that a short header is recorded as an anomaly.
type sll2Layer struct {
	SLL2
	d *Decoder
}

func (l *sll2Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < SLL2Len {
		return l.d.truncated(df, data, SLL2Len)
	}
	if err := l.SLL2.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.linkDone(l.NextLayerType(), l.Payload)
	return nil
}

// loopLayer decodes the 4-byte address-family header of BSD loopback links.
// LINKTYPE_NULL (0) stores the family in the byte order of the host that
// wrote the capture, which the file does not record: the family is always a
// small number, so a header whose first two bytes are zero is big-endian and
// any other is little-endian. LINKTYPE_LOOP (108) is always big-endian.
type loopLayer struct {
	layers.BaseLayer
	Family  uint32
	network bool // LINKTYPE_LOOP: network byte order
	d       *Decoder
}

// Address families that carry IP on loopback links (values differ by OS).
const (
	afInet         = 2  // every BSD, Linux, Darwin
	afInet6Linux   = 10 // Linux
	afInet6BSD     = 24 // NetBSD, OpenBSD, BSD/OS
	afInet6FreeBSD = 28 // FreeBSD, DragonFly
	afInet6Darwin  = 30 // macOS, iOS
)

func (l *loopLayer) LayerType() gopacket.LayerType  { return layers.LayerTypeLoopback }
func (l *loopLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeLoopback }

func (l *loopLayer) NextLayerType() gopacket.LayerType {
	switch l.Family {
	case afInet:
		return layers.LayerTypeIPv4
	case afInet6Linux, afInet6BSD, afInet6FreeBSD, afInet6Darwin:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

func (l *loopLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < loopHdrLen {
		return l.d.truncated(df, data, loopHdrLen)
	}
	if l.network || (data[0] == 0 && data[1] == 0) {
		l.Family = binary.BigEndian.Uint32(data[:4])
	} else {
		l.Family = binary.LittleEndian.Uint32(data[:4])
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:loopHdrLen], Payload: data[loopHdrLen:]}
	l.d.linkDone(l.NextLayerType(), l.Payload)
	return nil
}

// rawLayer is the empty link header of raw-IP links: it consumes nothing
// and picks IPv4 or IPv6 from the version nibble.
type rawLayer struct {
	layers.BaseLayer
	version uint8
	d       *Decoder
}

func (l *rawLayer) LayerType() gopacket.LayerType  { return LayerTypeRawIP }
func (l *rawLayer) CanDecode() gopacket.LayerClass { return LayerTypeRawIP }

func (l *rawLayer) NextLayerType() gopacket.LayerType {
	switch l.version {
	case 4:
		return layers.LayerTypeIPv4
	case 6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

func (l *rawLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 1 {
		if l.d != nil {
			return l.d.truncated(df, data, 1)
		}
		return ErrTruncated
	}
	l.version = data[0] >> 4
	if l.version != 4 && l.version != 6 {
		if l.d != nil {
			l.d.anoms.Add(dissect.AnomBadValue, l.d.off(data), uint32(l.version), 0)
		}
		return ErrMalformed
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:0], Payload: data}
	return nil
}
