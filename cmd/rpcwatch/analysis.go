package main

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// clock is the wall clock used for the summary's processing time; tests
// replace it so golden outputs are stable.
var clock = time.Now

// analysis runs one input (a file or an interface) through a pipeline and a
// detector and sends what they report to a renderer.
type analysis struct {
	o    *options
	r    renderer
	det  *detect.Detector
	pipe *capture.Pipeline
	// ring keeps recent packets for -w when the input cannot be read twice
	// (live, standard input); frames collects evidence frame numbers for a
	// second pass otherwise. At most one is set, and neither without -w.
	ring   *ring
	frames *frameSet
	pw     *pcapWriter

	// noFindings suppresses finding output (rpcwatch inventory).
	noFindings bool
	// flushEach flushes the output after every line (live).
	flushEach bool
	// slowInput makes pump look at its context and publish its packet
	// count after every packet rather than every everyFile packets (inputs
	// that can wait for data: live, pipes; see mayStall).
	slowInput bool

	packets         atomic.Int64
	firstNs, lastNs int64
	worst           detect.Severity
	anyFinding      bool
}

func newAnalysis(o *options, r renderer) (*analysis, error) {
	a := &analysis{o: o, r: r}
	a.det = detect.New(detect.Config{}, a.finding)
	p, err := capture.New(capture.Config{}, a.consume)
	if err != nil {
		return nil, err
	}
	a.pipe = p
	return a, nil
}

// consume, the pipeline's handler, renders a binding event and feeds the
// detector.
func (a *analysis) consume(e *event.Event) {
	if e.Kind == event.KindBinding && !a.noFindings && (a.o.json || a.o.verbose) {
		a.r.binding(e)
		if a.flushEach {
			a.r.flush()
		}
	}
	a.det.Event(e)
}

// finding is the detector's emit callback.
func (a *analysis) finding(f *detect.Finding) {
	if !a.anyFinding || f.Severity > a.worst {
		a.worst = f.Severity
	}
	a.anyFinding = true
	if a.ring != nil {
		a.ring.writeEvidence(f, a.pw)
	}
	if a.frames != nil {
		a.frames.add(f)
	}
	if a.noFindings {
		return
	}
	a.r.finding(f)
	if a.flushEach {
		a.r.flush()
	}
}

// pump feeds src through the pipeline until its end, an error, ctx, or
// limit packets (0: no limit). It returns nil at the end of the input.
//
// Unless output must follow each packet (live) or -w keeps a packet ring,
// the detector and the renderer run on a second goroutine (Pipeline.Go)
// from here until finish.
func (a *analysis) pump(ctx context.Context, src source.Source, limit int64) error {
	if !a.flushEach && a.ring == nil {
		a.pipe.Go()
	}
	// A file is read fast: ctx is looked at and the packet count published
	// for the progress line every everyFile packets (and the count at the
	// end). An input that can wait for data (live, a pipe) does both per
	// packet.
	n := a.packets.Load()
	defer func() { a.packets.Store(n) }()
	file, _ := src.(*source.File)
	var (
		data []byte
		ci   source.Info
		err  error
	)
	for {
		if a.slowInput || n%everyFile == 0 {
			if ctx.Err() != nil {
				return nil
			}
			a.packets.Store(n)
		}
		if file != nil {
			data, err = file.NextInto(&ci)
		} else {
			data, ci, err = src.Next()
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		n++
		ts := ci.Timestamp.UnixNano()
		if n == 1 {
			a.firstNs = ts
		}
		a.lastNs = ts
		if a.ring != nil {
			a.ring.push(int64(ci.Frame), ci, data)
		}
		a.pipe.Packet(ci.LinkType, data, int64(ci.Frame), ci.Timestamp)
		if limit > 0 && n >= limit {
			return nil
		}
	}
}

// everyFile is how many packets of a file pump reads between looks at its
// context and its progress count (a file is read at millions of packets
// per second; the progress line reports about once a second).
const everyFile = 256

// finish flushes the pipeline and the detector and returns the summary.
func (a *analysis) finish(name string, elapsed time.Duration) *summary {
	st := a.pipe.Finish() // ends Go mode
	a.det.Flush()
	s := &summary{
		name:    name,
		cap:     st,
		det:     a.det.Stats(),
		firstNs: a.firstNs,
		lastNs:  a.lastNs,
		elapsed: elapsed,
	}
	if a.ring != nil {
		s.evidenceLost = a.ring.lost
		s.ringFellOut = a.ring.fellOut
	}
	return s
}

// failed reports whether --fail-on is set and a finding reached it.
func (a *analysis) failed() bool {
	return a.o.failOn.set && a.anyFinding && a.worst >= a.o.failOn.sev
}

// summary is what the end of an input reports.
type summary struct {
	name            string
	cap             capture.Stats
	det             detect.Stats
	firstNs, lastNs int64
	elapsed         time.Duration
	// live only
	kernel   *source.Stats
	kernelOK bool
	// evidence (-w)
	evidenceWritten, evidenceSkipped uint64
	evidenceLost, ringFellOut        uint64
	writing                          bool
}

// evicted sums what the pipeline and the detector evicted to stay bounded.
func (s *summary) evicted() uint64 {
	return s.cap.Flows.Evicted + s.cap.ContextsEvicted + s.cap.CallsEvicted + s.cap.COReasm.EvictedCalls +
		s.det.EvictedBindings + s.det.EvictedServers
}

// dropped sums what bounds dropped (pipeline and detector) and the kernel's
// drops for a live capture.
func (s *summary) dropped() uint64 {
	d := s.cap.Dropped() + s.det.DroppedPerIface + s.det.DroppedEndpoint + s.det.FaultCountersFull
	if s.kernel != nil {
		d += s.kernel.Dropped + s.kernel.IfDropped
	}
	return d
}
