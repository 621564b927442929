package dcom

import "github.com/rpcwatch/rpcwatch/dissect"

// reader is a small bounded NDR cursor over one stub (or one type-serialized
// buffer). Alignment counts from b[0]. The first read past the end sets bad;
// every later read returns zero, so a decoder reads a run of fields and
// checks bad once.
type reader struct {
	b   []byte
	off int
	le  bool
	bad bool
}

// align skips padding to a multiple of n (1, 2, 4 or 8) counted from b[0].
func (r *reader) align(n int) {
	if r.bad {
		return
	}
	p := (n - r.off%n) % n
	if r.off+p > len(r.b) {
		r.bad = true
		return
	}
	r.off += p
}

// need reports whether n more bytes are present; it sets bad when not.
func (r *reader) need(n int) bool {
	if r.bad || n < 0 || n > len(r.b)-r.off {
		r.bad = true
		return false
	}
	return true
}

func (r *reader) u16() uint16 {
	r.align(2)
	if !r.need(2) {
		return 0
	}
	v := dissect.U16(r.b, r.off, r.le)
	r.off += 2
	return v
}

func (r *reader) u32() uint32 {
	r.align(4)
	if !r.need(4) {
		return 0
	}
	v := dissect.U32(r.b, r.off, r.le)
	r.off += 4
	return v
}

func (r *reader) u64() uint64 {
	r.align(8)
	if !r.need(8) {
		return 0
	}
	v := dissect.U64(r.b, r.off, r.le)
	r.off += 8
	return v
}

// uuid reads a GUID (NDR alignment 4).
func (r *reader) uuid() dissect.UUID {
	r.align(4)
	if !r.need(16) {
		return dissect.UUID{}
	}
	u := dissect.UUIDAt(r.b, r.off, r.le)
	r.off += 16
	return u
}

// bytes returns the next n bytes (a slice of the input).
func (r *reader) bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

// rest returns the bytes from the cursor to the end.
func (r *reader) rest() []byte {
	if r.bad {
		return nil
	}
	return r.b[r.off:]
}

// left is the number of bytes after the cursor.
func (r *reader) left() int {
	if r.bad {
		return 0
	}
	return len(r.b) - r.off
}
