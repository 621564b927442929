package dcetest

import "github.com/rpcwatch/rpcwatch/dissect"

// Auth describes a verifier to append to a connection-oriented PDU: PadLen
// zero bytes after the body (declared in auth_pad_length), the 8-byte
// sec_trailer, then Value (its length becomes auth_length).
type Auth struct {
	Type      dissect.AuthType
	Level     dissect.AuthLevel
	PadLen    uint8
	ContextID uint32
	Value     []byte
}

// CO is the header of a connection-oriented fixture PDU. Build fills in
// rpc_vers 5, the drep for LE, frag_length and auth_length.
type CO struct {
	LE     bool
	Minor  uint8
	Type   dissect.PType
	Flags  dissect.PFCFlags
	CallID uint32
	Auth   *Auth
}

// Build returns the PDU: the header, the body body writes (alignment in the
// encoder counts from the first header byte, as on the wire), then the
// verifier if h.Auth is set.
func (h CO) Build(body func(e *Enc)) []byte {
	e := New(h.LE)
	d := e.Drep()
	e.U8(5).U8(h.Minor).U8(uint8(h.Type)).U8(uint8(h.Flags)).Bytes(d[:])
	e.U16(0).U16(0).U32(h.CallID)
	if body != nil {
		body(e)
	}
	if a := h.Auth; a != nil {
		e.Zero(int(a.PadLen))
		e.U8(uint8(a.Type)).U8(uint8(a.Level)).U8(a.PadLen).U8(0).U32(a.ContextID)
		e.Bytes(a.Value)
		e.PutU16At(10, uint16(len(a.Value)))
	}
	e.PutU16At(8, uint16(len(e.B)))
	return e.B
}

// PutFragLen overwrites frag_length of a CO PDU (for hostile fixtures).
func PutFragLen(b []byte, le bool, v uint16) { (&Enc{B: b, LE: le}).PutU16At(8, v) }

// PutAuthLen overwrites auth_length of a CO PDU.
func PutAuthLen(b []byte, le bool, v uint16) { (&Enc{B: b, LE: le}).PutU16At(10, v) }

// Syntax appends a p_syntax_id_t: the UUID and a 32-bit version whose low
// 16 bits are the major version.
func (e *Enc) Syntax(s dissect.SyntaxID) *Enc {
	return e.UUID(s.UUID).U32(uint32(s.Minor)<<16 | uint32(s.Major))
}

// CORequest builds a request. A non-nil object adds PFC_OBJECT_UUID and the
// object UUID.
func CORequest(le bool, callID uint32, ctx, opnum uint16, object *dissect.UUID, flags dissect.PFCFlags, stub []byte, auth *Auth) []byte {
	if object != nil {
		flags |= dissect.PFCObjectUUID
	}
	h := CO{LE: le, Type: dissect.PTypeRequest, Flags: flags, CallID: callID, Auth: auth}
	return h.Build(func(e *Enc) {
		e.U32(uint32(len(stub))).U16(ctx).U16(opnum)
		if object != nil {
			e.UUID(*object)
		}
		e.Bytes(stub)
	})
}

// COResponse builds a response with alloc_hint = len(stub).
func COResponse(le bool, callID uint32, ctx uint16, flags dissect.PFCFlags, stub []byte, auth *Auth) []byte {
	h := CO{LE: le, Type: dissect.PTypeResponse, Flags: flags, CallID: callID, Auth: auth}
	return h.Build(func(e *Enc) {
		e.U32(uint32(len(stub))).U16(ctx).U8(0).U8(0).Bytes(stub)
	})
}

// COFault builds a fault (first and last fragment) with the given status
// and optional stub.
func COFault(le bool, callID uint32, ctx uint16, status uint32, stub []byte) []byte {
	h := CO{LE: le, Type: dissect.PTypeFault, Flags: dissect.PFCFirstFrag | dissect.PFCLastFrag, CallID: callID}
	return h.Build(func(e *Enc) {
		e.U32(uint32(32 + len(stub))).U16(ctx).U8(0).U8(0).U32(status).U32(0).Bytes(stub)
	})
}

// Ctx is one presentation context of a bind or alter_context.
type Ctx struct {
	ID       uint16
	Abstract dissect.SyntaxID
	Transfer []dissect.SyntaxID
}

// Bind is the body of a bind or alter_context.
type Bind struct {
	MaxXmit, MaxRecv uint16
	AssocGroup       uint32
	Contexts         []Ctx
}

func (b Bind) encode(e *Enc) {
	e.U16(b.MaxXmit).U16(b.MaxRecv).U32(b.AssocGroup)
	e.U8(uint8(len(b.Contexts))).U8(0).U16(0)
	for _, c := range b.Contexts {
		e.U16(c.ID).U8(uint8(len(c.Transfer))).U8(0).Syntax(c.Abstract)
		for _, t := range c.Transfer {
			e.Syntax(t)
		}
	}
}

// COBind builds a bind (first and last fragment).
func COBind(le bool, callID uint32, b Bind, auth *Auth) []byte {
	h := CO{LE: le, Type: dissect.PTypeBind, Flags: dissect.PFCFirstFrag | dissect.PFCLastFrag, CallID: callID, Auth: auth}
	return h.Build(b.encode)
}

// COAlterContext builds an alter_context.
func COAlterContext(le bool, callID uint32, b Bind, auth *Auth) []byte {
	h := CO{LE: le, Type: dissect.PTypeAlterContext, Flags: dissect.PFCFirstFrag | dissect.PFCLastFrag, CallID: callID, Auth: auth}
	return h.Build(b.encode)
}

// BindAck is the body of a bind_ack or alter_context_resp. An empty
// SecAddr is sent with length 0 (as Samba does on dynamic ports); otherwise
// the length counts the NUL terminator ("135" has length 4).
type BindAck struct {
	MaxXmit, MaxRecv uint16
	AssocGroup       uint32
	SecAddr          string
	Results          []dissect.Result
}

func (a BindAck) encode(e *Enc) {
	e.U16(a.MaxXmit).U16(a.MaxRecv).U32(a.AssocGroup)
	if a.SecAddr == "" {
		e.U16(0)
	} else {
		e.U16(uint16(len(a.SecAddr) + 1)).Bytes([]byte(a.SecAddr)).U8(0)
	}
	e.Align(4)
	e.U8(uint8(len(a.Results))).U8(0).U16(0)
	for _, r := range a.Results {
		e.U16(uint16(r.Result)).U16(uint16(r.Reason)).Syntax(r.Transfer)
	}
}

// COBindAck builds a bind_ack.
func COBindAck(le bool, callID uint32, a BindAck, auth *Auth) []byte {
	h := CO{LE: le, Type: dissect.PTypeBindAck, Flags: dissect.PFCFirstFrag | dissect.PFCLastFrag, CallID: callID, Auth: auth}
	return h.Build(a.encode)
}

// COAlterContextResp builds an alter_context_resp.
func COAlterContextResp(le bool, callID uint32, a BindAck, auth *Auth) []byte {
	h := CO{LE: le, Type: dissect.PTypeAlterContextResp, Flags: dissect.PFCFirstFrag | dissect.PFCLastFrag, CallID: callID, Auth: auth}
	return h.Build(a.encode)
}

// COBindNak builds a bind_nak with the reject reason, the supported
// versions, zero padding to 4 bytes, and, if signature is set, the MS-RPCE
// extended error signature.
func COBindNak(le bool, callID uint32, reason dissect.RejectReason, versions []dissect.ProtoVersion, signature bool) []byte {
	h := CO{LE: le, Type: dissect.PTypeBindNak, Flags: dissect.PFCFirstFrag | dissect.PFCLastFrag, CallID: callID}
	return h.Build(func(e *Enc) {
		e.U16(uint16(reason)).U8(uint8(len(versions)))
		for _, v := range versions {
			e.U8(v.Major).U8(v.Minor)
		}
		e.Align(4)
		if signature {
			e.UUID(dissect.BindNakSignature)
		}
	})
}

// COAuth3 builds an auth3: 4 pad bytes, then the verifier.
func COAuth3(le bool, callID uint32, auth *Auth) []byte {
	h := CO{LE: le, Type: dissect.PTypeAuth3, Flags: dissect.PFCFirstFrag | dissect.PFCLastFrag, CallID: callID, Auth: auth}
	return h.Build(func(e *Enc) { e.U32(0) })
}

// COEmpty builds a PDU with no body: shutdown, co_cancel or orphaned
// (optionally with a verifier).
func COEmpty(le bool, t dissect.PType, callID uint32, flags dissect.PFCFlags, auth *Auth) []byte {
	h := CO{LE: le, Type: t, Flags: flags, CallID: callID, Auth: auth}
	return h.Build(nil)
}

// CORTS builds an RTS PDU (MS-RPCH) with the given flags and command bytes.
func CORTS(le bool, flags uint16, ncmd uint16, commands []byte) []byte {
	h := CO{LE: le, Type: dissect.PTypeRTS, Flags: dissect.PFCFirstFrag | dissect.PFCLastFrag}
	return h.Build(func(e *Enc) { e.U16(flags).U16(ncmd).Bytes(commands) })
}

// CL is the header of a connectionless fixture PDU. Build fills in rpc_vers
// 4, the drep for LE, serial_hi/serial_lo from Serial, and the body length.
type CL struct {
	LE         bool
	Type       dissect.PType
	Flags1     dissect.CLFlags1
	Flags2     dissect.CLFlags2
	Serial     uint16
	Object     dissect.UUID
	Interface  dissect.SyntaxID
	Activity   dissect.UUID
	ServerBoot uint32
	Seq        uint32
	Opnum      uint16
	IHint      uint16
	AHint      uint16
	FragNum    uint16
	AuthProto  dissect.AuthType
}

// Build returns the datagram: header, body, then auth (the verifier, sent
// as is when AuthProto is set).
func (h CL) Build(body, auth []byte) []byte {
	e := New(h.LE)
	d := e.Drep()
	e.U8(4).U8(uint8(h.Type)).U8(uint8(h.Flags1)).U8(uint8(h.Flags2))
	e.Bytes(d[:3]).U8(uint8(h.Serial >> 8))
	e.UUID(h.Object).UUID(h.Interface.UUID).UUID(h.Activity)
	e.U32(h.ServerBoot).U32(uint32(h.Interface.Minor)<<16 | uint32(h.Interface.Major))
	e.U32(h.Seq).U16(h.Opnum).U16(h.IHint).U16(h.AHint)
	e.U16(uint16(len(body))).U16(h.FragNum).U8(uint8(h.AuthProto)).U8(uint8(h.Serial))
	e.Bytes(body).Bytes(auth)
	return e.B
}

// PutCLBodyLen overwrites the body length of a CL PDU (for hostile
// fixtures).
func PutCLBodyLen(b []byte, le bool, v uint16) { (&Enc{B: b, LE: le}).PutU16At(74, v) }

// CLStatusBody is the body of a fault or reject: one status word.
func CLStatusBody(le bool, status uint32) []byte { return New(le).U32(status).B }

// CLFackBody is the body of a fack (or a nocall that carries one).
func CLFackBody(le bool, vers uint8, window uint16, maxTSDU, maxFrag uint32, serial uint16, selack []uint32) []byte {
	e := New(le).U8(vers).U8(0).U16(window).U32(maxTSDU).U32(maxFrag).U16(serial).U16(uint16(len(selack)))
	for _, w := range selack {
		e.U32(w)
	}
	return e.B
}

// CLCancelBody is the body of a cl_cancel.
func CLCancelBody(le bool, vers, id uint32) []byte { return New(le).U32(vers).U32(id).B }

// CLCancelAckBody is the body of a cancel_ack.
func CLCancelAckBody(le bool, vers, id uint32, accepting bool) []byte {
	var a uint32
	if accepting {
		a = 1
	}
	return New(le).U32(vers).U32(id).U32(a).B
}
