package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// textRenderer writes aligned lines:
//
//	TIME(UTC)        SEVERITY RULE                     SERVER                 INTERFACE        BINDING                                       FRAMES  DETAIL
//	06:40:07.000000  high     fused-address            157.61.239.61:135      IRemUnknown      ncadg_ip_udp:157.61.239.61157.61.239.5[1039]  9       from 157.61.239.61 glues ...
//
// With -v, binding lines use the same columns with "binding" as severity and
// the source (epm, oxid, activation, traffic) as rule.
type textRenderer struct {
	w   *bufio.Writer
	buf []byte
}

const textRow = "%-15s  %-8s %-24s %-22s %-16s %-45s %-10s %s\n"

func textTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("15:04:05.000000")
}

func (t *textRenderer) binding(e *event.Event) {
	t.buf = e.Binding.AppendTo(t.buf[:0])
	line := fmt.Sprintf(textRow, textTime(e.TimeNs), "binding", e.Source, e.Server,
		ifaceName(e.BindingIface, true), t.buf, strconv.FormatInt(e.Frame, 10), "")
	t.w.WriteString(strings.TrimRight(line, " \n"))
	t.w.WriteByte('\n')
}

func frameList(f *detect.Finding) string {
	ev := f.Evidence()
	if len(ev) == 0 {
		return strconv.FormatInt(f.Frame, 10)
	}
	var b strings.Builder
	for i, n := range ev {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(n, 10))
	}
	return b.String()
}

func (t *textRenderer) finding(f *detect.Finding) {
	bind := "-"
	if f.HasBinding {
		bind = f.Binding.String()
	}
	fmt.Fprintf(t.w, textRow, textTime(f.TimeNs), f.Severity, f.Rule, addrPortText(f.Server),
		ifaceName(f.Iface, f.IfaceOK), bind, frameList(f), f.Detail)
}

func addrPortText(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return "-"
	}
	return ap.String()
}

func (t *textRenderer) inventory(servers []detect.Server) {
	fmt.Fprintf(t.w, "inventory: %d servers\n", len(servers))
	for i := range servers {
		s := &servers[i]
		fmt.Fprintf(t.w, "server %s", s.Addr)
		if len(s.Addrs) > 1 {
			fmt.Fprintf(t.w, " (addresses %s)", joinAddrs(s.Addrs))
		}
		fmt.Fprintf(t.w, "  frames %d-%d\n", s.FirstFrame, s.LastFrame)
		for j := range s.Interfaces {
			in := &s.Interfaces[j]
			name := in.Name
			if name == "" {
				name = "-"
			}
			t.buf = appendVersion(t.buf[:0], in.ID)
			fmt.Fprintf(t.w, "  %-16s %s v%s", name, in.ID.UUID, t.buf)
			if in.Faults > 0 {
				fmt.Fprintf(t.w, "  faults %d", in.Faults)
			}
			t.w.WriteByte('\n')
			for k := range in.Bindings {
				b := &in.Bindings[k]
				t.buf = b.Binding.AppendTo(t.buf[:0])
				fmt.Fprintf(t.w, "    %-45s %-18s frames %d-%d", t.buf, b.Sources, b.FirstFrame, b.LastFrame)
				if b.Moved {
					fmt.Fprintf(t.w, "  moved in %d", b.MovedFrame)
				}
				if b.Fused {
					t.w.WriteString("  fused")
				}
				if b.Foreign {
					t.w.WriteString("  foreign")
				}
				t.w.WriteByte('\n')
			}
		}
	}
}

func joinAddrs(as []netip.Addr) string {
	var b strings.Builder
	for i, a := range as {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	return b.String()
}

func (t *textRenderer) summary(s *summary) {
	c := &s.cap
	fmt.Fprintf(t.w, "-- %s\n", s.name)
	span := time.Duration(s.lastNs - s.firstNs)
	fmt.Fprintf(t.w, "   packets   %s (%s)", humanize.Comma(int64(c.Packets)), humanize.Bytes(c.Bytes))
	if c.Packets > 0 {
		fmt.Fprintf(t.w, " captured %s .. %s (%s)",
			time.Unix(0, s.firstNs).UTC().Format("2006-01-02 15:04:05"),
			time.Unix(0, s.lastNs).UTC().Format("15:04:05 MST"), span.Round(time.Millisecond))
	}
	t.w.WriteByte('\n')
	pps, bps := 0.0, 0.0
	if s.elapsed > 0 {
		pps = float64(c.Packets) / s.elapsed.Seconds()
		bps = float64(c.Bytes) / s.elapsed.Seconds()
	}
	fmt.Fprintf(t.w, "   analysed  in %s (%s packets/s, %s/s)\n", s.elapsed.Round(time.Millisecond),
		humanize.Comma(int64(pps)), humanize.Bytes(uint64(bps)))
	fmt.Fprintf(t.w, "   PDUs      %s%s\n", humanize.Comma(int64(c.PDUs)), pduTypes(c.PDUTypes[:]))
	fmt.Fprintf(t.w, "   bindings  %s events, %s held for %s servers\n", humanize.Comma(int64(c.Bindings)),
		humanize.Comma(int64(s.det.Bindings)), humanize.Comma(int64(s.det.Servers)))
	fmt.Fprintf(t.w, "   findings  %s%s\n", humanize.Comma(int64(s.det.Findings)), findingsByRule(&s.det))
	fmt.Fprintf(t.w, "   dropped   %s, evicted %s, resyncs %s, decode errors %s, anomalies %s\n",
		humanize.Comma(int64(s.dropped())), humanize.Comma(int64(s.evicted())),
		humanize.Comma(int64(c.Streams.Resyncs)), humanize.Comma(int64(c.DecodeErrors)), humanize.Comma(int64(c.Anomalies)))
	if s.kernel != nil {
		fmt.Fprintf(t.w, "   kernel    received %s, dropped %s, interface dropped %s\n",
			humanize.Comma(int64(s.kernel.Received)), humanize.Comma(int64(s.kernel.Dropped)), humanize.Comma(int64(s.kernel.IfDropped)))
	}
	if s.writing {
		fmt.Fprintf(t.w, "   evidence  %s packets written", humanize.Comma(int64(s.evidenceWritten)))
		if s.evidenceSkipped > 0 {
			fmt.Fprintf(t.w, ", %s skipped (link type differs from the file's first)", humanize.Comma(int64(s.evidenceSkipped)))
		}
		if s.evidenceLost > 0 {
			fmt.Fprintf(t.w, ", %s no longer in the ring", humanize.Comma(int64(s.evidenceLost)))
		}
		t.w.WriteByte('\n')
	}
}

// pduTypes renders " (request 10, response 9, ...)" for the non-zero types.
func pduTypes(by []uint64) string {
	var b strings.Builder
	for i, n := range by {
		if n == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(dissect.PType(i).String())
		b.WriteByte(' ')
		b.WriteString(humanize.Comma(int64(n)))
	}
	if b.Len() > 0 {
		b.WriteByte(')')
	}
	return b.String()
}

func findingsByRule(st *detect.Stats) string {
	var b strings.Builder
	for i, n := range st.ByRule {
		if n == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(detect.Rule(i).String())
		b.WriteByte(' ')
		b.WriteString(humanize.Comma(int64(n)))
	}
	if b.Len() > 0 {
		b.WriteByte(')')
	}
	return b.String()
}

func (t *textRenderer) flush() error { return t.w.Flush() }
