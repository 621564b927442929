package epm

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

var (
	samr     = dissect.SyntaxID{UUID: dissect.MustParseUUID("12345778-1234-abcd-ef00-0123456789ac"), Major: 1}
	netlogon = dissect.SyntaxID{UUID: dissect.MustParseUUID("12345678-1234-abcd-ef00-01234567cffb"), Major: 1}
	lo       = netip.MustParseAddr("127.0.0.1")
	kbAddr   = netip.MustParseAddr("157.61.239.5")
)

// Short names for building towers in tables.
var (
	fSyn  = dcetest.EPMFloorSyntax
	fRPC  = dcetest.EPMFloorRPC
	fPort = dcetest.EPMFloorPort
	fIP   = dcetest.EPMFloorIPv4
	fStr  = dcetest.EPMFloorString
	fRaw  = dcetest.EPMFloorRaw
	tower = dcetest.EPMTower
	ndr20 = dcetest.EPMNDR20
)

// head returns the interface, transfer syntax and RPC protocol floors.
func head(rpc byte) []dcetest.EPMFloor {
	return []dcetest.EPMFloor{fSyn(samr), fSyn(ndr20), fRPC(rpc, 0)}
}

func floors(rpc byte, rest ...dcetest.EPMFloor) []byte {
	return tower(append(head(rpc), rest...)...)
}

// bindingOf renders ti's Binding.
func bindingOf(ti *TowerInfo) dissect.Binding {
	var b dissect.Binding
	ti.Binding(&b)
	return b
}

type towerCase struct {
	name    string
	octets  []byte
	binding string
	protseq dissect.Protseq
	kinds   []dissect.AnomalyKind
	err     error
	check   func(t *testing.T, ti *TowerInfo)
}

func towerCases() []towerCase {
	fused := []byte{157, 61, 239, 61, 157, 61, 239, 5}
	long := strings.Repeat("x", 300)
	return []towerCase{
		{name: "tcp", octets: dcetest.EPMTowerTCP(samr, lo, 49152), binding: "ncacn_ip_tcp:127.0.0.1[49152]", protseq: dissect.NcacnIPTCP,
			check: func(t *testing.T, ti *TowerInfo) {
				if ti.Interface != samr || ti.Transfer != ndr20 || !ti.HasInterface || !ti.HasTransfer {
					t.Errorf("syntaxes %v %v", ti.Interface, ti.Transfer)
				}
				if ti.RPC != ProtoRPCCO || ti.RPCMinor != 0 || ti.FloorCount != 5 || ti.Floors != 5 {
					t.Errorf("rpc %v minor %d floors %d/%d", ti.RPC, ti.RPCMinor, ti.FloorCount, ti.Floors)
				}
				want := [MaxFloors]ProtocolID{ProtoUUID, ProtoUUID, ProtoRPCCO, ProtoTCP, ProtoIP}
				if ti.Protocols != want {
					t.Errorf("protocols %v", ti.Protocols)
				}
				if ti.IP != lo || ti.Port != 49152 || !ti.HasPort {
					t.Errorf("binding ip %v port %d", ti.IP, ti.Port)
				}
				if !bytes.Equal(ti.RawAddr, []byte{127, 0, 0, 1}) || !bytes.Equal(ti.RawEndpoint, []byte{0xc0, 0x00}) {
					t.Errorf("raw %x %x", ti.RawAddr, ti.RawEndpoint)
				}
			}},
		{name: "udp", octets: dcetest.EPMTowerUDP(samr, kbAddr, 1039), binding: "ncadg_ip_udp:157.61.239.5[1039]", protseq: dissect.NcadgIPUDP},
		{name: "np-windows", octets: dcetest.EPMTowerNP(samr, `\PIPE\lsarpc`, `\\SRV20`), binding: `ncacn_np:\\SRV20[\PIPE\lsarpc]`, protseq: dissect.NcacnNP},
		{name: "np-samba-empty-host", octets: dcetest.EPMTowerNP(samr, `\pipe\lsarpc`, ""), binding: `ncacn_np:[\pipe\lsarpc]`, protseq: dissect.NcacnNP},
		{name: "lrpc", octets: dcetest.EPMTowerLRPC(samr, "rpcd_lsad"), binding: "ncalrpc:[rpcd_lsad]", protseq: dissect.Ncalrpc},
		{name: "http", octets: dcetest.EPMTowerHTTP(samr, netip.IPv4Unspecified(), 593), binding: "ncacn_http:0.0.0.0[593]", protseq: dissect.NcacnHTTP},
		{name: "http-host-0x20", octets: floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoHTTP, 5000),
			fRaw(dcetest.EPMProtoHTTPHost, []byte{192, 168, 0, 2})), binding: "ncacn_http:192.168.0.2[5000]", protseq: dissect.NcacnHTTP},
		{name: "fused-ipv4", octets: floors(dcetest.EPMProtoRPCCL, fPort(dcetest.EPMProtoUDP, 1039), fRaw(dcetest.EPMProtoIP, fused)),
			binding: "ncadg_ip_udp:157.61.239.61157.61.239.5[1039]", protseq: dissect.NcadgIPUDP,
			kinds: []dissect.AnomalyKind{dissect.AnomTowerIPv4Length},
			check: func(t *testing.T, ti *TowerInfo) {
				if !ti.Fused || ti.IP.IsValid() || !bytes.Equal(ti.RawAddr, fused) {
					t.Errorf("fused %v ip %v raw %x", ti.Fused, ti.IP, ti.RawAddr)
				}
				if a := ti.Anomalies.At(0); a.A != 8 || a.B != 4 || a.Off != len(ti.Octets)-8 {
					t.Errorf("anomaly %+v", a)
				}
			}},
		{name: "ipv4-len-2", octets: floors(dcetest.EPMProtoRPCCL, fPort(dcetest.EPMProtoUDP, 49200), fRaw(dcetest.EPMProtoIP, []byte{127, 0})),
			binding: "ncadg_ip_udp:[49200]", protseq: dissect.NcadgIPUDP, kinds: []dissect.AnomalyKind{dissect.AnomTowerIPv4Length},
			check: func(t *testing.T, ti *TowerInfo) {
				if ti.Fused || bindingOf(ti).Addr.String() != "" || len(ti.RawAddr) != 2 {
					t.Errorf("fused %v addr %q raw %x", ti.Fused, bindingOf(ti).Addr.String(), ti.RawAddr)
				}
			}},
		{name: "ipv4-len-5", octets: floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoTCP, 135), fRaw(dcetest.EPMProtoIP, []byte{1, 2, 3, 4, 5})),
			binding: "ncacn_ip_tcp:[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerIPv4Length}},
		{name: "ipv4-len-12", octets: floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoTCP, 1038),
			fRaw(dcetest.EPMProtoIP, []byte{10, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 3})),
			binding: "ncacn_ip_tcp:10.0.0.110.0.0.210.0.0.3[1038]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerIPv4Length}},
		{name: "port-len-3", octets: floors(dcetest.EPMProtoRPCCO, fRaw(dcetest.EPMProtoTCP, []byte{0, 135, 0}), fIP(lo)),
			binding: "ncacn_ip_tcp:127.0.0.1", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerPortLength}},
		{name: "uuid-floor-short", octets: tower(dcetest.EPMFloor{LHS: fSyn(samr).LHS[:17], RHS: []byte{0, 0}}, fSyn(ndr20), fRPC(dcetest.EPMProtoRPCCO, 0),
			fPort(dcetest.EPMProtoTCP, 135), fIP(lo)),
			binding: "ncacn_ip_tcp:127.0.0.1[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerUUIDLength},
			check: func(t *testing.T, ti *TowerInfo) {
				if ti.HasInterface {
					t.Error("interface decoded from a short floor")
				}
			}},
		{name: "uuid-minor-rhs-1", octets: tower(dcetest.EPMFloor{LHS: fSyn(samr).LHS, RHS: []byte{1}}, fSyn(ndr20), fRPC(dcetest.EPMProtoRPCCO, 0),
			fPort(dcetest.EPMProtoTCP, 135), fIP(lo)),
			binding: "ncacn_ip_tcp:127.0.0.1[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerRHSLength}},
		{name: "pipe-missing-nul", octets: floors(dcetest.EPMProtoRPCCO, fRaw(dcetest.EPMProtoNamedPipe, []byte(`\pipe\x`)), fStr(dcetest.EPMProtoNetBIOS, "")),
			binding: `ncacn_np:[\pipe\x]`, protseq: dissect.NcacnNP, kinds: []dissect.AnomalyKind{dissect.AnomTowerMissingNUL}},
		{name: "pipe-embedded-nul", octets: floors(dcetest.EPMProtoRPCCO, fRaw(dcetest.EPMProtoNamedPipe, []byte("\\pipe\\a\x00b\x00")), fStr(dcetest.EPMProtoNetBIOS, "")),
			binding: `ncacn_np:[\pipe\a]`, protseq: dissect.NcacnNP, kinds: []dissect.AnomalyKind{dissect.AnomTowerEmbeddedNUL}},
		{name: "unknown-protocol", octets: floors(dcetest.EPMProtoRPCCO, fRaw(0x42, []byte{1, 2}), fIP(lo)),
			binding: "unknown:127.0.0.1[258]", protseq: dissect.ProtseqUnknown, kinds: []dissect.AnomalyKind{dissect.AnomTowerUnknownProtocol}},
		{name: "missing-address-floor", octets: floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoTCP, 135)),
			binding: "ncacn_ip_tcp:[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerMissingFloor},
			check: func(t *testing.T, ti *TowerInfo) {
				if a := ti.Anomalies.At(0); a.A != uint32(ProtoIP) || a.Off != len(ti.Octets) {
					t.Errorf("anomaly %+v", a)
				}
			}},
		{name: "missing-endpoint-floor", octets: tower(head(dcetest.EPMProtoRPCCO)...), binding: "unknown:", kinds: []dissect.AnomalyKind{dissect.AnomTowerMissingFloor}},
		{name: "only-two-floors", octets: tower(fSyn(samr), fSyn(ndr20)), binding: "unknown:", kinds: []dissect.AnomalyKind{dissect.AnomTowerMissingFloor}},
		{name: "floor-count-too-large", octets: func() []byte {
			b := dcetest.EPMTowerTCP(samr, lo, 135)
			b[0], b[1] = 0xe8, 0x03 // 1000 floors
			return b
		}(), binding: "ncacn_ip_tcp:127.0.0.1[135]", protseq: dissect.NcacnIPTCP, err: dissect.ErrShort,
			kinds: []dissect.AnomalyKind{dissect.AnomTowerFloorCount, dissect.AnomTowerLHSPastEnd}},
		{name: "floor-count-too-small", octets: func() []byte {
			b := dcetest.EPMTowerTCP(samr, lo, 135)
			b[0] = 3
			return b
		}(), binding: "unknown:", kinds: []dissect.AnomalyKind{dissect.AnomTowerTrailingBytes, dissect.AnomTowerMissingFloor}},
		{name: "lhs-past-end", octets: func() []byte {
			b := dcetest.EPMTowerTCP(samr, lo, 135)
			return append(b[:len(b)-9:len(b)-9], 0x40, 0) // floor 5 LHS length 64, nothing behind
		}(), binding: "ncacn_ip_tcp:[135]", protseq: dissect.NcacnIPTCP, err: dissect.ErrShort,
			kinds: []dissect.AnomalyKind{dissect.AnomTowerLHSPastEnd, dissect.AnomTowerFloorCount, dissect.AnomTowerMissingFloor}},
		{name: "rhs-past-end", octets: func() []byte {
			b := dcetest.EPMTowerTCP(samr, lo, 135)
			return b[:len(b)-2]
		}(), binding: "ncacn_ip_tcp:[135]", protseq: dissect.NcacnIPTCP, err: dissect.ErrShort,
			kinds: []dissect.AnomalyKind{dissect.AnomTowerRHSPastEnd, dissect.AnomTowerFloorCount, dissect.AnomTowerMissingFloor}},
		{name: "trailing-bytes", octets: append(dcetest.EPMTowerTCP(samr, lo, 135), 0, 0, 0),
			binding: "ncacn_ip_tcp:127.0.0.1[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerTrailingBytes}},
		{name: "co-over-udp", octets: floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoUDP, 135), fIP(lo)),
			binding: "unknown:127.0.0.1[135]", kinds: []dissect.AnomalyKind{dissect.AnomTowerUnexpectedFloor}},
		{name: "empty-lhs", octets: tower(fSyn(samr), fSyn(ndr20), dcetest.EPMFloor{RHS: []byte{0, 0}}, fPort(dcetest.EPMProtoTCP, 135), fIP(lo)),
			binding: "unknown:", kinds: []dissect.AnomalyKind{dissect.AnomTowerLHSLength}},
		{name: "rpc-floor-lhs-2", octets: tower(fSyn(samr), fSyn(ndr20), dcetest.EPMFloor{LHS: []byte{dcetest.EPMProtoRPCCO, 9}, RHS: []byte{0, 0}},
			fPort(dcetest.EPMProtoTCP, 135), fIP(lo)),
			binding: "ncacn_ip_tcp:127.0.0.1[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerLHSLength}},
		{name: "first-floor-not-uuid", octets: tower(fRPC(dcetest.EPMProtoRPCCO, 0), fSyn(ndr20), fRPC(dcetest.EPMProtoRPCCO, 0),
			fPort(dcetest.EPMProtoTCP, 135), fIP(lo)),
			binding: "ncacn_ip_tcp:127.0.0.1[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerUnexpectedFloor}},
		{name: "third-floor-not-rpc", octets: floors(dcetest.EPMProtoTCP, fPort(dcetest.EPMProtoTCP, 135), fIP(lo)),
			binding: "unknown:", kinds: []dissect.AnomalyKind{dissect.AnomTowerUnexpectedFloor}},
		{name: "extra-floor", octets: floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoTCP, 135), fIP(lo), fIP(lo)),
			binding: "ncacn_ip_tcp:127.0.0.1[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerUnexpectedFloor}},
		{name: "wrong-address-floor", octets: floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoTCP, 135), fStr(dcetest.EPMProtoNetBIOS, "SRV")),
			binding: "ncacn_ip_tcp:SRV[135]", protseq: dissect.NcacnIPTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerUnexpectedFloor}},
		{name: "long-pipe-name", octets: floors(dcetest.EPMProtoRPCCO, fStr(dcetest.EPMProtoNamedPipe, long), fStr(dcetest.EPMProtoNetBIOS, "")),
			binding: "ncacn_np:[" + long[:dissect.MaxText] + "]", protseq: dissect.NcacnNP, kinds: []dissect.AnomalyKind{dissect.AnomTowerTextTruncated}},
		{name: "one-octet", octets: []byte{5}, binding: "unknown:", err: dissect.ErrShort,
			kinds: []dissect.AnomalyKind{dissect.AnomTruncated, dissect.AnomTowerMissingFloor}},
		{name: "spx", octets: floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoLRPC, 34280), fRaw(byte(ProtoUUID), make([]byte, 10))),
			binding: "ncacn_spx:[34280]", protseq: dissect.NcacnSPX},
		{name: "nb-tcp", octets: floors(dcetest.EPMProtoRPCCO, fRaw(byte(ProtoNetBEUI), []byte{135}), fStr(dcetest.EPMProtoIP, "")),
			binding: "ncacn_nb_tcp:[135]", protseq: dissect.NcacnNbTCP, kinds: []dissect.AnomalyKind{dissect.AnomTowerIPv4Length}},
		{name: "ipx", octets: floors(dcetest.EPMProtoRPCCL, fRaw(byte(ProtoIPX), make([]byte, 12))),
			binding: "ncadg_ipx:", protseq: dissect.NcadgIPX},
		{name: "at-dsp", octets: floors(dcetest.EPMProtoRPCCO, fStr(byte(ProtoAppleTalkStream), "Endpoint Mapper"), fStr(byte(ProtoAppleTalk), "MAC")),
			binding: "ncacn_at_dsp:MAC[Endpoint Mapper]", protseq: dissect.NcacnAtDSP},
		{name: "vns-spp", octets: floors(dcetest.EPMProtoRPCCO, fPort(byte(ProtoVinesSPP), 385), fStr(byte(ProtoStreetTalk), "srv@grp@org")),
			binding: "ncacn_vns_spp:srv@grp@org[385]", protseq: dissect.NcacnVnsSPP},
		{name: "unix-socket", octets: floors(dcetest.EPMProtoRPCCO, fStr(byte(ProtoUnixSocket), "/run/rpc.sock")),
			binding: "unknown:[/run/rpc.sock]", kinds: []dissect.AnomalyKind{dissect.AnomTowerUnexpectedFloor}},
	}
}

func TestDecodeTower(t *testing.T) {
	for _, c := range towerCases() {
		t.Run(c.name, func(t *testing.T) {
			var ti TowerInfo
			err := DecodeTower(c.octets, &ti)
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if got := bindingOf(&ti).String(); got != c.binding {
				t.Errorf("binding %q, want %q", got, c.binding)
			}
			if ti.Protseq != c.protseq {
				t.Errorf("protseq %v, want %v", ti.Protseq, c.protseq)
			}
			var kinds []dissect.AnomalyKind
			for i := 0; i < ti.Anomalies.Len(); i++ {
				a := ti.Anomalies.At(i)
				kinds = append(kinds, a.Kind)
				if a.Off < 0 || a.Off > len(c.octets) {
					t.Errorf("anomaly %v offset %d outside the %d octets", a.Kind, a.Off, len(c.octets))
				}
			}
			if !reflect.DeepEqual(kinds, c.kinds) {
				t.Errorf("anomalies %v, want %v", kinds, c.kinds)
			}
			if c.check != nil {
				c.check(t, &ti)
			}
		})
	}
}

// TestIPTowerMatchesWalk checks DecodeTower's fast path for the common
// IPv4 tower against the general floor walk: on every tower case, on the
// shapes it accepts, and on every single-octet change of them (which moves
// most towers off the fast path, onto it with other values, or into
// anomalies the walk must then find).
func TestIPTowerMatchesWalk(t *testing.T) {
	shapes := [][]byte{
		dcetest.EPMTowerTCP(samr, lo, 49152),
		dcetest.EPMTowerUDP(netlogon, kbAddr, 1039),
		dcetest.EPMTowerHTTP(samr, netip.IPv4Unspecified(), 593),
		floors(dcetest.EPMProtoRPCCO, fPort(dcetest.EPMProtoHTTP, 5000), fRaw(dcetest.EPMProtoHTTPHost, []byte{192, 168, 0, 2})),
		tower(fSyn(dissect.SyntaxID{UUID: dissect.EPMv4, Major: 3, Minor: 1}), fSyn(ndr20), fRPC(dcetest.EPMProtoRPCCO, 7),
			fPort(dcetest.EPMProtoTCP, 65535), fIP(netip.MustParseAddr("255.1.10.100"))),
	}
	for i, b := range shapes {
		var ti TowerInfo
		if len(b) != ipTowerLen || !ti.ipTower(b) {
			t.Fatalf("shape %d (%d octets) not taken by the fast path", i, len(b))
		}
	}
	check := func(name string, b []byte) {
		t.Helper()
		var fast, walk TowerInfo
		errFast := DecodeTower(b, &fast)
		errWalk := DecodeTowerWalk(b, &walk)
		if errFast != errWalk || !reflect.DeepEqual(fast, walk) {
			t.Fatalf("%s: fast path %+v (err %v), walk %+v (err %v)", name, fast, errFast, walk, errWalk)
		}
	}
	for _, c := range towerCases() {
		check(c.name, c.octets)
	}
	for i, s := range shapes {
		for pos := range s {
			b := bytes.Clone(s)
			for v := 0; v < 256; v++ {
				b[pos] = byte(v)
				check("shape "+string(rune('0'+i)), b)
			}
		}
	}
}

// fillAll sets every field reachable in v to a non-zero value. It fails on
// a type it has no filler for, so that a field of a new type is handled
// here rather than silently left zero.
// An Anomalies gets nAnom entries (more than dissect.MaxAnomalies makes
// Dropped non-zero too).
func fillAll(t *testing.T, v reflect.Value, nAnom int) {
	t.Helper()
	switch v.Type() {
	case reflect.TypeFor[netip.Addr]():
		v.Set(reflect.ValueOf(netip.MustParseAddr("2001:db8::1")))
		return
	case reflect.TypeFor[dissect.Anomalies]():
		a := v.Addr().Interface().(*dissect.Anomalies)
		for i := 0; i < nAnom; i++ {
			a.Add(dissect.AnomTruncated, i+1, 1, 2)
		}
		return
	case reflect.TypeFor[[]byte]():
		v.Set(reflect.ValueOf([]byte{0xee}))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				t.Fatalf("fillAll: unexported field %s.%s", v.Type(), v.Type().Field(i).Name)
			}
			fillAll(t, v.Field(i), nAnom)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fillAll(t, v.Index(i), nAnom)
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	default:
		t.Fatalf("fillAll: no filler for %s", v.Type())
	}
}

// TestDecodeTowerResetsEveryField decodes into a TowerInfo whose every
// field holds something: DecodeTower (the fast path in particular, which
// writes each field instead of clearing the struct) must leave nothing
// behind.
func TestDecodeTowerResetsEveryField(t *testing.T) {
	cases := towerCases()
	cases = append(cases, towerCase{name: "udp-fast", octets: dcetest.EPMTowerUDP(netlogon, kbAddr, 1039)},
		towerCase{name: "http-fast", octets: dcetest.EPMTowerHTTP(samr, lo, 593)})
	for _, nAnom := range []int{0, 1, dissect.MaxAnomalies + 2} {
		for _, c := range cases {
			var used, fresh TowerInfo
			fillAll(t, reflect.ValueOf(&used).Elem(), nAnom)
			errUsed := DecodeTower(c.octets, &used)
			errFresh := DecodeTower(c.octets, &fresh)
			if !reflect.DeepEqual(used, fresh) || errUsed != errFresh {
				t.Errorf("%s: decode into a filled TowerInfo (%d anomalies)\n%+v\ndiffers from a fresh one\n%+v",
					c.name, nAnom, used, fresh)
			}
		}
	}
}

// TestDecodeTowerReuse: decoding A then B into one TowerInfo equals a fresh
// decode of B, for every pair of cases.
func TestDecodeTowerReuse(t *testing.T) {
	cases := towerCases()
	for _, a := range cases {
		for _, b := range cases {
			var used, fresh TowerInfo
			DecodeTower(a.octets, &used)
			errUsed := DecodeTower(b.octets, &used)
			errFresh := DecodeTower(b.octets, &fresh)
			if !reflect.DeepEqual(used, fresh) || errUsed != errFresh {
				t.Fatalf("%s then %s differs from fresh %s", a.name, b.name, b.name)
			}
		}
	}
}

// TestTowerTruncation decodes every prefix of every case: no panic, anomaly
// offsets stay inside the prefix.
func TestTowerTruncation(t *testing.T) {
	for _, c := range towerCases() {
		for n := 0; n <= len(c.octets); n++ {
			var ti TowerInfo
			DecodeTower(c.octets[:n], &ti)
			for i := 0; i < ti.Anomalies.Len(); i++ {
				if a := ti.Anomalies.At(i); a.Off > n {
					t.Fatalf("%s[:%d]: anomaly %v at %d", c.name, n, a.Kind, a.Off)
				}
			}
		}
	}
}

func TestFloorIter(t *testing.T) {
	b := dcetest.EPMTowerNP(samr, `\pipe\lsarpc`, "")
	var it FloorIter
	var an dissect.Anomalies
	var ids []ProtocolID
	for it.Reset(b, &an); it.Next(); {
		f := it.Floor()
		ids = append(ids, f.Protocol)
		if f.Index == 3 && string(f.RHS) != "\\pipe\\lsarpc\x00" {
			t.Errorf("pipe RHS %q", f.RHS)
		}
		if f.Index == 4 && (len(f.RHS) != 1 || f.RHS[0] != 0 || f.RHSOff != len(b)-1) {
			t.Errorf("netbios RHS %q at %d", f.RHS, f.RHSOff)
		}
	}
	want := []ProtocolID{ProtoUUID, ProtoUUID, ProtoRPCCO, ProtoNamedPipe, ProtoNetBIOS}
	if it.Err() != nil || !reflect.DeepEqual(ids, want) || an.Len() != 0 || it.Count() != 5 || it.Off() != len(b) {
		t.Fatalf("ids %v err %v anomalies %d count %d off %d", ids, it.Err(), an.Len(), it.Count(), it.Off())
	}
	if it.Next() {
		t.Fatal("Next after the end")
	}
}

func TestProtocolNames(t *testing.T) {
	for id, want := range map[ProtocolID]string{
		ProtoOSIOID: "osi-oid", ProtoTCP: "tcp", ProtoIP: "ip", ProtoLRPC: "lrpc", ProtoNamedPipe: "named-pipe",
		ProtoPortName: "port-name", ProtoHTTP: "http", ProtoHTTPHost: "http-host", ProtoNull: "null", 0x01: "0x01",
		0x15: "0x15", 0x1e: "0x1e", 0x23: "0x23", 0xff: "0xff",
	} {
		if got := id.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint8(id), got, want)
		}
	}
	// Every identifier the brief's list and C706 Appendix I name is known.
	for _, id := range []ProtocolID{0x00, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
		0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1f, 0x20, 0x21, 0x22} {
		if !id.Known() {
			t.Errorf("%#x unknown", uint8(id))
		}
	}
}
