package dissect

import "errors"

// ErrNotCL is returned when a datagram cannot be a connectionless PDU: the
// rpc_vers is 4 but the PDU type or data representation is not one C706
// defines (UDP payloads that only happen to start with 4).
var ErrNotCL = errors.New("dissect: not a plausible connectionless PDU header")

// CLHeaderLen is the size of the connectionless header.
const CLHeaderLen = 80

// MaxSelAck is how many selective-acknowledgement words a [Fack] keeps
// (each covers 32 fragments).
const MaxSelAck = 8

// CLFlags1 is the flags1 byte of a connectionless header.
//
//	bit  7        6         5          4      3      2     1        0
//	   +--------+---------+----------+------+------+-----+--------+--------+
//	   |reserved|broadcast|idempotent|maybe |nofack|frag |lastfrag|reserved|
//	   +--------+---------+----------+------+------+-----+--------+--------+
//	    0x80     0x40      0x20       0x10   0x08   0x04  0x02     0x01
type CLFlags1 uint8

// The flags1 bits.
const (
	CLReserved01 CLFlags1 = 0x01 // reserved for implementations
	CLLastFrag   CLFlags1 = 0x02 // the last fragment of the body
	CLFrag       CLFlags1 = 0x04 // the body is fragmented
	CLNoFack     CLFlags1 = 0x08 // the receiver need not send a fack for this fragment
	CLMaybe      CLFlags1 = 0x10 // maybe call semantics
	CLIdempotent CLFlags1 = 0x20 // idempotent call
	CLBroadcast  CLFlags1 = 0x40 // broadcast call
	CLReserved80 CLFlags1 = 0x80 // reserved for implementations
)

var clFlags1Names = [8]string{"reserved-01", "lastfrag", "frag", "nofack", "maybe", "idempotent", "broadcast", "reserved-80"}

// Has reports whether every bit of x is set in f.
func (f CLFlags1) Has(x CLFlags1) bool { return f&x == x }

// AppendTo appends the set bits as names joined by '|', or "none".
func (f CLFlags1) AppendTo(dst []byte) []byte { return appendBits(dst, uint8(f), &clFlags1Names) }

// String returns the form AppendTo writes (allocates).
func (f CLFlags1) String() string { return string(f.AppendTo(nil)) }

// CLFlags2 is the flags2 byte of a connectionless header.
//
//	bit  7..2       1               0
//	   +----------+---------------+----------+
//	   | reserved |cancel_pending | reserved |
//	   +----------+---------------+----------+
//	    0xfc       0x02            0x01
type CLFlags2 uint8

// The flags2 bits.
const (
	CL2Reserved01   CLFlags2 = 0x01 // reserved for implementations
	CLCancelPending CLFlags2 = 0x02 // a cancel was pending at the sender
)

var clFlags2Names = [8]string{"reserved-01", "cancel-pending", "reserved-04", "reserved-08", "reserved-10", "reserved-20", "reserved-40", "reserved-80"}

// Has reports whether every bit of x is set in f.
func (f CLFlags2) Has(x CLFlags2) bool { return f&x == x }

// AppendTo appends the set bits as names joined by '|', or "none".
func (f CLFlags2) AppendTo(dst []byte) []byte { return appendBits(dst, uint8(f), &clFlags2Names) }

// String returns the form AppendTo writes (allocates).
func (f CLFlags2) String() string { return string(f.AppendTo(nil)) }

// CLHeader is the 80-byte connectionless (v4) header. rpc_vers is always 4
// once decoded and is not stored. It holds no slices and is comparable.
type CLHeader struct {
	Type   PType
	Flags1 CLFlags1
	Flags2 CLFlags2
	// Drep holds the three drep bytes of the header; Drep[3] is always 0
	// (the wire's fourth byte there is serial_hi).
	Drep Drep
	// Serial is the fragment serial number, serial_hi<<8 | serial_lo.
	Serial     uint16
	Object     UUID     // object UUID (nil when none)
	Interface  SyntaxID // if_id and if_vers (major in the low 16 bits)
	Activity   UUID     // act_id: the client's activity
	ServerBoot uint32   // server boot time (seconds since 1970), 0 from clients
	Seq        uint32   // seqnum: the call's sequence number in the activity
	Opnum      uint16
	IHint      uint16   // interface hint
	AHint      uint16   // activity hint
	BodyLen    uint16   // len: body length, without the verifier
	FragNum    uint16   // fragnum
	AuthProto  AuthType // auth_proto: 0 when there is no verifier
}

// LittleEndian reports the integer byte order of the PDU.
func (h *CLHeader) LittleEndian() bool { return h.Drep.LittleEndian() }

// clPlausible checks the header bytes that tell a CL PDU from other UDP
// payloads starting with 4: the type and the drep label.
func clPlausible(b []byte) bool {
	return PType(b[1]).IsCL() && b[4]&0xee == 0 && b[5] <= 3 && b[6] == 0
}

// Decode reads the 80-byte header at b[0:]. It returns ErrShort for fewer
// than 80 bytes, ErrVersion when rpc_vers is not 4, and ErrNotCL when the
// PDU type is not a connectionless one or the drep label is not one C706
// defines (integer and character rep 0/1, float rep 0..3, reserved byte 0).
func (h *CLHeader) Decode(b []byte) (int, error) {
	*h = CLHeader{}
	if len(b) < CLHeaderLen {
		return 0, ErrShort
	}
	if b[0] != 4 {
		return 0, ErrVersion
	}
	if !clPlausible(b) {
		return 0, ErrNotCL
	}
	le := b[4]&0x10 != 0
	h.Type = PType(b[1])
	h.Flags1 = CLFlags1(b[2])
	h.Flags2 = CLFlags2(b[3])
	h.Drep = Drep{b[4], b[5], b[6], 0}
	h.Serial = uint16(b[7])<<8 | uint16(b[79])
	h.Object = UUIDAt(b, 8, le)
	h.Interface.UUID = UUIDAt(b, 24, le)
	h.Activity = UUIDAt(b, 40, le)
	h.ServerBoot = U32(b, 56, le)
	v := U32(b, 60, le)
	h.Interface.Major, h.Interface.Minor = uint16(v), uint16(v>>16)
	h.Seq = U32(b, 64, le)
	h.Opnum = U16(b, 68, le)
	h.IHint = U16(b, 70, le)
	h.AHint = U16(b, 72, le)
	h.BodyLen = U16(b, 74, le)
	h.FragNum = U16(b, 76, le)
	h.AuthProto = AuthType(b[78])
	return CLHeaderLen, nil
}

// PeekCL checks that b starts with a plausible connectionless header (the
// checks of [CLHeader.Decode]) and returns the declared body length. It
// returns ErrShort, ErrVersion or ErrNotCL. It never allocates.
func PeekCL(b []byte) (bodyLen int, err error) {
	if len(b) < CLHeaderLen {
		return 0, ErrShort
	}
	if b[0] != 4 {
		return 0, ErrVersion
	}
	if !clPlausible(b) {
		return 0, ErrNotCL
	}
	return int(U16(b, 74, b[4]&0x10 != 0)), nil
}

// Fack is the body of a fack PDU (and the optional body of a nocall).
type Fack struct {
	Version     uint8  // vers: body format version (0 or 1)
	WindowSize  uint16 // window_size in fragments
	MaxTSDU     uint32 // max_tsdu: largest transport datagram the sender accepts
	MaxFragSize uint32 // max_frag_size
	SerialNum   uint16 // serial number of the fragment acknowledged
	// SelAckLen is selack_len as declared; NSelAck is how many words are
	// in SelAck (at most MaxSelAck).
	SelAckLen uint16
	NSelAck   int
	SelAck    [MaxSelAck]uint32
}

// CLCancel is the body of a cl_cancel or cancel_ack PDU.
type CLCancel struct {
	Version   uint32 // vers: cancel request format version
	ID        uint32 // cancel_id
	Accepting bool   // cancel_ack: server_is_accepting
}

// CLPDU is one decoded connectionless (v4) PDU. Which body fields are set
// depends on Header.Type.
//
// Body and Auth alias the input of Decode and are valid only as long as that
// input is unchanged.
type CLPDU struct {
	Header CLHeader
	// Body is the PDU body (Header.BodyLen bytes, fewer when Truncated):
	// the stub of a request or response fragment.
	Body []byte
	// Status is the status of a fault or reject (an nca_* or Win32 code;
	// name it with [StatusName]).
	Status  uint32
	Fack    Fack // fack, and nocall when it carries a body
	HasFack bool
	Cancel  CLCancel // cl_cancel, cancel_ack
	// Auth is the verifier after the body when Header.AuthProto is not 0.
	Auth []byte
	// Truncated is set when the body length runs past the datagram
	// (AnomCLBodyBeyondData); Body then holds what is there.
	Truncated bool

	Anomalies Anomalies
}

// Decode decodes the connectionless PDU in datagram b and returns the bytes
// consumed (len(b): a datagram holds one PDU). Every field is reset first.
//
// Errors: ErrShort for fewer than 80 bytes (or a truncated body that lacks
// the type's fixed fields); ErrVersion when rpc_vers is not 4; ErrNotCL for
// an implausible type or drep; ErrLength when the declared body is shorter
// than the fixed fields of its type (fault, reject: 4 bytes; cl_cancel: 8;
// cancel_ack: 8), with AnomCLBodyTooShort. On error n is 0. Other
// inconsistencies are anomalies with offsets from the start of b. Decode
// does not allocate.
func (p *CLPDU) Decode(b []byte) (n int, err error) {
	*p = CLPDU{}
	h := &p.Header
	if _, err := h.Decode(b); err != nil {
		return 0, err
	}
	le := h.LittleEndian()
	bl := int(h.BodyLen)
	end := CLHeaderLen + bl
	if end > len(b) {
		p.Anomalies.Add(AnomCLBodyBeyondData, 74, uint32(bl), uint32(len(b)-CLHeaderLen))
		p.Truncated = true
		end = len(b)
	}
	p.Body = b[CLHeaderLen:end]
	if end < len(b) {
		if h.AuthProto != AuthNone {
			p.Auth = b[end:]
		} else {
			p.Anomalies.Add(AnomTrailingBytes, end, uint32(len(b)-end), 0)
		}
	} else if h.AuthProto != AuthNone && !p.Truncated {
		p.Anomalies.Add(AnomCLAuthMissing, 78, uint32(h.AuthProto), 0)
	}

	// need checks that the type's fixed body fields are declared and present.
	need := func(k int) error {
		if bl < k {
			p.Anomalies.Add(AnomCLBodyTooShort, 74, uint32(bl), uint32(k))
			return ErrLength
		}
		if len(p.Body) < k {
			return ErrShort
		}
		return nil
	}
	body := p.Body
	switch h.Type {
	case PTypeFault, PTypeReject:
		if err := need(4); err != nil {
			return 0, err
		}
		p.Status = U32(body, 0, le)
		if len(body) > 4 && h.Type == PTypeReject {
			p.Anomalies.Add(AnomTrailingBytes, CLHeaderLen+4, uint32(len(body)-4), 0)
		}
	case PTypeCLCancel, PTypeCancelAck:
		if err := need(8); err != nil {
			return 0, err
		}
		p.Cancel.Version = U32(body, 0, le)
		p.Cancel.ID = U32(body, 4, le)
		used := 8
		if h.Type == PTypeCancelAck {
			if len(body) >= 12 {
				p.Cancel.Accepting = U32(body, 8, le) != 0
				used = 12
			} else {
				p.Anomalies.Add(AnomTruncated, CLHeaderLen+8, 4, uint32(len(body)-8))
			}
		}
		if len(body) > used {
			p.Anomalies.Add(AnomTrailingBytes, CLHeaderLen+used, uint32(len(body)-used), 0)
		}
	case PTypeFack, PTypeNocall:
		if len(body) > 0 {
			p.decodeFack(body, le)
		}
	case PTypePing, PTypeWorking, PTypeAck:
		if len(body) > 0 {
			p.Anomalies.Add(AnomTrailingBytes, CLHeaderLen, uint32(len(body)), 0)
		}
	}
	return len(b), nil
}

// decodeFack reads a fack body; missing trailing fields are reported, not
// fatal (version 0 bodies from old stacks can be short).
func (p *CLPDU) decodeFack(body []byte, le bool) {
	f := &p.Fack
	p.HasFack = true
	const base = CLHeaderLen
	f.Version = body[0]
	if len(body) < 16 {
		p.Anomalies.Add(AnomCLFackTruncated, base, uint32(len(body)), 16)
		if len(body) >= 4 {
			f.WindowSize = U16(body, 2, le)
		}
		if len(body) >= 8 {
			f.MaxTSDU = U32(body, 4, le)
		}
		if len(body) >= 12 {
			f.MaxFragSize = U32(body, 8, le)
		}
		if len(body) >= 14 {
			f.SerialNum = U16(body, 12, le)
		}
		return
	}
	f.WindowSize = U16(body, 2, le)
	f.MaxTSDU = U32(body, 4, le)
	f.MaxFragSize = U32(body, 8, le)
	f.SerialNum = U16(body, 12, le)
	f.SelAckLen = U16(body, 14, le)
	n := int(f.SelAckLen)
	fit := (len(body) - 16) / 4
	if n > fit {
		p.Anomalies.Add(AnomCLSelAckCount, base+14, uint32(n), uint32(fit))
		n = fit
	}
	kept := min(n, MaxSelAck)
	for i := 0; i < kept; i++ {
		f.SelAck[i] = U32(body, 16+4*i, le)
	}
	f.NSelAck = kept
	if n > MaxSelAck {
		p.Anomalies.Add(AnomLimit, base+14, uint32(n), MaxSelAck)
	}
	// C706 declares the selack array with one element, so stacks that send
	// sizeof(rpc_fack_body_t) add 4 bytes when selack_len is 0 (PROFINET
	// devices do): not an anomaly.
	used := 16 + 4*n
	if f.SelAckLen == 0 && len(body) == 20 {
		used = 20
	}
	if used < len(body) && int(f.SelAckLen) <= fit {
		p.Anomalies.Add(AnomTrailingBytes, base+used, uint32(len(body)-used), 0)
	}
}
