package main

import (
	"bufio"
	"encoding/json"
	"net/netip"
	"strconv"
	"time"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// jsonRenderer writes one JSON object per line; every object has a "kind":
// binding, finding, server (inventory) or stats (last for each input). The
// schema is documented in README.md.
type jsonRenderer struct {
	w    *bufio.Writer
	enc  *json.Encoder
	file string // input name, set on every object when reading several files
	// buf and clock serve the objects written by hand (jsonappend.go).
	buf   []byte
	clock jsonClock
}

func newJSONRenderer(w *bufio.Writer) *jsonRenderer {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonRenderer{w: w, enc: enc}
}

const jsonTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func jsonTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format(jsonTimeLayout)
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// jsonBinding is the binding object's schema; binding writes it by hand
// (same fields, same order) and jsonappend_test.go checks the two agree.
type jsonBinding struct {
	Kind          string `json:"kind"`
	File          string `json:"file,omitempty"`
	Frame         int64  `json:"frame"`
	Time          string `json:"time"`
	Server        string `json:"server"`
	ServerPort    uint16 `json:"server_port"`
	Client        string `json:"client,omitempty"`
	Interface     string `json:"interface"`
	InterfaceName string `json:"interface_name"`
	Version       string `json:"version"`
	Protseq       string `json:"protseq"`
	Address       string `json:"address"`
	Endpoint      string `json:"endpoint"`
	Binding       string `json:"binding"`
	Source        string `json:"source"`
}

// bindingObject fills the reflective form of a binding event (tests).
func (j *jsonRenderer) bindingObject(e *event.Event) jsonBinding {
	b := e.Binding
	return jsonBinding{
		Kind:          "binding",
		File:          j.file,
		Frame:         e.Frame,
		Time:          jsonTime(e.TimeNs),
		Server:        addrText(e.Server.Addr()),
		ServerPort:    e.Server.Port(),
		Client:        addrText(e.Client.Addr()),
		Interface:     e.BindingIface.UUID.String(),
		InterfaceName: ifaceName(e.BindingIface, true),
		Version:       string(appendVersion(nil, e.BindingIface)),
		Protseq:       b.Protseq.String(),
		Address:       b.Addr.String(),
		Endpoint:      b.Endpoint.String(),
		Binding:       b.String(),
		Source:        e.Source.String(),
	}
}

// binding writes one binding event line without allocating.
func (j *jsonRenderer) binding(e *event.Event) {
	j.buf = j.appendBinding(j.buf[:0], e)
	j.w.Write(j.buf)
}

func (j *jsonRenderer) appendBinding(b []byte, e *event.Event) []byte {
	bd := &e.Binding
	b = append(b, `{"kind":"binding"`...)
	if j.file != "" {
		b = appendJSONKey(b, "file", false)
		b = appendJSONString(b, j.file)
	}
	b = appendJSONKey(b, "frame", false)
	b = strconv.AppendInt(b, e.Frame, 10)
	b = appendJSONKey(b, "time", false)
	b = j.clock.appendTime(b, e.TimeNs)
	b = appendJSONKey(b, "server", false)
	b = appendJSONAddr(b, e.Server.Addr())
	b = appendJSONKey(b, "server_port", false)
	b = strconv.AppendUint(b, uint64(e.Server.Port()), 10)
	if c := e.Client.Addr(); c.IsValid() {
		b = appendJSONKey(b, "client", false)
		b = appendJSONAddr(b, c)
	}
	b = appendJSONKey(b, "interface", false)
	b = append(b, '"')
	b = e.BindingIface.UUID.AppendTo(b)
	b = append(b, '"')
	b = appendJSONKey(b, "interface_name", false)
	b = append(b, '"') // names, UUIDs and "-" need no escaping (TestInterfaceNamesPlain)
	b = appendIfaceName(b, e.BindingIface, true)
	b = append(b, '"')
	b = appendJSONKey(b, "version", false)
	b = append(b, '"')
	b = appendVersion(b, e.BindingIface)
	b = append(b, '"')
	b = appendJSONKey(b, "protseq", false)
	b = append(b, '"') // protseq and source names are plain (TestNamesPlain)
	b = append(b, bd.Protseq.String()...)
	b = append(b, '"')
	// The binding text is protseq:address[endpoint]; the address and the
	// endpoint are escaped once and copied (see appendJSONBinding for why
	// escaping the pieces equals escaping the whole).
	b = appendJSONKey(b, "address", false)
	a0 := len(b)
	b = appendJSONString(b, bd.Addr.Bytes())
	a1 := len(b)
	b = appendJSONKey(b, "endpoint", false)
	e0 := len(b)
	b = appendJSONString(b, bd.Endpoint.Bytes())
	e1 := len(b)
	b = appendJSONKey(b, "binding", false)
	b = append(b, '"')
	b = append(b, bd.Protseq.String()...)
	b = append(b, ':')
	b = append(b, b[a0+1:a1-1]...)
	if bd.Endpoint.Len() > 0 {
		b = append(b, '[')
		b = append(b, b[e0+1:e1-1]...)
		b = append(b, ']')
	}
	b = append(b, '"')
	b = appendJSONKey(b, "source", false)
	b = append(b, '"')
	b = append(b, e.Source.String()...)
	b = append(b, '"')
	return append(b, '}', '\n')
}

type jsonFinding struct {
	Kind          string  `json:"kind"`
	File          string  `json:"file,omitempty"`
	Rule          string  `json:"rule"`
	Severity      string  `json:"severity"`
	Frame         int64   `json:"frame"`
	Frames        []int64 `json:"frames"`
	Time          string  `json:"time"`
	Server        string  `json:"server"`
	ServerPort    uint16  `json:"server_port"`
	Client        string  `json:"client,omitempty"`
	Interface     string  `json:"interface,omitempty"`
	InterfaceName string  `json:"interface_name,omitempty"`
	Version       string  `json:"version,omitempty"`
	Binding       string  `json:"binding,omitempty"`
	Source        string  `json:"source,omitempty"`
	Detail        string  `json:"detail"`

	// fused-address
	Parts     []jsonPart `json:"parts,omitempty"`
	Ambiguous bool       `json:"ambiguous,omitempty"`
	FromTower bool       `json:"from_tower,omitempty"`
	// endpoint-moved
	Previous           string `json:"previous,omitempty"`
	PreviousFirstFrame int64  `json:"previous_first_frame,omitempty"`
	PreviousLastFrame  int64  `json:"previous_last_frame,omitempty"`
	// stale-binding
	Cause          string `json:"cause,omitempty"`
	LearnedFrame   int64  `json:"learned_frame,omitempty"`
	LearnedSources string `json:"learned_sources,omitempty"`
	MovedFrame     int64  `json:"moved_frame,omitempty"`
	MovedTo        string `json:"moved_to,omitempty"`
	FailureFrame   int64  `json:"failure_frame,omitempty"`
	// fault (and stale-binding causes that carry a status)
	PDU        string `json:"pdu,omitempty"`
	Status     string `json:"status,omitempty"`
	StatusName string `json:"status_name,omitempty"`
	Count      uint64 `json:"count,omitempty"`
	// server-reboot
	OldBoot      uint32 `json:"old_boot,omitempty"`
	NewBoot      uint32 `json:"new_boot,omitempty"`
	OldBootFrame int64  `json:"old_boot_frame,omitempty"`
	// malformed-tower, malformed-string-binding
	Anomaly       string `json:"anomaly,omitempty"`
	AnomalyOffset *int   `json:"anomaly_offset,omitempty"`
}

type jsonPart struct {
	Address             string `json:"address"`
	AnsweredFrom        bool   `json:"answered_from"`
	AdvertisedElsewhere bool   `json:"advertised_elsewhere"`
}

func hex32(v uint32) string {
	return string(dissect.AppendHex32(nil, v))
}

// finding writes one finding line (appendFindingLine: the bytes
// encoding/json writes for findingObject) without allocating.
func (j *jsonRenderer) finding(f *detect.Finding) {
	j.buf = j.clock.appendFindingLine(j.buf[:0], j.file, f)
	j.w.Write(j.buf)
}

// findingObject maps a finding to its JSON schema, the reference
// appendFindingLine is tested against (tests).
func findingObject(file string, f *detect.Finding) jsonFinding {
	o := jsonFinding{
		Kind:       "finding",
		File:       file,
		Rule:       f.Rule.String(),
		Severity:   f.Severity.String(),
		Frame:      f.Frame,
		Frames:     f.Evidence(),
		Time:       jsonTime(f.TimeNs),
		Server:     addrText(f.Server.Addr()),
		ServerPort: f.Server.Port(),
		Client:     addrText(f.Client.Addr()),
		Detail:     f.Detail,
	}
	if o.Frames == nil {
		o.Frames = []int64{f.Frame}
	}
	if f.IfaceOK {
		o.Interface = f.Iface.UUID.String()
		o.InterfaceName = ifaceName(f.Iface, true)
		o.Version = string(appendVersion(nil, f.Iface))
	}
	if f.HasBinding {
		o.Binding = f.Binding.String()
		o.Source = f.Source.String()
	}
	switch {
	case f.Fused != nil:
		for _, p := range f.Fused.Parts {
			o.Parts = append(o.Parts, jsonPart{p.Addr.String(), p.AnsweredFrom, p.AdvertisedElsewhere})
		}
		o.Ambiguous, o.FromTower = f.Fused.Ambiguous, f.Fused.FromTower
	case f.Moved != nil:
		o.Previous = f.Moved.Previous.String()
		o.PreviousFirstFrame, o.PreviousLastFrame = f.Moved.PrevFirstFrame, f.Moved.PrevLastFrame
	case f.Stale != nil:
		s := f.Stale
		o.Cause = s.Cause.String()
		o.LearnedFrame, o.LearnedSources = s.LearnedFrame, s.LearnedSources.String()
		if s.Moved {
			o.MovedFrame, o.MovedTo = s.MovedFrame, s.MovedTo.String()
		}
		o.FailureFrame = s.FailureFrame
		switch s.Cause {
		case detect.CauseFault, detect.CauseReject:
			o.Status = hex32(s.Status)
			o.StatusName = dissect.StatusName(s.Status)
		case detect.CauseBindNak:
			o.Status = strconv.FormatUint(uint64(s.Status), 10)
			o.StatusName = dissect.RejectReason(s.Status).String()
		case detect.CauseOldBoot:
			o.OldBoot = s.Status
		}
	case f.Fault != nil:
		o.PDU = f.Fault.PType.String()
		o.Status = hex32(f.Fault.Status)
		o.StatusName = f.Fault.StatusName
		o.Count = f.Fault.Count
	case f.Reboot != nil:
		o.OldBoot, o.NewBoot, o.OldBootFrame = f.Reboot.OldBoot, f.Reboot.NewBoot, f.Reboot.OldBootFrame
	}
	if f.Rule == detect.RuleMalformedTower || f.Rule == detect.RuleMalformedStringBinding {
		o.Anomaly = f.Anomaly.Kind.String()
		off := f.Anomaly.Off
		o.AnomalyOffset = &off
	}
	return o
}

type jsonServer struct {
	Kind       string          `json:"kind"`
	File       string          `json:"file,omitempty"`
	Server     string          `json:"server"`
	Addresses  []string        `json:"addresses"`
	FirstFrame int64           `json:"first_frame"`
	LastFrame  int64           `json:"last_frame"`
	Interfaces []jsonInterface `json:"interfaces"`
}

type jsonInterface struct {
	Interface     string            `json:"interface"`
	InterfaceName string            `json:"interface_name"`
	Version       string            `json:"version"`
	Faults        uint64            `json:"faults"`
	Bindings      []jsonBindingInfo `json:"bindings"`
}

type jsonBindingInfo struct {
	Binding    string `json:"binding"`
	Protseq    string `json:"protseq"`
	Address    string `json:"address"`
	Endpoint   string `json:"endpoint"`
	Sources    string `json:"sources"`
	FirstFrame int64  `json:"first_frame"`
	LastFrame  int64  `json:"last_frame"`
	FirstTime  string `json:"first_time"`
	LastTime   string `json:"last_time"`
	Moved      bool   `json:"moved"`
	MovedFrame int64  `json:"moved_frame,omitempty"`
	Fused      bool   `json:"fused"`
	Foreign    bool   `json:"foreign"`
}

func (j *jsonRenderer) inventory(servers []detect.Server) {
	for i := range servers {
		s := &servers[i]
		o := jsonServer{Kind: "server", File: j.file, Server: s.Addr.String(), Addresses: []string{},
			FirstFrame: s.FirstFrame, LastFrame: s.LastFrame, Interfaces: []jsonInterface{}}
		for _, a := range s.Addrs {
			o.Addresses = append(o.Addresses, a.String())
		}
		for k := range s.Interfaces {
			in := &s.Interfaces[k]
			ji := jsonInterface{Interface: in.ID.UUID.String(), InterfaceName: ifaceName(in.ID, true),
				Version: string(appendVersion(nil, in.ID)), Faults: in.Faults, Bindings: []jsonBindingInfo{}}
			for m := range in.Bindings {
				b := &in.Bindings[m]
				ji.Bindings = append(ji.Bindings, jsonBindingInfo{
					Binding: b.Binding.String(), Protseq: b.Binding.Protseq.String(),
					Address: b.Binding.Addr.String(), Endpoint: b.Binding.Endpoint.String(),
					Sources: b.Sources.String(), FirstFrame: b.FirstFrame, LastFrame: b.LastFrame,
					FirstTime: jsonTime(b.FirstTimeNs), LastTime: jsonTime(b.LastTimeNs),
					Moved: b.Moved, MovedFrame: b.MovedFrame, Fused: b.Fused, Foreign: b.Foreign,
				})
			}
			o.Interfaces = append(o.Interfaces, ji)
		}
		j.enc.Encode(o)
	}
}

type jsonStats struct {
	Kind           string            `json:"kind"`
	File           string            `json:"file,omitempty"`
	Input          string            `json:"input"`
	Packets        uint64            `json:"packets"`
	Bytes          uint64            `json:"bytes"`
	First          string            `json:"first,omitempty"`
	Last           string            `json:"last,omitempty"`
	DurationNs     int64             `json:"duration_ns"`
	ElapsedNs      int64             `json:"elapsed_ns"`
	PDUs           uint64            `json:"pdus"`
	PDUTypes       map[string]uint64 `json:"pdu_types"`
	Bindings       uint64            `json:"bindings"`
	BindingsHeld   int               `json:"bindings_held"`
	Servers        int               `json:"servers"`
	Findings       uint64            `json:"findings"`
	FindingsByRule map[string]uint64 `json:"findings_by_rule"`
	Anomalies      uint64            `json:"anomalies"`
	DecodeErrors   uint64            `json:"decode_errors"`
	Truncated      uint64            `json:"truncated"`
	Dropped        uint64            `json:"dropped"`
	Evicted        uint64            `json:"evicted"`
	Resyncs        uint64            `json:"resyncs"`
	Gaps           uint64            `json:"gaps"`
	StaleRepeats   uint64            `json:"stale_repeats"`

	KernelReceived  *uint64 `json:"kernel_received,omitempty"`
	KernelDropped   *uint64 `json:"kernel_dropped,omitempty"`
	KernelIfDropped *uint64 `json:"kernel_if_dropped,omitempty"`

	EvidenceWritten *uint64 `json:"evidence_written,omitempty"`
	EvidenceSkipped *uint64 `json:"evidence_skipped,omitempty"`
	EvidenceLost    *uint64 `json:"evidence_lost,omitempty"`
}

func (j *jsonRenderer) summary(s *summary) {
	c := &s.cap
	o := jsonStats{
		Kind: "stats", File: j.file, Input: s.name,
		Packets: c.Packets, Bytes: c.Bytes,
		DurationNs: s.lastNs - s.firstNs, ElapsedNs: int64(s.elapsed),
		PDUs: c.PDUs, PDUTypes: map[string]uint64{},
		Bindings: c.Bindings, BindingsHeld: s.det.Bindings, Servers: s.det.Servers,
		Findings: s.det.Findings, FindingsByRule: map[string]uint64{},
		Anomalies: c.Anomalies, DecodeErrors: c.DecodeErrors, Truncated: c.Truncated,
		Dropped: s.dropped(), Evicted: s.evicted(), Resyncs: c.Streams.Resyncs, Gaps: c.Streams.Gaps,
		StaleRepeats: s.det.StaleRepeats,
	}
	if c.Packets > 0 {
		o.First, o.Last = jsonTime(s.firstNs), jsonTime(s.lastNs)
	}
	for i, n := range c.PDUTypes {
		if n > 0 {
			o.PDUTypes[dissect.PType(i).String()] = n
		}
	}
	for i, n := range s.det.ByRule {
		if n > 0 {
			o.FindingsByRule[detect.Rule(i).String()] = n
		}
	}
	if s.kernel != nil {
		k := *s.kernel
		o.KernelReceived, o.KernelDropped, o.KernelIfDropped = &k.Received, &k.Dropped, &k.IfDropped
	}
	if s.writing {
		o.EvidenceWritten, o.EvidenceSkipped, o.EvidenceLost = &s.evidenceWritten, &s.evidenceSkipped, &s.evidenceLost
	}
	j.enc.Encode(o)
}

func (j *jsonRenderer) flush() error { return j.w.Flush() }
