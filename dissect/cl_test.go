package dissect_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

var (
	clActivity = dissect.MustParseUUID("6c0f8b3e-2b4d-4a5e-9f00-112233445566")
	clObject   = dissect.MustParseUUID("dea00000-6c97-11d1-8271-00a02442df7d")
	clIface    = dissect.SyntaxID{UUID: dissect.MustParseUUID("dea00001-6c97-11d1-8271-00a02442df7d"), Major: 1, Minor: 2}
)

// clHeader returns a fully populated fixture header (every field non-zero
// and distinct, so that swapped fields show).
func clHeader(le bool, t dissect.PType) dcetest.CL {
	return dcetest.CL{
		LE: le, Type: t, Flags1: dissect.CLIdempotent | dissect.CLNoFack, Flags2: dissect.CLCancelPending,
		Serial: 0x0102, Object: clObject, Interface: clIface, Activity: clActivity,
		ServerBoot: 0x495cff9f, Seq: 0x11223344, Opnum: 4, IHint: 0xffff, AHint: 0xfffe, FragNum: 0,
	}
}

type clFixture struct {
	name string
	b    []byte
}

// clFixtures returns one fixture of every CL PDU type in byte order le.
func clFixtures(le bool) []clFixture {
	h := func(t dissect.PType) dcetest.CL { return clHeader(le, t) }
	frag := h(dissect.PTypeResponse)
	frag.Flags1 |= dissect.CLFrag | dissect.CLLastFrag
	frag.FragNum = 3
	auth := h(dissect.PTypeRequest)
	auth.AuthProto = dissect.AuthNTLMSSP
	return []clFixture{
		{"request", h(dissect.PTypeRequest).Build([]byte("request stub"), nil)},
		{"request-auth", auth.Build([]byte("request stub"), []byte("verifier-bytes"))},
		{"ping", h(dissect.PTypePing).Build(nil, nil)},
		{"response", h(dissect.PTypeResponse).Build([]byte("response stub"), nil)},
		{"response-lastfrag", frag.Build([]byte("tail"), nil)},
		{"fault", h(dissect.PTypeFault).Build(dcetest.CLStatusBody(le, 0x1c010003), nil)},
		{"working", h(dissect.PTypeWorking).Build(nil, nil)},
		{"nocall", h(dissect.PTypeNocall).Build(nil, nil)},
		{"nocall-fack", h(dissect.PTypeNocall).Build(dcetest.CLFackBody(le, 1, 4, 1464, 1464, 2, []uint32{0x7}), nil)},
		{"reject", h(dissect.PTypeReject).Build(dcetest.CLStatusBody(le, 0x1c000008), nil)},
		{"ack", h(dissect.PTypeAck).Build(nil, nil)},
		{"cl_cancel", h(dissect.PTypeCLCancel).Build(dcetest.CLCancelBody(le, 0, 9), nil)},
		{"fack", h(dissect.PTypeFack).Build(dcetest.CLFackBody(le, 1, 16, 65528, 1464, 0x0102, []uint32{0x5, 0x80000000}), nil)},
		{"cancel_ack", h(dissect.PTypeCancelAck).Build(dcetest.CLCancelAckBody(le, 0, 9, true), nil)},
	}
}

func clDecode(t *testing.T, b []byte) *dissect.CLPDU {
	t.Helper()
	var p dissect.CLPDU
	n, err := p.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if n != len(b) {
		t.Fatalf("Decode consumed %d of %d", n, len(b))
	}
	return &p
}

func TestCLHeader(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			body := []byte("the body")
			fx := clHeader(le, dissect.PTypeRequest)
			fx.FragNum = 0x0a0b
			fx.Flags1 |= dissect.CLFrag
			b := fx.Build(body, nil)
			if len(b) != 80+len(body) {
				t.Fatalf("fixture is %d bytes", len(b))
			}
			p := clDecode(t, b)
			want := dissect.CLHeader{
				Type: dissect.PTypeRequest, Flags1: dissect.CLIdempotent | dissect.CLNoFack | dissect.CLFrag, Flags2: dissect.CLCancelPending,
				Drep: dissect.DrepBE, Serial: 0x0102, Object: clObject, Interface: clIface, Activity: clActivity,
				ServerBoot: 0x495cff9f, Seq: 0x11223344, Opnum: 4, IHint: 0xffff, AHint: 0xfffe,
				BodyLen: uint16(len(body)), FragNum: 0x0a0b,
			}
			if le {
				want.Drep = dissect.DrepLE
			}
			if p.Header != want {
				t.Errorf("header\n got %+v\nwant %+v", p.Header, want)
			}
			if p.Header.LittleEndian() != le || b[7] != 0x01 || b[79] != 0x02 {
				t.Errorf("byte order / serial bytes")
			}
			if !bytes.Equal(p.Body, body) || p.Auth != nil || p.Truncated {
				t.Errorf("body %q auth %q", p.Body, p.Auth)
			}
			noAnomalies(t, &p.Anomalies)
			var h dissect.CLHeader
			if n, err := h.Decode(b); n != 80 || err != nil || h != want {
				t.Errorf("CLHeader.Decode: %d %v", n, err)
			}
			if bl, err := dissect.PeekCL(b); bl != len(body) || err != nil {
				t.Errorf("PeekCL = %d, %v", bl, err)
			}
		})
	})
}

func TestCLBodies(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			p := clDecode(t, clHeader(le, dissect.PTypeReject).Build(dcetest.CLStatusBody(le, 0x1c000008), nil))
			if p.Status != 0x1c000008 {
				t.Errorf("reject status %#x", p.Status)
			}
			p = clDecode(t, clHeader(le, dissect.PTypeFault).Build(dcetest.CLStatusBody(le, 0x1c010003), nil))
			if p.Status != 0x1c010003 {
				t.Errorf("fault status %#x", p.Status)
			}
			p = clDecode(t, clHeader(le, dissect.PTypeFack).Build(dcetest.CLFackBody(le, 1, 16, 65528, 1464, 0x0102, []uint32{5, 0x80000000}), nil))
			want := dissect.Fack{Version: 1, WindowSize: 16, MaxTSDU: 65528, MaxFragSize: 1464, SerialNum: 0x0102, SelAckLen: 2, NSelAck: 2}
			want.SelAck[0], want.SelAck[1] = 5, 0x80000000
			if !p.HasFack || p.Fack != want {
				t.Errorf("fack\n got %+v\nwant %+v", p.Fack, want)
			}
			noAnomalies(t, &p.Anomalies)
			p = clDecode(t, clHeader(le, dissect.PTypeNocall).Build(nil, nil))
			if p.HasFack {
				t.Errorf("nocall without body has a fack")
			}
			p = clDecode(t, clHeader(le, dissect.PTypeNocall).Build(dcetest.CLFackBody(le, 0, 1, 2, 3, 4, nil), nil))
			if !p.HasFack || p.Fack.MaxTSDU != 2 || p.Fack.SerialNum != 4 {
				t.Errorf("nocall fack %+v", p.Fack)
			}
			p = clDecode(t, clHeader(le, dissect.PTypeCLCancel).Build(dcetest.CLCancelBody(le, 0, 77), nil))
			if p.Cancel != (dissect.CLCancel{ID: 77}) {
				t.Errorf("cl_cancel %+v", p.Cancel)
			}
			p = clDecode(t, clHeader(le, dissect.PTypeCancelAck).Build(dcetest.CLCancelAckBody(le, 1, 77, true), nil))
			if p.Cancel != (dissect.CLCancel{Version: 1, ID: 77, Accepting: true}) {
				t.Errorf("cancel_ack %+v", p.Cancel)
			}
			for _, f := range clFixtures(le) {
				p := clDecode(t, f.b)
				noAnomalies(t, &p.Anomalies)
			}
		})
	})
}

func TestCLAuth(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			h := clHeader(le, dissect.PTypeRequest)
			h.AuthProto = dissect.AuthNTLMSSP
			p := clDecode(t, h.Build([]byte("stub"), []byte("verifier")))
			if string(p.Body) != "stub" || string(p.Auth) != "verifier" || p.Header.AuthProto != dissect.AuthNTLMSSP {
				t.Errorf("body %q auth %q", p.Body, p.Auth)
			}
			noAnomalies(t, &p.Anomalies)
			p = clDecode(t, h.Build([]byte("stub"), nil))
			wantAnomaly(t, &p.Anomalies, dissect.AnomCLAuthMissing, 78)
			// without auth_proto, bytes after the body are trailing bytes
			h.AuthProto = 0
			p = clDecode(t, h.Build([]byte("stub"), []byte("junk")))
			x := wantAnomaly(t, &p.Anomalies, dissect.AnomTrailingBytes, 84)
			if x.A != 4 || p.Auth != nil {
				t.Errorf("trailing %d auth %q", x.A, p.Auth)
			}
		})
	})
}

func TestCLHostile(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			b := clHeader(le, dissect.PTypeResponse).Build([]byte("0123456789"), nil)
			dcetest.PutCLBodyLen(b, le, 500)
			p := clDecode(t, b)
			x := wantAnomaly(t, &p.Anomalies, dissect.AnomCLBodyBeyondData, 74)
			if x.A != 500 || x.B != 10 || !p.Truncated || string(p.Body) != "0123456789" {
				t.Errorf("anomaly %+v body %q", x, p.Body)
			}

			// a fault whose declared body cannot hold the status
			b = clHeader(le, dissect.PTypeFault).Build([]byte{1, 2}, nil)
			var q dissect.CLPDU
			if n, err := q.Decode(b); !errors.Is(err, dissect.ErrLength) || n != 0 {
				t.Errorf("short fault: %d %v", n, err)
			}
			wantAnomaly(t, &q.Anomalies, dissect.AnomCLBodyTooShort, 74)
			// a fault whose status is declared but cut off
			b = clHeader(le, dissect.PTypeFault).Build(dcetest.CLStatusBody(le, 1), nil)[:82]
			if _, err := q.Decode(b); !errors.Is(err, dissect.ErrShort) {
				t.Errorf("truncated fault: %v", err)
			}
			b = clHeader(le, dissect.PTypeCLCancel).Build([]byte{0, 0, 0, 0}, nil)
			if _, err := q.Decode(b); !errors.Is(err, dissect.ErrLength) {
				t.Errorf("short cancel: %v", err)
			}
			p = clDecode(t, clHeader(le, dissect.PTypeCancelAck).Build(dcetest.CLCancelBody(le, 0, 1), nil))
			wantAnomaly(t, &p.Anomalies, dissect.AnomTruncated, 88)
			p = clDecode(t, clHeader(le, dissect.PTypeReject).Build(append(dcetest.CLStatusBody(le, 1), 9), nil))
			wantAnomaly(t, &p.Anomalies, dissect.AnomTrailingBytes, 84)
			p = clDecode(t, clHeader(le, dissect.PTypePing).Build([]byte{1}, nil))
			wantAnomaly(t, &p.Anomalies, dissect.AnomTrailingBytes, 80)

			// selack_len larger than the body
			fb := dcetest.CLFackBody(le, 1, 1, 2, 3, 4, []uint32{1, 2})
			(&dcetest.Enc{B: fb, LE: le}).PutU16At(14, 1000)
			p = clDecode(t, clHeader(le, dissect.PTypeFack).Build(fb, nil))
			x = wantAnomaly(t, &p.Anomalies, dissect.AnomCLSelAckCount, 94)
			if x.A != 1000 || x.B != 2 || p.Fack.NSelAck != 2 || p.Fack.SelAck[1] != 2 {
				t.Errorf("selack anomaly %+v fack %+v", x, p.Fack)
			}
			// more selack words than kept
			words := make([]uint32, dissect.MaxSelAck+3)
			p = clDecode(t, clHeader(le, dissect.PTypeFack).Build(dcetest.CLFackBody(le, 1, 1, 2, 3, 4, words), nil))
			wantAnomaly(t, &p.Anomalies, dissect.AnomLimit, 94)
			if p.Fack.NSelAck != dissect.MaxSelAck || int(p.Fack.SelAckLen) != len(words) {
				t.Errorf("kept %d of %d", p.Fack.NSelAck, p.Fack.SelAckLen)
			}
			// a short fack body
			p = clDecode(t, clHeader(le, dissect.PTypeFack).Build(dcetest.CLFackBody(le, 0, 7, 2, 3, 4, nil)[:6], nil))
			wantAnomaly(t, &p.Anomalies, dissect.AnomCLFackTruncated, 80)
			if p.Fack.WindowSize != 7 || !p.HasFack {
				t.Errorf("short fack %+v", p.Fack)
			}
			// sizeof(rpc_fack_body_t): selack_len 0 plus one unused word
			p = clDecode(t, clHeader(le, dissect.PTypeFack).Build(append(dcetest.CLFackBody(le, 1, 1, 1464, 1464, 0, nil), 0xcc, 0xcc, 0xcc, 0xcc), nil))
			noAnomalies(t, &p.Anomalies)
			p = clDecode(t, clHeader(le, dissect.PTypeFack).Build(append(dcetest.CLFackBody(le, 1, 1, 1464, 1464, 0, nil), 1, 2, 3, 4, 5), nil))
			wantAnomaly(t, &p.Anomalies, dissect.AnomTrailingBytes, 96)
		})
	})
}

func TestCLDecodeErrors(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			good := clHeader(le, dissect.PTypeRequest).Build([]byte("x"), nil)
			mod := func(f func(b []byte)) []byte {
				b := append([]byte(nil), good...)
				f(b)
				return b
			}
			// Not CL although the first byte is 4: SQL Slammer's payload
			// starts 04 01 01 01 01 01 01 01 (markofu-ppa-evilprogram.pcap).
			slammer := append([]byte{4}, bytes.Repeat([]byte{1}, 120)...)
			for _, tc := range []struct {
				name string
				b    []byte
				err  error
			}{
				{"short", good[:79], dissect.ErrShort},
				{"v5", mod(func(b []byte) { b[0] = 5 }), dissect.ErrVersion},
				{"ptype bind", mod(func(b []byte) { b[1] = byte(dissect.PTypeBind) }), dissect.ErrNotCL},
				{"drep reserved", mod(func(b []byte) { b[6] = 1 }), dissect.ErrNotCL},
				{"drep int rep 2", mod(func(b []byte) { b[4] = 0x20 }), dissect.ErrNotCL},
				{"drep float 9", mod(func(b []byte) { b[5] = 9 }), dissect.ErrNotCL},
				{"slammer", slammer, dissect.ErrNotCL},
			} {
				var p dissect.CLPDU
				if n, err := p.Decode(tc.b); !errors.Is(err, tc.err) || n != 0 {
					t.Errorf("%s: Decode = %d, %v; want %v", tc.name, n, err, tc.err)
				}
				if _, err := dissect.PeekCL(tc.b); !errors.Is(err, tc.err) {
					t.Errorf("%s: PeekCL = %v; want %v", tc.name, err, tc.err)
				}
			}
			// EBCDIC and VAX float are legal labels.
			clDecode(t, mod(func(b []byte) { b[4] |= 0x01; b[5] = 1 }))
		})
	})
}

func TestCLTruncated(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		for _, f := range clFixtures(le) {
			var p dissect.CLPDU
			for i := 0; i < len(f.b); i++ {
				n, err := p.Decode(f.b[:i])
				switch {
				case err == nil:
					cut := p.Truncated || p.Auth != nil || p.Anomalies.Has(dissect.AnomCLAuthMissing)
					if n != i || !cut {
						t.Errorf("%s %s[:%d]: n %d truncated %v", name, f.name, i, n, p.Truncated)
					}
				case errors.Is(err, dissect.ErrShort):
				default:
					t.Errorf("%s %s[:%d]: %v", name, f.name, i, err)
				}
			}
		}
	})
}

func TestCLDecodeReset(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		fs := append(clFixtures(le), clFixtures(!le)...)
		for _, a := range fs {
			for _, b := range fs {
				var reused, fresh dissect.CLPDU
				reused.Decode(a.b)
				n1, err1 := reused.Decode(b.b)
				n2, err2 := fresh.Decode(b.b)
				if n1 != n2 || err1 != err2 || !reflect.DeepEqual(reused, fresh) {
					t.Errorf("%s: decode %s then %s differs from a fresh decode", name, a.name, b.name)
				}
			}
		}
	})
}

func TestCLEnumStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{(dissect.CLFrag | dissect.CLLastFrag).String(), "lastfrag|frag"},
		{(dissect.CLReserved01 | dissect.CLNoFack | dissect.CLMaybe | dissect.CLIdempotent | dissect.CLBroadcast | dissect.CLReserved80).String(), "reserved-01|nofack|maybe|idempotent|broadcast|reserved-80"},
		{dissect.CLFlags1(0).String(), "none"},
		{dissect.CLCancelPending.String(), "cancel-pending"},
		{(dissect.CL2Reserved01 | dissect.CLFlags2(0x80)).String(), "reserved-01|reserved-80"},
		{dissect.PTypeFack.String(), "fack"},
		{dissect.PTypeCLCancel.String(), "cl_cancel"},
		{dissect.AnomCLBodyBeyondData.String(), "cl-body-beyond-datagram"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if !dissect.CLFlags1(0x06).Has(dissect.CLFrag) || dissect.CLFlags1(0x02).Has(dissect.CLFrag|dissect.CLLastFrag) {
		t.Error("Has")
	}
}
