package detect

import (
	"net/netip"
	"sync"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// Detector consumes pipeline events, keeps the binding state and emits
// findings. It is safe for concurrent use: a mutex serialises Event, Flush,
// Inventory and Stats, so Inventory may be called from another goroutine
// while events are being fed. The emit callback runs with that mutex held
// and must not call back into the Detector.
type Detector struct {
	mu   sync.Mutex
	cfg  Config
	emit func(*Finding)

	servers   map[netip.Addr]*server
	bindings  bindIndex
	endpoints map[epkey]*endpoint
	epMemo    epMemo // the last endpoints lookup
	faults    map[faultKey]uint64

	bindLRU lruList[binding, *binding] // most recently used binding at the head
	srvLRU  lruList[server, *server]

	ans        answer
	lastLookup lookupMark
	text       []byte // scratch for findings' Detail sentences

	stats Stats
}

type faultKey struct {
	server netip.Addr
	iface  dissect.SyntaxID
}

// lookupMark remembers the last ept_lookup response, so that the bindings
// that follow it are grouped per connection (a lookup iterated with
// max_ents = 1 spreads one answer over many frames).
type lookupMark struct {
	frame          int64
	client, server netip.AddrPort
}

// New returns a detector that calls emit for every finding (emit may be
// nil: findings are then only counted).
func New(cfg Config, emit func(*Finding)) *Detector {
	cfg = cfg.withDefaults()
	return &Detector{
		cfg:       cfg,
		emit:      emit,
		servers:   make(map[netip.Addr]*server),
		bindings:  newBindIndex(),
		endpoints: make(map[epkey]*endpoint),
		faults:    make(map[faultKey]uint64),
		ans:       answer{ents: make([]ansEnt, 0, cfg.MaxAnswer)},
		text:      make([]byte, 0, 1024),
	}
}

// Event consumes one event. The pointer is not kept.
func (d *Detector) Event(e *event.Event) {
	d.mu.Lock()
	d.event(e)
	d.mu.Unlock()
}

// Flush judges the answer still open (an endpoint-mapper or OXID answer
// whose end has not been seen). Call it at the end of a read.
func (d *Detector) Flush() {
	d.mu.Lock()
	d.closeAnswer()
	d.mu.Unlock()
}

// Stats returns the counters.
func (d *Detector) Stats() Stats {
	d.mu.Lock()
	s := d.stats
	s.Servers, s.Bindings, s.Endpoints = len(d.servers), d.bindings.len(), len(d.endpoints)
	d.mu.Unlock()
	return s
}

func (d *Detector) event(e *event.Event) {
	d.stats.Events++
	if d.ans.open && ((d.ans.key.frame != 0 && e.Frame != d.ans.key.frame) || e.TimeNs-d.ans.lastNs > d.cfg.AnswerIdleNs) {
		d.closeAnswer()
	}
	switch e.Kind {
	case event.KindBinding:
		d.bindingEvent(e)
	case event.KindPDU:
		d.pdu(e)
	case event.KindConnRefused:
		d.failure(e, CauseRefused, event.TCP, 0)
	case event.KindUnreachable:
		tr := e.Transport
		if tr == 0 {
			tr = event.UDP
		}
		d.failure(e, CauseUnreachable, tr, 0)
	case event.KindConnClosed, event.KindConnReset:
		if d.ans.open && d.ans.key.client == e.Client && d.ans.key.server == e.Server {
			d.closeAnswer()
		}
	case event.KindAnomaly:
		d.anomaly(e)
	}
}

func (d *Detector) report(f *Finding) {
	d.stats.Findings++
	if f.Rule < ruleCount {
		d.stats.ByRule[f.Rule]++
	}
	if d.emit != nil {
		d.emit(f)
	}
}
