package names

// Operation tables for DCOM (MS-DCOM), OLE automation (MS-OAUT), .NET
// interop (MS-IOI) and WMI (MS-WMI).
//
// Opnums 0-2 of an ORPC interface belong to IUnknown and never travel on
// the wire; MS-DCOM names them Opnum0NotUsedOnWire..Opnum2NotUsedOnWire.
// Zeek names them QueryInterface/AddRef/Release (IRemUnknown2) and
// QueryInterfaceIRemoteSCMActivator/... (IRemoteSCMActivator); this table
// follows MS-DCOM, because seeing one of them in a capture is itself worth
// flagging.

var iunknownOps = []string{
	"Opnum0NotUsedOnWire",
	"Opnum1NotUsedOnWire",
	"Opnum2NotUsedOnWire",
}

var objectExporterOps = []string{
	"ResolveOxid",
	"SimplePing",
	"ComplexPing",
	"ServerAlive",
	"ResolveOxid2",
	"ServerAlive2",
}

var systemActivatorOps = []string{
	"Opnum0NotUsedOnWire",
	"Opnum1NotUsedOnWire",
	"Opnum2NotUsedOnWire",
	"RemoteGetClassObject",
	"RemoteCreateInstance",
}

var remoteActivationOps = []string{
	"RemoteActivation",
}

var remUnknownOps = []string{
	"Opnum0NotUsedOnWire",
	"Opnum1NotUsedOnWire",
	"Opnum2NotUsedOnWire",
	"RemQueryInterface",
	"RemAddRef",
	"RemRelease",
}

var remUnknown2Ops = []string{
	"Opnum0NotUsedOnWire",
	"Opnum1NotUsedOnWire",
	"Opnum2NotUsedOnWire",
	"RemQueryInterface",
	"RemAddRef",
	"RemRelease",
	"RemQueryInterface2",
}

var idispatchOps = []string{
	3: "GetTypeInfoCount",
	"GetTypeInfo",
	"GetIDsOfNames",
	"Invoke",
}

var itypeInfoOps = []string{
	3: "GetTypeAttr",
	"GetTypeComp",
	"GetFuncDesc",
	"GetVarDesc",
	"GetNames",
	"GetRefTypeOfImplType",
	"GetImplTypeFlags",
	12: "GetDocumentation",
	"GetDllEntry",
	"GetRefTypeInfo",
	16: "CreateInstance",
	"GetMops",
	"GetContainingTypeLib",
}

// managedObjectOps: MS-IOI spells opnum 4 GetObjectIdentity (Suricata has
// GetObjectIdentify).
var managedObjectOps = []string{
	3: "GetSerializedBuffer",
	"GetObjectIdentity",
}

var servicedComponentInfoOps = []string{
	3: "GetComponentInfo",
}

var remoteDispatchOps = []string{
	7: "RemoteDispatchAutoDone",
	"RemoteDispatchNotAutoDone",
}

var wbemLevel1LoginOps = []string{
	3: "EstablishPosition",
	"RequestChallenge",
	"WBEMLogin",
	"NTLMLogin",
}

// wbemServicesOps: Zeek and Suricata repeat DeleteClass/DeleteClassAsync at
// opnums 16 and 17; MS-WMI 3.1.4.3 has DeleteInstance/DeleteInstanceAsync
// there, which this table uses.
var wbemServicesOps = []string{
	3: "OpenNamespace",
	"CancelAsyncCall",
	"QueryObjectSink",
	"GetObject",
	"GetObjectAsync",
	"PutClass",
	"PutClassAsync",
	"DeleteClass",
	"DeleteClassAsync",
	"CreateClassEnum",
	"CreateClassEnumAsync",
	"PutInstance",
	"PutInstanceAsync",
	"DeleteInstance",
	"DeleteInstanceAsync",
	"CreateInstanceEnum",
	"CreateInstanceEnumAsync",
	"ExecQuery",
	"ExecQueryAsync",
	"ExecNotificationQuery",
	"ExecNotificationQueryAsync",
	"ExecMethod",
	"ExecMethodAsync",
}

var enumWbemClassObjectOps = []string{
	3: "Reset",
	"Next",
	"NextAsync",
	"Clone",
	"Skip",
}
