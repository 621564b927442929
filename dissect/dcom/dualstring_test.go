package dcom_test

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
)

// dsaNDR builds the NDR form of x in byte order le.
func dsaNDR(le bool, x dcetest.DSA) []byte {
	return dcetest.New(le).DualStringArrayNDR(x).B
}

// rendered returns every string binding in its text form.
func rendered(d *dcom.DualStringArray) []string {
	var out []string
	it := d.StringBindings()
	for it.Next() {
		out = append(out, it.Entry().Binding.String())
	}
	return out
}

func kinds(a *dissect.Anomalies) []dissect.AnomalyKind {
	var out []dissect.AnomalyKind
	for i := 0; i < a.Len(); i++ {
		out = append(out, a.At(i).Kind)
	}
	return out
}

func TestDualStringArrayWellFormed(t *testing.T) {
	strs := append(append([]dcetest.SB{}, dcetest.KB224460Correct...), dcetest.KB224460Names...)
	strs = append(strs,
		dcetest.SB{Tower: dcetest.TowerNP, Addr: `\\01566S-WIN16-IR[\PIPE\atsvc]`},
		// as Windows sends it, each backslash escaped
		dcetest.SB{Tower: dcetest.TowerNP, Addr: `\\\\01566S-WIN16-IR[\\pipe\\SessEnvPublicRpc]`},
		dcetest.SB{Tower: dcetest.TowerTCP, Addr: "fe80::1[49913]"},
		dcetest.SB{Tower: dcetest.TowerTCP, Addr: "WORKSTATION6"},
		dcetest.SB{Tower: 0x10, Addr: "[OLE1234]"},
	)
	want := []string{
		"ncacn_ip_tcp:157.61.239.61[1038]",
		"ncacn_ip_tcp:157.61.239.5[1038]",
		"ncacn_ip_tcp:SRV20[1038]",
		"ncadg_ip_udp:SRV20[1039]",
		`ncacn_np:\\01566S-WIN16-IR[\PIPE\atsvc]`,
		`ncacn_np:\\\\01566S-WIN16-IR[\\pipe\\SessEnvPublicRpc]`,
		"ncacn_ip_tcp:fe80::1[49913]",
		"ncacn_ip_tcp:WORKSTATION6",
		"ncalrpc:[OLE1234]",
	}
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			b := dsaNDR(le, dcetest.DSA{Strings: strs, Security: dcetest.DefaultSecurity})
			var d dcom.DualStringArray
			n, err := d.Decode(b, le, dcom.FormNDR)
			if err != nil || n != len(b) {
				t.Fatalf("Decode = %d, %v; want %d, nil", n, err, len(b))
			}
			if d.Anomalies.Len() != 0 {
				t.Fatalf("anomalies: %v", kinds(&d.Anomalies))
			}
			if d.NumStrings != len(strs) || d.NumSecurity != 3 || d.InvalidAddrs != 0 {
				t.Fatalf("counts %d/%d/%d", d.NumStrings, d.NumSecurity, d.InvalidAddrs)
			}
			if got := rendered(&d); !reflect.DeepEqual(got, want) {
				t.Fatalf("bindings\n got %q\nwant %q", got, want)
			}
			it := d.StringBindings()
			var ips []netip.Addr
			var ports []uint16
			for it.Next() {
				e := it.Entry()
				if !e.Valid() {
					t.Errorf("%s not valid", e.Binding.String())
				}
				ips = append(ips, e.Binding.IP)
				ports = append(ports, e.Binding.Port)
			}
			if it.Err() != nil {
				t.Fatal(it.Err())
			}
			wantIPs := []netip.Addr{netip.MustParseAddr("157.61.239.61"), netip.MustParseAddr("157.61.239.5"), {}, {}, {}, {},
				netip.MustParseAddr("fe80::1"), {}, {}}
			if !reflect.DeepEqual(ips, wantIPs) {
				t.Errorf("IPs %v", ips)
			}
			if !reflect.DeepEqual(ports, []uint16{1038, 1038, 1038, 1039, 0, 0, 49913, 0, 0}) {
				t.Errorf("ports %v", ports)
			}
			var princs []string
			var svcs []uint16
			si := d.SecurityBindings()
			for si.Next() {
				princs = append(princs, string(si.Entry().AppendPrincName(nil)))
				svcs = append(svcs, si.Entry().AuthnSvc, si.Entry().AuthzSvc)
			}
			if si.Err() != nil {
				t.Fatal(si.Err())
			}
			if !reflect.DeepEqual(princs, []string{"", "", "host/SRV20.example.local"}) ||
				!reflect.DeepEqual(svcs, []uint16{9, 0xffff, 10, 0xffff, 16, 0xffff}) {
				t.Fatalf("security %q %v", princs, svcs)
			}
		})
	})
}

// TestDualStringArraySeed is the KB Q224460 vector: both entries carry the
// fused address; each gets an invalid-network-address anomaly at the offset
// of its address, no IP, and SplitFused recovers the two addresses.
func TestDualStringArraySeed(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			b := dsaNDR(le, dcetest.DSA{Strings: dcetest.KB224460Fused, Security: dcetest.DefaultSecurity})
			var d dcom.DualStringArray
			if _, err := d.Decode(b, le, dcom.FormNDR); err != nil {
				t.Fatal(err)
			}
			if got := rendered(&d); !reflect.DeepEqual(got, []string{
				"ncadg_ip_udp:157.61.239.61157.61.239.5[1039]",
				"ncacn_ip_tcp:157.61.239.61157.61.239.5[1038]",
			}) {
				t.Fatalf("bindings %q", got)
			}
			if d.InvalidAddrs != 2 || d.Anomalies.Len() != 2 {
				t.Fatalf("invalid %d, anomalies %v", d.InvalidAddrs, kinds(&d.Anomalies))
			}
			it := d.StringBindings()
			for i := 0; it.Next(); i++ {
				e := it.Entry()
				a := d.Anomalies.At(i)
				if a.Kind != dissect.AnomDCOMInvalidNetworkAddress || a.Off != e.Off+2 || a.A != uint32(e.TowerID) {
					t.Errorf("entry %d: anomaly %+v, entry off %d", i, a, e.Off)
				}
				if e.Valid() || e.Kind != dcom.AddrInvalid || e.Binding.IP.IsValid() {
					t.Errorf("entry %d should be invalid without IP", i)
				}
				if !e.Binding.HasPort {
					t.Errorf("entry %d: port not kept", i)
				}
				var parts [dcom.MaxFusedParts]netip.Addr
				if n := dcom.SplitFused(e.Binding.Addr.Bytes(), &parts); n != 2 ||
					parts[0] != netip.MustParseAddr("157.61.239.61") || parts[1] != netip.MustParseAddr("157.61.239.5") {
					t.Errorf("SplitFused = %d %v", n, parts)
				}
			}
			// first entry: max_count(4) + header(4) + tower id(2)
			if d.Anomalies.At(0).Off != 10 {
				t.Errorf("first anomaly at %d, want 10", d.Anomalies.At(0).Off)
			}
		})
	})
}

func TestDualStringArrayAnomalies(t *testing.T) {
	good := dcetest.DSA{Strings: dcetest.KB224460Correct, Security: dcetest.DefaultSecurity}
	units, secOff := good.Units()
	with := func(f func(x *dcetest.DSA)) dcetest.DSA {
		x := good
		f(&x)
		return x
	}
	tests := []struct {
		name  string
		x     dcetest.DSA
		cut   int // bytes removed from the end
		want  []dissect.AnomalyKind
		nstr  int
		nsec  int
		iterr bool
	}{
		{name: "minimal empty", x: dcetest.DSA{Raw: []uint16{0, 0, 0, 0}, SecurityOffset: dcetest.Ptr(uint16(2))}},
		{name: "minimal single zeros", x: dcetest.DSA{Raw: []uint16{0, 0}, SecurityOffset: dcetest.Ptr(uint16(1))}},
		{name: "num entries beyond data", x: with(func(x *dcetest.DSA) {
			x.NumEntries = dcetest.Ptr(uint16(len(units) + 40))
			x.MaxCount = dcetest.Ptr(uint32(len(units) + 40))
		}), want: []dissect.AnomalyKind{dissect.AnomDCOMNumEntriesBeyondData}, nstr: 2, nsec: 3},
		{name: "max count mismatch", x: with(func(x *dcetest.DSA) {
			x.MaxCount = dcetest.Ptr(uint32(len(units) - 1))
		}), want: []dissect.AnomalyKind{dissect.AnomDCOMMaxCountMismatch, dissect.AnomDCOMSecurityBindingsUnterminated}, nstr: 2, nsec: 3},
		{name: "security offset out of range", x: with(func(x *dcetest.DSA) {
			x.SecurityOffset = dcetest.Ptr(uint16(len(units) + 1))
		}), want: []dissect.AnomalyKind{dissect.AnomDCOMSecurityOffsetRange}, nstr: 2, nsec: 3},
		{name: "security offset mismatch", x: with(func(x *dcetest.DSA) {
			x.SecurityOffset = dcetest.Ptr(secOff - 1)
		}), want: []dissect.AnomalyKind{dissect.AnomDCOMSecurityOffsetMismatch, dissect.AnomDCOMTrailingEntries}, nstr: 2, nsec: 0},
		{name: "no terminators", x: dcetest.DSA{Strings: dcetest.KB224460Correct, NoStringTerminator: true, NoSecurityTerminator: true},
			want: []dissect.AnomalyKind{dissect.AnomDCOMStringBindingsUnterminated, dissect.AnomDCOMSecurityBindingsUnterminated}, nstr: 2, iterr: true},
		// Without the string terminator the security entries are read as
		// string bindings (authn 9 = tower ncacn_nb_tcp, 10 unknown, 16
		// ncalrpc) until the security terminator ends the list.
		{name: "no string terminator", x: with(func(x *dcetest.DSA) {
			x.NoStringTerminator = true
		}), want: []dissect.AnomalyKind{dissect.AnomDCOMInvalidNetworkAddress, dissect.AnomDCOMUnknownTowerID,
			dissect.AnomDCOMInvalidNetworkAddress, dissect.AnomDCOMSecurityOffsetMismatch}, nstr: 5, nsec: 3},
		{name: "no security terminator", x: with(func(x *dcetest.DSA) {
			x.NoSecurityTerminator = true
		}), want: []dissect.AnomalyKind{dissect.AnomDCOMSecurityBindingsUnterminated}, nstr: 2, nsec: 3},
		{name: "unknown tower id", x: dcetest.DSA{Strings: []dcetest.SB{{Tower: 0x77, Addr: "SRV20"}}},
			want: []dissect.AnomalyKind{dissect.AnomDCOMUnknownTowerID}, nstr: 1},
		{name: "trailing entries", x: with(func(x *dcetest.DSA) {
			x.Extra = []uint16{0x41, 0x42}
		}), want: []dissect.AnomalyKind{dissect.AnomDCOMTrailingEntries}, nstr: 2, nsec: 3},
		{name: "odd length", x: good, cut: 3, want: []dissect.AnomalyKind{dissect.AnomDCOMNumEntriesBeyondData, dissect.AnomDCOMOddLength, dissect.AnomDCOMSecurityBindingsUnterminated}, nstr: 2, nsec: 2},
		{name: "bad endpoint text", x: dcetest.DSA{Strings: []dcetest.SB{{Tower: 7, Addr: "10.1.2.3[abc]"}}},
			want: []dissect.AnomalyKind{dissect.AnomDCOMBadEndpoint}, nstr: 1},
		{name: "port too large", x: dcetest.DSA{Strings: []dcetest.SB{{Tower: 7, Addr: "10.1.2.3[65536]"}}},
			want: []dissect.AnomalyKind{dissect.AnomDCOMBadEndpoint}, nstr: 1},
		{name: "unclosed endpoint", x: dcetest.DSA{Strings: []dcetest.SB{{Tower: 7, Addr: "10.1.2.3[1038"}}},
			want: []dissect.AnomalyKind{dissect.AnomDCOMBadEndpoint}, nstr: 1},
		{name: "unpaired surrogate", x: dcetest.DSA{Raw: []uint16{7, 'a', 0xd800, 'b', 0, 0, 0}, SecurityOffset: dcetest.Ptr(uint16(6))},
			want: []dissect.AnomalyKind{dissect.AnomDCOMBadUTF16, dissect.AnomDCOMInvalidNetworkAddress}, nstr: 1},
		{name: "empty address", x: dcetest.DSA{Strings: []dcetest.SB{{Tower: 7, Addr: ""}}},
			want: []dissect.AnomalyKind{dissect.AnomDCOMInvalidNetworkAddress}, nstr: 1},
		{name: "all-numeric name", x: dcetest.DSA{Strings: []dcetest.SB{{Tower: 8, Addr: "1.2.3[135]"}}},
			want: []dissect.AnomalyKind{dissect.AnomDCOMInvalidNetworkAddress}, nstr: 1},
		{name: "IPX address not judged", x: dcetest.DSA{Strings: []dcetest.SB{{Tower: 0x0e, Addr: "~0000000108002B30612C[5000]"}}}, nstr: 1},
	}
	for _, tc := range tests {
		dcetest.BothOrders(func(name string, le bool) {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				b := dsaNDR(le, tc.x)
				b = b[:len(b)-tc.cut]
				var d dcom.DualStringArray
				if _, err := d.Decode(b, le, dcom.FormNDR); err != nil {
					t.Fatal(err)
				}
				if got := kinds(&d.Anomalies); !reflect.DeepEqual(got, tc.want) {
					t.Errorf("anomalies\n got %v\nwant %v", got, tc.want)
				}
				if d.NumStrings != tc.nstr || d.NumSecurity != tc.nsec {
					t.Errorf("strings %d security %d, want %d %d", d.NumStrings, d.NumSecurity, tc.nstr, tc.nsec)
				}
				it := d.StringBindings()
				n := 0
				for it.Next() {
					n++
				}
				if n != tc.nstr || (it.Err() != nil) != tc.iterr {
					t.Errorf("iterator: %d entries, err %v", n, it.Err())
				}
			})
		})
	}
}

func TestDualStringArrayPacked(t *testing.T) {
	x := dcetest.DSA{Strings: []dcetest.SB{{Tower: 7, Addr: "BLACKCLOVER-DC"}, {Tower: 7, Addr: "10.10.10.100"}},
		Security: []dcetest.SecB{{Authn: 9, Authz: 0xffff}, {Authn: 0x1e, Authz: 0xffff}}}
	b := dcetest.DualStringArrayPacked(x)
	var d dcom.DualStringArray
	// le=false must be ignored: the packed form is always little-endian
	n, err := d.Decode(b, false, dcom.FormPacked)
	if err != nil || n != len(b) || d.Anomalies.Len() != 0 || !d.LE {
		t.Fatalf("Decode = %d, %v, %v", n, err, kinds(&d.Anomalies))
	}
	if got := rendered(&d); !reflect.DeepEqual(got, []string{"ncacn_ip_tcp:BLACKCLOVER-DC", "ncacn_ip_tcp:10.10.10.100"}) {
		t.Fatalf("%q", got)
	}
}

func TestDualStringArrayShort(t *testing.T) {
	var d dcom.DualStringArray
	for _, b := range [][]byte{nil, {1, 0, 0}, {4, 0, 0, 0, 4, 0}} {
		if _, err := d.Decode(b, true, dcom.FormNDR); err != dissect.ErrShort {
			t.Errorf("%x: err %v", b, err)
		}
	}
	if _, err := d.Decode([]byte{4, 0}, true, dcom.FormPacked); err != dissect.ErrShort {
		t.Errorf("packed: err %v", err)
	}
}

// TestDualStringArrayReset checks that decoding A then B into one struct
// equals a fresh decode of B.
func TestDualStringArrayReset(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		a := dsaNDR(le, dcetest.DSA{Strings: dcetest.KB224460Fused, Security: dcetest.DefaultSecurity, Extra: []uint16{1}})
		b := dsaNDR(le, dcetest.DSA{Strings: dcetest.KB224460Names})
		var reused, fresh dcom.DualStringArray
		reused.Decode(a, le, dcom.FormNDR)
		reused.Decode(b, le, dcom.FormNDR)
		fresh.Decode(b, le, dcom.FormNDR)
		if !reflect.DeepEqual(reused, fresh) {
			t.Errorf("%s: reused decode differs from fresh", name)
		}
	})
}

func TestTowerIDs(t *testing.T) {
	for _, tc := range []struct {
		id   dcom.TowerID
		want string
	}{
		{0x04, "ncacn_dnet_nsp"}, {0x07, "ncacn_ip_tcp"}, {0x08, "ncadg_ip_udp"}, {0x09, "ncacn_nb_tcp"},
		{0x0c, "ncacn_spx"}, {0x0d, "ncacn_nb_ipx"}, {0x0e, "ncadg_ipx"}, {0x0f, "ncacn_np"}, {0x10, "ncalrpc"},
		{0x12, "ncacn_nb_nb"}, {0x13, "ncacn_nb_nb"}, {0x16, "ncacn_at_dsp"}, {0x17, "ncadg_at_ddp"},
		{0x1a, "ncacn_vns_spp"}, {0x1d, "ncadg_mq"}, {0x1f, "ncacn_http"}, {0x21, "ncacn_hvsocket"},
		{0x00, "tower-0x00000000"}, {0x11, "tower-0x00000011"}, {0xffff, "tower-0x0000ffff"},
	} {
		if got := tc.id.String(); got != tc.want {
			t.Errorf("%#x: %q, want %q", uint16(tc.id), got, tc.want)
		}
		if tc.id.Known() && dcom.TowerIDOf(tc.id.Protseq()).Protseq() != tc.id.Protseq() {
			t.Errorf("TowerIDOf(%v) does not round-trip", tc.id.Protseq())
		}
	}
	if dcom.TowerIDOf(dissect.NcacnNbNb) != dcom.TowerNcacnNbNb || dcom.TowerIDOf(dissect.ProtseqUnknown) != 0 {
		t.Error("TowerIDOf")
	}
}
