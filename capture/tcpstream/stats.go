package tcpstream

// Stats counts what one direction of a stream did with its bytes. Every byte
// pushed is accounted for exactly once:
//
//	Bytes == PDUBytes + DupBytes + Skipped + Ignored + (bytes still buffered)
//
// GapBytes are bytes that were never seen, so they are not part of Bytes.
type Stats struct {
	Segments uint64 // segments pushed, whatever their flags
	Bytes    uint64 // payload bytes pushed
	PDUs     uint64 // PDUs delivered
	PDUBytes uint64 // bytes in delivered PDUs
	Copied   uint64 // PDUs delivered from the stream's buffer (the rest aliased a segment)

	DupBytes uint64 // bytes trimmed because they had already been received (retransmissions, overlaps)
	Held     uint64 // segments held out of order, waiting for a hole to fill

	Gaps     uint64 // holes declared lost (reorder bound exceeded, FIN acknowledged, RST, flush)
	GapBytes uint64 // bytes in those holes
	Skipped  uint64 // bytes received but not delivered: PDU prefixes cut by a gap, flush or close, and bytes scanned over while resynchronising

	BadHeaders uint64 // times the framer rejected the bytes where a PDU should start
	Oversize   uint64 // times the framer reported a length above Limits.MaxPDU (also counted in BadHeaders)
	Resyncs    uint64 // times framing was re-acquired after a gap or a bad header

	OutOfWindow uint64 // segments dropped because their sequence number was implausibly far (2^30) from the stream
	Ignored     uint64 // bytes not considered: before the stream's first byte, after its FIN, carried by RST, out of window, or after close
}

// Add adds o's counters to s (to total streams).
func (s *Stats) Add(o Stats) {
	s.Segments += o.Segments
	s.Bytes += o.Bytes
	s.PDUs += o.PDUs
	s.PDUBytes += o.PDUBytes
	s.Copied += o.Copied
	s.DupBytes += o.DupBytes
	s.Held += o.Held
	s.Gaps += o.Gaps
	s.GapBytes += o.GapBytes
	s.Skipped += o.Skipped
	s.BadHeaders += o.BadHeaders
	s.Oversize += o.Oversize
	s.Resyncs += o.Resyncs
	s.OutOfWindow += o.OutOfWindow
	s.Ignored += o.Ignored
}
