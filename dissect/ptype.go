package dissect

// PType is the PDU type carried in byte 2 (CO) or byte 1 (CL) of a DCE/RPC
// header. Connectionless (v4) PDUs use 0..10, connection-oriented (v5) PDUs
// use 0, 2, 3 and 11..19; 20 is the RPC-over-HTTP RTS PDU of MS-RPCH.
type PType uint8

// PDU types from C706 chapter 12 (and MS-RPCE/MS-RPCH extensions).
const (
	PTypeRequest          PType = 0  // CO and CL
	PTypePing             PType = 1  // CL
	PTypeResponse         PType = 2  // CO and CL
	PTypeFault            PType = 3  // CO and CL
	PTypeWorking          PType = 4  // CL
	PTypeNocall           PType = 5  // CL
	PTypeReject           PType = 6  // CL
	PTypeAck              PType = 7  // CL
	PTypeCLCancel         PType = 8  // CL
	PTypeFack             PType = 9  // CL
	PTypeCancelAck        PType = 10 // CL
	PTypeBind             PType = 11 // CO
	PTypeBindAck          PType = 12 // CO
	PTypeBindNak          PType = 13 // CO
	PTypeAlterContext     PType = 14 // CO
	PTypeAlterContextResp PType = 15 // CO
	PTypeAuth3            PType = 16 // CO (MS-RPCE: third leg of a three-leg bind)
	PTypeShutdown         PType = 17 // CO
	PTypeCOCancel         PType = 18 // CO
	PTypeOrphaned         PType = 19 // CO
	PTypeRTS              PType = 20 // CO over RPC-over-HTTP only (MS-RPCH)
	ptypeCount            PType = 21
)

var ptypeNames = [ptypeCount]string{
	PTypeRequest:          "request",
	PTypePing:             "ping",
	PTypeResponse:         "response",
	PTypeFault:            "fault",
	PTypeWorking:          "working",
	PTypeNocall:           "nocall",
	PTypeReject:           "reject",
	PTypeAck:              "ack",
	PTypeCLCancel:         "cl_cancel",
	PTypeFack:             "fack",
	PTypeCancelAck:        "cancel_ack",
	PTypeBind:             "bind",
	PTypeBindAck:          "bind_ack",
	PTypeBindNak:          "bind_nak",
	PTypeAlterContext:     "alter_context",
	PTypeAlterContextResp: "alter_context_resp",
	PTypeAuth3:            "auth3",
	PTypeShutdown:         "shutdown",
	PTypeCOCancel:         "co_cancel",
	PTypeOrphaned:         "orphaned",
	PTypeRTS:              "rts",
}

// String returns the C706 name of the type ("bind_ack"), or "ptype-N" for a
// value no specification defines.
func (t PType) String() string {
	if t < ptypeCount {
		return ptypeNames[t]
	}
	return "ptype-" + string(AppendUint(nil, uint64(t)))
}

// IsCO reports whether t is a connection-oriented (v5) PDU type.
func (t PType) IsCO() bool {
	switch t {
	case PTypeRequest, PTypeResponse, PTypeFault:
		return true
	}
	return t >= PTypeBind && t <= PTypeRTS
}

// IsCL reports whether t is a connectionless (v4) PDU type.
func (t PType) IsCL() bool { return t <= PTypeCancelAck }
