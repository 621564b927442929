package tcpstream

import (
	"time"

	"github.com/rpcwatch/rpcwatch/capture/flow"
)

// Conn follows one TCP connection: both directions' [Stream]s, and the
// handshake and teardown, reported as [Event]s. Segments are given with the
// side of the caller's flow key that sent them; the Conn works out which
// side is the client (from the SYN, else the SYN-ACK, else the caller's
// hint) and labels PDUs and events by [Role].
//
// A Conn is meant to live in a flow table slot: Reset readies it for a new
// connection without freeing its buffers.
type Conn struct {
	dir       [2]Stream // indexed by Role
	hint      flow.Side // the side the caller expects to be the server
	server    flow.Side
	source    RoleSource
	state     ConnState
	synFrame  uint64
	synTime   time.Time
	clientISN uint32
	fin       [2]bool // by Role
	answered  bool    // EvNoAnswer reported, or the SYN was answered
	ev        Event
}

// NewConn returns a Conn whose streams frame with f within lim.
// serverHint names the side to treat as the server if the capture shows no
// handshake (flow.Key.LowPort is a good guess).
func NewConn(f Framer, lim Limits, serverHint flow.Side) *Conn {
	c := new(Conn)
	c.Reset(f, lim, serverHint)
	return c
}

// Reset readies c for a new connection, keeping its buffers.
func (c *Conn) Reset(f Framer, lim Limits, serverHint flow.Side) {
	// Field by field, so that the streams are not copied out and back in
	// (TestConnResetFresh checks that every field is covered).
	c.hint, c.server, c.source, c.state = serverHint, serverHint, 0, 0
	c.synFrame, c.synTime, c.clientISN = 0, time.Time{}, 0
	c.fin, c.answered, c.ev = [2]bool{}, false, Event{}
	for r := range c.dir {
		c.dir[r].role = Role(r)
		c.dir[r].Reset(f, lim)
	}
}

// State returns the connection state.
func (c *Conn) State() ConnState { return c.state }

// ClientISN returns the initial sequence number of the client's SYN (or
// the one a SYN-ACK implies); meaningful when RoleSource is not
// RoleFromHint.
func (c *Conn) ClientISN() uint32 { return c.clientISN }

// Server returns the side of the flow key that is the server.
func (c *Conn) Server() flow.Side { return c.server }

// RoleSource says how the server side was decided.
func (c *Conn) RoleSource() RoleSource { return c.source }

// Stream returns the stream sent by role r (for its Stats).
func (c *Conn) Stream(r Role) *Stream { return &c.dir[r] }

// Stats returns the sum of both directions' counters.
func (c *Conn) Stats() Stats {
	s := c.dir[Client].stats
	s.Add(c.dir[Server].stats)
	return s
}

// Progress returns the Segments, Bytes and BadHeaders counters of Stats
// (summed over both directions) without building the rest: the three a
// caller needs, per segment, to judge whether a conversation carries its
// protocol at all.
func (c *Conn) Progress() (segments, bytes, badHeaders uint64) {
	a, b := &c.dir[Client].stats, &c.dir[Server].stats
	return a.Segments + b.Segments, a.Bytes + b.Bytes, a.BadHeaders + b.BadHeaders
}

func (c *Conn) roleOf(side flow.Side) Role {
	if side == c.server {
		return Server
	}
	return Client
}

func (c *Conn) emit(h Handler, k EventKind, from Role, frame uint64, t time.Time, syn uint64) {
	// Field by field, every field (TestEventFields lists them): a
	// composite literal went through a temporary.
	e := &c.ev
	e.Kind, e.From, e.Frame, e.Time, e.SynFrame = k, from, frame, t, syn
	if h != nil {
		h.Event(&c.ev)
	}
}

// Segment feeds one segment sent by side from, delivering the PDUs it
// completes and the events it causes through h (which may be nil).
func (c *Conn) Segment(from flow.Side, seg *Segment, h Handler) {
	c.segment(from, seg, h, true)
}

// Control follows the handshake and teardown of a segment, reporting events
// as Segment does, but leaves the streams alone: for conversations whose
// payload the caller does not reassemble (not, or not yet, known to carry
// the protocol). Feeding only the control segments of such a conversation
// to Segment would instead show its unseen payload as lost bytes.
func (c *Conn) Control(from flow.Side, seg *Segment, h Handler) {
	c.segment(from, seg, h, false)
}

func (c *Conn) segment(from flow.Side, seg *Segment, h Handler, feed bool) {
	k := sink{conn: h} // the streams deliver PDUs to h as it is
	f := seg.Flags
	if f&SYN != 0 {
		if f&ACK == 0 {
			c.syn(from, seg, h, &k, feed)
		} else {
			c.synAck(from, seg, h, &k, feed)
		}
		return
	}
	if c.state == StateNew {
		c.server, c.source = c.hint, RoleFromHint
		c.state = StateEstablished
		c.answered = true
		c.emit(h, EvMidstream, c.roleOf(from), seg.Frame, seg.Time, 0)
	}
	r := c.roleOf(from)
	if f&RST != 0 {
		c.rst(r, seg, h, &k, feed)
		return
	}
	if c.state == StateSynSent && len(seg.Payload) > 0 {
		// The SYN-ACK is missing from the capture, but data flows.
		c.state = StateEstablished
		c.answered = true
		c.emit(h, EvEstablished, r, seg.Frame, seg.Time, c.synFrame)
	}
	if feed {
		if f&ACK != 0 {
			c.dir[r.Other()].ack(seg.Ack, &k)
		}
		c.dir[r].push(seg, &k)
	}
	if f&FIN != 0 && !c.fin[r] && c.state != StateClosed {
		c.fin[r] = true
		if c.fin[r.Other()] {
			c.state = StateClosed
		} else {
			c.state = StateClosing
		}
		c.emit(h, EvFIN, r, seg.Frame, seg.Time, 0)
	}
}

func (c *Conn) syn(from flow.Side, seg *Segment, h Handler, k *sink, feed bool) {
	if c.state != StateNew {
		if c.source != RoleFromHint && from != c.server && seg.Seq == c.clientISN {
			if feed {
				c.dir[Client].push(seg, k) // retransmitted SYN: counted, nothing new
			}
			return
		}
		// A new connection on the same ports: finish the old one. The
		// counters go on (they describe the flow table entry).
		c.Flush(h)
		f, lim, hint := c.dir[0].framer, c.dir[0].lim, c.hint
		st := [2]Stats{c.dir[0].stats, c.dir[1].stats}
		c.Reset(f, lim, hint)
		c.dir[0].stats, c.dir[1].stats = st[0], st[1]
	}
	c.server, c.source = from.Other(), RoleFromSYN
	c.state = StateSynSent
	c.synFrame, c.synTime, c.clientISN = seg.Frame, seg.Time, seg.Seq
	c.emit(h, EvSYN, Client, seg.Frame, seg.Time, 0)
	if feed {
		c.dir[Client].push(seg, k)
	}
}

func (c *Conn) synAck(from flow.Side, seg *Segment, h Handler, k *sink, feed bool) {
	switch {
	case c.state == StateNew:
		c.server, c.source = from, RoleFromSYNACK
		c.state = StateEstablished
		c.answered = true
		c.clientISN = seg.Ack - 1 // so that the SYN, if it shows up late, is known
		c.emit(h, EvEstablished, Server, seg.Frame, seg.Time, 0)
	case c.state == StateSynSent && from == c.server:
		c.state = StateEstablished
		c.answered = true
		c.emit(h, EvEstablished, Server, seg.Frame, seg.Time, c.synFrame)
	}
	// Otherwise a retransmitted SYN-ACK, or one from the client's side
	// (simultaneous open): the stream counts it and moves on.
	if feed {
		c.dir[c.roleOf(from)].push(seg, k)
	}
}

func (c *Conn) rst(r Role, seg *Segment, h Handler, k *sink, feed bool) {
	switch c.state {
	case StateSynSent:
		c.answered = true
		if r == Server {
			c.emit(h, EvRefused, Server, seg.Frame, seg.Time, c.synFrame)
		} else {
			c.emit(h, EvReset, Client, seg.Frame, seg.Time, c.synFrame)
		}
	case StateEstablished, StateClosing:
		c.emit(h, EvReset, r, seg.Frame, seg.Time, 0)
	}
	if feed {
		c.dir[r].push(seg, k)
	}
	c.dir[r.Other()].close(k)
	c.dir[r].close(k)
	c.state = StateClosed
}

// Flush delivers what both streams can still frame, declaring their holes
// lost and discarding incomplete PDUs (see [Stream.Flush]); call it when the
// connection leaves the flow table or the capture ends. A SYN still
// unanswered is reported as EvNoAnswer (once).
func (c *Conn) Flush(h Handler) {
	k := sink{conn: h}
	c.dir[Client].flush(&k)
	c.dir[Server].flush(&k)
	if c.state == StateSynSent && !c.answered {
		c.answered = true
		c.emit(h, EvNoAnswer, Client, c.synFrame, c.synTime, c.synFrame)
	}
}
