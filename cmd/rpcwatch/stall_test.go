package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/source"
)

// TestMayStall: a FIFO (as `rpcwatch read <(tcpdump -w - ...)` gives) is an
// input that can wait for data, so pump looks at its context after every
// packet and an interrupt is not held up; a regular file, plain or through
// standard input, is read fast.
func TestMayStall(t *testing.T) {
	demo := capturePath(t, "demo.pcap")
	src, err := source.Open(demo)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if mayStall(src) {
		t.Error("a regular file is taken for an input that can stall")
	}

	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	data, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		w.Write(data)
	}()
	p, err := source.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !mayStall(p) {
		t.Error("a FIFO is not taken for an input that can stall")
	}
}

// TestInterruptOnFIFO: reading a FIFO, an interrupt stops the read at the
// next packet, not after up to everyFile more (pump on a file looks at its
// context every everyFile packets; a quiet link may never send that many).
func TestInterruptOnFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	data, err := os.ReadFile(capturePath(t, "demo.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 {
		t.Fatal("demo.pcap is not a little-endian microsecond pcap")
	}
	var recs [][]byte
	for b := data[24:]; len(b) >= 16; {
		n := 16 + int(binary.LittleEndian.Uint32(b[8:12]))
		recs = append(recs, b[:n])
		b = b[n:]
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	in := &input{o: &options{json: true}, out: w, stderr: io.Discard, r: newJSONRenderer(w)}
	done := make(chan error, 1)
	go func() {
		_, _, err := in.readFile(ctx, fifo)
		done <- err
	}()
	f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(data[:24])
	for _, r := range recs[:10] {
		f.Write(r)
	}
	time.Sleep(50 * time.Millisecond) // the ten are read; the reader waits for more
	cancel()
	// Packets go on arriving, slowly, until the reader has gone.
	for i := 0; i < 2*everyFile; i++ {
		if _, err := f.Write(recs[(10+i)%len(recs)]); err != nil {
			break
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			w.Flush()
			m := regexp.MustCompile(`"kind":"stats"[^\n]*?"packets":([0-9]+)`).FindSubmatch(out.Bytes())
			if m == nil {
				t.Fatalf("no stats line in the output:\n%s", out.Bytes())
			}
			if n, _ := strconv.Atoi(string(m[1])); n > 12 {
				t.Fatalf("%d packets read after an interrupt at packet 10", n)
			}
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
	t.Fatalf("the read went on for %d packets after an interrupt", 2*everyFile)
}
