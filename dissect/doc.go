// Package dissect decodes DCE/RPC traffic from byte slices: connection-oriented
// (v5, TCP) and connectionless (v4, UDP) PDUs, their stub reassembly, and the
// values rpcwatch keeps from them (UUIDs, bindings, anomalies). Sub-packages
// decode NDR (ndr), endpoint-mapper stubs and towers (epm), DCOM string
// bindings and OXID-resolver/activation stubs (dcom), and name tables (names).
//
// The package imports only the standard library. It knows nothing of packets,
// links or flows: callers hand it the bytes of one PDU (or one datagram).
//
// # Allocation
//
// Decoders fill caller-owned structs and return the bytes they consumed.
// Slices in decoded structs point into the caller's input and are valid only
// as long as that input is; values meant to outlive a packet (UUIDs,
// addresses, ports, bindings) are copied into fixed-size value types. No
// decoder allocates; TestNoAllocs in each package enforces this with
// testing.AllocsPerRun.
//
// # Security
//
// Every length and count read from the wire is untrusted. Decoders check
// bounds before indexing, never size an allocation from a wire count, and cap
// every loop by both the bytes remaining and an explicit limit. Structural
// inconsistencies are reported as typed [Anomaly] values carrying the byte
// offset at which they were found, never silently skipped; input that cannot
// be decoded at all returns a sentinel error. Fuzz targets in each package
// check that no input panics.
package dissect
