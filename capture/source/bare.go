package source

import (
	"bufio"
	"bytes"
	"io"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// BareLoop is the reference the pipeline's throughput is measured against:
// the plainest zero-copy loop gopacket offers, with none of rpcwatch's
// checks. It reads a pcap or pcapng stream from r through pcapgo's
// ZeroCopyReadPacketData over a 1 MiB bufio.Reader and runs each frame
// through one gopacket.DecodingLayerParser (gopacket's own Ethernet,
// 802.1Q, Linux SLL, loopback, IPv4, IPv6, TCP, UDP, ICMPv4, ICMPv6 and
// payload layers, IgnoreUnsupported set). It returns the number of frames
// read and the first read error other than io.EOF; decoding errors are
// ignored. Gzip input is accepted for classic pcap only (pcapgo's own
// detection), and no file validation is done: do not point it at
// untrusted input.
func BareLoop(r io.Reader) (n int, err error) {
	br := bufio.NewReaderSize(r, bufSize)
	head, _ := br.Peek(4)
	var read func() ([]byte, gopacket.CaptureInfo, error)
	var lt layers.LinkType
	if bytes.Equal(head, magicPcapNG) {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{})
		if err != nil {
			return 0, err
		}
		read, lt = ng.ZeroCopyReadPacketData, ng.LinkType()
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return 0, err
		}
		read, lt = pr.ZeroCopyReadPacketData, pr.LinkType()
	}
	first := layers.LayerTypeEthernet
	switch lt {
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		first = layers.LayerTypeLoopback
	case layers.LinkTypeRaw, layers.LinkTypeIPv4:
		first = layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		first = layers.LayerTypeIPv6
	}
	var (
		eth     layers.Ethernet
		dot1q   layers.Dot1Q
		sll     layers.LinuxSLL
		loop    layers.Loopback
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		udp     layers.UDP
		icmp4   layers.ICMPv4
		icmp6   layers.ICMPv6
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(first, &eth, &dot1q, &sll, &loop, &ip4, &ip6, &tcp, &udp, &icmp4, &icmp6, &payload)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 16)
	for {
		data, _, err := read()
		if err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		n++
		_ = parser.DecodeLayers(data, &decoded)
	}
}
