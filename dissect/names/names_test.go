package names

import (
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
)

func mustUUID(t testing.TB, s string) dissect.UUID {
	t.Helper()
	u, ok := dissect.ParseUUID(s)
	if !ok {
		t.Fatalf("bad uuid %q", s)
	}
	return u
}

func TestTableErrors(t *testing.T) {
	for _, e := range tableErrors {
		t.Error(e)
	}
}

func TestTableRows(t *testing.T) {
	seen := make(map[dissect.UUID]string)
	for _, row := range ifaceTable {
		u, ok := dissect.ParseUUID(row.uuid)
		if !ok {
			t.Errorf("%s: does not parse", row.uuid)
			continue
		}
		if got := u.String(); got != row.uuid {
			t.Errorf("%s: canonical form is %s", row.uuid, got)
		}
		if prev, dup := seen[u]; dup {
			t.Errorf("%s: duplicate (%s and %s)", row.uuid, prev, row.name)
		}
		seen[u] = row.name
		if row.name == "" || strings.TrimSpace(row.name) != row.name {
			t.Errorf("%s: bad name %q", row.uuid, row.name)
		}
		if strings.TrimSpace(row.alias) != row.alias {
			t.Errorf("%s: bad alias %q", row.uuid, row.alias)
		}
		if row.desc == "" || strings.ContainsAny(row.desc, "\n\t") {
			t.Errorf("%s: bad description %q", row.uuid, row.desc)
		}
		for op, name := range row.ops {
			if strings.ContainsAny(name, " \t\n") {
				t.Errorf("%s opnum %d: bad name %q", row.name, op, name)
			}
		}
	}
	if len(seen) != Len() {
		t.Errorf("Len() = %d, want %d", Len(), len(seen))
	}
}

func TestCount(t *testing.T) {
	// Zeek and Suricata together name about 225 interfaces.
	if n := Len(); n < 220 {
		t.Errorf("Len() = %d, want at least 220", n)
	}
	n := 0
	for e := range All() {
		n++
		if e.Ops > 0 && e.Ops > 65536 {
			t.Errorf("%s: %d ops", e.Name, e.Ops)
		}
	}
	if n != Len() {
		t.Errorf("All yielded %d, Len() = %d", n, Len())
	}
}

// TestKnownInterfaces checks the entries the rest of rpcwatch relies on and
// the names the brief for this package fixed.
func TestKnownInterfaces(t *testing.T) {
	tests := []struct {
		uuid, name string
	}{
		{"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epm"},
		{"afa8bd80-7d8a-11c9-bef4-08002b102989", "mgmt"},
		{"333a2276-0000-0000-0d00-00809c000000", "conv"},
		{"99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter"},
		{"000001a0-0000-0000-c000-000000000046", "ISystemActivator"},
		{"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IRemoteActivation"},
		{"00000131-0000-0000-c000-000000000046", "IRemUnknown"},
		{"00000143-0000-0000-c000-000000000046", "IRemUnknown2"},
		{"12345778-1234-abcd-ef00-0123456789ac", "samr"},
		{"12345778-1234-abcd-ef00-0123456789ab", "lsarpc"},
		{"12345678-1234-abcd-ef00-01234567cffb", "netlogon"},
		{"e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi"},
		{"367abb81-9844-35f1-ad32-98f038001003", "svcctl"},
		{"338cd001-2244-31f1-aaaa-900038001003", "winreg"},
		{"4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc"},
		{"6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc"},
		{"1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc"},
		{"12345678-1234-abcd-ef00-0123456789ab", "spoolss"},
		{"82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog"},
		{"9556dc99-828c-11cf-a37e-00aa003240c7", "IWbemServices"},
		{"f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login"},
		{"dea00001-6c97-11d1-8271-00a02442df7d", "PNIO-Device"},
		{"5a7b91f8-ff00-11d0-a9b2-00c04fb6e6fc", "msgsvcsend"},
		{"df1941c5-fe89-4e79-bf10-463657acf44d", "efsrpc"},
	}
	for _, tt := range tests {
		got, ok := Interface(mustUUID(t, tt.uuid))
		if !ok || got != tt.name {
			t.Errorf("Interface(%s) = %q, %v; want %q", tt.uuid, got, ok, tt.name)
		}
		u, ok := ByName(tt.name)
		if !ok || u.String() != tt.uuid {
			t.Errorf("ByName(%q) = %s, %v; want %s", tt.name, u, ok, tt.uuid)
		}
	}
	// The well-known UUIDs of the core package must all be named.
	for u, want := range map[dissect.UUID]string{
		dissect.EPMv4:               "epm",
		dissect.IObjectExporter:     "IObjectExporter",
		dissect.IRemoteActivation:   "IRemoteActivation",
		dissect.IRemoteSCMActivator: "ISystemActivator",
	} {
		if got, _ := Interface(u); got != want {
			t.Errorf("Interface(%s) = %q, want %q", u, got, want)
		}
	}
}

func TestAliases(t *testing.T) {
	for alias, name := range map[string]string{
		"epmapper":            "epm",
		"IRemoteSCMActivator": "ISystemActivator",
		"IActivation":         "IRemoteActivation",
		"IOXIDResolver":       "IObjectExporter",
		"ntsvcs":              "pnp",
		"Messenger":           "msgsvcsend",
	} {
		u, ok := ByName(alias)
		if !ok {
			t.Errorf("ByName(%q): not found", alias)
			continue
		}
		if got, _ := Interface(u); got != name {
			t.Errorf("ByName(%q) is %q, want %q", alias, got, name)
		}
	}
	if _, ok := ByName("EPM"); ok {
		t.Error("ByName is documented as case-sensitive")
	}
}

func TestDescribe(t *testing.T) {
	e, ok := Describe(dissect.EPMv4)
	if !ok || e.Name != "epm" || e.Alias != "epmapper" || e.UUID != dissect.EPMv4 || e.Ops != 9 || e.Desc == "" {
		t.Errorf("Describe(EPMv4) = %+v, %v", e, ok)
	}
	if _, ok := Describe(dissect.NilUUID); ok {
		t.Error("Describe(nil UUID) found something")
	}
	if _, ok := Interface(dissect.NDR20); ok {
		t.Error("the NDR transfer syntax is not an interface")
	}
}

func TestOpnums(t *testing.T) {
	type want struct {
		op   uint16
		name string
	}
	tests := []struct {
		iface string
		ops   []want
	}{
		{"epm", []want{{0, "ept_insert"}, {1, "ept_delete"}, {2, "ept_lookup"}, {3, "ept_map"},
			{4, "ept_lookup_handle_free"}, {5, "ept_inq_object"}, {6, "ept_mgmt_delete"}}},
		{"IObjectExporter", []want{{0, "ResolveOxid"}, {1, "SimplePing"}, {2, "ComplexPing"},
			{3, "ServerAlive"}, {4, "ResolveOxid2"}, {5, "ServerAlive2"}}},
		{"ISystemActivator", []want{{0, "Opnum0NotUsedOnWire"}, {1, "Opnum1NotUsedOnWire"},
			{2, "Opnum2NotUsedOnWire"}, {3, "RemoteGetClassObject"}, {4, "RemoteCreateInstance"}}},
		{"IRemoteActivation", []want{{0, "RemoteActivation"}}},
		{"mgmt", []want{{0, "inq_if_ids"}, {1, "inq_stats"}, {2, "is_server_listening"},
			{3, "stop_server_listening"}, {4, "inq_princ_name"}}},
		{"conv", []want{{0, "conv_who_are_you"}, {4, "conv_who_are_you_auth_more"}}},
		{"IRemUnknown2", []want{{3, "RemQueryInterface"}, {6, "RemQueryInterface2"}}},
		{"PNIO-Device", []want{{0, "Connect"}, {5, "ReadImplicit"}}},
		// Last entries of the long tables, to catch a miscounted list.
		{"lsarpc", []want{{94, "CredrBackupCredentials"}, {129, "LsarCreateTrustedDomainEx3"},
			{133, "LsarSetForestTrustInformation2"}}},
		{"samr", []want{{69, "SamrPerformGenericOperation"}, {73, "SamrUnicodeChangePasswordUser4"}}},
		{"netlogon", []want{{26, "NetrServerAuthenticate3"}, {49, "NetrChainSetClientAttributes"}}},
		{"drsuapi", []want{{3, "DRSGetNCChanges"}, {24, "DRSQuerySitesByCost"}, {30, "DRSReadNgcKey"}}},
		{"spoolss", []want{{65, "RpcRemoteFindFirstPrinterChangeNotificationEx"},
			{104, "RpcReportJobProcessingProgress"}, {113, "RpcEnumJobNamedProperties"},
			{116, "RpcLogJobInfoForBranchOffice"}}},
		{"IRemoteWinspool", []want{{74, "RpcAsyncLogJobInfoForBranchOffice"}}},
		{"srvsvc", []want{{53, "NetrServerTransportDelEx"}, {57, "NetrShareDelEx"}}},
		{"wkssvc", []want{{31, "NetrWorkstationResetDfsCache"}}},
		{"winreg", []want{{35, "BaseRegDeleteKeyEx"}}},
		{"svcctl", []want{{12, "CreateServiceW"}, {54, "ScOpenServiceStatusHandle"}, {64, "OpenSCManager2"}}},
		{"ITaskSchedulerService", []want{{1, "SchRpcRegisterTask"}, {19, "SchRpcEnableTask"}}},
		{"eventlog", []want{{24, "ElfrReportEventAndSourceW"}, {26, "ElfrReportEventExA"}}},
		{"IEventService", []want{{28, "EvtRpcGetClassicLogDisplayName"}}},
		{"pnp", []want{{74, "PNP_DeleteServiceDevices"}}},
		{"netdfs", []want{{22, "NetrDfsSetInfo2"}, {25, "NetrDfsGetSupportedNamespaceVersion"}}},
		{"IWbemServices", []want{{3, "OpenNamespace"}, {16, "DeleteInstance"}, {25, "ExecMethodAsync"}}},
		{"winstation_rpc", []want{{75, "RpcWinStationOpenSessionDirectory"}}},
		{"llsrpc", []want{{89, "LlsrCloseEx"}}},
		{"AudioRpc", []want{{66, "AudioVolumeStepDown"}}},
		{"RpcSrvDHCPC", []want{{26, "RpcSrvGetDhcpServicedConnections"}}},
		{"dhcpsrv", []want{{50, "R_DhcpSetSubnetInfoVQ"}}},
		{"dhcpsrv2", []want{{67, "R_DhcpGetMibInfoV6"}, {69, "R_DhcpGetServerBindingInfoV6"},
			{132, "R_DhcpV4GetClientInfoEx"}}},
		{"RemoteFW", []want{{44, "RRPC_FWGetGlobalConfig2_10"}, {67, "RRPC_FWEnumFirewallRules2_20"},
			{81, "RRPC_FWQueryFirewallRules2_26"}}},
		{"clusapi", []want{{80, "Opnum80NotUsedOnWire"}, {110, "ApiGetResourceDependencyExpression"},
			{139, "ApiGetNotifyV2"}, {147, "ApiGetNotifyAsync"}, {169, "ApiMoveGroupToGroupSet"},
			{184, "ApiChangeResourceGroupEx"}}},
		{"IVolumeClient", []want{{26, "Format"}, {81, "DeleteAccessPath"}}},
		{"IVolumeClient3", []want{{37, "GetMaxAdjustedFreeSpace"}, {78, "DeleteAccessPath"}}},
		{"ICertAdminD2", []want{{3, "SetExtension"}, {30, "RestoreGetDatabaseLocations"}, {48, "DeleteRow"}}},
		{"ICertRequestD2", []want{{3, "Request"}, {9, "Ping2"}}},
		{"IMSAdminBase3W", []want{{33, "R_GetServerGuid"}, {39, "EnumHistory"}, {40, "GetChildPaths"}}},
		{"IWamAdmin2", []want{{8, "AppRecover"}, {9, "AppCreate2"}}},
		{"ITpmVirtualSmartCardManager3", []want{{3, "CreateVirtualSmartCard"}, {6, "CreateVirtualSmartCardWithAttestation"}}},
		{"IADProxy2", []want{{5, "ModifyObject"}, {8, "ModifyObject"}}},
		{"efsrpc", []want{{0, "EfsRpcOpenFileRaw"}, {22, "EfsRpcQueryProtectors"}, {23, "Opnum23NotUsedOnWire"},
			{44, "Opnum44NotUsedOnWire"}}},
		{"trkwks", []want{{0, "Opnum0NotUsedOnWire"}, {11, "Opnum11NotUsedOnWire"}, {12, "LnkSearchMachine"}}},
		{"winspipe", []want{{17, "R_WinsGetBrowserNames"}, {21, "R_WinsDoScavengingNew"}}},
		{"nspi", []want{{14, "NspiModLinkAtt"}, {20, "NspiResolveNamesW"}}},
		{"dnsserver", []want{{18, "DnssrvEnumRecords4"}}},
		{"FrsTransport", []want{{17, "RdcFileDataTransferKeepAlive"}}},
		{"ITypeInfo", []want{{9, "GetImplTypeFlags"}, {12, "GetDocumentation"}, {18, "GetContainingTypeLib"}}},
	}
	for _, tt := range tests {
		u, ok := ByName(tt.iface)
		if !ok {
			t.Errorf("%s: unknown interface", tt.iface)
			continue
		}
		for _, w := range tt.ops {
			got, ok := Opnum(u, w.op)
			if !ok || got != w.name {
				t.Errorf("Opnum(%s, %d) = %q, %v; want %q", tt.iface, w.op, got, ok, w.name)
			}
		}
	}
	// Holes and ends.
	for _, tt := range []struct {
		iface string
		op    uint16
	}{
		{"epm", 9}, {"lsarpc", 95}, {"lsarpc", 131}, {"lsarpc", 134}, {"spoolss", 105},
		{"IDispatch", 0}, {"nddeapi", 17}, {"dhcpsrv2", 68}, {"clusapi", 111}, {"clusapi", 185},
		{"IObjectExporter", 6}, {"IObjectExporter", 0xffff}, {"srvsvc", 58},
	} {
		u, _ := ByName(tt.iface)
		if got, ok := Opnum(u, tt.op); ok || got != "" {
			t.Errorf("Opnum(%s, %d) = %q, %v; want unknown", tt.iface, tt.op, got, ok)
		}
	}
	if got, ok := Opnum(dissect.NilUUID, 0); ok || got != "" {
		t.Errorf("Opnum(nil, 0) = %q, %v", got, ok)
	}
	if _, ok := Opnum(mustUUID(t, "6bffd098-a112-3610-9833-46c3f87e345b"), 0); ok {
		t.Error("Opnum on a UUID one bit away from wkssvc found something")
	}
}

// TestOpnumAllValues walks every opnum of every interface: lookups of
// wire values never panic and agree with the table.
func TestOpnumAllValues(t *testing.T) {
	for i := range ifaceTable {
		row := &ifaceTable[i]
		named := 0
		for op := 0; op <= 0xffff; op++ {
			name, ok := Opnum(row.u, uint16(op))
			if ok != (name != "") {
				t.Fatalf("%s opnum %d: ok=%v name=%q", row.name, op, ok, name)
			}
			if op >= len(row.ops) && ok {
				t.Fatalf("%s opnum %d past the table is named %q", row.name, op, name)
			}
			if ok {
				named++
			}
		}
		if named != row.nnamed {
			t.Errorf("%s: %d named opnums, entry says %d", row.name, named, row.nnamed)
		}
	}
}

func TestAllSorted(t *testing.T) {
	prev := ""
	for e := range All() {
		if e.Name < prev {
			t.Errorf("All: %q after %q", e.Name, prev)
		}
		prev = e.Name
	}
	// Stopping early must be honoured.
	n := 0
	for range All() {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("early break: %d", n)
	}
}

func TestExtendCollision(t *testing.T) {
	saved := tableErrors
	defer func() { tableErrors = saved }()
	tableErrors = nil
	got := extend([]string{1: "A"}, []string{1: "B", 2: "C"})
	if len(got) != 3 || got[1] != "A" || got[2] != "C" || len(tableErrors) != 1 {
		t.Errorf("extend = %q, errors %q", got, tableErrors)
	}
	if got := notOnWire(9, 11); len(got) != 12 || got[8] != "" || got[10] != "Opnum10NotUsedOnWire" {
		t.Errorf("notOnWire = %q", got)
	}
}

var (
	sinkString string
	sinkBool   bool
	sinkEntry  Entry
	sinkUUID   dissect.UUID
)

func TestNoAllocs(t *testing.T) {
	epm := dissect.EPMv4
	unknown := mustUUID(t, "01234567-89ab-cdef-0123-456789abcdef")
	tests := []struct {
		name string
		fn   func()
	}{
		{"Interface", func() { sinkString, sinkBool = Interface(epm) }},
		{"Interface/unknown", func() { sinkString, sinkBool = Interface(unknown) }},
		{"Describe", func() { sinkEntry, sinkBool = Describe(epm) }},
		{"Opnum", func() { sinkString, sinkBool = Opnum(epm, 3) }},
		{"Opnum/out-of-range", func() { sinkString, sinkBool = Opnum(epm, 0xffff) }},
		{"Opnum/unknown", func() { sinkString, sinkBool = Opnum(unknown, 3) }},
		{"ByName", func() { sinkUUID, sinkBool = ByName("samr") }},
		{"Len", func() { sinkBool = Len() > 0 }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, n)
		}
	}
}
