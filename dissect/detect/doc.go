// Package detect is rpcwatch's binding watchdog: it consumes the events the
// capture pipeline emits (package event), keeps a passive inventory of the
// RPC bindings servers hand out (server address → interfaces → bindings,
// each with first and last frame and how it was learned) and reports
// findings.
//
// # Rules
//
// Each [Finding] carries a [Rule] whose String is part of the output
// contract:
//
//   - fused-address (KB 224460): a binding whose network address is no
//     valid address or host name but two or more IP addresses glued
//     together: a DCOM string binding such as
//     ncadg_ip_udp:157.61.239.61157.61.239.5[1039], or an EPM IPv4 floor of
//     8 bytes. The parts are reported, each marked as the address the server
//     answered from and/or one it advertises elsewhere. High severity on
//     ncadg_ip_udp, medium otherwise. Host names (SRV20, SERVER-1) are
//     valid and never fused. Reported once per server, interface and
//     binding.
//   - malformed-tower / malformed-string-binding: a structural anomaly the
//     dissector found inside a tower, a string binding, or the
//     DUALSTRINGARRAY around it (except the two anomalies that describe a
//     fused address, which become fused-address instead).
//   - foreign-address: a binding IP that is neither the responder's address
//     nor one the server is known to own. An answer that lists one of the
//     server's own addresses makes every other address in it the server's
//     (multihoming: two valid addresses for one interface are legitimate).
//     0.0.0.0 and :: mean "the address you reached me at" (Samba sends them)
//     and are never foreign; host names are not judged.
//   - endpoint-moved: endpoint-mapper answers are compared answer to
//     answer. For one server, interface and protocol sequence, when an
//     answer lists an endpoint no earlier answer gave and leaves out one an
//     earlier answer gave, the left-out endpoint has moved. Several
//     endpoints in one answer are not a move; an answer listing a subset of
//     the known endpoints is not a move. OXID and activation bindings are
//     never compared: their ports belong to per-process object exporters.
//     An answer is one ept_map response, or all ept_lookup responses on one
//     connection (rpcclient iterates with max_ents = 1); it is judged when
//     it ends, so the finding is emitted a few events after its Frame.
//   - stale-binding (KB 216558): traffic to an endpoint that no longer
//     serves the interface it was learned for. It fires on a client PDU
//     (request, bind, alter_context, ping) for an interface whose binding at
//     that endpoint has moved; on a refused SYN or an ICMP unreachable for a
//     learned endpoint; on a bind_ack provider rejection "abstract syntax
//     not supported" for a learned interface at that endpoint (a rejected
//     transfer syntax is NDR64 negotiation, not staleness); on a bind_nak
//     (other than protocol-version-not-supported) or a CL nocall at a
//     learned endpoint; on a CL reject or fault with nca_s_wrong_boot_time
//     or nca_s_you_crashed at a learned endpoint; on a fault or reject with
//     nca_s_fault_context_mismatch, nca_s_unk_if, 0x5 (access denied) or
//     0x6BE (RPC_S_CALL_FAILED_DNE) where a server advertised the binding
//     (EPM, OXID, activation), since these have other causes too (a
//     scanner's probe gets nca_s_unk_if); and on a CL request carrying a
//     boot time the server replaced. The
//     chain is in [StaleDetail]: learned, moved, failure. One finding per
//     endpoint and client connection (later signs on it are counted in
//     Stats.StaleRepeats); a new move or reboot re-arms it.
//   - server-reboot: a connectionless server endpoint's server_boot changed.
//   - fault: every CO/CL fault, CL reject and bind_nak, with its status named
//     and counted per server and interface.
//
// # Allocation
//
// The steady state allocates nothing: a known binding seen again, PDUs on
// known endpoints, connection events, anomalies that are not findings.
// TestNoAllocs enforces it with testing.AllocsPerRun == 0. Learning a new
// server, interface or binding allocates, and so does every finding: twice,
// one block for the finding and its rule's detail and one for its Detail
// sentence, built in a reused buffer (TestFindingAllocs). Inventory
// allocates its snapshot.
//
// # Security
//
// Every event is hostile input. State is bounded by [Config]: bindings and
// servers are evicted least recently used, per-interface and per-endpoint
// lists, answers and fault counters are capped, and every bound hit is
// counted in [Stats]. No structure is sized from event contents. Evidence
// lists are fixed arrays. FuzzDetector feeds arbitrary event sequences with
// small caps and checks the bounds hold and nothing panics.
//
// Map keys come from the wire, so no index can be flooded: the binding
// index files bindings in a table indexed by a digest of the binding's
// meaningful bytes under a random per-detector hash/maphash seed, doubled
// when it holds as many bindings as buckets (Go maps, used for the other
// indexes, seed their own hash); bindings that share a bucket or a digest
// are chained and told apart by their whole key, so a collision never
// merges two bindings. FuzzBindIndex and TestBindIndexCollisions check
// this with digests cut to a few bits.
//
// # Concurrency
//
// A Detector is safe for concurrent use (see [Detector]).
package detect
