package epm

import "github.com/rpcwatch/rpcwatch/dissect"

// Interface is the endpoint mapper's interface identifier,
// e1af8308-5d1f-11c9-91a4-08002b14a0fa version 3.0.
var Interface = dissect.SyntaxID{UUID: dissect.EPMv4, Major: 3, Minor: 0}

// Opnum is an operation number of the endpoint mapper interface.
type Opnum uint16

// Endpoint mapper operations (C706 Appendix O). Opnum 7 is a Windows
// addition (Samba's epmapper.idl lists it as epm_MapAuth).
const (
	OpInsert           Opnum = 0 // ept_insert
	OpDelete           Opnum = 1 // ept_delete
	OpLookup           Opnum = 2 // ept_lookup
	OpMap              Opnum = 3 // ept_map
	OpLookupHandleFree Opnum = 4 // ept_lookup_handle_free
	OpInqObject        Opnum = 5 // ept_inq_object
	OpMgmtDelete       Opnum = 6 // ept_mgmt_delete
	OpMapAuth          Opnum = 7 // ept_map_auth (Windows)
)

var opNames = [...]string{
	OpInsert:           "ept_insert",
	OpDelete:           "ept_delete",
	OpLookup:           "ept_lookup",
	OpMap:              "ept_map",
	OpLookupHandleFree: "ept_lookup_handle_free",
	OpInqObject:        "ept_inq_object",
	OpMgmtDelete:       "ept_mgmt_delete",
	OpMapAuth:          "ept_map_auth",
}

// String returns the operation's IDL name, or "opnum-N".
func (o Opnum) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "opnum-" + string(dissect.AppendUint(nil, uint64(o)))
}

// InquiryType is ept_lookup's inquiry_type: which entries to return.
type InquiryType uint32

// Inquiry types (C706 rpc_c_ep_*).
const (
	InquiryAll         InquiryType = 0 // rpc_c_ep_all_elts
	InquiryMatchByIf   InquiryType = 1 // rpc_c_ep_match_by_if
	InquiryMatchByObj  InquiryType = 2 // rpc_c_ep_match_by_obj
	InquiryMatchByBoth InquiryType = 3 // rpc_c_ep_match_by_both
)

var inquiryNames = [...]string{"rpc_c_ep_all_elts", "rpc_c_ep_match_by_if", "rpc_c_ep_match_by_obj", "rpc_c_ep_match_by_both"}

// String returns the C706 constant name.
func (q InquiryType) String() string {
	if int(q) < len(inquiryNames) {
		return inquiryNames[q]
	}
	return "inquiry-" + string(dissect.AppendUint(nil, uint64(q)))
}

// VersOption is ept_lookup's vers_option: how the interface version must
// match.
type VersOption uint32

// Version options (C706 rpc_c_vers_*).
const (
	VersAll        VersOption = 1 // rpc_c_vers_all
	VersCompatible VersOption = 2 // rpc_c_vers_compatible
	VersExact      VersOption = 3 // rpc_c_vers_exact
	VersMajorOnly  VersOption = 4 // rpc_c_vers_major_only
	VersUpto       VersOption = 5 // rpc_c_vers_upto
)

var versNames = [...]string{"", "rpc_c_vers_all", "rpc_c_vers_compatible", "rpc_c_vers_exact", "rpc_c_vers_major_only", "rpc_c_vers_upto"}

// String returns the C706 constant name.
func (v VersOption) String() string {
	if v >= 1 && int(v) < len(versNames) {
		return versNames[v]
	}
	return "vers-" + string(dissect.AppendUint(nil, uint64(v)))
}

// Status is the error_status_t an endpoint mapper operation returns.
type Status uint32

// Endpoint mapper status codes (DCE ept_s_*, 0x16c9a0cd..0x16c9a0d7).
// Windows servers return these DCE values on the wire too; Samba answers
// ept_s_not_registered at the end of a lookup, with entries.
const (
	StatusOK                  Status = 0
	StatusCantPerformOp       Status = 0x16c9a0cd // ept_s_cant_perform_op
	StatusNoMemory            Status = 0x16c9a0ce // ept_s_no_memory
	StatusDatabaseInvalid     Status = 0x16c9a0cf // ept_s_database_invalid
	StatusCantCreate          Status = 0x16c9a0d0 // ept_s_cant_create
	StatusCantAccess          Status = 0x16c9a0d1 // ept_s_cant_access
	StatusDatabaseAlreadyOpen Status = 0x16c9a0d2 // ept_s_database_already_open
	StatusInvalidEntry        Status = 0x16c9a0d3 // ept_s_invalid_entry
	StatusUpdateFailed        Status = 0x16c9a0d4 // ept_s_update_failed
	StatusInvalidContext      Status = 0x16c9a0d5 // ept_s_invalid_context
	StatusNotRegistered       Status = 0x16c9a0d6 // ept_s_not_registered
	StatusServerUnavailable   Status = 0x16c9a0d7 // ept_s_server_unavailable
)

var statusNames = [...]string{
	"ept_s_cant_perform_op", "ept_s_no_memory", "ept_s_database_invalid", "ept_s_cant_create",
	"ept_s_cant_access", "ept_s_database_already_open", "ept_s_invalid_entry", "ept_s_update_failed",
	"ept_s_invalid_context", "ept_s_not_registered", "ept_s_server_unavailable",
}

// String returns the status's DCE name, "ok", or the hex value.
func (s Status) String() string {
	if s == StatusOK {
		return "ok"
	}
	if s >= StatusCantPerformOp && s <= StatusServerUnavailable {
		return statusNames[s-StatusCantPerformOp]
	}
	return string(dissect.AppendHex32(nil, uint32(s)))
}
