package dcom

import (
	"github.com/rpcwatch/rpcwatch/dissect"
)

// Form says how a DUALSTRINGARRAY is laid out.
type Form uint8

// DUALSTRINGARRAY layouts.
const (
	// FormNDR is the NDR conformant structure (MS-DCOM 2.2.19.2) used when
	// the array is an RPC parameter or a pointer's referent: a 4-byte
	// max_count first, then wNumEntries, wSecurityOffset and the array,
	// every 16-bit unit (UTF-16 text included) in the stub's byte order.
	FormNDR Form = iota
	// FormPacked is the packet version (MS-DCOM 2.2.19.1) inside an
	// OBJREF: no max_count, always little-endian.
	FormPacked
)

// String returns "ndr" or "packed".
func (f Form) String() string {
	if f == FormPacked {
		return "packed"
	}
	return "ndr"
}

// maxTranscode is the room for one transcoded aNetworkAddr: an address and
// an endpoint of dissect.MaxText bytes each plus the brackets.
const maxTranscode = 2*dissect.MaxText + 2

// DualStringArray is a decoded DUALSTRINGARRAY: the string bindings (where
// an object resolver or exporter can be reached) and the security bindings
// (which authentication services and principal names it accepts).
//
//	[max_count u32]        FormNDR only; must equal wNumEntries
//	wNumEntries u16        16-bit units in aStringArray
//	wSecurityOffset u16    unit index of the first SECURITYBINDING
//	aStringArray:
//	  { wTowerId u16, aNetworkAddr UTF-16 ... 0x0000 }*   STRINGBINDINGs
//	  0x0000                                               terminator
//	  { wAuthnSvc u16, wAuthzSvc u16, aPrincName ... 0x0000 }*
//	  0x0000                                               terminator
//
// An empty set may be written as two zeros: the smallest array is
// wNumEntries 4, wSecurityOffset 2 and four zero units.
//
// Decode checks the structure once and records every inconsistency in
// Anomalies; StringBindings and SecurityBindings then walk the entries.
// Array aliases the input and is valid as long as the input is.
type DualStringArray struct {
	Form Form
	LE   bool // byte order of every 16-bit unit (always true for FormPacked)
	// MaxCount is the NDR conformance (FormNDR only).
	MaxCount       uint32
	NumEntries     uint16
	SecurityOffset uint16
	// Array is aStringArray as present in the input: the units the wire
	// carries (max_count of them for FormNDR, wNumEntries for FormPacked),
	// fewer when the input ends first.
	Array []byte
	// Base is the offset of the structure within the stub of the response
	// it was found in, set by the response decoders (0 when Decode was
	// called directly): add it to Off and anomaly offsets for stub offsets.
	Base int
	// ArrayOff is the offset of Array from the start of the structure (4
	// for FormPacked, 8 for FormNDR).
	ArrayOff int
	// NumStrings and NumSecurity count the complete entries found.
	NumStrings  int
	NumSecurity int
	// InvalidAddrs counts string bindings whose network address is invalid
	// (each also has an AnomDCOMInvalidNetworkAddress).
	InvalidAddrs int
	// Anomalies lists inconsistencies; offsets are relative to the first
	// byte of the structure (max_count for FormNDR).
	Anomalies dissect.Anomalies

	units    int // units walked: min(NumEntries, units in Array)
	strTerm  int // unit index of the string-binding terminator, or -1
	secStart int // unit index the security walk starts at, or -1
}

// Decode decodes a DUALSTRINGARRAY at the start of b. le is the stub's byte
// order (ignored for FormPacked). It returns the bytes consumed: the header
// and the array the wire carries (clipped to b). Only a header shorter than
// its fixed fields is an error (dissect.ErrShort); every other problem is
// an anomaly and the entries present are still decoded. Decode does not
// allocate.
func (d *DualStringArray) Decode(b []byte, le bool, form Form) (int, error) {
	if form == FormPacked {
		le = true
	}
	*d = DualStringArray{Form: form, LE: le, strTerm: -1, secStart: -1}
	off := 0
	wire := uint64(0)
	if form == FormNDR {
		if len(b) < 4 {
			return 0, dissect.ErrShort
		}
		d.MaxCount = dissect.U32(b, 0, le)
		wire = uint64(d.MaxCount)
		off = 4
	}
	if len(b) < off+4 {
		return 0, dissect.ErrShort
	}
	d.NumEntries = dissect.U16(b, off, le)
	d.SecurityOffset = dissect.U16(b, off+2, le)
	if form == FormPacked {
		wire = uint64(d.NumEntries)
	} else if d.MaxCount != uint32(d.NumEntries) {
		d.Anomalies.Add(dissect.AnomDCOMMaxCountMismatch, 0, d.MaxCount, uint32(d.NumEntries))
	}
	off += 4
	d.ArrayOff = off
	avail := len(b) - off
	n := avail &^ 1
	if wire*2 <= uint64(avail) {
		n = int(wire * 2)
	} else {
		d.Anomalies.Add(dissect.AnomDCOMNumEntriesBeyondData, off, clampU32(wire), uint32(avail/2))
		if avail%2 != 0 {
			d.Anomalies.Add(dissect.AnomDCOMOddLength, off, uint32(avail), 0)
		}
	}
	d.Array = b[off : off+n : off+n]
	d.units = min(int(d.NumEntries), n/2)
	d.walk()
	return off + n, nil
}

func clampU32(v uint64) uint32 {
	if v > 0xffffffff {
		return 0xffffffff
	}
	return uint32(v)
}

// unit returns the i-th 16-bit unit of the array.
func (d *DualStringArray) unit(i int) uint16 { return dissect.U16(d.Array, 2*i, d.LE) }

// nul returns the index of the first zero unit in [from, to), or -1.
func (d *DualStringArray) nul(from, to int) int {
	for i := from; i < to; i++ {
		if d.Array[2*i] == 0 && d.Array[2*i+1] == 0 {
			return i
		}
	}
	return -1
}

// unitOff is the offset of unit i from the start of the structure.
func (d *DualStringArray) unitOff(i int) int { return d.ArrayOff + 2*i }

// walk checks both entry lists and the offsets that tie them together.
func (d *DualStringArray) walk() {
	n := d.units
	i := 0
	for i < n {
		if d.unit(i) == 0 {
			d.strTerm = i
			break
		}
		end := d.nul(i+1, n)
		if end < 0 {
			break
		}
		var e StringBinding
		if !d.entry(&e, i, end, &d.Anomalies) {
			d.InvalidAddrs++
		}
		d.NumStrings++
		i = end + 1
	}
	if d.strTerm < 0 {
		d.Anomalies.Add(dissect.AnomDCOMStringBindingsUnterminated, d.unitOff(i), uint32(i), uint32(n))
	}

	// wSecurityOffset must point right after the terminator (or after the
	// second zero of an empty set written as two zeros).
	expect := -1
	if d.strTerm >= 0 {
		expect = d.strTerm + 1
		if d.strTerm == 0 && d.SecurityOffset == 2 && n > 1 && d.unit(1) == 0 {
			expect = 2
		}
	}
	start := int(d.SecurityOffset)
	switch {
	case d.SecurityOffset > d.NumEntries:
		d.Anomalies.Add(dissect.AnomDCOMSecurityOffsetRange, d.ArrayOff-2, uint32(d.SecurityOffset), uint32(d.NumEntries))
		start = expect
	case expect >= 0 && start != expect:
		d.Anomalies.Add(dissect.AnomDCOMSecurityOffsetMismatch, d.ArrayOff-2, uint32(d.SecurityOffset), uint32(expect))
	}
	if start < 0 || start > n {
		return // nothing to walk (already reported as unterminated or beyond data)
	}
	d.secStart = start

	j := start
	term := -1
	for j < n {
		if d.unit(j) == 0 {
			term = j
			break
		}
		end := -1
		if j+2 <= n {
			end = d.nul(j+2, n)
		}
		if end < 0 {
			break
		}
		if bad := utf16Bad(d.Array[2*(j+2):2*end], d.LE); bad >= 0 {
			d.Anomalies.Add(dissect.AnomDCOMBadUTF16, d.unitOff(j+2+bad), uint32(j+2+bad), 0)
		}
		d.NumSecurity++
		j = end + 1
	}
	if term < 0 {
		d.Anomalies.Add(dissect.AnomDCOMSecurityBindingsUnterminated, d.unitOff(j), uint32(j), uint32(n))
		return
	}
	if left := n - (term + 1); left > 0 {
		emptyPad := term == start && left == 1 && term+1 < n && d.unit(term+1) == 0
		if !emptyPad {
			d.Anomalies.Add(dissect.AnomDCOMTrailingEntries, d.unitOff(term+1), uint32(left), 0)
		}
	}
}

// utf16Bad returns the unit index of the first unpaired surrogate, or -1.
func utf16Bad(src []byte, le bool) int {
	u := utf16Units{src: src, le: le, bad: -1}
	for {
		if _, ok := u.next(); !ok {
			return u.bad
		}
	}
}

// StringBinding is one STRINGBINDING entry.
type StringBinding struct {
	TowerID TowerID
	// Off is the offset of wTowerId from the start of the DUALSTRINGARRAY.
	Off int
	// NetworkAddr is aNetworkAddr as on the wire: UTF-16 units in the
	// array's byte order, without the NUL. It aliases the input.
	NetworkAddr []byte
	// Binding is the entry as a binding: protseq from the tower id, Addr
	// the address before any "[endpoint]" transcoded to UTF-8 and kept as
	// the wire has it (an ncacn_np address keeps its leading backslashes:
	// Windows sends \\\\HOST[\\pipe\\name], escaping each backslash as
	// string bindings do), Endpoint the text inside the brackets, Port
	// when that is a decimal port on ncacn_ip_tcp, ncadg_ip_udp or
	// ncacn_http, IP when the address (the host after \\ for ncacn_np) is an
	// IP literal.
	Binding dissect.Binding
	// Kind classifies the address (see ClassifyAddress).
	Kind AddrKind
	// Checked reports whether the protocol sequence's addresses are host
	// names or IP literals, so that Kind is meaningful: IP protocol
	// sequences, ncacn_np, the NetBIOS ones and ncalrpc. Other transports
	// (IPX, DECnet, AppleTalk, VINES, MSMQ, Hyper-V sockets, unknown ids)
	// have their own address syntaxes and are not judged.
	Checked bool
}

// Valid reports whether the entry is usable as it stands: a known tower id
// and, when checked, a valid address.
func (e *StringBinding) Valid() bool {
	return e.TowerID.Known() && (!e.Checked || e.Kind.Valid())
}

// checkedProtseq reports whether addresses of p are host names or IPs.
func checkedProtseq(p dissect.Protseq) bool {
	switch p {
	case dissect.NcacnIPTCP, dissect.NcadgIPUDP, dissect.NcacnHTTP, dissect.NcacnNP,
		dissect.NcacnNbTCP, dissect.NcacnNbIPX, dissect.NcacnNbNb, dissect.Ncalrpc:
		return true
	}
	return false
}

// entry fills e from the units [i, end) (end is the NUL) and reports
// anomalies to an when it is not nil. It returns false when the address is
// invalid.
func (d *DualStringArray) entry(e *StringBinding, i, end int, an *dissect.Anomalies) bool {
	e.TowerID = TowerID(d.unit(i))
	e.Off = d.unitOff(i)
	e.NetworkAddr = d.Array[2*(i+1) : 2*end : 2*end]
	e.Binding = dissect.Binding{}
	e.Kind = AddrInvalid
	addrOff := e.Off + 2
	add := func(k dissect.AnomalyKind, off int, a, b uint32) {
		if an != nil {
			an.Add(k, off, a, b)
		}
	}

	var buf [maxTranscode]byte
	n, full, bad := transcode(buf[:], e.NetworkAddr, d.LE)
	if bad >= 0 {
		add(dissect.AnomDCOMBadUTF16, addrOff+2*bad, uint32(i+1+bad), 0)
	}
	if full > n {
		add(dissect.AnomDCOMTextTruncated, addrOff, uint32(full), uint32(n))
	}
	text := buf[:n]
	addr, ep, hasEP, epOK := splitEndpoint(text)

	b := &e.Binding
	b.Protseq = e.TowerID.Protseq()
	if !e.TowerID.Known() {
		add(dissect.AnomDCOMUnknownTowerID, e.Off, uint32(e.TowerID), 0)
	}
	if !b.Addr.Set(addr) {
		add(dissect.AnomDCOMTextTruncated, addrOff, uint32(len(addr)), dissect.MaxText)
	}
	if hasEP && !b.Endpoint.Set(ep) {
		add(dissect.AnomDCOMTextTruncated, addrOff, uint32(len(ep)), dissect.MaxText)
	}
	if !epOK {
		add(dissect.AnomDCOMBadEndpoint, addrOff, uint32(e.TowerID), 0)
	}

	host := addr
	if b.Protseq == dissect.NcacnNP {
		// \\HOST, or \\\\HOST as Windows writes it with the string-binding
		// escape (a backslash escapes the next character)
		for len(host) > 0 && host[0] == '\\' {
			host = host[1:]
		}
	}
	kind, ip := ClassifyAddress(host)
	e.Kind = kind
	e.Checked = checkedProtseq(b.Protseq) && !(b.Protseq == dissect.Ncalrpc && len(host) == 0)
	if kind == AddrIPv4 || kind == AddrIPv6 {
		b.IP = ip
	}
	ok := true
	if e.Checked && !kind.Valid() {
		ok = false
		add(dissect.AnomDCOMInvalidNetworkAddress, addrOff, uint32(e.TowerID), uint32(len(addr)))
	}
	if hasEP && epOK && hasPort(b.Protseq) {
		if p, good := parsePort(ep); good {
			b.Port, b.HasPort = p, true
		} else {
			add(dissect.AnomDCOMBadEndpoint, addrOff, uint32(e.TowerID), 0)
		}
	}
	return ok
}

// splitEndpoint splits "ADDR[ENDPOINT]" at the first '['. ok is false when
// the '[' has no ']' as the last byte (ep is then the rest of the text).
func splitEndpoint(t []byte) (addr, ep []byte, hasEP, ok bool) {
	i := indexByte(t, '[')
	if i < 0 {
		return t, nil, false, true
	}
	if t[len(t)-1] != ']' {
		return t[:i], t[i+1:], true, false
	}
	return t[:i], t[i+1 : len(t)-1], true, true
}

// parsePort reads 1..5 decimal digits with a value <= 65535.
func parsePort(b []byte) (uint16, bool) {
	if len(b) == 0 || len(b) > 5 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if v > 0xffff {
		return 0, false
	}
	return uint16(v), true
}

// StringBindings returns an iterator over the string bindings.
func (d *DualStringArray) StringBindings() StringBindingIter {
	return StringBindingIter{d: d}
}

// StringBindingIter walks the STRINGBINDING entries of a decoded
// DualStringArray, in the style of a netlink attribute decoder:
//
//	it := dsa.StringBindings()
//	for it.Next() {
//		e := it.Entry()
//		...
//	}
//	if err := it.Err(); err != nil { ... }
//
// Err is sticky: dissect.ErrMalformed when the list ended without its
// terminator (an entry without its NUL is not returned). The entry returned
// by Entry is overwritten by the next call to Next.
type StringBindingIter struct {
	d    *DualStringArray
	i    int
	cur  StringBinding
	err  error
	done bool
}

// Next advances to the next entry and reports whether there is one.
func (it *StringBindingIter) Next() bool {
	if it.done || it.d == nil {
		return false
	}
	d := it.d
	if it.i >= d.units {
		it.done = true
		it.err = dissect.ErrMalformed
		return false
	}
	if d.unit(it.i) == 0 {
		it.done = true
		return false
	}
	end := d.nul(it.i+1, d.units)
	if end < 0 {
		it.done = true
		it.err = dissect.ErrMalformed
		return false
	}
	d.entry(&it.cur, it.i, end, nil)
	it.i = end + 1
	return true
}

// Entry returns the current entry (valid until the next call to Next).
func (it *StringBindingIter) Entry() *StringBinding { return &it.cur }

// Err returns the error that ended the walk, if any.
func (it *StringBindingIter) Err() error { return it.err }

// SecurityBinding is one SECURITYBINDING entry.
type SecurityBinding struct {
	// AuthnSvc is the RPC authentication service (e.g. 9 SPNEGO, 10 NTLM,
	// 16 Kerberos).
	AuthnSvc uint16
	// AuthzSvc is the authorization service; 0xffff (COM_C_AUTHZ_NONE) is
	// the usual value.
	AuthzSvc uint16
	// Off is the offset of wAuthnSvc from the start of the DUALSTRINGARRAY.
	Off int
	// PrincName is aPrincName as on the wire (UTF-16, without the NUL). It
	// aliases the input.
	PrincName []byte
	// LE is the byte order of PrincName's units.
	LE bool
}

// AppendPrincName appends the principal name as UTF-8.
func (s *SecurityBinding) AppendPrincName(dst []byte) []byte {
	return AppendUTF16(dst, s.PrincName, s.LE)
}

// SecurityBindings returns an iterator over the security bindings, from
// wSecurityOffset (or from right after the string bindings when
// wSecurityOffset is out of range).
func (d *DualStringArray) SecurityBindings() SecurityBindingIter {
	return SecurityBindingIter{d: d, i: d.secStart}
}

// SecurityBindingIter walks the SECURITYBINDING entries; it works like
// StringBindingIter.
type SecurityBindingIter struct {
	d    *DualStringArray
	i    int
	cur  SecurityBinding
	err  error
	done bool
}

// Next advances to the next entry and reports whether there is one.
func (it *SecurityBindingIter) Next() bool {
	if it.done || it.d == nil || it.i < 0 {
		return false
	}
	d := it.d
	if it.i >= d.units {
		it.done = true
		it.err = dissect.ErrMalformed
		return false
	}
	if d.unit(it.i) == 0 {
		it.done = true
		return false
	}
	end := -1
	if it.i+2 <= d.units {
		end = d.nul(it.i+2, d.units)
	}
	if end < 0 {
		it.done = true
		it.err = dissect.ErrMalformed
		return false
	}
	it.cur = SecurityBinding{
		AuthnSvc:  d.unit(it.i),
		AuthzSvc:  d.unit(it.i + 1),
		Off:       d.unitOff(it.i),
		PrincName: d.Array[2*(it.i+2) : 2*end : 2*end],
		LE:        d.LE,
	}
	it.i = end + 1
	return true
}

// Entry returns the current entry (valid until the next call to Next).
func (it *SecurityBindingIter) Entry() *SecurityBinding { return &it.cur }

// Err returns the error that ended the walk, if any.
func (it *SecurityBindingIter) Err() error { return it.err }
