package epm

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// MapRequest is the stub of an ept_map request:
//
//	[ptr] uuid_t         *object
//	[ptr] twr_t          *map_tower       (max_count, tower_length, octets)
//	ept_lookup_handle_t   entry_handle
//	unsigned32            max_towers
//
// The map tower names the interface and protocol sequence the client wants
// an endpoint for; its address and port are usually zero.
type MapRequest struct {
	// ObjectRef and TowerRef are the pointers' referent ids (0: NULL).
	ObjectRef uint32
	Object    dissect.UUID
	TowerRef  uint32
	// Tower is the decoded map tower when HasTower; TowerErr is
	// DecodeTower's error for it.
	Tower     TowerInfo
	HasTower  bool
	TowerErr  error
	Handle    ndr.ContextHandle
	MaxTowers uint32
	Anomalies dissect.Anomalies
}

// Decode decodes an NDR 2.0 ept_map request stub into q (reset first),
// decoding the map tower, and returns the bytes consumed.
func (q *MapRequest) Decode(stub []byte, le bool) (int, error) {
	return q.DecodeSyntax(stub, le, ndr.NDR20)
}

// DecodeSyntax is Decode for a stub in transfer syntax syn.
func (q *MapRequest) DecodeSyntax(stub []byte, le bool, syn ndr.Syntax) (int, error) {
	*q = MapRequest{}
	r := ndr.NewReaderSyntax(stub, le, syn, &q.Anomalies)
	if q.ObjectRef = r.Pointer(); q.ObjectRef != 0 {
		r.ReadUUID(&q.Object)
	}
	var octets []byte
	off, poff := 0, r.Off()
	if q.TowerRef = r.Pointer(); q.TowerRef != 0 {
		octets, off = readTwr(&r)
	}
	hoff := r.Off()
	r.ReadContextHandle(&q.Handle)
	q.MaxTowers = r.U32()
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	if q.TowerRef != 0 {
		q.TowerErr = DecodeTower(octets, &q.Tower)
		q.Tower.Off = off
		q.HasTower = true
	} else {
		q.Anomalies.Add(dissect.AnomEPMNullTower, poff, 0, 0)
	}
	checkHandle(&q.Anomalies, hoff, &q.Handle)
	trailing(&q.Anomalies, &r)
	return r.Off(), nil
}

// MapTower is one tower of an ept_map response.
type MapTower struct {
	// Index is the position in the towers array; Ref the pointer's
	// referent id (0: NULL, no tower).
	Index int
	Ref   uint32
	// Tower is the decoded tower when HasTower; TowerErr is DecodeTower's
	// error for it.
	Tower    TowerInfo
	HasTower bool
	TowerErr error
}

// MapResponse is the stub of an ept_map response:
//
//	ept_lookup_handle_t   entry_handle
//	unsigned32            num_towers
//	twr_p_t               towers[]    conformant-varying: max_count,
//	                                  offset, actual_count, then
//	                                  actual_count referent ids
//	twr_t ...                         the non-NULL towers, deferred
//	error_status_t        status
//
// Decode validates the whole stub; walk the towers with a [TowerIter].
type MapResponse struct {
	Handle    ndr.ContextHandle
	NumTowers uint32
	// Towers is the array header (max_count, offset, actual_count).
	Towers    ndr.ArrayHeader
	Status    Status
	Anomalies dissect.Anomalies

	stub      []byte
	le        bool
	syn       ndr.Syntax
	refs      ndr.Pointers // the towers array's referent ids
	towerOff  int          // stub offset of the first deferred tower
	nTowers   int
	hasStatus bool
	// spans caches where the first towers' octets are, so that the
	// iterator does not read their twr_t headers a second time.
	spans      [mapSpans]span
	afterSpans int // stub offset after the last cached tower
}

// mapSpans is how many tower positions a MapResponse caches; ept_map
// answers hold 1 to 4 towers in practice.
const mapSpans = 8

// span locates tower octets in the stub.
type span struct{ off, n int32 }

// Decode decodes an NDR 2.0 ept_map response stub into p (reset first) and
// returns the bytes consumed. On error what was validated before the
// failure stays available to a TowerIter.
func (p *MapResponse) Decode(stub []byte, le bool) (int, error) {
	return p.DecodeSyntax(stub, le, ndr.NDR20)
}

// DecodeSyntax is Decode for a stub in transfer syntax syn.
func (p *MapResponse) DecodeSyntax(stub []byte, le bool, syn ndr.Syntax) (int, error) {
	*p = MapResponse{stub: stub, le: le, syn: syn}
	var r ndr.Reader // set field by field (see ndr.Reader.ResetSyntax)
	r.ResetSyntax(stub, le, syn, &p.Anomalies)
	r.ReadContextHandle(&p.Handle)
	noff := r.Off()
	p.NumTowers = r.U32()
	ptr := 4
	if syn == ndr.NDR64 {
		ptr = 8
	}
	r.ReadConformantVaryingArray(&p.Towers, ptr)
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	checkHandle(&p.Anomalies, 0, &p.Handle)
	if p.NumTowers != p.Towers.ActualCount {
		p.Anomalies.Add(dissect.AnomEPMCountMismatch, noff, p.NumTowers, p.Towers.ActualCount)
	}
	// The header's count check guarantees the ids fit: they start at
	// the aligned end of the header, ptr bytes each.
	refs := &p.refs
	r.ReadPointerArray(refs, int(p.Towers.ActualCount))
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	var seen refCheck
	towers := 0
	for i := 0; i < refs.Len(); i++ {
		ref := refs.At(i)
		if ref == 0 {
			p.Anomalies.Add(dissect.AnomEPMNullTower, refs.Off(i), uint32(i), 0)
			continue
		}
		seen.check(&p.Anomalies, refs.Off(i), ref)
		towers++
	}
	p.towerOff = r.Off()
	for i := 0; i < towers; i++ {
		b, off := readTwr(&r)
		if r.Err() != nil {
			return r.Off(), r.Err()
		}
		if i < mapSpans {
			p.spans[i] = span{int32(off), int32(len(b))}
			p.afterSpans = r.Off()
		}
		p.nTowers++
	}
	p.Status = Status(r.U32())
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	p.hasStatus = true
	if p.Status != StatusOK && p.Towers.ActualCount > 0 {
		p.Anomalies.Add(dissect.AnomEPMStatusWithEntries, r.Off()-4, uint32(p.Status), p.Towers.ActualCount)
	}
	trailing(&p.Anomalies, &r)
	return r.Off(), nil
}

// HasStatus reports whether Decode got as far as the status.
func (p *MapResponse) HasStatus() bool { return p.hasStatus }

// CheckRequest records AnomEPMOverMax when the response returns more towers
// than the request's max_towers allowed.
func (p *MapResponse) CheckRequest(q *MapRequest) {
	if n := max(p.NumTowers, p.Towers.ActualCount); n > q.MaxTowers {
		p.Anomalies.Add(dissect.AnomEPMOverMax, 0, n, q.MaxTowers)
	}
}

// TowerIter walks the towers of a decoded [MapResponse], decoding each one.
//
//	var it epm.TowerIter
//	var b dissect.Binding
//	for it.Reset(&resp); it.Next(); {
//		t := &it.Tower().Tower
//		use(t.Protseq, t.Interface, t.IP, t.Port)
//		t.Binding(&b) // the text form, only when wanted
//	}
type TowerIter struct {
	def    ndr.Reader // over the deferred towers past the cached spans
	i      int
	towers int // deferred towers not yet read
	read   int // deferred towers read
	p      *MapResponse
	t      MapTower
}

// Reset starts a walk over p's towers.
func (it *TowerIter) Reset(p *MapResponse) {
	it.def.ResetSyntax(p.stub, p.le, p.syn, nil)
	it.def.Seek(p.towerOff)
	it.i, it.towers, it.read, it.p = 0, p.nTowers, 0, p
}

// Next decodes the next tower and reports whether there is one.
func (it *TowerIter) Next() bool {
	if it.p == nil || it.i >= it.p.refs.Len() || it.def.Err() != nil {
		return false
	}
	t := &it.t
	t.Index = it.i
	t.Ref = it.p.refs.At(it.i)
	t.HasTower, t.TowerErr = false, nil
	if t.Ref != 0 && it.towers > 0 {
		it.towers--
		var octets []byte
		var off int
		if it.read < mapSpans {
			sp := it.p.spans[it.read]
			off = int(sp.off)
			octets = it.p.stub[off : off+int(sp.n) : off+int(sp.n)]
		} else {
			if it.read == mapSpans {
				it.def.Seek(it.p.afterSpans)
			}
			octets, off = readTwr(&it.def)
		}
		it.read++
		t.TowerErr = DecodeTower(octets, &t.Tower)
		t.Tower.Off = off
		t.HasTower = true
	} else {
		t.Tower = TowerInfo{}
	}
	it.i++
	return it.def.Err() == nil
}

// Tower returns the current tower; it is overwritten by the next call to
// Next.
func (it *TowerIter) Tower() *MapTower { return &it.t }

// Err is always nil for a response Decode accepted; it reports a re-read
// failure otherwise.
func (it *TowerIter) Err() error { return it.def.Err() }

// LookupHandleFreeRequest is the stub of an ept_lookup_handle_free request:
// the context handle.
type LookupHandleFreeRequest struct {
	Handle    ndr.ContextHandle
	Anomalies dissect.Anomalies
}

// Decode decodes the request stub into q (reset first). A context handle
// is laid out alike in NDR 2.0 and NDR64.
func (q *LookupHandleFreeRequest) Decode(stub []byte, le bool) (int, error) {
	*q = LookupHandleFreeRequest{}
	r := ndr.NewReader(stub, le, &q.Anomalies)
	r.ReadContextHandle(&q.Handle)
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	checkHandle(&q.Anomalies, 0, &q.Handle)
	trailing(&q.Anomalies, &r)
	return r.Off(), nil
}

// LookupHandleFreeResponse is the stub of an ept_lookup_handle_free
// response: the (now closed, normally zero) context handle and the status.
type LookupHandleFreeResponse struct {
	Handle    ndr.ContextHandle
	Status    Status
	Anomalies dissect.Anomalies
}

// Decode decodes the response stub into p (reset first); the layout is the
// same in NDR 2.0 and NDR64.
func (p *LookupHandleFreeResponse) Decode(stub []byte, le bool) (int, error) {
	*p = LookupHandleFreeResponse{}
	r := ndr.NewReader(stub, le, &p.Anomalies)
	r.ReadContextHandle(&p.Handle)
	p.Status = Status(r.U32())
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	checkHandle(&p.Anomalies, 0, &p.Handle)
	trailing(&p.Anomalies, &r)
	return r.Off(), nil
}
