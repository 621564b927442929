package dissect

// Anomalies found in protocol towers (twr_t and the floors inside it).
// Offsets are relative to the first byte of the tower octets (the floor
// count), unless the decoder says otherwise; a decoder that embeds a tower in
// a stub reports where the octets start so that the two can be added.
const (
	// AnomTowerLength: twr_t's conformance (max_count) and tower_length
	// disagree, or tower_length is larger than the octets present
	// (A = one length, B = the other).
	AnomTowerLength AnomalyKind = 0x0400 + iota
	// AnomTowerFloorCount: the floor count is larger than the octets can
	// hold at 4 bytes per floor (A = declared, B = most that fit), or the
	// walk stopped inside a floor before reaching it (A = declared, B =
	// floors decoded). Floors beyond the count show as trailing bytes.
	AnomTowerFloorCount
	// AnomTowerLHSPastEnd: a floor's LHS length runs past the tower octets
	// (A = declared, B = bytes left).
	AnomTowerLHSPastEnd
	// AnomTowerRHSPastEnd: a floor's RHS length runs past the tower octets
	// (A = declared, B = bytes left).
	AnomTowerRHSPastEnd
	// AnomTowerLHSLength: a floor's LHS has the wrong length for its
	// protocol id: empty (no protocol id at all), or more than the one byte
	// a single-octet identifier needs (A = LHS length, B = expected).
	AnomTowerLHSLength
	// AnomTowerUUIDLength: a UUID floor's LHS is not 19 bytes (id, UUID,
	// major version) (A = LHS length).
	AnomTowerUUIDLength
	// AnomTowerIPv4Length: an IP floor's RHS is not 4 bytes (A = length).
	// 8 bytes is the fused-multihomed fault: see the tower decoder.
	AnomTowerIPv4Length
	// AnomTowerPortLength: a TCP, UDP or HTTP floor's RHS is not 2 bytes
	// (A = length).
	AnomTowerPortLength
	// AnomTowerRHSLength: a fixed-size RHS other than a port or address (a
	// minor version) has the wrong length (A = length, B = expected).
	AnomTowerRHSLength
	// AnomTowerMissingNUL: a string RHS (pipe, port or NetBIOS name) does
	// not end in NUL (A = length).
	AnomTowerMissingNUL
	// AnomTowerEmbeddedNUL: a string RHS holds a NUL before its last byte;
	// the text stops there (A = index, B = length).
	AnomTowerEmbeddedNUL
	// AnomTowerUnknownProtocol: a floor's protocol id is not one the
	// decoder knows (A = the id). The floor's bytes stay available raw.
	AnomTowerUnknownProtocol
	// AnomTowerMissingFloor: the floors stop before the transport or address
	// floor the protocol sequence needs (A = protocol id expected, 0xff when
	// the RPC protocol floor itself is missing).
	AnomTowerMissingFloor
	// AnomTowerUnexpectedFloor: a floor is not the kind its position needs
	// (floors 1 and 2 must be UUID floors, floor 3 an RPC protocol), or the
	// floor sequence matches no protocol sequence (A = protocol id, B = floor
	// index).
	AnomTowerUnexpectedFloor
	// AnomTowerTrailingBytes: bytes are left in the tower octets after the
	// last floor (A = count).
	AnomTowerTrailingBytes
	// AnomTowerTextTruncated: a name is longer than a binding can hold
	// (MaxText); it was cut (A = length).
	AnomTowerTextTruncated
)

func init() {
	registerAnomalies(map[AnomalyKind]string{
		AnomTowerLength:          "tower-length-mismatch",
		AnomTowerFloorCount:      "tower-floor-count",
		AnomTowerLHSPastEnd:      "tower-lhs-past-end",
		AnomTowerRHSPastEnd:      "tower-rhs-past-end",
		AnomTowerLHSLength:       "tower-lhs-length",
		AnomTowerUUIDLength:      "tower-uuid-floor-length",
		AnomTowerIPv4Length:      "tower-ipv4-length",
		AnomTowerPortLength:      "tower-port-length",
		AnomTowerRHSLength:       "tower-rhs-length",
		AnomTowerMissingNUL:      "tower-missing-nul",
		AnomTowerEmbeddedNUL:     "tower-embedded-nul",
		AnomTowerUnknownProtocol: "tower-unknown-protocol-id",
		AnomTowerMissingFloor:    "tower-missing-floor",
		AnomTowerUnexpectedFloor: "tower-unexpected-floor",
		AnomTowerTrailingBytes:   "tower-trailing-bytes",
		AnomTowerTextTruncated:   "tower-text-truncated",
	})
}
