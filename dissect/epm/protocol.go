package epm

import "github.com/rpcwatch/rpcwatch/dissect"

// ProtocolID is the one-octet protocol identifier that opens a tower floor's
// left-hand side. C706 Appendix I registers the DCE values; Microsoft and
// Samba added the rest. Where sources disagree the comment says so, and the
// tower decoder resolves the ambiguity from the floor's position.
type ProtocolID uint8

// Protocol identifiers. Sources: C706 Appendix I; MS-RPCE 2.1; Samba
// librpc/idl/epmapper.idl (enum epm_protocol) and librpc/rpc/binding.c (the
// floor sequences of each transport); Wireshark's EPM dissector (names it
// marks as uncertain are noted); and traffic in the shared captures.
const (
	// ProtoOSIOID: an OSI object identifier follows in the LHS.
	ProtoOSIOID ProtocolID = 0x00
	// ProtoDNASessionControl: DECnet phase IV session control.
	ProtoDNASessionControl ProtocolID = 0x02
	// ProtoDNASessionControlV3: DECnet phase V session control, version 3.
	ProtoDNASessionControlV3 ProtocolID = 0x03
	// ProtoDNANSP: DECnet NSP transport.
	ProtoDNANSP ProtocolID = 0x04
	// ProtoOSITP4: OSI transport class 4.
	ProtoOSITP4 ProtocolID = 0x05
	// ProtoOSICLNS: OSI connectionless network service, or DECnet routing.
	ProtoOSICLNS ProtocolID = 0x06
	// ProtoTCP: TCP; the RHS is the port, 2 bytes big-endian.
	ProtoTCP ProtocolID = 0x07
	// ProtoUDP: UDP; the RHS is the port, 2 bytes big-endian.
	ProtoUDP ProtocolID = 0x08
	// ProtoIP: IPv4; the RHS is the address, 4 bytes in network order.
	ProtoIP ProtocolID = 0x09
	// ProtoRPCCL: connectionless RPC (ncadg_*); RHS is the minor version.
	ProtoRPCCL ProtocolID = 0x0a
	// ProtoRPCCO: connection-oriented RPC (ncacn_*); RHS is the minor version.
	ProtoRPCCO ProtocolID = 0x0b
	// ProtoLRPC: as the RPC protocol floor, local RPC (ncalrpc) in Windows
	// and Samba. As the transport floor after ProtoRPCCO, Windows' ncacn_spx
	// towers use the same value for SPX (Wireshark names 0x0c "SPX?").
	ProtoLRPC ProtocolID = 0x0c
	// ProtoUUID: the LHS carries a UUID and a major version (interface and
	// transfer syntax floors); the RHS is the minor version. As the address
	// floor of ncacn_spx and ncacn_nb_ipx towers, Windows reuses it for the
	// IPX address.
	ProtoUUID ProtocolID = 0x0d
	// ProtoIPX: IPX (ncadg_ipx), per Samba; Wireshark marks it uncertain.
	ProtoIPX ProtocolID = 0x0e
	// ProtoNamedPipe: an SMB named pipe path, NUL-terminated
	// ("\PIPE\lsarpc"); Samba calls it EPM_PROTOCOL_SMB.
	ProtoNamedPipe ProtocolID = 0x0f
	// ProtoPortName: a local port or pipe name, NUL-terminated: the
	// endpoint of ncalrpc towers ("rpcd_lsad", "EPMAPPER"). Samba calls it
	// EPM_PROTOCOL_PIPE, Wireshark "Named Pipes".
	ProtoPortName ProtocolID = 0x10
	// ProtoNetBIOS: a NetBIOS host name, NUL-terminated (may be just the
	// NUL): the address of ncacn_np towers.
	ProtoNetBIOS ProtocolID = 0x11
	// ProtoNetBEUI: NetBEUI per C706 and Samba; MS-RPCE 2.1.1.5-6 uses 0x12
	// as the NetBIOS transport floor of ncacn_nb_tcp and ncacn_nb_nb.
	ProtoNetBEUI ProtocolID = 0x12
	// ProtoSPX: Netware SPX (per C706 and Samba). Windows' NetBIOS transport
	// uses 0x13 as the NetBEUI address floor of ncacn_nb_nb towers.
	ProtoSPX ProtocolID = 0x13
	// ProtoNetBIOSIPX: NetBIOS over IPX (Samba EPM_PROTOCOL_NB_IPX).
	ProtoNetBIOSIPX ProtocolID = 0x14
	// ProtoAppleTalkStream: AppleTalk Data Stream Protocol (DSP).
	ProtoAppleTalkStream ProtocolID = 0x16
	// ProtoAppleTalkDatagram: AppleTalk Datagram Delivery Protocol (DDP).
	ProtoAppleTalkDatagram ProtocolID = 0x17
	// ProtoAppleTalk: AppleTalk (the address floor of the AppleTalk towers).
	ProtoAppleTalk ProtocolID = 0x18
	// ProtoNetBIOS2: NetBIOS, a second identifier Wireshark lists.
	ProtoNetBIOS2 ProtocolID = 0x19
	// ProtoVinesSPP: Banyan VINES SPP; RHS a 2-byte big-endian port.
	ProtoVinesSPP ProtocolID = 0x1a
	// ProtoVinesIPC: Banyan VINES IPC; RHS a 2-byte big-endian port.
	ProtoVinesIPC ProtocolID = 0x1b
	// ProtoStreetTalk: Banyan StreetTalk name, NUL-terminated.
	ProtoStreetTalk ProtocolID = 0x1c
	// ProtoMSMQ: Microsoft Message Queuing (ncadg_mq). Known only from
	// Windows' DCOM tower-id table, which numbers protocol sequences by this
	// floor; not seen in a tower here.
	ProtoMSMQ ProtocolID = 0x1d
	// ProtoHTTP: RPC over HTTP (ncacn_http); RHS a 2-byte big-endian port.
	ProtoHTTP ProtocolID = 0x1f
	// ProtoHTTPHost: after a ProtoHTTP floor, Windows' RPC runtime puts the
	// server's IPv4 address under 0x20 (it calls it the HTTP transport host
	// id) instead of ProtoIP: zeek-dce-rpc-mapi.pcap frame 505 carries
	// 0x1f port 5000 then 0x20 192.168.0.2. Samba and Wireshark know 0x20
	// only as a Unix domain socket path (ncacn_unix_stream), which is what
	// it means directly after an RPC protocol floor.
	ProtoHTTPHost ProtocolID = 0x20
	// ProtoNull: the null protocol (Samba EPM_PROTOCOL_NULL).
	ProtoNull ProtocolID = 0x21
	// ProtoNetBIOS3: NetBIOS, a third identifier Wireshark lists.
	ProtoNetBIOS3 ProtocolID = 0x22
)

// ProtoUnixSocket is the meaning of 0x20 when it follows the RPC protocol
// floor directly (Samba's ncacn_unix_stream and ncadg_unix_dgram).
const ProtoUnixSocket = ProtoHTTPHost

var protocolNames = [...]string{
	ProtoOSIOID:              "osi-oid",
	ProtoDNASessionControl:   "dna-session-control",
	ProtoDNASessionControlV3: "dna-session-control-v3",
	ProtoDNANSP:              "dna-nsp",
	ProtoOSITP4:              "osi-tp4",
	ProtoOSICLNS:             "osi-clns",
	ProtoTCP:                 "tcp",
	ProtoUDP:                 "udp",
	ProtoIP:                  "ip",
	ProtoRPCCL:               "rpc-cl",
	ProtoRPCCO:               "rpc-co",
	ProtoLRPC:                "lrpc",
	ProtoUUID:                "uuid",
	ProtoIPX:                 "ipx",
	ProtoNamedPipe:           "named-pipe",
	ProtoPortName:            "port-name",
	ProtoNetBIOS:             "netbios",
	ProtoNetBEUI:             "netbeui",
	ProtoSPX:                 "spx",
	ProtoNetBIOSIPX:          "netbios-ipx",
	ProtoAppleTalkStream:     "appletalk-dsp",
	ProtoAppleTalkDatagram:   "appletalk-ddp",
	ProtoAppleTalk:           "appletalk",
	ProtoNetBIOS2:            "netbios-2",
	ProtoVinesSPP:            "vines-spp",
	ProtoVinesIPC:            "vines-ipc",
	ProtoStreetTalk:          "streettalk",
	ProtoMSMQ:                "msmq",
	ProtoHTTP:                "http",
	ProtoHTTPHost:            "http-host",
	ProtoNull:                "null",
	ProtoNetBIOS3:            "netbios-3",
}

// Known reports whether p is one of the identifiers above.
func (p ProtocolID) Known() bool {
	return int(p) < len(protocolNames) && protocolNames[p] != ""
}

// String returns the identifier's name, or "0x.." for an unknown one.
func (p ProtocolID) String() string {
	if p.Known() {
		return protocolNames[p]
	}
	return "0x" + string([]byte{hexDigit(byte(p) >> 4), hexDigit(byte(p) & 0xf)})
}

func hexDigit(c byte) byte { return "0123456789abcdef"[c&0xf] }

// rule is one protocol sequence's floors after the interface and transfer
// syntax floors: the RPC protocol floor, the endpoint floor and, when the
// sequence has one, the address floor.
type rule struct {
	rpc, ep, addr ProtocolID
	hasAddr       bool
	ps            dissect.Protseq
}

// protseqRules lists the floor sequences that name a protocol sequence.
// The first five are seen on the wire (shared captures, Samba); the others
// follow Samba's binding table and MS-RPCE 2.1 and have not been seen in a
// capture. Where sources order the AppleTalk and VINES floors differently,
// both orders are accepted.
var protseqRules = [...]rule{
	{ProtoRPCCO, ProtoTCP, ProtoIP, true, dissect.NcacnIPTCP},
	{ProtoRPCCL, ProtoUDP, ProtoIP, true, dissect.NcadgIPUDP},
	{ProtoRPCCO, ProtoNamedPipe, ProtoNetBIOS, true, dissect.NcacnNP},
	{ProtoLRPC, ProtoPortName, 0, false, dissect.Ncalrpc},
	{ProtoRPCCO, ProtoHTTP, ProtoIP, true, dissect.NcacnHTTP},
	{ProtoRPCCO, ProtoHTTP, ProtoHTTPHost, true, dissect.NcacnHTTP},
	{ProtoRPCCO, ProtoNetBEUI, ProtoIP, true, dissect.NcacnNbTCP},
	{ProtoRPCCO, ProtoNetBEUI, ProtoSPX, true, dissect.NcacnNbNb},
	{ProtoRPCCO, ProtoNetBEUI, ProtoUUID, true, dissect.NcacnNbIPX},
	{ProtoRPCCO, ProtoLRPC, ProtoUUID, true, dissect.NcacnSPX},
	{ProtoRPCCL, ProtoIPX, 0, false, dissect.NcadgIPX},
	{ProtoRPCCO, ProtoAppleTalkStream, ProtoAppleTalk, true, dissect.NcacnAtDSP},
	{ProtoRPCCO, ProtoAppleTalk, ProtoAppleTalkStream, true, dissect.NcacnAtDSP},
	{ProtoRPCCL, ProtoAppleTalkDatagram, ProtoAppleTalk, true, dissect.NcadgAtDDP},
	{ProtoRPCCL, ProtoAppleTalk, ProtoAppleTalkDatagram, true, dissect.NcadgAtDDP},
	{ProtoRPCCO, ProtoVinesSPP, ProtoStreetTalk, true, dissect.NcacnVnsSPP},
	{ProtoRPCCO, ProtoStreetTalk, ProtoVinesSPP, true, dissect.NcacnVnsSPP},
	{ProtoRPCCO, ProtoDNANSP, ProtoOSICLNS, true, dissect.NcacnDnetNSP},
	{ProtoRPCCO, ProtoOSITP4, ProtoOSICLNS, true, dissect.NcacnOsiDna},
	{ProtoRPCCL, ProtoOSICLNS, 0, false, dissect.NcadgOsiClns},
	{ProtoRPCCL, ProtoMSMQ, 0, false, dissect.NcadgMQ},
}

// lookupRule finds the rule for an RPC protocol floor and an endpoint floor,
// preferring the one whose address floor matches addr (when known).
func lookupRule(rpc, ep, addr ProtocolID, haveAddr bool) (rule, bool) {
	var first rule
	found := false
	for _, r := range protseqRules {
		if r.rpc != rpc || r.ep != ep {
			continue
		}
		if !haveAddr || !r.hasAddr || r.addr == addr {
			return r, true
		}
		if !found {
			first, found = r, true
		}
	}
	return first, found
}
