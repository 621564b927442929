// Package ndr reads NDR 2.0 (C706 chapter 14) stub data: the body of a
// DCE/RPC request or response after its PDU header. It provides the
// primitives the interface decoders (epm, dcom) are written in: aligned
// integers, UUIDs, pointer referent ids, context handles, conformant and
// varying array headers and [string] arrays.
//
// A [Reader] walks one stub. Alignment is counted from the first byte of the
// stub, as NDR requires. It reads NDR 2.0 by default and NDR64 (MS-RPCE
// 2.2.5: 8-byte pointers and array counts) when created with
// [NewReaderSyntax]; the primitives hide the difference from decoders. Integers and the first three UUID fields are read in
// the byte order the PDU's drep announces (a bool). The Reader's error is
// sticky: after the first failure every read returns a zero value and does
// not move, so a decoder can read a whole structure and check [Reader.Err]
// once.
//
// Speed: the integer readers inline; array headers take an NDR 2.0 fast
// path when their counts are there (FuzzNDR holds them to the general
// code); [Reader.PointerArray] reads an array's referent ids in one step;
// and the Read* forms ([Reader.ReadUUID], [Reader.ReadContextHandle],
// [Reader.ReadConformantVaryingArray], [Reader.ReadPointerArray]) store
// into a caller's struct field, sparing the copy of a returned UUID or
// header, which stalls on store forwarding.
//
// # Allocation
//
// Nothing in this package allocates. A Reader is a small value the caller
// keeps on its stack; byte slices it returns ([Reader.Octets], [String.Raw])
// alias the stub and are valid only as long as the stub's backing array is
// neither reused nor modified. Text is produced with append-style methods
// ([String.AppendUTF8]) into caller-owned buffers. TestNoAllocs enforces
// this for every primitive with testing.AllocsPerRun.
//
// # Security
//
// Every count read from the wire is untrusted. Before a caller loops over an
// array, the array header methods check that the count times the smallest
// possible element size fits in the bytes left (ErrLength otherwise), so a
// hostile count can neither drive a long loop nor size an allocation.
// Inconsistencies NDR forbids but that leave the data decodable (a varying
// array's offset+actual_count above max_count, a string without its
// terminator or with a non-zero offset, a NULL [ref] pointer) are recorded as
// dissect anomalies with their stub offsets in the caller's
// [dissect.Anomalies]; input that cannot be decoded at all stops the Reader
// with one of the dissect sentinel errors (ErrShort, ErrLength).
// FuzzNDR drives every primitive over arbitrary input and checks that none
// panics and that the Reader never moves backwards or past the end.
package ndr
