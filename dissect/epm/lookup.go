package epm

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// AnnotationMax is ept_max_annotation_size: an entry's annotation is a
// [string] char annotation[64].
const AnnotationMax = 64

// entryMinSize is the smallest ept_entry_t on the wire: object UUID (16),
// tower pointer (4), annotation offset and actual_count (8); in NDR64 the
// pointer and counts take 8 bytes each.
func entryMinSize(r *ndr.Reader) int {
	if r.Syntax() == ndr.NDR64 {
		return 40
	}
	return 28
}

// LookupRequest is the stub of an ept_lookup request:
//
//	unsigned32            inquiry_type
//	[ptr] uuid_t         *object
//	[ptr] rpc_if_id_t    *interface_id     (UUID, major, minor: u16 each)
//	unsigned32            vers_option
//	ept_lookup_handle_t   entry_handle     (context handle, 20 bytes)
//	unsigned32            max_ents
type LookupRequest struct {
	InquiryType InquiryType
	// ObjectRef and InterfaceRef are the pointers' referent ids (0: NULL).
	ObjectRef    uint32
	Object       dissect.UUID
	InterfaceRef uint32
	Interface    dissect.SyntaxID
	VersOption   VersOption
	Handle       ndr.ContextHandle
	MaxEnts      uint32
	Anomalies    dissect.Anomalies
}

// Decode decodes an NDR 2.0 ept_lookup request stub into q (reset first)
// and returns the bytes consumed.
func (q *LookupRequest) Decode(stub []byte, le bool) (int, error) {
	return q.DecodeSyntax(stub, le, ndr.NDR20)
}

// DecodeSyntax is Decode for a stub in transfer syntax syn.
func (q *LookupRequest) DecodeSyntax(stub []byte, le bool, syn ndr.Syntax) (int, error) {
	*q = LookupRequest{}
	r := ndr.NewReaderSyntax(stub, le, syn, &q.Anomalies)
	q.InquiryType = InquiryType(r.U32())
	if q.ObjectRef = r.Pointer(); q.ObjectRef != 0 {
		r.ReadUUID(&q.Object)
	}
	if q.InterfaceRef = r.Pointer(); q.InterfaceRef != 0 {
		q.Interface = r.SyntaxID()
	}
	voff := r.Off()
	q.VersOption = VersOption(r.U32())
	hoff := r.Off()
	r.ReadContextHandle(&q.Handle)
	q.MaxEnts = r.U32()
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	if q.InquiryType > InquiryMatchByBoth {
		q.Anomalies.Add(dissect.AnomEPMBadInquiry, 0, uint32(q.InquiryType), 0)
	}
	if q.VersOption > VersUpto {
		q.Anomalies.Add(dissect.AnomEPMBadInquiry, voff, uint32(q.VersOption), 0)
	}
	checkHandle(&q.Anomalies, hoff, &q.Handle)
	trailing(&q.Anomalies, &r)
	return r.Off(), nil
}

// Entry is one ept_entry_t of a lookup response with its tower decoded.
type Entry struct {
	// Index is the entry's position in the array; Off its stub offset.
	Index int
	Off   int
	// Object is the entry's object UUID (often nil).
	Object dissect.UUID
	// TowerRef is the tower pointer's referent id (0: NULL, no tower).
	TowerRef uint32
	// Annotation is the annotation text without its NUL (aliases the stub).
	Annotation []byte
	// Tower is the decoded tower when HasTower; TowerErr is DecodeTower's
	// error for it (the tower was still decoded as far as possible).
	Tower    TowerInfo
	HasTower bool
	TowerErr error
}

// LookupResponse is the stub of an ept_lookup response:
//
//	ept_lookup_handle_t   entry_handle
//	unsigned32            num_ents
//	ept_entry_t           entries[]    conformant-varying: max_count,
//	                                   offset, actual_count, then per entry
//	                                   object UUID, tower pointer, annotation
//	                                   (offset, actual_count, chars)
//	twr_t ...                          the non-NULL towers, deferred
//	error_status_t        status
//
// Decode validates the whole stub; walk the entries with an [EntryIter].
// Samba returns entries together with ept_s_not_registered: both are kept
// (and AnomEPMStatusWithEntries is recorded).
type LookupResponse struct {
	Handle  ndr.ContextHandle
	NumEnts uint32
	// Entries is the array header (max_count, offset, actual_count).
	Entries ndr.ArrayHeader
	Status  Status
	// Anomalies holds stub-level findings (stub offsets); each tower's own
	// are in its TowerInfo.
	Anomalies dissect.Anomalies

	stub      []byte
	le        bool
	syn       ndr.Syntax
	entryOff  int // stub offset of the first entry
	towerOff  int // stub offset of the first deferred tower
	nEntries  int // entries fully decoded by Decode
	nTowers   int // deferred towers fully decoded by Decode
	hasStatus bool
}

// Decode decodes an NDR 2.0 ept_lookup response stub into p (reset first)
// and returns the bytes consumed. On error the counts and entries decoded
// before the failure stay available to an EntryIter.
func (p *LookupResponse) Decode(stub []byte, le bool) (int, error) {
	return p.DecodeSyntax(stub, le, ndr.NDR20)
}

// DecodeSyntax is Decode for a stub in transfer syntax syn.
func (p *LookupResponse) DecodeSyntax(stub []byte, le bool, syn ndr.Syntax) (int, error) {
	*p = LookupResponse{stub: stub, le: le, syn: syn}
	r := ndr.NewReaderSyntax(stub, le, syn, &p.Anomalies)
	r.ReadContextHandle(&p.Handle)
	noff := r.Off()
	p.NumEnts = r.U32()
	p.Entries = r.ConformantVaryingArray(entryMinSize(&r))
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	checkHandle(&p.Anomalies, 0, &p.Handle)
	if p.NumEnts != p.Entries.ActualCount {
		p.Anomalies.Add(dissect.AnomEPMCountMismatch, noff, p.NumEnts, p.Entries.ActualCount)
	}
	p.entryOff = r.Off()
	var refs refCheck
	towers := 0
	for i := 0; i < int(p.Entries.ActualCount); i++ {
		r.StructAlign()
		r.UUID()
		poff := r.Off()
		ref := r.Pointer()
		r.VaryingString(1, AnnotationMax)
		if r.Err() != nil {
			return r.Off(), r.Err()
		}
		p.nEntries++
		if ref == 0 {
			p.Anomalies.Add(dissect.AnomEPMNullTower, poff, uint32(i), 0)
			continue
		}
		refs.check(&p.Anomalies, poff, ref)
		towers++
	}
	r.StructAlign()
	p.towerOff = r.Off()
	for i := 0; i < towers; i++ {
		readTwr(&r)
		if r.Err() != nil {
			return r.Off(), r.Err()
		}
		p.nTowers++
	}
	p.Status = Status(r.U32())
	if r.Err() != nil {
		return r.Off(), r.Err()
	}
	p.hasStatus = true
	if p.Status != StatusOK && p.Entries.ActualCount > 0 {
		p.Anomalies.Add(dissect.AnomEPMStatusWithEntries, r.Off()-4, uint32(p.Status), p.Entries.ActualCount)
	}
	trailing(&p.Anomalies, &r)
	return r.Off(), nil
}

// HasStatus reports whether Decode got as far as the status.
func (p *LookupResponse) HasStatus() bool { return p.hasStatus }

// CheckRequest records AnomEPMOverMax when the response returns more
// entries than the request's max_ents allowed.
func (p *LookupResponse) CheckRequest(q *LookupRequest) {
	if n := max(p.NumEnts, p.Entries.ActualCount); n > q.MaxEnts {
		p.Anomalies.Add(dissect.AnomEPMOverMax, 0, n, q.MaxEnts)
	}
}

// EntryIter walks the entries of a decoded [LookupResponse], decoding each
// entry's tower as it goes. It yields only the entries Decode validated; an
// entry whose tower was cut off by a decode error has HasTower false.
//
//	var it epm.EntryIter
//	for it.Reset(&resp); it.Next(); {
//		e := it.Entry()
//		_ = e.Tower.Binding
//	}
type EntryIter struct {
	arr, def ndr.Reader
	i, n     int
	towers   int // deferred towers left to read
	e        Entry
}

// Reset starts a walk over p's entries.
func (it *EntryIter) Reset(p *LookupResponse) {
	it.arr.ResetSyntax(p.stub, p.le, p.syn, nil)
	it.arr.Seek(p.entryOff)
	it.def.ResetSyntax(p.stub, p.le, p.syn, nil)
	it.def.Seek(p.towerOff)
	it.i, it.n, it.towers = 0, p.nEntries, p.nTowers
}

// Next decodes the next entry and reports whether there is one.
func (it *EntryIter) Next() bool {
	if it.i >= it.n || it.arr.Err() != nil {
		return false
	}
	e := &it.e
	it.arr.StructAlign()
	e.Index, e.Off = it.i, it.arr.Off()
	it.arr.ReadUUID(&e.Object)
	e.TowerRef = it.arr.Pointer()
	s := it.arr.VaryingString(1, AnnotationMax)
	e.Annotation = s.Bytes()
	e.HasTower, e.TowerErr = false, nil
	if e.TowerRef != 0 && it.towers > 0 {
		it.towers--
		octets, off := readTwr(&it.def)
		e.TowerErr = DecodeTower(octets, &e.Tower)
		e.Tower.Off = off
		e.HasTower = true
	} else {
		e.Tower = TowerInfo{}
	}
	it.i++
	return it.arr.Err() == nil
}

// Entry returns the current entry; it is overwritten by the next call to
// Next.
func (it *EntryIter) Entry() *Entry { return &it.e }

// Err is always nil for a response Decode accepted; it reports a re-read
// failure otherwise.
func (it *EntryIter) Err() error { return it.arr.Err() }
