package main

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// Hand-written JSON for the objects printed per event (binding events and
// findings): encoding/json reflects over a struct and builds a string for
// every field, which made it a third of `rpcwatch read --json`'s time on an
// EPM-heavy capture. The appenders below write the same bytes into a reused
// buffer (binding lines allocate nothing); jsonappend_test.go checks them
// against encoding/json (with SetEscapeHTML(false), as the renderer uses
// it) on every byte value, on fuzzed strings, on every binding event and
// finding of the captures and on random findings.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped exactly as
// encoding/json does without HTML escaping: '"' and '\\' backslashed;
// newline, carriage return, tab, backspace and form feed as \n \r \t \b
// \f; the other control characters below 0x20 as \u00XX; invalid UTF-8 as
// \ufffd; U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
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
	b = append(b, s[start:]...)
	return append(b, '"')
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

// jsonClock formats capture times for JSON lines. Packets arrive in time
// order, so the date and time of day are formatted once per second and the
// nanoseconds appended to them.
type jsonClock struct {
	sec    int64 // Unix second of prefix; valid when n > 0
	prefix [32]byte
	n      int
}

// appendTime appends ns as the quoted RFC 3339 UTC time with nanoseconds
// that jsonTime returns.
func (c *jsonClock) appendTime(b []byte, ns int64) []byte {
	if ns < 0 { // before 1970: rare enough for the general path
		b = append(b, '"')
		b = time.Unix(0, ns).UTC().AppendFormat(b, jsonTimeLayout)
		return append(b, '"')
	}
	sec, frac := ns/1e9, ns%1e9
	if c.n == 0 || sec != c.sec {
		p := time.Unix(sec, 0).UTC().AppendFormat(c.prefix[:0], "2006-01-02T15:04:05.")
		c.sec, c.n = sec, len(p)
	}
	b = append(b, '"')
	b = append(b, c.prefix[:c.n]...)
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, d[:]...)
	return append(b, 'Z', '"')
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
