package dissect

import "errors"

// ErrNotCO is returned by [PeekCO] when the bytes cannot be the start of a
// connection-oriented PDU: the stream layer should resynchronise.
var ErrNotCO = errors.New("dissect: not a plausible connection-oriented PDU header")

// COHeaderLen is the size of the common connection-oriented header.
const COHeaderLen = 16

// Bounds of the inline lists in a [COPDU]. Wire counts above them are
// decoded only up to the bound; the rest is reported as an [AnomLimit]
// anomaly (A = declared count, B = kept) and never silently dropped.
const (
	MaxCOContexts       = 16 // presentation contexts (bind, alter_context) and results (bind_ack)
	MaxTransferSyntaxes = 4  // transfer syntaxes kept per presentation context
	MaxCOVersions       = 4  // protocol versions kept from a bind_nak
)

// PFCFlags is the pfc_flags byte of a connection-oriented header.
//
//	bit  7      6     5       4        3        2             1     0
//	   +------+-----+-------+--------+--------+-------------+-----+-------+
//	   |object|maybe|did not|conc_mpx|reserved|pending      |last |first  |
//	   | uuid |     |execute|        |  0x08  |cancel / hdr |frag |frag   |
//	   |      |     |       |        |        |sign support |     |       |
//	   +------+-----+-------+--------+--------+-------------+-----+-------+
//	    0x80   0x40  0x20    0x10     0x08     0x04          0x02  0x01
//
// 0x04 is PFC_PENDING_CANCEL in C706; in bind and alter_context PDUs MS-RPCE
// reuses it as PFC_SUPPORT_HEADER_SIGN.
type PFCFlags uint8

// The pfc_flags bits.
const (
	PFCFirstFrag         PFCFlags = 0x01 // first fragment of a call
	PFCLastFrag          PFCFlags = 0x02 // last fragment of a call
	PFCPendingCancel     PFCFlags = 0x04 // a cancel was pending at the sender
	PFCSupportHeaderSign PFCFlags = 0x04 // bind/alter_context: header signing offered (MS-RPCE)
	PFCReserved08        PFCFlags = 0x08 // reserved
	PFCConcMpx           PFCFlags = 0x10 // concurrent multiplexing supported (bind)
	PFCDidNotExecute     PFCFlags = 0x20 // fault: the call did not execute
	PFCMaybe             PFCFlags = 0x40 // maybe call semantics
	PFCObjectUUID        PFCFlags = 0x80 // an object UUID follows the request header
)

var pfcNames = [8]string{"first", "last", "pending-cancel", "reserved-08", "conc-mpx", "did-not-execute", "maybe", "object"}

// Has reports whether every bit of x is set in f.
func (f PFCFlags) Has(x PFCFlags) bool { return f&x == x }

// AppendTo appends the set bits as names joined by '|' ("first|last"), or
// "none" when no bit is set.
func (f PFCFlags) AppendTo(dst []byte) []byte { return appendBits(dst, uint8(f), &pfcNames) }

// String returns the form AppendTo writes (allocates).
func (f PFCFlags) String() string { return string(f.AppendTo(nil)) }

func appendBits(dst []byte, v uint8, names *[8]string) []byte {
	if v == 0 {
		return append(dst, "none"...)
	}
	first := true
	for i := 0; i < 8; i++ {
		if v&(1<<i) == 0 {
			continue
		}
		if !first {
			dst = append(dst, '|')
		}
		first = false
		dst = append(dst, names[i]...)
	}
	return dst
}

// COHeader is the 16-byte header shared by every connection-oriented PDU.
// rpc_vers is always 5 once decoded and is not stored. It is comparable.
type COHeader struct {
	Minor   uint8    // rpc_vers_minor: 0 or 1
	Type    PType    // PTYPE
	Flags   PFCFlags // pfc_flags
	Drep    Drep     // packed_drep
	FragLen uint16   // frag_length: the whole PDU including header and verifier
	AuthLen uint16   // auth_length: the auth_value only (not the 8-byte sec_trailer)
	CallID  uint32   // call_id
}

// LittleEndian reports the integer byte order of the PDU.
func (h *COHeader) LittleEndian() bool { return h.Drep.LittleEndian() }

// Decode reads the header at b[0:16]. It returns ErrShort when fewer than 16
// bytes are given and ErrVersion when rpc_vers is not 5; other fields are
// taken as they are (see [PeekCO] for a plausibility check).
func (h *COHeader) Decode(b []byte) (int, error) {
	*h = COHeader{}
	if len(b) < COHeaderLen {
		return 0, ErrShort
	}
	if b[0] != 5 {
		return 0, ErrVersion
	}
	le := b[4]&0x10 != 0
	h.Minor = b[1]
	h.Type = PType(b[2])
	h.Flags = PFCFlags(b[3])
	h.Drep = Drep{b[4], b[5], b[6], b[7]}
	h.FragLen = U16(b, 8, le)
	h.AuthLen = U16(b, 10, le)
	h.CallID = U32(b, 12, le)
	return COHeaderLen, nil
}

// PeekCO checks that b starts with a plausible connection-oriented header
// and returns its frag_length, for framing PDUs in a TCP stream. It returns
// ErrShort when fewer than 16 bytes are present and ErrNotCO when the bytes
// are not a plausible header: rpc_vers not 5, rpc_vers_minor above 1, a PDU
// type that is not connection-oriented, a drep whose first byte is neither
// 0x00 nor 0x10 (big- or little-endian ASCII), a floating-point
// representation above 3, non-zero reserved drep bytes, or a frag_length
// below 16 (frag_length is 16 bits wide, so at most 65535). It reads 16
// bytes and never allocates.
func PeekCO(b []byte) (fragLen int, err error) {
	if len(b) < COHeaderLen {
		return 0, ErrShort
	}
	if b[0] != 5 || b[1] > 1 || !PType(b[2]).IsCO() {
		return 0, ErrNotCO
	}
	if (b[4] != 0x00 && b[4] != 0x10) || b[5] > 3 || b[6] != 0 || b[7] != 0 {
		return 0, ErrNotCO
	}
	fl := int(U16(b, 8, b[4] == 0x10))
	if fl < COHeaderLen {
		return 0, ErrNotCO
	}
	return fl, nil
}

// drepPlausible reports whether the 4 drep bytes at b are ones C706 defines:
// integer rep 0/1, character rep 0/1, float rep 0..3, reserved bytes zero.
func drepPlausible(b []byte) bool {
	return b[0]&0xee == 0 && b[1] <= 3 && b[2] == 0 && b[3] == 0
}

// AckResult is the result of one presentation context in a bind_ack or
// alter_context_resp (p_cont_def_result_t).
type AckResult uint16

// Presentation context results (C706 12.6.3.1; NegotiateAck from MS-RPCE).
const (
	AckAcceptance        AckResult = 0
	AckUserRejection     AckResult = 1
	AckProviderRejection AckResult = 2
	AckNegotiateAck      AckResult = 3 // bind time feature negotiation answer
)

// String returns "acceptance", "user-rejection", "provider-rejection",
// "negotiate-ack", or "result-N".
func (r AckResult) String() string {
	switch r {
	case AckAcceptance:
		return "acceptance"
	case AckUserRejection:
		return "user-rejection"
	case AckProviderRejection:
		return "provider-rejection"
	case AckNegotiateAck:
		return "negotiate-ack"
	}
	return "result-" + string(AppendUint(nil, uint64(r)))
}

// ProviderReason says why a presentation context was rejected
// (p_provider_reason_t). For an [AckNegotiateAck] result the field carries
// bind time feature flags instead.
type ProviderReason uint16

// Provider rejection reasons (C706 12.6.3.1).
const (
	ReasonNotSpecified                 ProviderReason = 0
	ReasonAbstractSyntaxNotSupported   ProviderReason = 1
	ReasonProposedTransferNotSupported ProviderReason = 2
	ReasonLocalLimitExceeded           ProviderReason = 3
)

// String returns the reason's name, e.g. "abstract-syntax-not-supported".
func (r ProviderReason) String() string {
	switch r {
	case ReasonNotSpecified:
		return "reason-not-specified"
	case ReasonAbstractSyntaxNotSupported:
		return "abstract-syntax-not-supported"
	case ReasonProposedTransferNotSupported:
		return "proposed-transfer-syntaxes-not-supported"
	case ReasonLocalLimitExceeded:
		return "local-limit-exceeded"
	}
	return "reason-" + string(AppendUint(nil, uint64(r)))
}

// RejectReason is the provider_reject_reason of a bind_nak.
type RejectReason uint16

// bind_nak reject reasons (C706 12.6.3.1; 8 and 9 from MS-RPCE).
const (
	RejectNotSpecified           RejectReason = 0
	RejectTemporaryCongestion    RejectReason = 1
	RejectLocalLimitExceeded     RejectReason = 2
	RejectCalledPaddrUnknown     RejectReason = 3
	RejectProtocolVersionNotSupp RejectReason = 4
	RejectDefaultContextNotSupp  RejectReason = 5
	RejectUserDataNotReadable    RejectReason = 6
	RejectNoPSAPAvailable        RejectReason = 7
	RejectAuthTypeNotRecognized  RejectReason = 8
	RejectInvalidChecksum        RejectReason = 9
	rejectReasonCount            RejectReason = 10
)

var rejectNames = [rejectReasonCount]string{
	"reason-not-specified",
	"temporary-congestion",
	"local-limit-exceeded",
	"called-paddr-unknown",
	"protocol-version-not-supported",
	"default-context-not-supported",
	"user-data-not-readable",
	"no-psap-available",
	"authentication-type-not-recognized",
	"invalid-checksum",
}

// String returns the reason's name, e.g. "protocol-version-not-supported".
func (r RejectReason) String() string {
	if r < rejectReasonCount {
		return rejectNames[r]
	}
	return "reject-" + string(AppendUint(nil, uint64(r)))
}

// AuthType is the auth_type of a sec_trailer (CO) or the auth_proto of a
// connectionless header.
type AuthType uint8

// Authentication services (MS-RPCE 2.2.1.1.7).
const (
	AuthNone       AuthType = 0x00
	AuthDCEPrivate AuthType = 0x01
	AuthDCEPublic  AuthType = 0x02
	AuthSPNEGO     AuthType = 0x09
	AuthNTLMSSP    AuthType = 0x0a
	AuthSchannel   AuthType = 0x0e
	AuthKerberos   AuthType = 0x10
	AuthNetlogon   AuthType = 0x44
	AuthDefault    AuthType = 0xff
)

// String returns the service's short name ("ntlmssp"), or "auth-N".
func (t AuthType) String() string {
	switch t {
	case AuthNone:
		return "none"
	case AuthDCEPrivate:
		return "dce-private"
	case AuthDCEPublic:
		return "dce-public"
	case AuthSPNEGO:
		return "spnego"
	case AuthNTLMSSP:
		return "ntlmssp"
	case AuthSchannel:
		return "schannel"
	case AuthKerberos:
		return "kerberos"
	case AuthNetlogon:
		return "netlogon"
	case AuthDefault:
		return "default"
	}
	return "auth-" + string(AppendUint(nil, uint64(t)))
}

// AuthLevel is the auth_level of a sec_trailer.
type AuthLevel uint8

// Authentication levels (C706 13.1.2.1).
const (
	AuthLevelDefault   AuthLevel = 0
	AuthLevelNone      AuthLevel = 1
	AuthLevelConnect   AuthLevel = 2
	AuthLevelCall      AuthLevel = 3
	AuthLevelPkt       AuthLevel = 4
	AuthLevelIntegrity AuthLevel = 5
	AuthLevelPrivacy   AuthLevel = 6
)

var authLevelNames = [...]string{"default", "none", "connect", "call", "pkt", "pkt-integrity", "pkt-privacy"}

// String returns the level's name ("pkt-privacy"), or "level-N".
func (l AuthLevel) String() string {
	if int(l) < len(authLevelNames) {
		return authLevelNames[l]
	}
	return "level-" + string(AppendUint(nil, uint64(l)))
}

// AuthVerifier is the sec_trailer and auth_value at the end of a CO PDU.
type AuthVerifier struct {
	Type      AuthType
	Level     AuthLevel
	PadLen    uint8  // auth_pad_length: pad bytes between the stub and the trailer
	Reserved  uint8  // auth_reserved
	ContextID uint32 // auth_context_id
	// Value is the auth_value (auth_length bytes; fewer when the PDU was
	// truncated). It aliases the input of Decode.
	Value []byte
}

// PresContext is one element of a bind or alter_context presentation
// context list (p_cont_elem_t).
type PresContext struct {
	ID       uint16   // p_cont_id
	Abstract SyntaxID // abstract syntax: the interface and its version
	// TransferCount is n_transfer_syn as declared; NTransfer is how many of
	// them are in Transfer (at most MaxTransferSyntaxes).
	TransferCount uint8
	NTransfer     int
	Transfer      [MaxTransferSyntaxes]SyntaxID
}

// Result is one element of a bind_ack or alter_context_resp result list
// (p_result_t).
type Result struct {
	Result   AckResult
	Reason   ProviderReason
	Transfer SyntaxID // the accepted transfer syntax (nil UUID when rejected)
}

// ProtoVersion is one protocol version a bind_nak says the server supports.
type ProtoVersion struct{ Major, Minor uint8 }

// BindNakSignature marks MS-RPCE extended error information after a
// bind_nak's version list (MS-RPCE 2.2.1.1.2).
var BindNakSignature = MustParseUUID("90740320-fad0-11d3-82d7-009027b130ab")

// COPDU is one decoded connection-oriented (v5) PDU. Which fields are set
// depends on Header.Type; the others stay zero.
//
// Slices (Body, Stub, SecAddr, Auth.Value) alias the input of Decode and are
// valid only as long as that input is unchanged.
type COPDU struct {
	Header COHeader

	// request, response, fault
	AllocHint   uint32
	ContextID   uint16 // p_cont_id
	Opnum       uint16 // request
	Object      UUID   // request with PFC_OBJECT_UUID
	HasObject   bool
	CancelCount uint8  // response, fault
	FaultFlags  uint8  // fault: the reserved byte; bit 0 = extended error present (MS-RPCE)
	Status      uint32 // fault: an nca_s_* or Win32 code; name it with [StatusName]

	// bind, bind_ack, alter_context, alter_context_resp
	MaxXmit    uint16 // max_xmit_frag
	MaxRecv    uint16 // max_recv_frag
	AssocGroup uint32 // assoc_group_id
	// SecAddr is the bind_ack secondary address (the server's port as
	// text, e.g. "135") without its NUL terminator; empty when the length
	// is 0 (Samba on dynamic ports).
	SecAddr []byte
	// SecAddrLen is the secondary address length as declared (NUL
	// included).
	SecAddrLen   uint16
	ContextCount uint8 // n_context_elem as declared
	NContexts    int   // contexts kept in Contexts
	Contexts     [MaxCOContexts]PresContext
	ResultCount  uint8 // n_results as declared
	NResults     int   // results kept in Results
	Results      [MaxCOContexts]Result

	// bind_nak
	RejectReason RejectReason
	VersionCount uint8 // n_protocols as declared
	NVersions    int
	Versions     [MaxCOVersions]ProtoVersion
	HasSignature bool // the MS-RPCE extended error signature follows the versions

	// rts (MS-RPCH): the RTS header; the commands are in Body.
	RTSFlags    uint16
	RTSCommands uint16

	// Body is everything after the type's fixed fields up to the auth pad
	// (or the end of the PDU when there is no verifier): the stub of a
	// request, response or fault, the list region of a bind or bind_ack.
	Body []byte
	// Stub is the stub data of a request, response or fault, with the auth
	// pad and verifier stripped. It is empty when the verifier's lengths
	// are inconsistent (see AnomCOAuthTooLong, AnomCOAuthPadTooLong).
	Stub []byte
	// Auth is the verifier when auth_length is non-zero and consistent.
	Auth    AuthVerifier
	HasAuth bool
	// Truncated is set when frag_length is larger than the bytes given
	// (AnomCOFragBeyondData); fields past the end of the data stay zero.
	Truncated bool

	Anomalies Anomalies
}

// reset leaves p equal to COPDU{} (co_reset_test.go checks every field).
// Decode fills the Contexts, Results and Versions arrays only up to their
// counts, so only those entries are cleared: zeroing the whole 2.6 KB struct
// was a third of a small PDU's decoding time.
func (p *COPDU) reset() {
	clear(p.Contexts[:min(max(p.NContexts, 0), MaxCOContexts)])
	clear(p.Results[:min(max(p.NResults, 0), MaxCOContexts)])
	clear(p.Versions[:min(max(p.NVersions, 0), MaxCOVersions)])
	p.Header = COHeader{}
	p.AllocHint, p.ContextID, p.Opnum = 0, 0, 0
	p.Object, p.HasObject = UUID{}, false
	p.CancelCount, p.FaultFlags, p.Status = 0, 0, 0
	p.MaxXmit, p.MaxRecv, p.AssocGroup = 0, 0, 0
	p.SecAddr, p.SecAddrLen = nil, 0
	p.ContextCount, p.NContexts = 0, 0
	p.ResultCount, p.NResults = 0, 0
	p.RejectReason, p.VersionCount, p.NVersions, p.HasSignature = 0, 0, 0, false
	p.RTSFlags, p.RTSCommands = 0, 0
	p.Body, p.Stub = nil, nil
	p.Auth, p.HasAuth = AuthVerifier{}, false
	p.Truncated = false
	p.Anomalies.reset()
}

// coFixed returns the size of a type's fixed fields after the 16-byte
// header, and false for types that are not connection-oriented.
func coFixed(t PType, flags PFCFlags) (int, bool) {
	switch t {
	case PTypeRequest:
		if flags&PFCObjectUUID != 0 {
			return 24, true
		}
		return 8, true
	case PTypeResponse:
		return 8, true
	case PTypeFault:
		return 16, true
	case PTypeBind, PTypeAlterContext:
		return 12, true // max_xmit, max_recv, assoc_group, context list header
	case PTypeBindAck, PTypeAlterContextResp:
		return 10, true // max_xmit, max_recv, assoc_group, sec_addr length
	case PTypeBindNak:
		return 2, true
	case PTypeAuth3, PTypeRTS:
		return 4, true
	case PTypeShutdown, PTypeCOCancel, PTypeOrphaned:
		return 0, true
	}
	return 0, false
}

// Decode decodes the connection-oriented PDU at the start of b and returns
// the bytes consumed: frag_length, or len(b) when frag_length is larger than
// b (then Truncated is set and AnomCOFragBeyondData recorded). Bytes after
// frag_length are not looked at. Every field of p is reset first.
//
// Errors: ErrShort when b holds less than the header and the fixed fields of
// its type; ErrVersion when rpc_vers is not 5; ErrType when the type is not
// a connection-oriented one; ErrLength when frag_length is smaller than the
// header and fixed fields (with AnomCOFragTooShort). On error n is 0 and
// only Header (and Anomalies) may be set. Everything else is reported as an
// anomaly with its offset from the start of b. Decode does not allocate.
func (p *COPDU) Decode(b []byte) (n int, err error) {
	p.reset()
	h := &p.Header
	if _, err := h.Decode(b); err != nil {
		return 0, err
	}
	le := h.LittleEndian()
	if h.Minor > 1 {
		p.Anomalies.Add(AnomCOMinorVersion, 1, uint32(h.Minor), 0)
	}
	if !drepPlausible(b[4:8]) {
		p.Anomalies.Add(AnomCODrep, 4, U32(b, 4, false), 0)
	}
	fixed, ok := coFixed(h.Type, h.Flags)
	if !ok {
		return 0, ErrType
	}
	fl := int(h.FragLen)
	if h.Type == PTypeFault && fl < COHeaderLen+16 && fl >= COHeaderLen+12 {
		// A fault without the 4 reserved bytes after the status: decode it,
		// but say so.
		fixed = 12
		p.Anomalies.Add(AnomCOFragTooShort, 8, uint32(fl), COHeaderLen+16)
	}
	start := COHeaderLen + fixed
	if fl < start {
		p.Anomalies.Add(AnomCOFragTooShort, 8, uint32(fl), uint32(start))
		return 0, ErrLength
	}
	end := fl
	if fl > len(b) {
		p.Anomalies.Add(AnomCOFragBeyondData, 8, uint32(fl), uint32(len(b)))
		p.Truncated = true
		end = len(b)
	}
	if end < start {
		return 0, ErrShort
	}

	// Locate the verifier from frag_length (not from the data given, which
	// may be truncated), then clamp to the data.
	bodyEnd, authOK := fl, true
	if h.AuthLen > 0 {
		need := int(h.AuthLen) + 8
		if need > fl-start {
			p.Anomalies.Add(AnomCOAuthTooLong, 10, uint32(h.AuthLen), uint32(fl-start))
			authOK = false
		} else {
			t := fl - need
			bodyEnd = t
			if t+8 <= end {
				a := &p.Auth
				a.Type = AuthType(b[t])
				a.Level = AuthLevel(b[t+1])
				a.PadLen = b[t+2]
				a.Reserved = b[t+3]
				a.ContextID = U32(b, t+4, le)
				a.Value = b[t+8 : end]
				p.HasAuth = true
				if int(a.PadLen) > t-start {
					p.Anomalies.Add(AnomCOAuthPadTooLong, t+2, uint32(a.PadLen), uint32(t-start))
					authOK = false
				} else {
					bodyEnd = t - int(a.PadLen)
				}
			}
		}
	}
	if !authOK {
		bodyEnd = fl
	}
	if bodyEnd > end {
		bodyEnd = end
	}
	p.Body = b[start:bodyEnd]

	if h.Flags&PFCObjectUUID != 0 && h.Type != PTypeRequest {
		p.Anomalies.Add(AnomCOObjectFlag, 3, uint32(h.Type), 0)
	}

	switch h.Type {
	case PTypeRequest:
		p.AllocHint = U32(b, 16, le)
		p.ContextID = U16(b, 20, le)
		p.Opnum = U16(b, 22, le)
		if h.Flags&PFCObjectUUID != 0 {
			p.Object = UUIDAt(b, 24, le)
			p.HasObject = true
		}
		p.setStub(authOK)
	case PTypeResponse:
		p.AllocHint = U32(b, 16, le)
		p.ContextID = U16(b, 20, le)
		p.CancelCount = b[22]
		p.setStub(authOK)
	case PTypeFault:
		p.AllocHint = U32(b, 16, le)
		p.ContextID = U16(b, 20, le)
		p.CancelCount = b[22]
		p.FaultFlags = b[23]
		p.Status = U32(b, 24, le)
		p.setStub(authOK)
	case PTypeBind, PTypeAlterContext:
		p.MaxXmit = U16(b, 16, le)
		p.MaxRecv = U16(b, 18, le)
		p.AssocGroup = U32(b, 20, le)
		p.decodeContexts(b, start, start+len(p.Body), le)
	case PTypeBindAck, PTypeAlterContextResp:
		p.MaxXmit = U16(b, 16, le)
		p.MaxRecv = U16(b, 18, le)
		p.AssocGroup = U32(b, 20, le)
		p.decodeAck(b, start+len(p.Body), le)
	case PTypeBindNak:
		p.RejectReason = RejectReason(U16(b, 16, le))
		p.decodeNak(b, start+len(p.Body), le)
	case PTypeRTS:
		p.RTSFlags = U16(b, 16, le)
		p.RTSCommands = U16(b, 18, le)
	case PTypeAuth3, PTypeShutdown, PTypeCOCancel, PTypeOrphaned:
		if len(p.Body) > 0 {
			p.Anomalies.Add(AnomTrailingBytes, start, uint32(len(p.Body)), 0)
		}
	}
	return end, nil
}

func (p *COPDU) setStub(authOK bool) {
	if authOK {
		p.Stub = p.Body
	} else {
		p.Stub = p.Body[:0]
	}
}

func syntaxAt(b []byte, off int, le bool) SyntaxID {
	v := U32(b, off+16, le)
	return SyntaxID{UUID: UUIDAt(b, off, le), Major: uint16(v), Minor: uint16(v >> 16)}
}

// decodeContexts reads the p_cont_list_t whose 4-byte header is at b[24:]
// and whose elements end at or before end.
func (p *COPDU) decodeContexts(b []byte, off, end int, le bool) {
	n := int(b[24])
	p.ContextCount = uint8(n)
	i := 0
	for ; i < n; i++ {
		if off+24 > end {
			p.Anomalies.Add(AnomCOContextCount, 24, uint32(n), uint32(i))
			break
		}
		nts := int(b[off+2])
		var c PresContext
		c.ID = U16(b, off, le)
		c.TransferCount = uint8(nts)
		c.Abstract = syntaxAt(b, off+4, le)
		elem := off
		off += 24
		fit := (end - off) / 20
		broken := nts > fit
		if broken {
			p.Anomalies.Add(AnomCOTransferCount, elem+2, uint32(nts), uint32(fit))
			nts = fit
		}
		kept := min(nts, MaxTransferSyntaxes)
		for j := 0; j < kept; j++ {
			c.Transfer[j] = syntaxAt(b, off+20*j, le)
		}
		c.NTransfer = kept
		if nts > MaxTransferSyntaxes {
			p.Anomalies.Add(AnomLimit, elem+2, uint32(nts), MaxTransferSyntaxes)
		}
		off += 20 * nts
		if i < MaxCOContexts {
			p.Contexts[i] = c
			p.NContexts = i + 1
		}
		if broken {
			i++
			break
		}
	}
	if n > MaxCOContexts && i > MaxCOContexts {
		p.Anomalies.Add(AnomLimit, 24, uint32(n), MaxCOContexts)
	}
	if off < end {
		p.Anomalies.Add(AnomTrailingBytes, off, uint32(end-off), 0)
	}
}

// decodeAck reads the secondary address and result list of a bind_ack or
// alter_context_resp; the body ends at end.
func (p *COPDU) decodeAck(b []byte, end int, le bool) {
	sl := int(U16(b, 24, le))
	p.SecAddrLen = uint16(sl)
	off := 26
	if off+sl > end {
		p.Anomalies.Add(AnomCOSecAddrTruncated, 24, uint32(sl), uint32(end-off))
		p.SecAddr = b[off:end]
		return
	}
	if sl > 0 {
		s := b[off : off+sl]
		if s[sl-1] != 0 {
			p.Anomalies.Add(AnomCOSecAddrNoNUL, off, uint32(sl), 0)
			p.SecAddr = s
		} else {
			p.SecAddr = s[:sl-1]
		}
	} else {
		p.SecAddr = b[off:off]
	}
	off += sl
	off = (off + 3) &^ 3 // the result list is 4-aligned from the PDU start
	if off+4 > end {
		p.Anomalies.Add(AnomTruncated, min(off, end), 4, uint32(max(end-off, 0)))
		return
	}
	n := int(b[off])
	p.ResultCount = uint8(n)
	list := off
	off += 4
	i := 0
	for ; i < n; i++ {
		if off+24 > end {
			p.Anomalies.Add(AnomCOResultCount, list, uint32(n), uint32(i))
			break
		}
		if i < MaxCOContexts {
			p.Results[i] = Result{
				Result:   AckResult(U16(b, off, le)),
				Reason:   ProviderReason(U16(b, off+2, le)),
				Transfer: syntaxAt(b, off+4, le),
			}
			p.NResults = i + 1
		}
		off += 24
	}
	if i > MaxCOContexts {
		p.Anomalies.Add(AnomLimit, list, uint32(n), MaxCOContexts)
	}
	if off < end {
		p.Anomalies.Add(AnomTrailingBytes, off, uint32(end-off), 0)
	}
}

// decodeNak reads a bind_nak's supported versions and optional MS-RPCE
// signature; the body ends at end.
func (p *COPDU) decodeNak(b []byte, end int, le bool) {
	off := 18
	if off >= end {
		p.Anomalies.Add(AnomTruncated, off, 1, 0)
		return
	}
	n := int(b[off])
	p.VersionCount = uint8(n)
	off++
	i := 0
	for ; i < n; i++ {
		if off+2 > end {
			p.Anomalies.Add(AnomCOVersionCount, 18, uint32(n), uint32(i))
			break
		}
		if i < MaxCOVersions {
			p.Versions[i] = ProtoVersion{Major: b[off], Minor: b[off+1]}
			p.NVersions = i + 1
		}
		off += 2
	}
	if i > MaxCOVersions {
		p.Anomalies.Add(AnomLimit, 18, uint32(n), MaxCOVersions)
	}
	// Zero padding to a 4-byte boundary may follow, then the signature.
	for off < end && off&3 != 0 && b[off] == 0 {
		off++
	}
	if off+16 <= end && UUIDAt(b, off, le) == BindNakSignature {
		p.HasSignature = true
		return // extended error information follows; not decoded here
	}
	if off < end {
		p.Anomalies.Add(AnomTrailingBytes, off, uint32(end-off), 0)
	}
}
