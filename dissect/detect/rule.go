package detect

// Rule identifies what a finding reports. Its String is part of rpcwatch's
// output contract.
type Rule uint8

// Rules.
const (
	RuleNone Rule = iota
	// RuleFusedAddress: a binding's network address is two or more IP
	// addresses glued together (KB 224460), from a DCOM string binding or
	// an EPM IPv4 floor carrying 8 (or 4n) bytes.
	RuleFusedAddress
	// RuleMalformedTower: a structural inconsistency inside an EPM tower.
	RuleMalformedTower
	// RuleMalformedStringBinding: a structural inconsistency inside a DCOM
	// string binding or the DUALSTRINGARRAY that holds it.
	RuleMalformedStringBinding
	// RuleForeignAddress: a binding names an IP address that is neither
	// the responder's nor one the same server is known to own.
	RuleForeignAddress
	// RuleEndpointMoved: an endpoint-mapper answer maps a server's
	// interface and protocol sequence to a new endpoint and no longer
	// lists the one an earlier answer gave.
	RuleEndpointMoved
	// RuleStaleBinding: traffic to, or a failure at, an endpoint that no
	// longer serves the interface it was learned for (KB 216558).
	RuleStaleBinding
	// RuleServerReboot: a connectionless server's boot time changed.
	RuleServerReboot
	// RuleFault: a CO/CL fault, a CL reject or a bind_nak.
	RuleFault
	ruleCount
)

var ruleNames = [ruleCount]string{
	RuleNone:                   "none",
	RuleFusedAddress:           "fused-address",
	RuleMalformedTower:         "malformed-tower",
	RuleMalformedStringBinding: "malformed-string-binding",
	RuleForeignAddress:         "foreign-address",
	RuleEndpointMoved:          "endpoint-moved",
	RuleStaleBinding:           "stale-binding",
	RuleServerReboot:           "server-reboot",
	RuleFault:                  "fault",
}

// String returns the contract id, e.g. "stale-binding".
func (r Rule) String() string {
	if r < ruleCount {
		return ruleNames[r]
	}
	return "unknown"
}

// Severity ranks findings.
type Severity uint8

// Severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	severityCount
)

var severityNames = [severityCount]string{"info", "low", "medium", "high"}

// String returns "info", "low", "medium" or "high".
func (s Severity) String() string {
	if s < severityCount {
		return severityNames[s]
	}
	return "unknown"
}

// StaleCause says what showed a binding to be stale.
type StaleCause uint8

// Stale causes.
const (
	CauseNone StaleCause = iota
	// CauseTrafficAfterMove: a client sent a PDU for the interface to the
	// endpoint after an endpoint-mapper answer moved the interface away.
	CauseTrafficAfterMove
	// CauseRefused: the endpoint answered a SYN with RST.
	CauseRefused
	// CauseUnreachable: an ICMP destination unreachable for a datagram or
	// segment sent to the endpoint.
	CauseUnreachable
	// CauseBindRejected: bind_ack with provider rejection for the interface.
	CauseBindRejected
	// CauseBindNak: the endpoint refused the association (bind_nak).
	CauseBindNak
	// CauseReject: a connectionless reject with a stale-binding status.
	CauseReject
	// CauseNocall: a connectionless nocall (the server has no such call).
	CauseNocall
	// CauseFault: a fault with a stale-binding status.
	CauseFault
	// CauseOldBoot: a connectionless request carrying a boot time the
	// server has since replaced.
	CauseOldBoot
	causeCount
)

var causeNames = [causeCount]string{"", "traffic-after-move", "conn-refused", "unreachable", "bind-rejected",
	"bind-nak", "cl-reject", "nocall", "fault", "old-boot-time"}

// String names the cause, e.g. "conn-refused".
func (c StaleCause) String() string {
	if c < causeCount {
		return causeNames[c]
	}
	return "unknown"
}

// Stale-binding statuses: a fault or reject with one of these on a learned
// endpoint is a stale-binding finding.
const (
	StatusContextMismatch = 0x1c00001a // nca_s_fault_context_mismatch
	StatusUnknownIf       = 0x1c010003 // nca_s_unk_if
	StatusWrongBootTime   = 0x1c010006 // nca_s_wrong_boot_time
	StatusYouCrashed      = 0x1c010009 // nca_s_you_crashed
	StatusAccessDenied    = 0x00000005 // nca_s_fault_access_denied / ERROR_ACCESS_DENIED
	StatusCallFailedDNE   = 0x000006be // RPC_S_CALL_FAILED_DNE
)

// staleStatus reports whether a fault/reject status marks a stale binding,
// and whether it is a weak sign that counts only on bindings a server
// advertised (EPM, OXID, activation). nca_s_wrong_boot_time and
// nca_s_you_crashed say the server restarted and count on any learned
// binding. The others have other causes too: a scanner probing an
// interface it was never told about gets nca_s_unk_if
// (markofu-evilfingers-xscan_capture.pcap), any client may be denied.
func staleStatus(s uint32) (stale, weak bool) {
	switch s {
	case StatusWrongBootTime, StatusYouCrashed:
		return true, false
	case StatusContextMismatch, StatusUnknownIf, StatusAccessDenied, StatusCallFailedDNE, 0x800706be:
		return true, true
	}
	return false, false
}
