package source

import "bytes"

// Magic numbers at the start of a file (classic pcap's are the 32-bit
// magic as it appears in little- or big-endian files).
var (
	magicPcapLEus = []byte{0xd4, 0xc3, 0xb2, 0xa1}
	magicPcapBEus = []byte{0xa1, 0xb2, 0xc3, 0xd4}
	magicPcapLEns = []byte{0x4d, 0x3c, 0xb2, 0xa1}
	magicPcapBEns = []byte{0xa1, 0xb2, 0x3c, 0x4d}
	magicPcapNG   = []byte{0x0a, 0x0d, 0x0d, 0x0a}
	magicGzip     = []byte{0x1f, 0x8b}
)

// notCaptures names common non-capture files by their first bytes, so that
// the error says what was found.
var notCaptures = []struct {
	magic []byte
	what  string
}{
	{[]byte{0x34, 0xcd, 0xb2, 0xa1}, "a modified (Kuznetzov) pcap file, which is not supported"},
	{[]byte{0xa1, 0xb2, 0xcd, 0x34}, "a modified (Kuznetzov) pcap file, which is not supported"},
	{[]byte("BZh"), "a bzip2 stream (decompress it first)"},
	{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, "an xz stream (decompress it first)"},
	{[]byte{0x28, 0xb5, 0x2f, 0xfd}, "a zstd stream (decompress it first)"},
	{[]byte{0x04, 0x22, 0x4d, 0x18}, "an lz4 stream (decompress it first)"},
	{[]byte("PK\x03\x04"), "a zip archive (extract it first)"},
	{[]byte("7z\xbc\xaf\x27\x1c"), "a 7-zip archive (extract it first)"},
	{[]byte("snoop\x00\x00\x00"), "a Sun snoop capture (convert it with editcap -F pcap)"},
	{[]byte("GMBU"), "a Microsoft Network Monitor capture (convert it with editcap -F pcap)"},
	{[]byte("XCP\x00"), "a NetXray/Sniffer capture (convert it with editcap -F pcap)"},
	{[]byte("\x7fELF"), "an ELF executable"},
}

// sniff classifies the first bytes of a stream. For captures it returns
// the format (and pcap's byte order and resolution); otherwise found says
// what the bytes look like.
func sniff(b []byte) (f Format, found string) {
	if len(b) >= 4 {
		m := b[:4]
		switch {
		case bytes.Equal(m, magicPcapLEus), bytes.Equal(m, magicPcapBEus),
			bytes.Equal(m, magicPcapLEns), bytes.Equal(m, magicPcapBEns):
			return FormatPcap, ""
		case bytes.Equal(m, magicPcapNG):
			return FormatPcapNG, ""
		}
	}
	if len(b) == 0 {
		return FormatUnknown, "an empty file"
	}
	for _, n := range notCaptures {
		if bytes.HasPrefix(b, n.magic) {
			return FormatUnknown, n.what
		}
	}
	if len(b) < 4 {
		return FormatUnknown, "only " + string(rune('0'+len(b))) + " bytes"
	}
	text := true
	for _, c := range b {
		if c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f {
			text = false
			break
		}
	}
	if text {
		return FormatUnknown, "text"
	}
	return FormatUnknown, "an unknown format"
}
