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
// 1 MiB bufio.Reader, and parses classic pcap records in place out of its
// own fixed 1 MiB buffer (pcapBuf).
// A File is not safe for concurrent use, except Progress.
type File struct {
	name     string
	closer   io.Closer
	counter  *countingReader
	total    int64
	format   Format
	gz       *gzip.Reader
	br       *bufio.Reader // pcapng only
	ng       *pcapgo.NgReader
	check    ngCheck
	pc       pcapBuf         // classic pcap only
	linkType decode.LinkType // classic pcap: the file's link type
	frame    int
	err      error // sticky
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
	return newFileBuf(r, name, size, closer, pcapBufSize)
}

// newFileBuf is newFile with a classic pcap read buffer of pcapBuf bytes;
// tests make it small to cross its end often.
//
// The format is judged from the first 8 bytes, read by hand rather than
// peeked, so that classic pcap input never passes through a bufio.Reader:
// the pcapBuf reads the input (or the gzip stream) itself. pcapng and the
// compressed side of gzip input get their bufio.Reader afterwards, over a
// prefixReader that hands back the bytes already read.
func newFileBuf(r io.Reader, name string, size int64, closer io.Closer, pcapBuf int) (*File, error) {
	f := &File{name: name, closer: closer, total: size, counter: &countingReader{r: r}}
	var in io.Reader = f.counter
	p := &prefixReader{r: in}
	n, rerr := readHead(in, p.head[:8])
	if n >= 2 && p.head[0] == magicGzip[0] && p.head[1] == magicGzip[1] {
		p.pre, p.err = p.head[:n], rerr
		gz, err := gzip.NewReader(bufio.NewReaderSize(p, bufSize))
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, &TruncatedError{Name: name, Frame: 1, Err: io.ErrUnexpectedEOF}
			}
			return nil, &FormatError{Name: name, Err: err}
		}
		f.gz = gz
		in = gz
		p = &prefixReader{r: in}
		n, rerr = readHead(in, p.head[:8])
	}
	format, found := sniff(p.head[:n])
	switch format {
	case FormatPcap:
		return f, f.openPcap(in, &p.head, n, rerr, pcapBuf)
	case FormatPcapNG:
		p.pre, p.err = p.head[:n], rerr
		f.br = bufio.NewReaderSize(p, bufSize)
		return f, f.openPcapNG()
	}
	if f.gz != nil {
		found = "gzip-compressed " + found
	}
	return nil, &NotCaptureError{Name: name, Found: found, Magic: append([]byte(nil), p.head[:n]...)}
}

// openPcap reads the rest of the 24-byte file header after the n bytes of
// head already read from in (rerr: the error the last read returned, if
// any), and sets up the record buffer over in.
func (f *File) openPcap(in io.Reader, head *[24]byte, n int, rerr error, bufLen int) error {
	f.format = FormatPcap
	if rerr == nil {
		var k int
		k, rerr = readHead(in, head[n:])
		n += k
	}
	if n < len(head) {
		return f.headerErr(rerr)
	}
	h := head[:]
	be := h[0] == 0xa1                    // a1 b2 c3 d4 / a1 b2 3c 4d
	nanos := h[2] == 0x3c || h[1] == 0x3c // a1 b2 3c 4d / 4d 3c b2 a1
	var network uint32
	if be {
		network = binary.BigEndian.Uint32(h[20:24])
	} else {
		network = binary.LittleEndian.Uint32(h[20:24])
	}
	// The upper bits of the network field carry FCS information; the
	// link type is the low 16 bits.
	f.linkType = decode.LinkType(network & 0xffff)
	// Only version 2.4 exists (sniff has checked the magic). The messages
	// are the ones pcapgo, which used to judge the header, gave. The snap
	// length is not used: records up to MaxPacketLen are accepted.
	major, minor := binary.LittleEndian.Uint16(h[4:6]), binary.LittleEndian.Uint16(h[6:8])
	if be {
		major, minor = binary.BigEndian.Uint16(h[4:6]), binary.BigEndian.Uint16(h[6:8])
	}
	if major != 2 {
		return &FormatError{Name: f.name, Err: errors.New("Unknown major version " + itoa(int(major)))}
	}
	if minor != 4 {
		return &FormatError{Name: f.name, Err: errors.New("Unknown minor version " + itoa(int(minor)))}
	}
	f.pc.init(in, rerr, bufLen)
	f.pc.be, f.pc.nanos = be, nanos
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
	data, err = f.NextInto(&ci)
	return data, ci, err
}

// NextInto is Next filling *ci (every field) rather than returning an Info:
// a caller that keeps its Info saves a copy per frame, whose wide loads of
// the narrow stores just made stall the CPU (store forwarding fails).
func (f *File) NextInto(ci *Info) (data []byte, err error) {
	*ci = Info{}
	if f.err != nil {
		return nil, f.err
	}
	if f.format == FormatPcapNG {
		data, *ci, err = f.nextNG()
	} else {
		data, err = f.nextPcap(ci)
	}
	if err != nil {
		f.err = err
		*ci = Info{}
		return nil, err
	}
	f.frame++
	ci.Frame = f.frame
	return data, nil
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
// its data in place in the read buffer, valid until the next call (only a
// later fill moves or overwrites it). It allocates nothing but the error of
// a corrupt record. Every length is checked before use: the captured length
// against MaxPacketLen, then against the bytes available (fill refuses a
// need larger than the buffer), so no slice expression can fail and no
// allocation depends on the file.
func (f *File) nextPcap(ci *Info) ([]byte, error) {
	b := &f.pc
	if b.end-b.off < pcapRecHdr {
		if err := b.fill(pcapRecHdr); err != nil {
			return nil, f.pcapErr(err)
		}
	}
	h := (*[pcapRecHdr]byte)(b.buf[b.off:])
	var sec, frac, caplen, origlen uint32
	if b.be {
		sec, frac = binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint32(h[4:8])
		caplen, origlen = binary.BigEndian.Uint32(h[8:12]), binary.BigEndian.Uint32(h[12:16])
	} else {
		sec, frac = binary.LittleEndian.Uint32(h[0:4]), binary.LittleEndian.Uint32(h[4:8])
		caplen, origlen = binary.LittleEndian.Uint32(h[8:12]), binary.LittleEndian.Uint32(h[12:16])
	}
	// Accept records up to MaxPacketLen whatever the header's snap length
	// says (as Wireshark does), and captured lengths above the original
	// length too (tshark accepts them; pcapgo does not).
	if caplen > MaxPacketLen {
		return nil, f.overMax(caplen)
	}
	n := pcapRecHdr + int(caplen)
	if b.end-b.off < n {
		if err := b.fill(n); err != nil {
			return nil, f.corrupt(err)
		}
	}
	rec := b.buf[b.off : b.off+n : b.off+n]
	b.off += n
	ns := int64(frac)
	if !b.nanos {
		ns *= 1000
	}
	ci.Timestamp = time.Unix(int64(sec), ns).UTC()
	ci.CaptureLength, ci.Length, ci.LinkType = int(caplen), int(origlen), f.linkType
	return rec[pcapRecHdr:], nil
}

// pcapErr turns the error of a fill for a record header into io.EOF at a
// clean end of input and into a typed error otherwise.
func (f *File) pcapErr(err error) error {
	if f.pc.end == f.pc.off && err == io.EOF {
		return io.EOF
	}
	return f.corrupt(err)
}

// overMax reports a record longer than MaxPacketLen.
func (f *File) overMax(caplen uint32) error {
	return &FormatError{Name: f.name, Frame: f.frame + 1,
		Err: errors.New("pcap: record of " + itoa(int(caplen)) + " bytes exceeds the " + itoa(MaxPacketLen) + "-byte maximum")}
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
