package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/dissect/names"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// refJSON is encoding/json as the renderer configures it.
func refJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func checkString(t testing.TB, s string) {
	t.Helper()
	want := strings.TrimSuffix(refJSON(t, s), "\n")
	if got := string(appendJSONString(nil, s)); got != want {
		t.Fatalf("appendJSONString(%q) = %s, encoding/json %s", s, got, want)
	}
	if got := string(appendJSONString(nil, []byte(s))); got != want {
		t.Fatalf("appendJSONString([]byte(%q)) = %s, encoding/json %s", s, got, want)
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for c := 0; c < 256; c++ {
		checkString(t, string([]byte{byte(c)}))
		checkString(t, "a"+string([]byte{byte(c)})+"z")
	}
	for _, s := range []string{"", "ncacn_ip_tcp:10.0.0.1[49664]", "157.61.239.61157.61.239.5", `a"b\c`,
		"\u2028\u2029", "x\u2028y", "é€😀", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "<>&", "\x7f",
		"tab\there\nnl\r\x00\x1f"} {
		checkString(t, s)
	}
}

func TestJSONClockMatchesJSONTime(t *testing.T) {
	var c jsonClock
	for _, ns := range []int64{0, 1, 999999999, 1e9, 1e9 + 1, 1700000000123456789, 1700000000999999999,
		1700000001000000000, 1700000001000000001, 1600000000000000000, -1, -1e9 - 5, 253402300799999999999 % (1 << 62)} {
		want := `"` + jsonTime(ns) + `"`
		if got := string(c.appendTime(nil, ns)); got != want {
			t.Errorf("appendTime(%d) = %s, want %s", ns, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"\\\n", "\u2028", "\xff\xfe", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkString(t, s)
		if !json.Valid(appendJSONString(nil, s)) {
			t.Fatalf("invalid JSON for %q", s)
		}
	})
}

// bindingEvents runs a capture through the pipeline and keeps copies of its
// binding events.
func bindingEvents(t testing.TB, path string) []event.Event { return pipelineEvents(t, path, true) }

// pipelineEvents runs a capture through the pipeline and keeps copies of its
// events (only the binding events when bindingsOnly).
func pipelineEvents(t testing.TB, path string, bindingsOnly bool) []event.Event {
	t.Helper()
	src, err := source.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var evs []event.Event
	p, err := capture.New(capture.Config{}, func(e *event.Event) {
		if !bindingsOnly || e.Kind == event.KindBinding {
			evs = append(evs, *e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Read(context.Background(), src) // a capture cut short still gives its events so far
	p.Finish()
	return evs
}

// TestBindingJSONMatchesEncodingJSON: the hand-written binding line equals
// encoding/json's rendering of the schema struct for every binding event of
// the bundled and shared captures, with and without a file name, and for
// events with unusual text (escapes, invalid UTF-8, an unknown interface,
// no client, an IPv6 zone).
func TestBindingJSONMatchesEncodingJSON(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(repoTestdata, "*.pcap"))
	if d, ok := pcaptest.FindDir(); ok {
		more, _ := filepath.Glob(filepath.Join(d, "*.pcap*"))
		paths = append(paths, more...)
		more, _ = filepath.Glob(filepath.Join(d, "*.cap"))
		paths = append(paths, more...)
	}
	var evs []event.Event
	for _, p := range paths {
		evs = append(evs, bindingEvents(t, p)...)
	}
	if len(evs) < 100 {
		t.Fatalf("only %d binding events from %d captures", len(evs), len(paths))
	}
	odd := evs[0]
	odd.Binding.Addr.SetString("a\"b\\c\x01\xff\u2028")
	odd.Binding.Endpoint.SetString("\\pipe\\x")
	odd.BindingIface.UUID[0] ^= 0x5a // no longer a known interface
	odd.Client = netip.AddrPort{}
	odd.Server = netip.AddrPortFrom(netip.MustParseAddr("fe80::1%eth\"0"), 135)
	nilIface := evs[0]
	nilIface.BindingIface = dissect.SyntaxID{}
	evs = append(evs, odd, nilIface)
	for _, file := range []string{"", "dir/a \"b\".pcap"} {
		j := &jsonRenderer{file: file}
		for i := range evs {
			got := string(j.appendBinding(nil, &evs[i]))
			want := refJSON(t, j.bindingObject(&evs[i]))
			if got != want {
				t.Fatalf("event %d (file %q):\n got %s\nwant %s", i, file, got, want)
			}
		}
	}
	t.Logf("%d binding events from %d captures agree", len(evs), len(paths))
}

func TestBindingJSONNoAllocs(t *testing.T) {
	evs := bindingEvents(t, capturePath(t, "demo.pcap"))
	if len(evs) == 0 {
		t.Fatal("no binding events in demo.pcap")
	}
	j := newJSONRenderer(bufio.NewWriter(io.Discard))
	j.binding(&evs[0]) // grows the buffer once
	wantNoAllocs(t, "binding line", len(evs), func(i int) { j.binding(&evs[i]) })
}

// wantNoAllocs runs line on items 0..n-1 in turn, 1000 times under
// testing.AllocsPerRun, and fails unless it allocates nothing.
func wantNoAllocs(t *testing.T, what string, n int, line func(i int)) {
	t.Helper()
	i := 0
	if a := testing.AllocsPerRun(1000, func() {
		line(i % n)
		i++
	}); a != 0 {
		t.Fatalf("%s: %v allocs, want 0", what, a)
	}
}

func BenchmarkBindingJSON(b *testing.B) {
	evs := bindingEvents(b, filepath.Join(repoTestdata, "demo.pcap"))
	w := bufio.NewWriter(io.Discard)
	j := newJSONRenderer(w)
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			j.binding(&evs[i%len(evs)])
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			j.enc.Encode(j.bindingObject(&evs[i%len(evs)]))
		}
	})
}

// randInt64 is 0, a large positive or a small negative number, a third
// of the time each.
func randInt64(r *rand.Rand) int64 {
	switch r.IntN(3) {
	case 0:
		return 0
	case 1:
		return r.Int64N(1 << 40)
	}
	return -r.Int64N(100)
}

// randomFinding fills a jsonFinding with values drawn from r: each field is
// zero (empty) about a third of the time, so every omitempty path is taken.
func randomFinding(r *rand.Rand) jsonFinding {
	strs := []string{"", "x", "ncacn_ip_tcp:10.0.0.1[49664]", "a\"b\\\n\u2028\xff", "157.61.239.61157.61.239.5"}
	s := func() string { return strs[r.IntN(len(strs))] }
	i := func() int64 { return randInt64(r) }
	u := func() uint64 {
		if r.IntN(3) == 0 {
			return 0
		}
		return r.Uint64()
	}
	b := func() bool { return r.IntN(2) == 0 }
	f := jsonFinding{Kind: "finding", File: s(), Rule: s(), Severity: s(), Frame: i(), Time: s(), Server: s(),
		ServerPort: uint16(u()), Client: s(), Interface: s(), InterfaceName: s(), Version: s(), Binding: s(),
		Source: s(), Detail: s(), Ambiguous: b(), FromTower: b(), Previous: s(), PreviousFirstFrame: i(),
		PreviousLastFrame: i(), Cause: s(), LearnedFrame: i(), LearnedSources: s(), MovedFrame: i(), MovedTo: s(),
		FailureFrame: i(), PDU: s(), Status: s(), StatusName: s(), Count: u(), OldBoot: uint32(u()),
		NewBoot: uint32(u()), OldBootFrame: i(), Anomaly: s()}
	switch r.IntN(3) {
	case 1:
		f.Frames = []int64{}
	case 2:
		for n := r.IntN(4) + 1; n > 0; n-- {
			f.Frames = append(f.Frames, i())
		}
	}
	for n := r.IntN(3); n > 0; n-- {
		f.Parts = append(f.Parts, jsonPart{s(), b(), b()})
	}
	if r.IntN(2) == 0 {
		off := int(i())
		f.AnomalyOffset = &off
	}
	return f
}

// TestFindingJSONMatchesEncodingJSON compares the hand-written finding line
// with encoding/json's on random findings (every field empty or not) and on
// every finding the detector reports on the bundled captures.
func TestFindingJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		f := randomFinding(r)
		if got, want := string(appendFinding(nil, &f)), refJSON(t, f); got != want {
			t.Fatalf("random finding %d:\n got %s\nwant %s", n, got, want)
		}
	}
	paths, _ := filepath.Glob(filepath.Join(repoTestdata, "*.pcap"))
	var findings int
	for _, p := range paths {
		det := detect.New(detect.Config{}, func(f *detect.Finding) {
			findings++
			o := findingObject("x.pcap", f)
			if got, want := string(appendFinding(nil, &o)), refJSON(t, o); got != want {
				t.Fatalf("%s: finding:\n got %s\nwant %s", p, got, want)
			}
		})
		for _, e := range pipelineEvents(t, p, false) {
			det.Event(&e)
		}
		det.Flush()
	}
	if findings < 10 {
		t.Fatalf("only %d findings on the bundled captures", findings)
	}
}

// TestInterfaceNamesPlain: binding lines write interface names without JSON
// escaping, which holds while no name has a character that needs it.
func TestInterfaceNamesPlain(t *testing.T) {
	n := 0
	for e := range names.All() {
		n++
		if got := string(appendJSONString(nil, e.Name)); got != `"`+e.Name+`"` {
			t.Errorf("interface name %q needs JSON escaping: %s", e.Name, got)
		}
	}
	if n == 0 {
		t.Fatal("no interface names")
	}
}
