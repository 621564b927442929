package decode

import "errors"

// Sentinel errors returned by Decode. They are package-level values so that
// returning them does not allocate.
var (
	// ErrLinkType means the frame's link type is not one the Decoder
	// supports; CheckLinkType builds a message naming it.
	ErrLinkType = errors.New("decode: unsupported link type")
	// ErrTruncated means a header ran past the captured bytes (snap length
	// or a cut frame). The Packet holds what was decoded before it.
	ErrTruncated = errors.New("decode: header truncated")
	// ErrMalformed means a header is internally inconsistent (bad length
	// field, bad IP version, too many VLAN tags or extension headers).
	ErrMalformed = errors.New("decode: malformed header")
)
