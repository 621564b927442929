// Command rpcwatch is a passive DCE/RPC binding watchdog: it reads captures
// (or, later, live interfaces) and reports the RPC bindings servers hand out
// through endpoint-mapper towers and DCOM string bindings, with the
// structural anomalies and failures it sees on the wire.
//
// This is the first cut of the command: `rpcwatch read FILE...` prints every
// binding, anomaly and failure as a line, then a summary. The detector
// (fused addresses, stale bindings) and the full flag set come next.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/dissect/names"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: rpcwatch read [-v] FILE... | -

Reads pcap, pcapng (optionally gzip-compressed) captures, or standard input
with "-", and prints the DCE/RPC bindings servers advertise (EPM towers,
DCOM OXID and activation string bindings), structural anomalies, refused
connections, faults and rejects, then a summary.

  -v    also print every DCE/RPC PDU
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "read":
		return cmdRead(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "rpcwatch: unknown command %q\n%s", args[0], usage)
		return exitUsage
	}
}

func cmdRead(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	verbose := fs.Bool("v", false, "print every PDU")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, "rpcwatch read: no capture file given\n", usage)
		return exitUsage
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	code := exitOK
	for _, name := range fs.Args() {
		if err := readOne(name, *verbose, out); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "rpcwatch: %s: %v\n", name, err)
			code = exitError
		}
	}
	return code
}

func readOne(name string, verbose bool, out *bufio.Writer) error {
	src, err := source.Open(name)
	if err != nil {
		return err
	}
	defer src.Close()
	p := &printer{w: out, verbose: verbose}
	start := time.Now()
	st, err := capture.Run(context.Background(), src, capture.Config{}, p.event)
	p.summary(name, &st, time.Since(start))
	return err
}

type printer struct {
	w       *bufio.Writer
	verbose bool
	buf     []byte
}

func ifaceName(s dissect.SyntaxID) string {
	if n, ok := names.Interface(s.UUID); ok {
		return n
	}
	if s.UUID.IsNil() {
		return "-"
	}
	return s.UUID.String()
}

func (p *printer) event(e *event.Event) {
	ts := time.Unix(0, e.TimeNs).UTC().Format("15:04:05.000000")
	switch e.Kind {
	case event.KindBinding:
		if e.Source == event.SourceTraffic && !p.verbose {
			return
		}
		p.buf = e.Binding.AppendTo(p.buf[:0])
		fmt.Fprintf(p.w, "%s %6d binding  %-10s server=%-21s %-18s %s\n", ts, e.Frame, e.Source, e.Server, ifaceName(e.BindingIface), p.buf)
	case event.KindAnomaly:
		b := ""
		if e.HasBinding {
			b = " binding=" + e.Binding.String()
		}
		fmt.Fprintf(p.w, "%s %6d anomaly  %-10s server=%-21s %s at offset %d (%d, %d)%s\n", ts, e.Frame, e.Where, e.Server, e.Anomaly.Kind, e.Anomaly.Off, e.Anomaly.A, e.Anomaly.B, b)
	case event.KindConnRefused:
		fmt.Fprintf(p.w, "%s %6d refused  tcp        server=%-21s client=%s (SYN in frame %d)\n", ts, e.Frame, e.Server, e.Client, e.FirstFrame)
	case event.KindUnreachable:
		fmt.Fprintf(p.w, "%s %6d unreach  icmp       server=%-21s client=%s type %d code %d\n", ts, e.Frame, e.Server, e.Client, e.ICMPType, e.ICMPCode)
	case event.KindPDU:
		failed := e.PType == dissect.PTypeFault || e.PType == dissect.PTypeReject || e.PType == dissect.PTypeBindNak || e.AckRejected
		if !failed && !p.verbose {
			return
		}
		detail := ""
		switch {
		case e.PType == dissect.PTypeFault || e.PType == dissect.PTypeReject:
			detail = string(dissect.AppendStatus(nil, e.Status))
		case e.AckRejected:
			detail = e.AckResult.String() + ": " + e.AckReason.String()
		case e.PType == dissect.PTypeBindNak:
			detail = dissect.RejectReason(e.Status).String()
		}
		op := ""
		if e.OpnumOK {
			if n, ok := names.Opnum(e.Iface.UUID, e.Opnum); ok {
				op = n
			} else {
				op = fmt.Sprintf("opnum %d", e.Opnum)
			}
		}
		fmt.Fprintf(p.w, "%s %6d %-8s %-10s server=%-21s %-18s %s %s\n", ts, e.Frame, "pdu", e.PType, e.Server, ifaceName(e.Iface), op, detail)
	}
}

func (p *printer) summary(name string, st *capture.Stats, took time.Duration) {
	rate := 0.0
	if took > 0 {
		rate = float64(st.Packets) / took.Seconds()
	}
	fmt.Fprintf(p.w, "-- %s: %s packets, %s, %s DCE/RPC PDUs, %s bindings, %s anomalies, %s dropped, in %s (%s packets/s)\n",
		name, humanize.Comma(int64(st.Packets)), humanize.Bytes(st.Bytes), humanize.Comma(int64(st.PDUs)),
		humanize.Comma(int64(st.Bindings)), humanize.Comma(int64(st.Anomalies)), humanize.Comma(int64(st.Dropped())),
		took.Round(time.Millisecond), humanize.Comma(int64(rate)))
}
