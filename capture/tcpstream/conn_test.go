package tcpstream

import (
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/flow"
)

// wire plays both ends of a TCP connection into a Conn: it tracks each
// side's next sequence number and acknowledges the other side's.
type wire struct {
	c     *Conn
	rec   recorder
	frame uint64
	seq   [2]uint32 // next sequence number, by flow.Side
	acked [2]bool
}

func newWire(hint flow.Side, isnA, isnB uint32) *wire {
	return &wire{c: NewConn(dceFramer, Limits{}, hint), seq: [2]uint32{isnA, isnB}}
}

func (w *wire) send(from flow.Side, f Flags, payload []byte) {
	w.frame++
	seg := Segment{Seq: w.seq[from], Flags: f, Payload: payload, Frame: w.frame, Time: t0.Add(time.Duration(w.frame) * time.Millisecond)}
	if f&ACK != 0 {
		seg.Ack = w.seq[from.Other()]
	}
	w.c.Segment(from, &seg, &w.rec)
	w.seq[from] += uint32(len(payload))
	if f&(SYN|FIN) != 0 {
		w.seq[from]++
	}
}

type ev struct {
	kind  EventKind
	from  Role
	frame uint64
	syn   uint64
}

func (w *wire) events() []ev {
	var out []ev
	for _, e := range w.rec.events {
		out = append(out, ev{e.Kind, e.From, e.Frame, e.SynFrame})
	}
	return out
}

func checkEvents(t *testing.T, w *wire, want []ev) {
	t.Helper()
	if got := w.events(); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
}

const (
	cli = flow.SideA // 10.0.2.15:49712
	srv = flow.SideB // 10.0.2.16:135
)

func TestConnRefused(t *testing.T) {
	w := newWire(srv, 1000, 5000)
	w.send(cli, SYN, nil)
	w.send(srv, RST|ACK, nil)
	checkEvents(t, w, []ev{{EvSYN, Client, 1, 0}, {EvRefused, Server, 2, 1}})
	if w.c.State() != StateClosed || w.c.Server() != srv || w.c.RoleSource() != RoleFromSYN {
		t.Fatalf("state %v server %v source %v", w.c.State(), w.c.Server(), w.c.RoleSource())
	}
	// Windows retries the SYN with the same initial sequence number; the
	// refusal is not reported again.
	w.seq[cli] = 1000
	w.send(cli, SYN, nil)
	w.send(srv, RST|ACK, nil)
	if len(w.rec.events) != 2 {
		t.Fatalf("retried SYN reported again: %v", w.events())
	}
}

func TestConnRefusedWhenHintIsWrong(t *testing.T) {
	// The hint says A is the server, but A sent the SYN: the SYN wins.
	w := newWire(cli, 1000, 5000)
	w.send(cli, SYN, nil)
	w.send(srv, RST|ACK, nil)
	checkEvents(t, w, []ev{{EvSYN, Client, 1, 0}, {EvRefused, Server, 2, 1}})
	if w.c.Server() != srv {
		t.Fatalf("server %v, want b", w.c.Server())
	}
}

func dcePair(seed int64, le bool) (req, resp []byte) {
	p := genDCEPDUs(rand.New(rand.NewSource(seed)), 2, 100, 300, le)
	return p[0], p[1]
}

func TestConnHandshakeDataFIN(t *testing.T) {
	for _, le := range []bool{true, false} {
		req, resp := dcePair(1, le)
		w := newWire(srv, 0xfffffff0, 77) // the client's sequence numbers wrap
		w.send(cli, SYN, nil)
		w.send(srv, SYN|ACK, nil)
		w.send(cli, ACK, nil)
		w.send(cli, PSH|ACK, req[:50])
		w.send(cli, PSH|ACK, req[50:])
		w.send(srv, PSH|ACK, resp)
		w.send(cli, FIN|ACK, nil)
		w.send(srv, FIN|ACK, nil)
		w.send(cli, ACK, nil)
		checkEvents(t, w, []ev{{EvSYN, Client, 1, 0}, {EvEstablished, Server, 2, 1}, {EvFIN, Client, 7, 0}, {EvFIN, Server, 8, 0}})
		samePDUs(t, w.rec.pdus, [][]byte{req, resp})
		if m := w.rec.meta; m[0].From != Client || m[0].FirstFrame != 4 || m[0].LastFrame != 5 || m[1].From != Server || m[1].LastFrame != 6 || m[1].Copied {
			t.Fatalf("PDU metadata %+v", m)
		}
		if w.c.State() != StateClosed || !w.c.Stream(Client).Closed() || !w.c.Stream(Server).Closed() {
			t.Fatalf("state %v", w.c.State())
		}
		if st := w.c.Stats(); st.PDUs != 2 || st.Gaps != 0 || st.Segments != 9 {
			t.Fatalf("stats %+v", st)
		}
	}
}

func TestConnResetAfterData(t *testing.T) {
	req, resp := dcePair(2, true)
	w := newWire(srv, 1, 2)
	w.send(cli, SYN, nil)
	w.send(srv, SYN|ACK, nil)
	w.send(cli, ACK, nil)
	w.send(cli, PSH|ACK, req)
	w.send(srv, PSH|ACK, resp[:40]) // half a response, then the server resets
	w.send(srv, RST|ACK, nil)
	w.send(cli, PSH|ACK, req) // after the reset: ignored
	checkEvents(t, w, []ev{{EvSYN, Client, 1, 0}, {EvEstablished, Server, 2, 1}, {EvReset, Server, 6, 0}})
	samePDUs(t, w.rec.pdus, [][]byte{req})
	if st := w.c.Stream(Server).Stats(); st.Skipped != 40 || !w.c.Stream(Server).Closed() {
		t.Fatalf("server stream stats %+v", st)
	}
	if st := w.c.Stream(Client).Stats(); st.Ignored != uint64(len(req)) {
		t.Fatalf("client stream stats %+v", st)
	}
}

func TestConnMissingHandshake(t *testing.T) {
	req, resp := dcePair(3, false)
	w := newWire(srv, 123456, 654321)
	w.send(srv, PSH|ACK, resp) // the capture starts with the server's answer
	w.send(cli, PSH|ACK, req)
	w.send(cli, FIN|ACK, nil)
	checkEvents(t, w, []ev{{EvMidstream, Server, 1, 0}, {EvFIN, Client, 3, 0}})
	samePDUs(t, w.rec.pdus, [][]byte{resp, req})
	if w.rec.meta[0].From != Server || w.rec.meta[1].From != Client || w.c.RoleSource() != RoleFromHint {
		t.Fatalf("roles: %v %v source %v", w.rec.meta[0].From, w.rec.meta[1].From, w.c.RoleSource())
	}
	if !w.c.Stream(Server).Midstream() || w.c.State() != StateClosing {
		t.Fatalf("midstream %v state %v", w.c.Stream(Server).Midstream(), w.c.State())
	}
}

func TestConnSynAckWithoutSyn(t *testing.T) {
	req, _ := dcePair(4, true)
	w := newWire(cli, 10, 20) // a wrong hint: the SYN-ACK corrects it
	w.send(srv, SYN|ACK, nil)
	w.send(cli, ACK, nil)
	w.send(cli, PSH|ACK, req)
	// The SYN, captured late (after its answer, which acknowledged 10), is
	// not a new connection.
	w.seq[cli] = 9
	w.send(cli, SYN, nil)
	checkEvents(t, w, []ev{{EvEstablished, Server, 1, 0}})
	if w.c.Server() != srv || w.c.RoleSource() != RoleFromSYNACK || len(w.rec.pdus) != 1 || w.rec.meta[0].From != Client {
		t.Fatalf("server %v source %v pdus %d", w.c.Server(), w.c.RoleSource(), len(w.rec.pdus))
	}
}

func TestConnNoAnswerAndRetransmittedSYN(t *testing.T) {
	w := newWire(srv, 10, 20)
	w.send(cli, SYN, nil)
	w.seq[cli] = 10
	w.send(cli, SYN, nil) // retransmission
	w.c.Flush(&w.rec)
	w.c.Flush(&w.rec)
	checkEvents(t, w, []ev{{EvSYN, Client, 1, 0}, {EvNoAnswer, Client, 1, 1}})
}

func TestConnSynAckLostButDataFlows(t *testing.T) {
	req, resp := dcePair(5, true)
	w := newWire(srv, 10, 20)
	w.send(cli, SYN, nil)
	w.seq[srv]++ // the SYN-ACK is missing from the capture
	w.send(cli, PSH|ACK, req)
	w.send(srv, PSH|ACK, resp)
	checkEvents(t, w, []ev{{EvSYN, Client, 1, 0}, {EvEstablished, Client, 2, 1}})
	samePDUs(t, w.rec.pdus, [][]byte{req, resp})
}

func TestConnPortReuse(t *testing.T) {
	req, resp := dcePair(6, true)
	w := newWire(srv, 100, 200)
	w.send(cli, SYN, nil)
	w.send(srv, SYN|ACK, nil)
	w.send(cli, PSH|ACK, req[:30]) // left incomplete
	// A new connection on the same ports, with a new initial sequence
	// number: the old one is flushed, the new one starts clean.
	w.seq = [2]uint32{900000, 800000}
	w.send(cli, SYN, nil)
	w.send(srv, SYN|ACK, nil)
	w.send(cli, PSH|ACK, req)
	w.send(srv, PSH|ACK, resp)
	checkEvents(t, w, []ev{{EvSYN, Client, 1, 0}, {EvEstablished, Server, 2, 1}, {EvSYN, Client, 4, 0}, {EvEstablished, Server, 5, 4}})
	samePDUs(t, w.rec.pdus, [][]byte{req, resp})
	// The counters cover both connections: the old one's 30 bytes were
	// discarded when the new SYN flushed it.
	if st := w.c.Stats(); st.Skipped != 30 || st.PDUs != 2 || st.Segments != 7 {
		t.Fatalf("stats after reuse %+v", st)
	}
}

func TestConnAckDecidesLoss(t *testing.T) {
	// The server's answer loses its middle segment to the capture; the
	// client's acknowledgement of the whole answer decides the hole at once.
	pdus := genDCEPDUs(rand.New(rand.NewSource(9)), 4, 200, 200, true)
	resp := concat(pdus)
	w := newWire(srv, 1, 1000)
	w.send(cli, SYN, nil)
	w.send(srv, SYN|ACK, nil)
	w.send(srv, PSH|ACK, resp[:200])
	w.seq[srv] += 200 // resp[200:400] lost
	w.send(srv, PSH|ACK, resp[400:])
	if len(w.rec.pdus) != 1 {
		t.Fatalf("%d PDUs before the ack", len(w.rec.pdus))
	}
	w.send(cli, ACK, nil)
	samePDUs(t, w.rec.pdus, [][]byte{pdus[0], pdus[2], pdus[3]})
	if st := w.c.Stream(Server).Stats(); st.Gaps != 1 || st.GapBytes != 200 || st.Resyncs != 1 {
		t.Fatalf("stats %+v", st)
	}
	if m := w.rec.meta[1]; !m.AfterGap || m.FirstFrame != 4 || m.LastFrame != 4 {
		t.Fatalf("PDU after the gap: %+v", m)
	}
}

func TestEnumStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{EvRefused.String(), "refused"}, {EventKind(0).String(), "event-?"}, {EvNoAnswer.String(), "no-answer"},
		{StateSynSent.String(), "syn-sent"}, {ConnState(9).String(), "state-?"},
		{RoleFromHint.String(), "hint"}, {Server.String(), "server"}, {Client.Other().String(), "server"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

func TestConnResetThenReuseEqualsFresh(t *testing.T) {
	// Connection A leaves state everywhere (held data, a half PDU, FIN,
	// counters); after Reset, connection B must look exactly as on a fresh
	// Conn.
	reqA, respA := dcePair(20, true)
	reqB, respB := dcePair(21, false)
	playA := func(w *wire) {
		w.send(cli, SYN, nil)
		w.send(srv, SYN|ACK, nil)
		w.send(cli, PSH|ACK, reqA[:20])
		w.seq[srv] += 10
		w.send(srv, PSH|ACK, respA[10:])
		w.send(cli, FIN|ACK, nil)
	}
	playB := func(w *wire) {
		w.send(srv, PSH|ACK, respB)
		w.send(cli, PSH|ACK, reqB[:7])
		w.send(cli, PSH|ACK, reqB[7:])
		w.send(srv, RST, nil)
	}
	reused := newWire(srv, 1, 2)
	playA(reused)
	reused.c.Reset(dceFramer, Limits{}, srv)
	reused.rec, reused.frame = recorder{}, 0
	reused.seq = [2]uint32{500, 900}
	playB(reused)

	fresh := newWire(srv, 500, 900)
	playB(fresh)
	samePDUs(t, reused.rec.pdus, fresh.rec.pdus)
	sameMeta := slices.EqualFunc(reused.rec.meta, fresh.rec.meta, func(a, b PDU) bool {
		return a.Seq == b.Seq && a.From == b.From && a.FirstFrame == b.FirstFrame && a.LastFrame == b.LastFrame &&
			a.Time.Equal(b.Time) && a.Copied == b.Copied && a.AfterGap == b.AfterGap
	})
	if !slices.Equal(reused.events(), fresh.events()) || !sameMeta {
		t.Fatalf("reused conn: events %v meta %+v\nfresh: events %v meta %+v", reused.events(), reused.rec.meta, fresh.events(), fresh.rec.meta)
	}
	if reused.c.Stats() != fresh.c.Stats() || reused.c.State() != fresh.c.State() || reused.c.RoleSource() != fresh.c.RoleSource() {
		t.Fatalf("reused stats %+v state %v, fresh %+v state %v", reused.c.Stats(), reused.c.State(), fresh.c.Stats(), fresh.c.State())
	}
}
