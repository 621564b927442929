package capture

import (
	"context"
	"errors"
	"io"

	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// ctxCheckEvery is how many frames Run reads between looks at its context.
const ctxCheckEvery = 1024

// Run reads src until its end, an error, or ctx is done, feeding every frame
// through one pipeline worker that sends events to h; at the end it flushes
// the open flows and returns the final Stats. The error is nil at the end of
// the input and when ctx ends the run; otherwise it is the source's error
// (a *source.TruncatedError after every complete frame was delivered, for
// instance), and the Stats still count everything read before it.
//
// Frame numbers in events are the source's (1-based, as tshark counts).
// Run is the single-worker loop files use; a live line-rate reader can run
// several pipelines, each fed the frames whose flow.Key.Shard(n) is its index.
func Run(ctx context.Context, src source.Source, cfg Config, h event.Handler) (Stats, error) {
	p, err := New(cfg, h)
	if err != nil {
		return Stats{}, err
	}
	err = p.Read(ctx, src)
	return p.Finish(), err
}

// Read feeds every frame of src through p until the source ends, fails, or
// ctx is done, without flushing the flows (call Finish for that). It returns
// nil at the end of the input or when ctx ends the read, else the source's
// error. Reading several sources into one pipeline joins them as one
// capture.
func (p *Pipeline) Read(ctx context.Context, src source.Source) error {
	for n := 0; ; n++ {
		if n%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil
		}
		data, ci, err := src.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		p.Packet(ci.LinkType, data, int64(ci.Frame), ci.Timestamp)
	}
}
