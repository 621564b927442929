package main

import (
	"bufio"
	"io"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// checkFindingLine compares the line written straight from f with
// encoding/json's rendering of findingObject(file, f).
func checkFindingLine(t testing.TB, c *jsonClock, file string, f *detect.Finding) {
	t.Helper()
	got := string(c.appendFindingLine(nil, file, f))
	if want := refJSON(t, findingObject(file, f)); got != want {
		t.Fatalf("finding (file %q):\n got %s\nwant %s", file, got, want)
	}
}

// captureFindings calls fn for every finding the detector reports on the
// bundled captures and, when present, the shared ones.
func captureFindings(t testing.TB, fn func(f *detect.Finding)) (findings, captures int) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(repoTestdata, "*.pcap"))
	if d, ok := pcaptest.FindDir(); ok {
		more, _ := filepath.Glob(filepath.Join(d, "*.pcap*"))
		paths = append(paths, more...)
		more, _ = filepath.Glob(filepath.Join(d, "*.cap"))
		paths = append(paths, more...)
	}
	for _, p := range paths {
		det := detect.New(detect.Config{}, func(f *detect.Finding) {
			findings++
			fn(f)
		})
		for _, e := range pipelineEvents(t, p, false) {
			det.Event(&e)
		}
		det.Flush()
	}
	return findings, len(paths)
}

// TestFindingLineMatchesEncodingJSON: the finding line written from
// *detect.Finding equals encoding/json's rendering of findingObject for
// every finding of the captures (with and without a file name) and for
// random findings that reach every field, every rule, cause and detail
// (several details at once included), odd texts and addresses.
func TestFindingLineMatchesEncodingJSON(t *testing.T) {
	var c jsonClock
	n, caps := captureFindings(t, func(f *detect.Finding) {
		checkFindingLine(t, &c, "", f)
		checkFindingLine(t, &c, "dir/a \"b\".pcap", f)
	})
	if n < 10 {
		t.Fatalf("only %d findings from %d captures", n, caps)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50000; i++ {
		f := randomDetectFinding(r)
		file := ""
		if r.IntN(2) == 0 {
			file = "x\u2028.pcap"
		}
		checkFindingLine(t, &c, file, &f)
	}
	t.Logf("%d findings from %d captures and 50000 random ones agree", n, caps)
}

// randomDetectFinding fills a detect.Finding from r; each field is zero
// about a third of the time.
func randomDetectFinding(r *rand.Rand) detect.Finding {
	strs := []string{"", "x", "10.0.0.1", "a\"b\\\n\u2028\xff", "157.61.239.61157.61.239.5", "\\pipe\\lsass", "\xe2\x80"}
	s := func() string { return strs[r.IntN(len(strs))] }
	i := func() int64 { return randInt64(r) }
	u32 := func() uint32 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return 0x1c010003 // nca_s_unk_if
		case 2:
			return uint32(r.IntN(12)) // bind_nak reasons, known and not
		}
		return r.Uint32()
	}
	b := func() bool { return r.IntN(2) == 0 }
	addrs := []netip.Addr{{}, netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fe80::1%eth\"0"),
		netip.MustParseAddr("::ffff:10.1.2.3"), netip.MustParseAddr("2001:db8::7")}
	addr := func() netip.Addr { return addrs[r.IntN(len(addrs))] }
	addrPort := func() netip.AddrPort {
		a := addr()
		if !a.IsValid() {
			return netip.AddrPort{}
		}
		return netip.AddrPortFrom(a, uint16(r.IntN(3)*135))
	}
	binding := func() dissect.Binding {
		var bd dissect.Binding
		bd.Protseq = dissect.Protseq(r.IntN(25))
		bd.Addr.SetString(s())
		if b() {
			bd.Endpoint.SetString(s())
		}
		return bd
	}
	syntax := func() dissect.SyntaxID {
		var id dissect.SyntaxID
		switch r.IntN(3) {
		case 1: // the endpoint mapper
			id.UUID = dissect.UUID{0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa}
		case 2:
			for k := range id.UUID {
				id.UUID[k] = byte(r.IntN(256))
			}
		}
		id.Major, id.Minor = uint16(r.IntN(4)), uint16(r.IntN(3))
		return id
	}
	f := detect.Finding{
		Rule: detect.Rule(r.IntN(16)), Severity: detect.Severity(r.IntN(6)), Frame: i(), TimeNs: i() * 1e6,
		Server: addrPort(), Client: addrPort(), Iface: syntax(), IfaceOK: b(), Binding: binding(),
		HasBinding: b(), Source: event.Source(r.IntN(7)), Detail: s(),
		Anomaly: dissect.Anomaly{Kind: dissect.AnomalyKind(r.IntN(40)), Off: int(i())},
	}
	for k := r.IntN(detect.MaxEvidence + 3); k > 0; k-- {
		f.AddEvidence(i())
	}
	// Usually one detail, sometimes none or several (findingObject takes the
	// first in its order).
	for k := r.IntN(3); k > 0; k-- {
		switch r.IntN(5) {
		case 0:
			fd := &detect.FusedDetail{Ambiguous: b(), FromTower: b()}
			for m := r.IntN(4); m > 0; m-- {
				fd.Parts = append(fd.Parts, detect.FusedPart{Addr: addr(), AnsweredFrom: b(), AdvertisedElsewhere: b()})
			}
			f.Fused = fd
		case 1:
			f.Moved = &detect.MovedDetail{Previous: binding(), PrevFirstFrame: i(), PrevLastFrame: i()}
		case 2:
			f.Stale = &detect.StaleDetail{Cause: detect.StaleCause(r.IntN(14)), LearnedFrame: i(),
				LearnedSources: detect.SourceSet(r.IntN(256)), Moved: b(), MovedFrame: i(), MovedTo: binding(),
				FailureFrame: i(), Status: u32()}
		case 3:
			f.Fault = &detect.FaultDetail{PType: dissect.PType(r.IntN(25)), Status: u32(), StatusName: s(),
				Count: uint64(i())}
		case 4:
			f.Reboot = &detect.RebootDetail{OldBoot: u32(), NewBoot: u32(), OldBootFrame: i()}
		}
	}
	return f
}

// TestNamesPlain: appendJSONBinding writes protocol sequence names and
// appendFindingLine source names without JSON escaping, which holds while
// no name has a character that needs it.
func TestNamesPlain(t *testing.T) {
	for p := range 256 {
		name := dissect.Protseq(p).String()
		if got := string(appendJSONString(nil, name)); got != `"`+name+`"` {
			t.Errorf("protseq name %q needs JSON escaping: %s", name, got)
		}
		name = event.Source(p).String()
		if got := string(appendJSONString(nil, name)); got != `"`+name+`"` || name == "," {
			t.Errorf("source name %q needs JSON escaping: %s", name, got)
		}
	}
}

func TestFindingLineNoAllocs(t *testing.T) {
	var fs []detect.Finding
	captureFindings(t, func(f *detect.Finding) {
		if len(fs) < 200 {
			fs = append(fs, *f) // the details stay valid: the detector allocates each
		}
	})
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	j := newJSONRenderer(bufio.NewWriter(io.Discard))
	for i := range fs {
		j.finding(&fs[i]) // grows the buffer
	}
	wantNoAllocs(t, "finding line", len(fs), func(i int) { j.finding(&fs[i]) })
}

func BenchmarkFindingJSON(b *testing.B) {
	var fs []detect.Finding
	captureFindings(b, func(f *detect.Finding) { fs = append(fs, *f) })
	j := newJSONRenderer(bufio.NewWriter(io.Discard))
	b.Run("line", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			j.finding(&fs[i%len(fs)])
		}
	})
	b.Run("object", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			o := findingObject(j.file, &fs[i%len(fs)])
			j.buf = appendFinding(j.buf[:0], &o)
			j.w.Write(j.buf)
		}
	})
}

// TestAppendJSONStringWords: every byte value at every position of strings
// long enough for appendJSONStringBody's 8-byte steps, and multi-byte runes
// across word boundaries.
func TestAppendJSONStringWords(t *testing.T) {
	for c := 0; c < 256; c++ {
		for p := 0; p < 18; p++ {
			s := []byte("abcdefghijklmnopqr")
			s[p] = byte(c)
			checkString(t, string(s))
		}
	}
	for p := 0; p < 18; p++ {
		for _, r := range []string{"é", "€", "😀", "\u2028", "\xe2\x80", "\xed\xa0\x80"} {
			s := "abcdefghijklmnopqr"
			checkString(t, s[:p]+r+s[p:])
		}
	}
}

// TestJSONClockSequences: the clock equals jsonTime on times in order (within
// a second, across seconds, minutes, hours and days) and out of order.
func TestJSONClockSequences(t *testing.T) {
	var c jsonClock
	check := func(ns int64) {
		t.Helper()
		if got, want := string(c.appendTime(nil, ns)), `"`+jsonTime(ns)+`"`; got != want {
			t.Fatalf("appendTime(%d) = %s, want %s", ns, got, want)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	ns := int64(1717401599)*1e9 - 3e9 // a few seconds before a midnight
	for i := 0; i < 20000; i++ {
		check(ns)
		ns += r.Int64N([]int64{1e3, 1e9, 61e9, 3601e9, 86400e9}[r.IntN(5)])
	}
	for i := 0; i < 20000; i++ {
		check(r.Int64N(1 << 62))
		check(int64(r.IntN(3))*86400e9 + r.Int64N(2e9) - 1e9)
	}
	check(1<<63 - 1)
}
