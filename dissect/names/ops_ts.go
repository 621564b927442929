package names

// Operation tables for terminal services (MS-TSTS, MS-TSGU) and their
// licensing.

var winstationOps = []string{
	"RpcWinStationOpenServer",
	"RpcWinStationCloseServer",
	"RpcIcaServerPing",
	"RpcWinStationEnumerate",
	"RpcWinStationRename",
	"RpcWinStationQueryInformation",
	"RpcWinStationSetInformation",
	"RpcWinStationSendMessage",
	"RpcLogonIdFromWinStationName",
	"RpcWinStationNameFromLogonId",
	"RpcWinStationConnect",
	"RpcWinStationVirtualOpen",
	"RpcWinStationBeepOpen",
	"RpcWinStationDisconnect",
	"RpcWinStationReset",
	"RpcWinStationShutdownSystem",
	"RpcWinStationWaitSystemEvent",
	"RpcWinStationShadow",
	"RpcWinStationShadowTargetSetup",
	"RpcWinStationShadowTarget",
	"RpcWinStationGenerateLicense",
	"RpcWinStationInstallLicense",
	"RpcWinStationEnumerateLicenses",
	"RpcWinStationActivateLicense",
	"RpcWinStationRemoveLicense",
	"RpcWinStationQueryLicense",
	"RpcWinStationSetPoolCount",
	"RpcWinStationQueryUpdateRequired",
	"RpcWinStationCallback",
	"RpcWinStationGetApplicationInfo",
	"RpcWinStationReadRegistry",
	"RpcWinStationWaitForConnect",
	"RpcWinStationNotifyLogon",
	"RpcWinStationNotifyLogoff",
	"RpcWinStationEnumerateProcesses",
	"RpcWinStationAnnoyancePopup",
	"RpcWinStationEnumerateProcesses",
	"RpcWinStationTerminateProcess",
	"RpcServerNWLogonSetAdmin",
	"RpcServerNWLogonQueryAdmin",
	"RpcWinStationNtsdDebug",
	"RpcWinStationBreakPoint",
	"RpcWinStationCheckForApplicationName",
	"RpcWinStationGetAllProcesses",
	"RpcWinStationGetProcessSid",
	"RpcWinStationGetTermSrvCountersValue",
	"RpcWinStationReInitializeSecurity",
	"RpcWinStationBroadcastSystemMessage",
	"RpcWinStationSendWindowMessage",
	"RpcWinStationNotifyNewSession",
	"RpcServerGetInternetConnectorStatus",
	"RpcServerSetInternetConnectorStatus",
	"RpcServerQueryInetConnectorInformation",
	"RpcWinStationGetLanAdapterName",
	"RpcWinStationUpdateUserConfig",
	"RpcWinStationQueryLogonCredentials",
	"RpcWinStationRegisterConsoleNotification",
	"RpcWinStationUnRegisterConsoleNotification",
	"RpcWinStationUpdateSettings",
	"RpcWinStationShadowStop",
	"RpcWinStationCloseServerEx",
	"RpcWinStationIsHelpAssistantSession",
	"RpcWinStationGetMachinePolicy",
	"RpcWinStationUpdateClientCachedCredentials",
	"RpcWinStationFUSCanRemoteUserDisconnect",
	"RpcWinStationCheckLoopBack",
	"RpcConnectCallback",
	"RpcWinStationNotifyDisconnectPipe",
	"RpcWinStationSessionInitialized",
	"RpcRemoteAssistancePrepareSystemRestore",
	"RpcWinStationGetAllProcesses_NT6",
	"RpcWinStationRegisterNotificationEvent",
	"RpcWinStationUnRegisterNotificationEvent",
	"RpcWinStationAutoReconnect",
	"RpcWinStationCheckAccess",
	"RpcWinStationOpenSessionDirectory",
}

var termSrvSessionOps = []string{
	"RpcWaitForSessionState",
	"RpcRegisterAsyncNotification",
	"RpcWaitAsyncNotification",
	"RpcUnRegisterAsyncNotification",
}

var termServNotificationOps = termSrvSessionOps

var termServEnumerationOps = []string{
	"RpcOpenEnum",
	"RpcCloseEnum",
	"RpcFilterByState",
	"RpcFilterByCallersName",
	"RpcEnumAddFilter",
	"RpcGetEnumResult",
	"RpcFilterBySessionType",
	"Opnum7NotUsedOnWire",
	"RpcGetSessionIds",
	"RpcGetEnumResultEx",
	"RpcGetAllSessions",
	"RpcGetAllSessionsEx",
}

var rcmPublicOps = []string{
	"RpcGetClientData",
	"RpcGetConfigData",
	"RpcGetProtocolStatus",
	"RpcGetLastInputTime",
	"RpcGetRemoteAddress",
	"Opnum5NotUsedOnWire",
	"Opnum6NotUsedOnWire",
	"Opnum7NotUsedOnWire",
	"RpcGetAllListeners",
	"RpcGetSessionProtocolLastInputTime",
	"RpcGetUserCertificates",
	"RpcQuerySessionData",
}

var rcmListenerOps = []string{
	"RpcOpenListener",
	"RpcCloseListener",
	"RpcStopListener",
	"RpcStartListener",
	"RpcIsListening",
}

var tsvipPublicOps = []string{
	"RpcGetSessionIP",
}

var sessEnvPublicRpcOps = []string{
	"RpcShadow2",
}

var tsProxyOps = []string{
	"Opnum0NotUsedOnWire",
	"TsProxyCreateTunnel",
	"TsProxyAuthorizeTunnel",
	"TsProxyMakeTunnelCall",
	"TsProxyCreateChannel",
	"Opnum5NotUsedOnWire",
	"TsProxyCloseChannel",
	"TsProxyCloseTunnel",
	"TsProxySetupReceivePipe",
	"TsProxySendToServer",
}

var lcrpcOps = []string{
	"RpcLicensingOpenServer",
	"RpcLicensingCloseServer",
	"RpcLicensingLoadPolicy",
	"RpcLicensingUnloadPolicy",
	"RpcLicensingSetPolicy",
	"RpcLicensingGetAvailablePolicyIds",
	"RpcLicensingGetPolicy",
	"RpcLicensingGetPolicyInformation",
	"RpcLicensingDeactivateCurrentPolicy",
}
