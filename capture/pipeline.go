package capture

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/flow"
	"github.com/rpcwatch/rpcwatch/capture/ipfrag"
	"github.com/rpcwatch/rpcwatch/capture/tcpstream"
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// Config bounds the pipeline. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// MaxFlows is the hard cap on tracked TCP/UDP conversations; the least
	// recently used is evicted (counted) when a new one arrives.
	MaxFlows int
	// FlowIdle expires conversations idle this long in capture time.
	FlowIdle time.Duration
	// Stream bounds each TCP direction's reassembly buffer.
	Stream tcpstream.Limits
	// CO bounds CO stub reassembly per direction of each association.
	CO dissect.COLimits
	// CL bounds CL fragment reassembly (shared by every UDP conversation of
	// a worker).
	CL dissect.CLLimits
	// Frag bounds IP fragment reassembly (a CL answer with many towers can
	// exceed the MTU); zero fields take ipfrag's defaults.
	Frag ipfrag.Config
}

// DefaultConfig is used for zero Config fields.
var DefaultConfig = Config{
	MaxFlows: 16384,
	FlowIdle: 5 * time.Minute,
	Stream:   tcpstream.Limits{MaxBuffered: 128 << 10, MaxHeld: 32, MaxPDU: 65535},
	CO:       dissect.COLimits{MaxCalls: 8, MaxCallBytes: 1 << 20, MaxTotalBytes: 2 << 20},
	CL:       dissect.CLLimits{},
}

func (c Config) withDefaults() Config {
	d := DefaultConfig
	if c.MaxFlows <= 0 {
		c.MaxFlows = d.MaxFlows
	}
	if c.FlowIdle <= 0 {
		c.FlowIdle = d.FlowIdle
	}
	if c.Stream == (tcpstream.Limits{}) {
		c.Stream = d.Stream
	}
	if c.CO == (dissect.COLimits{}) {
		c.CO = d.CO
	}
	return c
}

// Stats counts what the pipeline saw and everything it dropped. Every bound
// that is hit is counted here; nothing is dropped silently.
type Stats struct {
	Packets      uint64 // frames read
	Bytes        uint64 // captured bytes of those frames
	DecodeErrors uint64 // frames the link/IP/transport decoder rejected
	Truncated    uint64 // frames cut by the snap length
	Fragments    uint64 // IP fragments seen (reassembly: Frag)
	TCP, UDP     uint64 // segments and datagrams
	ICMPErrors   uint64 // ICMP destination-unreachable messages

	PDUs      uint64     // DCE/RPC PDUs decoded
	PDUTypes  [32]uint64 // by PType
	PDUErrors uint64     // CO PDUs cut from a stream that did not decode
	Bindings  uint64     // binding events
	Anomalies uint64     // anomaly events

	NonRPCFlows     uint64 // TCP conversations judged not to carry DCE/RPC
	ContextsEvicted uint64 // presentation contexts replaced (more than maxAssocContexts)
	CallsEvicted    uint64 // outstanding calls replaced (more than maxAssocCalls)
	StubErrors      uint64 // response stubs that failed to decode
	NDR64Stubs      uint64 // response stubs in NDR64, not decoded

	Flows   flow.Stats
	Streams tcpstream.Stats
	COReasm dissect.COReasmStats
	CLReasm dissect.CLReasmStats
	Frag    ipfrag.Stats
}

// Dropped sums what bounds dropped or evicted.
func (s *Stats) Dropped() uint64 {
	return s.ContextsEvicted + s.CallsEvicted + s.Flows.Evicted + s.Frag.TimedOut + s.Frag.Evicted + s.Frag.TooBig +
		s.COReasm.Orphans + s.COReasm.OverCallBytes + s.COReasm.EvictedCalls + s.COReasm.EvictedBytes + s.COReasm.OverTotal
}

// flowKind says what a conversation carries, as far as the pipeline knows.
type flowKind uint8

const (
	flowUnknown flowKind = iota
	flowRPC
	flowOther
)

// A TCP conversation is judged not to carry DCE/RPC when its stream has
// taken rpcProbeBytes of payload without cutting a PDU, or, once the framer
// has rejected what should have been a header, rpcProbeBadBytes or
// rpcProbeBadSegments segments. A capture
// can start in the middle of a large PDU (a Kerberos bind can exceed 4 KiB),
// so the stream is given room to resynchronise at the next header first.
const (
	rpcProbeBytes       = 16 << 10
	rpcProbeBadBytes    = 6 << 10
	rpcProbeBadSegments = 16 // small-message protocols (Modbus, S7) reach few bytes
)

// flowState is the per-conversation state, kept in preallocated flow table
// slots and reused. Slots stay small: the DCE/RPC association state (assoc,
// with its contexts, calls and stub reassemblers) is attached only when a
// flow cuts its first PDU, from the worker's free list, and goes back there
// when the flow leaves, so that its memory tracks live RPC flows rather than
// every slot ever used.
type flowState struct {
	kind  flowKind
	conn  *tcpstream.Conn
	assoc *assoc // nil until the flow carries DCE/RPC
	key   flow.Key
	// probe holds the stream counters when the current connection began
	// to be judged (zero for a new slot; taken again when a new connection
	// reuses the ports of one judged not RPC, since the counters run on).
	probe probeMark
	// closedSYN identifies the SYN that opened the connection closeConn
	// ended, so that a duplicate of it is not taken for a new connection
	// (as the closed Conn would not have taken it).
	closedSYN closedSYN
}

// closedSYN is the client side and initial sequence number of a closed
// connection whose roles came from its handshake (known).
type closedSYN struct {
	known  bool
	client flow.Side
	isn    uint32
}

// probeMark holds a connection's stream counters (tcpstream.Conn.Progress)
// when it began to be judged.
type probeMark struct{ segs, bytes, bad uint64 }

// worker owns one decoder, one flow-table shard and the reused decode
// structs. Several workers can run side by side, each fed the packets whose
// flow.Key.Shard(n) is its index; a worker is not safe for concurrent use.
type worker struct {
	cfg   Config
	h     event.Handler
	dec   *decode.Decoder
	pkt   decode.Packet
	flows *flow.Table[flow.Key, flowState]
	stats Stats

	co      dissect.COPDU
	cl      dissect.CLPDU
	clReasm *dissect.CLReassembler
	frag    *ipfrag.Reassembler
	stubs   stubRunner
	// sync is the handler New was given; hand, in Go mode, the Handoff
	// that runs it (and decodes response stubs) on a second goroutine,
	// with w.h its Event. spare keeps a closed Handoff for the next Go.
	sync        event.Handler
	hand, spare *Handoff

	// ev carries PDU events, bev binding events, cev connection events
	// and aev anomalies: each of the first three is only ever filled with
	// its own kind's fields, so that it can be reset field by field.
	ev, bev, cev, aev event.Event

	// connFree holds the Conns of closed connections, for reuse (takeConn)
	connFree []*tcpstream.Conn
	// assocFree holds association states of flows that left, for reuse
	// (never more than the most RPC flows live at once).
	assocFree []*assoc
	// pool lends every flow's streams their reassembly buffers while they
	// hold bytes, so that idle flows hold none.
	pool *tcpstream.Pool

	// last is the last TCP packet's conversation (tcpFlow)
	last lastTCP
	// seg is the segment tcp hands to the flow's Conn
	seg tcpstream.Segment

	// per-packet context for the stream handler (cur.key is its flow's key)
	cur  *flowState
	meta pduMeta
	shim connShim
}

// connShim adapts the worker to tcpstream.Handler for the current flow.
type connShim struct{ w *worker }

func (s connShim) PDU(p *tcpstream.PDU)     { s.w.streamPDU(p) }
func (s connShim) Event(e *tcpstream.Event) { s.w.connEvent(e) }

func newWorker(cfg Config, h event.Handler) (*worker, error) {
	cfg = cfg.withDefaults()
	w := &worker{cfg: cfg, h: h, sync: h, dec: decode.NewDecoder(), clReasm: dissect.NewCLReassembler(cfg.CL), frag: ipfrag.New(cfg.Frag),
		pool: tcpstream.NewPool(streamPoolBytes)}
	w.shim.w = w
	w.stubs.h, w.stubs.st = h, &w.stats
	t, err := flow.New(flow.Config[flow.Key, flowState]{
		Max:  cfg.MaxFlows,
		Idle: cfg.FlowIdle,
		Init: func(k flow.Key, v *flowState) {
			v.kind, v.key, v.probe, v.closedSYN = flowUnknown, k, probeMark{}, closedSYN{}
			v.conn = w.takeConn(v.conn, k.LowPort())
			v.assoc = nil // attached by the first PDU (streamPDU)
		},
		Evict: func(k flow.Key, v *flowState, why flow.Reason) {
			// deliver what the flow's streams still hold before the slot
			// is reused (expiry, eviction, flush)
			if v.conn != nil { // nil: the connection closed (closeConn)
				prev := w.cur
				w.cur = v
				v.conn.Flush(w.shim)
				w.cur = prev
			}
			w.retire(v)
		},
	})
	if err != nil {
		return nil, err
	}
	w.flows = t
	return w, nil
}

// streamPoolBytes bounds the idle stream buffers a worker keeps for reuse.
const streamPoolBytes = 16 << 20

// framePDU is the TCP stream framer: whole CO PDUs by frag_length.
//
// It answers "not a header" as soon as the first bytes rule one out, and
// when b[0] is not rpc_vers 5 it tells the stream that no header starts
// before the next 5 (tcpstream.Framer's skip hint), so that resynchronising
// over a non-RPC stream costs one IndexByte per segment rather than a framer
// call per byte.
func framePDU(b []byte) (int, error) {
	if len(b) > 0 && b[0] != 5 {
		if i := bytes.IndexByte(b[1:], 5); i >= 0 {
			return i + 1, dissect.ErrNotCO
		}
		return len(b), dissect.ErrNotCO
	}
	if len(b) > 1 && b[1] > 1 {
		return 0, dissect.ErrNotCO
	}
	n, err := dissect.PeekCO(b)
	if err == dissect.ErrShort {
		return 0, tcpstream.ErrNeedMore
	}
	return n, err
}

// takeConn returns a reset Conn for a new connection: the one most recently
// put on the free list (by closeConn: its memory is likely still in the
// CPU's caches) in exchange for old, which goes on the list instead; else
// old; else a new one. Conns are only made when neither exists, so there
// are never more than flow table slots.
func (w *worker) takeConn(old *tcpstream.Conn, hint flow.Side) *tcpstream.Conn {
	c := old
	if n := len(w.connFree); n > 0 {
		c = w.connFree[n-1]
		if old != nil {
			w.connFree[n-1] = old
		} else {
			w.connFree[n-1] = nil
			w.connFree = w.connFree[:n-1]
		}
	}
	if c == nil {
		c = tcpstream.NewConn(framePDU, w.cfg.Stream, hint)
		c.SetPool(w.pool)
		return c
	}
	c.Reset(framePDU, w.cfg.Stream, hint)
	return c
}

// drained reports whether both of c's streams have ended with everything
// delivered: later data would only be counted as ignored, and Flush would
// have nothing to deliver or declare lost. (A stream with a hole before its
// FIN is not drained: a late retransmission may still fill it.)
func drained(c *tcpstream.Conn) bool {
	for _, r := range [2]tcpstream.Role{tcpstream.Client, tcpstream.Server} {
		if s := c.Stream(r); !s.Closed() || s.Buffered() != 0 {
			return false
		}
	}
	return true
}

// closeConn is called when a flow's connection has closed (both FINs or a
// RST) and both streams are drained: every PDU it will deliver has been
// delivered. Its association state
// and its Conn go back to the free lists now, while still warm, rather than
// when the flow idles out; the flow stays in the table (conn nil), so that
// what arrives after the close is ignored as a closed Conn would ignore it,
// and a new connection on the same ports (a SYN) gets a Conn again.
func (w *worker) closeConn(f *flowState) {
	c := f.conn
	f.closedSYN = closedSYN{known: c.RoleSource() != tcpstream.RoleFromHint, client: c.Server().Other(), isn: c.ClientISN()}
	w.retire(f)
	w.connFree = append(w.connFree, f.conn)
	f.conn = nil
}

// retire folds a leaving flow's counters into the worker's stats.
func (w *worker) retire(v *flowState) {
	if v.conn != nil {
		w.stats.Streams.Add(v.conn.Stats())
	}
	w.retireAssoc(v)
}

// retireAssoc folds the flow's association counters into the worker's stats
// and puts its association state on the free list.
func (w *worker) retireAssoc(v *flowState) {
	if a := v.assoc; a != nil {
		addCOReasm(&w.stats.COReasm, &a.reasm[0].Stats)
		addCOReasm(&w.stats.COReasm, &a.reasm[1].Stats)
		v.assoc = nil
		w.assocFree = append(w.assocFree, a)
	}
}

// newAssoc returns a reset association state, reusing one from the free
// list when there is one (no allocation in steady state).
func (w *worker) newAssoc() *assoc {
	var a *assoc
	if n := len(w.assocFree); n > 0 {
		a = w.assocFree[n-1]
		w.assocFree[n-1] = nil
		w.assocFree = w.assocFree[:n-1]
	} else {
		a = new(assoc)
	}
	a.reset(w.cfg.CO)
	return a
}

func addCOReasm(d, s *dissect.COReasmStats) {
	d.Unfragmented += s.Unfragmented
	d.Fragments += s.Fragments
	d.Completed += s.Completed
	d.Restarted += s.Restarted
	d.Orphans += s.Orphans
	d.Truncated += s.Truncated
	d.OverCallBytes += s.OverCallBytes
	d.EvictedCalls += s.EvictedCalls
	d.EvictedBytes += s.EvictedBytes
	d.OverTotal += s.OverTotal
	*s = dissect.COReasmStats{}
}

// packet handles one frame.
func (w *worker) packet(lt decode.LinkType, frame []byte, num int64, ts time.Time) {
	w.stats.Packets++
	w.stats.Bytes += uint64(len(frame))
	p := &w.pkt
	if err := w.dec.Decode(lt, frame, p); err != nil && !p.Truncated {
		w.stats.DecodeErrors++
		return
	}
	if p.Truncated {
		w.stats.Truncated++
	}
	tns := ts.UnixNano()
	switch p.Proto {
	case decode.ProtoTCP:
		w.stats.TCP++
		w.tcp(p, num, ts)
	case decode.ProtoUDP:
		w.stats.UDP++
		w.udp(p, num, num, tns)
	case decode.ProtoICMPv4, decode.ProtoICMPv6:
		if p.Unreachable() {
			w.stats.ICMPErrors++
			w.unreachable(p, num, tns)
		}
	case decode.ProtoFragment:
		w.stats.Fragments++
		d, ok := w.frag.Add(p, int(num), ts)
		if !ok || d.Decode(w.dec, p) != nil {
			return
		}
		switch p.Proto {
		case decode.ProtoUDP:
			w.stats.UDP++
			w.udp(p, int64(d.FirstFrame), num, tns)
		case decode.ProtoTCP:
			w.stats.TCP++
			w.tcp(p, num, ts)
		}
	}
}

func (w *worker) tcp(p *decode.Packet, num int64, ts time.Time) {
	f, side := w.tcpFlow(p, ts)
	if f.conn == nil {
		// The connection closed and its Conn went to the free list
		// (closeConn). As in a closed Conn, only a SYN, a new connection
		// on the same ports, matters; it gets a Conn again.
		if p.TCP.Flags&(decode.FlagSYN|decode.FlagACK) != decode.FlagSYN ||
			(f.closedSYN.known && side == f.closedSYN.client && p.TCP.Seq == f.closedSYN.isn) {
			return
		}
		f.conn, f.probe = w.takeConn(nil, f.key.LowPort()), probeMark{}
	}
	if f.kind == flowOther {
		if p.TCP.Flags&(decode.FlagSYN|decode.FlagACK) != decode.FlagSYN {
			return // judged not to carry DCE/RPC: nothing more to learn from it
		}
		f.kind = flowUnknown // a new connection on the same ports: look again
		f.probe.segs, f.probe.bytes, f.probe.bad = f.conn.Progress()
	}
	// Filled field by field in place: a composite literal is built on the
	// stack and copied, and the copy's wide loads of the narrow stores just
	// made stall (store forwarding fails): it was the costliest line here.
	seg := &w.seg
	seg.Seq, seg.Ack, seg.Flags = p.TCP.Seq, p.TCP.Ack, tcpstream.Flags(p.TCP.Flags&0xff)
	seg.Frame, seg.Time, seg.Payload = uint64(num), ts, p.Payload
	w.cur = f
	f.conn.Segment(side, seg, w.shim)
	w.cur = nil
	if f.conn.State() == tcpstream.StateClosed && drained(f.conn) {
		w.closeConn(f)
		return
	}
	if f.kind == flowUnknown && len(p.Payload) > 0 {
		// Still undecided: the stream buffers and frames the bytes; the
		// first PDU it cuts (streamPDU) makes the flow RPC. Without one
		// after enough bytes, stop: the rest of the flow is not looked at.
		segs, bytes, bad := f.conn.Progress()
		segs, bytes, bad = segs-f.probe.segs, bytes-f.probe.bytes, bad-f.probe.bad
		if bytes >= rpcProbeBytes || (bad > 0 && (bytes >= rpcProbeBadBytes || segs >= rpcProbeBadSegments)) {
			f.kind = flowOther
			w.stats.NonRPCFlows++
		}
	}
}

// lastTCP remembers the addresses and ports of the last TCP packet and its
// flow: consecutive packets of one conversation (a segment and its ACK, a
// request and its response) are most of the traffic, and they find their
// flow without building a key. flow.Table.Again accepts the remembered
// flow only while it is the entry the table's last Get returned: only TCP
// packets use the table, and each Get updates the memo, so a flow that left
// (Remove, expiry, eviction) or a slot reused since is never taken for it.
type lastTCP struct {
	f            *flowState
	side         flow.Side
	src, dst     netip.Addr
	sport, dport uint16
}

// tcpFlow returns the flow of a TCP packet (creating it if new; its key is
// in the flow's state) and the side that sent the packet.
func (w *worker) tcpFlow(p *decode.Packet, ts time.Time) (*flowState, flow.Side) {
	l := &w.last
	if l.f != nil {
		if p.SrcPort == l.sport && p.DstPort == l.dport && p.Src == l.src && p.Dst == l.dst {
			if w.flows.Again(l.f, ts) {
				return l.f, l.side
			}
		} else if p.SrcPort == l.dport && p.DstPort == l.sport && p.Src == l.dst && p.Dst == l.src {
			if w.flows.Again(l.f, ts) {
				return l.f, l.side.Other()
			}
		}
	}
	k, side := flow.NewKey(flow.TCP, p.Src, p.SrcPort, p.Dst, p.DstPort)
	f, _ := w.flows.Get(k, ts)
	// field by field, not a composite literal (see tcp)
	l.f, l.side, l.src, l.dst, l.sport, l.dport = f, side, p.Src, p.Dst, p.SrcPort, p.DstPort
	return f, side
}

// endpoints returns the client and server of the current flow, as its
// Conn decided them (handshake, or the low-port hint).
func (w *worker) endpoints() (client, server netip.AddrPort) {
	s := w.cur.conn.Server()
	k := &w.cur.key
	sa, sp := k.Endpoint(s)
	ca, cp := k.Endpoint(s.Other())
	return netip.AddrPortFrom(ca, cp), netip.AddrPortFrom(sa, sp) // keys hold unmapped addresses (flow.NewKey)
}

func (w *worker) streamPDU(p *tcpstream.PDU) {
	w.cur.kind = flowRPC
	client, server := w.endpoints()
	m := &w.meta
	m.first, m.last, m.timeNs = int64(p.FirstFrame), int64(p.LastFrame), p.Time.UnixNano()
	m.fromServer = p.From == tcpstream.Server
	if m.fromServer {
		m.src, m.dst = server, client
	} else {
		m.src, m.dst = client, server
	}
	if w.cur.assoc == nil {
		w.cur.assoc = w.newAssoc()
	}
	w.coPDU(w.cur.assoc, p.Data, m)
}

func (w *worker) connEvent(te *tcpstream.Event) {
	var k event.Kind
	switch te.Kind {
	case tcpstream.EvSYN:
		k = event.KindConnAttempt
	case tcpstream.EvRefused:
		k = event.KindConnRefused
	case tcpstream.EvReset:
		k = event.KindConnReset
	case tcpstream.EvFIN:
		k = event.KindConnClosed
	default:
		return
	}
	client, server := w.endpoints()
	// w.cev carries only connection events, whose fields are all assigned
	// here; the rest stay zero (handlers must not modify events).
	e := &w.cev
	e.Kind, e.Frame, e.FirstFrame, e.TimeNs = k, int64(te.Frame), int64(te.Frame), te.Time.UnixNano()
	e.Transport, e.Client, e.Server, e.FromServer = event.TCP, client, server, te.From == tcpstream.Server
	if te.SynFrame != 0 {
		e.FirstFrame = int64(te.SynFrame)
	}
	w.h(e)
}

// udp handles a datagram completed by frame num (first is the first frame
// of a reassembled one).
func (w *worker) udp(p *decode.Packet, first, num, tns int64) {
	if len(p.Payload) < 80 || p.Payload[0] != 4 {
		return
	}
	m := &w.meta
	m.first, m.last, m.timeNs, m.fromServer = first, num, tns, false
	m.src = netip.AddrPortFrom(p.Src.Unmap(), p.SrcPort)
	m.dst = netip.AddrPortFrom(p.Dst.Unmap(), p.DstPort)
	w.clPDU(p.Payload, m)
}

func (w *worker) unreachable(p *decode.Packet, num, tns int64) {
	q := &p.ICMP.Quoted
	if !q.Valid || !q.HasPorts {
		return
	}
	e := &w.aev
	// The quoted datagram went from Client to Server; Server's endpoint is
	// the one that was unreachable.
	*e = event.Event{Kind: event.KindUnreachable, Frame: num, FirstFrame: num, TimeNs: tns,
		Client: netip.AddrPortFrom(q.Src.Unmap(), q.SrcPort), Server: netip.AddrPortFrom(q.Dst.Unmap(), q.DstPort),
		ICMPType: p.ICMP.Type, ICMPCode: p.ICMP.Code}
	switch q.IPProto {
	case 6:
		e.Transport = event.TCP
	case 17:
		e.Transport = event.UDP
	default:
		return
	}
	w.h(e)
}

// finish flushes every flow (delivering what streams still hold) and
// returns the stats.
func (w *worker) finish() Stats {
	w.flows.Flush() // the Evict hook flushes each flow's streams
	if h := w.hand; h != nil {
		h.Close()
		d := &h.stubStats
		w.stats.Bindings += d.Bindings
		w.stats.Anomalies += d.Anomalies
		w.stats.StubErrors += d.StubErrors
		w.stats.NDR64Stubs += d.NDR64Stubs
		*d = Stats{}
		w.h, w.stubs.h = w.sync, w.sync
		w.hand, w.spare = nil, h
	}
	w.stats.Flows = w.flows.Stats()
	w.stats.CLReasm = w.clReasm.Stats
	w.stats.Frag = w.frag.Stats()
	return w.stats
}

// Pipeline turns frames into events: link/IP/TCP/UDP/ICMP decoding, flows,
// TCP streams, DCE/RPC PDUs, stub reassembly, presentation contexts, and the
// EPM and DCOM stubs that carry bindings. It is one worker; see Run for a
// source-driven loop.
//
// # Allocation
//
// After warm-up (flow slots, stream and reassembly buffers grown to the
// traffic's size) Packet allocates nothing: TestPipelineNoAllocs checks it
// over a realistic mix. Events passed to the handler are reused. Memory
// follows what is in flight rather than every flow slot ever used: streams
// borrow their buffers from a worker-wide tcpstream.Pool only while they
// hold bytes, and DCE/RPC association state (contexts, calls, stub
// reassembly) is attached to a flow at its first PDU and returned to a free
// list when the connection closes or the flow leaves.
//
// # Security
//
// Every table and buffer is bounded by Config; what a bound drops is
// counted in Stats. Malformed input yields anomaly events, never a panic.
type Pipeline struct{ w *worker }

// New returns a pipeline that sends events to h.
func New(cfg Config, h event.Handler) (*Pipeline, error) {
	w, err := newWorker(cfg, h)
	if err != nil {
		return nil, err
	}
	return &Pipeline{w: w}, nil
}

// Packet handles one frame of link type lt; num is its 1-based frame
// number and ts its capture time.
func (p *Pipeline) Packet(lt decode.LinkType, frame []byte, num int64, ts time.Time) {
	p.w.packet(lt, frame, num, ts)
}

// Go runs the pipeline's handler on a second goroutine from now until
// Finish, fed through a Handoff (bounded, order kept, nothing dropped), and
// decodes the EPM and DCOM response stubs there too (a stub larger than
// handoffMaxStub is decoded here): on a machine with two or more CPUs,
// reading and dissecting overlap with the stubs, the handler's work (rpcwatch
// read: the detector and the output) and each other. The handler sees the
// same events in the same order as without Go. Not for handlers that must
// follow each packet promptly (live output) or that share state with the
// caller without synchronisation. Calling Go again before Finish does
// nothing.
//
// While Go is in effect, Stats lacks the bindings, anomalies and stub
// errors of the stubs decoded on the second goroutine; Finish adds them.
//
// Allocation: the first Go allocates the Handoff's batches (about 2 MiB);
// later ones reuse them.
func (p *Pipeline) Go() {
	w := p.w
	if w.hand != nil {
		return
	}
	h := w.spare
	if h == nil {
		h = NewHandoff(w.sync)
		h.runner = &stubRunner{h: w.sync, st: &h.stubStats}
	}
	w.spare, w.hand = nil, h
	h.Start()
	w.h, w.stubs.h = h.Event, h.Event
}

// Stats returns the counters so far (flows still open are not yet folded
// into the stream and reassembly counters).
func (p *Pipeline) Stats() Stats {
	s := p.w.stats
	s.Flows = p.w.flows.Stats()
	s.CLReasm = p.w.clReasm.Stats
	s.Frag = p.w.frag.Stats()
	return s
}

// Finish flushes every open flow, delivering what its streams still hold,
// ends Go mode (waiting until the handler has seen every event), and returns
// the final counters. The pipeline is empty afterwards and can be reused.
func (p *Pipeline) Finish() Stats { return p.w.finish() }
