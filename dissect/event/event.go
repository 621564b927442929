// Package event defines the values the capture pipeline emits and the
// detector consumes: bindings servers advertise, DCE/RPC PDUs with their
// interface, opnum and status, connection events (refused, reset, closed),
// ICMP unreachables and structural anomalies. Both capture and detect import
// it, so neither needs the other.
//
// # Allocation
//
// An [Event] is a plain value without pointers into packet buffers: every
// field is a value type (netip.AddrPort, dissect.UUID, dissect.Binding). The
// pipeline fills one reused Event per worker and passes a pointer that is
// valid only for the duration of the handler call; a handler that keeps an
// event copies it.
package event

import (
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// Kind says which fields of an Event are meaningful.
type Kind uint8

// Event kinds.
const (
	KindNone Kind = iota
	// KindBinding: a server advertised (or traffic showed) a binding:
	// Binding, BindingIface, BindingObject, Source.
	KindBinding
	// KindPDU: a DCE/RPC PDU: PType, Iface (when known), Opnum, CallID,
	// Status, AckResult/AckReason, ServerBoot/Activity (CL).
	KindPDU
	// KindConnAttempt: a SYN from Client to Server.
	KindConnAttempt
	// KindConnRefused: Server answered a SYN with RST (nothing listens on
	// the endpoint).
	KindConnRefused
	// KindConnReset: an established connection was reset; FromServer tells
	// who sent the RST.
	KindConnReset
	// KindConnClosed: a FIN; FromServer tells who sent it.
	KindConnClosed
	// KindUnreachable: an ICMP/ICMPv6 destination unreachable quoting a
	// datagram from Client to Server (Server's endpoint refused it).
	KindUnreachable
	// KindAnomaly: a structural inconsistency in a decoded structure:
	// Anomaly, Where; Binding holds the binding the anomaly belongs to when
	// HasBinding.
	KindAnomaly
	kindCount
)

var kindNames = [kindCount]string{"none", "binding", "pdu", "conn-attempt", "conn-refused", "conn-reset", "conn-closed", "unreachable", "anomaly"}

// String names the kind.
func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "unknown"
}

// Source says how a binding was learned.
type Source uint8

// Binding sources.
const (
	SourceNone Source = iota
	// SourceEPM: an endpoint-mapper tower (ept_map or ept_lookup response).
	SourceEPM
	// SourceOXID: a DCOM OXID-resolver string binding (ResolveOxid,
	// ResolveOxid2, ServerAlive2).
	SourceOXID
	// SourceActivation: a DCOM activation response (RemoteActivation,
	// RemoteCreateInstance, RemoteGetClassObject).
	SourceActivation
	// SourceTraffic: observed traffic (a bind accepted on an endpoint).
	SourceTraffic
	sourceCount
)

var sourceNames = [sourceCount]string{"", "epm", "oxid", "activation", "traffic"}

// String names the source as in rpcwatch's JSON output.
func (s Source) String() string {
	if s < sourceCount {
		return sourceNames[s]
	}
	return "unknown"
}

// Where names the structure an anomaly was found in.
type Where uint8

// Anomaly locations.
const (
	InNone Where = iota
	InCOPDU
	InCLPDU
	InEPMStub
	InTower
	InDCOMStub
	InStringBinding
	InStream
	whereCount
)

var whereNames = [whereCount]string{"", "co-pdu", "cl-pdu", "epm-stub", "tower", "dcom-stub", "string-binding", "tcp-stream"}

// String names the location.
func (w Where) String() string {
	if w < whereCount {
		return whereNames[w]
	}
	return "unknown"
}

// Transport protocol numbers used in Event.Transport.
const (
	TCP = 6
	UDP = 17
)

// Event is one thing the pipeline saw. Which fields are set depends on Kind.
type Event struct {
	Kind Kind
	// Frame is the 1-based number (as tshark counts) of the frame that
	// completed the event; FirstFrame the first frame that contributed
	// (equal to Frame unless reassembly spanned frames).
	Frame, FirstFrame int64
	// TimeNs is the capture timestamp of Frame in Unix nanoseconds.
	TimeNs int64
	// Transport is TCP or UDP.
	Transport uint8
	// Client and Server are the two endpoints; Server is the responder (the
	// side that listens, advertised or answered), whichever way the packet
	// went. FromServer tells the direction of the packet.
	Client, Server netip.AddrPort
	FromServer     bool

	// PDU fields (KindPDU).
	PType     dissect.PType
	Iface     dissect.SyntaxID // interface the PDU belongs to, when known
	IfaceOK   bool
	Opnum     uint16
	OpnumOK   bool
	CallID    uint32
	ContextID uint16
	// Status is the fault, reject or call status (CO fault status, CL
	// fault/reject status, bind_nak reject reason, or the stub's return
	// code for EPM/OXID responses).
	Status uint32
	// AckResult and AckReason hold the first non-accepted result of a
	// bind_ack/alter_context_resp (AckRejected tells whether there was one).
	AckResult   dissect.AckResult
	AckReason   dissect.ProviderReason
	AckRejected bool
	// ServerBoot and Activity are set for CL PDUs.
	ServerBoot uint32
	Activity   dissect.UUID
	Seqnum     uint32

	// Binding fields (KindBinding, and KindAnomaly when HasBinding).
	Binding       dissect.Binding
	BindingIface  dissect.SyntaxID
	BindingObject dissect.UUID
	Source        Source
	HasBinding    bool

	// Anomaly fields (KindAnomaly).
	Anomaly dissect.Anomaly
	Where   Where

	// ICMP fields (KindUnreachable).
	ICMPType, ICMPCode uint8
}

// Reset clears e for reuse.
func (e *Event) Reset() { *e = Event{} }

// Handler receives events. The pointer is valid only during the call, and
// the handler must not modify the event: the pipeline reuses event values
// and refreshes only the fields that change (copy the event to keep or
// alter it).
type Handler func(e *Event)
