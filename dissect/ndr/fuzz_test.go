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
			op := ops[i%len(ops)] % 16
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
				h := r.ConformantArray(2)
				for j := uint32(0); j < h.Count() && r.Err() == nil; j++ {
					r.U16()
				}
			case 10:
				h := r.ConformantVaryingArray(4)
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
