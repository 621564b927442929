package scenario

import (
	"net/netip"
	"time"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

// Transfer syntax NDR 2.0 as bind contexts propose it.
var ndr20 = dissect.SyntaxID{UUID: dissect.NDR20, Major: 2}

// Max fragment sizes both ends negotiate (Windows' defaults over TCP).
const maxFrag = 5840

// assocGroup is the association group every bind_ack assigns (any non-zero
// value; fixed for determinism).
const assocGroup = 0x0000c4d2

// coConn is a connection-oriented DCE/RPC association over a TCP
// connection. Client PDUs use the client's byte order, server PDUs the
// server's (NDR lets each sender use its own).
type coConn struct {
	*tcpConn
	cle, sle bool // client and server little-endian
	callID   uint32
	iface    dissect.SyntaxID
}

// rpc opens a TCP connection from cli to srv and returns the association
// on it (not yet bound).
func (c *trace) rpc(cli netip.Addr, srv netip.AddrPort, clientLE, serverLE bool) *coConn {
	t := c.tcp(cli, srv)
	t.handshake()
	return &coConn{tcpConn: t, cle: clientLE, sle: serverLE}
}

// bind proposes iface on context 0 (NDR 2.0). When accept, the server
// accepts it; otherwise it answers with a provider rejection (abstract
// syntax not supported), as Samba and Windows do when the endpoint serves
// another interface. It returns the bind_ack's frame number.
func (r *coConn) bind(iface dissect.SyntaxID, name string, accept bool) int {
	r.callID++
	r.iface = iface
	b := dcetest.Bind{MaxXmit: maxFrag, MaxRecv: maxFrag,
		Contexts: []dcetest.Ctx{{ID: 0, Abstract: iface, Transfer: []dissect.SyntaxID{ndr20}}}}
	r.send(sendGap, false, dcetest.COBind(r.cle, r.callID, b, nil), "bind "+name+" "+iface.UUID.String()+" v"+ver(iface))
	secAddr := string(dissect.AppendUint(nil, uint64(r.srv.Port())))
	res := dissect.Result{Result: dissect.AckAcceptance, Transfer: ndr20}
	note := "bind_ack: " + name + " accepted, secondary address " + secAddr
	if !accept {
		res = dissect.Result{Result: dissect.AckProviderRejection, Reason: dissect.ReasonAbstractSyntaxNotSupported}
		note = "bind_ack: provider rejection, abstract syntax not supported (" + name + " is not served on port " + secAddr + ")"
	}
	a := dcetest.BindAck{MaxXmit: maxFrag, MaxRecv: maxFrag, AssocGroup: assocGroup, SecAddr: secAddr,
		Results: []dissect.Result{res}}
	return r.send(replyGap, true, dcetest.COBindAck(r.sle, r.callID, a, nil), note)
}

// request sends one request on context 0 and returns its last frame.
func (r *coConn) request(opnum uint16, stub []byte, note string) int {
	r.callID++
	return r.send(sendGap, false,
		dcetest.CORequest(r.cle, r.callID, 0, opnum, nil, dissect.PFCFirstFrag|dissect.PFCLastFrag, stub, nil), note)
}

// response answers the last request with a response stub.
func (r *coConn) response(stub []byte, note string) int {
	return r.send(replyGap, true,
		dcetest.COResponse(r.sle, r.callID, 0, dissect.PFCFirstFrag|dissect.PFCLastFrag, stub, nil), note)
}

// fault answers the last request with a fault PDU.
func (r *coConn) fault(status uint32, note string) int {
	return r.send(replyGap, true, dcetest.COFault(r.sle, r.callID, 0, status, nil), note)
}

// call sends a request and its response; it returns both frame numbers
// (the last frame of each PDU).
func (r *coConn) call(opnum uint16, req []byte, reqNote string, resp []byte, respNote string) (int, int) {
	q := r.request(opnum, req, reqNote)
	return q, r.response(resp, respNote)
}

// done acknowledges the last response (delayed ACK) and closes the
// connection from the client.
func (r *coConn) done() {
	r.c.wait(200 * time.Millisecond)
	r.ack(false)
	r.c.wait(15 * time.Millisecond)
	r.close()
}

// ver renders a syntax version "3.0".
func ver(s dissect.SyntaxID) string {
	b := dissect.AppendUint(nil, uint64(s.Major))
	b = append(b, '.')
	return string(dissect.AppendUint(b, uint64(s.Minor)))
}

// clPeer is one side's view of a connectionless conversation: the
// activity, sequence number and boot time a client puts in its requests.
type clPeer struct {
	c        *trace
	cli, srv netip.AddrPort
	le       bool // client byte order
	sle      bool // server byte order
	activity dissect.UUID
	seq      uint32
	serial   uint16
	boot     uint32 // server boot time the client believes in (0 before the first answer)
}

// cl starts a connectionless conversation from cli (a fresh client port)
// to srv with a fixed activity id.
func (c *trace) cl(cli netip.Addr, srv netip.AddrPort, clientLE, serverLE bool, activity string) *clPeer {
	return &clPeer{c: c, cli: netip.AddrPortFrom(cli, c.ephemeral(cli)), srv: srv, le: clientLE, sle: serverLE,
		activity: dissect.MustParseUUID(activity)}
}

// to returns a conversation with the same client port and activity to
// another server endpoint (the runtime reuses its socket).
func (p *clPeer) to(srv netip.AddrPort) *clPeer {
	q := *p
	q.srv = srv
	return &q
}

// fresh returns a conversation from the same client port to the same
// server with a new activity: sequence 0, server boot time unknown.
func (p *clPeer) fresh(activity string) *clPeer {
	q := *p
	q.activity, q.seq, q.serial, q.boot = dissect.MustParseUUID(activity), 0, 0, 0
	return &q
}

// header returns a CL header for a PDU of the conversation.
func (p *clPeer) header(le bool, t dissect.PType, iface dissect.SyntaxID, opnum uint16, boot uint32) dcetest.CL {
	return dcetest.CL{LE: le, Type: t, Interface: iface, Activity: p.activity, ServerBoot: boot,
		Seq: p.seq, Opnum: opnum, IHint: 0xffff, AHint: 0xffff, Serial: p.serial}
}

// request sends a non-fragmented idempotent request carrying the boot time
// the client believes in, and returns its frame number. Its flags are
// idempotent and no-fack (0x28), as Windows clients send them.
func (p *clPeer) request(iface dissect.SyntaxID, opnum uint16, stub []byte, note string) int {
	h := p.header(p.le, dissect.PTypeRequest, iface, opnum, p.boot)
	h.Flags1 = dissect.CLIdempotent | dissect.CLNoFack
	return p.c.udp(sendGap, p.cli, p.srv, h.Build(stub, nil), note)
}

// reply sends a server PDU of type t for the current call with the
// server's boot time boot, and learns boot (the client runtime does). A
// response carries last-fragment and no-fack (0x0a), other PDUs no flags.
func (p *clPeer) reply(t dissect.PType, iface dissect.SyntaxID, opnum uint16, boot uint32, body []byte, note string) int {
	h := p.header(p.sle, t, iface, opnum, boot)
	if t == dissect.PTypeResponse {
		h.Flags1 = dissect.CLLastFrag | dissect.CLNoFack
	}
	n := p.c.udp(replyGap, p.srv, p.cli, h.Build(body, nil), note)
	if t == dissect.PTypeResponse {
		p.boot = boot
	}
	return n
}

// ping sends a ping for the current call.
func (p *clPeer) ping(iface dissect.SyntaxID, opnum uint16, note string) int {
	h := p.header(p.le, dissect.PTypePing, iface, opnum, p.boot)
	return p.c.udp(sendGap, p.cli, p.srv, h.Build(nil, nil), note)
}

// nextCall moves to the next call of the activity.
func (p *clPeer) nextCall() { p.seq++ }
