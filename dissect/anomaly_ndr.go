package dissect

// Anomalies found while decoding NDR stubs (package ndr) and the endpoint
// mapper's operations on top of them (package epm). Offsets are relative to
// the first byte of the stub (the NDR body after the PDU header), which is
// also where NDR alignment counts from.
const (
	// AnomNDRVaryingBounds: a varying array's offset plus actual_count
	// exceeds its max_count (A = offset+actual_count, B = max_count). The
	// elements are still decoded from actual_count.
	AnomNDRVaryingBounds AnomalyKind = 0x0300 + iota
	// AnomNDRStringOffset: a varying string has a non-zero offset, which
	// NDR strings never carry (A = offset).
	AnomNDRStringOffset
	// AnomNDRStringUnterminated: a [string] array does not end in a NUL
	// character (A = actual_count in characters).
	AnomNDRStringUnterminated
	// AnomNDRStringEmbeddedNUL: a [string] array holds a NUL before its last
	// character (A = index of the first NUL, B = actual_count).
	AnomNDRStringEmbeddedNUL
	// AnomNDRStringTooLong: a string is longer than the fixed bound its type
	// declares (A = actual_count, B = bound).
	AnomNDRStringTooLong
	// AnomNDRNullRef: an embedded [ref] pointer carries referent id 0.
	AnomNDRNullRef
	// AnomNDRDuplicateReferent: two pointers in one list carry the same
	// non-zero referent id (A = the id).
	AnomNDRDuplicateReferent

	// AnomEPMCountMismatch: num_ents or num_towers disagrees with the
	// actual_count of the array that follows (A = num, B = actual_count).
	AnomEPMCountMismatch
	// AnomEPMOverMax: more entries or towers than the request allowed or the
	// array's max_count announces (A = returned, B = maximum).
	AnomEPMOverMax
	// AnomEPMNullTower: a lookup entry or map result has a NULL tower
	// pointer (A = index in the array).
	AnomEPMNullTower
	// AnomEPMStatusWithEntries: the status is an error but entries or towers
	// were returned anyway, as Samba does with ept_s_not_registered at the
	// end of a lookup (A = status, B = number returned). Both are kept.
	AnomEPMStatusWithEntries
	// AnomEPMHandleAttributes: a context handle's attributes word is not
	// zero (A = attributes).
	AnomEPMHandleAttributes
	// AnomEPMBadInquiry: an ept_lookup inquiry_type or vers_option is
	// outside the values C706 defines (A = value).
	AnomEPMBadInquiry
)

func init() {
	registerAnomalies(map[AnomalyKind]string{
		AnomNDRVaryingBounds:      "ndr-varying-out-of-bounds",
		AnomNDRStringOffset:       "ndr-string-offset-nonzero",
		AnomNDRStringUnterminated: "ndr-string-unterminated",
		AnomNDRStringEmbeddedNUL:  "ndr-string-embedded-nul",
		AnomNDRStringTooLong:      "ndr-string-too-long",
		AnomNDRNullRef:            "ndr-null-ref-pointer",
		AnomNDRDuplicateReferent:  "ndr-duplicate-referent",
		AnomEPMCountMismatch:      "epm-count-mismatch",
		AnomEPMOverMax:            "epm-over-max",
		AnomEPMNullTower:          "epm-null-tower",
		AnomEPMStatusWithEntries:  "epm-status-with-entries",
		AnomEPMHandleAttributes:   "epm-handle-attributes",
		AnomEPMBadInquiry:         "epm-bad-inquiry",
	})
}
