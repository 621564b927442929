package capture

import (
	"errors"
	"io"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
)

// Frame is one frame read and decoded ahead of the pipeline by a
// [Prefetcher]. Data and everything in it that points into the frame stay
// valid until the Prefetcher's next call to Next.
type Frame struct {
	Data []byte
	Info source.Info
	pkt  decode.Packet
	derr error // the decoder's error for pkt
}

// Prefetcher reads a source and decodes its frames (link, IP and transport
// layers) on a goroutine of its own, ahead of the pipeline, so that on a
// machine with two or more CPUs reading and decoding overlap with flow
// tracking, reassembly and dissection. [Pipeline.Read] uses one for files;
// live captures are fed frame by frame (a batch would hold frames back).
//
// Frames are copied into a fixed ring of prefetchBatches batches, each
// with prefetchFrames frame slots and a prefetchArena-byte arena (larger
// than any frame a source returns), all allocated once by NewPrefetcher: the
// reader waits when the pipeline is that far behind, so memory stays
// bounded and nothing is dropped. Frames come out in source order.
//
// # Allocation
//
// After NewPrefetcher, a run allocates only the goroutine it starts
// (Start); Next allocates nothing.
type Prefetcher struct {
	full, free chan *frameBatch
	stop       chan struct{}
	exited     chan struct{}
	dec        *decode.Decoder

	cur *frameBatch
	i   int
	err error // sticky: the source's error once every frame before it was returned
}

const (
	prefetchBatches = 4
	prefetchFrames  = 1024
	prefetchArena   = 4 * source.MaxPacketLen
)

type frameBatch struct {
	n      int
	frames [prefetchFrames]Frame
	arena  []byte
	err    error // on the last batch of a run: what ended it (io.EOF at the end)
}

// NewPrefetcher allocates the batches; Start begins reading a source.
func NewPrefetcher() *Prefetcher {
	f := &Prefetcher{
		full: make(chan *frameBatch, prefetchBatches),
		free: make(chan *frameBatch, prefetchBatches),
		dec:  decode.NewDecoder(),
	}
	for i := 0; i < prefetchBatches; i++ {
		f.free <- &frameBatch{arena: make([]byte, 0, prefetchArena)}
	}
	return f
}

// Start begins reading src. A previous run must have been stopped (Stop) or
// read to its end.
func (f *Prefetcher) Start(src source.Source) {
	f.stop, f.exited = make(chan struct{}), make(chan struct{})
	f.cur, f.i, f.err = nil, 0, nil
	go f.read(src, f.stop, f.exited)
}

// read is the reading goroutine.
func (f *Prefetcher) read(src source.Source, stop <-chan struct{}, exited chan<- struct{}) {
	defer close(exited)
	// pending is a frame read when the arena of the batch being filled had
	// no room for it: it opens the next batch (its data stays valid since
	// Next is not called again before it is copied).
	var pending []byte
	var pendingInfo source.Info
	for {
		var b *frameBatch
		select {
		case b = <-f.free:
		case <-stop:
			return
		}
		b.n, b.arena, b.err = 0, b.arena[:0], nil
		if pending != nil {
			f.add(b, pending, pendingInfo)
			pending = nil
		}
		for b.n < len(b.frames) {
			data, ci, err := src.Next()
			if err != nil {
				b.err = err
				break
			}
			if len(data) > cap(b.arena)-len(b.arena) {
				if len(data) > cap(b.arena) { // larger than any source returns
					b.err = errFrameTooLarge
					break
				}
				pending, pendingInfo = data, ci
				break
			}
			f.add(b, data, ci)
		}
		select {
		case f.full <- b:
		case <-stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

var errFrameTooLarge = errors.New("capture: frame larger than the prefetch arena")

// add copies a frame into b and decodes it there.
func (f *Prefetcher) add(b *frameBatch, data []byte, ci source.Info) {
	off := len(b.arena)
	b.arena = append(b.arena, data...)
	fr := &b.frames[b.n]
	fr.Data = b.arena[off:len(b.arena):len(b.arena)]
	fr.Info = ci
	fr.derr = f.dec.Decode(ci.LinkType, fr.Data, &fr.pkt)
	b.n++
}

// Next returns the next frame, valid until the following call. At the end
// of the source it returns io.EOF, and the source's error after every frame
// before it; errors are sticky.
func (f *Prefetcher) Next() (*Frame, error) {
	for {
		if f.cur != nil {
			if f.i < f.cur.n {
				fr := &f.cur.frames[f.i]
				f.i++
				return fr, nil
			}
			if err := f.cur.err; err != nil {
				f.err = err
			}
			f.free <- f.cur
			f.cur, f.i = nil, 0
		}
		if f.err != nil {
			return nil, f.err
		}
		b, ok := <-f.full
		if !ok {
			return nil, io.EOF
		}
		f.cur = b
	}
}

// Stop ends the run early (or after its end) and waits for the reading
// goroutine, returning every batch to the free list. The source is not
// closed.
func (f *Prefetcher) Stop() {
	if f.stop == nil {
		return
	}
	close(f.stop)
	<-f.exited
	if f.cur != nil {
		f.free <- f.cur
		f.cur = nil
	}
	for {
		select {
		case b := <-f.full:
			f.free <- b
		default:
			f.stop, f.exited = nil, nil
			return
		}
	}
}

// Frame handles a frame read and decoded by a Prefetcher.
func (p *Pipeline) Frame(fr *Frame) {
	p.w.decoded(fr.Data, int64(fr.Info.Frame), fr.Info.Timestamp, &fr.pkt, fr.derr)
}
