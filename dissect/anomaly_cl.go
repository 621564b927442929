package dissect

// Anomalies found in connectionless (v4) PDUs. Offsets are relative to the
// first byte of the datagram (the 80-byte header starts there).
const (
	// AnomCLBodyBeyondData: the header's body length runs past the end of
	// the datagram (A = declared length, B = bytes after the header).
	AnomCLBodyBeyondData AnomalyKind = 0x0200 + iota
	// AnomCLBodyTooShort: the declared body is shorter than the fixed
	// fields of the PDU type (A = body length, B = needed).
	AnomCLBodyTooShort
	// AnomCLFackTruncated: a fack (or nocall) body is shorter than the
	// 16 bytes of its fixed fields (A = body length, B = 16).
	AnomCLFackTruncated
	// AnomCLSelAckCount: selack_len is larger than the body can hold
	// (A = declared, B = words present).
	AnomCLSelAckCount
	// AnomCLAuthMissing: auth_proto is non-zero but no verifier follows the
	// body (A = auth_proto).
	AnomCLAuthMissing
)

func init() {
	registerAnomalies(map[AnomalyKind]string{
		AnomCLBodyBeyondData: "cl-body-beyond-datagram",
		AnomCLBodyTooShort:   "cl-body-too-short",
		AnomCLFackTruncated:  "cl-fack-truncated",
		AnomCLSelAckCount:    "cl-selack-count-too-large",
		AnomCLAuthMissing:    "cl-auth-missing",
	})
}
