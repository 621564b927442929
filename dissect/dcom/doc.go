// Package dcom decodes the DCOM structures that tell a client where a
// server can be reached: DUALSTRINGARRAY string bindings (MS-DCOM 2.2.19)
// and the stubs that carry them, the OXID resolver's IObjectExporter
// requests and responses (ResolveOxid, ServerAlive, ResolveOxid2,
// ServerAlive2), IRemoteActivation::RemoteActivation responses and the
// ISystemActivator RemoteCreateInstance / RemoteGetClassObject responses,
// whose activation properties (OBJREF_CUSTOM, type-serialized CustomHeader,
// ScmReplyInfo, PropsOutInfo) hold the OXID and its bindings.
//
// Each string binding becomes a dissect.Binding ("ncacn_ip_tcp:
// 172.18.39.6[49913]"). Network addresses are checked: an address that is
// neither an IP literal nor a valid host name, such as the fused
// "157.61.239.61157.61.239.5" a multihomed Windows server sent in KB 224460,
// is reported as dissect.AnomDCOMInvalidNetworkAddress, and SplitFused
// recovers the glued addresses when they can be told apart.
//
// Response decoders take the stub (the PDU body after the header, without
// the authentication trailer, reassembled when fragmented) and the drep byte
// order. Anomaly offsets are relative to the stub's first byte, which is
// also where NDR alignment counts from.
//
// # Allocation
//
// Decoders fill caller-owned structs and return the bytes consumed; nothing
// on a decode path allocates. Slices in decoded values (DualStringArray.Array,
// StringBinding.NetworkAddr, SecurityBinding.PrincName, ObjRef.ObjectData)
// alias the input and are valid only as long as it is; bindings, UUIDs,
// OXIDs and addresses are copied into value types. String and security
// bindings are walked with iterators (Next/Entry/Err with a sticky error)
// instead of being collected; bounded lists (activation property CLSIDs,
// interface OBJREFs) use fixed inline arrays. TestNoAllocs checks every
// decoder, the iterators, binding rendering, ClassifyAddress and SplitFused
// with testing.AllocsPerRun.
//
// # Security
//
// All input is hostile. Every count and length read from the wire is
// checked against the bytes that remain before it is used, no allocation is
// sized from the wire, and every loop is bounded by the remaining bytes
// (each entry, pointer or extent consumes input) and, where values are
// kept, by explicit limits: MaxActivationProperties properties,
// MaxInterfaceRefs decoded OBJREFs, MaxRequestedProtseqs kept protocol
// sequences; SplitFused looks at most at MaxFusedParts parts of 45-byte
// literals. Inconsistencies - wNumEntries beyond the data, max_count
// disagreeing with wNumEntries, wSecurityOffset out of range or not right
// after the string bindings, missing terminators, odd lengths, unknown
// tower ids, invalid addresses, bad OBJREF signatures, property sizes
// beyond the blob, more than MaxExtents ORPC extents - are recorded as
// dissect.Anomaly values with byte offsets and decoding continues where it
// safely can; input that cannot be decoded at all returns a dissect
// sentinel error. Fuzz targets for every decoder, seeded with fixtures and
// with stubs from real captures, check that no input panics and that the
// iterators agree with the decoder's counts. Non-test files do not import
// fmt (TestNoFmt).
package dcom
