// Package source delivers captured frames: from pcap and pcapng files
// (optionally gzip-compressed, or from standard input as "-"; pcapng through
// gopacket/pcapgo, classic pcap by its own parser), and from network
// interfaces through gopacket/pcap.
//
// Files: the format is detected from the first bytes, read directly —
// classic pcap with micro- or nanosecond timestamps in either byte order,
// pcapng with any number of sections and interfaces of mixed link types,
// and either of them gzip-compressed (compress/gzip). pcapng frames are
// read with pcapgo's ZeroCopyReadPacketData over a 1 MiB bufio.Reader;
// classic pcap records are parsed in place out of the File's own fixed
// 1 MiB buffer, refilled with large reads (as many as the input needs) when
// a record runs past what was read (no bufio, no pcapgo, no copy of a
// frame).
// Frame numbers are 1-based and count every packet record, as tshark does.
// A file that ends inside a record delivers every complete frame and then a
// *TruncatedError naming the frame that broke (tshark counts only the
// complete ones); input that is not a capture gives a *NotCaptureError
// saying what was found; structural damage gives a *FormatError with the
// frame. Progress reports bytes read and the total size for ETAs.
//
// Link types are judged per file for classic pcap and live captures (Open
// and OpenLive fail with a *decode.LinkTypeError, e.g. "unsupported link
// type 147 (USER0)", since no frame could be decoded) and per frame for
// pcapng, whose interfaces may differ: Info.LinkType carries each frame's
// 16-bit link type, read from the file itself because gopacket v1.1.19
// keeps link types in a uint8 (LINUX_SLL2, 276, would read as 20).
//
// Live: OpenLive configures a pcap.InactiveHandle (snap length, promiscuous
// mode, buffer size, immediate mode, read timeout) and a BPF filter; see
// DefaultFilter for why the default is no filter. Stats returns the
// kernel's received/dropped counters at any time. Missing interfaces and
// missing privileges are reported as *InterfaceError (listing the
// interfaces that exist) and *PermissionError.
//
// BareLoop is the reference loop (pcapgo plus a plain DecodingLayerParser)
// the pipeline's benchmarks compare against.
//
// # Allocation
//
// Next does not allocate per frame once warm: data aliases the reader's
// buffer (the File's own for classic pcap, pcapgo's for pcapng,
// libpcap's for live captures) and is valid until the
// next call; Info is a value. TestNoAllocs checks testing.AllocsPerRun == 0
// for classic pcap in both byte orders and resolutions, pcapng in both
// byte orders with two link types, gzip input, and records whose captured
// length exceeds their original length.
//
// # Security
//
// Capture files are untrusted. pcapgo v1.1.19 divides by zero on an
// interface timestamp resolution of 2^-64 or 10^-64 and beyond, sizes its
// packet buffer from a 32-bit snap length or capture length, underflows on
// short block and option lengths, and reads a pcapng block cut short as a
// clean end of file. Before each pcapng read, a checker walks the blocks
// pcapgo is about to consume (with Peek, without copying) and rejects those
// cases as *FormatError; an interface snap length above MaxPacketLen is
// rewritten to MaxPacketLen in the buffer before pcapgo reads it. Records
// larger than MaxPacketLen (256 KiB, Wireshark's limit) are rejected in both
// formats, so the packet buffer never exceeds it. One limitation follows:
// the non-packet blocks between two packets (or before the first) must fit
// in the 1 MiB look-ahead, except unknown block types at the head of the
// walk, which are skipped; otherwise Next returns ErrLookahead wrapped in a
// FormatError. TestHostilePcapng covers each case; FuzzSource checks that no
// input panics or allocates without bound.
package source
