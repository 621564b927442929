package source

import (
	"errors"
	"strconv"
	"strings"
)

// TruncatedError reports a capture file that ends inside a record, as
// files copied from a running capture often do. Every frame before Frame
// was delivered; Frame is the number the cut record would have had (tshark
// counts only the complete frames before it). Err is io.ErrUnexpectedEOF.
type TruncatedError struct {
	Name  string
	Frame int
	Err   error
}

func (e *TruncatedError) Error() string {
	return "source: " + e.Name + ": file cut short in frame " + strconv.Itoa(e.Frame) + ": " + e.Err.Error()
}

// Unwrap returns io.ErrUnexpectedEOF.
func (e *TruncatedError) Unwrap() error { return e.Err }

// FormatError reports a structurally invalid capture file. Frame is the
// record being read when the problem was found (0 for the file header).
type FormatError struct {
	Name  string
	Frame int
	Err   error
}

func (e *FormatError) Error() string {
	where := "file header"
	if e.Frame > 0 {
		where = "frame " + strconv.Itoa(e.Frame)
	}
	return "source: " + e.Name + ": corrupt capture at " + where + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *FormatError) Unwrap() error { return e.Err }

// NotCaptureError reports input that is not a pcap or pcapng file (or a
// gzip-compressed one). Found says what it looks like instead.
type NotCaptureError struct {
	Name  string
	Found string // e.g. "a zip archive", "text", "an empty file"
	Magic []byte // up to the first 8 bytes
}

func (e *NotCaptureError) Error() string {
	s := "source: " + e.Name + " is not a pcap or pcapng capture: found " + e.Found
	if len(e.Magic) > 0 {
		s += " (first bytes " + hexBytes(e.Magic) + ")"
	}
	return s
}

func hexBytes(b []byte) string {
	const hx = "0123456789abcdef"
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteByte(hx[c>>4])
		sb.WriteByte(hx[c&15])
	}
	return sb.String()
}

// pcapngError is a pcapng structure error found by the block checker; Next
// returns it wrapped in a FormatError.
type pcapngError string

func (e pcapngError) Error() string { return "pcapng: " + string(e) }

// ErrLookahead means a run of non-packet pcapng blocks between two packets
// is larger than the reader's look-ahead buffer (1 MiB); see the package
// documentation.
var ErrLookahead = errors.New("pcapng: non-packet blocks between two packets exceed the 1 MiB look-ahead")
