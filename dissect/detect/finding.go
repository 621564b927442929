package detect

import (
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// MaxEvidence is how many evidence frames a finding keeps.
const MaxEvidence = 8

// Finding is one thing the detector reports. Findings are rare; each is a
// fresh value the emit callback may keep.
type Finding struct {
	Rule     Rule
	Severity Severity
	// Frame is the frame that triggered the finding (1-based, as tshark
	// counts); TimeNs its capture time in Unix nanoseconds.
	Frame  int64
	TimeNs int64
	// Server is the responder the finding is about (the endpoint mapper or
	// OXID resolver that advertised a binding, or the endpoint that failed);
	// Client the other side, when there is one.
	Server, Client netip.AddrPort
	// Iface is the interface concerned, when IfaceOK.
	Iface   dissect.SyntaxID
	IfaceOK bool
	// Binding is the binding concerned, when HasBinding; Source says how it
	// was learned.
	Binding    dissect.Binding
	HasBinding bool
	Source     event.Source
	// Detail is one readable sentence.
	Detail string

	evidence  [MaxEvidence]int64
	nEvidence uint8

	// Rule-specific details; exactly the one matching Rule is set (none
	// for the malformed rules and foreign-address).
	Fused  *FusedDetail
	Moved  *MovedDetail
	Stale  *StaleDetail
	Fault  *FaultDetail
	Reboot *RebootDetail
	// Anomaly is the dissector anomaly behind a malformed-* finding.
	Anomaly dissect.Anomaly
}

// Evidence returns the evidence frames: in increasing order, without
// duplicates, at most MaxEvidence (the earliest are kept).
func (f *Finding) Evidence() []int64 { return f.evidence[:f.nEvidence] }

// AddEvidence inserts frame n (ignored when n <= 0, already present, or the
// list is full of earlier frames).
func (f *Finding) AddEvidence(n int64) {
	if n <= 0 {
		return
	}
	k := int(f.nEvidence)
	i := 0
	for i < k && f.evidence[i] < n {
		i++
	}
	if i < k && f.evidence[i] == n {
		return
	}
	if k == MaxEvidence {
		if i == k {
			return
		}
		k-- // drop the latest to keep the earliest frames
	} else {
		f.nEvidence++
	}
	copy(f.evidence[i+1:k+1], f.evidence[i:k])
	f.evidence[i] = n
}

// FusedPart is one address found inside a fused network address.
type FusedPart struct {
	Addr netip.Addr
	// AnsweredFrom: the server answered from this address (it is the
	// responder's, or another address the server was seen answering from).
	AnsweredFrom bool
	// AdvertisedElsewhere: the server lists this address in another
	// binding (any interface), or is known to own it.
	AdvertisedElsewhere bool
}

// FusedDetail belongs to a fused-address finding.
type FusedDetail struct {
	// Parts are the addresses the fused text splits into; empty when the
	// split is ambiguous (Ambiguous) and the wire did not say.
	Parts     []FusedPart
	Ambiguous bool
	// FromTower: the binding came from an EPM IPv4 floor longer than 4
	// bytes rather than from a DCOM string binding.
	FromTower bool
}

// MovedDetail belongs to an endpoint-moved finding.
type MovedDetail struct {
	// Previous is the endpoint an earlier answer gave, first and last seen.
	Previous                      dissect.Binding
	PrevFirstFrame, PrevLastFrame int64
	PrevFirstTimeNs, PrevTimeNs   int64
}

// StaleDetail belongs to a stale-binding finding: the chain learned →
// (moved) → failure.
type StaleDetail struct {
	Cause StaleCause
	// LearnedFrame is where the binding was first learned, LearnedSources
	// how (every source it was seen from).
	LearnedFrame, LearnedTimeNs int64
	LearnedSources              SourceSet
	// Moved tells whether an endpoint-moved preceded the failure; then
	// MovedFrame is that answer's frame and MovedTo where the interface went.
	Moved                   bool
	MovedFrame, MovedTimeNs int64
	MovedTo                 dissect.Binding
	// FailureFrame is the frame that showed the binding stale (the finding's
	// Frame).
	FailureFrame int64
	// Status is the fault or reject status (CauseFault, CauseReject), the
	// bind_nak reason (CauseBindNak) or the old boot time (CauseOldBoot).
	Status uint32
}

// FaultDetail belongs to a fault finding.
type FaultDetail struct {
	PType dissect.PType
	// Status is the fault or reject status, or the bind_nak reject reason.
	Status uint32
	// StatusName is the symbolic name ("" when unknown).
	StatusName string
	// Count is how many faults this server and interface have produced so
	// far, this one included (0 when the counter table was full).
	Count uint64
}

// RebootDetail belongs to a server-reboot finding.
type RebootDetail struct {
	OldBoot, NewBoot uint32
	// OldBootFrame is the last frame that carried the old boot time.
	OldBootFrame int64
}

// SourceSet is a set of binding sources.
type SourceSet uint8

// Has reports whether s contains src.
func (s SourceSet) Has(src event.Source) bool { return s&(1<<src) != 0 }

func (s *SourceSet) add(src event.Source) {
	if src < 8 {
		*s |= 1 << src
	}
}

// String lists the sources, e.g. "epm,traffic".
func (s SourceSet) String() string {
	out := ""
	for src := event.SourceEPM; src <= event.SourceTraffic; src++ {
		if s.Has(src) {
			if out != "" {
				out += ","
			}
			out += src.String()
		}
	}
	return out
}
