package ndr

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// String is an NDR [string] array as it was on the wire: its counts and
// actual_count characters of Width bytes (1 for char/byte, 2 for wchar_t,
// UTF-16 in the stub's byte order), terminator included. Raw aliases the
// stub.
type String struct {
	Header ArrayHeader
	Raw    []byte
	Width  uint8
	LE     bool
}

// nulIndex returns the index (in characters) of the first NUL, or -1.
func (s *String) nulIndex() int {
	if s.Width == 2 {
		for i := 0; i+1 < len(s.Raw); i += 2 {
			if s.Raw[i] == 0 && s.Raw[i+1] == 0 {
				return i / 2
			}
		}
		return -1
	}
	for i, c := range s.Raw {
		if c == 0 {
			return i
		}
	}
	return -1
}

// Len is the number of characters before the first NUL (all of them when
// there is none).
func (s *String) Len() int {
	if i := s.nulIndex(); i >= 0 {
		return i
	}
	return len(s.Raw) / int(max(s.Width, 1))
}

// Bytes returns the characters before the first NUL as raw bytes (Width
// bytes per character). It aliases the stub.
func (s *String) Bytes() []byte { return s.Raw[:s.Len()*int(max(s.Width, 1))] }

// AppendUTF8 appends the characters before the first NUL to dst as UTF-8:
// bytes are taken as Latin-1 when Width is 1 (ASCII passes through
// unchanged), UTF-16 is decoded when Width is 2. Invalid UTF-16 becomes
// U+FFFD. It does not allocate when dst has room.
func (s *String) AppendUTF8(dst []byte) []byte {
	n := s.Len()
	if s.Width != 2 {
		for _, c := range s.Raw[:n] {
			if c < utf8.RuneSelf {
				dst = append(dst, c)
			} else {
				dst = utf8.AppendRune(dst, rune(c))
			}
		}
		return dst
	}
	for i := 0; i < n; i++ {
		c := rune(dissect.U16(s.Raw, 2*i, s.LE))
		if utf16.IsSurrogate(c) && i+1 < n {
			if r := utf16.DecodeRune(c, rune(dissect.U16(s.Raw, 2*i+2, s.LE))); r != utf8.RuneError {
				dst = utf8.AppendRune(dst, r)
				i++
				continue
			}
		}
		if utf16.IsSurrogate(c) {
			c = utf8.RuneError
		}
		dst = utf8.AppendRune(dst, c)
	}
	return dst
}

// stringBody reads the characters after the counts and checks the
// terminator. Offsets of the anomalies are those of the characters.
func (r *Reader) stringBody(s *String, width int) {
	if r.err != nil || !r.fits(s.Header.ActualCount, width) {
		return
	}
	if s.Header.Offset != 0 {
		r.Anomaly(dissect.AnomNDRStringOffset, s.Header.Off, s.Header.Offset, 0)
	}
	start := r.off
	s.Raw = r.Octets(int(s.Header.ActualCount) * width)
	n := int(s.Header.ActualCount)
	switch i := s.nulIndex(); {
	case i < 0:
		r.Anomaly(dissect.AnomNDRStringUnterminated, start, uint32(n), 0)
	case i < n-1:
		r.Anomaly(dissect.AnomNDRStringEmbeddedNUL, start+i*width, uint32(i), uint32(n))
	}
}

func strWidth(width int) int {
	if width == 2 {
		return 2
	}
	return 1
}

// VaryingString reads a [string] array of fixed declared size bound
// characters (0: no bound): offset, actual_count, then the characters.
// Width is 1 or 2 (anything else is read as 1). A non-zero offset, a length
// above bound, a missing terminator or an early NUL are recorded as
// anomalies; an actual_count that cannot fit stops the Reader (ErrLength).
func (r *Reader) VaryingString(width int, bound uint32) String {
	width = strWidth(width)
	r.Align(r.countSize())
	s := String{Header: ArrayHeader{Off: r.off, Varying: true, MaxCount: bound}, Width: uint8(width), LE: r.le}
	s.Header.Offset = r.count()
	s.Header.ActualCount = r.count()
	if r.err != nil {
		return s
	}
	if bound != 0 && s.Header.ActualCount > bound {
		r.Anomaly(dissect.AnomNDRStringTooLong, s.Header.Off, s.Header.ActualCount, bound)
	}
	r.stringBody(&s, width)
	return s
}

// ConformantVaryingString reads a conformant [string] array: max_count,
// offset, actual_count, then the characters, with the checks of
// [Reader.VaryingString] plus offset+actual_count <= max_count
// (AnomNDRVaryingBounds).
func (r *Reader) ConformantVaryingString(width int) String {
	width = strWidth(width)
	r.Align(r.countSize())
	s := String{Header: ArrayHeader{Off: r.off, Conformant: true, Varying: true}, Width: uint8(width), LE: r.le}
	s.Header.MaxCount = r.count()
	s.Header.Offset = r.count()
	s.Header.ActualCount = r.count()
	if r.err != nil {
		return s
	}
	if uint64(s.Header.Offset)+uint64(s.Header.ActualCount) > uint64(s.Header.MaxCount) {
		r.Anomaly(dissect.AnomNDRVaryingBounds, s.Header.Off,
			sat32(uint64(s.Header.Offset)+uint64(s.Header.ActualCount)), s.Header.MaxCount)
	}
	r.stringBody(&s, width)
	return s
}
