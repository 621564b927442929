package decode

import (
	"encoding/binary"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Layer types this package registers with gopacket. gopacket reserves
// 1000-1999 for application types; these two numbers must not be registered
// by anything else linked into the same binary.
var (
	// LayerTypeLinuxSLL2 is the Linux cooked-capture v2 header (LINKTYPE 276).
	LayerTypeLinuxSLL2 = gopacket.RegisterLayerType(1276, gopacket.LayerTypeMetadata{Name: "LinuxSLL2", Decoder: gopacket.DecodeFunc(decodeSLL2)})
	// LayerTypeRawIP is a header-less IPv4-or-IPv6 link (LINKTYPE_RAW 101,
	// DLT_RAW 12/14); the IP version nibble picks the next layer.
	LayerTypeRawIP = gopacket.RegisterLayerType(1101, gopacket.LayerTypeMetadata{Name: "RawIP", Decoder: gopacket.DecodeFunc(decodeRawIP)})
)

// SLL2Len is the length of a LINUX_SLL2 header.
const SLL2Len = 20

// SLL2 is the 20-byte Linux cooked-capture v2 header that libpcap writes
// for captures on the "any" device (LINKTYPE_LINUX_SLL2, 276). All fields
// are big-endian:
//
//	offset  0: protocol type (u16, an EtherType for IP)
//	offset  2: reserved (u16, must be zero)
//	offset  4: interface index (u32)
//	offset  8: ARPHRD_ type (u16)
//	offset 10: packet type (u8: 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing)
//	offset 11: link-layer address length (u8)
//	offset 12: link-layer address (8 bytes, zero-padded; longer addresses are cut)
//
// gopacket v1.1.19 has no layer for it; SLL2 implements gopacket.DecodingLayer
// and gopacket.SerializableLayer. Decoding does not allocate: Addr is an
// inline array and Contents/Payload alias the input.
type SLL2 struct {
	layers.BaseLayer
	Protocol       layers.EthernetType
	Reserved       uint16
	InterfaceIndex uint32
	ARPHRDType     uint16
	PacketType     uint8
	AddrLen        uint8
	Addr           [8]byte
}

// LayerType returns LayerTypeLinuxSLL2.
func (s *SLL2) LayerType() gopacket.LayerType { return LayerTypeLinuxSLL2 }

// CanDecode returns LayerTypeLinuxSLL2.
func (s *SLL2) CanDecode() gopacket.LayerClass { return LayerTypeLinuxSLL2 }

// NextLayerType maps the protocol type to IPv4, IPv6 or an 802.1Q tag;
// anything else ends decoding (gopacket.LayerTypeZero).
func (s *SLL2) NextLayerType() gopacket.LayerType { return etherNext(s.Protocol) }

// DecodeFromBytes decodes the header at data[0:20]. It fails with
// ErrTruncated when fewer than 20 bytes are given and never otherwise: a
// non-zero reserved field or an address length above 8 are kept as read for
// the caller to judge.
func (s *SLL2) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < SLL2Len {
		df.SetTruncated()
		return ErrTruncated
	}
	s.Protocol = layers.EthernetType(binary.BigEndian.Uint16(data[0:2]))
	s.Reserved = binary.BigEndian.Uint16(data[2:4])
	s.InterfaceIndex = binary.BigEndian.Uint32(data[4:8])
	s.ARPHRDType = binary.BigEndian.Uint16(data[8:10])
	s.PacketType = data[10]
	s.AddrLen = data[11]
	copy(s.Addr[:], data[12:20])
	s.BaseLayer = layers.BaseLayer{Contents: data[:SLL2Len], Payload: data[SLL2Len:]}
	return nil
}

// SerializeTo prepends the 20-byte header. Addr is written as is; AddrLen
// is written as given (callers set it, typically 6 for Ethernet).
func (s *SLL2) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(SLL2Len)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(h[0:2], uint16(s.Protocol))
	binary.BigEndian.PutUint16(h[2:4], s.Reserved)
	binary.BigEndian.PutUint32(h[4:8], s.InterfaceIndex)
	binary.BigEndian.PutUint16(h[8:10], s.ARPHRDType)
	h[10] = s.PacketType
	h[11] = s.AddrLen
	copy(h[12:20], s.Addr[:])
	return nil
}

func decodeSLL2(data []byte, p gopacket.PacketBuilder) error {
	s := &SLL2{}
	if err := s.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(s)
	return p.NextDecoder(s.NextLayerType())
}

func decodeRawIP(data []byte, p gopacket.PacketBuilder) error {
	var r rawLayer
	if err := r.DecodeFromBytes(data, p); err != nil {
		return err
	}
	return p.NextDecoder(r.NextLayerType())
}
