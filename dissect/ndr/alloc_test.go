package ndr

import (
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
)

var (
	sinkU32  uint32
	sinkU64  uint64
	sinkUUID dissect.UUID
	sinkBuf  []byte
	sinkHdr  ArrayHeader
	sinkStr  String
	sinkCH   ContextHandle
)

// TestNoAllocs runs every primitive under testing.AllocsPerRun.
func TestNoAllocs(t *testing.T) {
	b := encodeFixture(true)
	var an dissect.Anomalies
	buf := make([]byte, 0, 64)
	tests := []struct {
		name string
		fn   func()
	}{
		{"integers", func() {
			r := NewReader(b, true, &an)
			sinkU32 = uint32(r.U8()) + uint32(r.U16()) + r.U32()
			sinkU64 = r.U64()
		}},
		{"uuid-pointer-syntax-handle", func() {
			r := NewReader(b, true, &an)
			r.Seek(16)
			sinkUUID = r.UUID()
			sinkU32 = r.Pointer() + r.RefPointer()
			sinkU32 += uint32(r.SyntaxID().Major)
			sinkCH = r.ContextHandle()
		}},
		{"in-place-and-pointer-array", func() {
			r := NewReader(b, true, &an)
			r.Seek(16)
			r.ReadUUID(&sinkUUID)
			r.ReadContextHandle(&sinkCH)
			r.Seek(80)
			sinkU32 = r.ConformantCount(2)
			r.Seek(92)
			r.ReadConformantVaryingArray(&sinkHdr, 2)
			r.Seek(0)
			p := r.PointerArray(4)
			sinkU32 += p.At(3) + uint32(p.Off(3)+p.Len())
		}},
		{"arrays", func() {
			r := NewReader(b, true, &an)
			r.Seek(80)
			sinkHdr = r.ConformantArray(2)
			r.Skip(6)
			sinkHdr = r.ConformantVaryingArray(2)
			r.Seek(0)
			sinkHdr = r.VaryingArray(1, 4)
		}},
		{"strings", func() {
			r := NewReader(b, true, &an)
			r.Seek(108)
			sinkStr = r.VaryingString(1, 64)
			sinkStr = r.ConformantVaryingString(1)
			sinkStr = r.ConformantVaryingString(2)
			sinkBuf = sinkStr.AppendUTF8(buf[:0])
		}},
		{"whole-fixture", func() {
			r := NewReader(b, true, &an)
			fixtureNoAlloc(&r)
		}},
		{"error-path", func() {
			r := NewReader(b[:3], true, &an)
			sinkU32 = r.U32()
			sinkHdr = r.ConformantArray(1)
		}},
	}
	for _, tt := range tests {
		an.Reset()
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, n)
		}
	}
}

// fixtureNoAlloc is decodeFixture without building Go strings.
func fixtureNoAlloc(r *Reader) {
	r.U8()
	r.U16()
	r.U32()
	r.U64()
	sinkUUID = r.UUID()
	r.Pointer()
	r.Pointer()
	r.SyntaxID()
	sinkCH = r.ContextHandle()
	h := r.ConformantArray(2)
	for i := uint32(0); i < h.Count() && r.Err() == nil; i++ {
		r.U16()
	}
	h = r.ConformantVaryingArray(2)
	for i := uint32(0); i < h.Count() && r.Err() == nil; i++ {
		r.U16()
	}
	sinkStr = r.VaryingString(1, 64)
	sinkStr = r.ConformantVaryingString(1)
	sinkStr = r.ConformantVaryingString(2)
	sinkU32 = r.U32()
}

func BenchmarkFixture(b *testing.B) {
	for _, le := range []bool{true, false} {
		name := "be"
		if le {
			name = "le"
		}
		stub := encodeFixture(le)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(stub)))
			var an dissect.Anomalies
			for i := 0; i < b.N; i++ {
				r := NewReader(stub, le, &an)
				fixtureNoAlloc(&r)
			}
		})
	}
}
