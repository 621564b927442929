package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/rpcwatch/rpcwatch/capture/source"
)

const liveUsage = `usage: rpcwatch live -i IFACE [flags] [BPF expression]

Watches a network interface (a span or mirror port, or the host's own) and
prints findings as they happen, until SIGINT or SIGTERM, -c packets or
--duration; then the summary with the kernel's drop counters. Needs root or
CAP_NET_RAW and CAP_NET_ADMIN. Without a BPF expression every packet is read
(dynamic RPC endpoints are on ports you do not know in advance).

SIGUSR1 prints the current endpoint inventory to standard error (standard
output keeps carrying findings, so a JSON stream stays clean); --inventory
also prints it to standard output at the end.

With -w, the last --ring packets (at most --ring-mb MiB) are kept in memory
and a finding's packets are written when it fires; evidence older than the
ring is counted as lost in the summary.

Examples:
  rpcwatch live -i eth1
  rpcwatch live -i eth1 --json -w evidence.pcap 'not port 22'
  rpcwatch live -i lo -c 1000 --duration 1m --inventory
  kill -USR1 $(pidof rpcwatch)     # inventory so far, on stderr
`

func cmdLive(args []string, stdout, stderr io.Writer) int {
	o := &options{}
	fs := newFlagSet("live", liveUsage, stderr)
	addOutputFlags(fs, o)
	fs.StringVar(&o.iface, "i", "", "capture on `IFACE` (\"any\": all interfaces)")
	fs.Int64Var(&o.count, "c", 0, "stop after `N` packets")
	fs.DurationVar(&o.duration, "duration", 0, "stop after `D` (e.g. 30s, 10m)")
	fs.BoolVar(&o.promisc, "promisc", true, "put the interface in promiscuous mode (needed on a span port)")
	fs.IntVar(&o.snaplen, "s", 0, "snap length in bytes (default 262144)")
	fs.BoolVar(&o.inventory, "inventory", false, "print the endpoint inventory at the end")
	fs.StringVar(&o.write, "w", "", "write the packets of every finding to pcap `FILE`")
	fs.IntVar(&o.ring, "ring", defaultRingPackets, "with -w: packets kept for evidence")
	fs.IntVar(&o.ringMB, "ring-mb", defaultRingMB, "with -w: MiB kept for evidence")
	pos, code, ok := parseArgs(fs, args, stdout)
	if !ok {
		return code
	}
	if o.iface == "" {
		fmt.Fprintln(stderr, "rpcwatch live: no interface given (-i IFACE); see rpcwatch live -h")
		return exitUsage
	}
	if o.count < 0 || o.duration < 0 || o.snaplen < 0 || o.ring < 1 || o.ringMB < 1 || o.ringMB > 1<<14 {
		fmt.Fprintln(stderr, "rpcwatch live: -c, --duration and -s must not be negative; --ring and --ring-mb must be positive")
		return exitUsage
	}
	filter := strings.Join(pos, " ")

	src, err := source.OpenLive(source.LiveOptions{
		Interface: o.iface, Filter: filter, SnapLen: o.snaplen, Promisc: o.promisc, Immediate: true,
	})
	if err != nil {
		fmt.Fprintln(stderr, "rpcwatch: "+errLine(o.iface, err))
		return exitError
	}
	defer src.Close()

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	var r renderer = &textRenderer{w: out}
	if o.json {
		r = newJSONRenderer(out)
	}
	a, err := newAnalysis(o, r)
	if err != nil {
		fmt.Fprintln(stderr, "rpcwatch: "+err.Error())
		return exitError
	}
	a.flushEach, a.slowInput = true, true
	if o.write != "" {
		pw, err := createPcap(o.write)
		if err != nil {
			fmt.Fprintln(stderr, "rpcwatch: -w "+errLine(o.write, err))
			return exitError
		}
		a.pw = pw
		a.ring = newRing(o.ring, o.ringMB<<20)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	// Close unblocks Next when the context ends.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			src.Close()
		case <-done:
		}
	}()
	stopInv := inventoryOnSignal(a, o.json, stderr)

	start := clock()
	readErr := a.pump(ctx, src, o.count)
	close(done)
	wg.Wait()
	stopInv()
	src.Close()
	s := a.finish(o.iface, clock().Sub(start))
	if ks, err := src.Stats(); err == nil {
		s.kernel = &ks
	}
	if o.inventory {
		r.inventory(a.det.Inventory())
	}
	code = exitOK
	if a.pw != nil {
		s.writing = true
		s.evidenceWritten, s.evidenceSkipped = a.pw.written, a.pw.skipped
		if err := a.pw.close(src.LinkType()); err != nil {
			fmt.Fprintln(stderr, "rpcwatch: -w "+errLine(o.write, err))
			code = exitError
		}
	}
	r.summary(s)
	out.Flush()
	if readErr != nil {
		fmt.Fprintln(stderr, "rpcwatch: "+errLine(o.iface, readErr))
		code = exitError
	}
	if code == exitOK && a.failed() {
		return exitFinding
	}
	return code
}

// inventoryOnSignal prints the detector's inventory to stderr on every
// SIGUSR1 until the returned stop is called.
func inventoryOnSignal(a *analysis, asJSON bool, stderr io.Writer) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := bufio.NewWriter(stderr)
		var r renderer = &textRenderer{w: w}
		if asJSON {
			r = newJSONRenderer(w)
		}
		for {
			select {
			case <-ch:
				r.inventory(a.det.Inventory())
				r.flush()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
	}
}
