package scenario

import (
	"encoding/binary"
	"net/netip"
	"unicode/utf16"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

// Request and response stubs the scenarios need beyond what dcetest
// builds. Layouts come from the IDL of each interface (C706 for the
// endpoint mapper, MS-SCMR, MS-SAMR, MS-MSRP, MS-DCOM).

// Interfaces the scenarios use.
var (
	ifEPM       = dissect.SyntaxID{UUID: dissect.EPMv4, Major: 3}
	ifOXID      = dissect.SyntaxID{UUID: dissect.IObjectExporter}
	ifActivator = dissect.SyntaxID{UUID: dissect.IRemoteSCMActivator}
	ifSvcctl    = dissect.SyntaxID{UUID: dissect.MustParseUUID("367abb81-9844-35f1-ad32-98f038001003"), Major: 2}
	ifSamr      = dissect.SyntaxID{UUID: dissect.MustParseUUID("12345778-1234-abcd-ef00-0123456789ac"), Major: 1}
	ifMessenger = dissect.SyntaxID{UUID: dissect.MustParseUUID("5a7b91f8-ff00-11d0-a9b2-00c04fb6e6fc"), Major: 1}
)

// Operation numbers.
const (
	opEptMap               = 3
	opResolveOxid2         = 4
	opServerAlive2         = 5
	opRemoteCreateInstance = 4
	opCloseServiceHandle   = 0
	opEnumServicesStatusW  = 14
	opOpenSCManagerW       = 15
	opSamrConnect2         = 57
	opNetrSendMessage      = 0
)

// Status codes the scenarios send.
const (
	statusOK              = 0x00000000
	statusAccessDenied    = 0x00000005 // nca_s_fault_access_denied / ERROR_ACCESS_DENIED
	statusCallFailed      = 0x000006be // RPC_S_CALL_FAILED
	statusContextMismatch = 0x1c00001a // nca_s_fault_context_mismatch
	statusWrongBootTime   = 0x1c010006 // nca_s_wrong_boot_time (a reject status)
)

// epmRequestTower is the tower a client sends in ept_map: the interface,
// NDR 2.0, the protocol and a zero endpoint at 0.0.0.0.
func epmRequestTower(iface dissect.SyntaxID, udp bool) []byte {
	if udp {
		return dcetest.EPMTowerUDP(iface, netip.IPv4Unspecified(), 0)
	}
	return dcetest.EPMTowerTCP(iface, netip.IPv4Unspecified(), 135)
}

// epmMapRequest is an ept_map request stub for tower: a NULL-UUID object,
// a zero handle, max_towers 4.
func epmMapRequest(le bool, tower []byte) []byte {
	nilObj := dissect.NilUUID
	return dcetest.New(le).EPMMapRequest(dcetest.EPMMapRequest{Object: &nilObj, Tower: tower, MaxTowers: 4}).B
}

// epmMapResponse is an ept_map response stub returning towers, status 0.
func epmMapResponse(le bool, towers ...[]byte) []byte {
	return dcetest.New(le).EPMMapResponse(dcetest.EPMMapResponse{Towers: towers}).B
}

// fusedUDPTower is the KB Q224460 tower: ncadg_ip_udp whose IPv4 floor
// holds 8 bytes, the server's two addresses one after the other.
func fusedUDPTower(iface dissect.SyntaxID, a, b netip.Addr, port uint16) []byte {
	a4, b4 := a.As4(), b.As4()
	return dcetest.EPMTower(dcetest.EPMFloorSyntax(iface), dcetest.EPMFloorSyntax(dcetest.EPMNDR20),
		dcetest.EPMFloorRPC(dcetest.EPMProtoRPCCL, 0), dcetest.EPMFloorPort(dcetest.EPMProtoUDP, port),
		dcetest.EPMFloorRaw(dcetest.EPMProtoIP, append(a4[:], b4[:]...)))
}

// wstring appends an NDR conformant varying UTF-16 string with its NUL.
func wstring(e *dcetest.Enc, s string) {
	u := append(utf16.Encode([]rune(s)), 0)
	e.Align(4).U32(uint32(len(u))).U32(0).U32(uint32(len(u)))
	for _, c := range u {
		e.U16(c)
	}
}

// cstring appends an NDR conformant varying 8-bit string with its NUL.
func cstring(e *dcetest.Enc, s string) {
	n := uint32(len(s) + 1)
	e.Align(4).U32(n).U32(0).U32(n).Bytes([]byte(s)).U8(0)
}

// handle appends a 20-byte context handle.
func handle(e *dcetest.Enc, u dissect.UUID) *dcetest.Enc { return e.Align(4).U32(0).UUID(u) }

// openSCManagerRequest is svcctl OpenSCManagerW: unique machine name,
// unique database name, desired access.
func openSCManagerRequest(le bool, machine string) []byte {
	e := dcetest.New(le)
	e.U32(0x00020000)
	wstring(e, machine)
	e.Align(4).U32(0x00020004)
	wstring(e, "ServicesActive")
	e.Align(4).U32(0x00000005) // SC_MANAGER_CONNECT | SC_MANAGER_ENUMERATE_SERVICE
	return e.B
}

// handleResponse is a response carrying a context handle and a status
// (OpenSCManagerW, SamrConnect2, CloseServiceHandle).
func handleResponse(le bool, h dissect.UUID, status uint32) []byte {
	return handle(dcetest.New(le), h).U32(status).B
}

// handleRequest is a request whose only in-parameter is a context handle
// (CloseServiceHandle).
func handleRequest(le bool, h dissect.UUID) []byte { return handle(dcetest.New(le), h).B }

// enumServicesRequest is svcctl EnumServicesStatusW: SCM handle,
// SERVICE_WIN32, SERVICE_STATE_ALL, the buffer size offered, a resume
// handle of 0.
func enumServicesRequest(le bool, h dissect.UUID, offered uint32) []byte {
	e := handle(dcetest.New(le), h)
	return e.U32(0x30).U32(3).U32(offered).U32(0x00020000).U32(0).B
}

// services are the service names and display names the EnumServicesStatusW
// answer lists.
var services = [][2]string{
	{"Alerter", "Alerter"}, {"AppMgmt", "Application Management"}, {"BITS", "Background Intelligent Transfer Service"},
	{"Browser", "Computer Browser"}, {"CryptSvc", "Cryptographic Services"}, {"Dhcp", "DHCP Client"},
	{"Dnscache", "DNS Client"}, {"Eventlog", "Event Log"}, {"EventSystem", "COM+ Event System"},
	{"LanmanServer", "Server"}, {"LanmanWorkstation", "Workstation"}, {"LmHosts", "TCP/IP NetBIOS Helper"},
	{"Messenger", "Messenger"}, {"MSDTC", "Distributed Transaction Coordinator"}, {"Netlogon", "Net Logon"},
	{"Netman", "Network Connections"}, {"NtLmSsp", "NT LM Security Support Provider"}, {"PlugPlay", "Plug and Play"},
	{"PolicyAgent", "IPSEC Services"}, {"ProtectedStorage", "Protected Storage"}, {"RasMan", "Remote Access Connection Manager"},
	{"RemoteRegistry", "Remote Registry"}, {"RpcLocator", "Remote Procedure Call (RPC) Locator"},
	{"RpcSs", "Remote Procedure Call (RPC)"}, {"SamSs", "Security Accounts Manager"}, {"Schedule", "Task Scheduler"},
	{"seclogon", "Secondary Logon"}, {"SENS", "System Event Notification"}, {"Spooler", "Print Spooler"},
	{"TapiSrv", "Telephony"}, {"TermService", "Terminal Services"}, {"TrkWks", "Distributed Link Tracking Client"},
	{"W32Time", "Windows Time"}, {"WinMgmt", "Windows Management Instrumentation"}, {"Wmi", "Windows Management Instrumentation Driver Extensions"},
}

// enumServicesBuffer is the ENUM_SERVICE_STATUSW array as the SCM returns
// it in its byte buffer (MS-SCMR 2.2.11, 32-bit self-relative form): one
// 36-byte entry per service (name offset, display name offset,
// SERVICE_STATUS), then the UTF-16 strings the offsets point to.
// Its contents are little-endian whatever the stub's byte order: the
// buffer is an opaque byte array to NDR.
func enumServicesBuffer() []byte {
	const entry = 36
	b := make([]byte, entry*len(services))
	for i, s := range services {
		for j, str := range s {
			binary.LittleEndian.PutUint32(b[i*entry+4*j:], uint32(len(b)))
			for _, u := range utf16.Encode([]rune(str)) {
				b = binary.LittleEndian.AppendUint16(b, u)
			}
			b = append(b, 0, 0)
		}
		st := b[i*entry+8:]
		binary.LittleEndian.PutUint32(st[0:], 0x20) // SERVICE_WIN32_SHARE_PROCESS
		binary.LittleEndian.PutUint32(st[4:], 4)    // SERVICE_RUNNING
		binary.LittleEndian.PutUint32(st[8:], 0x05) // accepts stop, shutdown
	}
	return b
}

// enumServicesResponse is the EnumServicesStatusW response: the buffer
// (conformant array of offered bytes), bytes needed 0, services returned,
// the resume handle, status.
func enumServicesResponse(le bool, buf []byte) []byte {
	e := dcetest.New(le)
	e.U32(uint32(len(buf))).Bytes(buf).Align(4)
	e.U32(0).U32(uint32(len(services))).U32(0x00020000).U32(0).U32(statusOK)
	return e.B
}

// samrConnect2Request is samr Connect2: unique server name, access mask.
func samrConnect2Request(le bool, server string) []byte {
	e := dcetest.New(le)
	e.U32(0x00020000)
	wstring(e, server)
	return e.Align(4).U32(0x00000030).B // SAM_SERVER_ENUMERATE_DOMAINS | SAM_SERVER_LOOKUP_DOMAIN
}

// sendMessageRequest is msgsvc NetrSendMessage: three [string] char*
// (from, to, text); top-level [string] pointers are reference pointers,
// so no referent ids.
func sendMessageRequest(le bool, from, to, text string) []byte {
	e := dcetest.New(le)
	cstring(e, from)
	cstring(e, to)
	cstring(e, text)
	return e.B
}

// statusResponse is a response whose only out-value is a status.
func statusResponse(le bool, status uint32) []byte { return dcetest.New(le).U32(status).B }

// Activation property class ids (MS-DCOM 1.9).
var (
	clsidActivationPropertiesIn = dissect.MustParseUUID("00000338-0000-0000-c000-000000000046")
	iidIActivationPropertiesIn  = dissect.MustParseUUID("000001a2-0000-0000-c000-000000000046")
	clsidInstantiationInfo      = dissect.MustParseUUID("000001ab-0000-0000-c000-000000000046")
	clsidSecurityInfo           = dissect.MustParseUUID("000001a6-0000-0000-c000-000000000046")
	clsidServerLocationInfo     = dissect.MustParseUUID("000001a4-0000-0000-c000-000000000046")
	clsidScmRequestInfo         = dissect.MustParseUUID("000001aa-0000-0000-c000-000000000046")
	iidIUnknown                 = dissect.MustParseUUID("00000000-0000-0000-c000-000000000046")
	iidIDispatch                = dissect.MustParseUUID("00020400-0000-0000-c000-000000000046")
)

// activationRequest describes an ISystemActivator RemoteCreateInstance
// call.
type activationRequest struct {
	CID    dissect.UUID // causality id in ORPCTHIS
	CLSID  dissect.UUID // class to create
	IIDs   []dissect.UUID
	Server string // COSERVERINFO name
}

// remoteCreateInstanceRequest is the request stub: ORPCTHIS, pUnkOuter
// (NULL), pActProperties: an MInterfacePointer holding an OBJREF_CUSTOM
// for CLSID_ActivationPropertiesIn whose blob carries InstantiationInfo,
// SecurityInfo, LocationInfo and ScmRequestInfo.
func remoteCreateInstanceRequest(le bool, q activationRequest) []byte {
	e := dcetest.New(le)
	e.U16(5).U16(7).U32(0).U32(0).UUID(q.CID).U32(0) // ORPCTHIS, no extensions
	e.U32(0)                                         // pUnkOuter NULL
	e.MInterfacePointer(0x00020000, activationPropertiesIn(le, q))
	return e.B
}

func activationPropertiesIn(le bool, q activationRequest) []byte {
	var props [][]byte
	// InstantiationInfoData; thisSize is the property's own size, which
	// does not depend on its value: build it twice.
	var inst []byte
	for pass := 0; pass < 2; pass++ {
		size := uint32(len(inst))
		inst = dcetest.TypeSerialize1(le, func(e *dcetest.Enc) {
			e.UUID(q.CLSID).U32(0x14).U32(0).U32(0).U32(uint32(len(q.IIDs))).U32(0) // CLSCTX_LOCAL_SERVER|CLSCTX_REMOTE_SERVER
			e.U32(0x00020000).U32(size).U16(5).U16(7)
			e.U32(uint32(len(q.IIDs)))
			for _, iid := range q.IIDs {
				e.UUID(iid)
			}
		})
	}
	props = append(props, inst)
	// SecurityInfoData: authn flags, pServerInfo -> COSERVERINFO with the
	// server name, pAuthIdentityData NULL.
	props = append(props, dcetest.TypeSerialize1(le, func(e *dcetest.Enc) {
		e.U32(0).U32(0x00020000).U32(0)
		e.U32(0).U32(0x00020004).U32(0).U32(0)
		wstring(e, q.Server)
	}))
	// LocationInfoData: no machine name, process, apartment, context 0.
	props = append(props, dcetest.TypeSerialize1(le, func(e *dcetest.Enc) {
		e.U32(0).U32(0).U32(0).U32(0)
	}))
	// ScmRequestInfoData: pdwReserved NULL, remoteRequest: impersonation
	// level identify (2), protocol sequences ncacn_ip_tcp (7).
	props = append(props, dcetest.TypeSerialize1(le, func(e *dcetest.Enc) {
		e.U32(0).U32(0x00020000)
		e.U32(2).U16(1).Align(4).U32(0x00020004)
		e.U32(1).U16(dcetest.TowerTCP)
	}))
	clsids := []dissect.UUID{clsidInstantiationInfo, clsidSecurityInfo, clsidServerLocationInfo, clsidScmRequestInfo}
	var hdr []byte
	for pass := 0; pass < 2; pass++ { // headerSize depends on the header's own length
		total := uint32(len(hdr))
		for _, p := range props {
			total += uint32(len(p))
		}
		hl := uint32(len(hdr))
		hdr = dcetest.TypeSerialize1(le, func(e *dcetest.Enc) {
			e.U32(total).U32(hl).U32(0).U32(2).U32(uint32(len(clsids)))
			e.UUID(dissect.NilUUID)
			e.U32(0x00020000).U32(0x00020004).U32(0)
			e.U32(uint32(len(clsids)))
			for _, c := range clsids {
				e.UUID(c)
			}
			e.U32(uint32(len(props)))
			for _, p := range props {
				e.U32(uint32(len(p)))
			}
		})
	}
	blob := dcetest.New(true)
	size := len(hdr)
	for _, p := range props {
		size += len(p)
	}
	blob.U32(uint32(size)).U32(0).Bytes(hdr)
	for _, p := range props {
		blob.Bytes(p)
	}
	o := dcetest.New(true) // OBJREFs are little-endian (MS-DCOM 2.2.18)
	o.U32(dcetest.ObjRefSignature).U32(dcetest.ObjRefFlagCustom).UUID(iidIActivationPropertiesIn)
	o.UUID(clsidActivationPropertiesIn).U32(0).U32(uint32(len(blob.B) + 8)).Bytes(blob.B)
	return o.B
}
