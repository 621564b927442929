package dissect

// Anomalies found in DCOM string bindings (DUALSTRINGARRAY) and in the stubs
// of the OXID resolver and the activators (package dcom). Offsets are
// relative to the first byte of the structure the decoder was given: the
// stub for response decoders, the DUALSTRINGARRAY itself when it is decoded
// alone. Decoders that embed one structure in another rebase the offsets so
// that a response's list is stub-relative throughout.
const (
	// AnomDCOMInvalidNetworkAddress: a string binding's network address is
	// neither an IPv4/IPv6 literal nor a valid host name, for example the
	// fused multihomed address 157.61.239.61157.61.239.5 (A = tower id,
	// B = length of the address in bytes after transcoding).
	AnomDCOMInvalidNetworkAddress AnomalyKind = 0x0500 + iota
	// AnomDCOMUnknownTowerID: a string binding's tower id names no protocol
	// sequence this package knows (A = tower id). The entry is kept with
	// protseq "unknown".
	AnomDCOMUnknownTowerID
	// AnomDCOMNumEntriesBeyondData: wNumEntries (or the NDR conformance)
	// asks for more 16-bit units than the data holds (A = units declared,
	// B = units present). The entries present are still walked.
	AnomDCOMNumEntriesBeyondData
	// AnomDCOMSecurityOffsetRange: wSecurityOffset is larger than
	// wNumEntries (A = wSecurityOffset, B = wNumEntries).
	AnomDCOMSecurityOffsetRange
	// AnomDCOMSecurityOffsetMismatch: wSecurityOffset does not point right
	// after the string-binding terminator (A = wSecurityOffset, B = the
	// index the terminator implies).
	AnomDCOMSecurityOffsetMismatch
	// AnomDCOMStringBindingsUnterminated: the string bindings run to the end
	// of the array without the 0x0000 that ends them, or a network address
	// lacks its NUL (A = unit index where the walk stopped).
	AnomDCOMStringBindingsUnterminated
	// AnomDCOMSecurityBindingsUnterminated: the security bindings run to the
	// end of the array without their 0x0000 terminator, or a principal name
	// lacks its NUL (A = unit index where the walk stopped).
	AnomDCOMSecurityBindingsUnterminated
	// AnomDCOMMaxCountMismatch: the NDR conformance (max_count) in front of
	// a DUALSTRINGARRAY, or of another conformant array, differs from the
	// count field it must equal (A = max_count, B = count field).
	AnomDCOMMaxCountMismatch
	// AnomDCOMOddLength: a byte length that must hold whole 16-bit units is
	// odd (A = the length).
	AnomDCOMOddLength
	// AnomDCOMTrailingEntries: 16-bit units remain between the
	// security-binding terminator and wNumEntries (A = units left over).
	AnomDCOMTrailingEntries
	// AnomDCOMBadEndpoint: the endpoint part of a network address is
	// malformed ('[' without a closing ']' at the end) or is not a decimal
	// port 0..65535 on a TCP/UDP/HTTP protocol sequence (A = tower id).
	AnomDCOMBadEndpoint
	// AnomDCOMBadUTF16: a network address or principal name holds an
	// unpaired UTF-16 surrogate; it is rendered as U+FFFD (A = unit index).
	AnomDCOMBadUTF16
	// AnomDCOMTextTruncated: a transcoded address or endpoint is longer than
	// dissect.MaxText and was truncated (A = length before truncation).
	AnomDCOMTextTruncated
	// AnomDCOMBadObjRefSignature: an OBJREF does not start with 'MEOW'
	// 0x574f454d (A = the signature read). The OBJREF is not decoded.
	AnomDCOMBadObjRefSignature
	// AnomDCOMBadObjRefFlags: an OBJREF's flags are not exactly one of
	// STANDARD, HANDLER, CUSTOM, EXTENDED (A = flags). Not decoded further.
	AnomDCOMBadObjRefFlags
	// AnomDCOMUnexpectedCLSID: an OBJREF_CUSTOM carrying activation
	// properties names an unmarshaler other than
	// CLSID_ActivationPropertiesOut (A = first 4 bytes of the CLSID as
	// read). The blob is not decoded.
	AnomDCOMUnexpectedCLSID
	// AnomDCOMPropertySizeBeyondBlob: an activation property's size (from
	// the CustomHeader's pSizes) runs past the end of the blob
	// (A = property index, B = size).
	AnomDCOMPropertySizeBeyondBlob
	// AnomDCOMPropertySizes: the CustomHeader's totalSize, headerSize and
	// property sizes do not add up with each other or with the blob's dwSize
	// (A = one size, B = the other).
	AnomDCOMPropertySizes
	// AnomDCOMBadSerializationHeader: a type serialization version 1 header
	// is wrong: version not 1, unknown endianness, common header length not
	// 8, or an object buffer length larger than the bytes present
	// (A = value read, B = value expected or available).
	AnomDCOMBadSerializationHeader
	// AnomDCOMExtentLimit: the ORPCTHAT extension array is larger than the
	// decoder walks (A = declared count); the rest is skipped by length when
	// possible.
	AnomDCOMExtentLimit
	// AnomDCOMUnexpectedPointer: a pointer the protocol requires to be NULL
	// is not (A = referent id); the data it would point to cannot be skipped
	// reliably and decoding stops there.
	AnomDCOMUnexpectedPointer
	// AnomDCOMTruncated: the stub ends inside a structure that follows the
	// bindings; what was decoded before it is kept (A = offset of the
	// structure, B = stub length).
	AnomDCOMTruncated
)

func init() {
	registerAnomalies(map[AnomalyKind]string{
		AnomDCOMInvalidNetworkAddress:        "dcom-invalid-network-address",
		AnomDCOMUnknownTowerID:               "dcom-unknown-tower-id",
		AnomDCOMNumEntriesBeyondData:         "dcom-num-entries-beyond-data",
		AnomDCOMSecurityOffsetRange:          "dcom-security-offset-out-of-range",
		AnomDCOMSecurityOffsetMismatch:       "dcom-security-offset-mismatch",
		AnomDCOMStringBindingsUnterminated:   "dcom-string-bindings-unterminated",
		AnomDCOMSecurityBindingsUnterminated: "dcom-security-bindings-unterminated",
		AnomDCOMMaxCountMismatch:             "dcom-max-count-mismatch",
		AnomDCOMOddLength:                    "dcom-odd-length",
		AnomDCOMTrailingEntries:              "dcom-trailing-entries",
		AnomDCOMBadEndpoint:                  "dcom-bad-endpoint",
		AnomDCOMBadUTF16:                     "dcom-bad-utf16",
		AnomDCOMTextTruncated:                "dcom-text-truncated",
		AnomDCOMBadObjRefSignature:           "dcom-bad-objref-signature",
		AnomDCOMBadObjRefFlags:               "dcom-bad-objref-flags",
		AnomDCOMUnexpectedCLSID:              "dcom-unexpected-clsid",
		AnomDCOMPropertySizeBeyondBlob:       "dcom-property-size-beyond-blob",
		AnomDCOMPropertySizes:                "dcom-property-sizes-mismatch",
		AnomDCOMBadSerializationHeader:       "dcom-bad-serialization-header",
		AnomDCOMExtentLimit:                  "dcom-extent-limit",
		AnomDCOMUnexpectedPointer:            "dcom-unexpected-pointer",
		AnomDCOMTruncated:                    "dcom-truncated",
	})
}
