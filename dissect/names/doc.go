// Package names maps DCE/RPC identifiers to the names people know them by:
// interface UUIDs to short names ("epm", "samr", "IObjectExporter") with a
// one-line description, and (interface, opnum) pairs to operation names
// ("ept_map", "ResolveOxid2"). Status codes are named by
// [github.com/rpcwatch/rpcwatch/dissect.StatusName].
//
// The tables cover every interface that Zeek's DCE-RPC scripts and
// Suricata's dcerpc module name (224), plus the DCE, DCOM, PROFINET and
// Samba interfaces rpcwatch meets on port 135 and in EPM towers. Where the
// sources disagree, the table picks one spelling and a comment next to the
// entry says which and why; the other spelling is kept as the entry's
// alias, which [ByName] also accepts. Names and numbers are facts taken
// from the specifications (C706, MS-RPCE, MS-DCOM and the other MS-*
// documents) and cross-checked against those projects; the tables are
// written for this package, not copied.
//
// The tables are read-only after package initialisation and safe for
// concurrent use.
//
// # Allocation
//
// [Interface], [Describe], [Opnum] and [ByName] do not allocate: they look a
// value up in maps built once in init and return strings that live as long
// as the program. TestNoAllocs enforces this with testing.AllocsPerRun. A
// sorted array searched by binary search was measured against the map
// (BenchmarkInterface/sorted): over the 239 UUIDs with as many misses mixed
// in, the map took 11-17 ns per lookup and the binary search 18-19 ns, so
// the map is used.
//
// # Security
//
// Lookups take values straight from the wire (any UUID, any opnum 0..65535)
// and are total: unknown values return ok == false, never panic, and do
// constant work (one map probe and, for opnums, one bounds-checked slice
// index). Nothing is ever added to the tables at run time, so hostile
// traffic cannot grow them. TestOpnumAllValues walks every opnum of every
// interface.
package names
