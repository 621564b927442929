package epm

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// readTwr reads a twr_t:
//
//	max_count     u32 (conformance of the octet string, hoisted)
//	tower_length  u32
//	octets        max_count bytes
//
// It returns the tower octets (tower_length of them when that is smaller
// than max_count) and their stub offset. A disagreement between the two
// lengths is recorded as AnomTowerLength at the tower_length field.
func readTwr(r *ndr.Reader) ([]byte, int) {
	// ConformantCount, not ConformantArray: a whole ArrayHeader result is
	// spilled field by field and copied, which stalls on store forwarding.
	n := r.ConformantCount(1)
	loff := r.Off()
	l := r.U32()
	off := r.Off()
	b := r.Octets(int(n))
	if r.Err() != nil {
		return nil, off
	}
	if l != n {
		r.Anomaly(dissect.AnomTowerLength, loff, n, l)
		if l < n {
			b = b[:l]
		}
	}
	return b, off
}

// checkHandle records a context handle whose attributes word is not zero
// (Windows and Samba always send 0).
func checkHandle(a *dissect.Anomalies, off int, h *ndr.ContextHandle) {
	if h.Attributes != 0 {
		a.Add(dissect.AnomEPMHandleAttributes, off, h.Attributes, 0)
	}
}

// trailing records bytes left after a complete stub.
func trailing(a *dissect.Anomalies, r *ndr.Reader) {
	if n := r.Remaining(); n > 0 {
		a.Add(dissect.AnomTrailingBytes, r.Off(), uint32(n), 0)
	}
}

// refCheck finds repeated referent ids in a list of pointers without
// allocating. Senders number referents in increasing order, so an id above
// every earlier one cannot repeat; only ids that break the order are
// compared with the (at most refWindow) most recent ones.
type refCheck struct {
	last    [refWindow]uint32
	n       int
	maxSeen uint32
}

const refWindow = 32

func (c *refCheck) check(a *dissect.Anomalies, off int, id uint32) {
	if id <= c.maxSeen {
		for i := 0; i < min(c.n, refWindow); i++ {
			if c.last[i] == id {
				a.Add(dissect.AnomNDRDuplicateReferent, off, id, 0)
				break
			}
		}
	} else {
		c.maxSeen = id
	}
	c.last[c.n%refWindow] = id
	c.n++
}
