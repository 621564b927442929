package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sort"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
)

// Evidence (-w FILE): every packet that contributed to a finding (its Frame
// and its evidence frames) is written to a classic pcap file with nanosecond
// timestamps. Files are read a second time to copy those frames; live
// captures and standard input keep a bounded ring of recent packets instead
// and write a finding's frames when it fires (frames that already fell out of
// the ring are counted as lost).

// maxEvidenceFrames bounds the frame set kept for a file's second pass.
const maxEvidenceFrames = 1 << 20

// frameSet collects the evidence frame numbers of one file.
type frameSet struct {
	m        map[int64]struct{}
	overflow uint64
}

func newFrameSet() *frameSet { return &frameSet{m: make(map[int64]struct{})} }

func (s *frameSet) add(f *detect.Finding) {
	s.put(f.Frame)
	for _, n := range f.Evidence() {
		s.put(n)
	}
}

func (s *frameSet) put(n int64) {
	if n <= 0 {
		return
	}
	if _, ok := s.m[n]; ok {
		return
	}
	if len(s.m) >= maxEvidenceFrames {
		s.overflow++
		return
	}
	s.m[n] = struct{}{}
}

// copyFrames reads the file name again and writes the frames in s to pw. It
// stops at the last wanted frame.
func (s *frameSet) copyFrames(ctx context.Context, name string, pw *pcapWriter) error {
	if len(s.m) == 0 {
		return nil
	}
	var last int64
	for n := range s.m {
		last = max(last, n)
	}
	src, err := source.Open(name)
	if err != nil {
		return err
	}
	defer src.Close()
	for ctx.Err() == nil {
		data, ci, err := src.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if _, ok := s.m[int64(ci.Frame)]; ok {
			if err := pw.write(ci.LinkType, ci.Timestamp, ci.Length, data); err != nil {
				return err
			}
		}
		if int64(ci.Frame) >= last {
			return nil
		}
	}
	return nil
}

// pcapWriter writes a classic pcap file (nanosecond timestamps, the host's
// byte order as written by binary.LittleEndian). gopacket's writer keeps
// link types in a uint8, so the header is written here. All frames must
// share the first frame's link type; others are counted in skipped.
type pcapWriter struct {
	f       *os.File
	w       *bufio.Writer
	lt      decode.LinkType
	started bool
	written uint64
	skipped uint64
	hdr     [16]byte
	// err is the first write error; later writes are not attempted and
	// close reports it.
	err error
}

func createPcap(name string) (*pcapWriter, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	return &pcapWriter{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (pw *pcapWriter) header(lt decode.LinkType) error {
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b23c4d) // nanosecond pcap
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], source.MaxPacketLen)
	binary.LittleEndian.PutUint32(h[20:], uint32(lt))
	pw.lt, pw.started = lt, true
	_, err := pw.w.Write(h[:])
	return err
}

// write appends one record; origLen is the frame's length on the wire.
func (pw *pcapWriter) write(lt decode.LinkType, ts time.Time, origLen int, data []byte) error {
	if pw.err != nil {
		return pw.err
	}
	err := pw.record(lt, ts, origLen, data)
	if err != nil {
		pw.err = err
	}
	return err
}

func (pw *pcapWriter) record(lt decode.LinkType, ts time.Time, origLen int, data []byte) error {
	if !pw.started {
		if err := pw.header(lt); err != nil {
			return err
		}
	}
	if lt != pw.lt {
		pw.skipped++
		return nil
	}
	ns := ts.UnixNano()
	binary.LittleEndian.PutUint32(pw.hdr[0:], uint32(ns/1e9))
	binary.LittleEndian.PutUint32(pw.hdr[4:], uint32(ns%1e9))
	binary.LittleEndian.PutUint32(pw.hdr[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(pw.hdr[12:], uint32(max(origLen, len(data))))
	if _, err := pw.w.Write(pw.hdr[:]); err != nil {
		return err
	}
	_, err := pw.w.Write(data)
	pw.written++
	return err
}

// close writes a header if nothing was written (an empty capture of link
// type lt) and closes the file.
func (pw *pcapWriter) close(lt decode.LinkType) error {
	err := pw.err
	if !pw.started && err == nil {
		err = pw.header(lt)
	}
	if e := pw.w.Flush(); err == nil {
		err = e
	}
	if e := pw.f.Close(); err == nil {
		err = e
	}
	return err
}

// ring keeps the most recent packets (at most len(slots) packets and
// len(buf) bytes) so that a finding's evidence can be written after the
// fact. Frame numbers in the ring are consecutive.
type ring struct {
	buf   []byte
	slots []slot
	head  int // oldest slot
	n     int
	wpos  int
	// fellOut counts packets pushed out of the ring; lost counts evidence
	// frames that were no longer in it when a finding asked for them.
	fellOut, lost uint64
}

type slot struct {
	frame   int64
	ts      time.Time
	lt      decode.LinkType
	origLen int
	off, ln int
	written bool
}

func newRing(packets, bytes int) *ring {
	return &ring{buf: make([]byte, bytes), slots: make([]slot, packets)}
}

func (r *ring) evict() {
	r.head = (r.head + 1) % len(r.slots)
	r.n--
	r.fellOut++
}

// push stores a copy of data (frames longer than the ring are not kept).
func (r *ring) push(frame int64, ci source.Info, data []byte) {
	if len(data) > len(r.buf) || len(r.slots) == 0 {
		r.fellOut++
		return
	}
	if r.n > 0 && frame != r.slots[(r.head+r.n-1)%len(r.slots)].frame+1 {
		// Frame numbers restarted (a new input): start over.
		r.fellOut += uint64(r.n)
		r.head, r.n, r.wpos = 0, 0, 0
	}
	if r.wpos+len(data) > len(r.buf) {
		// Wrap: the slots in the tail are the oldest.
		for r.n > 0 && r.slots[r.head].off >= r.wpos {
			r.evict()
		}
		r.wpos = 0
	}
	end := r.wpos + len(data)
	for r.n > 0 {
		h := &r.slots[r.head]
		if r.n < len(r.slots) && (h.off >= end || h.off+h.ln <= r.wpos) {
			break
		}
		r.evict()
	}
	s := &r.slots[(r.head+r.n)%len(r.slots)]
	*s = slot{frame: frame, ts: ci.Timestamp, lt: ci.LinkType, origLen: ci.Length, off: r.wpos, ln: len(data)}
	copy(r.buf[r.wpos:end], data)
	r.wpos = end
	r.n++
}

func (r *ring) lookup(frame int64) *slot {
	if r.n == 0 {
		return nil
	}
	i := frame - r.slots[r.head].frame
	if i < 0 || i >= int64(r.n) {
		return nil
	}
	return &r.slots[(r.head+int(i))%len(r.slots)]
}

// writeEvidence writes f's frames still in the ring (each frame once, in
// frame order) to pw.
func (r *ring) writeEvidence(f *detect.Finding, pw *pcapWriter) {
	frames := append(f.Evidence(), f.Frame)
	sort.Slice(frames, func(i, j int) bool { return frames[i] < frames[j] })
	for i, n := range frames {
		if n <= 0 || (i > 0 && frames[i-1] == n) {
			continue
		}
		s := r.lookup(n)
		if s == nil {
			r.lost++
			continue
		}
		if s.written {
			continue
		}
		s.written = true
		pw.write(s.lt, s.ts, s.origLen, r.buf[s.off:s.off+s.ln])
	}
}
