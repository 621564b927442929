package dissect_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"unsafe"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// capturePDUs returns the DCE/RPC PDUs of the shared captures (nil when the
// folder is absent: fuzz seeds then come from fixtures only). Only the
// captures recorded by the project and a few small public ones are used, to
// keep the seed corpus quick to run.
func capturePDUs(f *testing.F, names ...string) []pcaptest.PDU {
	dir, ok := pcaptest.FindDir()
	if !ok {
		return nil
	}
	var out []pcaptest.PDU
	for _, n := range names {
		out = append(out, pcaptest.PDUs(f, filepath.Join(dir, n))...)
	}
	return out
}

var fuzzCaptures = []string{
	"samba-epm-loopback.pcap",
	"sbousseaden-Discovery_impacket_rpcdump.pcapng",
	"markofu-evilfingers-nmap_version_scan.pcap",
	"markofu-evilfingers-nmap_UDP_SCAN.pcap",
	"markofu-ppa-evilprogram.pcap",
	"icsnpp-profinet_io_cm_write.pcapng",
	"SYNTHETIC-arkime-dcerpc_synthetic.pcap",
	"zeek-dce-rpc-kerberos135_auth.pcapng",
}

// within reports whether s is empty or lies inside b.
func within(s, b []byte) bool {
	if len(s) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(b))
}

func FuzzCO(f *testing.F) {
	for _, le := range []bool{true, false} {
		for _, fx := range coFixtures(le) {
			f.Add(fx.b)
		}
	}
	for _, q := range capturePDUs(f, fuzzCaptures...) {
		if !q.UDP {
			f.Add(q.Data)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p, again dissect.COPDU
		n, err := p.Decode(b)
		fl, perr := dissect.PeekCO(b)
		if perr == nil {
			if errors.Is(err, dissect.ErrVersion) || errors.Is(err, dissect.ErrType) || int(p.Header.FragLen) != fl {
				t.Fatalf("PeekCO ok (%d) but Decode: %v, frag_length %d", fl, err, p.Header.FragLen)
			}
		} else if len(b) >= 16 && !errors.Is(perr, dissect.ErrNotCO) {
			t.Fatalf("PeekCO on %d bytes: %v", len(b), perr)
		}
		n2, err2 := again.Decode(b)
		if n != n2 || err != err2 || !reflect.DeepEqual(p, again) {
			t.Fatalf("Decode is not deterministic")
		}
		if err != nil {
			if n != 0 {
				t.Fatalf("n = %d with error %v", n, err)
			}
			return
		}
		if n > len(b) || (n != int(p.Header.FragLen) && !(p.Truncated && n == len(b))) {
			t.Fatalf("n = %d, frag_length %d, len %d, truncated %v", n, p.Header.FragLen, len(b), p.Truncated)
		}
		in := b[:n]
		if !within(p.Body, in) || !within(p.Stub, in) || !within(p.SecAddr, in) || !within(p.Auth.Value, in) {
			t.Fatalf("a slice points outside the PDU")
		}
		if len(p.Stub) > len(p.Body) || len(p.Auth.Value) > int(p.Header.AuthLen) {
			t.Fatalf("stub %d body %d auth %d/%d", len(p.Stub), len(p.Body), len(p.Auth.Value), p.Header.AuthLen)
		}
		if p.NContexts > dissect.MaxCOContexts || p.NContexts > int(p.ContextCount) || p.NResults > int(p.ResultCount) || p.NVersions > int(p.VersionCount) {
			t.Fatalf("counts: %d/%d %d/%d %d/%d", p.NContexts, p.ContextCount, p.NResults, p.ResultCount, p.NVersions, p.VersionCount)
		}
		for i := 0; i < p.NContexts; i++ {
			if c := p.Contexts[i]; c.NTransfer > int(c.TransferCount) || c.NTransfer > dissect.MaxTransferSyntaxes {
				t.Fatalf("context %d transfers %d/%d", i, c.NTransfer, c.TransferCount)
			}
		}
		for i := 0; i < p.Anomalies.Len(); i++ {
			if a := p.Anomalies.At(i); a.Off < 0 || a.Off > len(b) {
				t.Fatalf("anomaly %s at offset %d of %d", a.Kind, a.Off, len(b))
			}
		}
	})
}

func FuzzCL(f *testing.F) {
	for _, le := range []bool{true, false} {
		for _, fx := range clFixtures(le) {
			f.Add(fx.b)
		}
	}
	for _, q := range capturePDUs(f, fuzzCaptures...) {
		if q.UDP {
			f.Add(q.Data)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p, again dissect.CLPDU
		n, err := p.Decode(b)
		bl, perr := dissect.PeekCL(b)
		if perr != nil && err != perr {
			t.Fatalf("PeekCL %v but Decode %v", perr, err)
		}
		if perr == nil && err != nil && !errors.Is(err, dissect.ErrLength) && !errors.Is(err, dissect.ErrShort) {
			t.Fatalf("PeekCL ok but Decode %v", err)
		}
		n2, err2 := again.Decode(b)
		if n != n2 || err != err2 || !reflect.DeepEqual(p, again) {
			t.Fatalf("Decode is not deterministic")
		}
		if err != nil {
			if n != 0 {
				t.Fatalf("n = %d with error %v", n, err)
			}
			return
		}
		if n != len(b) || bl != int(p.Header.BodyLen) {
			t.Fatalf("n %d of %d, body length %d/%d", n, len(b), bl, p.Header.BodyLen)
		}
		if !within(p.Body, b) || !within(p.Auth, b) || len(p.Body) > int(p.Header.BodyLen) {
			t.Fatalf("body/auth outside the datagram")
		}
		if p.Fack.NSelAck > dissect.MaxSelAck || p.Fack.NSelAck > int(p.Fack.SelAckLen) {
			t.Fatalf("selack %d/%d", p.Fack.NSelAck, p.Fack.SelAckLen)
		}
		if p.Header.Serial != uint16(b[7])<<8|uint16(b[79]) {
			t.Fatalf("serial %#x", p.Header.Serial)
		}
	})
}

// coModel is what a reassembler without limits would hold per call_id.
type coModel struct {
	stub  []byte
	frags int
}

// FuzzCOReassembly cuts the input into CO PDUs (framed with PeekCO, skipping
// a byte to resynchronise), decodes them and feeds two reassemblers: one
// with tiny limits, checked against its bounds, and one with the defaults,
// whose completed stubs must equal the concatenation of the fragments fed
// since the call's first fragment.
func FuzzCOReassembly(f *testing.F) {
	for _, le := range []bool{true, false} {
		var seq []byte
		stub := randBytes(80, 700)
		for i, part := range [][]byte{stub[:300], stub[300:600], stub[600:]} {
			var fl dissect.PFCFlags
			if i == 0 {
				fl |= dissect.PFCFirstFrag
			}
			if i == 2 {
				fl |= dissect.PFCLastFrag
			}
			seq = append(seq, dcetest.COResponse(le, 5, 0, fl, part, nil)...)
			seq = append(seq, dcetest.CORequest(le, uint32(6+i), 0, 1, nil, dissect.PFCFirstFrag, part[:20], nil)...)
		}
		f.Add(seq)
	}
	var stream []byte
	for _, q := range capturePDUs(f, "sbousseaden-Discovery_impacket_rpcdump.pcapng", "samba-epm-loopback.pcap") {
		if !q.UDP && len(stream) < 60000 {
			stream = append(stream, q.Data...)
		}
	}
	if stream != nil {
		f.Add(stream)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tiny := dissect.COLimits{MaxCalls: 2, MaxCallBytes: 600, MaxTotalBytes: 900}
		rt := dissect.NewCOReassembler(tiny)
		rd := dissect.NewCOReassembler(dissect.COLimits{})
		model := map[uint32]*coModel{}
		var p dissect.COPDU
		for steps := 0; len(b) > 0 && steps < 10000; steps++ {
			fl, err := dissect.PeekCO(b)
			if err != nil {
				b = b[1:]
				continue
			}
			n, err := p.Decode(b)
			if err != nil || n == 0 {
				b = b[min(fl, len(b)):]
				continue
			}
			b = b[n:]
			if s, k, done := rt.Add(&p); done && (len(s) > tiny.MaxCallBytes && k > 1 || k < 1) {
				t.Fatalf("tiny reassembler returned %d bytes in %d fragments", len(s), k)
			}
			if rt.Buffered() > tiny.MaxTotalBytes || rt.InProgress() > tiny.MaxCalls {
				t.Fatalf("tiny reassembler holds %d bytes in %d calls", rt.Buffered(), rt.InProgress())
			}
			switch p.Header.Type {
			case dissect.PTypeRequest, dissect.PTypeResponse, dissect.PTypeFault:
			default:
				continue
			}
			m := model[p.Header.CallID]
			if p.Header.Flags&dissect.PFCFirstFrag != 0 || m == nil {
				m = &coModel{}
				model[p.Header.CallID] = m
			}
			m.stub = append(m.stub, p.Stub...)
			m.frags++
			s, k, done := rd.Add(&p)
			if done && k > 1 && (k != m.frags || !bytes.Equal(s, m.stub)) {
				t.Fatalf("call %d: reassembled %d bytes in %d fragments, model %d in %d", p.Header.CallID, len(s), k, len(m.stub), m.frags)
			}
			if done && k == 1 && !bytes.Equal(s, p.Stub) {
				t.Fatalf("unfragmented stub altered")
			}
		}
	})
}

// clEncode frames datagrams for FuzzCLReassembly: a 2-byte big-endian
// length before each.
func clEncode(ds ...[]byte) []byte {
	var out []byte
	for _, d := range ds {
		out = binary.BigEndian.AppendUint16(out, uint16(len(d)))
		out = append(out, d...)
	}
	return out
}

// clModel is a reassembler without limits: the first copy of each fragment
// number, and the lastfrag number.
type clModel struct {
	frags map[uint16][]byte
	last  int
	high  int
}

// FuzzCLReassembly reads length-prefixed datagrams from the input, decodes
// them and feeds two reassemblers: one with tiny limits, checked against its
// bounds, and one with room for every call the input can hold, whose
// completed bodies must equal a simple model's.
func FuzzCLReassembly(f *testing.F) {
	for _, le := range []bool{true, false} {
		body := randBytes(81, 900)
		fs := clCut(f, le, dissect.PTypeResponse, 1, body, 3)
		var ds [][]byte
		for _, i := range []int{2, 0, 0, 1} {
			h := clHeader(le, dissect.PTypeResponse)
			h.Flags1, h.FragNum, h.Seq, h.Activity = fs[i].Header.Flags1, uint16(i), 1, clActivity
			ds = append(ds, h.Build(fs[i].Body, nil))
		}
		f.Add(clEncode(ds...))
		// two interleaved calls (request and response of one activity and
		// sequence number), a fragment past the last, a second lastfrag
		a := clCut(f, le, dissect.PTypeRequest, 2, body[:400], 2)
		r := clCut(f, le, dissect.PTypeResponse, 2, body[400:], 3)
		past := clHeader(le, dissect.PTypeRequest)
		past.Flags1, past.FragNum, past.Seq, past.Activity = dissect.CLFrag, 5, 2, clActivity
		raw := func(p *dissect.CLPDU) []byte {
			h := clHeader(le, p.Header.Type)
			h.Flags1, h.FragNum, h.Seq, h.Activity = p.Header.Flags1, p.Header.FragNum, p.Header.Seq, p.Header.Activity
			return h.Build(p.Body, nil)
		}
		f.Add(clEncode(raw(a[1]), raw(r[0]), past.Build([]byte("past"), nil), raw(r[2]), raw(a[0]), raw(r[1]), raw(a[1])))
	}
	var ds [][]byte
	for _, q := range capturePDUs(f, "icsnpp-profinet_io_cm_write.pcapng") {
		if q.UDP && len(q.Data) > 80 && q.Data[2]&byte(dissect.CLFrag) != 0 {
			ds = append(ds, q.Data)
		}
	}
	if ds != nil {
		f.Add(clEncode(ds...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tiny := dissect.CLLimits{MaxCalls: 2, MaxFrags: 4, MaxCallBytes: 600, MaxTotalBytes: 900}
		rt := dissect.NewCLReassembler(tiny)
		const maxFrags = 512
		rd := dissect.NewCLReassembler(dissect.CLLimits{MaxCalls: len(b)/80 + 1, MaxFrags: maxFrags, MaxCallBytes: 1 << 30, MaxTotalBytes: 1 << 30})
		model := map[dissect.CLKey]*clModel{}
		var p dissect.CLPDU
		for len(b) >= 2 {
			n := int(binary.BigEndian.Uint16(b))
			b = b[2:]
			n = min(n, len(b))
			d := b[:n]
			b = b[n:]
			if _, err := p.Decode(d); err != nil {
				continue
			}
			if s, k, done := rt.Add(&p); done && (len(s) > tiny.MaxCallBytes && k > 1 || k < 1 || k > tiny.MaxFrags) {
				t.Fatalf("tiny reassembler returned %d bytes in %d fragments", len(s), k)
			}
			if rt.Buffered() > tiny.MaxTotalBytes || rt.InProgress() > tiny.MaxCalls {
				t.Fatalf("tiny reassembler holds %d bytes in %d calls", rt.Buffered(), rt.InProgress())
			}
			h := &p.Header
			if (h.Type != dissect.PTypeRequest && h.Type != dissect.PTypeResponse) || h.Flags1&dissect.CLFrag == 0 || p.Truncated {
				s, k, done := rd.Add(&p)
				if done && (k != 1 || !bytes.Equal(s, p.Body) || p.Truncated) {
					t.Fatalf("unfragmented PDU altered")
				}
				continue
			}
			key := dissect.CLKey{Activity: h.Activity, Seq: h.Seq, Type: h.Type}
			m := model[key]
			if m == nil {
				m = &clModel{frags: map[uint16][]byte{}, last: -1, high: -1}
				model[key] = m
			}
			num, isLast := int(h.FragNum), h.Flags1&dissect.CLLastFrag != 0
			_, dup := m.frags[h.FragNum]
			bad := (m.last >= 0 && num > m.last) || (isLast && (m.last >= 0 || m.high > num))
			if !dup && !bad && num < maxFrags {
				m.frags[h.FragNum] = append([]byte(nil), p.Body...)
				m.high = max(m.high, num)
				if isLast {
					m.last = num
				}
			}
			s, k, done := rd.Add(&p)
			complete := m.last >= 0 && len(m.frags) == m.last+1
			if done != complete {
				t.Fatalf("done %v, model complete %v (%d fragments, last %d)", done, complete, len(m.frags), m.last)
			}
			if !done {
				continue
			}
			var want []byte
			for i := 0; i <= m.last; i++ {
				want = append(want, m.frags[uint16(i)]...)
			}
			if k != m.last+1 || !bytes.Equal(s, want) {
				t.Fatalf("reassembled %d bytes in %d fragments, model %d in %d", len(s), k, len(want), m.last+1)
			}
			delete(model, key)
		}
	})
}
