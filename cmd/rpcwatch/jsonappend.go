package main

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// Hand-written JSON for the objects printed per event (binding events and
// findings): encoding/json reflects over a struct and builds a string for
// every field, which made it a third of `rpcwatch read --json`'s time on an
// EPM-heavy capture. The appenders below write the same bytes into a reused
// buffer (binding and finding lines allocate nothing: TestBindingJSONNoAllocs,
// TestFindingLineNoAllocs); jsonappend_test.go and jsonfinding_test.go check
// them against encoding/json (with SetEscapeHTML(false), as the renderer
// uses it) on every byte value, on fuzzed strings, on every binding event
// and finding of the captures and on random findings.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped exactly as
// encoding/json does without HTML escaping: '"' and '\\' backslashed;
// newline, carriage return, tab, backspace and form feed as \n \r \t \b
// \f; the other control characters below 0x20 as \u00XX; invalid UTF-8 as
// \ufffd; U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	b = appendJSONStringBody(b, s)
	return append(b, '"')
}

// appendJSONStringBody appends s escaped as appendJSONString does, without
// the quotes.
func appendJSONStringBody[S string | []byte](b []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) && plain8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// plain8 reports whether none of the 8 bytes in x needs escaping or UTF-8
// decoding: each is ASCII, at least 0x20, and neither '"' nor '\\'. With
// every byte ASCII, x-0x20*ones borrows only below the first byte under
// 0x20 and sets that byte's high bit, and y-ones does the same for the
// first zero byte of y (a byte of x equal to the quote or the backslash),
// so the test is exact for the word.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ ones*'"'
	k := x ^ ones*'\\'
	return (x|(x-ones*0x20)&^x|(q-ones)&^q|(k-ones)&^k)&highs == 0
}

func decodeRune[S string | []byte](s S) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	return utf8.RuneError, 1
}

// appendJSONKey appends ,"key": (without the comma for the first field).
func appendJSONKey(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// jsonClock formats capture times for JSON lines. The date is formatted
// by package time once per day (captures are in time order, and sparse ones
// move to another second at nearly every line); the time of day and the
// nanoseconds are written from integer arithmetic (Unix time has no leap
// seconds, and neither has package time).
type jsonClock struct {
	day    int64 // Unix day of prefix; valid when n > 0
	prefix [32]byte
	n      int
}

// appendTime appends ns as the quoted RFC 3339 UTC time with nanoseconds
// that jsonTime returns. It does not allocate when b has room.
func (c *jsonClock) appendTime(b []byte, ns int64) []byte {
	if ns < 0 { // before 1970: rare enough for the general path
		b = append(b, '"')
		b = time.Unix(0, ns).UTC().AppendFormat(b, jsonTimeLayout)
		return append(b, '"')
	}
	sec, frac := ns/1e9, ns%1e9
	day, sod := sec/86400, sec%86400
	if c.n == 0 || day != c.day {
		p := time.Unix(day*86400, 0).UTC().AppendFormat(c.prefix[:0], "2006-01-02T")
		c.day, c.n = day, len(p)
	}
	b = append(b, '"')
	b = append(b, c.prefix[:c.n]...)
	// hh:mm:ss.nnnnnnnnnZ"
	d := [20]byte{2: ':', 5: ':', 8: '.', 18: 'Z', 19: '"'}
	h, m, s := sod/3600, sod/60%60, sod%60
	d[0], d[1] = byte('0'+h/10), byte('0'+h%10)
	d[3], d[4] = byte('0'+m/10), byte('0'+m%10)
	d[6], d[7] = byte('0'+s/10), byte('0'+s%10)
	for i := 17; i >= 9; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}

// appendJSONAddr appends the address as a JSON string ("" when invalid).
// Addresses print only digits, hex, dots, colons and a zone; the zone is
// escaped like any string.
func appendJSONAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, '"', '"')
	}
	if a.Zone() != "" {
		var tmp [64]byte
		return appendJSONString(b, a.AppendTo(tmp[:0]))
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

// jsonObj writes the fields of one object in order, with encoding/json's
// omitempty rules applied by the caller's choice of method.
type jsonObj struct {
	b     []byte
	first bool
}

func newJSONObj(b []byte) jsonObj { return jsonObj{b: append(b, '{'), first: true} }

func (o *jsonObj) key(k string) {
	o.b = appendJSONKey(o.b, k, o.first)
	o.first = false
}

func (o *jsonObj) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

func (o *jsonObj) strOmit(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *jsonObj) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObj) intOmit(k string, v int64) {
	if v != 0 {
		o.int(k, v)
	}
}

func (o *jsonObj) uint(k string, v uint64) {
	o.key(k)
	o.b = strconv.AppendUint(o.b, v, 10)
}

func (o *jsonObj) uintOmit(k string, v uint64) {
	if v != 0 {
		o.uint(k, v)
	}
}

func (o *jsonObj) boolean(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *jsonObj) boolOmit(k string, v bool) {
	if v {
		o.boolean(k, v)
	}
}

func (o *jsonObj) end() []byte { return append(o.b, '}', '\n') }

// keyOmit starts field k whose value the caller appends next, quoted, and
// returns the mark that dropEmpty takes.
func (o *jsonObj) keyOmit(k string) jsonMark {
	m := jsonMark{n: len(o.b), first: o.first}
	o.key(k)
	m.v = len(o.b)
	return m
}

// jsonMark is where a field began (n) and its value (v).
type jsonMark struct {
	n, v  int
	first bool
}

// dropEmpty takes the field begun at m back out when its value is "", as
// omitempty leaves out an empty string.
func (o *jsonObj) dropEmpty(m jsonMark) {
	if len(o.b) == m.v+2 {
		o.b, o.first = o.b[:m.n], m.first
	}
}

// appendFindingLine writes the line appendFinding writes for
// findingObject(file, f), straight from f: no jsonFinding, no strings built
// per field. It does not allocate when b has room, except for the names of
// bind_nak reasons and anomaly kinds rpcwatch does not know (their String
// methods build them). jsonappend_test.go compares it with encoding/json's
// rendering of findingObject on every finding of the captures and on random
// findings that reach every field.
func (c *jsonClock) appendFindingLine(b []byte, file string, f *detect.Finding) []byte {
	o := newJSONObj(b)
	o.key("kind")
	o.b = append(o.b, `"finding"`...)
	o.strOmit("file", file)
	o.str("rule", f.Rule.String())
	o.str("severity", f.Severity.String())
	o.int("frame", f.Frame)
	o.key("frames")
	o.b = append(o.b, '[') // Evidence is never nil: findingObject keeps it
	for i, v := range f.Evidence() {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = strconv.AppendInt(o.b, v, 10)
	}
	o.b = append(o.b, ']')
	o.key("time")
	o.b = c.appendTime(o.b, f.TimeNs)
	o.key("server")
	o.b = appendJSONAddr(o.b, f.Server.Addr())
	o.uint("server_port", uint64(f.Server.Port()))
	if a := f.Client.Addr(); a.IsValid() {
		o.key("client")
		o.b = appendJSONAddr(o.b, a)
	}
	if f.IfaceOK {
		o.key("interface")
		o.b = append(o.b, '"')
		o.b = f.Iface.UUID.AppendTo(o.b)
		o.b = append(o.b, '"')
		m := o.keyOmit("interface_name")
		o.b = append(o.b, '"') // names, UUIDs and "-" need no escaping (TestInterfaceNamesPlain)
		o.b = appendIfaceName(o.b, f.Iface, true)
		o.b = append(o.b, '"')
		o.dropEmpty(m)
		o.key("version")
		o.b = append(o.b, '"')
		o.b = appendVersion(o.b, f.Iface)
		o.b = append(o.b, '"')
	}
	if f.HasBinding {
		o.key("binding")
		o.b = appendJSONBinding(o.b, &f.Binding)
		o.strOmit("source", f.Source.String())
	}
	o.str("detail", f.Detail)
	switch {
	case f.Fused != nil:
		if parts := f.Fused.Parts; len(parts) > 0 {
			o.key("parts")
			o.b = append(o.b, '[')
			for i := range parts {
				if i > 0 {
					o.b = append(o.b, ',')
				}
				o.b = append(o.b, `{"address":`...)
				o.b = appendJSONAddrString(o.b, parts[i].Addr)
				o.b = append(o.b, `,"answered_from":`...)
				o.b = strconv.AppendBool(o.b, parts[i].AnsweredFrom)
				o.b = append(o.b, `,"advertised_elsewhere":`...)
				o.b = strconv.AppendBool(o.b, parts[i].AdvertisedElsewhere)
				o.b = append(o.b, '}')
			}
			o.b = append(o.b, ']')
		}
		o.boolOmit("ambiguous", f.Fused.Ambiguous)
		o.boolOmit("from_tower", f.Fused.FromTower)
	case f.Moved != nil:
		m := f.Moved
		o.key("previous")
		o.b = appendJSONBinding(o.b, &m.Previous)
		o.intOmit("previous_first_frame", m.PrevFirstFrame)
		o.intOmit("previous_last_frame", m.PrevLastFrame)
	case f.Stale != nil:
		s := f.Stale
		o.strOmit("cause", s.Cause.String())
		o.intOmit("learned_frame", s.LearnedFrame)
		m := o.keyOmit("learned_sources")
		o.b = append(o.b, '"') // source names need no escaping (TestNamesPlain)
		o.b = appendSourceSet(o.b, s.LearnedSources)
		o.b = append(o.b, '"')
		o.dropEmpty(m)
		if s.Moved {
			o.intOmit("moved_frame", s.MovedFrame)
			o.key("moved_to")
			o.b = appendJSONBinding(o.b, &s.MovedTo)
		}
		o.intOmit("failure_frame", s.FailureFrame)
		switch s.Cause {
		case detect.CauseFault, detect.CauseReject:
			o.key("status")
			o.b = appendJSONHex32(o.b, s.Status)
			o.strOmit("status_name", dissect.StatusName(s.Status))
		case detect.CauseBindNak:
			o.key("status")
			o.b = append(o.b, '"')
			o.b = strconv.AppendUint(o.b, uint64(s.Status), 10)
			o.b = append(o.b, '"')
			o.strOmit("status_name", dissect.RejectReason(s.Status).String())
		case detect.CauseOldBoot:
			o.uintOmit("old_boot", uint64(s.Status))
		}
	case f.Fault != nil:
		o.strOmit("pdu", f.Fault.PType.String())
		o.key("status")
		o.b = appendJSONHex32(o.b, f.Fault.Status)
		o.strOmit("status_name", f.Fault.StatusName)
		o.uintOmit("count", f.Fault.Count)
	case f.Reboot != nil:
		o.uintOmit("old_boot", uint64(f.Reboot.OldBoot))
		o.uintOmit("new_boot", uint64(f.Reboot.NewBoot))
		o.intOmit("old_boot_frame", f.Reboot.OldBootFrame)
	}
	if f.Rule == detect.RuleMalformedTower || f.Rule == detect.RuleMalformedStringBinding {
		o.strOmit("anomaly", f.Anomaly.Kind.String())
		o.int("anomaly_offset", int64(f.Anomaly.Off))
	}
	return o.end()
}

// appendJSONBinding appends the string-binding form of bd
// (dissect.Binding.AppendTo) as a JSON string. Escaping the address and the
// endpoint on their own gives the same bytes as escaping the whole text: the
// pieces between them are ASCII, which no UTF-8 sequence continues into.
func appendJSONBinding(b []byte, bd *dissect.Binding) []byte {
	b = append(b, '"')
	b = append(b, bd.Protseq.String()...) // plain (TestNamesPlain)
	b = append(b, ':')
	b = appendJSONStringBody(b, bd.Addr.Bytes())
	if bd.Endpoint.Len() > 0 {
		b = append(b, '[')
		b = appendJSONStringBody(b, bd.Endpoint.Bytes())
		b = append(b, ']')
	}
	return append(b, '"')
}

// appendJSONAddrString appends a.String() as a JSON string ("invalid IP"
// for the zero Addr, where AppendTo writes nothing).
func appendJSONAddrString(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, `"invalid IP"`...)
	}
	return appendJSONAddr(b, a)
}

// appendJSONHex32 appends hex32(v) as a JSON string.
func appendJSONHex32(b []byte, v uint32) []byte {
	b = append(b, '"')
	b = dissect.AppendHex32(b, v)
	return append(b, '"')
}

// appendSourceSet appends s.String() ("epm,traffic"), unquoted.
func appendSourceSet(b []byte, s detect.SourceSet) []byte {
	sep := false
	for src := event.SourceEPM; src <= event.SourceTraffic; src++ {
		if s.Has(src) {
			if sep {
				b = append(b, ',')
			}
			b = append(b, src.String()...)
			sep = true
		}
	}
	return b
}

// appendFinding writes f as encoding/json writes a jsonFinding (same
// fields, order and omitempty rules; jsonappend_test.go compares them).
func appendFinding(b []byte, f *jsonFinding) []byte {
	o := newJSONObj(b)
	o.str("kind", f.Kind)
	o.strOmit("file", f.File)
	o.str("rule", f.Rule)
	o.str("severity", f.Severity)
	o.int("frame", f.Frame)
	o.key("frames")
	if f.Frames == nil {
		o.b = append(o.b, "null"...)
	} else {
		o.b = append(o.b, '[')
		for i, v := range f.Frames {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = strconv.AppendInt(o.b, v, 10)
		}
		o.b = append(o.b, ']')
	}
	o.str("time", f.Time)
	o.str("server", f.Server)
	o.uint("server_port", uint64(f.ServerPort))
	o.strOmit("client", f.Client)
	o.strOmit("interface", f.Interface)
	o.strOmit("interface_name", f.InterfaceName)
	o.strOmit("version", f.Version)
	o.strOmit("binding", f.Binding)
	o.strOmit("source", f.Source)
	o.str("detail", f.Detail)
	if len(f.Parts) > 0 {
		o.key("parts")
		o.b = append(o.b, '[')
		for i := range f.Parts {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			p := newJSONObj(o.b)
			p.str("address", f.Parts[i].Address)
			p.boolean("answered_from", f.Parts[i].AnsweredFrom)
			p.boolean("advertised_elsewhere", f.Parts[i].AdvertisedElsewhere)
			o.b = append(p.b, '}')
		}
		o.b = append(o.b, ']')
	}
	o.boolOmit("ambiguous", f.Ambiguous)
	o.boolOmit("from_tower", f.FromTower)
	o.strOmit("previous", f.Previous)
	o.intOmit("previous_first_frame", f.PreviousFirstFrame)
	o.intOmit("previous_last_frame", f.PreviousLastFrame)
	o.strOmit("cause", f.Cause)
	o.intOmit("learned_frame", f.LearnedFrame)
	o.strOmit("learned_sources", f.LearnedSources)
	o.intOmit("moved_frame", f.MovedFrame)
	o.strOmit("moved_to", f.MovedTo)
	o.intOmit("failure_frame", f.FailureFrame)
	o.strOmit("pdu", f.PDU)
	o.strOmit("status", f.Status)
	o.strOmit("status_name", f.StatusName)
	o.uintOmit("count", f.Count)
	o.uintOmit("old_boot", uint64(f.OldBoot))
	o.uintOmit("new_boot", uint64(f.NewBoot))
	o.intOmit("old_boot_frame", f.OldBootFrame)
	o.strOmit("anomaly", f.Anomaly)
	if f.AnomalyOffset != nil {
		o.int("anomaly_offset", int64(*f.AnomalyOffset))
	}
	return o.end()
}
