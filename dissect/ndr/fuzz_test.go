package ndr

import (
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// FuzzNDR interprets its input as byte-order and NDR64 flags, eight operation codes
// and a stub, then applies the operations (cycling, at most 256) to the
// stub. Every primitive is reachable. It checks that nothing panics, that
// the offset never moves backwards or past the end, and that an error stops
// the Reader for good.
func FuzzNDR(f *testing.F) {
	for _, le := range []bool{true, false} {
		flag := byte(0)
		if le {
			flag = 1
		}
		f.Add(append([]byte{flag, 0, 1, 2, 3, 4, 5, 6, 7}, encodeFixture(le)...))
		f.Add(append([]byte{flag, 9, 10, 11, 12, 13, 14, 8, 2}, encodeFixture(le)...))
	}
	f.Add([]byte{1, 11, 11, 11, 11, 11, 11, 11, 11, 0xff, 0xff, 0xff, 0xff})
	f.Add(append([]byte{3, 5, 10, 12, 13, 9, 6, 15, 4}, encodeFixture(true)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 9 {
			return
		}
		le := data[0]&1 == 1
		syn := NDR20
		if data[0]&2 != 0 {
			syn = NDR64
		}
		ops := data[1:9]
		stub := data[9:]
		var an dissect.Anomalies
		r := NewReaderSyntax(stub, le, syn, &an)
		last := 0
		for i := 0; i < 256; i++ {
			op := ops[i%len(ops)] % 20
			switch op {
			case 0:
				r.U8()
			case 1:
				r.U16()
			case 2:
				r.U32()
			case 3:
				r.U64()
			case 4:
				r.UUID()
			case 5:
				r.Pointer()
			case 6:
				r.RefPointer()
			case 7:
				r.ContextHandle()
			case 8:
				r.SyntaxID()
			case 9:
				ref, refAn := r, an
				ref.anom = &refAn
				want := refConformantArray(&ref, 2)
				h := r.ConformantArray(2)
				sameReader(t, "ConformantArray", &r, &ref, h, want)
				for j := uint32(0); j < h.Count() && r.Err() == nil; j++ {
					r.U16()
				}
			case 10:
				ref, refAn := r, an
				ref.anom = &refAn
				want := refConformantVaryingArray(&ref, 4)
				h := r.ConformantVaryingArray(4)
				sameReader(t, "ConformantVaryingArray", &r, &ref, h, want)
				for j := uint32(0); j < h.Count() && r.Err() == nil; j++ {
					r.U32()
				}
			case 11:
				h := r.VaryingArray(1, 16)
				r.Octets(int(min(h.Count(), uint32(r.Remaining()))))
			case 12:
				s := r.VaryingString(1, 64)
				_ = s.AppendUTF8(nil)
			case 13:
				s := r.ConformantVaryingString(2)
				_ = s.AppendUTF8(nil)
			case 14:
				s := r.ConformantVaryingString(1)
				_ = s.Bytes()
			case 15:
				r.Align(8)
			case 16:
				// PointerArray reads what n Pointer calls read.
				n := int(data[0] >> 4)
				ref := r
				ref.anom = nil
				want := make([]uint32, 0, n)
				for j := 0; j < n && ref.Err() == nil; j++ {
					want = append(want, ref.Pointer())
				}
				p := r.PointerArray(n)
				if (r.Err() == nil) != (ref.Err() == nil) || (r.Err() == nil && (r.Off() != ref.Off() || p.Len() != n)) {
					t.Fatalf("PointerArray(%d): off %d err %v, Pointer calls: off %d err %v", n, r.Off(), r.Err(), ref.Off(), ref.Err())
				}
				for j := 0; j < p.Len(); j++ {
					if p.At(j) != want[j] {
						t.Fatalf("PointerArray(%d)[%d] = %#x, Pointer %#x", n, j, p.At(j), want[j])
					}
				}
			case 17:
				u := dissect.UUID{1}
				ref := r
				want := ref.UUID()
				if r.ReadUUID(&u); u != want {
					t.Fatalf("ReadUUID %v, UUID %v", u, want)
				}
			case 18:
				ref, refAn := r, an
				ref.anom = &refAn
				want := refConformantArray(&ref, 1)
				n := r.ConformantCount(1)
				sameReader(t, "ConformantCount", &r, &ref, ArrayHeader{Off: want.Off, MaxCount: n, Conformant: true}, want)
			case 19:
				h := ArrayHeader{Off: 99, MaxCount: 1, Varying: true}
				ref := r
				ref.anom = nil
				want := ref.ConformantVaryingArray(2)
				r.ReadConformantVaryingArray(&h, 2)
				if h != want {
					t.Fatalf("ReadConformantVaryingArray %+v, ConformantVaryingArray %+v", h, want)
				}
			}
			if r.Off() < last || r.Off() > len(stub) {
				t.Fatalf("op %d: offset %d (was %d, len %d)", op, r.Off(), last, len(stub))
			}
			if r.Err() != nil {
				off := r.Off()
				r.U32()
				r.ConformantVaryingString(2)
				if r.Off() != off {
					t.Fatal("reader moved after error")
				}
				return
			}
			last = r.Off()
		}
	})
}

// refConformantArray and refConformantVaryingArray are the array header
// reads written with the Reader's primitives alone, without the NDR 2.0
// fast paths: FuzzNDR holds the real methods to them.
func refConformantArray(r *Reader, minElem int) ArrayHeader {
	r.Align(r.countSize())
	h := ArrayHeader{Off: r.off, Conformant: true}
	h.MaxCount = r.count()
	r.fits(h.MaxCount, minElem)
	return h
}

func refConformantVaryingArray(r *Reader, minElem int) ArrayHeader {
	r.Align(r.countSize())
	h := ArrayHeader{Off: r.off, Conformant: true, Varying: true}
	h.MaxCount = r.count()
	h.Offset = r.count()
	h.ActualCount = r.count()
	if r.err != nil {
		return h
	}
	if uint64(h.Offset)+uint64(h.ActualCount) > uint64(h.MaxCount) {
		r.Anomaly(dissect.AnomNDRVaryingBounds, h.Off, sat32(uint64(h.Offset)+uint64(h.ActualCount)), h.MaxCount)
	}
	r.fits(h.ActualCount, minElem)
	return h
}

// sameReader fails when r and ref disagree on the header read or on the
// state the read left (offset, error, error offset, anomalies).
func sameReader(t *testing.T, what string, r, ref *Reader, got, want ArrayHeader) {
	t.Helper()
	if got != want || r.off != ref.off || r.err != ref.err || r.errOff != ref.errOff || *r.anom != *ref.anom {
		t.Fatalf("%s: %+v off %d err %v@%d, reference %+v off %d err %v@%d", what,
			got, r.off, r.err, r.errOff, want, ref.off, ref.err, ref.errOff)
	}
}
