package detect

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

var (
	samr    = dissect.SyntaxID{UUID: dissect.MustParseUUID("12345778-1234-abcd-ef00-0123456789ac"), Major: 1}
	lsarpc  = dissect.SyntaxID{UUID: dissect.MustParseUUID("12345778-1234-abcd-ef00-0123456789ab")}
	remUnk  = dissect.SyntaxID{UUID: dissect.MustParseUUID("00000131-0000-0000-c000-000000000046")}
	oxidRes = dissect.SyntaxID{UUID: dissect.IObjectExporter}
	epmIf   = dissect.SyntaxID{UUID: dissect.EPMv4, Major: 3}
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// bind builds a binding from "ncacn_ip_tcp", an address text and a port
// (0: none), parsing the address the way the dissectors do.
func bind(ps dissect.Protseq, addr string, port uint16) dissect.Binding {
	var b dissect.Binding
	b.Protseq = ps
	b.Addr.SetString(addr)
	if ip, ok := dcom.ParseIP([]byte(addr)); ok {
		b.IP = ip
	}
	if port != 0 {
		b.SetPort(port)
	}
	return b
}

// rec records findings.
type rec struct {
	t  *testing.T
	d  *Detector
	fs []*Finding
	fr int64
}

func newRec(t *testing.T, cfg Config) *rec {
	r := &rec{t: t}
	r.d = New(cfg, func(f *Finding) { r.fs = append(r.fs, f) })
	return r
}

func (r *rec) ev(e event.Event) {
	if e.Frame == 0 {
		r.fr++
		e.Frame = r.fr
	} else {
		r.fr = e.Frame
	}
	if e.FirstFrame == 0 {
		e.FirstFrame = e.Frame
	}
	if e.TimeNs == 0 {
		e.TimeNs = 1e18 + e.Frame*1e6
	}
	r.d.Event(&e)
}

// answer feeds one server answer (all bindings in one frame).
func (r *rec) answer(src event.Source, client, server string, id dissect.SyntaxID, bs ...dissect.Binding) int64 {
	r.fr++
	for _, b := range bs {
		r.ev(event.Event{Kind: event.KindBinding, Frame: r.fr, Client: ap(client), Server: ap(server), FromServer: true,
			Transport: event.TCP, Binding: b, BindingIface: id, Source: src, HasBinding: true})
	}
	return r.fr
}

func (r *rec) pdu(client, server string, fromServer bool, tr uint8, pt dissect.PType, id dissect.SyntaxID, mod func(*event.Event)) int64 {
	e := event.Event{Kind: event.KindPDU, Client: ap(client), Server: ap(server), FromServer: fromServer, Transport: tr,
		PType: pt, Iface: id, IfaceOK: id != dissect.SyntaxID{}}
	if mod != nil {
		mod(&e)
	}
	r.ev(e)
	return r.fr
}

func (r *rec) flush() { r.d.Flush() }

// rules returns the findings as "frame rule" pairs.
func (r *rec) rules() []string {
	var s []string
	for _, f := range r.fs {
		s = append(s, itoa(f.Frame)+" "+f.Rule.String())
	}
	return s
}

func (r *rec) want(w ...string) {
	r.t.Helper()
	got := r.rules()
	if len(got) != len(w) {
		r.t.Fatalf("findings %q, want %q", got, w)
	}
	for i := range w {
		if got[i] != w[i] {
			r.t.Fatalf("findings %q, want %q", got, w)
		}
	}
}

func (r *rec) clear() { r.fs = nil }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// get looks a key up (computing its digest), for tests.
func (x *bindIndex) get(k *bkey) *binding {
	return x.find(x.digest(k.server, &k.iface, &k.b), k.server, &k.iface, &k.b)
}
