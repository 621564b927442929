package dcom

import "github.com/rpcwatch/rpcwatch/dissect"

// TowerID is a STRINGBINDING's wTowerId: the protocol sequence identifier
// DCOM uses for a string binding (MS-DCOM 2.2.19.3, values from C706
// Appendix I as Windows assigns them). 0 is not a tower id: it ends the list
// of string bindings.
type TowerID uint16

// Tower ids as the Windows object resolver (rpcss) numbers protocol
// sequences. The table is indexed by these values in Windows' own endpoint
// manager; obase.idl as published with DCOM gives NCACN_NB_NB as 0x12, while
// Windows' resolver uses 0x13, so both are accepted for ncacn_nb_nb.
const (
	TowerNcacnDnetNSP  TowerID = 0x04 // ncacn_dnet_nsp
	TowerNcacnIPTCP    TowerID = 0x07 // ncacn_ip_tcp
	TowerNcadgIPUDP    TowerID = 0x08 // ncadg_ip_udp
	TowerNcacnNbTCP    TowerID = 0x09 // ncacn_nb_tcp
	TowerNcacnSPX      TowerID = 0x0c // ncacn_spx
	TowerNcacnNbIPX    TowerID = 0x0d // ncacn_nb_ipx
	TowerNcadgIPX      TowerID = 0x0e // ncadg_ipx
	TowerNcacnNP       TowerID = 0x0f // ncacn_np
	TowerNcalrpc       TowerID = 0x10 // ncalrpc
	TowerNcacnNbNbIDL  TowerID = 0x12 // ncacn_nb_nb as obase.idl numbers it
	TowerNcacnNbNb     TowerID = 0x13 // ncacn_nb_nb as rpcss numbers it
	TowerNcacnAtDSP    TowerID = 0x16 // ncacn_at_dsp
	TowerNcadgAtDDP    TowerID = 0x17 // ncadg_at_ddp
	TowerNcacnVnsSPP   TowerID = 0x1a // ncacn_vns_spp
	TowerNcadgMQ       TowerID = 0x1d // ncadg_mq
	TowerNcacnHTTP     TowerID = 0x1f // ncacn_http
	TowerNcacnHvsocket TowerID = 0x21 // ncacn_hvsocket
)

// towerTableSize is one past the largest tower id above.
const towerTableSize = 0x22

var towerProtseq = [towerTableSize]dissect.Protseq{
	TowerNcacnDnetNSP:  dissect.NcacnDnetNSP,
	TowerNcacnIPTCP:    dissect.NcacnIPTCP,
	TowerNcadgIPUDP:    dissect.NcadgIPUDP,
	TowerNcacnNbTCP:    dissect.NcacnNbTCP,
	TowerNcacnSPX:      dissect.NcacnSPX,
	TowerNcacnNbIPX:    dissect.NcacnNbIPX,
	TowerNcadgIPX:      dissect.NcadgIPX,
	TowerNcacnNP:       dissect.NcacnNP,
	TowerNcalrpc:       dissect.Ncalrpc,
	TowerNcacnNbNbIDL:  dissect.NcacnNbNb,
	TowerNcacnNbNb:     dissect.NcacnNbNb,
	TowerNcacnAtDSP:    dissect.NcacnAtDSP,
	TowerNcadgAtDDP:    dissect.NcadgAtDDP,
	TowerNcacnVnsSPP:   dissect.NcacnVnsSPP,
	TowerNcadgMQ:       dissect.NcadgMQ,
	TowerNcacnHTTP:     dissect.NcacnHTTP,
	TowerNcacnHvsocket: dissect.NcacnHvsocket,
}

// Protseq returns the protocol sequence the tower id names, or
// dissect.ProtseqUnknown.
func (t TowerID) Protseq() dissect.Protseq {
	if t < towerTableSize {
		return towerProtseq[t]
	}
	return dissect.ProtseqUnknown
}

// Known reports whether t names a protocol sequence.
func (t TowerID) Known() bool { return t.Protseq() != dissect.ProtseqUnknown }

// String returns the protocol sequence name, or "tower-0x...." for an
// unknown id.
func (t TowerID) String() string {
	if t.Known() {
		return t.Protseq().String()
	}
	var b [16]byte
	out := append(b[:0], "tower-"...)
	return string(dissect.AppendHex32(out, uint32(t)))
}

// TowerIDOf returns the tower id for a protocol sequence (the rpcss number
// for ncacn_nb_nb), or 0 when DCOM has none for it.
func TowerIDOf(p dissect.Protseq) TowerID {
	if p == dissect.NcacnNbNb {
		return TowerNcacnNbNb
	}
	for i, q := range towerProtseq {
		if q == p && p != dissect.ProtseqUnknown {
			return TowerID(i)
		}
	}
	return 0
}

// hasPort reports whether the protocol sequence's endpoint is a TCP/UDP
// port number.
func hasPort(p dissect.Protseq) bool {
	return p == dissect.NcacnIPTCP || p == dissect.NcadgIPUDP || p == dissect.NcacnHTTP
}
