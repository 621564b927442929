package scenario

import (
	"net/netip"
	"time"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

// Hosts of the KB Q216558 scenario.
var (
	// RestartServer is the server that restarts mid-capture.
	RestartServer = netip.MustParseAddr("10.0.0.10")
	// ClientSvcctl maps and uses svcctl over TCP.
	ClientSvcctl = netip.MustParseAddr("10.0.0.21")
	// ClientMessenger maps and uses the messenger interface over UDP
	// (big-endian on both sides).
	ClientMessenger = netip.MustParseAddr("10.0.0.22")
	// ClientSamr maps and uses samr over TCP.
	ClientSamr = netip.MustParseAddr("10.0.0.23")
)

// Endpoints RestartServer's endpoint mapper hands out before and after the
// restart.
const (
	SvcctlPortBefore    = 49670
	SvcctlPortAfter     = 49702
	SamrPortBefore      = 49668 // after the restart it serves another interface
	SamrPortAfter       = 49669
	MessengerPortBefore = 1039
	MessengerPortAfter  = 1044
)

// CL server_boot values of RestartServer: its endpoint mapper (E) and its
// messenger endpoint (B), before (1) and after (2) the restart.
const (
	BootEPMBefore       = 0x66405ae4
	BootMessengerBefore = 0x66405aeb
	BootEPMAfter        = 0x664333e0
	BootMessengerAfter  = 0x664333e4
)

// RestartMarks are the frames of kb216558-restart-stale.pcap the
// detector's tests assert findings at. Each is the frame that completes
// the PDU (or the packet itself for TCP and ICMP events).
type RestartMarks struct {
	// MapTCPBefore: ept_map response, svcctl at ncacn_ip_tcp
	// 10.0.0.10[49670].
	MapTCPBefore int
	// CallOKBefore: OpenSCManagerW response on 49670 (status 0).
	CallOKBefore int
	// LargeResponse: the last segment of the EnumServicesStatusW response
	// on 49670 (a PDU cut into MSS-sized segments).
	LargeResponse int
	// MapSamrBefore: ept_map response, samr at 10.0.0.10[49668].
	MapSamrBefore int
	// SamrOKBefore: SamrConnect2 response on 49668 (status 0).
	SamrOKBefore int
	// MapUDPBefore: CL ept_map response, messenger at ncadg_ip_udp
	// 10.0.0.10[1039], server_boot BootEPMBefore.
	MapUDPBefore int
	// CLResponseBefore: CL response on 1039 with server_boot
	// BootMessengerBefore.
	CLResponseBefore int
	// CLUnanswered: the CL request on 1039 the server never answered (it
	// went down).
	CLUnanswered int
	// Restart is the first frame after the ~30 s the server was down.
	Restart int
	// RefusedSYN and RefusedRST: a SYN to the old port 49670 answered by
	// RST-ACK.
	RefusedSYN, RefusedRST int
	// MapTCPAfter: ept_map response, svcctl now at 10.0.0.10[49702] (the
	// endpoint moved).
	MapTCPAfter int
	// ContextMismatch: fault nca_s_fault_context_mismatch on 49702 for
	// the handle obtained before the restart.
	ContextMismatch int
	// FreshHandleAfter: OpenSCManagerW response on 49702 (status 0).
	FreshHandleAfter int
	// UnreachableRequest and Unreachable: the CL request retransmitted to
	// the old UDP port 1039 and the ICMP port unreachable quoting it.
	UnreachableRequest, Unreachable int
	// MapUDPAfter: CL ept_map response, messenger now at
	// 10.0.0.10[1044], server_boot BootEPMAfter.
	MapUDPAfter int
	// NoCall: the server's nocall (server_boot BootMessengerAfter) to a
	// ping for the call made before the restart.
	NoCall int
	// WrongBootReject: CL reject nca_s_wrong_boot_time of a request to
	// 1044 that carried BootMessengerBefore; its header carries
	// BootMessengerAfter.
	WrongBootReject int
	// CLResponseAfter: the retried call's response on 1044 (status 0).
	CLResponseAfter int
	// ProviderRejection: bind_ack provider rejection (abstract syntax not
	// supported) of a samr bind on the old port 49668.
	ProviderRejection int
	// MapSamrAfter: ept_map response, samr now at 10.0.0.10[49669].
	MapSamrAfter int
	// AccessDenied and CallFailed: faults 0x00000005 and 0x000006be on
	// 49669.
	AccessDenied, CallFailed int
}

// Context handles the svcctl and samr clients get.
var (
	handleSCMBefore  = dissect.MustParseUUID("3e1f7a02-9c4d-4b6e-8a51-d27c0f9b6e13")
	handleSCMAfter   = dissect.MustParseUUID("71c2d04b-e8a3-4f15-9b7d-48e0a6c3f921")
	handleSamrBefore = dissect.MustParseUUID("a4b8e2c1-3f07-4d9a-b6e5-0c19f7d2a83e")
)

func kb216558Restart() ([]Frame, RestartMarks) {
	var m RestartMarks
	c := newTrace(startRestart, netip.MustParsePrefix("10.0.0.0/24"), map[netip.Addr]uint16{
		ClientSvcctl: 50212, ClientMessenger: 53118, ClientSamr: 51544})
	epmTCP := netip.AddrPortFrom(RestartServer, 135)
	epmUDP := epmTCP
	mapTCP := func(cli netip.Addr, iface dissect.SyntaxID, name string, port uint16) int {
		r := c.rpc(cli, epmTCP, true, true)
		r.bind(ifEPM, "epmapper", true)
		_, resp := r.call(opEptMap, epmMapRequest(true, epmRequestTower(iface, false)),
			"ept_map request: "+name+" "+iface.UUID.String()+" v"+ver(iface)+" over ncacn_ip_tcp",
			epmMapResponse(true, dcetest.EPMTowerTCP(iface, RestartServer, port)),
			"ept_map response: "+name+" at ncacn_ip_tcp:10.0.0.10["+itoa(port)+"]")
		r.done()
		return resp
	}

	// Before the restart.
	m.MapTCPBefore = mapTCP(ClientSvcctl, ifSvcctl, "svcctl", SvcctlPortBefore)
	c.wait(40 * time.Millisecond)
	r := c.rpc(ClientSvcctl, netip.AddrPortFrom(RestartServer, SvcctlPortBefore), true, true)
	r.bind(ifSvcctl, "svcctl", true)
	_, m.CallOKBefore = r.call(opOpenSCManagerW, openSCManagerRequest(true, `\\SRV10`), "OpenSCManagerW request",
		handleResponse(true, handleSCMBefore, statusOK), "OpenSCManagerW response: handle "+handleSCMBefore.String()+", status 0")
	buf := enumServicesBuffer()
	_, m.LargeResponse = r.call(opEnumServicesStatusW, enumServicesRequest(true, handleSCMBefore, uint32(len(buf))),
		"EnumServicesStatusW request",
		enumServicesResponse(true, buf), "EnumServicesStatusW response: "+itoa(uint16(len(services)))+" services")
	r.done()

	c.wait(300 * time.Millisecond)
	m.MapSamrBefore = mapTCP(ClientSamr, ifSamr, "samr", SamrPortBefore)
	c.wait(40 * time.Millisecond)
	r = c.rpc(ClientSamr, netip.AddrPortFrom(RestartServer, SamrPortBefore), true, true)
	r.bind(ifSamr, "samr", true)
	_, m.SamrOKBefore = r.call(opSamrConnect2, samrConnect2Request(true, `\\SRV10`), "SamrConnect2 request",
		handleResponse(true, handleSamrBefore, statusOK), "SamrConnect2 response: handle, status 0")
	r.done()

	c.wait(250 * time.Millisecond)
	p := c.cl(ClientMessenger, epmUDP, false, false, "5c3e9a10-7d2b-11ee-8f4a-00155d0a0016")
	p.request(ifEPM, opEptMap, epmMapRequest(false, epmRequestTower(ifMessenger, true)),
		"CL ept_map request (big-endian): messenger over ncadg_ip_udp")
	m.MapUDPBefore = p.reply(dissect.PTypeResponse, ifEPM, opEptMap, BootEPMBefore,
		epmMapResponse(false, dcetest.EPMTowerUDP(ifMessenger, RestartServer, MessengerPortBefore)),
		"CL ept_map response (big-endian): messenger at ncadg_ip_udp:10.0.0.10[1039], server_boot E1")
	msg := c.cl(ClientMessenger, netip.AddrPortFrom(RestartServer, MessengerPortBefore), false, false,
		"5c3e9a11-7d2b-11ee-8f4a-00155d0a0016")
	send := func(text, note string) int {
		return msg.request(ifMessenger, opNetrSendMessage, sendMessageRequest(false, "OPS22", "SRV10", text), note)
	}
	c.wait(20 * time.Millisecond)
	send("backup job 1 of 3 started", "CL NetrSendMessage request, server_boot 0 (first call)")
	m.CLResponseBefore = msg.reply(dissect.PTypeResponse, ifMessenger, opNetrSendMessage, BootMessengerBefore,
		statusResponse(false, statusOK), "CL NetrSendMessage response, server_boot B1")
	c.wait(1500 * time.Millisecond)
	msg.nextCall()
	send("backup job 2 of 3 started", "CL NetrSendMessage request, server_boot B1")
	msg.reply(dissect.PTypeResponse, ifMessenger, opNetrSendMessage, BootMessengerBefore,
		statusResponse(false, statusOK), "CL NetrSendMessage response, server_boot B1")
	c.wait(1500 * time.Millisecond)
	msg.nextCall()
	m.CLUnanswered = send("backup job 3 of 3 started", "CL NetrSendMessage request, server_boot B1: never answered (the server goes down)")

	// The server restarts: about 30 s without a packet from it.
	c.wait(30 * time.Second)
	m.Restart = c.next()

	// After: the old TCP endpoint refuses, the mapper knows the new one,
	// and the handle from before is stale.
	t := c.tcp(ClientSvcctl, netip.AddrPortFrom(RestartServer, SvcctlPortBefore))
	m.RefusedSYN, m.RefusedRST = t.refused()
	c.wait(30 * time.Millisecond)
	m.MapTCPAfter = mapTCP(ClientSvcctl, ifSvcctl, "svcctl", SvcctlPortAfter)
	c.wait(40 * time.Millisecond)
	r = c.rpc(ClientSvcctl, netip.AddrPortFrom(RestartServer, SvcctlPortAfter), true, true)
	r.bind(ifSvcctl, "svcctl", true)
	r.request(opCloseServiceHandle, handleRequest(true, handleSCMBefore),
		"CloseServiceHandle request with the handle from before the restart")
	m.ContextMismatch = r.fault(statusContextMismatch, "fault nca_s_fault_context_mismatch (0x1c00001a): stale context handle")
	_, m.FreshHandleAfter = r.call(opOpenSCManagerW, openSCManagerRequest(true, `\\SRV10`), "OpenSCManagerW request",
		handleResponse(true, handleSCMAfter, statusOK), "OpenSCManagerW response: new handle, status 0")
	r.done()

	// The CL client retransmits its unanswered call to the old UDP
	// endpoint, re-resolves, pings the call, and calls with the old boot
	// time.
	c.wait(200 * time.Millisecond)
	m.UnreachableRequest = send("backup job 3 of 3 started", "CL NetrSendMessage request retransmitted to the old endpoint 1039, server_boot B1")
	m.Unreachable = c.portUnreachable(RestartServer, m.UnreachableRequest, "ICMP port unreachable: nothing listens on UDP 10.0.0.10:1039")
	c.wait(60 * time.Millisecond)
	p = p.fresh("5c3e9a12-7d2b-11ee-8f4a-00155d0a0016")
	p.request(ifEPM, opEptMap, epmMapRequest(false, epmRequestTower(ifMessenger, true)),
		"CL ept_map request (big-endian): messenger over ncadg_ip_udp, new activity")
	m.MapUDPAfter = p.reply(dissect.PTypeResponse, ifEPM, opEptMap, BootEPMAfter,
		epmMapResponse(false, dcetest.EPMTowerUDP(ifMessenger, RestartServer, MessengerPortAfter)),
		"CL ept_map response (big-endian): messenger at ncadg_ip_udp:10.0.0.10[1044], server_boot E2 (the mapper restarted)")
	msg = msg.to(netip.AddrPortFrom(RestartServer, MessengerPortAfter))
	c.wait(20 * time.Millisecond)
	msg.ping(ifMessenger, opNetrSendMessage, "CL ping for the call made before the restart, server_boot B1")
	m.NoCall = msg.reply(dissect.PTypeNocall, ifMessenger, opNetrSendMessage, BootMessengerAfter, nil,
		"CL nocall, server_boot B2: the restarted server knows nothing of the call")
	c.wait(300 * time.Millisecond)
	msg.nextCall()
	send("backup job 3 of 3 started", "CL NetrSendMessage request to 1044, still server_boot B1")
	m.WrongBootReject = msg.reply(dissect.PTypeReject, ifMessenger, opNetrSendMessage, BootMessengerAfter,
		dcetest.CLStatusBody(false, statusWrongBootTime), "CL reject nca_s_wrong_boot_time (0x1c010006), server_boot B2")
	msg.boot = BootMessengerAfter // the runtime learns the new boot time from the reject
	msg.nextCall()
	send("backup job 3 of 3 started", "CL NetrSendMessage request, server_boot B2")
	m.CLResponseAfter = msg.reply(dissect.PTypeResponse, ifMessenger, opNetrSendMessage, BootMessengerAfter,
		statusResponse(false, statusOK), "CL NetrSendMessage response, server_boot B2")

	// The samr client reuses the old port, which now serves another
	// interface; after re-resolving, its calls fault.
	c.wait(150 * time.Millisecond)
	r = c.rpc(ClientSamr, netip.AddrPortFrom(RestartServer, SamrPortBefore), true, true)
	m.ProviderRejection = r.bind(ifSamr, "samr", false)
	r.done()
	c.wait(30 * time.Millisecond)
	m.MapSamrAfter = mapTCP(ClientSamr, ifSamr, "samr", SamrPortAfter)
	c.wait(40 * time.Millisecond)
	r = c.rpc(ClientSamr, netip.AddrPortFrom(RestartServer, SamrPortAfter), true, true)
	r.bind(ifSamr, "samr", true)
	r.request(opSamrConnect2, samrConnect2Request(true, `\\SRV10`), "SamrConnect2 request")
	m.AccessDenied = r.fault(statusAccessDenied, "fault nca_s_fault_access_denied (0x00000005)")
	c.wait(500 * time.Millisecond)
	r.request(opSamrConnect2, samrConnect2Request(true, `\\SRV10`), "SamrConnect2 request (retry)")
	m.CallFailed = r.fault(statusCallFailed, "fault RPC_S_CALL_FAILED (0x000006be)")
	r.done()
	return c.frames, m
}

// itoa renders a port.
func itoa(v uint16) string { return string(dissect.AppendUint(nil, uint64(v))) }
