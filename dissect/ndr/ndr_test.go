package ndr

import (
	"errors"
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

var testUUID = dissect.MustParseUUID("12345778-1234-abcd-ef00-0123456789ac")

// fixture is everything decodeFixture reads, for comparison.
type fixture struct {
	A8      uint8
	A16     uint16
	A32     uint32
	A64     uint64
	U       dissect.UUID
	Ptr     uint32
	NullPtr uint32
	Syntax  dissect.SyntaxID
	Handle  ContextHandle
	Conf    ArrayHeader
	Elems   []uint16
	CV      ArrayHeader
	VStr    string
	CVStr   string
	WStr    string
	Tail    uint32
}

// encodeFixture builds one stub exercising every primitive, with the
// alignment gaps NDR puts between them.
func encodeFixture(le bool) []byte {
	e := dcetest.New(le)
	e.U8(0x7f)                   // 0
	e.Align(2).U16(0xbeef)       // 2
	e.Align(4).U32(0xdeadbeef)   // 4
	e.Align(8).U64(0x0102030405) // 8
	e.UUID(testUUID)             // 16
	e.U32(0x00020000)            // 32: ptr
	e.U32(0)                     // 36: null ptr
	e.UUID(dissect.EPMv4).U16(3).U16(0)
	e.U32(0).UUIDString("a8e0653c-2744-4389-a61d-7373df8b2292") // handle
	e.U32(3).U16(1).U16(2).U16(3)                               // conformant array of shorts
	e.Align(4).U32(10).U32(0).U32(2).U16(7).U16(8)              // conformant-varying, 2 of 10
	e.Align(4).U32(0).U32(5).Bytes([]byte("epm1\x00"))          // varying string
	e.Align(4).U32(9).U32(0).U32(4).Bytes([]byte("abc\x00"))    // conformant-varying string
	e.Align(4).U32(3).U32(0).U32(3)                             // UTF-16 "hé" + NUL
	e.U16('h').U16(0xe9).U16(0)
	e.Align(4).U32(0xcafe)
	return e.B
}

func decodeFixture(r *Reader) fixture {
	var f fixture
	f.A8 = r.U8()
	f.A16 = r.U16()
	f.A32 = r.U32()
	f.A64 = r.U64()
	f.U = r.UUID()
	f.Ptr = r.Pointer()
	f.NullPtr = r.Pointer()
	f.Syntax = r.SyntaxID()
	f.Handle = r.ContextHandle()
	f.Conf = r.ConformantArray(2)
	for i := uint32(0); i < f.Conf.Count() && r.Err() == nil; i++ {
		f.Elems = append(f.Elems, r.U16())
	}
	f.CV = r.ConformantVaryingArray(2)
	for i := uint32(0); i < f.CV.Count() && r.Err() == nil; i++ {
		f.Elems = append(f.Elems, r.U16())
	}
	s := r.VaryingString(1, 64)
	f.VStr = string(s.Bytes())
	s = r.ConformantVaryingString(1)
	f.CVStr = string(s.Bytes())
	s = r.ConformantVaryingString(2)
	f.WStr = string(s.AppendUTF8(nil))
	f.Tail = r.U32()
	return f
}

func TestPrimitivesBothOrders(t *testing.T) {
	want := fixture{
		A8: 0x7f, A16: 0xbeef, A32: 0xdeadbeef, A64: 0x0102030405, U: testUUID,
		Ptr: 0x00020000, Syntax: dissect.SyntaxID{UUID: dissect.EPMv4, Major: 3},
		Handle: ContextHandle{UUID: dissect.MustParseUUID("a8e0653c-2744-4389-a61d-7373df8b2292")},
		Conf:   ArrayHeader{Off: 80, MaxCount: 3, Conformant: true},
		Elems:  []uint16{1, 2, 3, 7, 8},
		CV:     ArrayHeader{Off: 92, MaxCount: 10, ActualCount: 2, Conformant: true, Varying: true},
		VStr:   "epm1", CVStr: "abc", WStr: "hé", Tail: 0xcafe,
	}
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			b := encodeFixture(le)
			var an dissect.Anomalies
			r := NewReader(b, le, &an)
			got := decodeFixture(&r)
			if r.Err() != nil {
				t.Fatalf("err %v at %d", r.Err(), r.ErrOff())
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if r.Remaining() != 0 {
				t.Fatalf("%d bytes left", r.Remaining())
			}
			if an.Len() != 0 {
				t.Fatalf("unexpected anomalies: %v", an.At(0))
			}
		})
	})
}

func TestAlignmentCountsFromStubStart(t *testing.T) {
	// A stub cut out of a larger buffer at an odd address still aligns
	// from its own first byte.
	e := dcetest.New(true)
	e.U8(1).Align(4).U32(0x11223344)
	buf := append([]byte{0xff, 0xff, 0xff}, e.B...)
	r := NewReader(buf[3:], true, nil)
	r.U8()
	if v := r.U32(); v != 0x11223344 || r.Off() != 8 {
		t.Fatalf("U32 = %#x at %d", v, r.Off())
	}
}

func TestStickyError(t *testing.T) {
	r := NewReader([]byte{1, 2, 3}, true, nil)
	if r.U32() != 0 || !errors.Is(r.Err(), dissect.ErrShort) || r.ErrOff() != 0 {
		t.Fatalf("U32 on 3 bytes: err %v off %d", r.Err(), r.ErrOff())
	}
	if r.U8() != 0 || r.Off() != 0 {
		t.Fatal("read after error moved or returned data")
	}
	fe := r.FormatError("test")
	var f *dissect.FormatError
	if !errors.As(fe, &f) || !errors.Is(fe, dissect.ErrShort) {
		t.Fatalf("FormatError = %v", fe)
	}
}

func TestHostileCounts(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			// max_count 0xffffffff with 8 bytes behind it: refused before any loop.
			e := dcetest.New(le).U32(0xffffffff).U64(0)
			r := NewReader(e.B, le, nil)
			h := r.ConformantArray(1)
			if !errors.Is(r.Err(), dissect.ErrLength) || h.MaxCount != 0xffffffff {
				t.Fatalf("conformant: err %v h %+v", r.Err(), h)
			}
			// A conformant-varying array may announce a huge max_count: only
			// actual_count has to fit.
			e = dcetest.New(le).U32(500).U32(0).U32(1).U32(7)
			var an dissect.Anomalies
			r = NewReader(e.B, le, &an)
			h = r.ConformantVaryingArray(4)
			if r.Err() != nil || h.Count() != 1 || an.Len() != 0 {
				t.Fatalf("cv: err %v h %+v anomalies %d", r.Err(), h, an.Len())
			}
			// actual_count too large for the bytes.
			e = dcetest.New(le).U32(500).U32(0).U32(400).U32(7)
			r = NewReader(e.B, le, nil)
			r.ConformantVaryingArray(4)
			if !errors.Is(r.Err(), dissect.ErrLength) {
				t.Fatalf("cv actual too large: err %v", r.Err())
			}
			// offset+actual beyond max: anomaly, decoding goes on.
			e = dcetest.New(le).U32(1).U32(1).U32(1).U32(7)
			an.Reset()
			r = NewReader(e.B, le, &an)
			h = r.ConformantVaryingArray(4)
			if r.Err() != nil || !an.Has(dissect.AnomNDRVaryingBounds) || an.At(0).Off != 0 || an.At(0).A != 2 {
				t.Fatalf("cv bounds: err %v anomalies %+v", r.Err(), an)
			}
			// Varying array of fixed bound 2 with 3 elements.
			e = dcetest.New(le).U32(0).U32(3).U16(1).U16(2).U16(3)
			an.Reset()
			r = NewReader(e.B, le, &an)
			h = r.VaryingArray(2, 2)
			if r.Err() != nil || !an.Has(dissect.AnomNDRVaryingBounds) || h.Count() != 3 {
				t.Fatalf("varying: err %v h %+v", r.Err(), h)
			}
			// Sums that overflow 32 bits do not wrap.
			e = dcetest.New(le).U32(0xffffffff).U32(0xffffffff).U32(1).U32(0)
			an.Reset()
			r = NewReader(e.B, le, &an)
			r.ConformantVaryingArray(1)
			if r.Err() != nil || !an.Has(dissect.AnomNDRVaryingBounds) || an.At(0).A != 0xffffffff {
				t.Fatalf("overflow: err %v anomalies %+v", r.Err(), an)
			}
		})
	})
}

func TestStringChecks(t *testing.T) {
	type tc struct {
		name  string
		build func(e *dcetest.Enc)
		conf  bool
		width int
		bound uint32
		text  string
		kinds []dissect.AnomalyKind
		err   error
	}
	cases := []tc{
		{name: "ok", build: func(e *dcetest.Enc) { e.U32(0).U32(3).Bytes([]byte("ab\x00")) }, bound: 64, text: "ab"},
		{name: "empty-terminated", build: func(e *dcetest.Enc) { e.U32(0).U32(1).U8(0) }, bound: 64, text: ""},
		{name: "zero-length", build: func(e *dcetest.Enc) { e.U32(0).U32(0) }, bound: 64, text: "",
			kinds: []dissect.AnomalyKind{dissect.AnomNDRStringUnterminated}},
		{name: "unterminated", build: func(e *dcetest.Enc) { e.U32(0).U32(2).Bytes([]byte("ab")) }, bound: 64, text: "ab",
			kinds: []dissect.AnomalyKind{dissect.AnomNDRStringUnterminated}},
		{name: "embedded-nul", build: func(e *dcetest.Enc) { e.U32(0).U32(4).Bytes([]byte("a\x00b\x00")) }, bound: 64, text: "a",
			kinds: []dissect.AnomalyKind{dissect.AnomNDRStringEmbeddedNUL}},
		{name: "offset", build: func(e *dcetest.Enc) { e.U32(1).U32(2).Bytes([]byte("a\x00")) }, bound: 64, text: "a",
			kinds: []dissect.AnomalyKind{dissect.AnomNDRStringOffset}},
		{name: "too-long", build: func(e *dcetest.Enc) { e.U32(0).U32(3).Bytes([]byte("ab\x00")) }, bound: 2, text: "ab",
			kinds: []dissect.AnomalyKind{dissect.AnomNDRStringTooLong}},
		{name: "count-past-end", build: func(e *dcetest.Enc) { e.U32(0).U32(9).Bytes([]byte("ab\x00")) }, bound: 64,
			err: dissect.ErrLength},
		{name: "cv-bounds", conf: true, build: func(e *dcetest.Enc) { e.U32(1).U32(0).U32(2).Bytes([]byte("a\x00")) }, text: "a",
			kinds: []dissect.AnomalyKind{dissect.AnomNDRVaryingBounds}},
		{name: "utf16-surrogates", conf: true, width: 2, build: func(e *dcetest.Enc) {
			e.U32(4).U32(0).U32(4).U16(0xd83d).U16(0xde00).U16(0xd800).U16(0)
		}, text: "\U0001F600\uFFFD"},
	}
	for _, c := range cases {
		dcetest.BothOrders(func(name string, le bool) {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				e := dcetest.New(le)
				c.build(e)
				var an dissect.Anomalies
				r := NewReader(e.B, le, &an)
				var s String
				if c.conf {
					s = r.ConformantVaryingString(max(c.width, 1))
				} else {
					s = r.VaryingString(max(c.width, 1), c.bound)
				}
				if !errors.Is(r.Err(), c.err) {
					t.Fatalf("err %v, want %v", r.Err(), c.err)
				}
				if c.err != nil {
					return
				}
				if got := string(s.AppendUTF8(nil)); got != c.text {
					t.Fatalf("text %q, want %q", got, c.text)
				}
				if an.Len() != len(c.kinds) {
					t.Fatalf("anomalies %d, want %v", an.Len(), c.kinds)
				}
				for i, k := range c.kinds {
					if an.At(i).Kind != k {
						t.Fatalf("anomaly %d = %v, want %v", i, an.At(i).Kind, k)
					}
				}
			})
		})
	}
}

func TestRefPointerNull(t *testing.T) {
	var an dissect.Anomalies
	r := NewReader([]byte{9, 0, 0, 0, 0, 0, 0, 0}, true, &an)
	r.U8()
	if id := r.RefPointer(); id != 0 || !an.Has(dissect.AnomNDRNullRef) || an.At(0).Off != 4 {
		t.Fatalf("id %d anomalies %+v", id, an)
	}
}

func TestSeek(t *testing.T) {
	r := NewReader(make([]byte, 8), true, nil)
	r.Seek(8)
	if r.Err() != nil || r.Remaining() != 0 {
		t.Fatal("seek to end failed")
	}
	r.Seek(9)
	if !errors.Is(r.Err(), dissect.ErrShort) {
		t.Fatal("seek past end accepted")
	}
}

// TestTruncation decodes every prefix of the fixture: no panic, and a
// prefix never decodes without an error unless it is the whole stub.
func TestTruncation(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		b := encodeFixture(le)
		for n := 0; n < len(b); n++ {
			r := NewReader(b[:n], le, nil)
			decodeFixture(&r)
			if r.Err() == nil {
				t.Fatalf("%s: prefix %d of %d decoded without error", name, n, len(b))
			}
			if r.Off() > n {
				t.Fatalf("%s: offset %d past end %d", name, r.Off(), n)
			}
		}
	})
}

// TestResetReuse checks that a Reader reset on a new stub behaves as a fresh
// one.
func TestResetReuse(t *testing.T) {
	a, b := encodeFixture(true), encodeFixture(false)
	r := NewReader(a[:5], true, nil)
	decodeFixture(&r)
	r.Reset(b, false, nil)
	got := decodeFixture(&r)
	fresh := NewReader(b, false, nil)
	want := decodeFixture(&fresh)
	if !reflect.DeepEqual(got, want) || r.Err() != nil {
		t.Fatalf("reset decode differs: %+v vs %+v (err %v)", got, want, r.Err())
	}
}

// TestNDR64 reads pointers, array headers and strings in NDR64 form: 8-byte
// referent ids and counts aligned to 8.
func TestNDR64(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			e := dcetest.New(le)
			e.U32(7)                                           // 0: u32
			e.Align(8).U64(0x20000)                            // 8: pointer
			e.UUID(testUUID)                                   // 16: pointee
			e.Align(8).U64(0x100000000)                        // 32: pointer above 32 bits
			e.U64(3).U32(1).U32(2).U32(3)                      // 40: conformant array of 3 longs
			e.Align(8).U64(500).U64(0).U64(1).U32(9)           // 64: conformant-varying, 1 of 500
			e.Align(8).U64(0).U64(5).Bytes([]byte("samr\x00")) // 96: varying string
			e.Align(8).U64(1).U64(0).U64(0x1_0000_0000)        // hostile count
			var an dissect.Anomalies
			r := NewReaderSyntax(e.B, le, NDR64, &an)
			if r.Syntax() != NDR64 || r.Syntax().String() != "ndr64" {
				t.Fatal("syntax")
			}
			if r.U32() != 7 || r.Pointer() != 0x20000 || r.UUID() != testUUID || r.Pointer() != 0xffffffff {
				t.Fatalf("scalars wrong, err %v", r.Err())
			}
			h := r.ConformantArray(4)
			if h.Off != 40 || h.Count() != 3 {
				t.Fatalf("conformant %+v", h)
			}
			r.U32()
			r.U32()
			r.U32()
			h = r.ConformantVaryingArray(4)
			if h.Off != 64 || h.MaxCount != 500 || h.Count() != 1 || r.U32() != 9 {
				t.Fatalf("cv %+v", h)
			}
			r.StructAlign()
			s := r.VaryingString(1, 64)
			if s.Header.Off != 96 || string(s.Bytes()) != "samr" {
				t.Fatalf("string %+v %q", s.Header, s.Bytes())
			}
			r.ConformantVaryingArray(1)
			if !errors.Is(r.Err(), dissect.ErrLength) || an.Len() != 1 || an.At(0).Kind != dissect.AnomNDRVaryingBounds {
				t.Fatalf("hostile count: err %v anomalies %d", r.Err(), an.Len())
			}
		})
	})
}

// TestPointerArray reads blocks of referent ids in both byte orders and
// both syntaxes: the ids, their offsets, the Reader's position after them,
// and a block that does not fit.
func TestPointerArray(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name+"/ndr20", func(t *testing.T) {
			e := dcetest.New(le).U8(9).Align(4).U32(0x20000).U32(0).U32(0x20004).U32(0xfeed)
			r := NewReader(e.B, le, nil)
			r.U8()
			p := r.PointerArray(3)
			if r.Err() != nil || p.Len() != 3 || p.At(0) != 0x20000 || p.At(1) != 0 || p.At(2) != 0x20004 ||
				p.Off(0) != 4 || p.Off(2) != 12 || r.Off() != 16 || r.U32() != 0xfeed {
				t.Fatalf("err %v len %d ids %#x %#x %#x off %d", r.Err(), p.Len(), p.At(0), p.At(1), p.At(2), r.Off())
			}
			r = NewReader(e.B, le, nil)
			r.U8()
			if p = r.PointerArray(5); !errors.Is(r.Err(), dissect.ErrShort) || r.ErrOff() != 1 || p.Len() != 0 {
				t.Fatalf("short: err %v at %d, len %d", r.Err(), r.ErrOff(), p.Len())
			}
		})
		t.Run(name+"/ndr64", func(t *testing.T) {
			e := dcetest.New(le).U32(1).Align(8).U64(0x20000).U64(0x1_0000_0000)
			r := NewReaderSyntax(e.B, le, NDR64, nil)
			r.U32()
			p := r.PointerArray(2)
			if r.Err() != nil || p.Len() != 2 || p.At(0) != 0x20000 || p.At(1) != 0xffffffff || p.Off(1) != 16 || r.Remaining() != 0 {
				t.Fatalf("err %v len %d ids %#x %#x", r.Err(), p.Len(), p.At(0), p.At(1))
			}
		})
	})
}

// TestReadInPlace checks the Read* forms against the value-returning ones
// and that they overwrite what the destination held, on success and on
// failure.
func TestReadInPlace(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			b := encodeFixture(le)
			r1, r2 := NewReader(b, le, nil), NewReader(b, le, nil)
			r1.Seek(16)
			r2.Seek(16)
			u := dissect.UUID{0xff}
			if r2.ReadUUID(&u); u != r1.UUID() || u != testUUID || r1.Off() != r2.Off() {
				t.Fatalf("ReadUUID %v", u)
			}
			r1.Seek(80)
			r2.Seek(80)
			want := r1.ConformantArray(2)
			if n := r2.ConformantCount(2); n != want.MaxCount || r1.Off() != r2.Off() || n != 3 {
				t.Fatalf("ConformantCount %d, header %+v", n, want)
			}
			short := NewReader(b[:18], le, nil)
			short.Seek(16)
			h := ContextHandle{Attributes: 1, UUID: testUUID}
			if short.ReadContextHandle(&h); h != (ContextHandle{}) || short.Err() == nil {
				t.Fatalf("failed ReadContextHandle left %+v", h)
			}
		})
	})
}
