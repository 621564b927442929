package tcpstream

import "time"

// Role says which end of a connection an endpoint plays.
type Role uint8

// The two roles. The client sent the SYN (or, without a handshake in the
// capture, is the side the caller's hint did not name as the server).
const (
	Client Role = 0
	Server Role = 1
)

// Other returns the opposite role.
func (r Role) Other() Role { return r ^ 1 }

// String returns "client" or "server".
func (r Role) String() string {
	if r == Client {
		return "client"
	}
	return "server"
}

// ConnState is where a [Conn] is in the TCP handshake and teardown, as far
// as the capture shows it.
type ConnState uint8

// Connection states.
const (
	StateNew         ConnState = iota // nothing seen yet
	StateSynSent                      // SYN seen, no answer yet
	StateEstablished                  // SYN-ACK seen, or data seen without a handshake
	StateClosing                      // one side sent FIN
	StateClosed                       // both sides sent FIN, or a RST ended it
)

var stateNames = [...]string{"new", "syn-sent", "established", "closing", "closed"}

// String returns the lowercase state name.
func (s ConnState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state-?"
}

// RoleSource says how a [Conn] decided which side is the server.
type RoleSource uint8

// Ways of telling client from server.
const (
	RoleUnknown    RoleSource = iota // nothing seen yet
	RoleFromSYN                      // the SYN's sender is the client
	RoleFromSYNACK                   // the SYN was missed; the SYN-ACK's sender is the server
	RoleFromHint                     // no handshake in the capture: the caller's hint
)

var roleSourceNames = [...]string{"unknown", "syn", "syn-ack", "hint"}

// String returns the lowercase source name.
func (r RoleSource) String() string {
	if int(r) < len(roleSourceNames) {
		return roleSourceNames[r]
	}
	return "source-?"
}

// EventKind names a connection event.
type EventKind uint8

// Connection events, in the order they usually happen.
const (
	// EvSYN: the client sent a SYN (a connection attempt). A retransmitted
	// SYN is not reported again; a SYN with a new initial sequence number
	// starts a new connection on the same ports and is.
	EvSYN EventKind = iota + 1
	// EvEstablished: the server answered with SYN-ACK (or, when the SYN-ACK
	// is missing from the capture, the connection carried data).
	EvEstablished
	// EvMidstream: the first segment seen was not part of a handshake; the
	// roles come from the caller's hint.
	EvMidstream
	// EvRefused: the server answered the SYN with RST and no SYN-ACK: the
	// endpoint refused the connection (nothing listening on the port).
	EvRefused
	// EvReset: a RST ended the connection after it was established (or an
	// attempt the client aborted); From says which side sent it.
	EvReset
	// EvFIN: one side finished sending (reported once per side).
	EvFIN
	// EvNoAnswer: the SYN got no answer before the connection was flushed.
	EvNoAnswer
)

var eventNames = [...]string{"", "syn", "established", "midstream", "refused", "reset", "fin", "no-answer"}

// String returns the lowercase event name.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "event-?"
}

// Event is one connection event.
type Event struct {
	Kind EventKind
	// From is the role of the side that sent the segment behind the event
	// (the client for EvSYN and EvNoAnswer).
	From Role
	// Frame and Time are those of the segment behind the event (of the SYN
	// for EvNoAnswer).
	Frame uint64
	Time  time.Time
	// SynFrame is the frame of the SYN that EvEstablished, EvRefused or
	// EvNoAnswer answers; 0 when the SYN was not seen.
	SynFrame uint64
}

// Handler receives a [Conn]'s PDUs and events. Its methods must not call
// back into the Conn.
type Handler interface {
	PDUHandler
	Event(e *Event)
}
