package source

import (
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// Info describes one captured frame.
type Info struct {
	// Frame is the 1-based record number, counted the way tshark counts
	// frames: every packet record in the file, including ones whose link
	// type or contents cannot be decoded.
	Frame     int
	Timestamp time.Time
	// CaptureLength is len(data); Length is the frame's length on the wire
	// (larger when the capture's snap length cut it).
	CaptureLength int
	Length        int
	// LinkType is the frame's link type: the file's for classic pcap and
	// live captures, the interface's for pcapng (interfaces may differ).
	LinkType decode.LinkType
	// InterfaceIndex is the pcapng interface the frame was captured on (0
	// for classic pcap and live sources).
	InterfaceIndex int
}

// Source delivers captured frames in order.
type Source interface {
	// Next returns the next frame. data is valid only until the following
	// call to Next. At the end of the input it returns io.EOF; a file that
	// ends inside a record returns a *TruncatedError after every complete
	// frame before it was delivered. Errors are sticky.
	Next() (data []byte, ci Info, err error)
	// Close releases the source. For a live source it may be called from
	// another goroutine to stop a blocked Next, which then returns io.EOF.
	Close() error
}

// Format is the container format of a file source.
type Format uint8

// Formats a File can read.
const (
	FormatUnknown Format = iota
	FormatPcap           // classic libpcap format, µs or ns timestamps, either byte order
	FormatPcapNG         // pcapng, any number of sections and interfaces
)

var formatNames = [...]string{FormatUnknown: "unknown", FormatPcap: "pcap", FormatPcapNG: "pcapng"}

// String returns "pcap", "pcapng" or "unknown".
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// MaxPacketLen is the largest record accepted, as in Wireshark
// (WTAP_MAX_PACKET_SIZE_STANDARD). Larger records are treated as file
// corruption; it also bounds the reader's packet buffer, which pcapgo would
// otherwise size from the file's snap length.
const MaxPacketLen = 262144

// bufSize is the read-ahead buffer of a file source.
const bufSize = 1 << 20
