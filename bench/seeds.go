package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
)

// Frame is one seed frame: its bytes (owned) and capture time.
type Frame struct {
	Data    []byte
	Time    time.Time
	OrigLen int // length on the wire (larger than len(Data) when the snap length cut it)
	// rewrite plan, computed once per seed by plan
	l3, l4      int  // offsets of the IP and transport headers; l4 < 0: not rewritten
	v6          bool // IPv6 (else IPv4)
	proto       uint8
	clientIsSrc bool // the client port is the source port (else the destination)
	clientLow   bool // the client port is below 1024: left alone
}

// Seed is one capture loaded into memory.
type Seed struct {
	Name    string
	RPC     bool // counted as DCE/RPC traffic when mixing
	Frames  []Frame
	Skipped int // frames of a link type other than Ethernet
}

// Span is the time from the first to the last frame.
func (s *Seed) Span() time.Duration {
	if len(s.Frames) == 0 {
		return 0
	}
	return s.Frames[len(s.Frames)-1].Time.Sub(s.Frames[0].Time)
}

// RPCSeeds names the captures with DCE/RPC endpoint-mapper and DCOM traffic.
// Those under testdata/ are always used; the others come from the shared
// captures folder when it exists.
var RPCSeeds = []string{
	"testdata/samba-epm-loopback.pcap",
	"testdata/samba-stale-binding-restart.pcap",
	"testdata/kb216558-restart-stale.pcap",
	"testdata/kb224460-cl-epm-fused-floor.pcap",
	"testdata/kb224460-dcom-fused.pcap",
	"testdata/SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap",
	"shared:corelight-zerologon-CVE-2020-1472_test_win2019.pcap",
	"shared:scapy-dcerpc_msnrpc.pcapng",
	"shared:zeek-dce-rpc-kerberos135_auth.pcapng",
	"shared:suricata-verify-dcerpc-ctxids.pcap",
	"shared:otrf-empire_dcom_shellwindows_WORKSTATION6.cap",
	"shared:otrf-empire_psexec_dcerpc_tcp_svcctl_WORKSTATION6.cap",
}

// NonRPCSeeds names real captures that are mostly other traffic (Modbus, S7,
// ENIP, nmap scans, a worm); without the shared folder Synthetic stands in.
var NonRPCSeeds = []string{
	"shared:iti-ModbusTCP-mb2.pcap",
	"shared:markofu-evilfingers-nmap_UDP_SCAN.pcap",
	"shared:markofu-evilfingers-nmap_version_scan.pcap",
	"shared:markofu-ppa-evilprogram.pcap",
}

// Dirs locates the repository root (holding go.mod) and the shared captures
// folder by walking up from the working directory; shared is "" when absent.
func Dirs() (root, shared string, err error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if root == "" {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				root = d
			}
		}
		if shared == "" {
			c := filepath.Join(d, "shared", "captures")
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				shared = c
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if root == "" {
		return "", "", errors.New("bench: go.mod not found above the working directory")
	}
	return root, shared, nil
}

// LoadSeeds reads the RPC and non-RPC seeds. Names prefixed "shared:" are
// skipped when shared is ""; then the non-RPC traffic is Synthetic.
func LoadSeeds(root, shared string) (rpc, other []*Seed, err error) {
	load := func(names []string, isRPC bool) ([]*Seed, error) {
		var out []*Seed
		for _, n := range names {
			path := filepath.Join(root, n)
			if rest, ok := cutPrefix(n, "shared:"); ok {
				if shared == "" {
					continue
				}
				path = filepath.Join(shared, rest)
			}
			s, err := LoadSeed(path)
			if err != nil {
				return nil, err
			}
			s.RPC = isRPC
			if isRPC {
				out = append(out, s)
			} else {
				out = append(out, split(s, chunkFrames)...)
			}
		}
		return out, nil
	}
	if rpc, err = load(RPCSeeds, true); err != nil {
		return nil, nil, err
	}
	if other, err = load(NonRPCSeeds, false); err != nil {
		return nil, nil, err
	}
	if len(other) == 0 {
		other = split(Synthetic(4*chunkFrames, 1), chunkFrames)
	}
	return rpc, other, nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// LoadSeed reads every Ethernet frame of a capture into memory and plans its
// rewriting. A truncated last record ends the seed without an error.
func LoadSeed(path string) (*Seed, error) {
	f, err := source.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &Seed{Name: filepath.Base(path)}
	for {
		data, info, err := f.Next()
		if err == io.EOF {
			break
		}
		var te *source.TruncatedError
		if errors.As(err, &te) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if info.LinkType != decode.LinkTypeEthernet {
			s.Skipped++
			continue
		}
		s.Frames = append(s.Frames, Frame{Data: append([]byte(nil), data...), Time: info.Timestamp, OrigLen: info.Length})
	}
	if len(s.Frames) == 0 {
		return nil, fmt.Errorf("%s: no Ethernet frames", path)
	}
	plan(s)
	return s, nil
}

// chunkFrames is the size of the pieces non-RPC seeds are cut into, so that
// a small corpus still gets its share of each kind of traffic.
const chunkFrames = 1000

// split cuts a planned seed into pieces of at most n frames. The pieces keep
// the whole seed's plan (which port is the client's), and the mixer takes
// them in order, so a conversation crossing a cut is rewritten alike on both
// sides of it.
func split(s *Seed, n int) []*Seed {
	var out []*Seed
	for i := 0; i < len(s.Frames); i += n {
		c := *s
		c.Frames = s.Frames[i:min(i+n, len(s.Frames))]
		if i > 0 {
			c.Name = fmt.Sprintf("%s#%d", s.Name, i/n)
			c.Skipped = 0
		}
		out = append(out, &c)
	}
	return out
}
