package source

import (
	"errors"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/gopacket/pcap"
	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// DefaultFilter is the BPF filter used when LiveOptions.Filter is empty:
// none. "port 135" alone would miss everything that matters after the
// endpoint mapper answers (dynamic endpoints live on other ports), and even
// "tcp or udp or icmp or icmp6" drops IPv6 fragments behind a fragment
// header and, on some platforms, VLAN-tagged frames. The decoder discards
// non-IP frames cheaply. Set a filter such as "ip or ip6" to drop other
// traffic in the kernel.
const DefaultFilter = ""

// LiveOptions configure a live capture; zero values take the defaults
// noted on each field.
type LiveOptions struct {
	// Interface to capture on; "any" captures on all interfaces (Linux,
	// link type LINUX_SLL).
	Interface string
	// Filter is a BPF expression (tcpdump syntax); "" means DefaultFilter.
	Filter string
	// SnapLen is the number of bytes kept per packet (default MaxPacketLen).
	SnapLen int
	// Promisc puts the interface in promiscuous mode (needed on a span port
	// whose mirrored frames are not addressed to this host).
	Promisc bool
	// BufferSize is the kernel capture buffer in bytes (default 16 MiB);
	// a small buffer drops packets in bursts (see Stats).
	BufferSize int
	// Immediate delivers each packet as it arrives instead of in batches.
	Immediate bool
	// Timeout is the read timeout (default 250 ms). It bounds how long Next
	// takes to notice Close and how long Close waits for Next.
	Timeout time.Duration
}

// Default live capture settings.
const (
	DefaultBufferSize = 16 << 20
	DefaultTimeout    = 250 * time.Millisecond
)

// Stats are the capture counters libpcap reports for a live source.
type Stats struct {
	Received  uint64 // packets that passed the filter (ps_recv)
	Dropped   uint64 // packets dropped because the buffer was full (ps_drop)
	IfDropped uint64 // packets dropped by the interface or driver (ps_ifdrop)
}

// Live is a Source capturing from a network interface with gopacket/pcap
// (libpcap), read with ZeroCopyReadPacketData. Next must be called from one
// goroutine; Stats and Close may be called from any.
type Live struct {
	h        *pcap.Handle
	iface    string
	linkType decode.LinkType
	frame    int
	closed   atomic.Bool
	mu       sync.Mutex // serializes Stats and Close
	last     Stats      // counters at Close
}

// InterfaceError reports a capture interface that does not exist.
type InterfaceError struct {
	Name      string
	Available []string // interfaces libpcap can capture on
	Err       error
}

func (e *InterfaceError) Error() string {
	s := "source: no capture interface " + quote(e.Name)
	if len(e.Available) > 0 {
		s += "; available: " + strings.Join(e.Available, ", ")
	}
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap returns libpcap's error.
func (e *InterfaceError) Unwrap() error { return e.Err }

// PermissionError reports that capturing needs privileges the process
// lacks.
type PermissionError struct {
	Interface string
	Err       error
}

func (e *PermissionError) Error() string {
	return "source: no permission to capture on " + quote(e.Interface) +
		": run as root or grant CAP_NET_RAW,CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin=eip <binary>) (" + e.Err.Error() + ")"
}

// Unwrap returns libpcap's error.
func (e *PermissionError) Unwrap() error { return e.Err }

// FilterError reports a BPF expression libpcap cannot compile.
type FilterError struct {
	Filter string
	Err    error
}

func (e *FilterError) Error() string {
	return "source: bad capture filter " + quote(e.Filter) + ": " + e.Err.Error()
}

// Unwrap returns libpcap's error.
func (e *FilterError) Unwrap() error { return e.Err }

func quote(s string) string { return "\"" + s + "\"" }

// OpenLive starts a live capture. Errors name the problem: *InterfaceError
// (listing the interfaces that exist), *PermissionError, *FilterError, or a
// *decode.LinkTypeError for an interface whose link type the decoder does
// not support.
func OpenLive(o LiveOptions) (*Live, error) {
	if o.Interface == "" {
		return nil, errors.New("source: no capture interface given")
	}
	if o.SnapLen <= 0 {
		o.SnapLen = MaxPacketLen
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Filter == "" {
		o.Filter = DefaultFilter
	}
	avail := interfaceNames()
	in, err := pcap.NewInactiveHandle(o.Interface)
	if err != nil {
		return nil, classify(o.Interface, avail, err)
	}
	defer in.CleanUp()
	for _, set := range []func() error{
		func() error { return in.SetSnapLen(o.SnapLen) },
		func() error { return in.SetPromisc(o.Promisc) },
		func() error { return in.SetTimeout(o.Timeout) },
		func() error { return in.SetBufferSize(o.BufferSize) },
		func() error { return in.SetImmediateMode(o.Immediate) },
	} {
		if err := set(); err != nil {
			return nil, classify(o.Interface, avail, err)
		}
	}
	h, err := in.Activate()
	if err != nil {
		return nil, classify(o.Interface, avail, err)
	}
	if o.Filter != "" {
		if err := h.SetBPFFilter(o.Filter); err != nil {
			h.Close()
			return nil, &FilterError{Filter: o.Filter, Err: err}
		}
	}
	l := &Live{h: h, iface: o.Interface, linkType: handleLinkType(h)}
	if err := decode.CheckLinkType(l.linkType); err != nil {
		h.Close()
		return nil, err
	}
	return l, nil
}

// interfaceNames lists the devices libpcap can open, sorted ("any"
// included on Linux); nil if it cannot enumerate them.
func interfaceNames() []string {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(devs))
	for _, d := range devs {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return names
}

// classify turns libpcap's activation errors into the typed errors above.
func classify(iface string, avail []string, err error) error {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "permission") || strings.Contains(msg, "not permitted"):
		return &PermissionError{Interface: iface, Err: err}
	case strings.Contains(msg, "no such device"):
		return &InterfaceError{Name: iface, Available: avail, Err: err}
	}
	if avail != nil && !contains(avail, iface) {
		return &InterfaceError{Name: iface, Available: avail, Err: err}
	}
	return errors.New("source: capture on " + quote(iface) + ": " + err.Error())
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// handleLinkType recovers the handle's 16-bit link type. gopacket v1.1.19
// returns it as a uint8, which truncates values above 255 (LINUX_SLL2 is
// 276); the handle's list of data links, by name, disambiguates.
func handleLinkType(h *pcap.Handle) decode.LinkType {
	lt8 := int(h.LinkType())
	links, err := h.ListDataLinks()
	if err != nil {
		return decode.LinkType(lt8)
	}
	match, n := lt8, 0
	for _, dl := range links {
		if v := pcap.DatalinkNameToVal(dl.Name); v >= 0 && v&0xff == lt8 {
			match, n = v, n+1
		}
	}
	if n == 1 {
		return decode.LinkType(match)
	}
	return decode.LinkType(lt8)
}

// LinkType returns the capture's link type.
func (l *Live) LinkType() decode.LinkType { return l.linkType }

// Next returns the next packet; data is valid until the following call. It
// waits for traffic, checking every Timeout whether Close was called, and
// then returns io.EOF.
func (l *Live) Next() ([]byte, Info, error) {
	for {
		if l.closed.Load() {
			return nil, Info{}, io.EOF
		}
		data, ci, err := l.h.ZeroCopyReadPacketData()
		switch err {
		case nil:
			l.frame++
			return data, Info{Frame: l.frame, Timestamp: ci.Timestamp, CaptureLength: ci.CaptureLength,
				Length: ci.Length, LinkType: l.linkType}, nil
		case pcap.NextErrorTimeoutExpired:
			continue
		case io.EOF:
			return nil, Info{}, io.EOF
		}
		return nil, Info{}, errors.New("source: reading " + quote(l.iface) + ": " + err.Error())
	}
}

// Stats returns libpcap's counters; after Close, the counters at Close.
func (l *Live) Stats() (Stats, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return l.last, nil
	}
	return l.stats()
}

func (l *Live) stats() (Stats, error) {
	s, err := l.h.Stats()
	if err != nil {
		return Stats{}, err
	}
	return Stats{Received: uint64(uint32(s.PacketsReceived)), Dropped: uint64(uint32(s.PacketsDropped)),
		IfDropped: uint64(uint32(s.PacketsIfDropped))}, nil
}

// Close stops the capture. A Next blocked in another goroutine returns
// io.EOF within Timeout; Close waits for it to leave libpcap.
func (l *Live) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return nil
	}
	if s, err := l.stats(); err == nil {
		l.last = s
	}
	l.closed.Store(true)
	l.h.Close()
	return nil
}
