// Package tcpstream turns TCP segments into whole PDUs for the dissector.
//
// A [Stream] reassembles one direction: it trims retransmitted and
// overlapping bytes, holds out-of-order segments in a bounded reorder
// buffer, and cuts the in-order bytes into PDUs with a caller-supplied
// [Framer] (for DCE/RPC: version 5 at byte 0, frag_length at byte 8), so the
// package knows nothing of the protocol. A PDU that lies wholly in one
// segment is delivered straight from the segment's bytes; one split across
// segments is assembled in the stream's reused buffer. Each PDU carries the
// first and last frame numbers that contributed to it.
//
// When a segment is lost to the capture, the hole is declared lost once it
// cannot fill any more: the reorder window (Limits.MaxBuffered) or the
// number of held ranges (Limits.MaxHeld) would be exceeded, the peer
// acknowledged data past the hole or the FIN, a RST arrived, or the caller
// flushed. The stream then skips to the held data and resynchronises: it
// tries the framer at each byte until one looks like a header. Gaps, bytes
// lost, bytes skipped and resynchronisations are all counted ([Stats]). A
// stream whose handshake was not captured starts at its first segment and
// resynchronises the same way if that is not a header. Sequence numbers are
// mapped to 64-bit stream positions on the way in, so wraparound at 2^32 is
// handled in one place.
//
// A [Conn] owns both directions and reports the connection's life as
// [Event]s: SYN, established, refused (RST answering a SYN), reset (and by
// whom), FIN from either side, no answer. Client and server come from the
// SYN, else the SYN-ACK, else the caller's hint (e.g. the lower port).
// Conns are meant to live in a [flow.Table], one per connection.
//
// # Allocation
//
// PDUs and events are handed to the caller's [Handler] by pointer to values
// that live in the Stream or Conn, and PDU.Data aliases either the segment
// or the stream's buffer, valid until the handler returns. A stream grows
// its buffer (up to Limits.MaxBuffered) and its range and frame records on
// first need, then reuses them, also across Reset. TestNoAllocs checks with
// testing.AllocsPerRun that, after warm-up, pushing in-order, split,
// reordered, retransmitted and lost segments and running the handshake and
// teardown allocate nothing. With a [Pool] (SetPool), a stream instead
// borrows those buffers while it holds bytes and gives them back as soon as
// it is empty, so that many idle connections hold no buffers;
// TestPoolSameResult checks that a pool changes no PDU, frame number or
// counter, and TestPoolNoAllocs that pooled connections allocate nothing
// once the pool is warm. An in-order segment of whole PDUs with nothing
// buffered is framed straight from its bytes and touches no buffer: a
// pooled conversation of such segments borrows none
// (TestInOrderTouchesNoBuffer).
//
// # Security
//
// Sequence numbers, flags and lengths are all chosen by whoever sends the
// packets. Every direction's memory is bounded by Limits (bytes buffered,
// held ranges, PDU length) and by fixed-size frame records; nothing is sized
// from a wire value. A segment more than 2^30 bytes from the stream is
// dropped and counted. Every byte pushed is accounted for exactly once in
// Stats (delivered, duplicate, skipped, ignored or still buffered), which
// the tests and FuzzStream check after every segment, and each byte is
// offered to the framer as a header candidate a bounded number of times, so
// the work per segment is linear in its length. Nothing in the package
// panics on input.
package tcpstream
