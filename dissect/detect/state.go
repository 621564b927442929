package detect

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// maxOwnAddrs bounds the addresses remembered as one server's own.
const maxOwnAddrs = 16

// server is one responder address and what it advertised.
type server struct {
	addr   netip.Addr
	own    [maxOwnAddrs]netip.Addr // addresses known to be this server's
	nOwn   int
	ifaces map[dissect.SyntaxID]*iface
	nRecs  int
	first  int64
	last   int64
	lru    lruLinks[server] // in Detector.srvLRU
}

func (s *server) links() *lruLinks[server] { return &s.lru }

func (s *server) owns(a netip.Addr) bool {
	for i := 0; i < s.nOwn; i++ {
		if s.own[i] == a {
			return true
		}
	}
	return false
}

func (s *server) addOwn(a netip.Addr) {
	if !a.IsValid() || a.IsUnspecified() || s.owns(a) {
		return
	}
	if s.nOwn < maxOwnAddrs {
		s.own[s.nOwn] = a
		s.nOwn++
	}
}

// iface is one interface of one server.
type iface struct {
	id   dissect.SyntaxID
	recs []*binding // bounded by Config.MaxBindingsPerInterface
}

// bkey identifies a binding: responder address, interface, binding.
type bkey struct {
	server netip.Addr
	iface  dissect.SyntaxID
	b      dissect.Binding
}

// binding is one learned binding.
//
// The fields every binding event and PDU read (LRU links, last sighting,
// answer sequence, moved) come first, in the record's first cache line;
// the key, about 600 bytes of which the texts are mostly zero, comes last:
// a hit touches the first line, the key's used bytes and little else.
type binding struct {
	lru     lruLinks[binding] // in Detector.bindLRU
	srv     *server
	last    int64
	lastNs  int64
	ansSeq  uint64   // the answer it was last listed in
	hnext   *binding // next binding in the same bindIndex bucket
	sources SourceSet
	moved   bool
	// evicted is set, and gen changed, when the binding is evicted, so
	// that references held in an open answer can tell.
	evicted bool
	gen     uint32

	hash    uint64 // key's digest in Detector.bindings
	ifc     *iface
	ep      *endpoint // nil when the binding names no usable IP endpoint
	first   int64
	firstNs int64

	fusedTower               bool // an EPM IPv4 floor of 4n>4 bytes
	fusedReported, forReport bool // fused-address / foreign-address emitted
	foreign                  bool

	// splitN caches dcom.SplitFused's count for key.b.Addr once splitDone:
	// a pure function of the address that costs up to 45 literal parses
	// per byte, asked again by each string-binding anomaly and answer.
	splitN    int8
	splitDone bool

	movedFrame int64
	movedNs    int64

	key     bkey
	movedTo dissect.Binding
}

// epkey is an IP endpoint.
type epkey struct {
	ap netip.AddrPort
	tr uint8
}

// endpoint is an IP endpoint that learned bindings point at.
type endpoint struct {
	key  epkey
	recs []*binding // bounded by Config.MaxInterfacesPerEndpoint
	// ids holds recs[i]'s interface UUID and major version at i: find
	// scans this short array instead of one binding record per entry.
	ids []epIface

	// CL boot time tracking.
	boot, oldBoot uint32
	hasOld        bool
	bootFrame     int64
	// stale-binding dedupe: the client connection last reported.
	staleClient netip.AddrPort
	staleFrame  int64
}

// epIface is the part of an interface ID that endpoint.find matches: the
// UUID as two words and the major version.
type epIface struct {
	lo, hi uint64
	major  uint16
}

// epIfaceOf returns id's epIface. It reads the UUID in two 8-byte loads:
// the event it usually comes from was just written field by field, and a
// wider load that spans several of those stores waits for all of them.
func epIfaceOf(id *dissect.SyntaxID) epIface {
	return epIface{binary.LittleEndian.Uint64(id.UUID[0:8]), binary.LittleEndian.Uint64(id.UUID[8:16]), id.Major}
}

// add links r to the endpoint.
func (ep *endpoint) add(r *binding) {
	ep.recs = append(ep.recs, r)
	ep.ids = append(ep.ids, epIfaceOf(&r.key.iface))
}

// drop unlinks r (a no-op when r is not linked).
func (ep *endpoint) drop(r *binding) {
	for i, x := range ep.recs {
		if x == r {
			ep.recs = slices.Delete(ep.recs, i, i+1)
			ep.ids = slices.Delete(ep.ids, i, i+1)
			return
		}
	}
}

// find returns the binding linked here for id's UUID and major version:
// the last moved one, else the first.
func (ep *endpoint) find(id *dissect.SyntaxID) *binding {
	var found *binding
	want := epIfaceOf(id)
	recs := ep.recs[:len(ep.ids)]
	for i := range ep.ids {
		if ep.ids[i] == want {
			if r := recs[i]; r.moved || found == nil {
				found = r
			}
		}
	}
	return found
}

// latest returns the binding to blame when a failure names no interface:
// a moved one if any, else the most recently seen.
func (ep *endpoint) latest() *binding {
	var best *binding
	for _, r := range ep.recs {
		switch {
		case best == nil:
			best = r
		case r.moved && !best.moved:
			best = r
		case r.moved == best.moved && r.last > best.last:
			best = r
		}
	}
	return best
}

// endpointOf returns the IP endpoint a binding points at: its IP, or the
// responder's address for 0.0.0.0 (Samba's "the address you reached me at")
// and host names. Fused and unparsable addresses have none.
func endpointOf(b *dissect.Binding, responder netip.Addr) (epkey, bool) {
	if !b.HasPort {
		return epkey{}, false
	}
	var tr uint8
	switch b.Protseq {
	case dissect.NcacnIPTCP, dissect.NcacnHTTP:
		tr = event.TCP
	case dissect.NcadgIPUDP:
		tr = event.UDP
	default:
		return epkey{}, false
	}
	a := b.IP.Unmap()
	switch {
	case a.IsValid() && !a.IsUnspecified():
	case a.IsValid(): // 0.0.0.0 or ::
		a = responder
	default:
		if k, _ := dcom.ClassifyAddress(b.Addr.Bytes()); k != dcom.AddrHostName {
			return epkey{}, false
		}
		a = responder
	}
	if !a.IsValid() {
		return epkey{}, false
	}
	return epkey{netip.AddrPortFrom(a, b.Port), tr}, true
}

func (r *binding) links() *lruLinks[binding] { return &r.lru }

// fusedSplit returns dcom.SplitFused's count for r's address.
func (r *binding) fusedSplit() int {
	if !r.splitDone {
		var parts [dcom.MaxFusedParts]netip.Addr
		r.splitN, r.splitDone = int8(dcom.SplitFused(r.key.b.Addr.Bytes(), &parts)), true
	}
	return int(r.splitN)
}

// bindingOf returns the learned binding an event's binding fields name, or
// nil.
func (d *Detector) bindingOf(e *event.Event) *binding {
	srv := e.Server.Addr().Unmap()
	return d.bindings.find(d.bindings.digest(srv, &e.BindingIface, &e.Binding), srv, &e.BindingIface, &e.Binding)
}

// server returns the server for a, creating it (and evicting the least
// recently used one when full).
func (d *Detector) server(a netip.Addr, frame int64) *server {
	if s := d.servers[a]; s != nil {
		d.srvLRU.front(s)
		return s
	}
	for len(d.servers) >= d.cfg.MaxServers && d.srvLRU.tail != nil {
		d.evictServer(d.srvLRU.tail)
	}
	s := &server{addr: a, ifaces: make(map[dissect.SyntaxID]*iface), first: frame, last: frame}
	s.addOwn(a)
	d.servers[a] = s
	d.srvLRU.front(s)
	return s
}

func (d *Detector) evictServer(s *server) {
	for _, ifc := range s.ifaces {
		for len(ifc.recs) > 0 {
			d.remove(ifc.recs[len(ifc.recs)-1])
			d.stats.EvictedBindings++
		}
	}
	if d.servers[s.addr] == s { // remove may already have dropped it
		delete(d.servers, s.addr)
		d.srvLRU.unlink(s)
	}
	d.stats.EvictedServers++
}

// remove drops r from every index.
func (d *Detector) remove(r *binding) {
	r.evicted = true
	r.gen++
	d.bindings.remove(r)
	d.bindLRU.unlink(r)
	r.ifc.recs = deleteRec(r.ifc.recs, r)
	if len(r.ifc.recs) == 0 {
		delete(r.srv.ifaces, r.ifc.id)
	}
	r.srv.nRecs--
	if r.srv.nRecs <= 0 && d.servers[r.srv.addr] == r.srv {
		delete(d.servers, r.srv.addr)
		d.srvLRU.unlink(r.srv)
	}
	if ep := r.ep; ep != nil {
		ep.drop(r)
		if len(ep.recs) == 0 && d.endpoints[ep.key] == ep {
			delete(d.endpoints, ep.key)
			d.epMemo.valid = false
		}
		r.ep = nil
	}
}

func deleteRec(s []*binding, r *binding) []*binding {
	for i, x := range s {
		if x == r {
			copy(s[i:], s[i+1:])
			s[len(s)-1] = nil
			return s[:len(s)-1]
		}
	}
	return s
}

// learn records a binding event and returns its record (nil when a bound
// kept it out) and the sources it had been learned from before.
func (d *Detector) learn(e *event.Event) (*binding, SourceSet) {
	srvAddr := e.Server.Addr().Unmap()
	h := d.bindings.digest(srvAddr, &e.BindingIface, &e.Binding)
	if r := d.bindings.find(h, srvAddr, &e.BindingIface, &e.Binding); r != nil {
		prior := r.sources
		r.last, r.lastNs = e.Frame, e.TimeNs
		r.sources.add(e.Source)
		r.srv.last = e.Frame
		d.bindLRU.front(r)
		d.srvLRU.front(r.srv)
		return r, prior
	}
	s := d.server(srvAddr, e.Frame)
	s.last = e.Frame
	ifc := s.ifaces[e.BindingIface]
	if ifc != nil && len(ifc.recs) >= d.cfg.MaxBindingsPerInterface {
		d.stats.DroppedPerIface++
		return nil, 0
	}
	for d.bindings.len() >= d.cfg.MaxBindings && d.bindLRU.tail != nil {
		d.remove(d.bindLRU.tail)
		d.stats.EvictedBindings++
	}
	if d.servers[srvAddr] != s { // evicting bindings emptied and dropped s
		s = d.server(srvAddr, e.Frame)
		ifc = nil
	}
	if ifc == nil || s.ifaces[e.BindingIface] != ifc {
		ifc = &iface{id: e.BindingIface}
		s.ifaces[e.BindingIface] = ifc
	}
	r := &binding{key: bkey{server: srvAddr, iface: e.BindingIface, b: e.Binding}, hash: h, srv: s, ifc: ifc,
		first: e.Frame, firstNs: e.TimeNs, last: e.Frame, lastNs: e.TimeNs}
	r.sources.add(e.Source)
	ifc.recs = append(ifc.recs, r)
	s.nRecs++
	d.bindings.insert(r)
	d.bindLRU.front(r)
	if ek, ok := endpointOf(&r.key.b, srvAddr); ok {
		ep := d.endpoints[ek]
		if ep == nil {
			ep = &endpoint{key: ek}
			d.endpoints[ek] = ep
			d.epMemo.valid = false
		}
		if len(ep.recs) < d.cfg.MaxInterfacesPerEndpoint {
			ep.add(r)
			r.ep = ep
		} else {
			d.stats.DroppedEndpoint++
		}
	}
	return r, 0
}
