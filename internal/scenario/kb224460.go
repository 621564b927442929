package scenario

import (
	"net/netip"
	"time"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

// Hosts of the KB Q224460 scenarios.
var (
	// Client157 is the client of both KB Q224460 captures.
	Client157 = netip.MustParseAddr("157.61.239.20")
	// FusedServer is the multihomed server whose resolver glues its two
	// addresses together; it answers from this address.
	FusedServer = netip.MustParseAddr("157.61.239.61")
	// FusedServerSecond is FusedServer's second address.
	FusedServerSecond = netip.MustParseAddr("157.61.239.5")
	// HealthyServer is a multihomed server that lists its two addresses
	// separately, as it should (legitimate multihoming).
	HealthyServer = netip.MustParseAddr("10.1.1.5")
	// HealthyServerSecond is HealthyServer's second address.
	HealthyServerSecond = netip.MustParseAddr("192.168.7.5")
)

// FusedAddr is the fused network address of KB Q224460: FusedServer's two
// addresses written one after the other.
const FusedAddr = "157.61.239.61157.61.239.5"

// Start times of the three captures: distinct windows, so that demo.pcap
// is their concatenation.
var (
	startDCOM    = time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC)
	startCLFloor = startDCOM.Add(10 * time.Minute)
	startRestart = startDCOM.Add(20 * time.Minute)
)

// DCOMMarks are the frames of kb224460-dcom-fused.pcap the detector's
// tests assert findings at. Each is the frame that completes the PDU.
type DCOMMarks struct {
	// FusedBindAck accepts the IObjectExporter bind on FusedServer.
	FusedBindAck int
	// FusedServerAlive2 is the ServerAlive2 response whose
	// DUALSTRINGARRAY carries SRV20 and FusedAddr (no endpoint) for
	// ncacn_ip_tcp and ncadg_ip_udp (little-endian).
	FusedServerAlive2 int
	// FusedResolveOxid2Request is the ResolveOxid2 request the fused
	// answer belongs to.
	FusedResolveOxid2Request int
	// FusedResolveOxid2 is the ResolveOxid2 response carrying
	// ncacn_ip_tcp:FusedAddr[1038], ncadg_ip_udp:FusedAddr[1039] and
	// SRV20[1038] plus security bindings, on the same association.
	FusedResolveOxid2 int
	// HealthyResolveOxid2 is HealthyServer's ResolveOxid2 response listing
	// 10.1.1.5[1038] and 192.168.7.5[1038] separately: not a fault
	// (big-endian on both sides).
	HealthyResolveOxid2 int
	// Activation is HealthyServer's RemoteCreateInstance response with
	// correct bindings (APP5, 10.1.1.5, 192.168.7.5 on port 1051).
	Activation int
}

// Bindings of the DCOM scenario.
var (
	fusedAlive2Strings = []dcetest.SB{
		{Tower: dcetest.TowerTCP, Addr: "SRV20"},
		{Tower: dcetest.TowerTCP, Addr: FusedAddr},
		{Tower: dcetest.TowerUDP, Addr: "SRV20"},
		{Tower: dcetest.TowerUDP, Addr: FusedAddr},
	}
	fusedResolveStrings = []dcetest.SB{
		{Tower: dcetest.TowerTCP, Addr: "SRV20[1038]"},
		{Tower: dcetest.TowerTCP, Addr: FusedAddr + "[1038]"},
		{Tower: dcetest.TowerUDP, Addr: FusedAddr + "[1039]"},
	}
	healthyResolveStrings = []dcetest.SB{
		{Tower: dcetest.TowerTCP, Addr: "APP5[1038]"},
		{Tower: dcetest.TowerTCP, Addr: "10.1.1.5[1038]"},
		{Tower: dcetest.TowerTCP, Addr: "192.168.7.5[1038]"},
	}
	activationStrings = []dcetest.SB{
		{Tower: dcetest.TowerTCP, Addr: "APP5[1051]"},
		{Tower: dcetest.TowerTCP, Addr: "10.1.1.5[1051]"},
		{Tower: dcetest.TowerTCP, Addr: "192.168.7.5[1051]"},
	}
	// fusedSecurity keeps ServerAlive2's string array at an even number
	// of units: tshark 4.0 reads the words after an odd-length array
	// without NDR alignment and reports a long frame.
	fusedSecurity = []dcetest.SecB{
		{Authn: 10, Authz: 0xffff, Princ: ""},
		{Authn: 9, Authz: 0xffff, Princ: `CORP\SRV20$`},
		{Authn: 16, Authz: 0xffff, Princ: "host/srv20.corporate.example"},
	}
	healthySecurity = []dcetest.SecB{
		{Authn: 10, Authz: 0xffff, Princ: ""},
		{Authn: 9, Authz: 0xffff, Princ: `APPS\APP5$`},
		{Authn: 16, Authz: 0xffff, Princ: "host/app5.apps.example"},
	}
)

// OXIDs the scenario resolves.
const (
	fusedOXID   = 0x4b1d96a0e3f02c57
	healthyOXID = 0x0a17c3e95d2b6f48
	createdOXID = 0x71e08d2c4a95b613
)

func kb224460DCOM() ([]Frame, DCOMMarks) {
	var m DCOMMarks
	c := newTrace(startDCOM, netip.MustParsePrefix("157.61.239.0/24"), map[netip.Addr]uint16{Client157: 1042})
	oxidPort := netip.AddrPortFrom(FusedServer, 135)

	// 1. ServerAlive2 then ResolveOxid2 on the fused server.
	r := c.rpc(Client157, oxidPort, true, true)
	m.FusedBindAck = r.bind(ifOXID, "IObjectExporter", true)
	_, m.FusedServerAlive2 = r.call(opServerAlive2, nil, "ServerAlive2 request",
		dcetest.ServerAlive2Response(true, fusedAlive2Strings, fusedSecurity),
		"ServerAlive2 response: SRV20 and fused "+FusedAddr+" (ncacn_ip_tcp, ncadg_ip_udp), no endpoint")
	c.wait(30 * time.Millisecond)
	m.FusedResolveOxid2Request, m.FusedResolveOxid2 = r.call(opResolveOxid2,
		dcetest.ResolveOxidRequest(true, fusedOXID, []uint16{dcetest.TowerTCP, dcetest.TowerUDP}, -1),
		"ResolveOxid2 request, protseqs ncacn_ip_tcp, ncadg_ip_udp",
		dcetest.ResolveOxid2ResponseOf(true, dcetest.OXIDReply{
			Bindings:  &dcetest.DSA{Strings: fusedResolveStrings, Security: fusedSecurity},
			IPID:      dissect.MustParseUUID("0000a814-0c1c-0000-5e3b-0f6d8c21e7a4"),
			AuthnHint: 2,
		}),
		"ResolveOxid2 response: SRV20[1038], "+FusedAddr+"[1038] tcp, "+FusedAddr+"[1039] udp")
	r.done()

	// 2. ResolveOxid2 on the healthy multihomed server, big-endian on
	// both sides.
	c.wait(2500 * time.Millisecond)
	r = c.rpc(Client157, netip.AddrPortFrom(HealthyServer, 135), false, false)
	r.bind(ifOXID, "IObjectExporter", true)
	_, m.HealthyResolveOxid2 = r.call(opResolveOxid2,
		dcetest.ResolveOxidRequest(false, healthyOXID, []uint16{dcetest.TowerTCP}, -1),
		"ResolveOxid2 request (big-endian), protseq ncacn_ip_tcp",
		dcetest.ResolveOxid2ResponseOf(false, dcetest.OXIDReply{
			Bindings:  &dcetest.DSA{Strings: healthyResolveStrings, Security: healthySecurity},
			IPID:      dissect.MustParseUUID("00003c02-0f58-0000-91d7-3a64b0e25c18"),
			AuthnHint: 2,
		}),
		"ResolveOxid2 response (big-endian): APP5[1038], 10.1.1.5[1038], 192.168.7.5[1038] (legitimate multihoming)")
	r.done()

	// 3. Activation on the healthy server.
	c.wait(900 * time.Millisecond)
	r = c.rpc(Client157, netip.AddrPortFrom(HealthyServer, 135), true, true)
	r.bind(ifActivator, "ISystemActivator", true)
	clsid := dissect.MustParseUUID("8bc3f05e-d86b-11d0-a075-00c04fb68820") // WbemLevel1Login
	_, m.Activation = r.call(opRemoteCreateInstance,
		remoteCreateInstanceRequest(true, activationRequest{
			CID: dissect.MustParseUUID("6b0d8e37-5a1c-4f29-b3e0-2c7d9a41f816"), CLSID: clsid,
			IIDs: []dissect.UUID{iidIUnknown, iidIDispatch}, Server: "10.1.1.5"}),
		"RemoteCreateInstance request: CLSID "+clsid.String()+", IUnknown and IDispatch",
		dcetest.RemoteCreateInstanceResponse(true, activationReply()),
		"RemoteCreateInstance response: APP5[1051], 10.1.1.5[1051], 192.168.7.5[1051]")
	r.done()
	return c.frames, m
}

// activationReply is the healthy server's activation answer: the new
// object's exporter bindings and two interfaces whose OBJREFs carry the
// resolver's addresses.
func activationReply() dcetest.ActivationReply {
	resolver := dcetest.DSA{Strings: []dcetest.SB{
		{Tower: dcetest.TowerTCP, Addr: "APP5"},
		{Tower: dcetest.TowerTCP, Addr: "10.1.1.5"},
		{Tower: dcetest.TowerTCP, Addr: "192.168.7.5"},
	}, Security: healthySecurity}
	objref := func(iid dissect.UUID, ipid string, oid uint64) []byte {
		return dcetest.ObjRefStandard(iid, dcetest.StdObjRef{PublicRefs: 5, OXID: createdOXID, OID: oid,
			IPID: dissect.MustParseUUID(ipid)}, resolver)
	}
	return dcetest.ActivationReply{
		OXID:      createdOXID,
		Bindings:  &dcetest.DSA{Strings: activationStrings, Security: healthySecurity},
		IPID:      dissect.MustParseUUID("00005401-0a24-0000-c3d9-71b6e2f04a85"),
		AuthnHint: 2,
		Interfaces: []dcetest.ActIface{
			{IID: iidIUnknown, ObjRef: objref(iidIUnknown, "00005801-0a24-ffff-8f42-9b3c61d07e25", 0x5c2e91a7f04b3d86)},
			{IID: iidIDispatch, ObjRef: objref(iidIDispatch, "00005c01-0a24-ffff-2a7d-e48b05c9f163", 0x5c2e91a7f04b3d87)},
		},
	}
}

// CLFloorMarks are the frames of kb224460-cl-epm-fused-floor.pcap.
type CLFloorMarks struct {
	// FusedMapRequest is the connectionless ept_map request for the
	// messenger interface (ncadg_ip_udp) sent to FusedServer.
	FusedMapRequest int
	// FusedMapResponse is the answer whose tower has an 8-byte IPv4 floor
	// (157.61.239.61 then 157.61.239.5) with UDP port 1039.
	FusedMapResponse int
	// GoodMapRequest and GoodMapResponse are a normal exchange with
	// HealthyServer: tower ncadg_ip_udp 10.1.1.5[1039] (big-endian).
	GoodMapRequest, GoodMapResponse int
}

// EPM boot times (CL server_boot) of the KB Q224460 servers.
const (
	bootFusedEPM   = 0x663c7769 // 2024-05-09 07:12:41 UTC
	bootHealthyEPM = 0x662fe0db // 2024-04-29 18:03:07 UTC
)

func kb224460CLFloor() ([]Frame, CLFloorMarks) {
	var m CLFloorMarks
	c := newTrace(startCLFloor, netip.MustParsePrefix("157.61.239.0/24"), map[netip.Addr]uint16{Client157: 1071})

	// ept_map for the messenger interface over UDP 135 (little-endian).
	p := c.cl(Client157, netip.AddrPortFrom(FusedServer, 135), true, true, "d1e6f0a4-52b8-11d2-9c3e-0060b0f1a5c7")
	m.FusedMapRequest = p.request(ifEPM, opEptMap, epmMapRequest(true, epmRequestTower(ifMessenger, true)),
		"CL ept_map request: messenger "+ifMessenger.UUID.String()+" v1.0 over ncadg_ip_udp")
	m.FusedMapResponse = p.reply(dissect.PTypeResponse, ifEPM, opEptMap, bootFusedEPM,
		epmMapResponse(true, fusedUDPTower(ifMessenger, FusedServer, FusedServerSecond, 1039)),
		"CL ept_map response: tower ncadg_ip_udp port 1039 with an 8-byte IPv4 floor 157.61.239.61+157.61.239.5")

	// A normal exchange with the healthy server (big-endian).
	c.wait(3 * time.Second)
	p = c.cl(Client157, netip.AddrPortFrom(HealthyServer, 135), false, false, "d1e6f0a5-52b8-11d2-9c3e-0060b0f1a5c7")
	m.GoodMapRequest = p.request(ifEPM, opEptMap, epmMapRequest(false, epmRequestTower(ifMessenger, true)),
		"CL ept_map request (big-endian): messenger over ncadg_ip_udp")
	m.GoodMapResponse = p.reply(dissect.PTypeResponse, ifEPM, opEptMap, bootHealthyEPM,
		epmMapResponse(false, dcetest.EPMTowerUDP(ifMessenger, HealthyServer, 1039)),
		"CL ept_map response (big-endian): tower ncadg_ip_udp 10.1.1.5[1039]")
	return c.frames, m
}
