package dissect

import "errors"

// Sentinel errors returned on hot paths. They carry no offset so that
// returning them does not allocate; wrap them with [FormatError] on a cold
// path when the offset matters to a person.
var (
	// ErrShort means the input ends before a fixed-size structure does.
	ErrShort = errors.New("dissect: input too short")
	// ErrVersion means the PDU is not DCE/RPC v5 (CO) or v4 (CL).
	ErrVersion = errors.New("dissect: not a DCE/RPC version this decoder handles")
	// ErrLength means a declared length disagrees with the bytes available
	// in a way that makes the structure undecodable.
	ErrLength = errors.New("dissect: declared length inconsistent with data")
	// ErrLimit means an explicit resource bound (count, bytes, depth) was
	// reached; the input may be valid but exceeds what the caller allowed.
	ErrLimit = errors.New("dissect: limit exceeded")
	// ErrType means the PDU type or opnum is not the one the decoder expects.
	ErrType = errors.New("dissect: unexpected PDU type or operation")
	// ErrMalformed means the structure is internally inconsistent.
	ErrMalformed = errors.New("dissect: malformed structure")
)

// FormatError reports a decoding failure at a byte offset. It is built on
// cold paths only (it allocates when boxed as an error).
type FormatError struct {
	Off int    // byte offset in the input where the problem was found
	Msg string // what was being decoded
	Err error  // one of the sentinel errors above
}

func (e *FormatError) Error() string {
	return "dissect: " + e.Msg + " at offset " + itoa(e.Off) + ": " + e.Err.Error()
}

func (e *FormatError) Unwrap() error { return e.Err }

// itoa formats a non-negative int without fmt (fmt is kept out of this
// package's non-test files).
func itoa(v int) string {
	var b [20]byte
	return string(AppendUint(b[:0], uint64(v)))
}

// AppendUint appends the decimal form of v to dst.
func AppendUint(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// AppendHex32 appends v as 0x followed by 8 lowercase hex digits.
func AppendHex32(dst []byte, v uint32) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '0', 'x')
	for s := 28; s >= 0; s -= 4 {
		dst = append(dst, hex[(v>>uint(s))&0xf])
	}
	return dst
}
