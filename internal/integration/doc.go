// Package integration holds rpcwatch's integration tests against real
// DCE/RPC software on the loopback interface: Samba's samba-dcerpcd as the
// endpoint mapper (bound to 127.0.0.1, 127.0.0.2 and ::1), rpcclient and
// impacket as clients, tcpdump and tshark as the independent capture and
// decoder, and the rpcwatch binary watching lo live.
//
// The tests need root (live capture, port 135, a second loopback address)
// and install what is missing through .ci/install-deps; without root, or
// when Samba, impacket, tcpdump, tshark or ip(8) cannot be installed, they
// skip and say why, except under CI=true as root, where a missing tool
// fails them (CI must not pass without the real peers). They start only
// their own processes, stop them by PID (also when a test fails), and keep
// every packet on 127.0.0.0/8 and ::1.
//
// What they check:
//   - TestClientsAgree: the bindings rpcwatch reports while rpcclient
//     (epmlookup, epmmap) and impacket (ept_lookup with max_ents 500,
//     hept_map) query the mapper equal what the clients print, per server
//     address, including the 38-entry lookup response that arrives in two
//     fragments and the 0.0.0.0 address Samba puts in towers over IPv6; no
//     stale-binding, fused-address or malformed-* finding; and the tcpdump
//     capture of the run gives the same bindings in rpcwatch read as in
//     tshark, frame by frame.
//   - TestRestart: samba-dcerpcd restarts while an impacket client keeps its
//     old bindings (ports dealt differently, or the port range moved);
//     rpcwatch reports endpoint-moved and stale-binding, and the frames those
//     findings name show on the wire what the client met: FIN then RST on
//     the old connection, bind_ack provider rejection or SYN answered by
//     RST on the old port, fault nca_s_fault_context_mismatch for the old
//     handle.
package integration
