package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
)

const readUsage = `usage: rpcwatch read [flags] FILE... | -

Analyses captures offline: pcap or pcapng files, optionally gzip-compressed,
or standard input with "-". Each file is analysed on its own (frame numbers
are the file's, 1-based as in tshark and Wireshark). Findings are printed as
aligned text lines (or JSON lines with --json), then a summary per file.

Examples:
  rpcwatch read capture.pcap
  rpcwatch read -v --inventory span-*.pcapng.gz
  rpcwatch read --json capture.pcap | jq 'select(.kind=="finding")'
  tcpdump -r big.pcap -w - 'port 135 or portrange 1024-65535' | rpcwatch read -
  rpcwatch read --fail-on medium -w evidence.pcap nightly.pcap   # CI: exit 3 on findings

Exit codes: 0 done, 1 an input could not be read completely (the others are
still analysed), 2 usage error, 3 a finding at or above --fail-on (1 wins
over 3).
`

// input is what read and inventory share.
type input struct {
	o      *options
	r      renderer
	out    *bufio.Writer
	stderr io.Writer
	pw     *pcapWriter
	// inventoryOnly: print the inventory, not findings or the summary.
	inventoryOnly bool
	progress      bool
}

func cmdRead(args []string, stdout, stderr io.Writer) int {
	o := &options{}
	fs := newFlagSet("read", readUsage, stderr)
	addOutputFlags(fs, o)
	fs.BoolVar(&o.inventory, "inventory", false, "print the endpoint inventory after each file's findings")
	fs.StringVar(&o.write, "w", "", "write every packet that contributed to a finding to pcap `FILE`")
	fs.StringVar(&o.cpuprof, "cpuprofile", "", "write a CPU profile of the run to `FILE` (pprof; make pgo builds cmd/rpcwatch/default.pgo from these)")
	files, code, ok := parseArgs(fs, args, stdout)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "rpcwatch read: no capture file given (use - for standard input); see rpcwatch read -h")
		return exitUsage
	}
	stop := func() error { return nil }
	if o.cpuprof != "" {
		var err error
		if stop, err = startCPUProfile(o.cpuprof); err != nil {
			fmt.Fprintln(stderr, "rpcwatch: -cpuprofile "+errLine(o.cpuprof, err))
			return exitError
		}
	}
	code = readFiles(files, o, false, stdout, stderr)
	if err := stop(); err != nil {
		fmt.Fprintln(stderr, "rpcwatch: -cpuprofile "+errLine(o.cpuprof, err))
		return exitError
	}
	return code
}

// startCPUProfile starts runtime/pprof's CPU profile into a new file; stop
// ends it and closes the file.
func startCPUProfile(name string) (stop func() error, err error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// readFiles analyses each file in turn, keeping going after a file's error.
func readFiles(files []string, o *options, inventoryOnly bool, stdout, stderr io.Writer) int {
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	in := &input{o: o, out: out, stderr: stderr, inventoryOnly: inventoryOnly}
	if o.json {
		jr := newJSONRenderer(out)
		in.r = jr
	} else {
		in.r = &textRenderer{w: out}
	}
	in.progress = !o.quiet && isTerminal(stderr)
	code := exitOK
	if o.write != "" {
		pw, err := createPcap(o.write)
		if err != nil {
			fmt.Fprintln(stderr, "rpcwatch: -w "+errLine(o.write, err))
			return exitError
		}
		in.pw = pw
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed := false
	var firstLT decode.LinkType = decode.LinkTypeEthernet
	for i, name := range files {
		if jr, ok := in.r.(*jsonRenderer); ok && len(files) > 1 {
			jr.file = name
		}
		lt, hit, err := in.readFile(ctx, name)
		if i == 0 {
			firstLT = lt
		}
		failed = failed || hit
		if err != nil {
			out.Flush()
			fmt.Fprintln(stderr, "rpcwatch: "+errLine(name, err))
			code = exitError
		}
		if ctx.Err() != nil {
			break
		}
	}
	if in.pw != nil {
		if err := in.pw.close(firstLT); err != nil {
			out.Flush()
			fmt.Fprintln(stderr, "rpcwatch: -w "+errLine(o.write, err))
			code = exitError
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(stderr, "rpcwatch: writing output:", err)
		return exitError
	}
	if code == exitOK && failed {
		return exitFinding
	}
	return code
}

// readFile analyses one file. It returns the file's link type (for an empty
// evidence pcap), whether --fail-on was reached, and the error that stopped
// the read (the summary of what was read before it is printed anyway).
func (in *input) readFile(ctx context.Context, name string) (decode.LinkType, bool, error) {
	src, err := source.Open(name)
	if err != nil {
		return decode.LinkTypeEthernet, false, err
	}
	defer src.Close()
	a, err := newAnalysis(in.o, in.r)
	if err != nil {
		return src.LinkType(), false, err
	}
	a.noFindings = in.inventoryOnly
	a.slowInput = mayStall(src)
	var written, skipped uint64
	if in.pw != nil {
		a.pw = in.pw
		written, skipped = in.pw.written, in.pw.skipped
		if name == "-" {
			a.ring = newRing(defaultRingPackets, defaultRingMB<<20)
		} else {
			a.frames = newFrameSet()
		}
	}
	var stopProgress func()
	if in.progress {
		stopProgress = startProgress(in.stderr, name, src, &a.packets)
	}
	start := clock()
	readErr := a.pump(ctx, src, 0)
	if stopProgress != nil {
		stopProgress()
	}
	s := a.finish(displayName(name), clock().Sub(start))
	if in.inventoryOnly || in.o.inventory {
		in.r.inventory(a.det.Inventory())
	}
	if in.inventoryOnly {
		return src.LinkType(), a.failed(), readErr
	}
	if a.frames != nil {
		if err := a.frames.copyFrames(ctx, name, in.pw); err != nil && readErr == nil {
			readErr = err
		}
	}
	if in.pw != nil {
		s.writing = true
		s.evidenceWritten, s.evidenceSkipped = in.pw.written-written, in.pw.skipped-skipped
	}
	in.r.summary(s)
	return src.LinkType(), a.failed(), readErr
}

func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// Ring defaults for -w on live captures and standard input.
const (
	defaultRingPackets = 65536
	defaultRingMB      = 64
)

// mayStall reports whether src can wait for its data: anything but a regular
// file (a pipe, a FIFO, a terminal, a device), whose size Open could not
// learn. pump looks at its context after every packet of such an input, so
// that an interrupt is not held up waiting for more packets.
func mayStall(src *source.File) bool {
	_, total := src.Progress()
	return total < 0
}
