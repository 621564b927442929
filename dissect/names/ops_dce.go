package names

// Operation tables for the DCE runtime interfaces and PROFINET. Each slice
// is indexed by opnum; keyed elements leave unknown opnums empty.

// epmOps: C706 appendix O opnums 0-6; 7 and 8 are Windows additions seen in
// Zeek's and Suricata's tables.
var epmOps = []string{
	"ept_insert",
	"ept_delete",
	"ept_lookup",
	"ept_map",
	"ept_lookup_handle_free",
	"ept_inq_object",
	"ept_mgmt_delete",
	"ept_map_auth",
	"ept_map_auth_async",
}

// mgmtOps: the remote management interface (C706 chapter 2, MS-RPCE 3.1.1.5).
var mgmtOps = []string{
	"inq_if_ids",
	"inq_stats",
	"is_server_listening",
	"stop_server_listening",
	"inq_princ_name",
}

// convOps: the callbacks a connectionless server makes to learn a client's
// sequence number and credentials.
var convOps = []string{
	"conv_who_are_you",
	"conv_who_are_you2",
	"conv_are_you_there",
	"conv_who_are_you_auth",
	"conv_who_are_you_auth_more",
}

var locatorOps = []string{
	"I_nsi_lookup_begin",
	"I_nsi_lookup_done",
	"I_nsi_lookup_next",
	"I_nsi_entry_object_inq_next",
	"I_nsi_ping_locator",
	"I_nsi_entry_object_inq_done",
	"I_nsi_entry_object_inq_begin",
}

var nsiSOps = []string{
	"nsi_binding_export",
	"nsi_binding_unexport",
}

var nsiCOps = []string{
	"nsi_binding_lookup_begin",
	"nsi_binding_lookup_done",
	"nsi_binding_lookup_next",
	"nsi_mgmt_handle_set_exp_age",
}

var nsiMOps = []string{
	"nsi_group_delete",
	"nsi_group_mbr_add",
	"nsi_group_mbr_remove",
	"nsi_group_mbr_inq_begin",
	"nsi_group_mbr_inq_next",
	"nsi_group_mbr_inq_done",
	"nsi_profile_delete",
	"nsi_profile_elt_add",
	"nsi_profile_elt_remove",
	"nsi_profile_elt_inq_begin",
	"nsi_profile_elt_inq_next",
	"nsi_profile_elt_inq_done",
	"nsi_entry_object_inq_begin",
	"nsi_entry_object_inq_next",
	"nsi_entry_object_inq_done",
	"nsi_entry_expand_name",
	"nsi_mgmt_binding_unexport",
	"nsi_mgmt_entry_delete",
	"nsi_mgmt_entry_create",
	"nsi_mgmt_entry_inq_if_ids",
	"nsi_mgmt_inq_exp_age",
	"nsi_mgmt_inq_set_age",
}

// pnioOps is shared by the four PROFINET IO context manager interfaces.
var pnioOps = []string{
	"Connect",
	"Release",
	"Read",
	"Write",
	"Control",
	"ReadImplicit",
}
