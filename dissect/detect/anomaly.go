package detect

import (
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// anomaly turns the dissector's structural anomalies in towers and string
// bindings into malformed-tower / malformed-string-binding findings. The two
// anomalies that describe a fused address (an IPv4 floor of 4n > 4 bytes; a
// string-binding address that splits into glued addresses) are left to the
// fused-address rule instead.
func (d *Detector) anomaly(e *event.Event) {
	a := e.Anomaly
	var rule Rule
	switch {
	case e.Where == event.InTower:
		rule = RuleMalformedTower
		if a.Kind == dissect.AnomTowerIPv4Length && a.A >= 8 && a.A%4 == 0 {
			if e.HasBinding {
				if r := d.bindingOf(e); r != nil {
					r.fusedTower = true
				}
			}
			return
		}
	case e.Where == event.InStringBinding:
		rule = RuleMalformedStringBinding
		if a.Kind == dissect.AnomDCOMInvalidNetworkAddress && e.HasBinding {
			// The binding event came first: its record caches the split.
			var n int
			if r := d.bindingOf(e); r != nil {
				n = r.fusedSplit()
			} else {
				var parts [dcom.MaxFusedParts]netip.Addr
				n = dcom.SplitFused(e.Binding.Addr.Bytes(), &parts)
			}
			if n >= 2 || n == dcom.FusedAmbiguous {
				return
			}
		}
	case e.Where == event.InDCOMStub && stringBindingAnomaly(a.Kind):
		rule = RuleMalformedStringBinding
	default:
		return
	}
	f := new(Finding)
	initFinding(f, rule, SeverityMedium, e)
	f.Anomaly = a
	f.Binding, f.HasBinding = e.Binding, e.HasBinding
	if e.HasBinding {
		f.Iface, f.IfaceOK, f.Source = e.BindingIface, true, e.Source
	}
	s := append(d.text[:0], a.Kind.String()...)
	s = append(s, " at offset "...)
	s = appendInt(s, int64(a.Off))
	s = append(s, " in a "...)
	s = append(s, e.Where.String()...)
	s = append(s, " from "...)
	s = appendAddrPort(s, e.Server)
	if e.HasBinding {
		s = append(s, " (binding "...)
		s = e.Binding.AppendTo(s)
		s = append(s, " for "...)
		s = appendIface(s, e.BindingIface)
		s = append(s, ')')
	}
	f.Detail = d.detail(s)
	d.report(f)
}

// stringBindingAnomaly: DCOM stub anomalies that describe the
// DUALSTRINGARRAY's structure (rather than OBJREF or activation blobs).
// AnomDCOMInvalidNetworkAddress is left out: the pipeline reports it again
// with its binding (InStringBinding), where a fused address can be told
// from a malformed one.
func stringBindingAnomaly(k dissect.AnomalyKind) bool {
	switch k {
	case dissect.AnomDCOMUnknownTowerID, dissect.AnomDCOMNumEntriesBeyondData, dissect.AnomDCOMSecurityOffsetRange,
		dissect.AnomDCOMSecurityOffsetMismatch, dissect.AnomDCOMStringBindingsUnterminated,
		dissect.AnomDCOMSecurityBindingsUnterminated, dissect.AnomDCOMOddLength, dissect.AnomDCOMTrailingEntries,
		dissect.AnomDCOMBadEndpoint, dissect.AnomDCOMBadUTF16, dissect.AnomDCOMTextTruncated:
		return true
	}
	return false
}
