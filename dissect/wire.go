package dissect

import (
	"encoding/binary"
	"math/bits"
)

// Drep is the 4-byte data representation label carried by every PDU.
//
//	byte 0: 7 6 5 4 | 3 2 1 0
//	        int rep | char rep      int rep:  0 = big-endian, 1 = little-endian
//	                                char rep: 0 = ASCII, 1 = EBCDIC
//	byte 1: floating-point rep (0 IEEE, 1 VAX, 2 Cray, 3 IBM)
//	byte 2, 3: reserved (zero)
//
// Connectionless headers carry only the first three bytes; the fourth is the
// serial_lo field there.
type Drep [4]byte

// LittleEndian reports whether integers (and the first three UUID fields)
// are little-endian.
func (d Drep) LittleEndian() bool { return d[0]&0x10 != 0 }

// EBCDIC reports whether characters are EBCDIC rather than ASCII.
func (d Drep) EBCDIC() bool { return d[0]&0x0f == 1 }

// Float returns the floating-point representation code.
func (d Drep) Float() uint8 { return d[1] }

// DrepLE and DrepBE are the two labels seen in practice (ASCII, IEEE).
var (
	DrepLE = Drep{0x10, 0, 0, 0}
	DrepBE = Drep{0x00, 0, 0, 0}
)

// U16 reads a 16-bit integer at b[off:] in the given byte order. The caller
// has checked that off+2 <= len(b).
func U16(b []byte, off int, le bool) uint16 {
	if le {
		return binary.LittleEndian.Uint16(b[off:])
	}
	return binary.BigEndian.Uint16(b[off:])
}

// U32 reads a 32-bit integer at b[off:]; the caller has checked bounds.
func U32(b []byte, off int, le bool) uint32 {
	if le {
		return binary.LittleEndian.Uint32(b[off:])
	}
	return binary.BigEndian.Uint32(b[off:])
}

// U64 reads a 64-bit integer at b[off:]; the caller has checked bounds.
func U64(b []byte, off int, le bool) uint64 {
	if le {
		return binary.LittleEndian.Uint64(b[off:])
	}
	return binary.BigEndian.Uint64(b[off:])
}

// UUID is a DCE UUID held in its canonical (textual, big-endian) byte order,
// whatever the byte order it had on the wire. It is comparable and can key a
// map.
type UUID [16]byte

// NilUUID is the all-zero UUID.
var NilUUID UUID

// UUIDAt reads the 16-byte wire form at b[off:]: time_low (4), time_mid (2)
// and time_hi_and_version (2) in the PDU's byte order, then 8 bytes as they
// are. The caller has checked that off+16 <= len(b).
func UUIDAt(b []byte, off int, le bool) UUID {
	var u UUID
	u.SetWire(b[off:], le)
	return u
}

// SetWire sets u from the 16-byte wire form at b[:16] (the inverse of
// PutWire); the caller has checked that len(b) >= 16. It writes u with two
// 8-byte stores, so a decoder that fills a UUID field in place avoids both
// byte-wise swaps and the copy of a returned UUID (a 16-byte load of bytes
// just stored in smaller pieces stalls on store forwarding).
func (u *UUID) SetWire(b []byte, le bool) {
	_ = b[15]
	hi := binary.BigEndian.Uint64(b)
	if le {
		hi = uint64(bits.ReverseBytes32(uint32(hi>>32)))<<32 |
			uint64(bits.ReverseBytes16(uint16(hi>>16)))<<16 | uint64(bits.ReverseBytes16(uint16(hi)))
	}
	binary.BigEndian.PutUint64(u[0:], hi)
	binary.BigEndian.PutUint64(u[8:], binary.BigEndian.Uint64(b[8:]))
}

// PutWire writes u in wire form into b[:16] in the given byte order.
func (u UUID) PutWire(b []byte, le bool) {
	copy(b[:16], u[:])
	if le {
		b[0], b[1], b[2], b[3] = u[3], u[2], u[1], u[0]
		b[4], b[5] = u[5], u[4]
		b[6], b[7] = u[7], u[6]
	}
}

// IsNil reports whether u is all zero.
func (u UUID) IsNil() bool { return u == NilUUID }

// AppendTo appends the canonical lowercase form
// xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx to dst.
func (u UUID) AppendTo(dst []byte) []byte {
	const hex = "0123456789abcdef"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[c>>4], hex[c&0xf])
	}
	return dst
}

// String returns the canonical form (allocates; not for hot paths).
func (u UUID) String() string {
	var b [36]byte
	return string(u.AppendTo(b[:0]))
}

// ParseUUID parses the canonical 36-character form, either case.
func ParseUUID(s string) (UUID, bool) {
	var u UUID
	if len(s) != 36 {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, true
}

// MustParseUUID is ParseUUID for package-level tables; it panics on a
// malformed literal (a programming error, never wire input).
func MustParseUUID(s string) UUID {
	u, ok := ParseUUID(s)
	if !ok {
		panic("dissect: bad UUID literal " + s)
	}
	return u
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// SyntaxID is an interface or transfer syntax identifier: a UUID and a
// version (major, minor).
type SyntaxID struct {
	UUID  UUID
	Major uint16
	Minor uint16
}

// Well-known syntaxes and interfaces used across the decoders.
var (
	// NDR20 is the NDR 2.0 transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.
	NDR20 = MustParseUUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
	// NDR64 is the NDR64 transfer syntax 71710533-beba-4937-8319-b5dbef9ccc36 v1.
	NDR64 = MustParseUUID("71710533-beba-4937-8319-b5dbef9ccc36")
	// EPMv4 is the endpoint mapper interface e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0.
	EPMv4 = MustParseUUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa")
	// IObjectExporter is the DCOM OXID resolver 99fcfec4-5260-101b-bbcb-00aa0021347a v0.0.
	IObjectExporter = MustParseUUID("99fcfec4-5260-101b-bbcb-00aa0021347a")
	// IRemoteActivation is 4d9f4ab8-7d1c-11cf-861e-0020af6e7c57 v0.0 (RemoteActivation).
	IRemoteActivation = MustParseUUID("4d9f4ab8-7d1c-11cf-861e-0020af6e7c57")
	// IRemoteSCMActivator is 000001a0-0000-0000-c000-000000000046 v0.0
	// (ISystemActivator: RemoteGetClassObject 3, RemoteCreateInstance 4).
	IRemoteSCMActivator = MustParseUUID("000001a0-0000-0000-c000-000000000046")
)
