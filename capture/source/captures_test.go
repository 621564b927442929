package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/decode"

	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// sharedCaptures is the shared captures folder, "" when absent.
func sharedCaptures() string {
	d, _ := pcaptest.FindDir()
	return d
}

// captureFiles lists the capture files in shared/captures and testdata/,
// skipping the test when there are none.
func captureFiles(t testing.TB) []string {
	var files []string
	if dir := sharedCaptures(); dir != "" {
		for _, pat := range []string{"*.pcap", "*.cap", "*.pcapng", "*.pcap.gz", "*.pcapng.gz"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			files = append(files, m...)
		}
	}
	for _, pat := range []string{"*.pcap", "*.pcapng"} {
		m, _ := filepath.Glob(filepath.Join("testdata", pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no captures: shared/captures not found above " + mustGetwd() + " and testdata/ has none")
	}
	return files
}

func mustGetwd() string {
	d, _ := os.Getwd()
	return d
}

func tsharkPath(t testing.TB) string {
	p, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: cannot compare frame counts")
	}
	return p
}

// tsharkFields runs tshark over name and returns one row of fields per
// frame, and whether tshark reports the file cut short inside a packet. IP
// reassembly is off so that every fragment stays its own frame.
func tsharkFields(t testing.TB, tshark, name string, fields ...string) (rows [][]string, cutShort bool) {
	args := []string{"-n", "-r", name, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-T", "fields", "-E", "occurrence=f", "-E", "separator=/t"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(tshark, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("tshark %s: %v %s", name, err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	return rows, strings.Contains(stderr.String(), "cut short in the middle of a packet")
}

// readAll reads every frame of src, calling fn for each, and returns the
// count and the terminating error (nil for io.EOF).
func readAll(src Source, fn func(data []byte, ci Info)) (int, error) {
	n := 0
	for {
		data, ci, err := src.Next()
		if err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		n++
		if fn != nil {
			fn(data, ci)
		}
	}
}

// TestSharedCaptures reads every capture with exactly tshark's frame count,
// checks that the two files cut inside their last record report the frame
// that broke, and compares each frame's decoded addresses and ports with
// tshark's.
func TestSharedCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the tshark comparison")
	}
	files := captureFiles(t)
	tshark := tsharkPath(t)
	dec := decode.NewDecoder()
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			rows, cutShort := tsharkFields(t, tshark, name, "frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
				"tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "ip.flags.mf", "ip.frag_offset", "icmp.type", "icmpv6.type")
			src, err := Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var p decode.Packet
			mismatches := 0
			n, err := readAll(src, func(data []byte, ci Info) {
				if ci.Frame > len(rows) {
					return
				}
				derr := dec.Decode(ci.LinkType, data, &p)
				if msg := compareTshark(&p, derr, rows[ci.Frame-1]); msg != "" {
					mismatches++
					if mismatches <= 5 {
						t.Errorf("frame %d: %s", ci.Frame, msg)
					}
				}
			})
			if n != len(rows) {
				t.Errorf("read %d frames, tshark counts %d", n, len(rows))
			}
			var te *TruncatedError
			switch {
			case err == nil:
				if cutShort {
					t.Errorf("tshark says the file is cut short; no TruncatedError")
				}
			case errors.As(err, &te) && cutShort:
				if te.Frame != len(rows)+1 || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("truncated at frame %d (%v), tshark read %d complete frames", te.Frame, err, len(rows))
				}
				t.Logf("%v", err)
			default:
				t.Errorf("error after %d frames: %v", n, err)
			}
			if read, total := src.Progress(); read != total {
				t.Errorf("progress %d of %d at the end", read, total)
			}
			if mismatches > 0 {
				t.Errorf("%d of %d frames differ from tshark", mismatches, n)
			}
		})
	}
}

// compareTshark compares the decoder's view of one frame with tshark's
// first-occurrence fields (frame, ip src/dst, ipv6 src/dst, tcp ports, udp
// ports, ip MF flag, fragment offset, icmp type, icmpv6 type).
func compareTshark(p *decode.Packet, derr error, row []string) string {
	for len(row) < 13 {
		row = append(row, "")
	}
	src, dst := row[1], row[2]
	if src == "" {
		src, dst = row[3], row[4]
	}
	if src == "" {
		if p.Net != decode.NetNone {
			return "decoder found IP " + p.Src.String() + ", tshark none"
		}
		return ""
	}
	if p.Net == decode.NetNone {
		return "tshark found IP " + src + ", decoder none (" + errString(derr) + ")"
	}
	if p.Src != netip.MustParseAddr(src) || p.Dst != netip.MustParseAddr(dst) {
		return "addresses " + p.Src.String() + " > " + p.Dst.String() + ", tshark " + src + " > " + dst
	}
	sport, dport := row[5], row[6]
	if sport == "" {
		sport, dport = row[7], row[8]
	}
	var gs, gd uint16
	switch p.Proto {
	case decode.ProtoTCP, decode.ProtoUDP:
		gs, gd = p.SrcPort, p.DstPort
	case decode.ProtoICMPv4, decode.ProtoICMPv6:
		if p.ICMP.Quoted.HasPorts {
			gs, gd = p.ICMP.Quoted.SrcPort, p.ICMP.Quoted.DstPort
		}
	case decode.ProtoFragment:
		// tshark (reassembly off) shows the ports of a first fragment;
		// the decoder leaves them to the reassembler.
		return ""
	}
	if sport == "" {
		if gs != 0 || gd != 0 {
			return "decoder ports " + strconv.Itoa(int(gs)) + " > " + strconv.Itoa(int(gd)) + ", tshark none"
		}
		return ""
	}
	if strconv.Itoa(int(gs)) != sport || strconv.Itoa(int(gd)) != dport {
		return "ports " + strconv.Itoa(int(gs)) + " > " + strconv.Itoa(int(gd)) + " (" + p.Proto.String() + ", " + errString(derr) + "), tshark " + sport + " > " + dport
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// TestSharedCapturesGzipPipe reads one real capture gzip-compressed
// through a pipe, as from standard input.
func TestSharedCapturesGzipPipe(t *testing.T) {
	files := captureFiles(t)
	name := files[0]
	for _, f := range files {
		if strings.HasSuffix(f, ".pcapng") {
			name = f
			break
		}
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	want, err := readAll(mustReader(t, bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() {
		zw := gzip.NewWriter(pw)
		zw.Write(raw)
		zw.Close()
		pw.Close()
	}()
	src, err := NewReader(pr, "-", -1)
	if err != nil {
		t.Fatal(err)
	}
	if !src.Compressed() {
		t.Error("not detected as gzip")
	}
	got, err := readAll(src, nil)
	if err != nil || got != want {
		t.Errorf("gzip pipe: %d frames (%v), plain %d", got, err, want)
	}
	if _, total := src.Progress(); total != -1 {
		t.Errorf("pipe total %d, want -1", total)
	}
}

func mustReader(t testing.TB, r io.Reader) *File {
	t.Helper()
	f, err := NewReader(r, "test", -1)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
