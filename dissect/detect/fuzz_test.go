package detect

import (
	"net/netip"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// Pools the fuzzer's events draw from: few enough that state is reused,
// with the addresses that matter (fused, 0.0.0.0, host names, foreign).
var (
	fzAddrs = []string{"10.0.0.1", "10.0.0.2", "0.0.0.0", "SRV20", "157.61.239.61157.61.239.5", "", "1.2.3.1231.2.3.4", "192.168.7.7", "::1"}
	fzIPs   = []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("::1")}
	fzIfs   = []dissect.SyntaxID{samr, lsarpc, remUnk, oxidRes, epmIf}
	fzPS    = []dissect.Protseq{dissect.NcacnIPTCP, dissect.NcadgIPUDP, dissect.NcacnHTTP, dissect.NcacnNP}
	fzStat  = []uint32{0, StatusContextMismatch, StatusUnknownIf, StatusWrongBootTime, StatusYouCrashed, StatusAccessDenied, StatusCallFailedDNE, 0x1c010002, 4}
	fzPT    = []dissect.PType{dissect.PTypeRequest, dissect.PTypeResponse, dissect.PTypeFault, dissect.PTypeReject, dissect.PTypeNocall,
		dissect.PTypeBind, dissect.PTypeBindAck, dissect.PTypeBindNak, dissect.PTypePing}
)

// fzEvent decodes one event from 8 bytes.
func fzEvent(b []byte, frame int64, e *event.Event) {
	*e = event.Event{Kind: event.Kind(b[0] % 10), Frame: frame, FirstFrame: frame - int64(b[1]%3), TimeNs: frame * int64(b[7]) * 1e7}
	ports := [...]uint16{135, 49152, 49153, 1029, 2000, 2001}
	e.Server = netip.AddrPortFrom(fzIPs[int(b[1])%len(fzIPs)], ports[int(b[2])%len(ports)])
	e.Client = netip.AddrPortFrom(fzIPs[2], 3000+uint16(b[2]>>4))
	e.FromServer = b[3]&1 != 0
	e.Transport = event.TCP
	if b[3]&2 != 0 {
		e.Transport = event.UDP
	}
	e.PType = fzPT[int(b[4])%len(fzPT)]
	e.Iface = fzIfs[int(b[5])%len(fzIfs)]
	e.IfaceOK = b[5]&0x80 == 0
	e.Opnum, e.OpnumOK = uint16(b[6]%4), true
	e.Status = fzStat[int(b[6]>>2)%len(fzStat)]
	e.ServerBoot = uint32(b[7] % 3)
	e.AckRejected = b[3]&4 != 0
	e.AckResult = dissect.AckResult(b[3] >> 3 % 4)
	e.AckReason = dissect.ProviderReason(b[3] >> 5 % 3)
	e.Source = event.Source(b[4] >> 4 % 6)
	e.HasBinding = b[3]&0x40 != 0 || e.Kind == event.KindBinding
	var bb dissect.Binding
	bb.Protseq = fzPS[int(b[5]>>2)%len(fzPS)]
	addr := fzAddrs[int(b[6]>>4)%len(fzAddrs)]
	bb.Addr.SetString(addr)
	if ip, err := netip.ParseAddr(addr); err == nil {
		bb.IP = ip
	}
	if b[7]&0x80 == 0 {
		bb.SetPort(ports[int(b[7]>>4)%len(ports)])
	}
	e.Binding = bb
	e.BindingIface = fzIfs[int(b[0]>>4)%len(fzIfs)]
	e.Where = event.Where(b[1] >> 4 % 9)
	kinds := [...]dissect.AnomalyKind{dissect.AnomTowerIPv4Length, dissect.AnomDCOMInvalidNetworkAddress, dissect.AnomTowerLength,
		dissect.AnomDCOMBadEndpoint, dissect.AnomTrailingBytes}
	e.Anomaly = dissect.Anomaly{Kind: kinds[int(b[2]>>5)%len(kinds)], A: uint32(b[7] % 12), Off: int(b[0])}
}

func FuzzDetector(f *testing.F) {
	f.Add([]byte{1, 0, 1, 1, 0x10, 0, 0, 0x10, 1, 0, 2, 1, 0x10, 0, 0, 0x20, 5, 0, 1, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 1, 0x30, 0, 0x40, 0x10, 9, 0x40, 0, 0x41, 0, 0, 0x40, 4, 2, 0, 1, 1, 2, 0, 4, 0})
	seed := make([]byte, 0, 8*64)
	for i := 0; i < 64; i++ {
		seed = append(seed, byte(i*7), byte(i), byte(i*3), byte(i*5), byte(i*11), byte(i*13), byte(i*17), byte(i*19))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8*4096 {
			return
		}
		cfg := Config{MaxBindings: 8, MaxServers: 3, MaxBindingsPerInterface: 3, MaxInterfacesPerEndpoint: 2,
			MaxAnswer: 4, MaxFaultCounters: 4, AnswerIdleNs: 1e9}
		var n int
		d := New(cfg, func(f *Finding) {
			n++
			if f.Rule == RuleNone || f.Rule >= ruleCount || f.Detail == "" {
				t.Fatalf("bad finding %+v", f)
			}
			ev := f.Evidence()
			for i := 1; i < len(ev); i++ {
				if ev[i] <= ev[i-1] {
					t.Fatalf("evidence not increasing: %v", ev)
				}
			}
		})
		var e event.Event
		for i := 0; i+8 <= len(data); i += 8 {
			fzEvent(data[i:i+8], int64(i/8+1), &e)
			d.Event(&e)
			if i%64 == 0 {
				checkBounds(t, d)
			}
		}
		d.Flush()
		checkBounds(t, d)
		_ = d.Inventory()
		if st := d.Stats(); st.Findings != uint64(n) {
			t.Fatalf("findings %d, counted %d", n, st.Findings)
		}
	})
}

// checkBounds verifies the caps and the indexes' consistency.
func checkBounds(t *testing.T, d *Detector) {
	t.Helper()
	c := d.cfg
	if d.bindings.len() > c.MaxBindings || len(d.servers) > c.MaxServers || len(d.faults) > c.MaxFaultCounters ||
		len(d.ans.ents) > c.MaxAnswer || len(d.endpoints) > c.MaxBindings {
		t.Fatalf("bounds: %d bindings, %d servers, %d faults, %d answer, %d endpoints",
			d.bindings.len(), len(d.servers), len(d.faults), len(d.ans.ents), len(d.endpoints))
	}
	n := 0
	for a, s := range d.servers {
		if s.addr != a || s.nOwn > maxOwnAddrs {
			t.Fatalf("server %v", a)
		}
		m := 0
		for id, ifc := range s.ifaces {
			if ifc.id != id || len(ifc.recs) == 0 || len(ifc.recs) > c.MaxBindingsPerInterface {
				t.Fatalf("iface %v: %d recs", id, len(ifc.recs))
			}
			for _, r := range ifc.recs {
				if d.bindings.get(&r.key) != r || r.srv != s || r.ifc != ifc || r.evicted {
					t.Fatalf("binding index broken")
				}
			}
			m += len(ifc.recs)
		}
		if m != s.nRecs {
			t.Fatalf("server %v: nRecs %d, have %d", a, s.nRecs, m)
		}
		n += m
	}
	if n != d.bindings.len() {
		t.Fatalf("%d bindings indexed by servers, %d in the map", n, d.bindings.len())
	}
	k := 0
	for r := d.bindLRU.head; r != nil; r = r.lru.next {
		if k++; k > d.bindings.len() {
			t.Fatal("LRU list longer than the map")
		}
	}
	if k != d.bindings.len() {
		t.Fatalf("LRU list %d, map %d", k, d.bindings.len())
	}
	for key, ep := range d.endpoints {
		if ep.key != key || len(ep.recs) == 0 || len(ep.recs) > c.MaxInterfacesPerEndpoint {
			t.Fatalf("endpoint %v: %d recs", key, len(ep.recs))
		}
		if len(ep.ids) != len(ep.recs) {
			t.Fatalf("endpoint %v: %d recs, %d ids", key, len(ep.recs), len(ep.ids))
		}
		for i, r := range ep.recs {
			if r.ep != ep || d.bindings.get(&r.key) != r {
				t.Fatalf("endpoint index broken")
			}
			if ep.ids[i] != epIfaceOf(&r.key.iface) {
				t.Fatalf("endpoint %v: id %d is not its binding's", key, i)
			}
		}
	}
	if m := d.epMemo; m.valid && (d.endpoints[m.key] != m.ep || unmap(m.ap) != m.key.ap) {
		t.Fatalf("endpoint memo for %v is stale", m.key)
	}
	checkIndex(t, &d.bindings)
}

// checkIndex verifies the binding index: every chain holds bindings whose
// digest files them under the chain's bucket, with distinct keys, and the
// chains hold n bindings.
func checkIndex(t *testing.T, x *bindIndex) {
	t.Helper()
	n := 0
	if len(x.buckets) < minBuckets || len(x.buckets)&(len(x.buckets)-1) != 0 {
		t.Fatalf("%d buckets", len(x.buckets))
	}
	for i, head := range x.buckets {
		for r := head; r != nil; r = r.hnext {
			if n++; n > x.n {
				t.Fatalf("chains hold more than the %d bindings counted", x.n)
			}
			h := r.hash
			if x.digest(r.key.server, &r.key.iface, &r.key.b) != h || x.bucket(h) != &x.buckets[i] {
				t.Fatalf("binding %v with digest %#x filed under bucket %d", r.key.b, h, i)
			}
			for o := r.hnext; o != nil; o = o.hnext {
				if o.key == r.key {
					t.Fatalf("binding %v indexed twice", r.key.b)
				}
			}
		}
	}
	if n != x.n {
		t.Fatalf("chains hold %d bindings, %d counted", n, x.n)
	}
}

// TestBounds drives many distinct servers and bindings through small caps.
func TestBounds(t *testing.T) {
	cfg := Config{MaxBindings: 16, MaxServers: 4, MaxBindingsPerInterface: 2, MaxInterfacesPerEndpoint: 2, MaxAnswer: 3, MaxFaultCounters: 2}
	d := New(cfg, nil)
	var e event.Event
	for i := 0; i < 2000; i++ {
		srv := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8 % 8), byte(i % 7)})
		var b dissect.Binding
		b.Protseq = dissect.NcacnIPTCP
		b.SetIP(srv)
		b.SetPort(uint16(49152 + i%5))
		e = event.Event{Kind: event.KindBinding, Frame: int64(i + 1), TimeNs: int64(i) * 1e6, Transport: event.TCP,
			Server: netip.AddrPortFrom(srv, 135), Client: netip.MustParseAddrPort("10.9.9.9:1000"), FromServer: true,
			Binding: b, BindingIface: fzIfs[i%len(fzIfs)], Source: event.Source(1 + i%4), HasBinding: true}
		d.Event(&e)
		e = event.Event{Kind: event.KindPDU, Frame: int64(i + 1), Transport: event.TCP, PType: dissect.PTypeFault,
			Server: netip.AddrPortFrom(srv, b.Port), FromServer: true, Iface: fzIfs[i%len(fzIfs)], IfaceOK: true, Status: 0x1c010002}
		d.Event(&e)
		checkBounds(t, d)
	}
	st := d.Stats()
	if st.EvictedBindings == 0 || st.EvictedServers == 0 || st.FaultCountersFull == 0 || st.Bindings > 16 || st.Servers > 4 {
		t.Fatalf("%+v", st)
	}
	t.Logf("%+v", st)
}
