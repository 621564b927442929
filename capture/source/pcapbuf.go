package source

import (
	"errors"
	"io"
)

// pcapBufSize is the read buffer of a classic pcap File; it must hold the
// largest record, 16+MaxPacketLen bytes. 384 KiB to 2 MiB ran rpcwatch read
// on the 1 M-packet EPM corpus at the same speed within the noise, and
// 300 KiB to 4 MiB read it alone at the same speed.
const pcapBufSize = 1 << 20

// pcapRecHdr is the size of a classic pcap record header:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    timestamp, seconds                         |
//	+---------------------------------------------------------------+
//	|        timestamp, microseconds or nanoseconds (by magic)      |
//	+---------------------------------------------------------------+
//	|               captured length (bytes that follow)             |
//	+---------------------------------------------------------------+
//	|                  original length on the wire                  |
//	+---------------------------------------------------------------+
//
// in the byte order of the file header's magic number.
const pcapRecHdr = 16

// maxEmptyReads is how many reads in a row may return no bytes and no
// error before fill gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

var (
	errRecordOverBuffer = errors.New("pcap: record larger than the read buffer")
	errReadCount        = errors.New("pcap: input returned an invalid byte count")
)

// pcapBuf is the read buffer classic pcap records are parsed from in
// place: one fixed slice allocated when the file is opened, of which
// buf[off:end] has been read but not consumed. fill, called only when the
// next record runs past end, moves that unconsumed tail (less than one
// record) to the front and reads into the rest of the buffer with as few
// Read calls as the input allows.
//
// Allocation: none after init; nothing is ever sized from the input.
// Security: fill never reads past len(buf) and reports a need larger than
// the buffer as an error, whatever the caller asks; the caller bounds the
// record length before asking.
type pcapBuf struct {
	r        io.Reader
	buf      []byte
	off, end int
	err      error // the error of the last Read (io.EOF at the end); r is not read after it
	be       bool  // big-endian file
	nanos    bool  // nanosecond timestamps
}

// init sets up a buffer of size bytes reading from r; err is an error r
// already returned, reported when the buffer runs dry instead of reading r
// again.
func (b *pcapBuf) init(r io.Reader, err error, size int) {
	b.r, b.err, b.buf, b.off, b.end = r, err, make([]byte, size), 0, 0
}

// fill makes need bytes available at buf[off:off+need], moving the
// unconsumed bytes to the front of the buffer first. It returns nil when
// they are available, and otherwise the error that ended the input, with
// whatever did arrive in buf[off:end]: io.EOF, the input's own error,
// io.ErrNoProgress after maxEmptyReads empty reads, or
// errRecordOverBuffer when need exceeds the buffer. It never calls Read
// with an empty slice, and never reads r again after an error.
func (b *pcapBuf) fill(need int) error {
	if need > len(b.buf) {
		return errRecordOverBuffer
	}
	if b.off > 0 {
		b.end = copy(b.buf, b.buf[b.off:b.end])
		b.off = 0
	}
	empty := 0
	for b.end < need {
		if b.err != nil {
			return b.err
		}
		free := b.buf[b.end:]
		n, err := b.r.Read(free)
		if n < 0 || n > len(free) {
			b.err = errReadCount
			continue
		}
		b.end += n
		switch {
		case err != nil:
			b.err = err
		case n > 0:
			empty = 0
		default:
			if empty++; empty >= maxEmptyReads {
				b.err = io.ErrNoProgress
			}
		}
	}
	return nil
}
