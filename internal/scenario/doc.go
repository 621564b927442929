// Package scenario generates the captures of rpcwatch's two seed faults,
// deterministically, from the project's own fixture builders
// (dissect/dcetest):
//
//	testdata/kb224460-dcom-fused.pcap         KB224460DCOM: DCOM ServerAlive2 and
//	                                          ResolveOxid2 answers carrying the fused
//	                                          address 157.61.239.61157.61.239.5, next to
//	                                          a healthy multihomed server
//	testdata/kb224460-cl-epm-fused-floor.pcap KB224460CLFloor: a connectionless ept_map
//	                                          answer whose IPv4 tower floor holds 8 bytes
//	testdata/kb216558-restart-stale.pcap      KB216558Restart: a server restart that
//	                                          moves endpoints; refused SYN, ICMP port
//	                                          unreachable, CL reject wrong_boot_time,
//	                                          nocall, provider rejection and faults
//	testdata/demo.pcap                        Demo: the three, in time order
//
// Each scenario function returns its frames and a marks struct: the frame
// numbers (1-based, as tshark counts; for a PDU the frame that completes
// it) where other packages' tests assert findings. The marks are computed
// while the frames are built, never counted by hand, and the doc comment of
// each function lists every frame with what it is.
//
// # Regenerating
//
// The captures are committed. TestGoldenFiles rebuilds them and fails when
// a byte differs; after an intended change run
//
//	go test ./internal/scenario -update
//
// which rewrites the four captures in testdata/ and scenarios_gen.go (the
// exported functions, whose doc comments carry the frame maps).
//
// # What the frames look like
//
// Ethernet II and IPv4, classic pcap with microsecond timestamps, fixed
// start times and no randomness: TCP initial sequence numbers and IP
// identifications are FNV hashes of the endpoints. The captures are seen
// from a span port on the clients' subnet: hosts outside it are reached
// through a router (its MAC address, TTL 127). TCP connections have the
// three-way handshake (MSS 1460, SACK permitted), data in PSH|ACK segments
// of at most 1460 bytes with exact sequence and acknowledgement numbers, a
// pure ACK for every second full segment, a delayed ACK after the last
// response, and a FIN teardown; a SYN to a closed port is answered by
// RST-ACK. Connectionless RPC is plain UDP; a datagram to a closed port is
// answered by ICMP port unreachable quoting its IP header and first 8
// bytes (RFC 792).
//
// # Byte order
//
// Most PDUs are little-endian, as Windows sends them. So that both drep
// orders go through the pipeline and the detector, one exchange per
// scenario is big-endian on both sides: the ResolveOxid2 with the healthy
// server 10.1.1.5, the CL ept_map with 10.1.1.5, and all of client
// 10.0.0.22's connectionless traffic in the restart scenario (NDR lets
// each sender choose its order; a Windows peer would not choose this one).
//
// # What tshark 4.0 shows
//
// TestTsharkReadsScenarios checks every file with tshark. Three readings of
// tshark's are known and asserted as such: it renders the strings of a
// big-endian DUALSTRINGARRAY as hex of their UTF-16BE bytes rather than as
// text; it reads the 8-byte IPv4 floor as its first 4 bytes (157.61.239.61)
// with no expert info; and it reads the words after a ServerAlive2 string
// array without NDR alignment (reporting a long frame when the array has an
// odd number of units), so the fused server's security bindings are chosen
// to keep that count even.
//
// # Allocation
//
// This is a generator for tests and the demo: it allocates freely and is on
// no decode path.
//
// # Security
//
// Its only input is this package's own constants; it reads nothing from the
// network or from files. Write creates files only in the directory it is
// given, through temporary files renamed into place.
package scenario
