package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// gatePackets is the size of the corpora the gate and the benchmarks build
// in memory: large enough that per-run set-up (a 1 MiB read buffer, parser
// construction) is noise, small enough to build in a fraction of a second.
const gatePackets = 60000

type corpus struct {
	name    string
	data    []byte
	packets int
	frames  []rawFrame // parsed once, for the stages that skip the reader
	digest  string     // first 12 hex digits of the SHA-256 of data
}

// seedsFlag: the corpora are built from testdata/ and the shared captures
// ("shared") or, where ../shared is absent or -seeds=testdata, from
// testdata/ and synthetic non-RPC traffic ("testdata"). The two differ
// enough (mixed/read measured 0.159 and 0.274 × the bare loop) that the
// baseline keeps samples for each.
var seedsFlag = flag.String("seeds", "auto", "corpus seeds: auto (shared captures when found) or testdata")

// seedSet is the set the corpora of this test binary were built from.
var seedSet string

type rawFrame struct {
	data []byte
	ts   time.Time
}

var (
	corporaOnce sync.Once
	corpora     []*corpus
	corporaErr  error
)

// testCorpora builds the EPM-heavy and mixed corpora once per test binary.
func testCorpora(t testing.TB) []*corpus {
	t.Helper()
	corporaOnce.Do(func() {
		root, shared, err := Dirs()
		if err != nil {
			corporaErr = err
			return
		}
		switch *seedsFlag {
		case "auto":
		case "testdata":
			shared = ""
		default:
			corporaErr = fmt.Errorf("-seeds %q: want auto or testdata", *seedsFlag)
			return
		}
		seedSet = "testdata"
		if shared != "" {
			seedSet = "shared"
		}
		rpc, other, err := LoadSeeds(root, shared)
		if err != nil {
			corporaErr = err
			return
		}
		for _, spec := range []Spec{EPMHeavy, Mixed} {
			spec.Packets = gatePackets
			var buf bytes.Buffer
			st, err := Build(&buf, rpc, other, spec)
			if err != nil {
				corporaErr = err
				return
			}
			sum := sha256.Sum256(buf.Bytes())
			c := &corpus{name: spec.Name, data: buf.Bytes(), packets: st.Packets, digest: hex.EncodeToString(sum[:6])}
			c.frames, corporaErr = parseFrames(c.data)
			if corporaErr != nil {
				return
			}
			corpora = append(corpora, c)
		}
	})
	if corporaErr != nil {
		t.Fatal(corporaErr)
	}
	return corpora
}

func parseFrames(data []byte) ([]rawFrame, error) {
	src, err := source.NewReader(bytes.NewReader(data), "corpus", int64(len(data)))
	if err != nil {
		return nil, err
	}
	var out []rawFrame
	for {
		b, info, err := src.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rawFrame{append([]byte(nil), b...), info.Timestamp})
	}
}

// runner measures one stage over a whole corpus; make returns a function
// running one pass (state is created once, outside the timed passes).
type runner struct {
	name string
	make func(t testing.TB, c *corpus) func()
}

func bareRun(t testing.TB, c *corpus) func() {
	return func() {
		if _, err := source.BareLoop(bytes.NewReader(c.data)); err != nil {
			t.Fatal(err)
		}
	}
}

func readRun(t testing.TB, c *corpus) func() {
	return func() {
		src, err := source.NewReader(bytes.NewReader(c.data), c.name, int64(len(c.data)))
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, _, err := src.Next(); err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				return
			}
		}
	}
}

func decodeRun(t testing.TB, c *corpus) func() {
	d := decode.NewDecoder()
	var p decode.Packet
	return func() {
		src, err := source.NewReader(bytes.NewReader(c.data), c.name, int64(len(c.data)))
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, info, err := src.Next()
			if err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				return
			}
			_ = d.Decode(info.LinkType, b, &p)
		}
	}
}

// pipelineRun reads the corpus through capture.Pipeline, and through
// detect.Detector as well when withDetect is set, on a second goroutine
// (Pipeline.Go), as rpcwatch read does.
func pipelineRun(withDetect bool) func(t testing.TB, c *corpus) func() {
	return func(t testing.TB, c *corpus) func() {
		var h event.Handler = func(*event.Event) {}
		if withDetect {
			h = detect.New(detect.Config{}, nil).Event
		}
		p, err := capture.New(capture.Config{}, h)
		if err != nil {
			t.Fatal(err)
		}
		return func() {
			src, err := source.NewReader(bytes.NewReader(c.data), c.name, int64(len(c.data)))
			if err != nil {
				t.Fatal(err)
			}
			if withDetect {
				p.Go()
			}
			if err := p.Read(context.Background(), src); err != nil {
				t.Fatal(err)
			}
			p.Finish()
		}
	}
}

// The stages the gate compares with the bare loop, in the order of
// baseline.txt.
var gateStages = []runner{
	{"read", readRun},
	{"decode", decodeRun},
	{"pipeline", pipelineRun(false)},
	{"pipeline+detect", pipelineRun(true)},
}

func timeIt(f func()) time.Duration {
	t0 := time.Now()
	f()
	return time.Since(t0)
}
