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
	synEPM    = dissect.SyntaxID{UUID: dissect.EPMv4, Major: 3}
	synOXID   = dissect.SyntaxID{UUID: dissect.IObjectExporter}
	synNDR    = dissect.SyntaxID{UUID: dissect.NDR20, Major: 2}
	synNDR64  = dissect.SyntaxID{UUID: dissect.NDR64, Major: 1}
	synBTFN   = dissect.SyntaxID{UUID: dissect.MustParseUUID("6cb71c2c-9812-4540-0300-000000000000"), Major: 1}
	synMinor  = dissect.SyntaxID{UUID: dissect.MustParseUUID("12345778-1234-abcd-ef00-0123456789ab"), Major: 0, Minor: 2}
	objectID  = dissect.MustParseUUID("00112233-4455-6677-8899-aabbccddeeff")
	ntlmAuth  = &dcetest.Auth{Type: dissect.AuthNTLMSSP, Level: dissect.AuthLevelIntegrity, PadLen: 4, ContextID: 0x1234, Value: bytes.Repeat([]byte{0xaa}, 16)}
	firstLast = dissect.PFCFirstFrag | dissect.PFCLastFrag
)

// coFixture is one CO PDU built by dcetest.
type coFixture struct {
	name string
	b    []byte
}

// coFixtures returns one fixture of every CO PDU type (and the main
// variants) in byte order le.
func coFixtures(le bool) []coFixture {
	stub := []byte("0123456789abcdefghij")
	bind := dcetest.Bind{MaxXmit: 4280, MaxRecv: 4280, AssocGroup: 0x53f0, Contexts: []dcetest.Ctx{
		{ID: 0, Abstract: synEPM, Transfer: []dissect.SyntaxID{synNDR}},
		{ID: 1, Abstract: synEPM, Transfer: []dissect.SyntaxID{synNDR64}},
		{ID: 2, Abstract: synEPM, Transfer: []dissect.SyntaxID{synBTFN}},
	}}
	ack := dcetest.BindAck{MaxXmit: 4280, MaxRecv: 4280, AssocGroup: 0x53f0, SecAddr: "135", Results: []dissect.Result{
		{Result: dissect.AckAcceptance, Transfer: synNDR},
		{Result: dissect.AckProviderRejection, Reason: dissect.ReasonProposedTransferNotSupported},
		{Result: dissect.AckNegotiateAck, Reason: 3},
	}}
	return []coFixture{
		{"request", dcetest.CORequest(le, 2, 0, 2, nil, firstLast, stub, nil)},
		{"request-object", dcetest.CORequest(le, 3, 1, 4, &objectID, firstLast, stub, nil)},
		{"request-auth", dcetest.CORequest(le, 4, 0, 3, nil, firstLast, stub, ntlmAuth)},
		{"response", dcetest.COResponse(le, 2, 0, firstLast, stub, nil)},
		{"response-auth", dcetest.COResponse(le, 4, 0, firstLast, stub, ntlmAuth)},
		{"fault", dcetest.COFault(le, 7, 0, 0x1c00001a, nil)},
		{"bind", dcetest.COBind(le, 1, bind, nil)},
		{"bind-auth", dcetest.COBind(le, 1, bind, &dcetest.Auth{Type: dissect.AuthSPNEGO, Level: dissect.AuthLevelPrivacy, Value: []byte("negotiate-token")})},
		{"alter_context", dcetest.COAlterContext(le, 2, bind, nil)},
		{"bind_ack", dcetest.COBindAck(le, 1, ack, nil)},
		{"bind_ack-dynamic", dcetest.COBindAck(le, 1, dcetest.BindAck{MaxXmit: 4280, MaxRecv: 4280, AssocGroup: 1, Results: ack.Results[:1]}, nil)},
		{"alter_context_resp", dcetest.COAlterContextResp(le, 2, ack, nil)},
		{"bind_nak", dcetest.COBindNak(le, 1, dissect.RejectProtocolVersionNotSupp, []dissect.ProtoVersion{{5, 0}, {5, 1}}, false)},
		{"bind_nak-signature", dcetest.COBindNak(le, 1, dissect.RejectLocalLimitExceeded, []dissect.ProtoVersion{{5, 0}}, true)},
		{"auth3", dcetest.COAuth3(le, 1, ntlmAuth)},
		{"shutdown", dcetest.COEmpty(le, dissect.PTypeShutdown, 0, firstLast, nil)},
		{"co_cancel", dcetest.COEmpty(le, dissect.PTypeCOCancel, 5, firstLast, nil)},
		{"orphaned", dcetest.COEmpty(le, dissect.PTypeOrphaned, 5, firstLast, nil)},
		{"rts", dcetest.CORTS(le, 0x0002, 1, []byte{0, 0, 0, 0, 1, 0, 0, 0})},
	}
}

func coDecode(t *testing.T, b []byte) *dissect.COPDU {
	t.Helper()
	var p dissect.COPDU
	n, err := p.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if n != len(b) {
		t.Fatalf("Decode consumed %d of %d bytes", n, len(b))
	}
	return &p
}

func noAnomalies(t *testing.T, a *dissect.Anomalies) {
	t.Helper()
	for i := 0; i < a.Len(); i++ {
		x := a.At(i)
		t.Errorf("unexpected anomaly %s at %d (%d, %d)", x.Kind, x.Off, x.A, x.B)
	}
}

func wantAnomaly(t *testing.T, a *dissect.Anomalies, k dissect.AnomalyKind, off int) dissect.Anomaly {
	t.Helper()
	for i := 0; i < a.Len(); i++ {
		if x := a.At(i); x.Kind == k {
			if off >= 0 && x.Off != off {
				t.Errorf("anomaly %s at offset %d, want %d", k, x.Off, off)
			}
			return x
		}
	}
	t.Fatalf("anomaly %s not reported (have %d)", k, a.Len())
	return dissect.Anomaly{}
}

func wantHeader(t *testing.T, p *dissect.COPDU, le bool, typ dissect.PType, flags dissect.PFCFlags, callID uint32, n int) {
	t.Helper()
	want := dissect.COHeader{Type: typ, Flags: flags, Drep: dissect.DrepBE, FragLen: uint16(n), CallID: callID}
	if le {
		want.Drep = dissect.DrepLE
	}
	want.AuthLen = p.Header.AuthLen // checked by the callers that add a verifier
	if p.Header != want {
		t.Errorf("header = %+v, want %+v", p.Header, want)
	}
	if p.Header.LittleEndian() != le {
		t.Errorf("LittleEndian() = %v", p.Header.LittleEndian())
	}
}

func TestCORequest(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			stub := []byte("stub-bytes-0123")
			b := dcetest.CORequest(le, 0x01020304, 7, 3, nil, firstLast, stub, nil)
			p := coDecode(t, b)
			wantHeader(t, p, le, dissect.PTypeRequest, firstLast, 0x01020304, len(b))
			if p.AllocHint != uint32(len(stub)) || p.ContextID != 7 || p.Opnum != 3 || p.HasObject || p.HasAuth {
				t.Errorf("request fields: %+v", p)
			}
			if !bytes.Equal(p.Stub, stub) || !bytes.Equal(p.Body, stub) {
				t.Errorf("stub = %q", p.Stub)
			}
			noAnomalies(t, &p.Anomalies)

			b = dcetest.CORequest(le, 9, 1, 4, &objectID, dissect.PFCFirstFrag, stub, nil)
			p = coDecode(t, b)
			wantHeader(t, p, le, dissect.PTypeRequest, dissect.PFCFirstFrag|dissect.PFCObjectUUID, 9, len(b))
			if !p.HasObject || p.Object != objectID || p.Opnum != 4 || !bytes.Equal(p.Stub, stub) {
				t.Errorf("object request: object %v has %v opnum %d stub %q", p.Object, p.HasObject, p.Opnum, p.Stub)
			}
			noAnomalies(t, &p.Anomalies)
		})
	})
}

func TestCOAuthVerifier(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			stub := []byte("twelve-bytes")
			b := dcetest.COResponse(le, 4, 2, firstLast, stub, ntlmAuth)
			p := coDecode(t, b)
			if p.Header.AuthLen != uint16(len(ntlmAuth.Value)) {
				t.Errorf("AuthLen = %d", p.Header.AuthLen)
			}
			if !p.HasAuth {
				t.Fatal("no verifier")
			}
			want := dissect.AuthVerifier{Type: dissect.AuthNTLMSSP, Level: dissect.AuthLevelIntegrity, PadLen: 4, ContextID: 0x1234, Value: ntlmAuth.Value}
			if !reflect.DeepEqual(p.Auth, want) {
				t.Errorf("auth = %+v, want %+v", p.Auth, want)
			}
			if !bytes.Equal(p.Stub, stub) || p.ContextID != 2 || p.CancelCount != 0 {
				t.Errorf("stub = %q (pad and verifier must be stripped)", p.Stub)
			}
			noAnomalies(t, &p.Anomalies)
		})
	})
}

func TestCOAuthTooLong(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			b := dcetest.COResponse(le, 4, 0, firstLast, []byte("stub"), ntlmAuth)
			dcetest.PutAuthLen(b, le, 0xfff0)
			p := coDecode(t, b)
			x := wantAnomaly(t, &p.Anomalies, dissect.AnomCOAuthTooLong, 10)
			if x.A != 0xfff0 || int(x.B) != len(b)-24 {
				t.Errorf("anomaly values %d, %d", x.A, x.B)
			}
			if p.HasAuth || len(p.Stub) != 0 || len(p.Body) != len(b)-24 {
				t.Errorf("HasAuth %v stub %d body %d", p.HasAuth, len(p.Stub), len(p.Body))
			}
			// auth_length leaving room for the trailer but not the fixed fields
			dcetest.PutAuthLen(b, le, uint16(len(b)-24-8+1))
			p = coDecode(t, b)
			wantAnomaly(t, &p.Anomalies, dissect.AnomCOAuthTooLong, 10)
		})
	})
}

func TestCOAuthPadTooLong(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			a := *ntlmAuth
			a.PadLen = 0
			b := dcetest.CORequest(le, 4, 0, 3, nil, firstLast, []byte("abc"), &a)
			trailer := len(b) - len(a.Value) - 8
			b[trailer+2] = 200 // auth_pad_length larger than the 3-byte stub
			p := coDecode(t, b)
			x := wantAnomaly(t, &p.Anomalies, dissect.AnomCOAuthPadTooLong, trailer+2)
			if x.A != 200 || x.B != 3 {
				t.Errorf("anomaly values %d, %d", x.A, x.B)
			}
			if len(p.Stub) != 0 || !p.HasAuth || p.Auth.PadLen != 200 {
				t.Errorf("stub %q has %v", p.Stub, p.HasAuth)
			}
		})
	})
}

func TestCOFault(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			b := dcetest.COFault(le, 7, 1, 0x1c00001a, nil)
			if len(b) != 32 {
				t.Fatalf("fixture is %d bytes; Samba's is 32", len(b))
			}
			p := coDecode(t, b)
			wantHeader(t, p, le, dissect.PTypeFault, firstLast, 7, 32)
			if p.Status != 0x1c00001a || p.ContextID != 1 || p.AllocHint != 32 || len(p.Stub) != 0 {
				t.Errorf("fault fields: status %#x ctx %d hint %d stub %d", p.Status, p.ContextID, p.AllocHint, len(p.Stub))
			}
			noAnomalies(t, &p.Anomalies)

			b = dcetest.COFault(le, 7, 1, 5, []byte{1, 2, 3, 4})
			p = coDecode(t, b)
			if p.Status != 5 || !bytes.Equal(p.Stub, []byte{1, 2, 3, 4}) {
				t.Errorf("fault with stub: status %d stub %v", p.Status, p.Stub)
			}

			// 28 bytes: the reserved word after the status is missing
			// (SYNTHETIC-arkime-dcerpc_synthetic.pcap has one).
			b = dcetest.COFault(le, 7, 1, 0x1c010002, nil)[:28]
			dcetest.PutFragLen(b, le, 28)
			p = coDecode(t, b)
			if p.Status != 0x1c010002 || len(p.Stub) != 0 {
				t.Errorf("short fault: status %#x", p.Status)
			}
			wantAnomaly(t, &p.Anomalies, dissect.AnomCOFragTooShort, 8)
		})
	})
}

func TestCOBind(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			bind := dcetest.Bind{MaxXmit: 5840, MaxRecv: 4280, AssocGroup: 0x1234, Contexts: []dcetest.Ctx{
				{ID: 0, Abstract: synEPM, Transfer: []dissect.SyntaxID{synNDR}},
				{ID: 1, Abstract: synMinor, Transfer: []dissect.SyntaxID{synNDR64, synBTFN}},
				{ID: 2, Abstract: synOXID},
			}}
			for _, typ := range []dissect.PType{dissect.PTypeBind, dissect.PTypeAlterContext} {
				var b []byte
				if typ == dissect.PTypeBind {
					b = dcetest.COBind(le, 3, bind, nil)
				} else {
					b = dcetest.COAlterContext(le, 3, bind, nil)
				}
				p := coDecode(t, b)
				wantHeader(t, p, le, typ, firstLast, 3, len(b))
				if p.MaxXmit != 5840 || p.MaxRecv != 4280 || p.AssocGroup != 0x1234 {
					t.Errorf("%s: xmit %d recv %d group %#x", typ, p.MaxXmit, p.MaxRecv, p.AssocGroup)
				}
				if p.ContextCount != 3 || p.NContexts != 3 {
					t.Fatalf("%s: contexts %d/%d", typ, p.NContexts, p.ContextCount)
				}
				for i, c := range bind.Contexts {
					got := p.Contexts[i]
					if got.ID != c.ID || got.Abstract != c.Abstract || int(got.TransferCount) != len(c.Transfer) || got.NTransfer != len(c.Transfer) {
						t.Errorf("%s: context %d = %+v", typ, i, got)
					}
					for j, ts := range c.Transfer {
						if got.Transfer[j] != ts {
							t.Errorf("%s: context %d transfer %d = %+v, want %+v", typ, i, j, got.Transfer[j], ts)
						}
					}
				}
				if p.Contexts[1].Abstract.Minor != 2 || p.Contexts[0].Abstract.Major != 3 {
					t.Errorf("interface versions: %+v", p.Contexts[1].Abstract)
				}
				noAnomalies(t, &p.Anomalies)
			}

			// with a verifier: the list ends before the trailer
			b := dcetest.COBind(le, 3, bind, &dcetest.Auth{Type: dissect.AuthSPNEGO, Level: dissect.AuthLevelConnect, Value: []byte("token")})
			p := coDecode(t, b)
			if !p.HasAuth || p.Auth.Type != dissect.AuthSPNEGO || string(p.Auth.Value) != "token" || p.NContexts != 3 {
				t.Errorf("bind with auth: %+v", p.Auth)
			}
			noAnomalies(t, &p.Anomalies)
		})
	})
}

func TestCOBindHostileCounts(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			bind := dcetest.Bind{MaxXmit: 4280, MaxRecv: 4280, Contexts: []dcetest.Ctx{
				{ID: 0, Abstract: synEPM, Transfer: []dissect.SyntaxID{synNDR}},
				{ID: 1, Abstract: synEPM, Transfer: []dissect.SyntaxID{synNDR64}},
			}}
			b := dcetest.COBind(le, 1, bind, nil)
			b[24] = 200 // n_context_elem
			p := coDecode(t, b)
			x := wantAnomaly(t, &p.Anomalies, dissect.AnomCOContextCount, 24)
			if x.A != 200 || x.B != 2 || p.NContexts != 2 || p.ContextCount != 200 {
				t.Errorf("count anomaly %d/%d, kept %d", x.A, x.B, p.NContexts)
			}

			b = dcetest.COBind(le, 1, bind, nil)
			b[28+2] = 255 // n_transfer_syn of the first context
			p = coDecode(t, b)
			x = wantAnomaly(t, &p.Anomalies, dissect.AnomCOTransferCount, 30)
			// 64 bytes follow the first element header: room for 3 syntaxes
			if x.A != 255 || x.B != 3 {
				t.Errorf("transfer anomaly %d/%d", x.A, x.B)
			}
			if p.NContexts != 1 || p.Contexts[0].NTransfer != 3 || p.Contexts[0].TransferCount != 255 {
				t.Errorf("kept %d contexts, %d transfers", p.NContexts, p.Contexts[0].NTransfer)
			}

			// trailing bytes after the list
			b = dcetest.COBind(le, 1, bind, nil)
			b = append(b, 0, 0, 0, 0, 9, 9, 9, 9)
			dcetest.PutFragLen(b, le, uint16(len(b)))
			p = coDecode(t, b)
			x = wantAnomaly(t, &p.Anomalies, dissect.AnomTrailingBytes, len(b)-8)
			if x.A != 8 {
				t.Errorf("trailing %d", x.A)
			}
		})
	})
}

func TestCOBindLimits(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			var bind dcetest.Bind
			for i := 0; i < dissect.MaxCOContexts+4; i++ {
				bind.Contexts = append(bind.Contexts, dcetest.Ctx{ID: uint16(i), Abstract: synEPM, Transfer: []dissect.SyntaxID{synNDR}})
			}
			bind.Contexts[0].Transfer = []dissect.SyntaxID{synNDR, synNDR64, synBTFN, synNDR, synNDR64, synMinor}
			p := coDecode(t, dcetest.COBind(le, 1, bind, nil))
			if p.NContexts != dissect.MaxCOContexts || int(p.ContextCount) != len(bind.Contexts) {
				t.Errorf("kept %d of %d", p.NContexts, p.ContextCount)
			}
			if p.Contexts[0].NTransfer != dissect.MaxTransferSyntaxes || p.Contexts[0].TransferCount != 6 {
				t.Errorf("kept %d transfers", p.Contexts[0].NTransfer)
			}
			var limits int
			for i := 0; i < p.Anomalies.Len(); i++ {
				if x := p.Anomalies.At(i); x.Kind == dissect.AnomLimit {
					limits++
					if x.Off == 24 && (int(x.A) != len(bind.Contexts) || x.B != dissect.MaxCOContexts) {
						t.Errorf("context limit anomaly %+v", x)
					}
				}
			}
			if limits != 2 || p.Anomalies.Len() != 2 {
				t.Errorf("%d limit anomalies of %d", limits, p.Anomalies.Len())
			}
			// contexts past the bound were still walked: ids of kept ones
			if p.Contexts[dissect.MaxCOContexts-1].ID != dissect.MaxCOContexts-1 {
				t.Errorf("last kept context id %d", p.Contexts[dissect.MaxCOContexts-1].ID)
			}
		})
	})
}

func TestCOBindAck(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			results := []dissect.Result{
				{Result: dissect.AckAcceptance, Transfer: synNDR},
				{Result: dissect.AckProviderRejection, Reason: dissect.ReasonAbstractSyntaxNotSupported},
			}
			for _, tc := range []struct {
				sec     string
				wantLen uint16
			}{{"135", 4}, {"", 0}, {"49152", 6}, {"\\PIPE\\epmapper", 15}} {
				for _, typ := range []dissect.PType{dissect.PTypeBindAck, dissect.PTypeAlterContextResp} {
					a := dcetest.BindAck{MaxXmit: 4280, MaxRecv: 4280, AssocGroup: 0x10203, SecAddr: tc.sec, Results: results}
					var b []byte
					if typ == dissect.PTypeBindAck {
						b = dcetest.COBindAck(le, 2, a, nil)
					} else {
						b = dcetest.COAlterContextResp(le, 2, a, nil)
					}
					p := coDecode(t, b)
					wantHeader(t, p, le, typ, firstLast, 2, len(b))
					if string(p.SecAddr) != tc.sec || p.SecAddrLen != tc.wantLen {
						t.Errorf("%s %q: secaddr %q len %d", typ, tc.sec, p.SecAddr, p.SecAddrLen)
					}
					if p.MaxXmit != 4280 || p.MaxRecv != 4280 || p.AssocGroup != 0x10203 {
						t.Errorf("%s: fields %d %d %#x", typ, p.MaxXmit, p.MaxRecv, p.AssocGroup)
					}
					if p.NResults != 2 || p.ResultCount != 2 {
						t.Fatalf("%s: results %d/%d", typ, p.NResults, p.ResultCount)
					}
					for i, r := range results {
						if p.Results[i] != r {
							t.Errorf("%s: result %d = %+v, want %+v", typ, i, p.Results[i], r)
						}
					}
					noAnomalies(t, &p.Anomalies)
				}
			}
		})
	})
}

func TestCOBindAckHostile(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			a := dcetest.BindAck{MaxXmit: 4280, MaxRecv: 4280, SecAddr: "135", Results: []dissect.Result{{Transfer: synNDR}}}
			b := dcetest.COBindAck(le, 2, a, nil)
			b[26+3] = '5' // the NUL of "135\0"
			p := coDecode(t, b)
			wantAnomaly(t, &p.Anomalies, dissect.AnomCOSecAddrNoNUL, 26)
			if string(p.SecAddr) != "1355" || p.NResults != 1 {
				t.Errorf("secaddr %q results %d", p.SecAddr, p.NResults)
			}

			b = dcetest.COBindAck(le, 2, a, nil)
			(&dcetest.Enc{B: b, LE: le}).PutU16At(24, 1000)
			p = coDecode(t, b)
			x := wantAnomaly(t, &p.Anomalies, dissect.AnomCOSecAddrTruncated, 24)
			if x.A != 1000 || p.NResults != 0 {
				t.Errorf("anomaly %+v results %d", x, p.NResults)
			}

			b = dcetest.COBindAck(le, 2, a, nil)
			b[32] = 9 // n_results
			p = coDecode(t, b)
			x = wantAnomaly(t, &p.Anomalies, dissect.AnomCOResultCount, 32)
			if x.A != 9 || x.B != 1 || p.NResults != 1 || p.ResultCount != 9 {
				t.Errorf("anomaly %+v results %d", x, p.NResults)
			}

			// result list header missing altogether
			b = dcetest.COBindAck(le, 2, a, nil)[:32]
			dcetest.PutFragLen(b, le, 32)
			p = coDecode(t, b)
			wantAnomaly(t, &p.Anomalies, dissect.AnomTruncated, 32)

			// more results than kept
			var many dcetest.BindAck
			for i := 0; i < dissect.MaxCOContexts+1; i++ {
				many.Results = append(many.Results, dissect.Result{Result: dissect.AckUserRejection})
			}
			p = coDecode(t, dcetest.COBindAck(le, 2, many, nil))
			x = wantAnomaly(t, &p.Anomalies, dissect.AnomLimit, 28)
			if p.NResults != dissect.MaxCOContexts || int(x.A) != len(many.Results) {
				t.Errorf("kept %d results, anomaly %+v", p.NResults, x)
			}
		})
	})
}

func TestCOBindNak(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			b := dcetest.COBindNak(le, 1, dissect.RejectProtocolVersionNotSupp, []dissect.ProtoVersion{{5, 0}}, false)
			if len(b) != 24 {
				t.Errorf("fixture length %d; Windows sends 24", len(b))
			}
			p := coDecode(t, b)
			wantHeader(t, p, le, dissect.PTypeBindNak, firstLast, 1, len(b))
			if p.RejectReason != dissect.RejectProtocolVersionNotSupp || p.NVersions != 1 || p.Versions[0] != (dissect.ProtoVersion{Major: 5}) || p.HasSignature {
				t.Errorf("bind_nak: %v %d %+v", p.RejectReason, p.NVersions, p.Versions[0])
			}
			noAnomalies(t, &p.Anomalies)

			p = coDecode(t, dcetest.COBindNak(le, 1, dissect.RejectLocalLimitExceeded, []dissect.ProtoVersion{{5, 0}, {5, 1}}, true))
			if !p.HasSignature || p.NVersions != 2 || p.Versions[1] != (dissect.ProtoVersion{Major: 5, Minor: 1}) {
				t.Errorf("signature %v versions %+v", p.HasSignature, p.Versions)
			}
			noAnomalies(t, &p.Anomalies)

			b = dcetest.COBindNak(le, 1, 0, []dissect.ProtoVersion{{5, 0}}, false)
			b[18] = 50
			p = coDecode(t, b)
			x := wantAnomaly(t, &p.Anomalies, dissect.AnomCOVersionCount, 18)
			if x.A != 50 || x.B != 2 || p.NVersions != 2 {
				t.Errorf("anomaly %+v kept %d", x, p.NVersions)
			}

			vs := make([]dissect.ProtoVersion, dissect.MaxCOVersions+2)
			p = coDecode(t, dcetest.COBindNak(le, 1, 0, vs, false))
			wantAnomaly(t, &p.Anomalies, dissect.AnomLimit, 18)
			if p.NVersions != dissect.MaxCOVersions || int(p.VersionCount) != len(vs) {
				t.Errorf("kept %d of %d", p.NVersions, p.VersionCount)
			}

			// reason only: the version list is missing
			b = dcetest.COBindNak(le, 1, 0, nil, false)[:18]
			dcetest.PutFragLen(b, le, 18)
			p = coDecode(t, b)
			wantAnomaly(t, &p.Anomalies, dissect.AnomTruncated, 18)
		})
	})
}

func TestCOSmallTypes(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			p := coDecode(t, dcetest.COAuth3(le, 6, ntlmAuth))
			if p.Header.Type != dissect.PTypeAuth3 || !p.HasAuth || !bytes.Equal(p.Auth.Value, ntlmAuth.Value) || p.Auth.PadLen != 4 {
				t.Errorf("auth3: %+v", p.Auth)
			}
			noAnomalies(t, &p.Anomalies)
			for _, typ := range []dissect.PType{dissect.PTypeShutdown, dissect.PTypeCOCancel, dissect.PTypeOrphaned} {
				b := dcetest.COEmpty(le, typ, 11, firstLast, nil)
				p := coDecode(t, b)
				wantHeader(t, p, le, typ, firstLast, 11, 16)
				noAnomalies(t, &p.Anomalies)
				b = append(b, 1, 2, 3)
				dcetest.PutFragLen(b, le, uint16(len(b)))
				p = coDecode(t, b)
				wantAnomaly(t, &p.Anomalies, dissect.AnomTrailingBytes, 16)
			}
			p = coDecode(t, dcetest.COEmpty(le, dissect.PTypeCOCancel, 12, firstLast, &dcetest.Auth{Type: dissect.AuthKerberos, Level: dissect.AuthLevelPkt, Value: []byte{1, 2, 3, 4}}))
			if !p.HasAuth || p.Auth.Type != dissect.AuthKerberos || len(p.Body) != 0 {
				t.Errorf("co_cancel with verifier: %+v", p.Auth)
			}
			p = coDecode(t, dcetest.CORTS(le, 2, 1, []byte{1, 0, 0, 0}))
			if p.RTSFlags != 2 || p.RTSCommands != 1 || len(p.Body) != 4 {
				t.Errorf("rts: %d %d %v", p.RTSFlags, p.RTSCommands, p.Body)
			}
			p = coDecode(t, dcetest.COEmpty(le, dissect.PTypeShutdown, 1, dissect.PFCObjectUUID, nil))
			wantAnomaly(t, &p.Anomalies, dissect.AnomCOObjectFlag, 3)
		})
	})
}

func TestCODecodeErrors(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			req := dcetest.CORequest(le, 1, 0, 0, nil, firstLast, []byte("abcd"), nil)
			var p dissect.COPDU
			mod := func(f func(b []byte)) []byte {
				b := append([]byte(nil), req...)
				f(b)
				return b
			}
			for _, tc := range []struct {
				name string
				b    []byte
				err  error
				anom dissect.AnomalyKind
			}{
				{"empty", nil, dissect.ErrShort, 0},
				{"15 bytes", req[:15], dissect.ErrShort, 0},
				{"version 4", mod(func(b []byte) { b[0] = 4 }), dissect.ErrVersion, 0},
				{"ptype ping", mod(func(b []byte) { b[2] = byte(dissect.PTypePing) }), dissect.ErrType, 0},
				{"ptype 21", mod(func(b []byte) { b[2] = 21 }), dissect.ErrType, 0},
				{"frag_length 10", mod(func(b []byte) { dcetest.PutFragLen(b, le, 10) }), dissect.ErrLength, dissect.AnomCOFragTooShort},
				{"frag_length below request header", mod(func(b []byte) { dcetest.PutFragLen(b, le, 20) }), dissect.ErrLength, dissect.AnomCOFragTooShort},
				{"object flag without room", mod(func(b []byte) { b[3] |= byte(dissect.PFCObjectUUID) }), dissect.ErrLength, dissect.AnomCOFragTooShort},
				{"fixed fields missing", req[:20], dissect.ErrShort, dissect.AnomCOFragBeyondData},
			} {
				n, err := p.Decode(tc.b)
				if !errors.Is(err, tc.err) || n != 0 {
					t.Errorf("%s: n %d err %v, want %v", tc.name, n, err, tc.err)
				}
				if tc.anom != 0 {
					wantAnomaly(t, &p.Anomalies, tc.anom, 8)
				}
			}

			// Minor version and drep oddities decode with anomalies.
			b := mod(func(b []byte) { b[1] = 7; b[6] = 1 })
			pp := coDecode(t, b)
			wantAnomaly(t, &pp.Anomalies, dissect.AnomCOMinorVersion, 1)
			wantAnomaly(t, &pp.Anomalies, dissect.AnomCODrep, 4)

			// Bytes after frag_length are not consumed.
			b = append(append([]byte(nil), req...), req...)
			if n, err := p.Decode(b); err != nil || n != len(req) {
				t.Errorf("two PDUs: n %d err %v", n, err)
			}
		})
	})
}

// TestCOTruncated decodes every prefix of every fixture: no panic, and
// either ErrShort or a decode flagged Truncated with the frag-beyond-data
// anomaly; the header is always intact.
func TestCOTruncated(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		for _, f := range coFixtures(le) {
			var p dissect.COPDU
			for i := 0; i < len(f.b); i++ {
				n, err := p.Decode(f.b[:i])
				switch {
				case err == nil:
					if !p.Truncated || n != i || !p.Anomalies.Has(dissect.AnomCOFragBeyondData) {
						t.Errorf("%s %s[:%d]: n %d truncated %v", name, f.name, i, n, p.Truncated)
					}
					if len(p.Stub) > len(p.Body) || (p.HasAuth && len(p.Auth.Value) > int(p.Header.AuthLen)) {
						t.Errorf("%s %s[:%d]: stub %d body %d", name, f.name, i, len(p.Stub), len(p.Body))
					}
				case errors.Is(err, dissect.ErrShort):
				default:
					t.Errorf("%s %s[:%d]: %v", name, f.name, i, err)
				}
				if _, err := dissect.PeekCO(f.b[:i]); i < 16 && !errors.Is(err, dissect.ErrShort) {
					t.Errorf("PeekCO(%d bytes) = %v", i, err)
				}
			}
		}
	})
}

// TestCODecodeReset checks that decoding A then B into one struct equals a
// fresh decode of B, for every pair of fixtures.
func TestCODecodeReset(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		fs := append(coFixtures(le), coFixtures(!le)...)
		for _, a := range fs {
			for _, b := range fs {
				var reused, fresh dissect.COPDU
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

func TestCOFixturesClean(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		for _, f := range coFixtures(le) {
			var p dissect.COPDU
			n, err := p.Decode(f.b)
			if err != nil || n != len(f.b) {
				t.Errorf("%s %s: n %d err %v", name, f.name, n, err)
			}
			noAnomalies(t, &p.Anomalies)
			fl, err := dissect.PeekCO(f.b)
			if err != nil || fl != len(f.b) {
				t.Errorf("%s %s: PeekCO %d %v", name, f.name, fl, err)
			}
			var h dissect.COHeader
			if n, err := h.Decode(f.b); err != nil || n != 16 || h != p.Header {
				t.Errorf("%s %s: COHeader.Decode %+v %v", name, f.name, h, err)
			}
		}
	})
}

func TestPeekCO(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			good := dcetest.CORequest(le, 1, 0, 0, nil, firstLast, []byte("abcd"), nil)
			mod := func(f func(b []byte)) []byte {
				b := append([]byte(nil), good...)
				f(b)
				return b
			}
			for _, tc := range []struct {
				name string
				b    []byte
				n    int
				err  error
			}{
				{"good", good, len(good), nil},
				{"header only", good[:16], len(good), nil},
				{"short", good[:15], 0, dissect.ErrShort},
				{"v4", mod(func(b []byte) { b[0] = 4 }), 0, dissect.ErrNotCO},
				{"minor 2", mod(func(b []byte) { b[1] = 2 }), 0, dissect.ErrNotCO},
				{"minor 1", mod(func(b []byte) { b[1] = 1 }), len(good), nil},
				{"CL type", mod(func(b []byte) { b[2] = byte(dissect.PTypeFack) }), 0, dissect.ErrNotCO},
				{"type 21", mod(func(b []byte) { b[2] = 21 }), 0, dissect.ErrNotCO},
				{"rts", mod(func(b []byte) { b[2] = byte(dissect.PTypeRTS) }), len(good), nil},
				{"drep ebcdic", mod(func(b []byte) { b[4] |= 1 }), 0, dissect.ErrNotCO},
				{"drep float 4", mod(func(b []byte) { b[5] = 4 }), 0, dissect.ErrNotCO},
				{"drep reserved", mod(func(b []byte) { b[7] = 1 }), 0, dissect.ErrNotCO},
				{"frag_length 15", mod(func(b []byte) { dcetest.PutFragLen(b, le, 15) }), 0, dissect.ErrNotCO},
				{"frag_length 16", mod(func(b []byte) { dcetest.PutFragLen(b, le, 16) }), 16, nil},
				{"frag_length 65535", mod(func(b []byte) { dcetest.PutFragLen(b, le, 65535) }), 65535, nil},
				{"http", []byte("HTTP/1.1 200 OK\r\n\r\n"), 0, dissect.ErrNotCO},
			} {
				n, err := dissect.PeekCO(tc.b)
				if n != tc.n || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
					t.Errorf("%s: PeekCO = %d, %v; want %d, %v", tc.name, n, err, tc.n, tc.err)
				}
			}
		})
	})
}

func TestCOEnumStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{dissect.PTypeBindAck.String(), "bind_ack"},
		{dissect.PTypeAlterContextResp.String(), "alter_context_resp"},
		{dissect.PTypeCancelAck.String(), "cancel_ack"},
		{dissect.PTypeRTS.String(), "rts"},
		{dissect.PType(99).String(), "ptype-99"},
		{(dissect.PFCFirstFrag | dissect.PFCLastFrag).String(), "first|last"},
		{(dissect.PFCObjectUUID | dissect.PFCMaybe | dissect.PFCDidNotExecute | dissect.PFCConcMpx | dissect.PFCReserved08 | dissect.PFCPendingCancel).String(), "pending-cancel|reserved-08|conc-mpx|did-not-execute|maybe|object"},
		{dissect.PFCFlags(0).String(), "none"},
		{dissect.AckProviderRejection.String(), "provider-rejection"},
		{dissect.AckNegotiateAck.String(), "negotiate-ack"},
		{dissect.AckResult(7).String(), "result-7"},
		{dissect.ReasonAbstractSyntaxNotSupported.String(), "abstract-syntax-not-supported"},
		{dissect.ReasonProposedTransferNotSupported.String(), "proposed-transfer-syntaxes-not-supported"},
		{dissect.ProviderReason(9).String(), "reason-9"},
		{dissect.RejectProtocolVersionNotSupp.String(), "protocol-version-not-supported"},
		{dissect.RejectInvalidChecksum.String(), "invalid-checksum"},
		{dissect.RejectReason(10).String(), "reject-10"},
		{dissect.AuthNTLMSSP.String(), "ntlmssp"},
		{dissect.AuthType(3).String(), "auth-3"},
		{dissect.AuthLevelPrivacy.String(), "pkt-privacy"},
		{dissect.AuthLevel(9).String(), "level-9"},
		{dissect.AnomCOAuthTooLong.String(), "co-auth-too-long"},
		{dissect.AnomCOObjectFlag.String(), "co-object-flag-not-request"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for tp := dissect.PType(0); tp < 21; tp++ {
		if tp.IsCO() == tp.IsCL() && tp != dissect.PTypeRequest && tp != dissect.PTypeResponse && tp != dissect.PTypeFault {
			t.Errorf("%s: IsCO %v IsCL %v", tp, tp.IsCO(), tp.IsCL())
		}
	}
	for k := dissect.AnomCOFragBeyondData; k <= dissect.AnomCOObjectFlag; k++ {
		if s := k.String(); len(s) < 3 || s[:3] != "co-" {
			t.Errorf("anomaly %#x has name %q", uint16(k), s)
		}
	}
}
