// Package epm decodes the DCE/RPC endpoint mapper (interface
// e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0, C706 Appendix O, MS-RPCE
// 2.2.1.2): the stubs of ept_lookup, ept_map and ept_lookup_handle_free
// requests and responses, and the protocol towers (twr_t) inside them, down
// to the protocol sequence, interface, IP address and port they advertise,
// and on demand a [dissect.Binding] such as ncacn_ip_tcp:127.0.0.1[49152].
//
// Callers hand over a stub (the NDR body after the PDU header, reassembled
// when the call was fragmented) and its byte order. Decode methods fill a
// caller-owned struct and return the bytes consumed; a response's entries or
// towers are then walked with an iterator ([EntryIter], [TowerIter]) that
// decodes one tower at a time into its own reused [TowerInfo], so a 346-entry
// lookup costs no more memory than a 1-entry one. [FloorIter] walks the
// floors of a single tower and [DecodeTower] summarises one into compact
// values; [TowerInfo.Binding] renders the text form only for callers that
// want it. Towers of the shape nearly every answer carries (five floors,
// TCP, UDP or HTTP over one IPv4 address) are decoded by a fast path that
// TestIPTowerMatchesWalk and FuzzTower hold equal to the general floor walk.
//
// Tower octets are always little-endian for their lengths and UUID fields,
// whatever the PDU's byte order; ports and IPv4 addresses inside them are
// big-endian (network order).
//
// # Allocation
//
// No decoder here allocates: Decode, the iterators, DecodeTower and
// TowerInfo.Binding work in caller-owned structs, and byte slices in them
// (Annotation, Octets, RawEndpoint, RawAddr, EndpointName, AddrName) alias
// the stub and are valid only as long as it is; so TowerInfo.Binding, which
// reads them, must be called while the stub is. The Bindings it fills are
// value types (no pointers into the packet) and can be kept. TestNoAllocs
// checks lookup and map requests and responses with a full tower walk,
// DecodeTower, FloorIter and rendering a Binding with testing.AllocsPerRun.
//
// # Security
//
// Counts and lengths on the wire are untrusted. Array counts are checked
// against the bytes left before any loop (an entry takes at least 28 bytes,
// a tower pointer 4, a tower floor 4), so work is bounded by the stub's size;
// no allocation is ever sized from the wire. Inconsistencies (num_ents or
// num_towers against actual_count, twr_t's max_count against tower_length,
// floor counts, LHS/RHS lengths past the tower, IPv4 floors that are not 4
// bytes, ports that are not 2, UUID floors that are not 19, missing NULs,
// unknown protocol ids, missing floors, repeated referent ids, NULL towers,
// trailing bytes, an error status returned with entries) become dissect
// anomalies with byte offsets: stub offsets in the request's or response's
// Anomalies, tower-relative offsets in each TowerInfo (whose Off gives the
// tower's place in the stub). A structure cut short returns
// dissect.ErrShort or dissect.ErrLength; whatever was validated before stays
// readable. Fuzz targets (FuzzTower, FuzzLookupResponse, FuzzMapResponse,
// FuzzMapRequest) check that no input panics, that decoding is repeatable
// into a used struct, and that the iterators stop within the input.
package epm
