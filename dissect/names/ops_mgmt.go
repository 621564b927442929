package names

// Operation tables for audio, license logging, Exchange, system resource
// management, IIS administration and TPM virtual smart cards.

var audioSrvOps = []string{
	"gfxCreateZoneFactoriesList",
	"gfxCreateGfxFactoriesList",
	"gfxCreateGfxList",
	"gfxRemoveGfx",
	"gfxAddGfx",
	"gfxModifyGx",
	"gfxOpenGfx",
	"gfxLogon",
	"gfxLogoff",
	"winmmRegisterSessionNotificationEvent",
	"winmmUnregisterSessionNotification",
	"winmmSessionConnectState",
	"wdmDriverOpenDrvRegKey",
	"winmmAdvisePreferredDeviceChange",
	"winmmGetPnpInfo",
}

// audioRpcOps: as Zeek and Suricata list them, repeated names included.
var audioRpcOps = []string{
	"AudioServerConnect",
	"AudioServerDisconnect",
	"AudioServerInitialize",
	"AudioServerGetAudioSession",
	"AudioServerCreateStream",
	"AudioServerDestroyStream",
	"AudioServerGetStreamLatency",
	"AudioServerGetMixFormat",
	"AudioServerIsFormatSupported",
	"AudioServerGetDevicePeriod",
	"AudioVolumeGetMasterVolumeLevelScalar",
	"AudioSessionGetProcessId",
	"AudioSessionGetState",
	"AudioSessionGetLastActivation",
	"AudioSessionGetLastInactivation",
	"AudioSessionIsSystemSoundsSession",
	"AudioSessionGetDisplayName",
	"AudioSessionSetDisplayName",
	"AudioSessionGetSessionClass",
	"AudioSessionSetSessionClass",
	"AudioSessionGetVolume",
	"AudioSessionSetVolume",
	"AudioSessionGetMute",
	"AudioSessionSetMute",
	"AudioSessionGetChannelCount",
	"AudioSessionSetChannelVolume",
	"AudioSessionGetChannelVolume",
	"AudioSessionSetAllVolumes",
	"AudioSessionGetAllVolumes",
	"AudioServerDisconnect",
	"AudioServerGetMixFormat",
	"PolicyConfigGetDeviceFormat",
	"PolicyConfigSetDeviceFormat",
	"AudioServerGetDevicePeriod",
	"PolicyConfigSetProcessingPeriod",
	"PolicyConfigGetShareMode",
	"PolicyConfigSetShareMode",
	"GetAudioSessionManager",
	"AudioSessionManagerDestroy",
	"AudioSessionManagerGetAudioSession",
	"AudioSessionManagerGetCurrentSession",
	"AudioSessionManagerGetExistingSession",
	"AudioSessionManagerAddAudioSessionClientNotification",
	"AudioSessionManagerDeleteAudioSessionClientNotification",
	"AudioSessionManagerAddAudioSessionClientNotification",
	"AudioVolumeConnect",
	"AudioVolumeDisconnect",
	"AudioVolumeGetChannelCount",
	"AudioVolumeSetMasterVolumeLevel",
	"AudioVolumeSetMasterVolumeLevelScalar",
	"AudioVolumeGetMasterVolumeLevel",
	"AudioVolumeGetMasterVolumeLevelScalar",
	"AudioVolumeSetChannelVolumeLevel",
	"AudioVolumeSetChannelVolumeLevelScalar",
	"AudioVolumeGetChannelVolumeLevel",
	"AudioVolumeGetChannelVolumeLevelScalar",
	"AudioVolumeSetMute",
	"AudioSessionGetDisplayName",
	"AudioVolumeAddMasterVolumeNotification",
	"AudioVolumeDeleteMasterVolumeNotification",
	"AudioMeterGetAverageRMS",
	"AudioMeterGetChannelsRMS",
	"AudioMeterGetPeakValue",
	"AudioMeterGetChannelsPeakValues",
	"AudioVolumeGetStepInfo",
	"AudioVolumeStepUp",
	"AudioVolumeStepDown",
}

var llsLicenseOps = []string{
	"LlsrLicenseRequestW",
	"LlsrLicenseFree",
}

var llsrpcOps = []string{
	"LlsrConnect",
	"LlsrClose",
	"LlsrLicenseEnumW",
	"LlsrLicenseEnumA",
	"LlsrLicenseAddW",
	"LlsrLicenseAddA",
	"LlsrProductEnumW",
	"LlsrProductEnumA",
	"LlsrProductAddW",
	"LlsrProductAddA",
	"LlsrProductUserEnumW",
	"LlsrProductUserEnumA",
	"LlsrProductServerEnumW",
	"LlsrProductServerEnumA",
	"LlsrProductLicenseEnumW",
	"LlsrProductLicenseEnumA",
	"LlsrUserEnumW",
	"LlsrUserEnumA",
	"LlsrUserInfoGetW",
	"LlsrUserInfoGetA",
	"LlsrUserInfoSetW",
	"LlsrUserInfoSetA",
	"LlsrUserDeleteW",
	"LlsrUserDeleteA",
	"LlsrUserProductEnumW",
	"LlsrUserProductEnumA",
	"LlsrUserProductDeleteW",
	"LlsrUserProductDeleteA",
	"LlsrMappingEnumW",
	"LlsrMappingEnumA",
	"LlsrMappingInfoGetW",
	"LlsrMappingInfoGetA",
	"LlsrMappingInfoSetW",
	"LlsrMappingInfoSetA",
	"LlsrMappingUserEnumW",
	"LlsrMappingUserEnumA",
	"LlsrMappingUserAddW",
	"LlsrMappingUserAddA",
	"LlsrMappingUserDeleteW",
	"LlsrMappingUserDeleteA",
	"LlsrMappingAddW",
	"LlsrMappingAddA",
	"LlsrMappingDeleteW",
	"LlsrMappingDeleteA",
	"LlsrServerEnumW",
	"LlsrServerEnumA",
	"LlsrServerProductEnumW",
	"LlsrServerProductEnumA",
	"LlsrLocalProductEnumW",
	"LlsrLocalProductEnumA",
	"LlsrLocalProductInfoGetW",
	"LlsrLocalProductInfoGetA",
	"LlsrLocalProductInfoSetW",
	"LlsrLocalProductInfoSetA",
	"LlsrServiceInfoGetW",
	"LlsrServiceInfoGetA",
	"LlsrServiceInfoSetW",
	"LlsrServiceInfoSetA",
	"LlsrReplConnect",
	"LlsrReplClose",
	"LlsrReplicationRequestW",
	"LlsrReplicationServerAddW",
	"LlsrReplicationServerServiceAddW",
	"LlsrReplicationServiceAddW",
	"LlsrReplicationUserAddW",
	"LlsrProductSecurityGetW",
	"LlsrProductSecurityGetA",
	"LlsrProductSecuritySetW",
	"LlsrProductSecuritySetA",
	"LlsrProductLicensesGetA",
	"LlsrProductLicensesGetW",
	"LlsrCertificateClaimEnumA",
	"LlsrCertificateClaimEnumW",
	"LlsrCertificateClaimAddCheckA",
	"LlsrCertificateClaimAddCheckW",
	"LlsrCertificateClaimAddA",
	"LlsrCertificateClaimAddW",
	"LlsrReplicationCertDbAddW",
	"LlsrReplicationProductSecurityAddW",
	"LlsrReplicationUserAddExW",
	"LlsrCapabilityGet",
	"LlsrLocalServiceEnumW",
	"LlsrLocalServiceEnumA",
	"LlsrLocalServiceAddA",
	"LlsrLocalServiceAddW",
	"LlsrLocalServiceInfoSetW",
	"LlsrLocalServiceInfoSetA",
	"LlsrLocalServiceInfoGetW",
	"LlsrLocalServiceInfoGetA",
	"LlsrCloseEx",
}

var exchangeMapiOps = []string{
	"EcDoConnect",
	"EcDoDisconnect",
	"EcDoRpc",
	"EcGetMoreRpc",
	"EcRRegisterPushNotification",
	"EcRUnregisterPushNotification",
	"EcDummyRpc",
	"EcRGetDCName",
	"EcRNetGetDCName",
	"EcDoRpcExt",
	"EcDoConnectEx",
	"EcDoRpcExt2",
	"EcUnknown0xC",
	"EcUnknown0xD",
	"EcDoAsyncConnectEx",
}

// nspiOps: Zeek lists 0-9; Suricata adds 10-20 (15 unnamed).
var nspiOps = []string{
	"NspiBind",
	"NspiUnbind",
	"NspiUpdateStat",
	"NspiQueryRows",
	"NspiSeekEntries",
	"NspiGetMatches",
	"NspiResortRestriction",
	"NspiDNToEph",
	"NspiGetPropList",
	"NspiGetProps",
	"NspiCompareMIds",
	"NspiModProps",
	"NspiGetSpecialTable",
	"NspiGetTemplateInfo",
	"NspiModLinkAtt",
	16: "NspiQueryColumns",
	"NspiGetNamesFromIDs",
	"NspiGetIDsFromNames",
	"NspiResolveNames",
	"NspiResolveNamesW",
}

// resourceManagerOps: MS-WSRM spells opnum 14 GetIISAppPoolNames
// (Suricata: GetllSAppPoolNames).
var resourceManagerOps = []string{
	7: "RetrieveEventList",
	"GetSystemAffinity",
	"ImportXMLFiles",
	"ExportXMLFiles",
	"RestoreXMLFiles",
	"GetDependencies",
	"GetServiceList",
	"GetIISAppPoolNames",
	"GetServerName",
	"GetCurrentMemory",
}

var resourceManager2Ops = []string{
	7: "ExportObjects",
	"GetImportConflicts",
	"ImportXml",
	"ExportXml",
}

var wrmConfigOps = []string{
	7: "GetConfig",
	"SetConfig",
	"IsEnabled",
	"EnableDisable",
	"GetExclusionList",
	"SetExclusionList",
	"WSRMActivate",
	"IsWSRMActivated",
	"RestoreExclusionList",
}

var wrmAccountingOps = []string{
	7: "CreateAccountingDb",
	"GetAccountingMetadata",
	"ExecuteAccountingQuery",
	"GetRawAccountingData",
	"GetNextAccountingDataBatch",
	"DeleteAccountingData",
	"DefragmentDB",
	"CancelAccountingQuery",
	"RegisterAccountingClient",
	"DumpAccountingData",
	"GetAccountingClients",
	"SetAccountingClientStatus",
	"CheckAccountingConnection",
	"SetClientPermissions",
}

var wrmCalendarOps = []string{
	7: "GetCalendarInfo",
	"CreateCalendar",
	"ModifyCalendar",
	"DeleteCalendar",
	"RenameCalendar",
	"ComputeEvents",
	"GetScheduleInfo",
	"CreateSchedule",
	"ModifySchedule",
	"DeleteSchedule",
	"RenameSchedule",
	"MoveBeforeCalendar",
	"MoveAfterCalendar",
	"GetServerTimeZone",
}

var wrmMachineGroupOps = []string{
	7: "CreateMachineGroup",
	"GetMachineGroupInfo",
	"ModifyMachineGroup",
	"DeleteMachineGroup",
	"RenameMachineGroup",
	"AddMachine",
	"GetMachineInfo",
	"ModifyMachineInfo",
	"DeleteMachine",
}

var wrmPolicyOps = []string{
	7: "GetPolicyInfo",
	"CreatePolicy",
	"ModifyPolicy",
	"DeletePolicy",
	"RenameAllocationPolicy",
	"MoveBefore",
	"MoveAfter",
	"SetCalDefaultPolicyName",
	"GetCalDefaultPolicyName",
	"GetProcessList",
	"GetCurrentPolicy",
	"SetCurrentPolicy",
	"GetCurrentStateAndActivePolicyName",
	"GetConditionalPolicy",
	"SetConditionalPolicy",
}

var wrmProtocolOps = []string{
	7: "GetSupportedClient",
}

var wrmRemoteSessionMgmtOps = []string{
	7: "GetRemoteUserCategories",
	"SetRemoteUserCategories",
	"RefreshRemoteSessionWeights",
}

var wrmResourceGroupOps = []string{
	7: "GetResourceGroupInfo",
	"ModifyResourceGroup",
	"CreateResourceGroup",
	"DeleteResourceGroup",
	"RenameResourceGroup",
}

// msAdminBaseWOps: MS-IMSA spellings for opnums 5 and 11 (Suricata:
// DeleteChildKEys, DeleteDate).
var msAdminBaseWOps = []string{
	3: "AddKey",
	"DeleteKey",
	"DeleteChildKeys",
	"EnumKeys",
	"CopyKey",
	"RenameKey",
	"R_SetData",
	"R_GetData",
	"DeleteData",
	"R_EnumData",
	"R_GetAllData",
	"DeleteAllData",
	"CopyData",
	"GetDataPaths",
	"OpenKey",
	"CloseKey",
	"ChangePermissions",
	"SaveData",
	"GetHandleInfo",
	"GetSystemChangeNumber",
	"GetDataSetNumber",
	"SetLastChangeTime",
	"GetLastChangeTime",
	"R_KeyExchangePhase1",
	"R_KeyExchangePhase2",
	"Backup",
	"Restore",
	"EnumBackups",
	"DeleteBackup",
	"UnmarshalInterface",
	"R_GetServerGuid",
}

// The IIS admin interfaces derive from one another, so each inherits the
// opnums of its base; Suricata lists only the new ones.
var msAdminBase2WOps = extend(msAdminBaseWOps, []string{
	34: "BackupWithPasswd",
	"RestoreWithPasswd",
	"Export",
	"Import",
	"RestoreHistory",
	"EnumHistory",
})

var msAdminBase3WOps = extend(msAdminBase2WOps, []string{
	40: "GetChildPaths",
})

var wamAdminOps = []string{
	3: "AppCreate",
	"AppDelete",
	"AppUnLoad",
	"AppGetStatus",
	"AppDeleteRecoverable",
	"AppRecover",
}

var wamAdmin2Ops = extend(wamAdminOps, []string{
	9: "AppCreate2",
})

var iisApplicationAdminOps = []string{
	3: "CreateApplication",
	"DeleteApplication",
	"CreateApplicationPool",
	"DeleteApplicationPool",
	"EnumerateApplicationsInPool",
	"RecycleApplicationPool",
	"GetProcessMode",
}

var iisCertObjOps = []string{
	7: "Opnum7NotUsedOnWire",
	"Opnum8NotUsedOnWire",
	"Opnum9NotUsedOnWire",
	"InstanceName",
	"Opnum11NotUsedOnWire",
	"IsInstallRemote",
	"Opnum13NotUsedOnWire",
	"IsExportableRemote",
	"Opnum15NotUsedOnWire",
	"GetCertInfoRemote",
	"Opnum17NotUsedOnWire",
	"Opnum18NotUsedOnWire",
	"Opnum19NotUsedOnWire",
	"Opnum20NotUsedOnWire",
	"Opnum21NotUsedOnWire",
	"ImportFromBlob",
	"ImportFromBlobGetHash",
	"Opnum24NotUsedOnWire",
	"ExportToBlob",
}

var iisServiceControlOps = []string{
	7: "Stop",
	"Start",
	"Reboot",
	"Status",
	"Kill",
}

// inetinfoOps: MS-IRP spells opnum 2 R_InetInfoGetSites (Suricata:
// R_InsetInfoGetSites).
var inetinfoOps = []string{
	"R_InetInfoGetVersion",
	"R_InetInfoGetAdminInformation",
	"R_InetInfoGetSites",
	"R_InetInfoSetAdminInformation",
	"R_InetInfoGetGlobalAdminInformation",
	"R_InetInfoSetGlobalAdminInformation",
	"R_InetInfoQueryStatistics",
	"R_InetInfoClearStatistics",
	"R_InetInfoFlushMemoryCache",
	"R_InetInfoGetServerCapabilities",
	"R_W3QueryStatistics2",
	"R_W3ClearStatistics2",
	"R_FtpQueryStatistics2",
	"R_FtpClearStatistics2",
	"R_IISEnumerateUsers",
	"R_IISDisconnectUser",
	"Opnum16NotUsedOnWire",
	"Opnum17NotUsedOnWire",
}

var tpmVscManagerOps = []string{
	3: "CreateVirtualSmartCard",
	"DestroyVirtualSmartCard",
}

var tpmVscManager2Ops = extend(tpmVscManagerOps, []string{
	5: "CreateVirtualSmartCardWithPinPolicy",
})

var tpmVscManager3Ops = extend(tpmVscManager2Ops, []string{
	6: "CreateVirtualSmartCardWithAttestation",
})

var tpmVscStatusCallbackOps = []string{
	3: "ReportProgress",
	"ReportError",
}
