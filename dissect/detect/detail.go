package detect

import (
	"net/netip"
	"strconv"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/dissect/names"
)

// A finding is allocated in one block with its rule's detail (and the
// backing array of FusedDetail.Parts), and its Detail sentence is appended
// into Detector.text and converted once: two allocations per finding
// instead of one per piece of text. Every piece is bounded (texts of
// dissect.MaxText bytes, addresses, numbers, names from fixed tables), so
// Detector.text stays a few KiB at most.
type (
	staleFinding struct {
		f Finding
		d StaleDetail
	}
	faultFinding struct {
		f Finding
		d FaultDetail
	}
	rebootFinding struct {
		f Finding
		d RebootDetail
	}
	movedFinding struct {
		f Finding
		d MovedDetail
	}
	fusedFinding struct {
		f     Finding
		d     FusedDetail
		parts [dcom.MaxFusedParts]FusedPart
	}
)

// initFinding fills a finding's common fields from an event.
func initFinding(f *Finding, rule Rule, sev Severity, e *event.Event) {
	f.Rule, f.Severity, f.Frame, f.TimeNs, f.Server, f.Client = rule, sev, e.Frame, e.TimeNs, e.Server, e.Client
	f.AddEvidence(e.FirstFrame)
	f.AddEvidence(e.Frame)
}

// detail returns the sentence built in s (which must extend d.text[:0]),
// keeping the grown buffer for the next finding.
func (d *Detector) detail(s []byte) string {
	d.text = s[:0]
	return string(s)
}

// appendIface appends an interface as "samr 12345778-…-0123456789ac v1.0"
// (the name only when known).
func appendIface(dst []byte, id dissect.SyntaxID) []byte {
	if n, ok := names.Interface(id.UUID); ok {
		dst = append(dst, n...)
		dst = append(dst, ' ')
	}
	dst = id.UUID.AppendTo(dst)
	dst = append(dst, " v"...)
	dst = strconv.AppendInt(dst, int64(id.Major), 10)
	dst = append(dst, '.')
	return strconv.AppendInt(dst, int64(id.Minor), 10)
}

// appendAddr appends a.String() (AppendTo writes nothing for the zero
// address, String "invalid IP").
func appendAddr(dst []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(dst, "invalid IP"...)
	}
	return a.AppendTo(dst)
}

// appendAddrPort appends p.String().
func appendAddrPort(dst []byte, p netip.AddrPort) []byte {
	if !p.Addr().IsValid() {
		return append(dst, "invalid AddrPort"...)
	}
	return p.AppendTo(dst)
}

func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
