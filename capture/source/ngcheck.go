package source

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"

	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// pcapng block types.
const (
	ngSHB = 0x0a0d0d0a // section header
	ngIDB = 0x00000001 // interface description
	ngPB  = 0x00000002 // packet (obsolete)
	ngSPB = 0x00000003 // simple packet
	ngISB = 0x00000005 // interface statistics
	ngEPB = 0x00000006 // enhanced packet

	ngByteOrderMagic = 0x1a2b3c4d
	ngMaxCtlBlock    = 256 << 10 // largest SHB/IDB/ISB accepted
	ngMaxInterfaces  = 4096      // per section
	ngOptTSResol     = 9         // if_tsresol
)

// ngIface is what the checker keeps of an interface description.
type ngIface struct {
	linkType decode.LinkType
	snapLen  uint32 // after clamping to MaxPacketLen
}

// ngCheck validates pcapng blocks in the shared bufio.Reader before
// gopacket's NgReader consumes them, and keeps the real (16-bit) link type
// of every interface of the current section.
//
// pcapgo v1.1.19 trusts the file: a tsresol exponent of 64 or more divides
// by zero, an interface snap length or packet capture length of up to 4 GiB
// sizes its packet buffer, block and option lengths below their minimum
// underflow, and a packet block cut short reads as a clean io.EOF. Before
// each ZeroCopyReadPacketData call, check walks (with Peek, so without
// copying) every block NgReader is about to read up to and including the
// next packet block's header and rejects what pcapgo would mishandle. It
// skips unknown blocks at the head itself, as NgReader would. The one value
// it rewrites in place (in the bufio buffer, before NgReader reads it) is an
// interface snap length above MaxPacketLen, which becomes MaxPacketLen.
type ngCheck struct {
	be     bool
	ifaces []ngIface
}

func (c *ngCheck) u16(b []byte) uint16 {
	if c.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (c *ngCheck) u32(b []byte) uint32 {
	if c.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// errNgTruncated means the stream ends inside a block.
var errNgTruncated = errors.New("pcapng block cut short")

// peek returns br.Peek(n), mapping a short result to errNgTruncated and a
// request beyond the buffer to ErrLookahead.
func peek(br *bufio.Reader, n int) ([]byte, error) {
	b, err := br.Peek(n)
	if len(b) == n {
		return b, nil
	}
	if err == bufio.ErrBufferFull {
		return nil, ErrLookahead
	}
	if err == nil || err == io.EOF {
		err = errNgTruncated
	}
	return nil, err
}

// sectionHeader validates the section header block at the reader's head
// (the file's first block) and starts a new section.
func (c *ngCheck) sectionHeader(br *bufio.Reader) error {
	_, _, err := c.block(br, 0)
	return err
}

// next validates the blocks from the reader's position up to and including
// the header of the next packet block. It returns io.EOF when the input
// ends exactly at a block boundary before any packet block, errNgTruncated
// when it ends inside a block, and a pcapngError or ErrLookahead for
// structure pcapgo would mishandle.
func (c *ngCheck) next(br *bufio.Reader) error {
	off := 0
	for {
		// The input may end at any block boundary, also after trailing
		// statistics or other non-packet blocks.
		if b, err := br.Peek(off + 1); len(b) == off {
			switch err {
			case nil, io.EOF:
				return io.EOF
			case bufio.ErrBufferFull:
				return ErrLookahead
			}
			return err
		}
		n, packet, err := c.block(br, off)
		if err != nil {
			return err
		}
		if packet {
			return nil
		}
		if n < 0 { // an unknown block at the head: skip it as NgReader would
			if _, err := br.Discard(-n); err != nil {
				return errNgTruncated
			}
			continue
		}
		off += n
	}
}

// block checks the block at offset off of the reader's buffered data. It
// returns the block's length and whether it is a packet block; an unknown
// block at offset 0 is reported with a negative length for the caller to
// discard.
func (c *ngCheck) block(br *bufio.Reader, off int) (n int, packet bool, err error) {
	h, err := peek(br, off+8)
	if err != nil {
		return 0, false, err
	}
	typ := binary.LittleEndian.Uint32(h[off:]) // the SHB type reads the same in both orders
	if typ == ngSHB {
		h, err = peek(br, off+12)
		if err != nil {
			return 0, false, err
		}
		switch {
		case binary.BigEndian.Uint32(h[off+8:]) == ngByteOrderMagic:
			c.be = true
		case binary.LittleEndian.Uint32(h[off+8:]) == ngByteOrderMagic:
			c.be = false
		default:
			return 0, false, pcapngError("section header with a bad byte-order magic")
		}
	} else {
		typ = c.u32(h[off:])
	}
	blen := c.u32(h[off+4:])
	if blen < 12 || blen%4 != 0 {
		return 0, false, pcapngError("block length " + itoa(int(blen)) + " is not a multiple of 4 of at least 12")
	}
	switch typ {
	case ngSHB:
		b, err := c.ctlBlock(br, off, blen, 28)
		if err != nil {
			return 0, false, err
		}
		if err := c.options(b[24 : len(b)-4]); err != nil {
			return 0, false, err
		}
		c.ifaces = c.ifaces[:0]
		return int(blen), false, nil
	case ngIDB:
		b, err := c.ctlBlock(br, off, blen, 20)
		if err != nil {
			return 0, false, err
		}
		if len(c.ifaces) >= ngMaxInterfaces {
			return 0, false, pcapngError("more than " + itoa(ngMaxInterfaces) + " interfaces in a section")
		}
		if err := c.options(b[16 : len(b)-4]); err != nil {
			return 0, false, err
		}
		if err := c.tsresol(b[16 : len(b)-4]); err != nil {
			return 0, false, err
		}
		snap := c.u32(b[12:])
		if snap > MaxPacketLen {
			// pcapgo sizes its packet buffer from this value; the
			// bytes are rewritten before NgReader reads them.
			snap = MaxPacketLen
			if c.be {
				binary.BigEndian.PutUint32(b[12:], snap)
			} else {
				binary.LittleEndian.PutUint32(b[12:], snap)
			}
		}
		c.ifaces = append(c.ifaces, ngIface{linkType: decode.LinkType(c.u16(b[8:])), snapLen: snap})
		return int(blen), false, nil
	case ngISB:
		b, err := c.ctlBlock(br, off, blen, 24)
		if err != nil {
			return 0, false, err
		}
		if id := c.u32(b[8:]); int64(id) >= int64(len(c.ifaces)) {
			return 0, false, pcapngError("statistics for undefined interface " + itoa(int(id)))
		}
		return int(blen), false, c.options(b[20 : len(b)-4])
	case ngEPB, ngPB:
		if blen < 32 {
			return 0, false, pcapngError("packet block length " + itoa(int(blen)) + " below 32")
		}
		b, err := peek(br, off+28)
		if err != nil {
			return 0, false, err
		}
		b = b[off:]
		var id uint32
		if typ == ngEPB {
			id = c.u32(b[8:])
		} else {
			id = uint32(c.u16(b[8:]))
		}
		if int64(id) >= int64(len(c.ifaces)) {
			return 0, false, pcapngError("packet on undefined interface " + itoa(int(id)))
		}
		caplen := c.u32(b[20:])
		if caplen > MaxPacketLen || uint64(caplen)+32 > uint64(blen) {
			return 0, false, pcapngError("packet capture length " + itoa(int(caplen)) + " does not fit its " + itoa(int(blen)) + "-byte block")
		}
		return int(blen), true, nil
	case ngSPB:
		if blen < 16 {
			return 0, false, pcapngError("simple packet block length " + itoa(int(blen)) + " below 16")
		}
		b, err := peek(br, off+12)
		if err != nil {
			return 0, false, err
		}
		if len(c.ifaces) == 0 {
			return 0, false, pcapngError("simple packet block before any interface")
		}
		caplen := c.u32(b[off+8:]) // pcapgo reads the original length, cut to the snap length
		if s := c.ifaces[0].snapLen; s != 0 && caplen > s {
			caplen = s
		}
		if caplen > MaxPacketLen || uint64(caplen)+16 > uint64(blen) {
			return 0, false, pcapngError("simple packet length " + itoa(int(caplen)) + " does not fit its " + itoa(int(blen)) + "-byte block")
		}
		return int(blen), true, nil
	}
	if off == 0 {
		return -int(blen), false, nil
	}
	return int(blen), false, nil
}

// ctlBlock peeks a whole control block and returns it (from its type
// field to its trailing length).
func (c *ngCheck) ctlBlock(br *bufio.Reader, off int, blen, min uint32) ([]byte, error) {
	if blen < min {
		return nil, pcapngError("block length " + itoa(int(blen)) + " below its minimum " + itoa(int(min)))
	}
	if blen > ngMaxCtlBlock {
		return nil, pcapngError("control block of " + itoa(int(blen)) + " bytes exceeds " + itoa(ngMaxCtlBlock))
	}
	b, err := peek(br, off+int(blen))
	if err != nil {
		return nil, err
	}
	return b[off:], nil
}

// options checks that every option in b (a block's option area, without
// the trailing block length) lies inside it.
func (c *ngCheck) options(b []byte) error {
	for len(b) >= 4 {
		code, l := c.u16(b), int(c.u16(b[2:]))
		if code == 0 {
			return nil
		}
		if 4+(l+3)&^3 > len(b) {
			return pcapngError("option " + itoa(int(code)) + " of length " + itoa(l) + " runs past its block")
		}
		b = b[4+(l+3)&^3:]
	}
	if len(b) != 0 {
		return pcapngError("option area with a partial option header")
	}
	return nil
}

// tsresol rejects an if_tsresol whose unit pcapgo cannot represent (a power
// of ten above 10^19 or of two above 2^63 makes its divisor zero or wrap)
// and one whose length is not 1: pcapgo then reads the first byte left in
// its option buffer by an earlier option (of any block), for example 'r'
// (114) from an application name, and divides by zero.
func (c *ngCheck) tsresol(b []byte) error {
	for len(b) >= 4 {
		code, l := c.u16(b), int(c.u16(b[2:]))
		if code == 0 {
			return nil
		}
		if code == ngOptTSResol {
			if l != 1 {
				return pcapngError("timestamp resolution option of length " + itoa(l) + ", not 1")
			}
			v := b[4]
			if (v&0x80 == 0 && v > 19) || (v&0x80 != 0 && v&0x7f > 63) {
				return pcapngError("unsupported timestamp resolution " + itoa(int(v)))
			}
		}
		b = b[4+(l+3)&^3:]
	}
	return nil
}

// linkType returns the link type of interface i of the current section.
func (c *ngCheck) linkType(i int) decode.LinkType {
	if i >= 0 && i < len(c.ifaces) {
		return c.ifaces[i].linkType
	}
	return 0
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
