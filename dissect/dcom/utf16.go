package dcom

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// utf16Units iterates over the 16-bit units of src (byte order le) and
// yields runes, pairing surrogates. An unpaired surrogate yields U+FFFD and
// is reported through bad (the unit index of the first one, or -1).
type utf16Units struct {
	src []byte
	le  bool
	i   int // byte offset of the next unit
	bad int
}

func (u *utf16Units) next() (rune, bool) {
	if u.i+2 > len(u.src) {
		return 0, false
	}
	c := rune(dissect.U16(u.src, u.i, u.le))
	u.i += 2
	if !utf16.IsSurrogate(c) {
		return c, true
	}
	if c < 0xdc00 && u.i+2 <= len(u.src) {
		c2 := rune(dissect.U16(u.src, u.i, u.le))
		if r := utf16.DecodeRune(c, c2); r != utf8.RuneError {
			u.i += 2
			return r, true
		}
	}
	if u.bad < 0 {
		u.bad = u.i/2 - 1
	}
	return utf8.RuneError, true
}

// transcode writes the UTF-8 form of the UTF-16 units in src into dst.
// ASCII is copied as is; other runes are UTF-8 encoded. It returns the bytes
// written, the full UTF-8 length (larger than n when dst was too small) and
// the unit index of the first unpaired surrogate or -1.
func transcode(dst, src []byte, le bool) (n, full, bad int) {
	u := utf16Units{src: src, le: le, bad: -1}
	for {
		r, ok := u.next()
		if !ok {
			return n, full, u.bad
		}
		l := 1
		if r >= utf8.RuneSelf {
			l = utf8.RuneLen(r)
		}
		// once one rune does not fit nothing more is written, so that
		// dst[:n] is always a prefix of the full text
		if n == full && n+l <= len(dst) {
			if l == 1 {
				dst[n] = byte(r)
			} else {
				utf8.EncodeRune(dst[n:], r)
			}
			n += l
		}
		full += l
	}
}

// AppendUTF16 appends the UTF-8 form of the UTF-16 units in src (byte order
// le) to dst; unpaired surrogates become U+FFFD. It does not allocate when
// dst has room.
func AppendUTF16(dst, src []byte, le bool) []byte {
	u := utf16Units{src: src, le: le, bad: -1}
	for {
		r, ok := u.next()
		if !ok {
			return dst
		}
		dst = utf8.AppendRune(dst, r)
	}
}
