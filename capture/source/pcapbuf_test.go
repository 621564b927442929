package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// pcapHeader returns a classic pcap file header for Ethernet.
func pcapHeader(be, nanos bool) []byte {
	return writePcap(be, nanos, decode.LinkTypeEthernet, 65535, nil)
}

// modelRec is one record as modelPcap reads it.
type modelRec struct {
	ts              time.Time
	frac            uint32 // as in the file
	caplen, origlen int
	data            []byte
}

// modelPcap reads the records after a classic pcap file header the obvious
// way, over the whole input at once: the reference the File must agree
// with through any reader and any buffer size. It returns the records
// that must be delivered and what comes after them: nil for a clean end,
// or a *TruncatedError / *FormatError with the frame that breaks. A
// record longer than bufLen-16 is an error only a test's small buffer
// gives (MaxPacketLen is smaller than the real buffer).
func modelPcap(body []byte, be, nanos bool, bufLen int) ([]modelRec, error) {
	o := order(be)
	var recs []modelRec
	for off := 0; ; {
		frame := len(recs) + 1
		switch {
		case off == len(body):
			return recs, nil
		case len(body)-off < 16:
			return recs, &TruncatedError{Frame: frame, Err: io.ErrUnexpectedEOF}
		}
		h := body[off : off+16]
		sec, raw := o.Uint32(h[0:]), o.Uint32(h[4:])
		caplen, origlen := o.Uint32(h[8:]), o.Uint32(h[12:])
		switch {
		case caplen > MaxPacketLen:
			return recs, &FormatError{Frame: frame, Err: errors.New("exceeds")}
		case 16+int(caplen) > bufLen:
			return recs, &FormatError{Frame: frame, Err: errRecordOverBuffer}
		case len(body)-off-16 < int(caplen):
			return recs, &TruncatedError{Frame: frame, Err: io.ErrUnexpectedEOF}
		}
		frac := int64(raw)
		if !nanos {
			frac *= 1000
		}
		data := body[off+16 : off+16+int(caplen)]
		recs = append(recs, modelRec{time.Unix(int64(sec), frac).UTC(), raw, int(caplen), int(origlen), data})
		off += 16 + int(caplen)
	}
}

// readerKinds wrap an input the ways a File meets it: whole, one byte per
// Read, half of what is asked, the last bytes with io.EOF, and random
// short chunks (a pipe).
var readerKinds = []struct {
	name string
	wrap func(r io.Reader, seed int64) io.Reader
}{
	{"whole", func(r io.Reader, _ int64) io.Reader { return r }},
	{"onebyte", func(r io.Reader, _ int64) io.Reader { return iotest.OneByteReader(r) }},
	{"half", func(r io.Reader, _ int64) io.Reader { return iotest.HalfReader(r) }},
	{"dataerr", func(r io.Reader, _ int64) io.Reader { return iotest.DataErrReader(r) }},
	{"chunks", func(r io.Reader, seed int64) io.Reader {
		return &chunkReader{r: r, rnd: rand.New(rand.NewSource(seed))}
	}},
}

// chunkReader returns random short reads, some of them empty.
type chunkReader struct {
	r   io.Reader
	rnd *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	n := c.rnd.Intn(3000)
	if n == 0 {
		return 0, nil
	}
	if n < len(p) {
		p = p[:n]
	}
	return c.r.Read(p)
}

// checkModel reads file (a pcap header followed by body, possibly
// gzip-compressed) through src and compares every record and the final
// error with modelPcap.
func checkModel(t *testing.T, src *File, body []byte, be, nanos bool, bufLen int) {
	t.Helper()
	want, wantErr := modelPcap(body, be, nanos, bufLen)
	for i := 0; ; i++ {
		data, ci, err := src.Next()
		if err != nil {
			checkModelEnd(t, i, err, wantErr, len(want))
			if _, _, err2 := src.Next(); err2 != err {
				t.Fatalf("error not sticky: %v then %v", err, err2)
			}
			return
		}
		if i >= len(want) {
			t.Fatalf("frame %d delivered, the model has %d then %v", i+1, len(want), wantErr)
		}
		w := want[i]
		if ci.Frame != i+1 || !ci.Timestamp.Equal(w.ts) || ci.Timestamp.Location() != time.UTC ||
			ci.CaptureLength != w.caplen || ci.Length != w.origlen || ci.LinkType != decode.LinkTypeEthernet ||
			ci.InterfaceIndex != 0 || !bytes.Equal(data, w.data) || cap(data) != len(data) {
			t.Fatalf("frame %d: got %+v (%d bytes, cap %d), want %v caplen %d len %d",
				i+1, ci, len(data), cap(data), w.ts, w.caplen, w.origlen)
		}
	}
}

func checkModelEnd(t *testing.T, got int, err, wantErr error, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("%d frames then %v; the model has %d then %v", got, err, want, wantErr)
	}
	var te, wte *TruncatedError
	var fe, wfe *FormatError
	switch {
	case wantErr == nil:
		if err != io.EOF {
			t.Fatalf("after %d frames: %v, want io.EOF", got, err)
		}
	case errors.As(wantErr, &wte):
		if !errors.As(err, &te) || te.Frame != wte.Frame || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("after %d frames: %v, want truncated in frame %d", got, err, wte.Frame)
		}
	case errors.As(wantErr, &wfe):
		if !errors.As(err, &fe) || fe.Frame != wfe.Frame || !strings.Contains(err.Error(), wfe.Err.Error()) {
			t.Fatalf("after %d frames: %v, want a format error in frame %d (%v)", got, err, wfe.Frame, wfe.Err)
		}
	}
}

// pcapgoAgrees reads file with pcapgo and checks each record, and where
// pcapgo stops, against the model: pcapgo confirms the model on the
// records it accepts (it rejects a captured length above the original
// length, where the File goes on).
func pcapgoAgrees(t *testing.T, file, body []byte, be, nanos bool) {
	t.Helper()
	want, wantErr := modelPcap(body, be, nanos, pcapBufSize)
	r, err := pcapgo.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("pcapgo: %v", err)
	}
	r.SetSnaplen(MaxPacketLen)
	for i := 0; ; i++ {
		data, ci, err := r.ZeroCopyReadPacketData()
		if err != nil {
			switch {
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				// pcapgo also reads a record cut before its first data
				// byte as io.EOF.
				if i != len(want) || (wantErr == nil && err != io.EOF) {
					t.Fatalf("pcapgo: %v after %d records; the model has %d then %v", err, i, len(want), wantErr)
				}
			case strings.Contains(err.Error(), "exceeds original packet length"):
				// pcapgo judges the lengths before reading the data, so
				// the record may also be one the model finds cut short.
				var te *TruncatedError
				odd := i < len(want) && want[i].caplen > want[i].origlen
				if !odd && (i != len(want) || !errors.As(wantErr, &te)) {
					t.Fatalf("pcapgo: %v at record %d; the model disagrees", err, i+1)
				}
			case strings.Contains(err.Error(), "exceeds snap length"):
				var fe *FormatError
				if i != len(want) || !errors.As(wantErr, &fe) {
					t.Fatalf("pcapgo: %v at record %d; the model has %d then %v", err, i+1, len(want), wantErr)
				}
			default:
				t.Fatalf("pcapgo: %v", err)
			}
			return
		}
		if i >= len(want) {
			t.Fatalf("pcapgo record %d beyond the model's %d", i+1, len(want))
		}
		w := want[i]
		// pcapgo multiplies microseconds in 32 bits: compare timestamps
		// only where that does not overflow.
		tsOK := nanos || uint64(w.frac)*1000 < 1<<32
		if ci.CaptureLength != w.caplen || ci.Length != w.origlen || !bytes.Equal(data, w.data) ||
			(tsOK && !ci.Timestamp.Equal(w.ts)) {
			t.Fatalf("pcapgo record %d: %+v, model %v %d %d", i+1, ci, w.ts, w.caplen, w.origlen)
		}
	}
}

// pcapBody builds records of the given captured lengths with random
// contents, timestamps and original lengths (some shorter than captured).
func pcapBody(be, nanos bool, rnd *rand.Rand, caplens []int) []byte {
	o := order(be)
	var b []byte
	for _, n := range caplens {
		h := make([]byte, 16)
		o.PutUint32(h[0:], rnd.Uint32())
		frac := uint32(rnd.Intn(1e6))
		if nanos {
			frac = uint32(rnd.Intn(1e9))
		}
		o.PutUint32(h[4:], frac)
		o.PutUint32(h[8:], uint32(n))
		orig := n + rnd.Intn(3)*100
		if rnd.Intn(8) == 0 && n > 0 {
			orig = n - 1
		}
		o.PutUint32(h[12:], uint32(orig))
		b = append(b, h...)
		data := make([]byte, n)
		rnd.Read(data)
		b = append(b, data...)
	}
	return b
}

// TestPcapModel reads generated captures whose records cross the end of
// the read buffer at every offset of the header and the data — with the
// real buffer and records up to MaxPacketLen, and with small buffers —
// through every reader kind, plain and gzip-compressed, cut at random
// places, and compares each with the model.
func TestPcapModel(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	type input struct {
		name   string
		bufLen int
		lens   []int
	}
	var inputs []input
	// Real buffer: a few MiB of mostly small records, some of the largest
	// size, so that refills land everywhere.
	var lens []int
	for total := 0; total < 5*pcapBufSize; {
		n := rnd.Intn(1600)
		switch rnd.Intn(50) {
		case 0:
			n = MaxPacketLen
		case 1:
			n = rnd.Intn(MaxPacketLen + 1)
		case 2:
			n = 0
		}
		lens = append(lens, n)
		total += 16 + n
	}
	inputs = append(inputs, input{"real-buffer", pcapBufSize, lens})
	// Small buffers: every buffer size from the smallest useful one, with
	// records up to the buffer's capacity and a few beyond it.
	for bufLen := 16; bufLen <= 80; bufLen++ {
		var lens []int
		for i := 0; i < 60; i++ {
			lens = append(lens, rnd.Intn(bufLen-16+1))
		}
		inputs = append(inputs, input{"small", bufLen, lens})
	}
	for _, in := range inputs {
		for _, be := range []bool{false, true} {
			nanos := rnd.Intn(2) == 0
			body := pcapBody(be, nanos, rnd, in.lens)
			cuts := []int{len(body)}
			for i := 0; i < 3; i++ {
				cuts = append(cuts, rnd.Intn(len(body)+1))
			}
			if in.bufLen < 100 {
				// One record one byte too large for the buffer.
				cuts = append(cuts, -1)
			}
			for _, cut := range cuts {
				b := body
				if cut >= 0 {
					b = body[:cut]
				} else {
					b = append(append([]byte(nil), body...), pcapBody(be, nanos, rnd, []int{in.bufLen - 15})...)
				}
				file := append(pcapHeader(be, nanos), b...)
				if in.bufLen == pcapBufSize && cut == len(body) {
					pcapgoAgrees(t, file, b, be, nanos)
				}
				for _, gz := range []bool{false, true} {
					data := file
					if gz {
						data = gzipped(file)
					}
					for k, rk := range readerKinds {
						if in.bufLen == pcapBufSize && rk.name == "onebyte" && cut != len(body) {
							continue // 5 MiB one byte at a time: once per input is enough
						}
						src, err := newFileBuf(rk.wrap(bytes.NewReader(data), int64(k)), "model", -1, nil, in.bufLen)
						if err != nil {
							t.Fatalf("%s buf %d %s gz %v: open: %v", in.name, in.bufLen, rk.name, gz, err)
						}
						t.Run("", func(t *testing.T) { checkModel(t, src, b, be, nanos, in.bufLen) })
					}
				}
			}
		}
	}
}

// FuzzPcapRead is the differential fuzz target of the classic pcap path:
// a valid file header followed by arbitrary record bytes, read through a
// reader kind and a buffer size chosen by the fuzzer, must give exactly
// the model's records and end; with the real buffer pcapgo must agree on
// the records it accepts.
func FuzzPcapRead(f *testing.F) {
	rnd := rand.New(rand.NewSource(2))
	for _, be := range []bool{false, true} {
		f.Add(pcapBody(be, false, rnd, []int{60, 0, 1514, 20}), be, false, uint8(0), uint16(0))
		f.Add(pcapBody(be, true, rnd, []int{40, 40, 40}), be, true, uint8(2), uint16(70))
		f.Add(pcapBody(be, true, rnd, []int{1, 2, 3, 500})[:300], be, true, uint8(4), uint16(200))
	}
	recs := testRecs(f, 5, decode.LinkTypeEthernet, false)
	f.Add(writePcap(false, false, decode.LinkTypeEthernet, 65535, oddRecs(recs))[24:], false, false, uint8(1), uint16(0))
	big := pcapBody(false, false, rnd, []int{0})
	binary.LittleEndian.PutUint32(big[8:], MaxPacketLen+1)
	f.Add(big, false, false, uint8(3), uint16(0))
	f.Fuzz(func(t *testing.T, body []byte, be, nanos bool, mode uint8, small uint16) {
		bufLen := pcapBufSize
		if small != 0 {
			bufLen = 16 + int(small%1024)
		}
		file := append(pcapHeader(be, nanos), body...)
		if mode&0x80 != 0 {
			file = gzipped(file)
		}
		rk := readerKinds[int(mode&0x7f)%len(readerKinds)]
		src, err := newFileBuf(rk.wrap(bytes.NewReader(file), int64(small)), "fuzz", -1, nil, bufLen)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		checkModel(t, src, body, be, nanos, bufLen)
		if small == 0 && mode&0x80 == 0 {
			pcapgoAgrees(t, file, body, be, nanos)
		}
	})
}

// badReader misbehaves: it returns counts outside 0..len(p), or nothing
// at all forever, after the first `good` bytes of r.
type badReader struct {
	r    io.Reader
	good int
	n    int // the count to return once good is spent
}

func (b *badReader) Read(p []byte) (int, error) {
	if b.good > 0 {
		if len(p) > b.good {
			p = p[:b.good]
		}
		n, err := b.r.Read(p)
		b.good -= n
		return n, err
	}
	if b.n == 0 {
		return 0, nil
	}
	return b.n, nil
}

// TestHostileReader: an input that never makes progress or returns
// impossible byte counts ends the File with a FormatError naming the
// frame, without a panic or a hang, at every point of the file.
func TestHostileReader(t *testing.T) {
	body := pcapBody(false, false, rand.New(rand.NewSource(3)), []int{10, 20, 30})
	file := append(pcapHeader(false, false), body...)
	for good := 0; good < len(file); good++ {
		for _, n := range []int{0, -1, 1 << 30} {
			src, err := newFileBuf(&badReader{r: bytes.NewReader(file), good: good, n: n}, "bad", -1, nil, 64)
			if err != nil {
				if good >= 24 {
					t.Errorf("good %d count %d: open: %v", good, n, err)
				}
				checkErrType(t, err)
				continue
			}
			_, err = readAll(src, nil)
			var fe *FormatError
			if !errors.As(err, &fe) || (!errors.Is(err, io.ErrNoProgress) && !errors.Is(err, errReadCount)) {
				t.Errorf("good %d count %d: %v", good, n, err)
			}
		}
	}
}

// errAfter returns the first k bytes of r, the last of them with err,
// and then (as no well-behaved reader would) the rest.
type errAfter struct {
	r   io.Reader
	k   int
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if e.k <= 0 {
		return e.r.Read(p)
	}
	if len(p) > e.k {
		p = p[:e.k]
	}
	n, err := e.r.Read(p)
	if e.k -= n; e.k == 0 {
		err = e.err
	}
	return n, err
}

// TestReadErrorKept: an input error that comes with data is reported once
// the records before it are delivered, in the frame it cuts (at a record
// boundary, the next frame), and the input is not read again after it.
func TestReadErrorKept(t *testing.T) {
	errX := errors.New("disk on fire")
	body := pcapBody(true, true, rand.New(rand.NewSource(6)), []int{10, 0, 30, 5})
	file := append(pcapHeader(true, true), body...)
	for k := 24; k <= len(file); k++ {
		for _, bufLen := range []int{pcapBufSize, 64} {
			src, err := newFileBuf(&errAfter{r: bytes.NewReader(file), k: k, err: errX}, "e", -1, nil, bufLen)
			if err != nil {
				t.Fatalf("k %d: open: %v", k, err)
			}
			want, _ := modelPcap(body[:k-24], true, true, bufLen)
			n, err := readAll(src, nil)
			var fe *FormatError
			if n != len(want) || !errors.As(err, &fe) || fe.Frame != n+1 || !errors.Is(err, errX) {
				t.Errorf("error after %d bytes, buffer %d: %d frames, %v; want %d frames then frame %d", k, bufLen, n, err, len(want), len(want)+1)
			}
		}
	}
}

// TestPcapHeaderErrors: a bad version or a header cut short is reported
// as before the File parsed the header itself (pcapgo's messages).
func TestPcapHeaderErrors(t *testing.T) {
	for _, be := range []bool{false, true} {
		o := order(be)
		for _, c := range []struct {
			major, minor uint16
			want         string
		}{
			{3, 4, "corrupt capture at file header: Unknown major version 3"},
			{2, 2, "corrupt capture at file header: Unknown minor version 2"},
			{0, 0, "corrupt capture at file header: Unknown major version 0"},
		} {
			h := pcapHeader(be, true)
			o.PutUint16(h[4:], c.major)
			o.PutUint16(h[6:], c.minor)
			_, err := NewReader(bytes.NewReader(h), "h.pcap", -1)
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Frame != 0 || err.Error() != "source: h.pcap: "+c.want {
				t.Errorf("version %d.%d: %v", c.major, c.minor, err)
			}
		}
		for cut := 4; cut < 24; cut++ {
			for k, rk := range readerKinds {
				_, err := NewReader(rk.wrap(bytes.NewReader(pcapHeader(be, false)[:cut]), int64(k)), "h.pcap", -1)
				var te *TruncatedError
				if !errors.As(err, &te) || te.Frame != 0 {
					t.Errorf("header cut at %d (%s): %v", cut, rk.name, err)
				}
			}
		}
	}
}

// TestPcapProgress reads a capture through short reads while another
// goroutine polls Progress (run with -race): it never decreases and ends
// at the input's size.
func TestPcapProgress(t *testing.T) {
	rnd := rand.New(rand.NewSource(4))
	lens := make([]int, 3000)
	for i := range lens {
		lens[i] = rnd.Intn(2000)
	}
	file := append(pcapHeader(true, false), pcapBody(true, false, rnd, lens)...)
	src, err := newFileBuf(iotest.HalfReader(bytes.NewReader(file)), "p", int64(len(file)), nil, 4096)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		last := int64(0)
		for {
			read, total := src.Progress()
			if read < last || read > total {
				t.Errorf("progress %d/%d after %d", read, total, last)
				return
			}
			last = read
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	n, err := readAll(src, nil)
	close(done)
	wg.Wait()
	if read, total := src.Progress(); n != len(lens) || err != nil || read != int64(len(file)) || total != int64(len(file)) {
		t.Errorf("%d frames, %v, progress %d/%d of %d", n, err, read, total, len(file))
	}
}

// TestPcapNoAllocsRefill: Next does not allocate when records cross the
// buffer's end and the input returns short reads, plain or gzip.
func TestPcapNoAllocsRefill(t *testing.T) {
	rnd := rand.New(rand.NewSource(5))
	lens := make([]int, 6000)
	for i := range lens {
		lens[i] = rnd.Intn(400)
	}
	file := append(pcapHeader(false, true), pcapBody(false, true, rnd, lens)...)
	for _, gz := range []bool{false, true} {
		data := file
		if gz {
			data = gzipped(file)
		}
		src, err := newFileBuf(iotest.HalfReader(bytes.NewReader(data)), "a", -1, nil, 1024)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			src.Next()
		}
		var sinkErr error
		allocs := testing.AllocsPerRun(len(lens)/2, func() { _, _, sinkErr = src.Next() })
		if allocs != 0 || sinkErr != nil {
			t.Errorf("gzip %v: %v allocations per frame, %v", gz, allocs, sinkErr)
		}
	}
}

// TestPcapgoWritten reads a file written by pcapgo's Writer through a
// small buffer: the model and pcapgo's reader agree with the File.
func TestPcapgoWritten(t *testing.T) {
	var b bytes.Buffer
	w := pcapgo.NewWriterNanos(&b)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	recs := testRecs(t, 30, decode.LinkTypeEthernet, true)
	for _, r := range recs {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: r.ts, CaptureLength: len(r.data), Length: r.origLen}, r.data); err != nil {
			t.Fatal(err)
		}
	}
	file := b.Bytes()
	pcapgoAgrees(t, file, file[24:], false, true)
	src, err := newFileBuf(bytes.NewReader(file), "w", -1, nil, 200)
	if err != nil {
		t.Fatal(err)
	}
	checkModel(t, src, file[24:], false, true, 200)
}

// TestFormatsThroughReaders: format detection reads the first bytes
// itself, so every format, plain and gzip-compressed, must come through
// every reader kind (short reads, data with io.EOF, empty reads) the same.
func TestFormatsThroughReaders(t *testing.T) {
	for _, c := range fileCases(t) {
		for _, gz := range []bool{false, true} {
			data := c.data
			if gz {
				data = gzipped(data)
			}
			for k, rk := range readerKinds {
				src, err := NewReader(rk.wrap(bytes.NewReader(data), int64(k)), c.name, -1)
				if err != nil {
					t.Fatalf("%s gzip %v %s: %v", c.name, gz, rk.name, err)
				}
				if src.Format() != c.fmt || src.Compressed() != gz {
					t.Errorf("%s gzip %v %s: format %v compressed %v", c.name, gz, rk.name, src.Format(), src.Compressed())
				}
				checkFrames(t, src, c.want, c.nanos)
			}
		}
	}
}
