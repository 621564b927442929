package source

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/google/gopacket/pcapgo"
	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// File is a Source reading a pcap or pcapng file, optionally
// gzip-compressed, from a file or any io.Reader (standard input for "-").
// It reads pcapng through gopacket/pcapgo's ZeroCopyReadPacketData over a
// 1 MiB bufio.Reader, and classic pcap records in place in that buffer.
// A File is not safe for concurrent use, except Progress.
type File struct {
	name     string
	closer   io.Closer
	counter  *countingReader
	total    int64
	format   Format
	gz       *gzip.Reader
	br       *bufio.Reader
	pcap     *pcapgo.Reader
	ng       *pcapgo.NgReader
	check    ngCheck
	linkType decode.LinkType // classic pcap: the file's link type
	be       bool            // classic pcap: big-endian file
	nanos    bool            // classic pcap: nanosecond timestamps
	frame    int
	odd      []byte // copy of a record pcapgo refuses (caplen > len); allocated on first use
	pending  int    // classic pcap: bytes of the last record, still in br (returned in place)
	err      error  // sticky
}

// countingReader counts the bytes read from the underlying input, for
// progress reports; n is read atomically by Progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Open opens a capture file; "-" reads standard input. The format (pcap,
// pcapng, either gzip-compressed) is detected from the first bytes. A
// classic pcap file whose link type the decoder does not support is
// rejected here with a *decode.LinkTypeError; pcapng interfaces are judged
// per frame by the decoder.
func Open(name string) (*File, error) {
	if name == "-" {
		size := int64(-1)
		if st, err := os.Stdin.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		return newFile(os.Stdin, "standard input", size, nil)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, &NotCaptureError{Name: name, Found: "a directory"}
	}
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	src, err := newFile(f, name, size, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}

// NewReader reads a capture from r. name is used in error messages; size
// is the input's total length for Progress, or -1 if unknown. Closing the
// File does not close r.
func NewReader(r io.Reader, name string, size int64) (*File, error) {
	return newFile(r, name, size, nil)
}

func newFile(r io.Reader, name string, size int64, closer io.Closer) (*File, error) {
	f := &File{name: name, closer: closer, total: size, counter: &countingReader{r: r}}
	f.br = bufio.NewReaderSize(f.counter, bufSize)
	head, _ := f.br.Peek(8)
	if len(head) >= 2 && head[0] == magicGzip[0] && head[1] == magicGzip[1] {
		gz, err := gzip.NewReader(f.br)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, &TruncatedError{Name: name, Frame: 1, Err: io.ErrUnexpectedEOF}
			}
			return nil, &FormatError{Name: name, Err: err}
		}
		f.gz = gz
		f.br = bufio.NewReaderSize(gz, bufSize)
		head, _ = f.br.Peek(8)
	}
	format, found := sniff(head)
	switch format {
	case FormatPcap:
		return f, f.openPcap()
	case FormatPcapNG:
		return f, f.openPcapNG()
	}
	if f.gz != nil {
		found = "gzip-compressed " + found
	}
	m := head
	if len(m) > 8 {
		m = m[:8]
	}
	return nil, &NotCaptureError{Name: name, Found: found, Magic: append([]byte(nil), m...)}
}

func (f *File) openPcap() error {
	f.format = FormatPcap
	h, err := f.br.Peek(24)
	if len(h) < 24 {
		return f.headerErr(err)
	}
	f.be = h[0] == 0xa1                    // a1 b2 c3 d4 / a1 b2 3c 4d
	f.nanos = h[2] == 0x3c || h[1] == 0x3c // a1 b2 3c 4d / 4d 3c b2 a1
	var network uint32
	if f.be {
		network = binary.BigEndian.Uint32(h[20:24])
	} else {
		network = binary.LittleEndian.Uint32(h[20:24])
	}
	// The upper bits of the network field carry FCS information; the
	// link type is the low 16 bits.
	f.linkType = decode.LinkType(network & 0xffff)
	r, err := pcapgo.NewReader(f.br)
	if err != nil {
		return &FormatError{Name: f.name, Err: err}
	}
	// Accept records up to MaxPacketLen whatever the header's snap length
	// says (as Wireshark does), and never let pcapgo size its buffer from
	// the header.
	r.SetSnaplen(MaxPacketLen)
	f.pcap = r
	return decode.CheckLinkType(f.linkType)
}

func (f *File) openPcapNG() error {
	f.format = FormatPcapNG
	if err := f.check.sectionHeader(f.br); err != nil {
		return f.headerErr(err)
	}
	r, err := pcapgo.NewNgReader(f.br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return &FormatError{Name: f.name, Err: err}
	}
	f.ng = r
	return nil
}

func (f *File) headerErr(err error) error {
	if err == nil || err == io.EOF || err == errNgTruncated || err == io.ErrUnexpectedEOF {
		return &TruncatedError{Name: f.name, Frame: 0, Err: io.ErrUnexpectedEOF}
	}
	return &FormatError{Name: f.name, Err: err}
}

// Name returns the name the File reports in errors.
func (f *File) Name() string { return f.name }

// Format returns the container format.
func (f *File) Format() Format { return f.format }

// Compressed reports whether the input is gzip-compressed.
func (f *File) Compressed() bool { return f.gz != nil }

// LinkType returns a classic pcap file's link type; for pcapng it returns
// the link type of the first interface of the current section (frames
// carry their own in Info.LinkType).
func (f *File) LinkType() decode.LinkType {
	if f.format == FormatPcapNG {
		return f.check.linkType(0)
	}
	return f.linkType
}

// Frames returns the number of frames delivered so far.
func (f *File) Frames() int { return f.frame }

// Progress returns the bytes read from the input so far and its total size
// (-1 when unknown, as for a pipe). For gzip input both count compressed
// bytes. It is safe to call from another goroutine.
func (f *File) Progress() (read, total int64) { return f.counter.n.Load(), f.total }

// Close closes the input if Open opened it.
func (f *File) Close() error {
	if f.err == nil {
		f.err = io.EOF
	}
	var err error
	if f.gz != nil {
		err = f.gz.Close()
	}
	if f.closer != nil {
		if e := f.closer.Close(); err == nil {
			err = e
		}
		f.closer = nil
	}
	return err
}

// Next returns the next frame; see Source.
func (f *File) Next() (data []byte, ci Info, err error) {
	if f.err != nil {
		return nil, Info{}, f.err
	}
	if f.format == FormatPcapNG {
		data, ci, err = f.nextNG()
	} else {
		data, err = f.nextPcap(&ci)
	}
	if err != nil {
		f.err = err
		return nil, Info{}, err
	}
	f.frame++
	ci.Frame = f.frame
	return data, ci, nil
}

func (f *File) truncated() error {
	return &TruncatedError{Name: f.name, Frame: f.frame + 1, Err: io.ErrUnexpectedEOF}
}

func (f *File) corrupt(err error) error {
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return &FormatError{Name: f.name, Frame: f.frame + 1, Err: err}
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF || err == errNgTruncated {
		return f.truncated()
	}
	return &FormatError{Name: f.name, Frame: f.frame + 1, Err: err}
}

// nextPcap reads a classic pcap record into ci (which is zero) and returns
// its data.
func (f *File) nextPcap(ci *Info) ([]byte, error) {
	// The previous record was handed out as a slice of the read buffer:
	// step over it only now, when the caller is done with it.
	if n := f.pending; n > 0 {
		f.pending = 0
		if _, err := f.br.Discard(n); err != nil {
			return nil, f.corrupt(err)
		}
	}
	h, err := f.br.Peek(16)
	if len(h) < 16 {
		if len(h) == 0 && (err == io.EOF || err == nil) {
			return nil, io.EOF
		}
		return nil, f.corrupt(err)
	}
	var sec, frac, caplen, origlen uint32
	if f.be {
		sec, frac = binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint32(h[4:8])
		caplen, origlen = binary.BigEndian.Uint32(h[8:12]), binary.BigEndian.Uint32(h[12:16])
	} else {
		sec, frac = binary.LittleEndian.Uint32(h[0:4]), binary.LittleEndian.Uint32(h[4:8])
		caplen, origlen = binary.LittleEndian.Uint32(h[8:12]), binary.LittleEndian.Uint32(h[12:16])
	}
	if caplen > MaxPacketLen {
		return nil, &FormatError{Name: f.name, Frame: f.frame + 1,
			Err: errors.New("pcap: record of " + itoa(int(caplen)) + " bytes exceeds the " + itoa(MaxPacketLen) + "-byte maximum")}
	}
	if caplen > origlen {
		data, info, err := f.oddRecord(int(caplen), int(origlen))
		*ci = info
		return data, err
	}
	// Zero copy: the record is returned in place in the read buffer
	// (bufSize > 16+MaxPacketLen, so Peek can always hold it), as pcapgo's
	// ZeroCopyReadPacketData would return it after copying it into its own.
	n := 16 + int(caplen)
	rec, err := f.br.Peek(n)
	if len(rec) < n {
		return nil, f.corrupt(err)
	}
	f.pending = n
	ns := int64(frac)
	if !f.nanos {
		ns *= 1000
	}
	ci.Timestamp = time.Unix(int64(sec), ns).UTC()
	ci.CaptureLength, ci.Length, ci.LinkType = int(caplen), int(origlen), f.linkType
	return rec[16:n:n], nil
}

// oddRecord reads a classic pcap record whose captured length exceeds its
// original length. tshark accepts such records; pcapgo rejects them before
// reading the data, which would leave it mid-record, so they are read here.
func (f *File) oddRecord(caplen, origlen int) ([]byte, Info, error) {
	rec, err := f.br.Peek(16 + caplen)
	if len(rec) < 16+caplen {
		return nil, Info{}, f.corrupt(err)
	}
	u32 := binary.LittleEndian.Uint32
	if f.be {
		u32 = binary.BigEndian.Uint32
	}
	sec, frac := int64(u32(rec[0:4])), int64(u32(rec[4:8]))
	if !f.nanos {
		frac *= 1000
	}
	if cap(f.odd) < caplen {
		f.odd = make([]byte, MaxPacketLen)
	}
	data := f.odd[:caplen]
	copy(data, rec[16:])
	if _, err := f.br.Discard(16 + caplen); err != nil {
		return nil, Info{}, f.corrupt(err)
	}
	return data, Info{Timestamp: time.Unix(sec, frac).UTC(), CaptureLength: caplen, Length: origlen, LinkType: f.linkType}, nil
}

func (f *File) nextNG() ([]byte, Info, error) {
	if err := f.check.next(f.br); err != nil {
		if err == io.EOF {
			return nil, Info{}, io.EOF
		}
		return nil, Info{}, f.corrupt(err)
	}
	data, gci, err := f.ng.ZeroCopyReadPacketData()
	if err != nil {
		// The checker saw a whole packet block header, so any end of input
		// now is inside that block.
		return nil, Info{}, f.corrupt(err)
	}
	return data, Info{Timestamp: gci.Timestamp, CaptureLength: gci.CaptureLength, Length: gci.Length,
		LinkType: f.check.linkType(gci.InterfaceIndex), InterfaceIndex: gci.InterfaceIndex}, nil
}
