package decode

import "strconv"

// LinkType is a pcap/pcapng link-layer header type (LINKTYPE_* value, the
// "network" field of a pcap file header or an interface description block).
//
// gopacket v1.1.19 stores link types in a uint8 (layers.LinkType), which
// truncates LINUX_SLL2 (276) to 20; capture code therefore carries this
// 16-bit type instead and reads it from the file headers itself.
type LinkType uint16

// Link types the Decoder understands. Values are from the tcpdump.org
// LINKTYPE registry.
const (
	LinkTypeNull      LinkType = 0   // BSD loopback, family in the writer's byte order
	LinkTypeEthernet  LinkType = 1   // Ethernet II / 802.3, with 802.1Q and QinQ tags
	LinkTypeRawDLT12  LinkType = 12  // raw IP on most platforms' DLT_RAW
	LinkTypeRawDLT14  LinkType = 14  // raw IP (OpenBSD and BSD/OS DLT_RAW)
	LinkTypeRaw       LinkType = 101 // raw IPv4 or IPv6, version from the first nibble
	LinkTypeLoop      LinkType = 108 // OpenBSD loopback, family in network byte order
	LinkTypeLinuxSLL  LinkType = 113 // Linux cooked capture v1 (16-byte header)
	LinkTypeIPv4      LinkType = 228 // raw IPv4
	LinkTypeIPv6      LinkType = 229 // raw IPv6
	LinkTypeLinuxSLL2 LinkType = 276 // Linux cooked capture v2 (20-byte header)
)

// linkKind is the Decoder's internal index for a supported framing; parsers
// are kept in an array indexed by it.
type linkKind uint8

const (
	kindNone linkKind = iota
	kindEthernet
	kindSLL
	kindSLL2
	kindNull
	kindLoop
	kindRaw
	kindIPv4
	kindIPv6
	numKinds
)

func kindOf(lt LinkType) linkKind {
	switch lt {
	case LinkTypeEthernet:
		return kindEthernet
	case LinkTypeLinuxSLL:
		return kindSLL
	case LinkTypeLinuxSLL2:
		return kindSLL2
	case LinkTypeNull:
		return kindNull
	case LinkTypeLoop:
		return kindLoop
	case LinkTypeRaw, LinkTypeRawDLT12, LinkTypeRawDLT14:
		return kindRaw
	case LinkTypeIPv4:
		return kindIPv4
	case LinkTypeIPv6:
		return kindIPv6
	}
	return kindNone
}

// Supported reports whether the Decoder can decode frames of link type lt.
func Supported(lt LinkType) bool { return kindOf(lt) != kindNone }

// CheckLinkType returns nil if lt is supported and a *LinkTypeError
// otherwise. It allocates on failure only; call it once per file or
// interface, not per packet.
func CheckLinkType(lt LinkType) error {
	if Supported(lt) {
		return nil
	}
	return &LinkTypeError{LinkType: lt}
}

// LinkTypeError reports a link type the Decoder does not support, e.g.
// "unsupported link type 147 (USER0)". errors.Is(err, ErrLinkType) holds.
type LinkTypeError struct {
	LinkType LinkType
}

func (e *LinkTypeError) Error() string {
	return "unsupported link type " + strconv.Itoa(int(e.LinkType)) + " (" + e.LinkType.String() + ")"
}

// Is makes errors.Is(err, ErrLinkType) true.
func (e *LinkTypeError) Is(target error) bool { return target == ErrLinkType }

// String returns the LINKTYPE_ name without its prefix (for example
// "EN10MB", "LINUX_SLL2", "USER0"), or "LINKTYPE_<n>" when the value is not
// in the table.
func (lt LinkType) String() string {
	if s, ok := linkTypeNames[lt]; ok {
		return s
	}
	if lt >= 147 && lt <= 162 {
		return "USER" + strconv.Itoa(int(lt-147))
	}
	return "LINKTYPE_" + strconv.Itoa(int(lt))
}

// linkTypeNames holds the registry names of common link types (facts from
// the tcpdump.org link-layer header types list).
var linkTypeNames = map[LinkType]string{
	0:   "NULL",
	1:   "EN10MB",
	3:   "AX25",
	6:   "IEEE802",
	7:   "ARCNET",
	8:   "SLIP",
	9:   "PPP",
	10:  "FDDI",
	12:  "RAW",
	14:  "RAW",
	50:  "PPP_HDLC",
	51:  "PPP_ETHER",
	100: "ATM_RFC1483",
	101: "RAW",
	104: "C_HDLC",
	105: "IEEE802_11",
	107: "FRELAY",
	108: "LOOP",
	113: "LINUX_SLL",
	114: "LTALK",
	117: "PFLOG",
	119: "IEEE802_11_PRISM",
	122: "IP_OVER_FC",
	123: "SUNATM",
	127: "IEEE802_11_RADIOTAP",
	129: "ARCNET_LINUX",
	138: "APPLE_IP_OVER_IEEE1394",
	139: "MTP2_WITH_PHDR",
	140: "MTP2",
	141: "MTP3",
	142: "SCCP",
	143: "DOCSIS",
	144: "LINUX_IRDA",
	163: "IEEE802_11_AVS",
	165: "BACNET_MS_TP",
	166: "PPP_PPPD",
	169: "GPRS_LLC",
	177: "LINUX_LAPD",
	187: "BLUETOOTH_HCI_H4",
	189: "USB_LINUX",
	192: "PPI",
	195: "IEEE802_15_4_WITHFCS",
	201: "BLUETOOTH_HCI_H4_WITH_PHDR",
	220: "USB_LINUX_MMAPPED",
	224: "FC_2",
	225: "FC_2_WITH_FRAME_DELIMS",
	226: "IPNET",
	227: "CAN_SOCKETCAN",
	228: "IPV4",
	229: "IPV6",
	239: "NFLOG",
	240: "NETANALYZER",
	241: "NETANALYZER_TRANSPARENT",
	242: "IPOIB",
	247: "INFINIBAND",
	248: "SCTP",
	249: "USBPCAP",
	251: "BLUETOOTH_LE_LL",
	253: "NETLINK",
	254: "BLUETOOTH_LINUX_MONITOR",
	258: "PKTAP",
	264: "ISO_14443",
	266: "USB_DARWIN",
	271: "VSOCK",
	272: "NORDIC_BLE",
	274: "ETHERNET_MPACKET",
	276: "LINUX_SLL2",
}
