package dissect

// Anomalies found in connection-oriented (v5) PDUs. Offsets are relative to
// the first byte of the PDU's 16-byte header.
const (
	// AnomCOFragBeyondData: frag_length is larger than the bytes given; the
	// PDU was decoded from what is there (A = frag_length, B = bytes).
	AnomCOFragBeyondData AnomalyKind = 0x0100 + iota
	// AnomCOFragTooShort: frag_length is smaller than the header and fixed
	// body of the PDU type (A = frag_length, B = minimum).
	AnomCOFragTooShort
	// AnomCOMinorVersion: rpc_vers_minor is neither 0 nor 1 (A = minor).
	AnomCOMinorVersion
	// AnomCODrep: the data representation label is not one C706 defines
	// (A = drep bytes 0..3 as a big-endian word).
	AnomCODrep
	// AnomCOAuthTooLong: auth_length plus the 8-byte sec_trailer does not
	// fit in the body (A = auth_length, B = body bytes available). No
	// verifier is extracted and the stub is left empty.
	AnomCOAuthTooLong
	// AnomCOAuthPadTooLong: auth_pad_length is larger than the stub in front
	// of the sec_trailer (A = pad length, B = stub bytes). The stub is left
	// empty.
	AnomCOAuthPadTooLong
	// AnomCOContextCount: n_context_elem is larger than the context list
	// bytes can hold (A = declared, B = decoded).
	AnomCOContextCount
	// AnomCOTransferCount: n_transfer_syn of one presentation context is
	// larger than the remaining bytes can hold (A = declared, B = decoded).
	AnomCOTransferCount
	// AnomCOResultCount: n_results is larger than the result list bytes can
	// hold (A = declared, B = decoded).
	AnomCOResultCount
	// AnomCOSecAddrTruncated: the secondary address length runs past the
	// body (A = declared length, B = bytes available).
	AnomCOSecAddrTruncated
	// AnomCOSecAddrNoNUL: a non-empty secondary address does not end in NUL
	// (A = length).
	AnomCOSecAddrNoNUL
	// AnomCOVersionCount: bind_nak n_protocols is larger than the bytes can
	// hold (A = declared, B = decoded).
	AnomCOVersionCount
	// AnomCOObjectFlag: PFC_OBJECT_UUID is set on a PDU that is not a
	// request (A = ptype); it is ignored.
	AnomCOObjectFlag
)

func init() {
	registerAnomalies(map[AnomalyKind]string{
		AnomCOFragBeyondData:   "co-frag-beyond-data",
		AnomCOFragTooShort:     "co-frag-too-short",
		AnomCOMinorVersion:     "co-minor-version",
		AnomCODrep:             "co-bad-drep",
		AnomCOAuthTooLong:      "co-auth-too-long",
		AnomCOAuthPadTooLong:   "co-auth-pad-too-long",
		AnomCOContextCount:     "co-context-count-too-large",
		AnomCOTransferCount:    "co-transfer-count-too-large",
		AnomCOResultCount:      "co-result-count-too-large",
		AnomCOSecAddrTruncated: "co-secaddr-truncated",
		AnomCOSecAddrNoNUL:     "co-secaddr-no-nul",
		AnomCOVersionCount:     "co-version-count-too-large",
		AnomCOObjectFlag:       "co-object-flag-not-request",
	})
}
