package epm

import (
	"encoding/binary"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// Floor is one floor of a protocol tower:
//
//	lhs_length  u16 little-endian
//	lhs         protocol id (1 byte), then protocol-specific data
//	rhs_length  u16 little-endian
//	rhs         related data (port, address, name, minor version)
//
// Tower lengths are little-endian whatever the PDU's byte order (C706
// Appendix L); values inside the RHS follow the protocol's own convention
// (ports and IPv4 addresses are big-endian). LHS and RHS alias the tower
// octets.
type Floor struct {
	// Index is the floor's position, 0-based (floor 1 of C706 is Index 0).
	Index int
	// Off is the offset of the floor's lhs_length within the tower octets;
	// RHSOff that of its RHS data.
	Off, RHSOff int
	// Protocol is the LHS's first byte. Empty reports an LHS of length 0,
	// which has no protocol id at all (Protocol is then 0).
	Protocol ProtocolID
	Empty    bool
	// LHS is the LHS data after the protocol id.
	LHS []byte
	RHS []byte
}

// FloorIter walks the floors of one tower's octets (floor count, then the
// floors) in the style of a netlink attribute decoder: Next, Floor, and a
// sticky Err. It is bounded by the octets: every floor takes at least four
// bytes, so a hostile floor count cannot make it loop longer than the input
// allows. Structural problems are recorded as anomalies (offsets relative to
// the octets) in the list given to Reset; a walk cut short by them also sets
// Err to dissect.ErrShort.
type FloorIter struct {
	b       []byte
	off     int
	count   int
	i       int
	err     error
	f       Floor
	anom    *dissect.Anomalies
	done    bool
	flagged bool // AnomTowerFloorCount already recorded
}

// Reset starts a walk over tower octets; anomalies go to anom (may be nil).
func (it *FloorIter) Reset(octets []byte, anom *dissect.Anomalies) {
	*it = FloorIter{b: octets, anom: anom}
	if len(octets) < 2 {
		it.err = dissect.ErrShort
		it.add(dissect.AnomTruncated, 0, uint32(len(octets)), 2)
		it.done = true
		return
	}
	it.count = int(binary.LittleEndian.Uint16(octets))
	it.off = 2
	if max := (len(octets) - 2) / 4; it.count > max {
		it.add(dissect.AnomTowerFloorCount, 0, uint32(it.count), uint32(max))
		it.flagged = true
	}
}

func (it *FloorIter) add(k dissect.AnomalyKind, off int, a, b uint32) {
	if it.anom != nil {
		it.anom.Add(k, off, a, b)
	}
}

// Count is the floor count the tower declares.
func (it *FloorIter) Count() int { return it.count }

// Off is the number of octets consumed so far (the end of the last floor).
func (it *FloorIter) Off() int { return it.off }

// Err reports why the walk stopped early, or nil.
func (it *FloorIter) Err() error { return it.err }

// Floor returns the current floor; it is overwritten by the next call to
// Next.
func (it *FloorIter) Floor() *Floor { return &it.f }

// Next advances to the next floor and reports whether there is one.
func (it *FloorIter) Next() bool {
	if it.done {
		return false
	}
	if it.i >= it.count {
		it.done = true
		if rest := len(it.b) - it.off; rest > 0 {
			it.add(dissect.AnomTowerTrailingBytes, it.off, uint32(rest), 0)
		}
		return false
	}
	b, off := it.b, it.off
	if len(b)-off < 2 {
		return it.stop(dissect.AnomTowerLHSPastEnd, off, 2, uint32(len(b)-off))
	}
	ll := int(binary.LittleEndian.Uint16(b[off:]))
	if ll > len(b)-off-2 {
		return it.stop(dissect.AnomTowerLHSPastEnd, off, uint32(ll), uint32(len(b)-off-2))
	}
	lhs := b[off+2 : off+2+ll]
	roff := off + 2 + ll
	if len(b)-roff < 2 {
		return it.stop(dissect.AnomTowerRHSPastEnd, roff, 2, uint32(len(b)-roff))
	}
	rl := int(binary.LittleEndian.Uint16(b[roff:]))
	if rl > len(b)-roff-2 {
		return it.stop(dissect.AnomTowerRHSPastEnd, roff, uint32(rl), uint32(len(b)-roff-2))
	}
	f := &it.f
	f.Index, f.Off, f.RHSOff = it.i, off, roff+2
	f.RHS = b[roff+2 : roff+2+rl : roff+2+rl]
	if ll == 0 {
		f.Protocol, f.Empty, f.LHS = 0, true, nil
		it.add(dissect.AnomTowerLHSLength, off, 0, 1)
	} else {
		f.Protocol, f.Empty, f.LHS = ProtocolID(lhs[0]), false, lhs[1:ll:ll]
	}
	it.off = roff + 2 + rl
	it.i++
	return true
}

// stop ends the walk on a truncated floor.
func (it *FloorIter) stop(k dissect.AnomalyKind, off int, a, b uint32) bool {
	it.add(k, off, a, b)
	if !it.flagged {
		it.add(dissect.AnomTowerFloorCount, 0, uint32(it.count), uint32(it.i))
	}
	it.err = dissect.ErrShort
	it.done = true
	return false
}
