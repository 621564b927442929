package scenario

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Frame is one generated Ethernet frame.
type Frame struct {
	// Time is the capture timestamp (whole microseconds: the files are
	// classic pcap with µs resolution).
	Time time.Time
	// Data is the whole Ethernet frame, padded to 60 bytes as a capturing
	// NIC delivers short frames.
	Data []byte
	// Note says in one line what the frame is, e.g. "ServerAlive2
	// response: fused 157.61.239.61157.61.239.5 (tcp, udp)".
	Note string
}

// snapLen is the snap length written into the pcap header.
const snapLen = 65535

// WritePcap writes frames as a classic pcap file (µs timestamps,
// link type Ethernet) to w.
func WritePcap(w io.Writer, frames []Frame) error {
	bw := bufio.NewWriter(w)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(snapLen, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for _, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: f.Time, CaptureLength: len(f.Data), Length: len(f.Data)}
		if err := pw.WritePacket(ci, f.Data); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeFile writes frames to dir/name through a temporary file renamed into
// place, so that a reader never sees half a capture.
func writeFile(dir, name string, frames []Frame) error {
	tmp, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return err
	}
	if err := WritePcap(tmp, frames); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
