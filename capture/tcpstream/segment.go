package tcpstream

import (
	"errors"
	"time"
)

// ErrNeedMore is what a [Framer] returns when b is too short to tell whether
// a PDU starts at b[0], or how long it is.
var ErrNeedMore = errors.New("tcpstream: need more bytes to frame a PDU")

// Framer reports the length n > 0 of the PDU that starts at b[0]. It returns
// ErrNeedMore (possibly wrapped) when it needs more bytes to decide, and any
// other error when b[0] cannot be the start of a PDU; the stream then
// resynchronises by trying the framer at each following byte. With such an
// error a framer may also return n > 1 to say that no PDU starts at any of
// b[0:n] (for instance, none before the next occurrence of a fixed first
// byte): the stream skips those bytes at once, exactly as if the framer had
// rejected each of them (n beyond len(b) counts as len(b); n <= 1 as one
// byte). This only saves calls, so it must never skip a byte that could
// start a PDU. A framer must
// look only at b, keep no reference to it, and not allocate; it should check
// as much of the header as it can, because the quality of resynchronisation
// after a loss is the quality of its "no".
type Framer func(b []byte) (n int, err error)

// Flags holds the TCP control bits, as in the header's flags byte:
//
//	bit:  7   6   5   4   3   2   1   0
//	     CWR ECE URG ACK PSH RST SYN FIN
type Flags uint8

// The TCP control bits.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

var flagNames = [8]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}

// String returns the set bits joined by "|", e.g. "SYN|ACK", or "none".
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	var b []byte
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, '|')
			}
			b = append(b, n...)
		}
	}
	return string(b)
}

// Segment is one TCP segment as the caller decoded it.
type Segment struct {
	Seq     uint32 // sequence number of the first payload byte (of the SYN when Flags has SYN)
	Ack     uint32 // acknowledgement number, meaningful when Flags has ACK
	Flags   Flags
	Payload []byte    // not retained after Push or Segment returns
	Frame   uint64    // 1-based frame number in the capture
	Time    time.Time // capture timestamp of the frame
}

// PDU is one complete protocol data unit cut out of a stream by the framer.
type PDU struct {
	// Data holds the PDU's bytes. It aliases either the segment payload
	// (Copied false) or the stream's reused buffer (Copied true), and is
	// valid only until the handler returns: copy what must outlive it.
	Data []byte
	// Seq is the TCP sequence number of Data[0].
	Seq uint32
	// From is the role of the endpoint that sent the PDU (set by [Conn];
	// Client for a Stream used on its own).
	From Role
	// FirstFrame and LastFrame are the lowest and highest frame numbers of
	// the segments that contributed bytes (equal when one segment carried
	// the whole PDU). With more than a few dozen segments buffered at once
	// the stream may merge its records, and FirstFrame may then name an
	// earlier frame of the same stream than the true first contributor.
	FirstFrame, LastFrame uint64
	// Time is the capture time of LastFrame.
	Time time.Time
	// Copied reports that Data was reassembled in the stream's buffer
	// rather than aliasing a single segment.
	Copied bool
	// AfterGap reports that bytes were lost or skipped in this direction
	// between the previous PDU and this one.
	AfterGap bool
}

// PDUHandler receives the PDUs a [Stream] cuts. PDU must not call back into
// the stream (or its [Conn]).
type PDUHandler interface {
	PDU(p *PDU)
}

// PDUFunc adapts a function to PDUHandler.
type PDUFunc func(p *PDU)

// PDU calls f(p).
func (f PDUFunc) PDU(p *PDU) { f(p) }
